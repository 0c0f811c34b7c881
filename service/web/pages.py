"""What every page route shares: templates, language, the signed-in caller (``SignedInDep``),
the CSRF-checked form, errors and redirects."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.datastructures import FormData

from service.api.headers import SECURITY_HEADERS as HEADERS
from service.auth.roles import Principal
from service.errors import ServiceError
from service.web.i18n import LANG_COOKIE, pick_language, translator
from service.web.session import CSRF_FIELD, current_principal, get_session, save_session
from vocabulary import SECTORS

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

#: Autoescape is on for every template, whatever its file name.
ENVIRONMENT = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
TEMPLATES = Jinja2Templates(env=ENVIRONMENT)

#: Sent with every page (defined with the API so the printable agenda sends them too).
SECURITY_HEADERS = HEADERS


class WebError(Exception):
    """Answer with the error page: ``status`` and a message key of :mod:`i18n`."""

    def __init__(self, status: int, key: str, detail: str | None = None) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.detail = detail


class LoginRequired(Exception):
    """Nobody is signed in: go to the start page, then come back."""


def language(request: Request) -> str:
    """The page language: ``?lang=``, else the cookie, else Vietnamese."""
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def lang_url(request: Request, code: str) -> str:
    """The current page's URL in language ``code`` (other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", code))
    return f"{request.url.path}?{urlencode(params)}"


def sector_label(code: str | None, lang: str) -> str:
    """The sector's label in ``lang`` (the code when unknown, empty for none)."""
    if not code:
        return ""
    labels = SECTORS.get(code)
    return labels[lang] if labels else code


def require_principal(request: Request) -> Principal:
    """The signed-in principal (raises :class:`LoginRequired` otherwise)."""
    principal = current_principal(request)
    if principal is None:
        raise LoginRequired()
    return principal


def require_staff_page(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    """The signed-in caller, who must be a moderator or an admin (the 403 page otherwise)."""
    if not principal.is_staff:
        raise WebError(403, "error.403")
    return principal


#: The caller of a page: whoever signed in (else the page sends them to sign in first).
SignedInDep = Annotated[Principal, Depends(require_principal)]
#: The caller of a moderators' page.
SignedInStaffDep = Annotated[Principal, Depends(require_staff_page)]


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token (403 otherwise)."""
    form = await request.form()
    if not get_session(request).check_csrf(form.get(CSRF_FIELD)):
        raise WebError(403, "error.csrf")
    return form


def service_error(exc: ServiceError, lang: str = "en") -> WebError:
    """The error page of a refused service call (403, 404, else a generic title), with the
    message in ``lang`` where the service gave a Vietnamese one."""
    key = {403: "error.403", 404: "error.404"}.get(exc.status_code, "error.title")
    return WebError(exc.status_code, key, exc.message(lang))


def finish(request: Request, response: Response) -> Response:
    """Add the session cookie, the language cookie and the security headers."""
    save_session(request, response)
    lang = request.query_params.get("lang")
    if lang in ("vi", "en") and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, path="/", httponly=True, samesite="lax"
        )
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """Render ``template`` with the common context (language, user, CSRF token, flash)."""
    lang = language(request)
    session = get_session(request)
    flash = session.data.pop("flash", None)
    if flash is not None:
        session.dirty = True
    values: dict[str, Any] = {
        "lang": lang,
        "t": translator(lang),
        "user": current_principal(request),
        "csrf_token": session.csrf,
        "csrf_field": CSRF_FIELD,
        "lang_urls": {code: lang_url(request, code) for code in ("vi", "en")},
        "sector_label": lambda code: sector_label(code, lang),
        "sectors": [(code, labels[lang]) for code, labels in SECTORS.items()],
        "flash": flash,
    }
    values.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status)
    return finish(request, response)


def redirect(request: Request, url: str, flash: str | None = None) -> Response:
    """303 to ``url`` (a local path), optionally with a message for the next page."""
    if flash is not None:
        session = get_session(request)
        session.data["flash"] = flash
        session.dirty = True
    return finish(request, RedirectResponse(url, status_code=303))


def error_page(request: Request, exc: Exception) -> Response:
    """The HTML answer of :class:`WebError` and :class:`LoginRequired`."""
    if isinstance(exc, LoginRequired):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.method != "GET":
            target = "/"
        return redirect(request, "/?" + urlencode({"next": target}))
    assert isinstance(exc, WebError)
    return render(request, "error.html", {"message_key": exc.key, "detail": exc.detail}, exc.status)


def safe_next(value: object) -> str | None:
    """A local path to go back to after sign-in (``None`` for anything else)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 for c in value) or len(value) > 500:
        return None
    return value
