"""Imports as jobs (issue 13, item 5): 202 and a status resource with progress, the
report and its CSV when done, state kept in the database across restarts, and retried
imports that never duplicate — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.db.engine import Database
from service.db.models import ImportJobRow, PostingRow
from service.db.types import utcnow
from service.main import create_app
from tests.service.conftest import (
    ADMIN_KEY,
    BACKENDS,
    Api,
    _start,
    add_keys,
    database_url_for,
    make_settings,
    unique,
)
from tests.service.import_files import csv_rows
from tests.service.servers import ServerProcess, ThreadServer
from tests.service.test_imports import upload

SYNC_ROWS = 40


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, hashing_model: Any
) -> Iterator[Api]:
    """An app whose imports of more than 40 rows are jobs."""
    yield from _start(
        request.param,
        tmp_path_factory.mktemp("jobs"),
        request,
        hashing_model,
        import_sync_rows=SYNC_ROWS,
    )


def follow(api: Api, job: dict[str, Any], who: str, timeout: float = 120) -> dict[str, Any]:
    """Poll a job until it is done or failed; every answer's progress never goes back."""
    seen = -1
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = api.client.get(job["status_url"], headers=api.headers(who))
        assert r.status_code == 200, r.text
        job = r.json()
        assert job["rows_done"] >= seen
        seen = job["rows_done"]
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job['id']} still {job['state']} after {timeout}s")


def count_titles(api: Api, tag: str) -> int:
    with api.app.state.database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(PostingRow)
                .where(PostingRow.title.like(f"%{tag}%"))
            )
            or 0
        )


def test_async_import_is_a_job_with_progress_and_a_report(api: Api) -> None:
    tag = unique("job")
    data = csv_rows(250, tag, bad_every=50).encode()
    r = upload(api, "need", "booths.csv", data, who="company", **{"async": "true"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == job["status_url"] == f"/api/v1/imports/{job['id']}"
    assert job["state"] in ("queued", "running") and job["rows_total"] == 250
    assert job["report"] is None and job["organization"] == "Org A"
    done = follow(api, job, "company")
    assert done["state"] == "done", done
    assert (done["rows_done"], done["created"], done["failed"]) == (250, 245, 5)
    assert done["progress"] == 1.0 and done["finished_at"] and done["error"] is None
    report = done["report"]
    assert report["created"] == 245 and [e["row"] for e in report["errors"]][:2] == [51, 101]
    assert set(report["ids"]) <= api.indexed()
    assert count_titles(api, tag) == 245
    # the report's errors as CSV: one line per error, BOM for Excel
    r = api.client.get(f"{job['status_url']}/errors.csv", headers=api.headers("company"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "field", "message", "type"]
    assert lines[1][:2] == ["51", "trl"] and lines[1][3] == "less_than_equal" and len(lines) == 6
    # listed for its organization
    listed = api.get("/imports", "company").json()
    assert job["id"] in [j["id"] for j in listed["items"]]
    assert all(j["report"] is None for j in listed["items"])


def test_large_imports_become_jobs_by_themselves(api: Api) -> None:
    limit = api.app.state.settings.import_sync_rows
    assert limit == SYNC_ROWS
    tag = unique("auto")
    small = upload(api, "offer", "s.csv", csv_rows(limit, tag).encode(), who="institute")
    assert small.status_code == 200 and small.json()["created"] == limit
    big = upload(api, "offer", "b.csv", csv_rows(limit + 1, tag + "b").encode(), who="institute")
    assert big.status_code == 202, big.text
    assert follow(api, big.json(), "institute")["created"] == limit + 1


def test_jobs_are_visible_to_their_organization_and_staff_only(api: Api) -> None:
    r = upload(
        api, "need", "v.csv", csv_rows(3, unique("v")).encode(), who="company", **{"async": "true"}
    )
    job = follow(api, r.json(), "company")
    path = f"/imports/{job['id']}"
    assert api.get(path, "moderator").status_code == 200
    assert api.get(path, "admin").json()["report"]["created"] == 3
    for who in ("company_b", "institute"):
        assert api.get(path, who).status_code == 404
        assert api.get(f"{path}/errors.csv", who).status_code == 404
        assert job["id"] not in [j["id"] for j in api.get("/imports", who).json()["items"]]
    assert api.get(path, None).status_code == 401
    assert api.get("/imports/999999999", "admin").status_code == 404
    assert api.get("/imports/0", "admin").status_code == 422


def test_vietnamese_row_errors_on_request(api: Api) -> None:
    data = b"title,description,trl,sector\nA,,5,energy\nB,D,12,energy\nC,D,5,moon\n"
    for params, headers in (({"lang": "vi"}, {}), ({}, {"Accept-Language": "vi-VN,vi;q=0.9"})):
        r = api.post(
            "/offers/import",
            "institute",
            files={"file": ("v.csv", data)},
            params=params,
            headers=headers,
        )
        errors = {e["row"]: e["errors"][0] for e in r.json()["errors"]}
        assert (
            errors[2]["msg"] == "Bắt buộc, không được để trống." and errors[2]["type"] == "missing"
        )
        assert errors[3]["msg"] == "Phải nhỏ hơn hoặc bằng 9."
        assert errors[4]["msg"].startswith("Lĩnh vực không rõ 'moon'")
    english = api.post("/offers/import", "institute", files={"file": ("v.csv", data)}).json()
    assert english["errors"][0]["errors"][0]["msg"] == "Field required"
    r = upload(api, "offer", "v.txt", data, who="institute", lang="vi")
    assert r.status_code == 422 and "định dạng" in r.json()["detail"][0]["msg"]


def test_a_retried_import_never_duplicates(api: Api) -> None:
    tag = unique("retry")
    data = csv_rows(SYNC_ROWS, tag).encode()
    first = upload(api, "need", "r.csv", data, who="company").json()
    again = upload(api, "need", "r.csv", data, who="company").json()
    assert (first["created"], again["created"], again["updated"]) == (40, 0, 40)
    assert again["ids"] == first["ids"]
    assert count_titles(api, tag) == 40
    # the same rows by another organization are that organization's own postings
    other = upload(api, "need", "r.csv", data, who="company_b").json()
    assert other["created"] == 40 and not set(other["ids"]) & set(first["ids"])
    # the same row twice in one file is one posting
    line = f"Một dòng {tag},Hai lần,5"
    twice = upload(
        api, "need", "t.csv", f"title,description,trl\n{line}\n{line}\n".encode(), who="company"
    ).json()
    assert (twice["created"], twice["updated"]) == (1, 1) and twice["ids"][0] == twice["ids"][1]
    # a changed row is new content: a new posting (give rows an external_id to edit them)
    changed = data.replace(f"{tag} 1,".encode(), f"{tag} 1 (mới),".encode(), 1)
    assert upload(api, "need", "r.csv", changed, who="company").json()["created"] == 1


def test_concurrent_retries_of_one_file_store_each_row_once(api: Api) -> None:
    tag = unique("race")
    data = csv_rows(SYNC_ROWS, tag).encode()
    results: list[int] = []
    with ThreadServer(api.app) as server:

        def send() -> None:
            r = httpx.post(
                f"{server.base}/api/v1/needs/import",
                files={"file": ("c.csv", data)},
                headers=api.headers("company"),
                timeout=120,
            )
            results.append(r.status_code)

        threads = [threading.Thread(target=send) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [200, 200, 200]
    assert count_titles(api, tag) == SYNC_ROWS


def _fake_jobs(api: Api, organization: str, n: int) -> list[int]:
    """``n`` queued jobs of ``organization`` that no worker runs."""
    now = utcnow()
    jobs = [
        ImportJobRow(
            kind="offer",
            state="queued",
            format="csv",
            lang="en",
            organization=organization,
            role="institute",
            rows_total=1,
            rows_done=0,
            created=0,
            updated=0,
            failed=0,
            created_at=now,
            updated_at=now,
        )
        for _ in range(n)
    ]
    with api.app.state.database.session(write=True) as session:
        session.add_all(jobs)
        session.commit()
    return [job.id for job in jobs]


def test_too_many_pending_jobs_are_refused(api: Api) -> None:
    fake = _fake_jobs(api, "Inst B", 2)
    try:
        data = csv_rows(2, unique("p")).encode()
        r = upload(api, "offer", "p.csv", data, who="institute_b", **{"async": "true"})
        assert r.status_code == 409 and r.json()["detail"][0]["type"] == "import_busy"
        vi = upload(api, "offer", "p.csv", data, who="institute_b", lang="vi", **{"async": "true"})
        assert "đang có 2 lần nhập" in vi.json()["detail"][0]["msg"]
        fake += _fake_jobs(api, "Someone else", 18)  # 20 waiting on the server in all
        full = upload(api, "offer", "p.csv", data, who="institute", **{"async": "true"})
        assert full.status_code == 503 and full.json()["detail"][0]["type"] == "import_queue_full"
        # small imports answered at once are not queued, so they still work
        assert upload(api, "offer", "p.csv", data, who="institute").status_code == 200
    finally:
        with api.app.state.database.session(write=True) as session:
            for job_id in fake:
                session.delete(session.get(ImportJobRow, job_id))
            session.commit()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_shutdown_and_restart_mark_unfinished_jobs_failed(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, hashing_model: Any
) -> None:
    url = database_url_for(backend, tmp_path, request)
    settings = make_settings(tmp_path, url, import_sync_rows=SYNC_ROWS)
    app = create_app(settings, model=hashing_model)
    tag = unique("stop")
    with TestClient(app) as client:
        api = Api(client, add_keys(client), backend)
        r = upload(
            api,
            "need",
            "s.csv",
            csv_rows(1000, tag, english=True).encode(),
            who="company",
            lang="vi",
        )
        job = r.json()
        deadline = time.time() + 120
        while api.get(f"/imports/{job['id']}", "company").json()["rows_done"] == 0:
            assert time.time() < deadline
            time.sleep(0.05)
    # the app shut down mid-job: it stopped after a batch and said so
    database = Database(url)
    try:
        with database.session() as session:
            stopped = session.get(ImportJobRow, job["id"])
            assert stopped is not None and stopped.state == "failed", stopped
            assert 0 < stopped.rows_done < 1000
            assert "Máy chủ đã dừng" in (stopped.error or "")
            assert f"{stopped.rows_done}/1000" in (stopped.error or "")
            # a job a crashed process left "running"
            crashed = ImportJobRow(
                kind="need",
                state="running",
                format="csv",
                lang="en",
                organization="Org A",
                role="company",
                rows_total=10,
                rows_done=4,
                created=4,
                updated=0,
                failed=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        with database.session(write=True) as session:
            session.add(crashed)
            session.commit()
    finally:
        database.dispose()
    with TestClient(create_app(settings, model=hashing_model)) as client:
        api = Api(client, add_keys(client), backend)
        after = api.get(f"/imports/{crashed.id}", "company").json()
        assert after["state"] == "failed" and after["finished_at"]
        assert after["error"].startswith(
            "The server stopped while this import was running (4 of 10"
        )
        # importing the file again completes it without duplicates
        again = upload(
            api, "need", "s.csv", csv_rows(1000, tag, english=True).encode(), who="company"
        )
        done = follow(api, again.json(), "company", timeout=300)
        assert done["state"] == "done" and done["created"] + done["updated"] == 1000
        assert done["updated"] == stopped.created + stopped.updated
        assert count_titles(api, tag) == 1000


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_sigkill_during_an_import_job(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url_for(backend, tmp_path, request)
    env = {
        "TECHMATCH_DATA_DIR": str(tmp_path / "data"),
        "TECHMATCH_DATABASE_URL": url,
        "TECHMATCH_MODEL": "hashing",
        "TECHMATCH_ADMIN_KEY": ADMIN_KEY,
        "TECHMATCH_IMPORT_SYNC_ROWS": str(SYNC_ROWS),
    }
    tag = unique("kill")
    data = csv_rows(1000, tag, english=True).encode()
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    server = ServerProcess(env, tmp_path / "server.log").start(timeout=240)
    try:
        r = httpx.post(
            f"{server.base}/api/v1/offers/import",
            files={"file": ("k.csv", data)},
            headers=headers,
            timeout=60,
        )
        assert r.status_code == 202, r.text
        status = f"{server.base}{r.json()['status_url']}"
        deadline = time.time() + 120
        while httpx.get(status, headers=headers).json()["rows_done"] == 0:
            assert time.time() < deadline
            time.sleep(0.05)
        server.kill()
        server = ServerProcess(env, tmp_path / "server.log").start(timeout=240)
        job = httpx.get(f"{server.base}{r.json()['status_url']}", headers=headers).json()
        assert job["state"] == "failed" and "The server stopped" in job["error"], job
        again = httpx.post(
            f"{server.base}/api/v1/offers/import",
            files={"file": ("k.csv", data)},
            headers=headers,
            timeout=60,
        ).json()
        status = f"{server.base}{again['status_url']}"
        deadline = time.time() + 300
        while (job := httpx.get(status, headers=headers).json())["state"] not in ("done", "failed"):
            assert time.time() < deadline
            time.sleep(0.2)
        assert job["state"] == "done" and job["created"] + job["updated"] == 1000
        listed = httpx.get(
            f"{server.base}/api/v1/offers", params={"q": tag, "limit": 1}, headers=headers
        ).json()
        assert listed["total"] == 1000
    finally:
        server.stop()
