"""``pair_states``: the reviews and interest marks of a queue's pairs, read by IN lists for
a few pairs and from the whole tables for a whole queue — the same answer (SQLite,
PostgreSQL)."""

from __future__ import annotations

from service.db.models import PairInterestRow, PairReviewRow
from service.reviews.lookups import WHOLE_TABLE_FROM, pair_states
from tests.service.conftest import Api


def test_whole_table_read_and_in_lists_agree(api: Api) -> None:
    database = api.app.state.database
    reviewed = [(n, o) for n in range(1, 41) for o in range(100, 110)]  # 400 reviews
    with database.session(write=True) as session:
        for n, o in reviewed:
            session.add(
                PairReviewRow(
                    need_id=n,
                    offer_id=o,
                    decision="accepted" if (n + o) % 3 else "rejected",
                    need_hash="a",
                    offer_hash="b",
                    reviewer_org="Fair",
                    reviewer_role="moderator",
                )
            )
        for n, o in reviewed[::7]:
            session.add(PairInterestRow(need_id=n, offer_id=o, need_interested=True))
        session.commit()
    # a queue: reviewed and unreviewed pairs, more than WHOLE_TABLE_FROM of them
    wanted = reviewed[::2] + [(n, 500 + n) for n in range(1, 200)]
    assert len(wanted) > WHOLE_TABLE_FROM
    with database.session() as session:
        reviews, marks = pair_states(session, wanted)
        assert set(reviews) == set(reviewed[::2])
        assert set(marks) == set(reviewed[::7]) & set(wanted)
        assert all(reviews[k].decision in ("accepted", "rejected") for k in reviews)
        # the same pairs asked in small groups (IN lists) give the same rows
        small_reviews: dict[tuple[int, int], PairReviewRow] = {}
        small_marks: dict[tuple[int, int], PairInterestRow] = {}
        for start in range(0, len(wanted), 50):
            r, m = pair_states(session, wanted[start : start + 50])
            small_reviews.update(r)
            small_marks.update(m)
        assert {k: v.decision for k, v in small_reviews.items()} == {
            k: v.decision for k, v in reviews.items()
        }
        assert set(small_marks) == set(marks)
