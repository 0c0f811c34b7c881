"""Path parameters several route modules share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

PairIdPath = Annotated[
    str,
    Path(
        description="The pair: `<need_id>-<offer_id>` (the `pair_id` of `/pairs` and matches).",
        examples=["12-34"],
        max_length=64,
    ),
]
