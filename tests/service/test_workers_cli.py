"""``techmatch serve --workers 2`` on SQLite runs one worker and says why; ``techmatch
import`` while that server runs: the server sees the rows through the change feed (the
trigger), and the import leaves the server's index file alone (the writer lock)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import ADMIN_KEY
from tests.service.import_files import csv_rows
from tests.service.servers import ROOT, ServerProcess


def test_sqlite_serves_one_worker_and_sees_a_cli_import(tmp_path: Path) -> None:
    env = {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_MODEL": "hashing",
        "TECHMATCH_ADMIN_KEY": ADMIN_KEY,
        "TECHMATCH_INDEX_SAVE_DELAY": "120",  # the server does not save during the test
    }
    log = tmp_path / "server.log"
    server = ServerProcess(env, log, extra_args=["--workers", "2"])
    server.start(timeout=120)
    try:
        text = log.read_text(encoding="utf-8")
        assert "SQLite chạy một worker" in text and "SQLite runs one worker" in text
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            worker = client.get("/health").json()["worker"]
            assert worker["wakeup"] == "poll" and worker["writes_index_file"] is True
            index_file = tmp_path / "data" / "index"
            before = {p.name: p.stat().st_mtime_ns for p in index_file.glob("*.npz")}

            booth = tmp_path / "booths.csv"
            booth.write_text(csv_rows(5, "cli", english=True), encoding="utf-8")
            done = subprocess.run(
                [sys.executable, "-m", "service.cli", "import", str(booth), "--kind", "offer"],
                cwd=ROOT,
                env={**server.env},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            after = {p.name: p.stat().st_mtime_ns for p in index_file.glob("*.npz")}
            assert after == before  # the import saved nothing: the server holds the lock

            offers = client.get("/api/v1/offers", params={"q": "cli", "limit": 100}).json()
            ids = [item["id"] for item in offers["items"]]
            assert len(ids) == 5
            deadline = time.monotonic() + 5
            for offer_id in ids:
                while client.get(f"/api/v1/offers/{offer_id}/matches").status_code != 200:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            health = client.get("/health").json()
            assert health["worker"]["behind"] == 0
            assert health["worker"]["synced_from_feed"] >= 5
    finally:
        server.stop()


def test_pgvector_serves_one_worker_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every worker rebuilds the pgvector table on a refit: ``--workers 2`` runs one."""
    import uvicorn

    import service.main
    from service.commands import serve as serve_command

    calls: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setattr(service.main, "create_app", lambda settings, model=None: "one-app")
    monkeypatch.setattr(serve_command, "load_model_or_exit", lambda settings: None)
    monkeypatch.setenv("TECHMATCH_ENGINE__ANN", "pgvector")
    # serve hands --database-url to its workers through the environment: restored afterwards
    monkeypatch.setenv("TECHMATCH_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/none")
    serve_command.serve(database_url="postgresql+psycopg://u@127.0.0.1:1/none", workers=2)
    err = capsys.readouterr().err
    assert "chạy một worker" in err and "runs one worker" in err
    assert calls == [("one-app", {"host": "127.0.0.1", "port": 8000, "log_level": "info"})]

    calls.clear()
    monkeypatch.setenv("TECHMATCH_ENGINE__ANN", "flat")
    serve_command.serve(database_url="postgresql+psycopg://u@127.0.0.1:1/none", workers=2)
    assert calls[0][0] == "service.main:create_app" and calls[0][1]["workers"] == 2
