"""Strings of the ranking page ``/ranking`` (merged into :data:`i18n.STRINGS`)."""

from __future__ import annotations

RANKING_STRINGS: dict[str, tuple[str, str]] = {
    "nav.ranking": ("Xếp hạng", "Ranking"),
    "rank.title": ("Cách xếp hạng các cặp", "How pairs are ranked"),
    "rank.intro": (
        "techmatch xếp hạng các cặp bằng cách kết hợp có sẵn (ý nghĩa, từ ngữ chung, lĩnh vực, "
        "TRL, ngôn ngữ). Khi đã có đủ quyết định của điều phối viên, bạn có thể cho nó học từ "
        "các quyết định đó. Cách học được chỉ được bật khi nó tốt hơn trên các quyết định "
        "giữ lại để kiểm tra, theo mức đã công bố; nếu không, cách hiện tại được giữ nguyên.",
        "techmatch ranks pairs with its built-in combination (meaning, shared wording, sector, "
        "TRL, languages). Once moderators have made enough decisions, it can learn from them. "
        "A learned ranking is switched on only when it is better on decisions held out for "
        "checking, by the documented margin; otherwise the current one stays.",
    ),
    "rank.active": ("Đang dùng", "In use"),
    "rank.builtin": ("Cách kết hợp có sẵn", "The built-in combination"),
    "rank.builtin_since": (
        "Cách kết hợp có sẵn (từ {since}, khi được đặt lại)",
        "The built-in combination (since {since}, when it was reset)",
    ),
    "rank.learned": (
        "Học từ {decisions} quyết định trên {needs} nhu cầu (phiên bản {version}, từ {since})",
        "Learned from {decisions} decisions on {needs} needs (version {version}, since {since})",
    ),
    "rank.weights": ("Trọng số của cách học được", "Weights of the learned ranking"),
    "rank.part": ("Thành phần điểm", "Score part"),
    "rank.weight": ("Trọng số", "Weight"),
    "rank.decisions_now": ("Quyết định hiện có", "Decisions so far"),
    "rank.decisions_count": (
        "{decisions} quyết định dùng được ({accepted} chấp nhận, {rejected} từ chối) "
        "trên {needs} nhu cầu.",
        "{decisions} usable decisions ({accepted} accepted, {rejected} rejected) on {needs} needs.",
    ),
    "rank.decisions_help": (
        "Cần ít nhất {min_decisions} quyết định trên {min_needs} nhu cầu, có cả chấp nhận "
        "lẫn từ chối. Không tính: cặp “để sau”, từ chối vì trùng tin hoặc đã liên hệ, cặp có "
        "tin đã sửa sau khi duyệt.",
        "At least {min_decisions} decisions on {min_needs} needs are needed, some accepted "
        "and some rejected. Left out: “maybe” pairs, rejections as a duplicate or an existing "
        "contact, pairs whose postings changed after the decision.",
    ),
    "rank.learn": ("Học từ các quyết định", "Learn from the decisions"),
    "rank.learn_help": (
        "Mất vài giây. Mỗi lần học đều được lưu lại, kể cả khi không được bật.",
        "Takes a few seconds. Every attempt is kept, also when it is not switched on.",
    ),
    "rank.reset": ("Quay về cách có sẵn", "Back to the built-in ranking"),
    "rank.reset_help": (
        "Mọi tiến trình máy chủ sẽ dùng lại cách kết hợp có sẵn.",
        "Every server process goes back to the built-in combination.",
    ),
    "rank.switched": (
        "Đã bật cách xếp hạng học được (phiên bản {version}).",
        "The learned ranking is switched on (version {version}).",
    ),
    "rank.not_switched": (
        "Chưa bật cách học được (lần thử {version}): {reason}.",
        "The learned ranking was not switched on (attempt {version}): {reason}.",
    ),
    "rank.reset_done": (
        "Đã quay về cách kết hợp có sẵn.",
        "Back to the built-in combination.",
    ),
    "rank.attempt": ("Lần thử {version}", "Attempt {version}"),
    "rank.result_on": ("Đã bật", "Switched on"),
    "rank.result_off": ("Không bật", "Not switched on"),
    "rank.figure": ("Chỉ số (trên quyết định giữ lại)", "Figure (on held-out decisions)"),
    "rank.current": ("Cách đang dùng lúc đó", "Ranking in use then"),
    "rank.learned_col": ("Cách học được", "Learned ranking"),
    "rank.ndcg": ("nDCG@10 (các cặp được chấp nhận lên đầu)", "nDCG@10 (accepted pairs on top)"),
    "rank.auc": ("AUC (chấp nhận xếp trên từ chối)", "AUC (accepted above rejected)"),
    "rank.gain": (
        "Mức tăng nDCG@10: {gain} (khoảng 90 %: {lower} … {upper}; cần ≥ +0,01 và cận dưới > 0)",
        "nDCG@10 gain: {gain} (90 % interval {lower} … {upper}; needs ≥ +0.01 and a lower "
        "bound > 0)",
    ),
    "rank.used": (
        "Dùng {decisions} quyết định ({accepted} chấp nhận, {rejected} từ chối) trên {needs} "
        "nhu cầu.",
        "Used {decisions} decisions ({accepted} accepted, {rejected} rejected) on {needs} needs.",
    ),
    "rank.history": ("Lịch sử", "History"),
    "rank.none": ("Chưa có lần học hay đặt lại nào.", "No attempt or reset yet."),
    "rank.col_version": ("#", "#"),
    "rank.col_action": ("Việc", "Action"),
    "rank.col_result": ("Kết quả", "Result"),
    "rank.col_ndcg": ("nDCG@10 trước → học được", "nDCG@10 before → learned"),
    "rank.col_who": ("Người làm", "By"),
    "rank.col_when": ("Lúc", "When"),
    "rank.action.learn": ("học", "learn"),
    "rank.action.reset": ("đặt lại", "reset"),
    "rank.in_use": ("đang dùng", "in use"),
    "rank.details": ("Xem chi tiết", "Details"),
    "rank.part.fusion": ("điểm kết hợp có sẵn", "built-in score"),
    "rank.part.dense": ("ý nghĩa", "meaning"),
    "rank.part.dense_z": ("ý nghĩa (chuẩn hóa)", "meaning (normalised)"),
    "rank.part.lexical": ("từ ngữ chung", "shared wording"),
    "rank.part.lexical_used": ("từ ngữ chung (đã dùng)", "shared wording (as used)"),
    "rank.part.sector_known": ("có lĩnh vực", "sector given"),
    "rank.part.trl_known": ("có TRL", "TRL given"),
    "rank.part.field": ("khớp trường", "field agreement"),
    "rank.part.sector": ("lĩnh vực", "sector"),
    "rank.part.trl": ("TRL", "TRL"),
    "rank.part.cross_lingual": ("khác ngôn ngữ", "across languages"),
    "rank.part.offer_z": ("mức nổi bật của tin chào bán", "offer's standing"),
    "rank.part.concept": ("khái niệm chung (bảng thuật ngữ)", "shared concepts (glossary)"),
    "rank.part.concept_cross": (
        "khái niệm chung khác ngôn ngữ",
        "shared concepts across languages",
    ),
    "rank.part.reciprocal": ("tương hỗ", "reciprocity"),
    "rank.part.offer_accept": (
        "tỷ lệ chấp nhận của tin chào bán",
        "offer's acceptance rate",
    ),
    "rank.part.offer_rejects": ("số lần tin chào bán bị từ chối", "offer's rejections"),
}
