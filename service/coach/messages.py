"""The coach's messages, in Vietnamese and English, one template per hint code."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "offer_trl": {
        "vi": "Chưa ghi mức sẵn sàng công nghệ (TRL 1–9). Bên cần thường lọc theo TRL; "
        "hãy chọn mức công nghệ đã đạt được.",
        "en": "No technology readiness level (TRL 1–9) yet. Companies filter by TRL; "
        "pick the level the technology has reached.",
    },
    "offer_ip_status": {
        "vi": "Chưa ghi tình trạng sở hữu trí tuệ (bằng sáng chế, giải pháp hữu ích, bí quyết…). "
        "Bên cần muốn biết họ có thể nhận chuyển giao những gì.",
        "en": "No IP status yet (patent, utility solution, know-how…). "
        "Companies want to know what they can acquire.",
    },
    "offer_transfer_mode": {
        "vi": "Chưa chọn hình thức chuyển giao (li-xăng, bán, cùng phát triển, tư vấn…). "
        "Hãy nói rõ bạn sẵn sàng chuyển giao theo cách nào.",
        "en": "No transfer mode yet (licence, sale, joint development, consulting…). "
        "Say how you are ready to hand the technology over.",
    },
    "need_quantity": {
        "vi": "Mô tả chưa có quy mô hay số lượng (ví dụ: 5 tấn/ngày, 2 dây chuyền, 300 ha). "
        "Bên cung cấp cần biết quy mô để biết giải pháp có vừa không.",
        "en": "The description gives no scale or quantity (e.g. 5 tonnes a day, 2 lines, "
        "300 ha). Providers need the scale to judge whether their solution fits.",
    },
    "need_place": {
        "vi": "Chưa ghi địa điểm triển khai. Hãy điền tỉnh/thành phố (hoặc khu công nghiệp) "
        "để bên cung cấp biết có hỗ trợ tại chỗ được không.",
        "en": "No place of deployment yet. Fill in the province or city (or industrial "
        "park) so providers know whether they can support you on site.",
    },
    "need_budget": {
        "vi": "Mô tả chưa nêu ngân sách hay khoảng kinh phí (ví dụ: dưới 2 tỷ đồng). "
        "Một khoảng ước lượng giúp loại sớm các giải pháp quá đắt.",
        "en": "The description names no budget or cost range (e.g. under USD 100,000). "
        "A rough range rules out solutions that are far too expensive.",
    },
    "need_timeline": {
        "vi": "Mô tả chưa nêu thời gian mong muốn (ví dụ: triển khai trong 6 tháng, "
        "trước vụ nuôi tới).",
        "en": "The description gives no timeline (e.g. deployed within 6 months, "
        "before the next season).",
    },
    "description_short": {
        "vi": "Mô tả còn ngắn ({words} từ). Mô tả dưới {minimum} từ khó ghép đúng; hãy thêm "
        "vấn đề cụ thể, hiện trạng và kết quả mong muốn.",
        "en": "The description is short ({words} words). Under {minimum} words it is hard "
        "to match well; add the concrete problem, the current situation and the result wanted.",
    },
    "description_vague": {
        "vi": "Mô tả còn chung chung: chỉ có {terms} thuật ngữ nội dung khác nhau{generic}. "
        "Hãy gọi tên sản phẩm, công đoạn, thiết bị hay chỉ tiêu cụ thể.",
        "en": "The description is vague: only {terms} distinct content terms{generic}. "
        "Name the product, process step, equipment or figure concretely.",
    },
    "term_unused": {
        "vi": "Chưa có {counterparts} nào dùng từ “{term}”. Các {counterparts} gần nhất dùng: "
        "{instead}.",
        "en": "No {counterparts} uses the word “{term}”. The nearest {counterparts}s say: "
        "{instead}.",
    },
    "need_no_recommended_offer": {
        "vi": "Chưa có tin chào bán nào được đề xuất cho nhu cầu này. Gần nhất là: {titles}. "
        "Nếu đó đúng là điều bạn cần, hãy nói rõ: {terms}.",
        "en": "No offer is recommended for this need yet. The nearest are: {titles}. "
        "If that is what you need, say so in its words: {terms}.",
    },
}

COUNTERPARTS = {
    "vi": {"need": "tin chào bán", "offer": "tin nhu cầu"},
    "en": {"need": "offer", "offer": "need"},
}
GENERIC_NOTE = {
    "vi": ", phần lớn là từ chung như {words}",
    "en": ", most of them generic like {words}",
}


def message(code: str, lang: str, **values: Any) -> str:
    """The message of hint ``code`` in ``lang`` (``vi``; anything else is English)."""
    templates = MESSAGES[code]
    return templates["vi" if lang == "vi" else "en"].format(**values)


def quoted(words: list[str]) -> str:
    """``“a”, “b”, “c”``."""
    return ", ".join(f"“{w}”" for w in words)
