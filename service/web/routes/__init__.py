"""The page routes, one module per concern; ``router`` serves them all.

Pages call the same services as the JSON API, injected with the same dependencies
(:mod:`service.api.deps`); they never call the API over HTTP. Every POST form carries the
session's CSRF token (403 without it).

| module | pages |
|---|---|
| ``signin`` | ``/`` (start page), ``/signin``, ``/signout`` |
| ``review`` | ``/review`` (moderators' queue), ``/review/decide`` |
| ``postings`` | ``/postings``, ``/postings/{id}``, ``/postings/{id}/interest`` |
| ``posting_forms`` | ``/postings/new``, ``/postings/{id}/edit``, ``/postings/{id}/archive`` |
| ``dashboard`` | ``/dashboard`` (organisers' charts) |
"""

from __future__ import annotations

from fastapi import APIRouter

from service.web.routes import dashboard, posting_forms, postings, review, signin

router = APIRouter(include_in_schema=False)
for module in (signin, review, postings, posting_forms, dashboard):
    router.include_router(module.router)
