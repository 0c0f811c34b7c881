"""Bulk import of booth lists (CSV, XLSX, JSONL), over the API and with the CLI."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from service.cli import app as cli
from service.db.models import PostingRow
from service.main import create_app
from tests.service.conftest import Api, add_keys, make_settings, unique

VI_CSV = (
    "\ufeffSTT;Tên công nghệ;Mô tả;Lĩnh vực;Từ khóa;TRL;Hình thức chuyển giao;Tỉnh;Đơn vị;"
    "Email;Mã gian hàng\n"
    "1;Chế phẩm vi sinh xử lý nước thải {tag};Giảm 80% COD cho nhà máy chế biến thủy sản.;"
    "Môi trường;vi sinh, nước thải;8;licence, training;Hải Phòng;Viện Môi trường;a@b.vn;{tag}-1\n"
    "2;;Thiếu tên;environment;;5;;;;;{tag}-2\n"
    "3;Máy sấy lạnh {tag};Sấy trái cây giữ màu.;Năng lượng;;12;;;;;{tag}-3\n"
    "4;Robot hàn {tag};Hàn vỏ tàu tự động.;space;;7;;;;;{tag}-4\n"
    "5;Cảm biến IoT {tag};Đo oxy hòa tan.;electronics;IoT;6;sale;Hà Nội;Viện Điện tử;"
    "x@y.vn;{tag}-5\n"
)


def upload(
    api: Api, kind: str, name: str, data: bytes, who: str = "moderator", **params: Any
) -> Any:
    return api.post(f"/{kind}s/import", who, files={"file": (name, data)}, params=params)


def stored(api: Api, ids: list[int]) -> list[dict[str, Any]]:
    return [api.get(f"/offers/{i}", "admin").json() for i in ids]


def test_csv_with_vietnamese_headers_keeps_good_rows(api: Api) -> None:
    tag = unique("csv")
    r = upload(api, "offer", "booths.csv", VI_CSV.format(tag=tag).encode("utf-8"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["created"], report["updated"], report["failed"]) == (5, 2, 0, 3)
    assert report["ignored_columns"] == ["STT"]
    errors = {e["row"]: e["errors"] for e in report["errors"]}
    assert set(errors) == {3, 4, 5}  # spreadsheet rows (header is row 1)
    assert errors[3][0]["loc"] == ["title"]
    assert errors[4][0]["loc"] == ["trl"]
    assert errors[5][0]["loc"] == ["sector"]
    first, second = stored(api, report["ids"])
    assert first["sector"] == "environment" and first["keywords"] == ["vi sinh", "nước thải"]
    assert first["transfer_modes"] == ["licence", "training"]
    assert first["trl"] == 8 and first["language"] == "vi"
    assert first["contact"]["email"] == "a@b.vn"
    assert first["owner_org"] == "Viện Môi trường" and first["external_id"] == f"{tag}-1"
    assert second["sector"] == "electronics"
    assert set(report["ids"]) <= api.indexed()


def test_reimport_updates_instead_of_duplicating(api: Api) -> None:
    tag = unique("re")
    data = VI_CSV.format(tag=tag).encode("utf-8")
    first = upload(api, "offer", "a.csv", data).json()
    again = upload(
        api, "offer", "a.csv", data.replace(b"Gi\xe1\xba\xa3m 80%", b"Gi\xe1\xba\xa3m 90%")
    ).json()
    assert (again["created"], again["updated"]) == (0, 2)
    assert again["ids"] == first["ids"]
    assert "90%" in stored(api, first["ids"])[0]["description"]
    with api.app.state.database.session() as session:
        n = session.scalar(select(func.count()).where(PostingRow.external_id.like(f"{tag}-%")))
    assert n == 2


def test_xlsx(api: Api) -> None:
    tag = unique("x")
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "title",
            "description",
            "sector",
            "keywords",
            "trl",
            "expires_on",
            "external_id",
            "contact_phone",
        ]
    )
    sheet.append(
        [
            f"Solar dryer {tag}",
            "Dries fruit with solar heat.",
            "Energy",
            "solar; dryer",
            7.0,
            date(2031, 5, 1),
            1001,
            "0912 345 678",
        ]
    )
    sheet.append([f"No description {tag}", None, "energy", None, 3, None, 1002, None])
    sheet.append([None, None, None, None, None, None, None, None])  # blank rows are skipped
    sheet.append([f"Bad TRL {tag}", "Text", "energy", None, "high", None, 1003, None])
    buffer = io.BytesIO()
    book.save(buffer)
    r = upload(api, "need", "list.xlsx", buffer.getvalue(), who="company")
    report = r.json()
    assert (report["created"], report["failed"]) == (1, 2), report
    assert [e["row"] for e in report["errors"]] == [3, 5]
    need = api.get(f"/needs/{report['ids'][0]}", "company").json()
    assert need["sector"] == "energy" and need["trl"] == 7 and need["expires_on"] == "2031-05-01"
    assert need["keywords"] == ["solar", "dryer"] and need["external_id"] == "1001"
    assert need["owner_org"] == "Org A"  # a company imports for itself


def test_jsonl(api: Api) -> None:
    tag = unique("j")
    lines = [
        json.dumps(
            {
                "title": f"Need {tag}",
                "description": "Text.",
                "keywords": ["a", "b"],
                "contact": {"name": "An"},
            }
        ),
        "{not json",
        "[1, 2]",
        "",
        json.dumps({"title": f"Need 2 {tag}", "description": "Text.", "trl": "5"}),
    ]
    r = upload(api, "need", "list.jsonl", "\n".join(lines).encode(), who="company")
    report = r.json()
    assert (report["rows"], report["created"], report["failed"]) == (4, 1, 3), report
    errors = {e["row"]: e["errors"][0] for e in report["errors"]}
    assert errors[2]["type"] == "row_invalid" and errors[3]["type"] == "row_invalid"
    assert errors[5]["loc"] == ["trl"]  # JSONL keeps JSON types: "5" is not a number


@pytest.mark.parametrize(
    ("name", "data", "params", "status", "loc"),
    [
        (  # UTF-8 but for one line: refused, naming the line (cp1258 alone is read)
            "a.csv",
            "title,description\nCà phê,x\n".encode() + "Trà,y\n".encode("cp1258"),
            {},
            422,
            ["body", "file"],
        ),
        ("a.xlsx", b"PK\x03\x04 not really a zip", {}, 422, ["body", "file"]),
        ("a.txt", b"title,description\n", {}, 422, ["query", "format"]),
        ("a.txt", b"title,description\n", {"format": "pdf"}, 422, ["query", "format"]),
    ],
)
def test_unreadable_files(
    api: Api, name: str, data: bytes, params: dict, status: int, loc: list
) -> None:
    r = upload(api, "offer", name, data, **params)
    assert r.status_code == status, r.text
    assert r.json()["detail"][0]["loc"] == loc


def test_txt_with_explicit_format(api: Api) -> None:
    r = upload(api, "offer", "a.txt", f"title,description\nT {unique()},D\n".encode(), format="csv")
    assert r.json()["created"] == 1


def test_upload_limit(api: Api) -> None:
    big = b"title,description\n" + b"x" * (10 * 1024 * 1024)
    r = upload(api, "offer", "big.csv", big)
    assert r.status_code == 413
    assert r.json()["detail"][0]["type"] == "body_too_large"


def test_missing_file_field(api: Api) -> None:
    r = api.post("/offers/import", "moderator", data={"x": "y"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]


def test_reimport_of_unchanged_rows_embeds_nothing(api: Api) -> None:
    tag = unique("hash")
    data = VI_CSV.format(tag=tag).encode("utf-8")

    def embedded() -> int:
        return int(api.client.get("/health").json()["index"]["embedded_since_start"])

    before = embedded()
    first = upload(api, "offer", "a.csv", data).json()
    assert first["created"] == 2 and embedded() == before + 2
    again = upload(api, "offer", "a.csv", data).json()
    assert (again["created"], again["updated"]) == (0, 2)
    assert embedded() == before + 2  # same content hash: nothing embedded again
    changed = data.replace(b"Gi\xe1\xba\xa3m 80%", b"Gi\xe1\xba\xa3m 95%")
    assert upload(api, "offer", "a.csv", changed).json()["updated"] == 2
    assert embedded() == before + 3  # only the changed row


def test_cli_import(backend_url: str, tmp_path: Path, hashing_model: Any) -> None:
    tag = unique("cli")
    booth = tmp_path / "booths.csv"
    booth.write_text(VI_CSV.format(tag=tag), encoding="utf-8")
    report = tmp_path / "report.json"
    env = {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_DATABASE_URL": backend_url,
        "TECHMATCH_MODEL": "hashing",
    }
    result = CliRunner().invoke(
        cli, ["import", str(booth), "--kind", "offer", "--report", str(report)], env=env
    )
    assert result.exit_code == 1, result.output  # some rows failed
    assert "5 rows: 2 created, 0 updated, 3 failed" in result.output
    assert "row 3: title: Field required" in result.output
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["created"] == 2 and len(saved["errors"]) == 3
    app = create_app(make_settings(tmp_path / "data", backend_url), model=hashing_model)
    with TestClient(app) as client:
        api = Api(client, add_keys(client), "any")
        health = client.get("/health").json()["index"]
        assert health["rebuilt_at_start"] is False  # the CLI saved the index
        assert health["reconciled_at_start"] == {"upserted": 0, "deleted": 0}
        assert api.indexed() == set(saved["ids"])
        assert api.get("/offers", "company").json()["total"] == 2


def test_cli_import_of_a_clean_file_exits_0(backend_url: str, tmp_path: Path) -> None:
    booth = tmp_path / "needs.jsonl"
    booth.write_text(json.dumps({"title": "T", "description": "D"}) + "\n", encoding="utf-8")
    env = {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_DATABASE_URL": backend_url,
        "TECHMATCH_MODEL": "hashing",
    }
    result = CliRunner().invoke(cli, ["import", str(booth), "--kind", "need"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 rows: 1 created" in result.output


def test_unparseable_csv_stores_nothing(api: Api) -> None:
    before = api.get("/offers", "admin", params={"include_expired": True}).json()["total"]
    data = f"title,description\nGood {unique()},D\n".encode() + b'"broken,' + b"x" * 200_000
    r = upload(api, "offer", "a.csv", data)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    assert api.get("/offers", "admin", params={"include_expired": True}).json()["total"] == before


def test_filters_with_odd_characters_are_harmless(api: Api) -> None:
    for params in (
        {"q": "a\x00b"},
        {"province": "\x00"},
        {"organization": "x\x00"},
        {"q": "%_\\"},
        {"province": "ß" * 100},
    ):
        assert api.get("/needs", "company", params=params).status_code == 200
    r = api.post(
        "/needs", "company", json={"title": "T", "description": "D", "province": "ß" * 100}
    )
    assert r.status_code == 201


def test_cli_import_through_a_running_server(tmp_path: Path, hashing_model: Any) -> None:
    from tests.service.servers import ThreadServer

    booth = tmp_path / "offers.csv"
    booth.write_text("title,description,trl\nA,B,5\nC,,6\n", encoding="utf-8")
    app = create_app(make_settings(tmp_path, None), model=hashing_model)
    with TestClient(app) as client:
        keys = add_keys(client)
        with ThreadServer(app) as server:
            result = CliRunner().invoke(
                cli,
                [
                    "import",
                    str(booth),
                    "--kind",
                    "offer",
                    "--url",
                    server.base,
                    "--key",
                    keys["institute"],
                ],
            )
            assert result.exit_code == 1, result.output
            assert "2 rows: 1 created, 0 updated, 1 failed" in result.output
            assert "row 3: description: Field required" in result.output
            denied = CliRunner().invoke(
                cli,
                [
                    "import",
                    str(booth),
                    "--kind",
                    "offer",
                    "--url",
                    server.base,
                    "--key",
                    keys["company"],
                ],
            )
            assert denied.exit_code == 2 and "HTTP 403" in denied.output
        assert len(app.state.matcher.indexed_ids()) == 1


def test_cli_import_in_vietnamese_and_its_limits(backend_url: str, tmp_path: Path) -> None:
    booth = tmp_path / "needs.csv"
    booth.write_text("title,description,trl\nA,B,12\nC,D,5\nE,F,6\n", encoding="utf-8")
    env = {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_DATABASE_URL": backend_url,
        "TECHMATCH_MODEL": "hashing",
    }
    args = ["import", str(booth), "--kind", "need", "--lang", "vi"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1, result.output
    assert "row 2: trl: Phải nhỏ hơn hoặc bằng 9." in result.output
    again = CliRunner().invoke(cli, args, env=env)
    assert "3 rows: 0 created, 2 updated, 1 failed" in again.output  # a retry duplicates nothing
    capped = CliRunner().invoke(cli, args, env={**env, "TECHMATCH_MAX_IMPORT_ROWS": "2"})
    assert capped.exit_code == 2 and "hơn 2 dòng dữ liệu" in capped.output
