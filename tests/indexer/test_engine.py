"""MatchEngine round trips: add, update, delete, filters, save and load, reasons.

These use the tiny ``hashing`` embedder: the point here is the bookkeeping, not
the model (the real model is exercised in test_engine_e5.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from indexer.engine import EngineConfig, IndexLoadError, MatchEngine, UnknownPosting
from indexer.postings import Filters, Posting
from models import load_model


@pytest.fixture(scope="module")
def model():
    return load_model("hashing")


def postings() -> list[Posting]:
    return [
        Posting(
            1,
            "need",
            "Cảnh báo sớm bệnh tôm",
            "Phát hiện sớm bệnh tôm trong ao nuôi bằng cảm biến.",
            ("tôm", "cảm biến"),
            "aquaculture_fisheries",
            5,
        ),
        Posting(
            2,
            "need",
            "Container yard software",
            "Optimise container stacking in the yard.",
            ("container",),
            "ports_logistics",
            6,
        ),
        Posting(
            101,
            "offer",
            "Cảm biến cảnh báo bệnh tôm",
            "Hệ thống cảm biến cảnh báo sớm bệnh tôm trong ao.",
            ("tôm",),
            "aquaculture_fisheries",
            7,
        ),
        Posting(
            102,
            "offer",
            "Container stacking optimiser",
            "Software that optimises container stacking in yards.",
            ("container", "yard"),
            "ports_logistics",
            4,
        ),
        Posting(
            103,
            "offer",
            "Hull coating",
            "Antifouling coating for ship hulls.",
            (),
            "shipbuilding_marine",
            8,
            status="draft",
        ),
    ]


def make(model) -> MatchEngine:
    engine = MatchEngine(model)
    engine.upsert(postings())
    return engine


def test_add_detects_language_and_ranks_the_obvious_offer_first(model):
    engine = make(model)
    assert len(engine) == 5 and engine.get(1).language == "vi" and engine.get(2).language == "en"
    assert engine.match(1)[0].offer_id == 101
    assert engine.match(2)[0].offer_id == 102
    assert engine.match(101)[0].need_id == 1  # offers get needs


def test_scores_are_in_unit_interval_and_sorted(model):
    engine = make(model)
    for pid in (1, 2, 101, 102):
        scores = [m.score for m in engine.match(pid)]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)


def test_pair_has_one_score_from_either_side(model):
    engine = make(model)
    from_need = {m.offer_id: m.score for m in engine.match(1)}
    from_offer = {m.need_id: m.score for m in engine.match(101)}
    assert from_need[101] == pytest.approx(from_offer[1])


def test_drafts_are_not_offered_unless_filters_allow(model):
    engine = make(model)
    assert 103 not in {m.offer_id for m in engine.match(2, limit=10)}
    everything = Filters(statuses=None)
    assert 103 in {m.offer_id for m in engine.match(2, limit=10, filters=everything)}


def test_filters_by_sector_and_language(model):
    engine = make(model)
    only_ports = engine.match(1, filters=Filters(sectors=frozenset({"ports_logistics"})))
    assert [m.offer_id for m in only_ports] == [102]
    only_vi = engine.match(2, filters=Filters(languages=frozenset({"vi"})))
    assert {m.offer_id for m in only_vi} == {101}


def test_update_changes_text_and_reembeds_only_that_posting(model):
    engine = make(model)
    before = engine.embedded_count
    engine.upsert(postings())  # unchanged: nothing embedded again
    assert engine.embedded_count == before
    changed = Posting(
        102,
        "offer",
        "Cảm biến ao tôm",
        "Cảm biến cảnh báo bệnh tôm, ao nuôi.",
        ("tôm",),
        "aquaculture_fisheries",
        7,
    )
    engine.upsert([changed])
    assert engine.embedded_count == before + 1
    assert engine.get(102).language == "vi"
    assert 102 in [m.offer_id for m in engine.match(1)[:2]]
    assert len(engine) == 5


def test_status_change_without_text_change_is_applied(model):
    engine = make(model)
    before = engine.embedded_count
    published = Posting(
        103,
        "offer",
        "Hull coating",
        "Antifouling coating for ship hulls.",
        (),
        "shipbuilding_marine",
        8,
        status="published",
    )
    engine.upsert([published])
    assert engine.embedded_count == before
    assert 103 in {m.offer_id for m in engine.match(2, limit=10)}


def test_delete_removes_everywhere_and_ignores_unknown_ids(model):
    engine = make(model)
    engine.delete([101, 999])
    assert 101 not in engine and len(engine) == 4
    assert 101 not in {m.offer_id for m in engine.match(1, limit=10)}
    with pytest.raises(UnknownPosting) as raised:
        engine.match(101)
    assert raised.value.posting_id == 101 and not isinstance(raised.value, KeyError)
    info = engine.info()
    assert info.postings == info.dense == info.lexical == {"need": 2, "offer": 2}


def test_save_and_load_round_trip(model, tmp_path):
    engine = make(model)
    engine.delete([2])
    path = engine.save(tmp_path)
    assert path.exists() and not list(tmp_path.glob(".index-*"))
    loaded = MatchEngine.load(tmp_path, model)
    assert loaded.ids() == engine.ids()
    assert loaded.content_hashes() == engine.content_hashes()
    for pid in (1, 101, 102):
        a = [(m.pair_id, round(m.score, 6), m.reasons.to_dict()) for m in engine.match(pid)]
        b = [(m.pair_id, round(m.score, 6), m.reasons.to_dict()) for m in loaded.match(pid)]
        assert a == b
    loaded.upsert(
        [Posting(3, "need", "Ship hull paint", "Need antifouling paint.", (), None, None)]
    )
    assert 3 in loaded and loaded.embedded_count == 1


def test_load_refuses_missing_corrupt_or_other_model(model, tmp_path):
    with pytest.raises(IndexLoadError):
        MatchEngine.load(tmp_path, model)
    make(model).save(tmp_path)
    other = load_model("hashing")
    other.name = "another-model"
    with pytest.raises(IndexLoadError, match="another-model"):
        MatchEngine.load(tmp_path, other)
    (tmp_path / "index.npz").write_bytes(b"not an index")
    with pytest.raises(IndexLoadError):
        MatchEngine.load(tmp_path, model)


def test_load_refuses_an_index_built_with_another_backend(model, tmp_path):
    engine = MatchEngine(load_model("hashing"))
    engine.model.backend = "torch"  # type: ignore[attr-defined]
    engine.upsert(postings())
    engine.save(tmp_path)
    same = load_model("hashing")
    same.backend = "torch"  # type: ignore[attr-defined]
    assert len(MatchEngine.load(tmp_path, same)) == len(engine)
    quantized = load_model("hashing")
    quantized.backend = "onnx-int8"  # type: ignore[attr-defined]
    with pytest.raises(IndexLoadError, match="'torch' backend"):
        MatchEngine.load(tmp_path, quantized)


def test_rebuild_from_scratch_gives_the_same_rankings(model):
    engine = make(model)
    fresh = MatchEngine(model)
    fresh.rebuild(postings())
    assert [m.pair_id for m in engine.match(1)] == [m.pair_id for m in fresh.match(1)]


def test_pairs_respect_caps_and_exclusions(model):
    engine = make(model)
    pairs = engine.pairs(per_need=1, per_offer=1)
    assert len({p.need_id for p in pairs}) == len(pairs) == len({p.offer_id for p in pairs})
    top = pairs[0]
    again = engine.pairs(per_need=1, per_offer=1, exclude=[(top.need_id, top.offer_id)])
    assert top.pair_id not in {p.pair_id for p in again}
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_reasons_name_shared_terms_and_field_disagreements(model):
    engine = make(model)
    match = engine.explain(2, 102)
    reasons = match.reasons
    assert "container stacking" in reasons.shared_terms  # whole phrases (issue 11)
    assert any("TRL 4 below the TRL 6" in d for d in reasons.disagreements)
    assert any("same sector" in a for a in reasons.agreements)
    assert reasons.aligned_sentences and reasons.language_pair == "en-en"
    cross = engine.explain(1, 102).reasons
    assert any("sector differs" in d for d in cross.disagreements)
    assert set(match.components) >= {"dense", "lexical", "sector", "trl"}


def test_vectors_are_unit_length_after_correction(model):
    engine = make(model)
    vectors = engine.corrected_vectors([1, 2, 101, 102])
    # unit length at the vector index's float16 precision (indexer.ann.to_index_precision)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=2e-3)


def test_matches_stay_correct_while_bm25_is_rebuilt_in_the_background(model, held_bm25_builds):
    config = EngineConfig(lexical_background_above=1)
    engine = MatchEngine(model, config)
    engine.upsert(postings())
    engine.match(1)
    gone = next(m.offer_id for m in engine.match(1))
    engine.delete([gone])  # the BM25 build in use still holds this offer
    assert engine.info().lexical_stale["offer"]
    version = engine.info().lexical_version["offer"]
    assert gone not in {m.offer_id for m in engine.match(1)}
    assert engine.info().lexical_stale["offer"]  # that match was answered by the old BM25 build
    held_bm25_builds.set()
    engine.wait_for_background(timeout=30)
    assert not engine.info().lexical_stale["offer"]
    assert engine.info().lexical_version["offer"] == version + 1
    fresh = MatchEngine(model)  # rebuilt synchronously
    fresh.upsert([p for p in postings() if p.id != gone])
    assert [m.pair_id for m in engine.match(1)] == [m.pair_id for m in fresh.match(1)]


def test_info_reports_sizes_refit_state_and_bm25_builds(model):
    engine = MatchEngine(model)
    empty = engine.info()
    assert empty.size == 0 and empty.bias_fitted_on == 0 and not engine.refit_due()
    engine.upsert(postings())
    info = engine.info()
    assert info.postings == info.dense == info.lexical == {"need": 2, "offer": 3}
    assert info.bias_fitted_on == 5 and not engine.refit_due()  # small pools refit at once
    assert info.reference_sizes == {"need:*": 2, "offer:*": 3}
    assert info.embedded_count == 5 and info.term_vectors > 0
    assert info.lexical_stale == {"need": True, "offer": True}  # built at the next read
    engine.match(1)
    after = engine.info()
    assert not after.lexical_stale["offer"] and after.lexical_version["offer"] == 1
    assert after.approximate == {"need": False, "offer": False}
