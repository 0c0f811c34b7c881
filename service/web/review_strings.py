"""Strings of the review queue's cards and of the posting pages' decisions, ``(vi, en)``;
:mod:`service.web.i18n` adds them to its table."""

from __future__ import annotations

REVIEW_STRINGS: dict[str, tuple[str, str]] = {
    "postings.cutoff": (
        "Chỉ hiện các gợi ý nên gặp hoặc có điểm từ {score} trở lên; các cặp đã bị loại "
        "không bao giờ được gợi ý.",
        "Only suggestions that are recommended or score {score} or more; rejected pairs are "
        "never suggested.",
    ),
    "postings.decision": ("Quyết định của ban tổ chức", "Organisers' decision"),
}

REVIEW_STRINGS.update(
    {
        "review.position": ("Cặp {first}–{last} / {total}", "Pairs {first}–{last} of {total}"),
        "review.page_of": ("Trang {page} / {pages}", "Page {page} of {pages}"),
        "review.prev": ("← Trang trước", "← Previous page"),
        "review.next": ("Trang sau →", "Next page →"),
        "review.pages": ("Các trang", "Pages"),
        "review.progress": (
            "Đã quyết định {decided} / {pool} cặp",
            "{decided} of {pool} pairs decided",
        ),
        "review.saved_one": ("Đã ghi quyết định.", "Decision saved."),
        "review.conflict": (
            "Cặp này vừa được {org} quyết định ({decision}) sau khi bạn mở trang. "
            "Hãy xem lại rồi quyết định.",
            "{org} decided on this pair ({decision}) after you opened the page. "
            "Look again, then decide.",
        ),
        "review.conflicts": (
            "{n} cặp bị từ chối ghi vì đã có người khác quyết định.",
            "{n} pairs were not saved: someone else decided on them.",
        ),
        "review.keys_in_place": (
            "Quyết định được ghi ngay trên thẻ, không tải lại trang; con trỏ chuyển sang cặp kế "
            "tiếp.",
            "A decision is saved on its card without reloading the page; focus moves to the "
            "next pair.",
        ),
        "review.score_parts": ("Điểm gồm", "The score is made of"),
        "part.dense": ("Độ gần nghĩa", "Meaning similarity"),
        "part.dense.help": (
            "Hai văn bản nói về cùng một việc đến mức nào, theo mô hình ngôn ngữ (dùng được "
            "cả khi khác ngôn ngữ).",
            "How close the two texts are in meaning, by the language model (works across "
            "languages).",
        ),
        "part.lexical": ("Từ ngữ chung", "Shared wording"),
        "part.lexical.help": (
            "Bao nhiêu từ của nhu cầu xuất hiện trong công nghệ (BM25); chỉ có nghĩa khi hai "
            "bên cùng ngôn ngữ.",
            "How many of the need's words the offer uses (BM25); meaningful only when both are "
            "in the same language.",
        ),
        "part.field": ("Lĩnh vực và TRL", "Sector and TRL"),
        "part.field.help": (
            "Hai bên có cùng hoặc gần lĩnh vực không, và TRL của công nghệ có đạt mức nhu cầu "
            "chấp nhận không.",
            "Whether the sectors are the same or related, and whether the offer's TRL reaches "
            "what the need accepts.",
        ),
        "part.unused": (
            "không dùng cho cặp khác ngôn ngữ (thay bằng độ gần nghĩa)",
            "not used across languages (replaced by the meaning similarity)",
        ),
        "warn.trl_below": (
            "TRL {offer} thấp hơn TRL {need} nhu cầu chấp nhận",
            "Offer TRL {offer} below the TRL {need} the need accepts",
        ),
        "warn.sector": ("Khác lĩnh vực", "Sectors differ"),
        "review.warnings": ("Cảnh báo", "Warnings"),
    }
)
