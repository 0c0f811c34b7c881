"""``GET /reviews`` and the audit log below the HTTP layer: pages against the unpaged
listing, the CSV export in the listing's order, counts per decision. A bare SQLite
database with postings written directly: no app, no index, no model."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from service.auth.roles import Principal, Role
from service.db.engine import Database
from service.db.migrate import upgrade
from service.db.models import PairReviewRow, PostingRow
from service.reviews import ReviewQuery, ReviewService
from service.schemas.reviews import ReviewIn

STAFF = Principal(role=Role.moderator, organization="Fair", key_id=None)
DECISIONS = ("accepted", "rejected", "maybe")
JANUARY = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _posting(kind: str, n: int) -> PostingRow:
    return PostingRow(
        kind=kind,
        title=f"{kind} {n}",
        description=f"{kind} number {n}",
        language="en",
        organization=f"Org {kind} {n}",
        owner_org=f"Org {kind} {n}",
        status="published",
        content_hash=f"hash-{kind}-{n}",
    )


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewService]:
    """15 reviewed pairs (5 needs × 3 offers), decisions cycling, three of them reviewed at
    the very same instant (so the tie-break by need id, then offer id, is exercised)."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('reviews') / 'reviews.db'}")
    upgrade(database)
    with database.session(write=True) as session:
        needs = [_posting("need", n) for n in range(5)]
        offers = [_posting("offer", n) for n in range(3)]
        session.add_all([*needs, *offers])
        session.commit()
        need_ids, offer_ids = [p.id for p in needs], [p.id for p in offers]
    service = ReviewService(database)
    for i, (need_id, offer_id) in enumerate((n, o) for n in need_ids for o in offer_ids):
        data = ReviewIn.model_validate({"decision": DECISIONS[i % 3], "note": f"note {i}"})
        service.review(STAFF, f"{need_id}-{offer_id}", data)
    with database.session(write=True) as session:
        for row in session.query(PairReviewRow).filter(PairReviewRow.offer_id == offer_ids[1]):
            if row.need_id in need_ids[1:4]:
                row.reviewed_at = JANUARY
        session.commit()
    yield service
    database.dispose()


def _ids(items: list[Any]) -> list[str]:
    return [item.pair_id for item in items]


@pytest.mark.parametrize("decision", [None, "accepted"])
def test_pages_put_together_are_the_unpaged_listing(
    reviews: ReviewService, decision: str | None
) -> None:
    everything, total = reviews.search(STAFF, ReviewQuery(decision=decision, limit=1000))
    assert total == len(everything) == (15 if decision is None else 5)
    stamps = [item.review.reviewed_at for item in everything]
    assert stamps == sorted(stamps, reverse=True)
    for limit in (1, 2, 4, 7):
        paged = []
        for offset in range(0, total + limit, limit):
            query = ReviewQuery(decision=decision, limit=limit, offset=offset)
            page, page_total = reviews.search(STAFF, query)
            assert page_total == total
            assert _ids(page) == _ids(everything)[offset : offset + limit], (limit, offset)
            paged += page
        assert _ids(paged) == _ids(everything)


def test_ties_are_broken_by_need_then_offer(reviews: ReviewService) -> None:
    everything, _ = reviews.search(STAFF, ReviewQuery(limit=1000))
    same = [i for i in everything if i.review.reviewed_at == JANUARY]
    assert len(same) == 3
    assert [(i.need_id, i.offer_id) for i in same] == sorted((i.need_id, i.offer_id) for i in same)
    assert _ids(everything)[-3:] == _ids(same)  # the oldest: reviewed "in January"


def test_csv_has_every_row_of_the_listing_in_its_order(reviews: ReviewService) -> None:
    everything, _ = reviews.search(STAFF, ReviewQuery(limit=1000))
    rows = list(csv.DictReader(io.StringIO(reviews.export_csv(ReviewQuery(limit=1)))))
    assert [r["pair_id"] for r in rows] == _ids(everything)
    assert [r["note"] for r in rows] == [i.review.note for i in everything]
    assert {r["changed_since_review"] for r in rows} == {"false"}
    assert {r["need_interested"] for r in rows} == {""}


def test_audit_pages_put_together_are_the_whole_log(reviews: ReviewService) -> None:
    everything, total = reviews.audit(limit=1000)
    assert total == len(everything) == 15
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    for limit in (2, 4):
        paged = []
        for offset in range(0, total, limit):
            page, page_total = reviews.audit(limit=limit, offset=offset)
            assert page_total == total
            paged += page
        assert [e.id for e in paged] == [e.id for e in everything]


def test_decision_counts_match_the_filtered_totals(reviews: ReviewService) -> None:
    counts = reviews.decision_counts()
    for decision in DECISIONS:
        _, total = reviews.search(STAFF, ReviewQuery(decision=decision, limit=1))
        assert counts[decision] == total == 5
