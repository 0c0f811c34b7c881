"""Path and query parameters several route modules share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

PairIdPath = Annotated[
    str,
    Path(
        description="The pair: `<need_id>-<offer_id>` (the `pair_id` of `/pairs` and matches).",
        examples=["12-34"],
        max_length=64,
    ),
]

SessionIdPath = Annotated[int, Path(ge=1, le=2**62, description="The session's id.")]
PostingIdPath = Annotated[int, Path(ge=1, le=2**62, description="The posting's id.")]
PostingIdQuery = Annotated[
    int | None,
    Query(ge=1, le=2**62, description="Only this participant's meetings (its organization)."),
]
