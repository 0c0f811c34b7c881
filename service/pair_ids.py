"""Pair ids sent to the service: the shared ``<need_id>-<offer_id>`` format
(:mod:`vocabulary`) read with the service's error (422 naming the path)."""

from __future__ import annotations

import vocabulary
from service.errors import Invalid


def parse_pair_id(pair_id: str, loc: tuple[str, ...] = ("path", "pair_id")) -> tuple[int, int]:
    """``(need_id, offer_id)`` of ``"NEEDID-OFFERID"``; :class:`Invalid` (422 at ``loc``)
    when it is not two positive integer ids."""
    try:
        return vocabulary.parse_pair_id(pair_id)
    except ValueError as exc:
        raise Invalid(str(exc), loc) from exc
