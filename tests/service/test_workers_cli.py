"""``techmatch serve --workers 2`` on SQLite runs one worker and says why; ``techmatch
import`` while that server runs: the server sees the rows through the change feed (the
trigger), and the import leaves the server's index file alone (the writer lock)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

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
