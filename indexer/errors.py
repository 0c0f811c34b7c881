"""The indexer's own errors, so that callers never have to catch a bare ``KeyError``."""

from __future__ import annotations


class UnknownPosting(LookupError):
    """The posting id is not in the index (never indexed, or deleted since)."""

    def __init__(self, posting_id: int) -> None:
        super().__init__(f"posting {posting_id} is not indexed")
        self.posting_id = posting_id


class IndexLoadError(RuntimeError):
    """The saved index is missing, corrupt, or was built with another model."""
