"""The ``techmatch`` commands: keys and demo (serve is covered by the crash test)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import service.seed
from service.auth.keys import authenticate
from service.cli import app as cli
from service.db.engine import Database
from service.db.migrate import upgrade
from service.main import create_app
from service.seed import DemoDataError, load_demo, read_demo
from tests.service.conftest import make_settings

runner = CliRunner()


def env_for(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_DATABASE_URL": url,
        "TECHMATCH_MODEL": "hashing",
    }


def test_keys_create_list_revoke(backend_url: str, tmp_path: Path) -> None:
    env = env_for(tmp_path, backend_url)
    result = runner.invoke(
        cli, ["keys", "create", "--role", "institute", "--org", "Viện A"], env=env
    )
    assert result.exit_code == 0, result.output
    key = result.output.split()[-1]
    assert key.startswith("tm_") and len(key) > 40
    database = Database(backend_url)
    try:
        with database.session() as session:
            principal = authenticate(session, key, None)
        assert principal is not None
        assert (principal.role, principal.organization) == ("institute", "Viện A")
        listed = runner.invoke(cli, ["keys", "list"], env=env)
        assert "Viện A" in listed.output and key[:10] in listed.output and key not in listed.output
        key_id = principal.key_id
        assert runner.invoke(cli, ["keys", "revoke", str(key_id)], env=env).exit_code == 0
        with database.session() as session:
            assert authenticate(session, key, None) is None
        assert runner.invoke(cli, ["keys", "revoke", "9999"], env=env).exit_code == 1
        assert "Viện A" not in runner.invoke(cli, ["keys", "list"], env=env).output
        assert "Viện A" in runner.invoke(cli, ["keys", "list", "--all"], env=env).output
    finally:
        database.dispose()


def test_keys_create_rejects_bad_input(tmp_path: Path) -> None:
    env = env_for(tmp_path, f"sqlite:///{tmp_path / 'k.db'}")
    assert (
        runner.invoke(cli, ["keys", "create", "--role", "boss", "--org", "X"], env=env).exit_code
        == 2
    )
    assert (
        runner.invoke(cli, ["keys", "create", "--role", "admin", "--org", " "], env=env).exit_code
        == 2
    )


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    env = env_for(tmp_path, f"sqlite:///{tmp_path / 'k.db'}")
    key = runner.invoke(
        cli, ["keys", "create", "--role", "admin", "--org", "X"], env=env
    ).output.split()[-1]
    assert key.encode() not in (tmp_path / "k.db").read_bytes()


def write_demo(directory: Path, needs: int, offers: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for kind, n in (("need", needs), ("offer", offers)):
        lines = [
            json.dumps(
                {
                    "title": f"Demo {kind} {i}",
                    "description": f"Mô tả {kind} số {i}.",
                    "sector": "energy",
                    "organization": f"{kind.title()} Org {i % 3}",
                    "contact": {"name": "A", "email": "a@example.vn", "phone": "0912"},
                    "status": "published",
                },
                ensure_ascii=False,
            )
            for i in range(n)
        ]
        (directory / f"{kind}s.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_load_demo_is_idempotent(backend_url: str, tmp_path: Path) -> None:
    write_demo(tmp_path / "demo", 4, 6)
    database = Database(backend_url)
    try:
        upgrade(database)
        first = load_demo(database, tmp_path / "demo")
        assert first.created == {"need": 4, "offer": 6}
        again = load_demo(database, tmp_path / "demo")
        assert again.created == {"need": 0, "offer": 0} and again.updated == {"need": 4, "offer": 6}
        with database.session() as session:
            from sqlalchemy import func, select

            from service.db.models import PostingRow

            assert session.scalar(select(func.count()).select_from(PostingRow)) == 10
    finally:
        database.dispose()


def test_bad_demo_line_is_reported(tmp_path: Path) -> None:
    write_demo(tmp_path, 1, 1)
    with (tmp_path / "needs.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"title": "", "description": "x"}\n')
    with pytest.raises(DemoDataError, match="needs.jsonl:2"):
        read_demo("need", tmp_path)
    with pytest.raises(DemoDataError, match="missing"):
        read_demo("need", tmp_path / "nowhere")


def test_demo_command_loads_once_and_keeps_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hashing_model: Any
) -> None:
    write_demo(tmp_path / "demo", 3, 5)
    monkeypatch.setattr(service.seed, "DEMO_DIR", tmp_path / "demo")
    args = ["demo", "--load-only", "--data-dir", str(tmp_path / "d"), "--port", "8123"]
    env = {"TECHMATCH_MODEL": "hashing", "TECHMATCH_DATABASE_URL": "postgresql://ignored/x"}
    first = runner.invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    assert "3 needs, 5 offers" in first.output
    assert "http://127.0.0.1:8123/docs" in first.output
    key = first.output.split()[-1]
    assert first.output.strip().splitlines()[-1].startswith("moderator key:")
    second = runner.invoke(cli, args, env=env)
    assert second.exit_code == 0 and second.output.split()[-1] == key
    settings = make_settings(tmp_path / "d", None)  # the demo always runs on SQLite
    with TestClient(create_app(settings, model=hashing_model)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/api/v1/me", headers=headers).json()["role"] == "moderator"
        needs = client.get("/api/v1/needs", headers=headers).json()
        assert needs["total"] == 3 and needs["items"][0]["contact"] is not None
        assert client.get("/api/v1/offers", headers=headers).json()["total"] == 5
        assert client.get("/api/v1/pairs", headers=headers).status_code == 200
        need_id = needs["items"][0]["id"]
        assert client.get(f"/api/v1/needs/{need_id}/matches", headers=headers).json()["items"]


def test_bundled_demo_data() -> None:
    """The demo data set: bilingual, at least 30 needs and 50 offers, every line valid."""
    if not service.seed.demo_file("need").exists():
        pytest.skip("service/demo/needs.jsonl is not there yet (written by the demo-data task)")
    needs, offers = read_demo("need"), read_demo("offer")
    assert len(needs) >= 30 and len(offers) >= 50
    languages = {p.language for p in needs + offers}
    assert {"vi", "en"} <= languages or None in languages
    assert len({p.external_id for p in needs + offers}) == len(needs) + len(offers)


def test_demo_prints_pages_and_a_session_walk_through_with_real_ids(
    tmp_path: Path, hashing_model: Any
) -> None:
    """``techmatch demo`` on the bundled data: the web addresses, a demo session with
    participants (the same one on a re-run), and commands whose ids work when replayed."""
    if not service.seed.demo_file("need").exists():
        pytest.skip("service/demo/ is not there")
    data = tmp_path / "demo"
    args = ["demo", "--load-only", "--data-dir", str(data), "--port", "8124"]
    first = runner.invoke(cli, args, env={"TECHMATCH_MODEL": "hashing"})
    assert first.exit_code == 0, first.output
    out = first.output
    base = "http://127.0.0.1:8124"
    for page in ("/", "/review", "/dashboard", "/ranking", "/docs", "/redoc"):
        assert f"{base}{page} " in out or f"{base}{page})" in out or f"{base}{page}\n" in out
    assert f"data folder {data}" in out and "--data-dir" in out
    found = re.search(r"session (\d+) with (\d+) participants", out)
    assert found
    sid, participants = int(found.group(1)), int(found.group(2))
    assert participants >= 20
    exports = dict(re.findall(r"\b(MOD|CO|IN)=(tm_\S+)", out))
    assert exports["MOD"] == out.split()[-1]
    need = re.search(r"owns need (\d+)\): (tm_\S+)", out)
    offer = re.search(r"owns offer (\d+)\): (tm_\S+)", out)
    assert need and offer and need.group(2) == exports["CO"] and offer.group(2) == exports["IN"]
    need_id, offer_id = int(need.group(1)), int(offer.group(1))
    commands = [line.strip() for line in out.splitlines() if line.strip().startswith("curl ")]
    assert len(commands) == 4
    assert f'"posting_id": {need_id}' in commands[0] and "$CO" in commands[0]
    assert f'"posting_id": {offer_id}' in commands[1] and "$IN" in commands[1]
    assert f"/pairs/{need_id}-{offer_id}/review" in commands[2]
    assert f"/sessions/{sid}/schedule" in commands[3]

    # replay the printed commands through the app (same paths, keys and bodies)
    settings = make_settings(data, None)
    with TestClient(create_app(settings, model=hashing_model)) as client:
        for command in commands:
            path = re.search(r"\$API(\S+)", command).group(1)  # type: ignore[union-attr]
            who = re.search(r"Bearer \$(\w+)", command).group(1)  # type: ignore[union-attr]
            body = json.loads(re.search(r"-d '(.*)'$", command).group(1))  # type: ignore[union-attr]
            answer = client.post(
                f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {exports[who]}"}
            )
            assert answer.status_code in (200, 201), (command, answer.text)
        mod = {"Authorization": f"Bearer {exports['MOD']}"}
        agenda = client.get(f"/api/v1/sessions/{sid}/agenda?format=json", headers=mod).json()
        assert f"{need_id}-{offer_id}" in {m["pair_id"] for m in agenda["meetings"]}
        mine = client.get(
            f"/api/v1/sessions/{sid}/agenda?format=json&posting_id={need_id}",
            headers={"Authorization": f"Bearer {exports['CO']}"},
        )
        assert mine.status_code == 200

    again = runner.invoke(cli, args, env={"TECHMATCH_MODEL": "hashing"})
    assert again.exit_code == 0, again.output
    assert f"session {sid} with {participants + 2} participants" in again.output
    assert (
        [line for line in again.output.splitlines() if "curl " in line][0]
        .strip()
        .startswith(f"curl -s -X POST $API/pairs/{need_id}-{offer_id}/review")
    )  # the walk-through postings are registered now: no second registration
    assert again.output.split()[-1] == exports["MOD"]
    database = Database(settings.sqlalchemy_url)
    try:
        from service.sessions.crud import all_sessions

        assert [s.id for s in all_sessions(database)] == [sid]  # one demo session
    finally:
        database.dispose()


def test_commands_say_which_database_they_use(tmp_path: Path) -> None:
    env = {"TECHMATCH_DATA_DIR": str(tmp_path / "here"), "TECHMATCH_MODEL": "hashing"}
    listed = runner.invoke(cli, ["keys", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"data folder {tmp_path / 'here'}" in listed.stderr
    assert "techmatch.db" in listed.stderr
    assert "data folder" not in listed.stdout


def test_first_model_start_is_quiet(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Exporting and quantising a model (what the first ``techmatch demo`` does) shows no
    "Loading weights" bar and no onnxruntime pre-processing hint, and leaves the root
    logger as it was; other warnings still get through."""
    import logging

    from models import load_model
    from models.onnx_backend import _quiet_quantizer
    from tests.models.test_backends import _tiny_folder

    folder = _tiny_folder(tmp_path)
    capfd.readouterr()
    root = logging.getLogger()
    handlers = list(root.handlers)
    with caplog.at_level(logging.WARNING):
        model = load_model(str(folder), backend="onnx-int8")
    assert model.encode(["ao nuôi tôm"]).shape == (1, 32)
    err = capfd.readouterr().err
    assert "Loading weights" not in err
    assert "pre-processing" not in err and "pre-processing" not in caplog.text
    assert root.handlers == handlers
    with caplog.at_level(logging.WARNING), _quiet_quantizer():
        logging.getLogger("other").warning("a real problem")
    assert "a real problem" in caplog.text
