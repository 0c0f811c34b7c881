"""Server-rendered web pages (Jinja2, a little plain JavaScript) on the same FastAPI app.

``install_web(app)`` adds the page routes, ``/static`` and the HTML error pages.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.web.imports import router as imports_router
from service.web.pages import STATIC_DIR, LoginRequired, WebError, error_page
from service.web.routes import router
from service.web.session import current_principal


def install_web(app: FastAPI) -> None:
    """Serve the web pages from ``app``."""
    app.include_router(router)
    app.state.cookie_principal = current_principal  # the printable agenda accepts the cookie
    app.include_router(imports_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="web-static")
    app.add_exception_handler(WebError, error_page)  # type: ignore[arg-type]
    app.add_exception_handler(LoginRequired, error_page)  # type: ignore[arg-type]
