"""The restart-over-HTTP benchmark's path, small: ``techmatch serve`` in a subprocess starts
from a data folder built by ``benchmarks/bench_restart_http.py`` (database by the migrations,
index saved beside it) without rebuilding, re-reading or embedding anything, and again from
the index it saved itself at shutdown, with the postings written over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from benchmarks.bench_restart_http import (
    ADMIN_KEY,
    Server,
    StandInModel,
    after_writes,
    build_data_dir,
    restart_round,
    server_env,
)
from models.hashing import HASHING_DIMENSION
from tests.service.servers import free_port


def test_the_server_restarts_from_the_saved_index_over_http(tmp_path: Path) -> None:
    data = tmp_path / "data"
    built = build_data_dir(data, 300, StandInModel("hashing", HASHING_DIMENSION, ""))
    need_ids = built["need_ids"]
    env = server_env(tmp_path / "models", "hashing", "torch")  # (hashing ignores the backend)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    results = []
    for number in range(2):
        server = Server(data, free_port(), env, tmp_path / "server.log")
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
            try:
                results.append(restart_round(server, client, need_ids, timeout=120))
                if number == 0:
                    writes = after_writes(client, need_ids, 1)
            finally:
                server.stop()
        assert "Application shutdown complete" in (tmp_path / "server.log").read_text("utf-8")
    first, second = results
    for result in results:
        assert result["rebuilt_at_start"] is False
        assert result["reconciled_at_start"] == {"upserted": 0, "deleted": 0}
        assert result["embedded_since_start"] == 0
        assert result["model"]["name"] == "hashing"
        assert result["breakdown_s"]["index_load"] is not None
        assert result["breakdown_s"]["model_load"] is not None  # the serve command's line
    assert first["index_size"] == 300
    assert writes["writes"] == 2 and len(writes["created_ids"]) == 2
    assert second["index_size"] == 302  # saved by the server at shutdown, then loaded
