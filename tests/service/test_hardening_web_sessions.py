"""Issue 13, web sessions: sign-out, key revocation and a restart with another admin key
end the server-side session, so a copied cookie no longer opens /review nor decides."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.auth.keys import create_key, revoke_key
from service.auth.roles import Role
from service.db.models import PairReviewLogRow, WebSessionRow
from service.main import create_app
from tests.service.conftest import Api, make_settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE = "techmatch_session"


def use(client: TestClient, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie)


def csrf(client: TestClient, path: str, cookie: str | None = None) -> str:
    if cookie:
        use(client, cookie)
    found = CSRF.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in with ``key``; the session cookie's value."""
    client.cookies.clear()
    token = csrf(client, "/")
    r = client.post("/signin", data={"csrf_token": token, "api_key": key}, follow_redirects=False)
    assert r.status_code == 303, r.text
    value = r.cookies.get(COOKIE)
    assert value
    return value


def opens_review(client: TestClient, cookie: str) -> bool:
    use(client, cookie)
    r = client.get("/review", follow_redirects=False)
    return r.status_code == 200


def audit_count(api: Api) -> int:
    with api.app.state.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(PairReviewLogRow)) or 0)


def test_a_copied_cookie_dies_with_sign_out(api: Api) -> None:
    client = api.client
    need = api.create("need", who="moderator")["id"]
    offer = api.create("offer", who="moderator")["id"]
    cookie = sign_in(client, api.keys["moderator"])
    assert opens_review(client, cookie)
    token = csrf(client, "/review", cookie)
    use(client, cookie)
    r = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert not opens_review(client, cookie)
    before = audit_count(api)
    use(client, cookie)
    r = client.post(
        "/review/decide",
        data={"csrf_token": token, "pair_id": f"{need}-{offer}", "decision": "accepted"},
        follow_redirects=False,
    )
    assert r.status_code in (303, 401, 403) and "/review" not in r.headers.get("location", "/")
    assert audit_count(api) == before
    assert api.get(f"/reviews?need_id={need}", "moderator").json()["items"] == []


def test_a_live_cookie_still_decides(api: Api) -> None:
    client = api.client
    need = api.create("need", who="moderator")["id"]
    offer = api.create("offer", who="moderator")["id"]
    cookie = sign_in(client, api.keys["moderator"])
    token = csrf(client, "/review", cookie)
    use(client, cookie)
    r = client.post(
        "/review/decide",
        data={"csrf_token": token, "pair_id": f"{need}-{offer}", "decision": "accepted"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/review")
    items = api.get(f"/reviews?need_id={need}", "moderator").json()["items"]
    assert [i["review"]["decision"] for i in items] == ["accepted"]


def test_revoking_the_key_ends_its_sessions(api: Api) -> None:
    with api.app.state.database.session(write=True) as session:
        new = create_key(session, Role.moderator, "Fair", name="to revoke")
    cookie = sign_in(api.client, new.secret)
    assert opens_review(api.client, cookie)
    with api.app.state.database.session(write=True) as session:
        assert session.scalar(
            select(func.count())
            .select_from(WebSessionRow)
            .where(WebSessionRow.key_id == new.row.id)
        )
        revoke_key(session, new.row.id)
        assert not session.scalar(
            select(func.count())
            .select_from(WebSessionRow)
            .where(WebSessionRow.key_id == new.row.id)
        )
    assert not opens_review(api.client, cookie)


def test_an_admin_cookie_does_not_survive_another_admin_key(
    backend_url: str, tmp_path: Path, hashing_model: Any
) -> None:
    def app(admin_key: str) -> Any:
        settings = make_settings(tmp_path, backend_url, admin_key=admin_key, secret_key="s" * 40)
        return create_app(settings, model=hashing_model)

    with TestClient(app("first-admin-key-000000")) as client:
        cookie = sign_in(client, "first-admin-key-000000")
        assert opens_review(client, cookie)
    with TestClient(app("first-admin-key-000000")) as client:
        assert opens_review(client, cookie)  # same key: a restart keeps the session
    with TestClient(app("other-admin-key-111111")) as client:
        assert not opens_review(client, cookie)
        fresh = sign_in(client, "other-admin-key-111111")
        assert opens_review(client, fresh)


def test_an_old_style_cookie_is_not_signed_in(api: Api) -> None:
    from itsdangerous import URLSafeTimedSerializer

    from service.web.session import SALT, load_secret

    serializer = URLSafeTimedSerializer(load_secret(api.app.state.settings), salt=SALT)
    forged = serializer.dumps({"csrf": "x" * 20, "kid": None, "admin": True})
    assert not opens_review(api.client, forged)
