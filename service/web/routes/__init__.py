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
| ``staff_postings`` | ``/postings/all`` (staff: every posting, with filters) |
| ``sessions`` | ``/sessions`` (list, create), ``/sessions/{id}`` (edit, close, participants) |
| ``sessions_schedule`` | ``…/pairs``, ``…/schedule`` (run, grid, publish), ``…/outcomes`` |
| ``participant`` | ``/my-sessions``, ``/my-sessions/{id}`` (register, meetings, ICS, outcome) |
| ``keys`` | ``/keys`` (admins: create with welcome sheets, revoke) |
| ``dashboard`` | ``/dashboard`` (organisers' charts) |
| ``ranking`` | ``/ranking`` (staff: the ranking in use, learn from decisions, reset, history) |
"""

from __future__ import annotations

from fastapi import APIRouter

from service.web.routes import (
    dashboard,
    keys,
    participant,
    posting_forms,
    postings,
    ranking,
    review,
    sessions,
    sessions_schedule,
    signin,
    staff_postings,
)

router = APIRouter(include_in_schema=False)
for module in (
    signin,
    review,
    staff_postings,
    postings,
    posting_forms,
    sessions,
    sessions_schedule,
    participant,
    keys,
    dashboard,
    ranking,
):
    router.include_router(module.router)
