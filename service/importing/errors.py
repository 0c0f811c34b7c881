"""Why a whole import is refused: an unreadable file (422), a file over a limit (413), or
too many imports of one organization waiting (409). Each carries a Vietnamese message."""

from __future__ import annotations

from service.errors import Conflict, Invalid, ServiceError


class ImportFileError(Invalid):
    """The file as a whole cannot be read (format, encoding, damaged XLSX); stores nothing."""


class ImportTooLarge(ServiceError):
    """The file is over one of the import limits; stores nothing."""

    status_code = 413
    error_type = "import_too_large"


class TooManyRows(ImportTooLarge):
    """More data rows than ``TECHMATCH_MAX_IMPORT_ROWS``."""

    error_type = "too_many_rows"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the file has more than {limit} data rows, the most one import may hold "
            f"(TECHMATCH_MAX_IMPORT_ROWS); split it into files of at most {limit} rows",
            ("body", "file"),
            msg_vi=f"Tệp có hơn {limit} dòng dữ liệu, mức tối đa cho một lần nhập; "
            f"hãy chia thành các tệp không quá {limit} dòng.",
        )
        self.limit = limit


class XlsxTooLarge(ImportTooLarge):
    """An XLSX whose parts unpack to more than ``TECHMATCH_MAX_IMPORT_XLSX_BYTES``."""

    error_type = "xlsx_too_large"

    def __init__(self, declared: int, limit: int) -> None:
        super().__init__(
            f"the XLSX file unpacks to {declared} bytes, more than the {limit} bytes allowed "
            "(TECHMATCH_MAX_IMPORT_XLSX_BYTES); remove unused sheets, images and formatting, "
            "or save it as CSV UTF-8",
            ("body", "file"),
            msg_vi=f"Tệp XLSX khi giải nén có {declared} byte, vượt mức {limit} byte cho phép; "
            "hãy xóa các trang tính, hình ảnh, định dạng không cần thiết hoặc lưu dạng "
            "CSV UTF-8.",
        )
        self.declared = declared
        self.limit = limit


class ImportBusy(Conflict):
    """The organization already has as many imports queued or running as allowed."""

    error_type = "import_busy"

    def __init__(self, organization: str, pending: int) -> None:
        super().__init__(
            f"{organization!r} already has {pending} imports queued or running; wait until "
            "one of them is done (GET /api/v1/imports)",
            (),
            msg_vi=f"“{organization}” đang có {pending} lần nhập chờ hoặc đang chạy; hãy đợi "
            "một lần nhập xong rồi thử lại.",
        )


class ImportQueueFull(ServiceError):
    """The server already holds as many waiting imports as it keeps in memory (503)."""

    status_code = 503
    error_type = "import_queue_full"

    def __init__(self, pending: int) -> None:
        super().__init__(
            f"the server already has {pending} imports waiting; try again in a few minutes",
            (),
            msg_vi=f"Máy chủ đang có {pending} lần nhập chờ xử lý; hãy thử lại sau vài phút.",
        )
