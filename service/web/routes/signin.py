"""The start page, signing in with an API key and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.api.deps import auth_limiter, client_address
from service.auth.ratelimit import TooManyFailures
from service.web.pages import checked_form, redirect, render, safe_next
from service.web.session import end_web_session, sign_in_with_key, start_web_session

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    """What techmatch is, and the sign-in form (or who is signed in)."""
    return render(request, "home.html", {"next": safe_next(request.query_params.get("next"))})


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    """Exchange an API key for a session cookie (429 after too many failed sign-ins)."""
    form = await checked_form(request)
    key = form.get("api_key")
    target = safe_next(form.get("next"))
    principal = None
    typed = key.strip() if isinstance(key, str) else ""
    limiter, address = auth_limiter(request), client_address(request)
    try:
        limiter.check(address, typed)
    except TooManyFailures as exc:
        context = {"next": target, "error": "signin.too_many"}
        response = render(request, "home.html", context, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if typed:
        principal = await run_in_threadpool(sign_in_with_key, request, typed)
    if principal is None:
        limiter.failed(address, typed)
        context = {"next": target, "error": "signin.bad_key"}
        return render(request, "home.html", context, status=401)
    await run_in_threadpool(start_web_session, request, principal)
    return redirect(request, target or ("/review" if principal.is_staff else "/postings"))


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    """End the session: its server-side record is deleted, so a copied cookie is dead too."""
    await checked_form(request)
    await run_in_threadpool(end_web_session, request)
    return redirect(request, "/")
