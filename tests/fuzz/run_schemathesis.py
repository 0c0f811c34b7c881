"""Fuzz the whole API with schemathesis (issue 13): every operation, as the admin key,
against the real app on uvicorn (127.0.0.1, SQLite in a temporary folder, the hashing
test model), bounded in time. Exit 0 only with no server error and no response that
breaks its documented schema, status code or content type.

Run: ``python -m tests.fuzz.run_schemathesis [--max-time SECONDS]`` (``.ci/run`` runs it
after pytest).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from service.core.config import Settings
from service.main import create_app
from tests.service.servers import ThreadServer

CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance"
)


def seed(client: TestClient, key: str) -> None:
    """A few postings, a session with participants and a schedule, so ids 1.. exist."""
    headers = {"Authorization": f"Bearer {key}"}
    ids = {}
    for kind, title in (
        ("need", "Cảm biến oxy hòa tan cho ao nuôi tôm"),
        ("offer", "Dissolved oxygen sensor with phone alerts for shrimp ponds"),
        ("need", "Solar dryer for coffee beans"),
        ("offer", "Máy sấy cà phê năng lượng mặt trời"),
    ):
        r = client.post(
            f"/api/v1/{kind}s",
            headers=headers,
            json={"title": title, "description": f"{title}. Details.", "sector": "other"},
        )
        r.raise_for_status()
        ids.setdefault(kind, []).append(r.json()["id"])
    session = client.post(
        "/api/v1/sessions",
        headers=headers,
        json={
            "name": "Phiên kết nối",
            "start": "2026-12-05T08:30:00+07:00",
            "slot_minutes": 20,
            "slots": 4,
            "tables": 2,
            "max_meetings_per_participant": 2,
        },
    )
    session.raise_for_status()
    sid = session.json()["id"]
    for pid in ids["need"] + ids["offer"]:
        client.post(
            f"/api/v1/sessions/{sid}/participants", headers=headers, json={"posting_id": pid}
        ).raise_for_status()
    pair = f"{ids['need'][0]}-{ids['offer'][0]}"
    client.post(
        f"/api/v1/pairs/{pair}/review", headers=headers, json={"decision": "accepted"}
    ).raise_for_status()
    client.post(
        f"/api/v1/sessions/{sid}/schedule", headers=headers, json={"time_limit_s": 2}
    ).raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=int, default=150, help="seconds of fuzzing")
    # One worker: with two, CPython 3.11's ast module can fail inside hypothesis when both
    # threads parse at once ("AST constructor recursion depth mismatch", a tool error).
    parser.add_argument("--workers", default="1")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="techmatch-fuzz-"))
    admin_key = "fuzz-admin-" + secrets.token_urlsafe(24)
    settings = Settings(
        data_dir=work / "data",
        model="hashing",
        admin_key=admin_key,
        index_save_delay=0.5,
        auth_failures_per_address="off",
        auth_failures_per_key_prefix="off",
    )
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if schemathesis is None:
        print("schemathesis is not installed (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    try:
        app = create_app(settings)
        with TestClient(app) as client:
            seed(client, admin_key)
            with ThreadServer(app) as server:
                command = [
                    schemathesis,
                    "run",
                    f"{server.base}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {admin_key}",
                    "--checks",
                    CHECKS,
                    "--max-time",
                    str(args.max_time),
                    "--workers",
                    args.workers,
                    "--seed",
                    str(args.seed),
                    "--request-timeout",
                    "60",
                    "--suppress-health-check",
                    "all",
                    "--no-color",
                ]
                print(
                    "$", " ".join(c if "Bearer" not in c else "Authorization: …" for c in command)
                )
                return subprocess.run(command, cwd=work, check=False).returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
