"""The organisers' dashboard ``/dashboard`` (moderators, admins): the numbers of
:mod:`service.dashboard` drawn as inline SVG charts (:mod:`service.web.charts`), each with
its data table in a ``<details>`` beside it. ``?session=ID`` picks the session of the
fairness chart and the funnel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from markupsafe import Markup

from service.api.deps import DatabaseDep, RankedPairsDep, ReviewsDep, SessionsDep
from service.dashboard import LANGUAGES, Dashboard, build_dashboard
from service.web import charts
from service.web.i18n import translate
from service.web.pages import SignedInStaffDep, language, render, sector_label

router = APIRouter(include_in_schema=False)

#: Bins of the score histogram over [0, 1].
SCORE_BINS = 20
REVIEW_PARTS = ("accepted", "rejected", "maybe", "unreviewed")
#: Their colours: accepted green, rejected red, maybe amber, unreviewed grey.
REVIEW_COLOURS = ("#1d7a3a", "#b3261e", "#e08a00", "#9aa5b3")


def _session_param(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def draw(board: Dashboard, lang: str) -> dict[str, Markup]:
    """The dashboard's charts in ``lang``, by name."""

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    series = [*LANGUAGES]
    if any(s.language("other") for s in board.sectors):
        series.append("other")
    bars = [
        charts.Bar(
            sector_label(s.sector, lang) or t("dash.no_sector"),
            tuple(float(s.language(code)) for code in series),
        )
        for s in board.sectors
    ]
    out = {
        "sectors": charts.bar_chart(
            bars,
            [t(f"dash.lang.{code}") for code in series],
            title=t("dash.sectors"),
            desc=t("dash.sectors_desc", n=sum(s.total for s in board.sectors), k=len(bars)),
            chart_id="chart-sectors",
            label_width=190,
        ),
        "scores": charts.histogram(
            board.scores,
            bins=SCORE_BINS,
            threshold=board.threshold,
            threshold_label=t("dash.threshold", value=f"{board.threshold:.2f}"),
            title=t("dash.scores"),
            desc=t(
                "dash.scores_desc",
                n=len(board.scores),
                above=sum(1 for s in board.scores if s >= board.threshold),
                threshold=f"{board.threshold:.2f}",
            ),
            chart_id="chart-scores",
        ),
        "review": charts.bar_chart(
            [
                charts.Bar(
                    t("dash.review_bar"),
                    tuple(float(getattr(board.review, part)) for part in REVIEW_PARTS),
                )
            ],
            [f"{t('status.' + part)} ({getattr(board.review, part)})" for part in REVIEW_PARTS],
            title=t("dash.review"),
            desc=t(
                "dash.review_desc",
                accepted=board.review.accepted,
                rejected=board.review.rejected,
                undecided=board.review.undecided,
                percent=board.review.done_percent,
            ),
            chart_id="chart-review",
            label_width=90,
            colours=REVIEW_COLOURS,
            bar_height=28,
        ),
        "funnel": charts.funnel(
            [(t(f"dash.stage.{name}"), count) for name, count in board.funnel.stages()],
            title=t("dash.funnel"),
            desc=", ".join(
                f"{t(f'dash.stage.{name}')}: {count}" for name, count in board.funnel.stages()
            ),
            chart_id="chart-funnel",
        ),
    }
    if board.fairness is not None:
        cap = board.fairness.session.max_meetings_per_participant
        spread = board.fairness.distribution()
        out["fairness"] = charts.column_chart(
            [(str(n), float(count)) for n, count in spread],
            title=t("dash.fairness", name=board.fairness.session.name),
            desc=t(
                "dash.fairness_desc",
                n=len(board.fairness.participants),
                none=board.fairness.without_meeting,
                cap=cap,
            ),
            chart_id="chart-fairness",
            marked=str(cap),
            marked_label=t("dash.cap"),
        )
    return out


@router.get("/dashboard")
def dashboard(
    request: Request,
    principal: SignedInStaffDep,
    database: DatabaseDep,
    ranked: RankedPairsDep,
    reviews: ReviewsDep,
    sessions: SessionsDep,
) -> Response:
    """The organisers' dashboard page."""
    lang = language(request)
    board = build_dashboard(
        database,
        ranked,
        reviews,
        sessions,
        principal,
        _session_param(request.query_params.get("session")),
    )
    bins = charts.histogram_counts(board.scores, SCORE_BINS, 0.0, 1.0)
    context: dict[str, Any] = {
        "board": board,
        "charts": draw(board, lang),
        "languages": LANGUAGES,
        "score_bins": [
            (i / SCORE_BINS, (i + 1) / SCORE_BINS, count) for i, count in enumerate(bins)
        ],
        "review_parts": REVIEW_PARTS,
    }
    return render(request, "dashboard.html", context)
