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
