"""``/docs`` and ``/redoc`` work without internet: their pages name no outside address and,
in headless Chromium with every request to another host aborted, Swagger UI shows the
operations and ReDoc renders the reference."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.servers import ThreadServer
from tests.web.conftest import Web, web_settings

CHROMIUM = Path(os.environ.get("TECHMATCH_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: ReDoc's "API docs by Redocly" logo: the bundle asks for it and hides it when it fails.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_outside(web: Web, path: str) -> None:
    page = web.client.get(path)
    assert page.status_code == 200
    assert "/static-docs/" in page.text
    assert not OUTSIDE.search(page.text), page.text
    assert "cdn.jsdelivr" not in page.text and "fonts.googleapis" not in page.text


@pytest.mark.parametrize("asset", ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"])
def test_docs_assets_are_served_by_the_app(web: Web, asset: str) -> None:
    answer = web.client.get(f"/static-docs/{asset}")
    assert answer.status_code == 200
    assert len(answer.content) > 100_000


def test_fastapis_cdn_pages_are_gone(web: Web) -> None:
    assert web.client.get("/docs/oauth2-redirect").status_code == 200
    spec = web.client.get("/openapi.json").json()
    assert "/api/v1/needs" in spec["paths"]
    assert "/docs" not in spec["paths"] and "/redoc" not in spec["paths"]


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory, web_model: Any) -> Iterator[str]:
    """uvicorn on 127.0.0.1 over an empty app; its base URL."""
    app = create_app(web_settings(tmp_path_factory.mktemp("docs")), model=web_model)
    with TestClient(app), ThreadServer(app) as server:
        yield server.base


@pytest.fixture
def offline_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[str]]]:
    """A headless Chromium tab whose requests to any host but 127.0.0.1 are aborted, and
    the list of those aborted requests."""
    if not CHROMIUM.exists() and not os.environ.get("TECHMATCH_REQUIRE_BROWSER"):
        pytest.skip(f"headless Chromium not found at {CHROMIUM}")
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-docs")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            context.route("**/*", only_local)
            page = context.new_page()
            yield page, blocked
        finally:
            context.close()


@pytest.mark.browser
def test_swagger_ui_shows_the_operations_offline(
    docs_site: str, offline_page: tuple[Any, list[str]]
) -> None:
    page, blocked = offline_page
    page.goto(f"{docs_site}/docs")
    block = page.locator(".opblock", has=page.locator("[data-path='/api/v1/needs']")).first
    block.wait_for(state="visible", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    assert "techmatch" in page.inner_text(".info .title")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
    assert blocked == []


@pytest.mark.browser
def test_redoc_renders_offline(docs_site: str, offline_page: tuple[Any, list[str]]) -> None:
    page, blocked = offline_page
    page.goto(f"{docs_site}/redoc")
    page.locator("h1", has_text="techmatch").first.wait_for(state="visible", timeout=60_000)
    operations = page.locator("[data-section-id^='tag/']")
    assert operations.count() >= 5
    assert page.get_by_text("/api/v1/needs").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
    assert set(blocked) <= {REDOC_LOGO}
    assert page.locator("img[alt='redocly logo']").count() == 0  # hidden after the abort
