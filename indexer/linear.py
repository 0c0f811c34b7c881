"""The JSON form shared by the engine's two linear models over score parts: the fitted
fusion (:mod:`indexer.fusion`, a committed resource) and the ranking learned from
decisions (:mod:`indexer.learned`, stored in the database). Both are frozen dataclasses
with ``weights``, ``intercept``, ``features`` and ``format`` fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any


def linear_to_json(model: Any) -> dict[str, Any]:
    """A JSON-able dict of a linear-model dataclass (tuples written as lists)."""
    data = asdict(model)
    data["weights"] = list(model.weights)
    data["features"] = list(model.features)
    return data


def linear_fields(
    data: Mapping[str, Any], fmt: int, features: Sequence[str], names: Sequence[str], what: str
) -> dict[str, Any]:
    """The constructor arguments ``weights`` (a tuple), ``intercept`` and each of ``names``
    (floats) read from ``data``; ``ValueError`` when its format or feature set is not
    ``fmt`` / ``features`` (the weights would be applied to the wrong parts)."""
    if data.get("format") != fmt or tuple(data.get("features", ())) != tuple(features):
        raise ValueError(f"{what} of an unknown format or feature set")
    fields: dict[str, Any] = {"weights": tuple(float(w) for w in data["weights"])}
    for name in ("intercept", *names):
        fields[name] = float(data[name])
    return fields
