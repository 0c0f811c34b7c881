"""``Matcher.scores`` (the scheduler's scores): the cheap path gives the scores a full,
explained match gives, and leaves out pairs it cannot score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.db.engine import Database
from service.db.models import Base, PostingRow
from service.matching import Matcher, content_hash

TEXTS = [
    ("need", "Cảnh báo sớm bệnh tôm", "Phát hiện sớm bệnh tôm trong ao nuôi bằng cảm biến."),
    ("need", "Container yard software", "Optimise container stacking in the yard."),
    ("offer", "Cảm biến cảnh báo bệnh tôm", "Hệ thống cảm biến cảnh báo sớm bệnh tôm trong ao."),
    ("offer", "Container stacking optimiser", "Software that optimises container stacking."),
    ("offer", "Hull coating", "Antifouling coating for ship hulls."),
]


def start(tmp_path: Path, model: Any) -> Matcher:
    database = Database(f"sqlite:///{tmp_path}/scores.db")
    Base.metadata.create_all(database.engine)
    with database.session(write=True) as session:
        for n, (kind, title, description) in enumerate(TEXTS, start=1):
            row = PostingRow(
                id=n, kind=kind, title=title, description=description, language="",
                sector="aquaculture_fisheries" if n in (1, 3) else "ports_logistics",
                keywords=[], trl=5, status="draft" if n == 5 else "published",
                owner_org="t", search_text="", content_hash="",
            )  # fmt: skip
            row.language = "vi" if n in (1, 3) else "en"
            row.content_hash = content_hash(row)
            session.add(row)
        session.commit()
    matcher = Matcher(database, model.name, tmp_path / "index", model=model, save_delay=-1)
    matcher.start()
    return matcher


def test_scores_are_the_full_paths_and_unknown_pairs_are_left_out(
    tmp_path: Path, hashing_model: Any
) -> None:
    matcher = start(tmp_path, hashing_model)
    pairs = [(1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)]
    scores = matcher.scores([*pairs, (1, 99), (3, 1), (1, 2)])  # unknown, reversed, two needs
    assert set(scores) == set(pairs)  # the draft offer 5 is scored too
    assert scores[1, 3] > scores[1, 4] and scores[2, 4] > scores[2, 3]
    for need_id in (1, 2):  # the published offers, as the match list scores them
        listed = {(need_id, m.offer_id): m.score for m in matcher.matches(need_id)}
        assert set(listed) == {(need_id, 3), (need_id, 4)}
        assert listed == pytest.approx({k: scores[k] for k in listed}, abs=1e-6)
    assert matcher.scores([]) == {}
    matcher.close()
