"""The web pages' strings in Vietnamese and English.

``STRINGS[key] = (vi, en)``; :func:`translator` gives a template the function ``t(key)``.
The language comes from ``?lang=vi|en`` (then kept in the ``lang`` cookie), default ``vi``.
"""

from __future__ import annotations

from collections.abc import Callable

from service.web.review_strings import REVIEW_STRINGS

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANG_COOKIE = "lang"

STRINGS: dict[str, tuple[str, str]] = {
    "app.tagline": (
        "Kết nối cung – cầu công nghệ",
        "Matching technology needs with technology offers",
    ),
    "nav.review": ("Duyệt cặp kết nối", "Review queue"),
    "nav.postings": ("Tin đăng của tôi", "My postings"),
    "nav.signout": ("Đăng xuất", "Sign out"),
    "nav.language": ("Ngôn ngữ", "Language"),
    "nav.skip": ("Bỏ qua, tới nội dung chính", "Skip to main content"),
    "home.title": ("techmatch — kết nối cung cầu công nghệ", "techmatch — tech-transfer matching"),
    "home.intro": (
        "techmatch đọc các nhu cầu công nghệ của doanh nghiệp và các công nghệ chào bán của "
        "viện, trường, doanh nghiệp công nghệ — bằng tiếng Việt hoặc tiếng Anh — rồi đề xuất "
        "những cặp nên gặp nhau tại phiên kết nối cung – cầu công nghệ, kèm lý do cho từng cặp.",
        "techmatch reads companies' technology needs and the technology offers of research "
        "institutes, universities and tech firms — in Vietnamese or English — and suggests who "
        "should meet whom at a tech-transfer session, with the reasons for each pair.",
    ),
    "home.step1": ("Doanh nghiệp đăng nhu cầu công nghệ.", "Companies post technology needs."),
    "home.step2": ("Viện, trường đăng công nghệ chào bán.", "Institutes post technology offers."),
    "home.step3": (
        "Điều phối viên duyệt các cặp được đề xuất; cặp được chấp nhận thành buổi gặp 1:1.",
        "Moderators review the suggested pairs; accepted pairs become 1:1 meetings.",
    ),
    "signin.title": ("Đăng nhập", "Sign in"),
    "signin.key": ("Khóa API", "API key"),
    "signin.key_help": (
        "Khóa do ban tổ chức cấp, bắt đầu bằng tm_.",
        "The key the organisers gave you, starting with tm_.",
    ),
    "signin.submit": ("Đăng nhập", "Sign in"),
    "signin.bad_key": ("Khóa không đúng hoặc đã bị thu hồi.", "Unknown or revoked key."),
    "signin.too_many": (
        "Nhập sai quá nhiều lần. Hãy đợi một lát rồi thử lại.",
        "Too many failed sign-ins. Wait a moment and try again.",
    ),
    "signin.as": ("Đã đăng nhập: {org} ({role})", "Signed in: {org} ({role})"),
    "signin.continue": ("Tiếp tục", "Continue"),
    "role.company": ("doanh nghiệp", "company"),
    "role.institute": ("viện / trường", "institute"),
    "role.moderator": ("điều phối viên", "moderator"),
    "role.admin": ("quản trị", "admin"),
    "kind.need": ("Nhu cầu", "Need"),
    "kind.offer": ("Công nghệ chào bán", "Offer"),
    "review.title": ("Duyệt cặp kết nối", "Review queue"),
    "review.filters": ("Bộ lọc", "Filters"),
    "review.sector": ("Lĩnh vực", "Sector"),
    "review.any": ("Tất cả", "Any"),
    "review.lang_pair": ("Cặp ngôn ngữ", "Language pair"),
    "review.status": ("Trạng thái", "Status"),
    "review.min_score": ("Điểm tối thiểu", "Minimum score"),
    "review.mutual": ("Hai bên cùng quan tâm", "Mutual interest"),
    "review.apply": ("Lọc", "Filter"),
    "review.counts": ("Còn lại", "Left"),
    "review.empty": ("Không có cặp nào khớp bộ lọc.", "No pair matches these filters."),
    "review.shown": (
        "Đang hiện {n} / {total} cặp, tốt nhất trước.",
        "Showing {n} of {total} pairs, best first.",
    ),
    "review.score": ("Điểm", "Score"),
    "review.recommended": ("Nên gặp", "Recommended"),
    "review.components": ("Thành phần điểm", "Score components"),
    "review.shared": ("Từ khóa chung", "Shared terms"),
    "review.linked": ("Từ khóa tương đương", "Linked terms"),
    "review.accept": ("Chấp nhận", "Accept"),
    "review.reject": ("Từ chối", "Reject"),
    "review.maybe": ("Để sau", "Maybe"),
    "review.reason": ("Lý do", "Reason"),
    "review.note": ("Ghi chú", "Note"),
    "review.select": ("Chọn cặp này", "Select this pair"),
    "review.select_all": ("Chọn tất cả", "Select all"),
    "review.bulk": ("Với các cặp đã chọn", "With the selected pairs"),
    "review.bulk_accept": ("Chấp nhận các cặp đã chọn", "Accept selected"),
    "review.bulk_reject": ("Từ chối các cặp đã chọn", "Reject selected"),
    "review.none_selected": ("Chưa chọn cặp nào.", "No pair selected."),
    "review.done": ("Đã ghi {n} quyết định.", "{n} decision(s) saved."),
    "review.current": ("Quyết định hiện tại", "Current decision"),
    "review.changed": ("Tin đã sửa sau lần duyệt", "Changed since review"),
    "review.interest": ("Quan tâm", "Interest"),
    "review.keys": (
        "Phím tắt: j/k chuyển cặp, a chấp nhận, r từ chối (chọn lý do rồi Enter), m để sau, "
        "x chọn cặp.",
        "Shortcuts: j/k move, a accept, r reject (pick a reason, then Enter), m maybe, x select.",
    ),
    "status.unreviewed": ("Chưa duyệt", "Unreviewed"),
    "status.accepted": ("Đã chấp nhận", "Accepted"),
    "status.rejected": ("Đã từ chối", "Rejected"),
    "status.maybe": ("Để sau", "Maybe"),
    "status.all": ("Tất cả (trừ đã từ chối)", "All (except rejected)"),
    "reason.none": ("— không nêu —", "— none —"),
    "reason.not_relevant": ("Không liên quan", "Not relevant"),
    "reason.trl_mismatch": ("TRL không phù hợp", "TRL mismatch"),
    "reason.sector_mismatch": ("Khác lĩnh vực", "Sector mismatch"),
    "reason.duplicate_posting": ("Tin trùng lặp", "Duplicate posting"),
    "reason.already_in_contact": ("Hai bên đã liên hệ", "Already in contact"),
    "reason.other": ("Lý do khác", "Other"),
    "postings.title": ("Tin đăng của tổ chức", "Your organization's postings"),
    "postings.new_need": ("Đăng nhu cầu mới", "New need"),
    "postings.new_offer": ("Đăng công nghệ mới", "New offer"),
    "postings.empty": ("Chưa có tin đăng nào.", "No postings yet."),
    "postings.updated": ("Cập nhật", "Updated"),
    "postings.edit": ("Sửa", "Edit"),
    "postings.archive": ("Lưu trữ", "Archive"),
    "postings.archived": ("Đã lưu trữ tin đăng.", "Posting archived."),
    "postings.saved": ("Đã lưu tin đăng.", "Posting saved."),
    "postings.suggestions": ("Gợi ý kết nối", "Suggestions"),
    "postings.no_suggestions": ("Chưa có gợi ý nào.", "No suggestions yet."),
    "postings.not_indexed": ("Tin đăng đang được lập chỉ mục.", "The posting is being indexed."),
    "postings.interested": ("Quan tâm", "Interested"),
    "postings.not_interested": ("Không quan tâm", "Not interested"),
    "postings.your_mark": ("Bạn đã chọn", "Your answer"),
    "postings.other_mark": ("Bên kia", "Other side"),
    "postings.mutual": ("Hai bên cùng quan tâm", "Mutual interest"),
    "postings.unknown": ("chưa trả lời", "not answered"),
    "postings.yes": ("quan tâm", "interested"),
    "postings.no": ("không quan tâm", "not interested"),
    "form.new_need": ("Đăng nhu cầu công nghệ", "Post a technology need"),
    "form.new_offer": ("Đăng công nghệ chào bán", "Post a technology offer"),
    "form.edit": ("Sửa tin đăng", "Edit posting"),
    "form.errors": (
        "Chưa lưu được: vui lòng sửa các ô được đánh dấu.",
        "Not saved: please correct the marked fields.",
    ),
    "form.title": ("Tiêu đề", "Title"),
    "form.title_help": ("1–200 ký tự.", "1–200 characters."),
    "form.description": ("Mô tả", "Description"),
    "form.description_help": ("1–5000 ký tự.", "1–5000 characters."),
    "form.sector": ("Lĩnh vực", "Sector"),
    "form.keywords": ("Từ khóa", "Keywords"),
    "form.keywords_help": (
        "Cách nhau bằng dấu phẩy; tối đa 20, mỗi từ ≤ 60 ký tự.",
        "Separated by commas; at most 20, each ≤ 60 characters.",
    ),
    "form.trl": ("Mức sẵn sàng công nghệ (TRL)", "Technology readiness level (TRL)"),
    "form.trl_help_need": ("Mức thấp nhất chấp nhận được.", "The lowest level you accept."),
    "form.trl_help_offer": ("Mức đã đạt được.", "The level reached."),
    "form.ip_status": ("Tình trạng sở hữu trí tuệ", "IP status"),
    "form.transfer_modes": ("Hình thức chuyển giao", "Transfer modes"),
    "form.province": ("Tỉnh / thành phố", "Province"),
    "form.organization": ("Đơn vị", "Organization"),
    "form.contact_name": ("Người liên hệ", "Contact name"),
    "form.contact_email": ("Email liên hệ", "Contact e-mail"),
    "form.contact_phone": ("Điện thoại liên hệ", "Contact phone"),
    "form.status": ("Trạng thái", "Status"),
    "form.expires_on": ("Hết hạn sau ngày", "Expires after"),
    "form.none": ("— không chọn —", "— none —"),
    "form.required": ("Bắt buộc, không được để trống.", "Required; may not be empty."),
    "form.too_long": ("Quá dài: tối đa {max} ký tự.", "Too long: at most {max} characters."),
    "form.bad_format": ("Sai định dạng.", "Not in the expected format."),
    "form.save": ("Lưu", "Save"),
    "coach.check": ("Kiểm tra gợi ý", "Check hints"),
    "coach.title": (
        "{n} gợi ý giúp tin dễ được ghép đúng",
        "{n} hints to make this posting easier to match",
    ),
    "coach.none": (
        "Không có gợi ý nào: tin đã đủ các thông tin mà bộ ghép cần.",
        "No hints: the posting says what matching needs.",
    ),
    "coach.edit": ("Sửa tin theo gợi ý", "Edit the posting with the hints"),
    "coach.help": (
        "Gợi ý là các quy tắc đo được (không phải văn bản sinh tự động); bấm “Kiểm tra gợi ý” "
        "để xem lại khi đang viết, không cần lưu.",
        "Hints are measured rules, not generated text; press “Check hints” to see them again "
        "while writing, without saving.",
    ),
    "form.cancel": ("Hủy", "Cancel"),
    "pstatus.draft": ("Nháp", "Draft"),
    "pstatus.published": ("Công khai", "Published"),
    "pstatus.archived": ("Đã lưu trữ", "Archived"),
    "ip.patent_granted": ("Đã cấp bằng sáng chế", "Patent granted"),
    "ip.patent_pending": ("Đang chờ cấp bằng", "Patent pending"),
    "ip.utility_solution": ("Giải pháp hữu ích", "Utility solution"),
    "ip.know_how": ("Bí quyết kỹ thuật", "Know-how"),
    "ip.copyright": ("Quyền tác giả", "Copyright"),
    "ip.none": ("Không có", "None"),
    "mode.licence": ("Cấp phép", "Licence"),
    "mode.sale": ("Mua bán", "Sale"),
    "mode.joint_development": ("Cùng phát triển", "Joint development"),
    "mode.consulting": ("Tư vấn", "Consulting"),
    "mode.technical_service": ("Dịch vụ kỹ thuật", "Technical service"),
    "mode.training": ("Đào tạo", "Training"),
    "mode.other": ("Khác", "Other"),
    "posting.language": ("Ngôn ngữ", "Language"),
    "posting.owner": ("Thuộc", "Owned by"),
    "posting.contact": ("Liên hệ", "Contact"),
    # organisers' dashboard (service/web/routes/dashboard.py)
    "nav.dashboard": ("Bảng điều khiển", "Dashboard"),
    "dash.title": ("Bảng điều khiển của ban tổ chức", "Organisers' dashboard"),
    "dash.needs": ("Nhu cầu", "Needs"),
    "dash.offers": ("Công nghệ chào bán", "Offers"),
    "dash.pairs": ("Cặp được đề xuất", "Suggested pairs"),
    "dash.recommended": ("Nên gặp", "Recommended"),
    "dash.sessions": ("Phiên kết nối", "Sessions"),
    "dash.sectors": ("Tin đăng theo lĩnh vực và ngôn ngữ", "Postings per sector and language"),
    "dash.sectors_desc": (
        "{n} tin đăng (chưa lưu trữ) trong {k} lĩnh vực; mỗi thanh chia theo ngôn ngữ.",
        "{n} postings (not archived) in {k} sectors; each bar is split by language.",
    ),
    "dash.no_sector": ("Chưa chọn lĩnh vực", "No sector"),
    "dash.lang.vi": ("Tiếng Việt", "Vietnamese"),
    "dash.lang.en": ("Tiếng Anh", "English"),
    "dash.lang.other": ("Ngôn ngữ khác", "Other"),
    "dash.scores": ("Điểm của các cặp được đề xuất", "Scores of the suggested pairs"),
    "dash.scores_desc": (
        "{n} cặp; {above} cặp đạt ngưỡng đề xuất {threshold}.",
        "{n} pairs; {above} reach the recommendation threshold {threshold}.",
    ),
    "dash.threshold": ("Ngưỡng đề xuất {value}", "Recommendation threshold {value}"),
    "dash.scores_help": (
        "Cặp nên gặp là cặp đạt ngưỡng và cũng nằm trong các nhu cầu phù hợp nhất của bên "
        "chào bán. Cặp đã từ chối không được tính.",
        "A recommended pair reaches the threshold and its need is also among the offer's "
        "best needs. Rejected pairs are not counted.",
    ),
    "dash.review": ("Tiến độ duyệt", "Review progress"),
    "dash.review_desc": (
        "Đã chấp nhận {accepted}, đã từ chối {rejected}, chưa quyết định {undecided}; "
        "đã quyết định {percent}%.",
        "Accepted {accepted}, rejected {rejected}, undecided {undecided}; {percent}% decided.",
    ),
    "dash.review_bar": ("Các cặp", "Pairs"),
    "dash.review_link": ("Mở hàng đợi duyệt", "Open the review queue"),
    "dash.fairness": ("Số buổi gặp mỗi bên — {name}", "Meetings per participant — {name}"),
    "dash.fairness_desc": (
        "{n} bên tham gia; {none} bên chưa có buổi gặp nào; tối đa {cap} buổi mỗi bên.",
        "{n} participants; {none} without any meeting; at most {cap} each.",
    ),
    "dash.fairness_axis": (
        "Cột: số bên tham gia có đúng bấy nhiêu buổi gặp (trục ngang).",
        "Columns: how many participants have that many meetings (horizontal axis).",
    ),
    "dash.cap": ("tối đa", "cap"),
    "dash.session": ("Phiên", "Session"),
    "dash.show": ("Xem", "Show"),
    "dash.no_sessions": (
        "Chưa có phiên kết nối nào; phễu tính trên toàn bộ dữ liệu.",
        "No session yet; the funnel covers all the data.",
    ),
    "dash.no_participants": (
        "Phiên này chưa có bên tham gia nào.",
        "This session has no participants yet.",
    ),
    "dash.funnel": ("Phễu kết nối", "Funnel"),
    "dash.funnel_session": ("Phiên: {name}", "Session: {name}"),
    "dash.funnel_all": ("Toàn bộ dữ liệu", "All data"),
    "dash.funnel_help": (
        "Được đề xuất: các cặp máy đề xuất giữa các bên tham gia và các cặp đã được duyệt; "
        "đã gặp: kết quả “đã gặp” hoặc “có bước tiếp theo”.",
        "Suggested: the engine's pairs between the participants and every reviewed pair; "
        "held: outcome “held” or “follow-up”.",
    ),
    "dash.stage.suggested": ("Được đề xuất", "Suggested"),
    "dash.stage.accepted": ("Được chấp nhận", "Accepted"),
    "dash.stage.scheduled": ("Đã xếp lịch", "Scheduled"),
    "dash.stage.held": ("Đã gặp", "Held"),
    "dash.stage.follow_up": ("Có bước tiếp theo", "Follow-up"),
    "dash.data": ("Xem số liệu dạng bảng", "Show the data as a table"),
    "dash.sector": ("Lĩnh vực", "Sector"),
    "dash.total": ("Tổng", "Total"),
    "dash.range": ("Khoảng điểm", "Score range"),
    "dash.count": ("Số cặp", "Pairs"),
    "dash.participant": ("Bên tham gia", "Participant"),
    "dash.meetings": ("Số buổi gặp", "Meetings"),
    "dash.participants_n": ("Số bên tham gia", "Participants"),
    "dash.stage": ("Giai đoạn", "Stage"),
    "dash.share": ("So với giai đoạn trước", "Of the stage before"),
    # booth-list imports (service/web/imports.py)
    "nav.import": ("Nhập danh sách", "Import"),
    "import.title": ("Nhập danh sách gian hàng", "Import a booth list"),
    "import.intro": (
        "Tải lên tệp CSV hoặc Excel (XLSX) của danh sách gian hàng: mỗi dòng là một nhu cầu "
        "hoặc một công nghệ. Dòng hợp lệ được lưu, dòng lỗi được liệt kê kèm lý do; nhập lại "
        "cùng tệp sẽ cập nhật chứ không tạo bản trùng.",
        "Upload the booth list as CSV or Excel (XLSX): one need or offer per row. Valid rows "
        "are stored, each bad row is listed with the reason; importing the same file again "
        "updates the postings instead of duplicating them.",
    ),
    "import.columns_title": ("Các cột được nhận", "Columns it reads"),
    "import.columns": (
        "Tên công nghệ (bắt buộc), Mô tả (bắt buộc), Lĩnh vực, Từ khóa (cách nhau bằng dấu "
        "phẩy), TRL (1–9), Hình thức chuyển giao, Tỉnh, Đơn vị, Người liên hệ, Email, Điện "
        "thoại, Trạng thái, Mã gian hàng — hoặc tên trường của API (title, description, …). "
        "CSV có thể là UTF-8, UTF-16 hoặc bảng mã Windows-1258, ngăn cách bằng dấu phẩy, "
        "chấm phẩy hoặc tab.",
        "Tên công nghệ / title (required), Mô tả / description (required), sector, keywords "
        "(comma-separated), TRL (1–9), transfer modes, province, organization, contact name, "
        "e-mail, phone, status, booth number (external_id). CSV may be UTF-8, UTF-16 or "
        "Windows-1258, separated by commas, semicolons or tabs.",
    ),
    "import.limits": (
        "Tối đa {rows} dòng và {mib} MiB mỗi tệp.",
        "At most {rows} rows and {mib} MiB per file.",
    ),
    "import.kind": ("Loại tin", "Kind"),
    "import.file": ("Tệp", "File"),
    "import.file_help": (
        "CSV, XLSX hoặc JSONL; tối đa {mib} MiB, {rows} dòng.",
        "CSV, XLSX or JSONL; at most {mib} MiB, {rows} rows.",
    ),
    "import.too_large_client": (
        "Tệp lớn hơn {mib} MiB; hãy chia nhỏ tệp.",
        "The file is larger than {mib} MiB; split it.",
    ),
    "import.submit": ("Tải lên và nhập", "Upload and import"),
    "import.no_file": ("Hãy chọn một tệp.", "Choose a file."),
    "import.bad_format": (
        "Chỉ nhận tệp .csv, .tsv, .xlsx hoặc .jsonl.",
        "Only .csv, .tsv, .xlsx or .jsonl files.",
    ),
    "import.recent": ("Các lần nhập gần đây", "Recent imports"),
    "import.none_yet": ("Chưa có lần nhập nào.", "No imports yet."),
    "import.job_title": ("Lần nhập #{id}", "Import #{id}"),
    "import.state": ("Trạng thái", "State"),
    "import.state.queued": ("Đang chờ", "Queued"),
    "import.state.running": ("Đang nhập", "Running"),
    "import.state.done": ("Đã xong", "Done"),
    "import.state.failed": ("Thất bại", "Failed"),
    "import.progress": ("Đã xử lý {done}/{total} dòng", "{done} of {total} rows done"),
    "import.refreshing": (
        "Trang tự cập nhật cho đến khi nhập xong.",
        "This page updates itself until the import is done.",
    ),
    "import.rows": ("Dòng", "Rows"),
    "import.created": ("Tạo mới", "Created"),
    "import.updated": ("Cập nhật", "Updated"),
    "import.failed": ("Lỗi", "Failed"),
    "import.when": ("Lúc", "When"),
    "import.encoding": ("Bảng mã", "Encoding"),
    "import.errors_title": ("Các dòng lỗi", "Rows with errors"),
    "import.no_errors": ("Không có dòng lỗi nào.", "No row had an error."),
    "import.download": ("Tải báo cáo lỗi (CSV)", "Download the error report (CSV)"),
    "import.more_errors": (
        "Đang hiện {shown}/{total} lỗi; báo cáo CSV có đủ.",
        "Showing {shown} of {total} errors; the CSV report has them all.",
    ),
    "import.row": ("Dòng", "Row"),
    "import.field": ("Cột", "Column"),
    "import.message": ("Lỗi", "Error"),
    "import.whole_row": ("(cả dòng)", "(whole row)"),
    "import.external_id": ("Mã gian hàng", "Booth number"),
    "import.ignored": ("Các cột không dùng", "Columns not used"),
    "import.again": ("Nhập tệp khác", "Import another file"),
    "error.title": ("Có lỗi", "Something went wrong"),
    "error.403": ("Bạn không có quyền mở trang này.", "You may not open this page."),
    "error.404": ("Không tìm thấy.", "Not found."),
    "error.csrf": (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "error.back": ("Về trang chủ", "Back to the start page"),
}
STRINGS.update(REVIEW_STRINGS)


def pick_language(query: str | None, cookie: str | None) -> str:
    """``vi`` or ``en``: the query parameter, else the cookie, else the default."""
    for value in (query, cookie):
        if value in LANGUAGES:
            return value  # type: ignore[return-value]
    return DEFAULT_LANGUAGE


def translate(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang`` (the key itself when unknown), formatted with values."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "vi" else pair[1]
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` for one language (what templates call)."""

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    return t


def _merge_page_strings() -> None:
    """The strings of the session, key and ranking pages, kept in their own modules."""
    from service.web.i18n_ranking import RANKING_STRINGS
    from service.web.i18n_sessions import SESSION_STRINGS

    STRINGS.update(SESSION_STRINGS)
    STRINGS.update(RANKING_STRINGS)


_merge_page_strings()
