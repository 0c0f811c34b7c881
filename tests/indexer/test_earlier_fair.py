"""The "earlier fair" split of the dev set (benchmarks/earlier_fair.py): no second-round
posting or judgement reaches a fusion fitted on the first round, and the other way round."""

from benchmarks.earlier_fair import fair_needs, first_round, second_round
from indexer.evaluation.devset import load_devset


def test_first_round_holds_only_first_round_postings_and_judgements() -> None:
    devset = load_devset()
    first = first_round(devset)
    assert {n.id for n in first.needs} == set(range(1, 56))
    assert {o.id for o in first.offers} == set(range(1001, 1101))
    judged_offers = {o for grades in first.qrels.values() for o in grades}
    assert judged_offers and max(judged_offers) <= 1100
    # the second round judged some old needs against new offers: those rows are left out
    assert any(o > 1100 for n in range(1, 56) for o in devset.qrels.get(n, {}))


def test_the_fair_is_the_other_round() -> None:
    devset = load_devset()
    assert fair_needs(devset, 1) == list(range(56, 102))
    assert fair_needs(devset, 2) == list(range(1, 56))
    second = second_round(devset)
    assert [n.id for n in second.needs] == list(range(56, 102))
    assert len(second.offers) == len(devset.offers)
