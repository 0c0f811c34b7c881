"""Import limits: rows per import, the unpacked size of an XLSX, postings per organization
(issue 13, item 5), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from service.db.models import PostingRow
from tests.service.conftest import BACKENDS, Api, _start, posting, unique
from tests.service.import_files import csv_rows, lying_zip, xlsx_rows, zip_bomb
from tests.service.test_imports import upload

MAX_ROWS = 60
QUOTA = 40
XLSX_BYTES = 300_000


@pytest.fixture(scope="module", params=BACKENDS)
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, hashing_model: Any
) -> Iterator[Api]:
    """An app with small limits."""
    yield from _start(
        request.param,
        tmp_path_factory.mktemp("limited"),
        request,
        hashing_model,
        max_import_rows=MAX_ROWS,
        max_import_xlsx_bytes=XLSX_BYTES,
        max_postings_per_organization=QUOTA,
    )


def owned(api: Api, org: str) -> int:
    with api.app.state.database.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(PostingRow).where(PostingRow.owner_org == org)
            )
            or 0
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_rows_is_413_naming_the_cap_and_stores_nothing(limited: Api, fmt: str) -> None:
    tag = unique("cap")
    data = csv_rows(MAX_ROWS + 1, tag).encode() if fmt == "csv" else xlsx_rows(MAX_ROWS + 1, tag)
    before = owned(limited, "Fair")
    r = upload(limited, "offer", f"big.{fmt}", data)
    assert r.status_code == 413, r.text
    item = r.json()["detail"][0]
    assert item["type"] == "too_many_rows" and item["loc"] == ["body", "file"]
    assert str(MAX_ROWS) in item["msg"] and "TECHMATCH_MAX_IMPORT_ROWS" in item["msg"]
    assert owned(limited, "Fair") == before
    vi = upload(limited, "offer", f"big.{fmt}", data, lang="vi").json()["detail"][0]
    assert vi["type"] == "too_many_rows" and "dòng" in vi["msg"] and str(MAX_ROWS) in vi["msg"]
    # exactly at the cap is fine
    ok = upload(limited, "offer", f"ok.{fmt}", csv_rows(MAX_ROWS, tag).encode(), format="csv")
    assert ok.status_code in (200, 202), ok.text


def test_xlsx_unpacking_over_the_cap_is_refused_before_it_is_opened(limited: Api) -> None:
    r = upload(limited, "offer", "bomb.xlsx", zip_bomb(XLSX_BYTES * 4))
    assert r.status_code == 413, r.text
    item = r.json()["detail"][0]
    assert item["type"] == "xlsx_too_large" and "TECHMATCH_MAX_IMPORT_XLSX_BYTES" in item["msg"]
    assert str(XLSX_BYTES) in item["msg"]


def test_xlsx_lying_about_its_size_is_a_clear_422(limited: Api) -> None:
    # the central directory says 1,000 bytes; zipfile stops there and the CRC fails
    r = upload(limited, "offer", "liar.xlsx", lying_zip(5_000_000))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "file"]


def test_posting_quota_per_organization(limited: Api) -> None:
    org = unique("Quota org ")
    for _ in range(QUOTA - 2):
        r = limited.post("/needs", "moderator", json=posting(organization=org))
        assert r.status_code == 201, r.text
    # an import fills the last two places; the rows after are refused, row by row
    tag = unique("q")
    data = csv_rows(5, tag, header="title,description,trl").replace(
        "title,description,trl", "title,description,trl,organization"
    )
    lines = data.splitlines()
    data = "\n".join([lines[0]] + [f"{line},{org}" for line in lines[1:]]) + "\n"
    report = upload(limited, "need", "q.csv", data.encode()).json()
    assert (report["created"], report["failed"]) == (2, 3), report
    errors = [e["errors"][0] for e in report["errors"]]
    assert {e["type"] for e in errors} == {"quota_exceeded"}
    assert str(QUOTA) in errors[0]["msg"] and org in errors[0]["msg"]
    assert owned(limited, org) == QUOTA
    # a single create is 409 with the same message, in Vietnamese on request for imports
    r = limited.post("/needs", "moderator", json=posting(organization=org))
    assert r.status_code == 409
    assert r.json()["detail"][0]["type"] == "quota_exceeded"
    vi = upload(limited, "need", "q.csv", data.replace("Máy", "Lò").encode(), lang="vi").json()
    assert "tối đa" in vi["errors"][0]["errors"][0]["msg"]
    # updating stays possible, and re-importing the same rows is not a new posting
    again = upload(limited, "need", "q.csv", data.encode()).json()
    assert again["updated"] == 2 and again["created"] == 0
    # after a delete there is room again
    first = limited.get("/needs", "moderator", params={"organization": org, "limit": 1}).json()
    assert limited.delete(f"/needs/{first['items'][0]['id']}", "moderator").status_code == 204
    assert limited.post("/needs", "moderator", json=posting(organization=org)).status_code == 201
    assert owned(limited, org) == QUOTA


def test_quota_holds_under_concurrent_creates(limited: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.service.servers import ThreadServer

    org = unique("Busy org ")
    with ThreadServer(limited.app) as server:
        import httpx

        headers = limited.headers("moderator")

        def create(_: int) -> int:
            body = posting(organization=org)
            return httpx.post(
                f"{server.base}/api/v1/needs", json=body, headers=headers, timeout=60
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(create, range(QUOTA + 10)))
    assert codes.count(201) == QUOTA and codes.count(409) == 10, codes
    assert owned(limited, org) == QUOTA
