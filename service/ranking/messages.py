"""What the ranking endpoints say in Vietnamese and English: the 409 for too few
decisions, and why a learned ranking was (not) switched on."""

from __future__ import annotations

from service.errors import Conflict
from service.matching import MIN_DECISIONS, MIN_NEEDS, Evaluation


class TooFewDecisions(Conflict):
    """Not enough usable decisions to learn from (never a fit on noise): the error item
    carries the counts and the minimums next to ``msg`` and ``msg_vi``."""

    error_type = "too_few_decisions"

    def __init__(self, decisions: int, needs: int, accepted: int, rejected: int) -> None:
        super().__init__(
            f"too few decisions to learn a ranking: {decisions} usable decisions on {needs} "
            f"needs ({accepted} accepted, {rejected} rejected); at least {MIN_DECISIONS} "
            f"decisions on {MIN_NEEDS} needs, some accepted and some rejected, are needed",
            (),
            f"chưa đủ quyết định để học cách xếp hạng: {decisions} quyết định dùng được trên "
            f"{needs} nhu cầu ({accepted} chấp nhận, {rejected} từ chối); cần ít nhất "
            f"{MIN_DECISIONS} quyết định trên {MIN_NEEDS} nhu cầu, có cả chấp nhận lẫn từ chối",
        )
        self.counts = {
            "decisions": decisions,
            "needs": needs,
            "accepted": accepted,
            "rejected": rejected,
            "min_decisions": MIN_DECISIONS,
            "min_needs": MIN_NEEDS,
        }

    def detail(self, lang: str = "en") -> list[dict[str, object]]:
        """The error item, with the Vietnamese message and the counts."""
        item = super().detail(lang)[0]
        item["msg_vi"] = self.msg_vi
        item.update(self.counts)
        return [item]


def reason_vi(evaluation: Evaluation) -> str:
    """Why the learned ranking was or was not switched on, in Vietnamese."""
    e = evaluation
    texts = {
        "switched": "tốt hơn trên các quyết định kiểm tra với biên độ đã công bố; đã bật",
        "gain_too_small": f"mức tăng nDCG@10 trung bình {e.gain:+.4f} thấp hơn mức cần +0,01",
        "gain_not_reliable": (
            f"mức tăng chưa chắc chắn: cận dưới một phía 90 % (bootstrap theo nhu cầu) là "
            f"{e.gain_lower:+.4f}, phải lớn hơn 0"
        ),
        "auc_lower": (
            f"AUC kiểm tra {e.learned.auc:.4f} thấp hơn cách xếp hạng hiện tại {e.current.auc:.4f}"
        ),
        "no_signal": (
            f"các quyết định không đủ tín hiệu: AUC {e.learned.auc:.4f}, cận dưới 95 % "
            f"{e.learned_auc_lower:.4f}, phải lớn hơn 0,5"
        ),
        "off_decisions": (
            f"các vị trí đầu của cách xếp hạng học được chỉ giữ {e.top_overlap:.0%} các vị trí "
            "đầu hiện tại của các nhu cầu đã duyệt (trung vị; cần ít nhất 33 %): nó sẽ đưa lên "
            "đầu những cặp chưa ai duyệt"
        ),
    }
    return texts.get(e.reason_code, e.reason)
