"""Saving and loading the engine's state: one ``index.npz`` file, written atomically.

Saved: postings, raw vectors, tokens and key terms (as ids into one string table, so a
start re-tokenises nothing and builds no Python list per token from JSON), key-term
vectors, the bias statistics, reference samples and every posting's z statistics, and
each kind's BM25 build as arrays (format 2), and (format 3) every kind's corrected vectors
as the exact FAISS index stores them (float16), with a digest of what the correction
depends on (``dense_key``, :meth:`indexer.bias.BiasModel.correction_key`): a start
recomputes no correction when the key is its own (at 100,000 the correction and the
alignment map took most of the vector part of a load), and rebuilds the FAISS indexes from
the raw vectors otherwise. Callers may add their own arrays (``extra``, e.g. the service's
row fingerprints). Format 1 files (tokens in JSON, no BM25) and format 2 files (no saved
corrected vectors) are still read. Raw vectors are saved in the store's precision
(float16 from format 3, float32 before; see ``indexer.store``). The file records the format
version, the model and its backend: vectors of another model (or backend) would silently
mis-rank, so such a file is refused.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sys
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.ann import INDEX_DTYPE
from indexer.bias import LanguageStats, ZStats, ZTable
from indexer.errors import IndexLoadError
from indexer.lexical import STRINGS, LexicalBuild
from indexer.postings import KINDS, Posting
from indexer.store import RAW_DTYPE, PostingStore, TokenTable

if TYPE_CHECKING:
    from models import EmbeddingModel

FORMAT_VERSION = 3
_FIELDS = tuple(f.name for f in dataclasses.fields(Posting))
READABLE_FORMATS = (1, 2, 3)
INDEX_FILE = "index.npz"
_NO_TOKENS = np.zeros(0, dtype=np.int32)
#: Posting fields saved as one text buffer (format 3), the others as JSON columns: a JSON
#: list of 100,000 rows of text took a second of a start to parse, splitting a buffer
#: about a tenth of it.
_TEXT_FIELDS = ("title", "description", "keywords")
_END, _KEYWORD = "\x00", "\x01"  # ends each text field; separates keywords


def model_backend(model: EmbeddingModel) -> str:
    """How the model runs (``torch``, ``onnx``, ``onnx-int8``; empty when it does not say):
    vectors of one model differ slightly between backends, so an index records it."""
    return str(getattr(model, "backend", ""))


@dataclass
class SavedIndex:
    """What :func:`read_index` found: the filled store and the bias state (``stats`` None:
    the file had no statistics, i.e. an empty pool)."""

    store: PostingStore
    stats: LanguageStats | None
    reference_ids: dict[str, list[int]]
    zstats: MutableMapping[int, ZStats] | None = None
    lexical: dict[str, tuple[LexicalBuild, bool]] = dataclasses.field(default_factory=dict)
    extra: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    #: per kind ``(ids, corrected vectors)`` and the correction they were made with
    dense: dict[str, tuple[np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)
    dense_key: str = ""


def write_index(
    directory: Path,
    store: PostingStore,
    model: EmbeddingModel,
    stats: LanguageStats,
    reference_ids: dict[str, list[int]],
    zstats: MutableMapping[int, ZStats] | None = None,
    lexical: dict[str, tuple[LexicalBuild, bool]] | None = None,
    extra: dict[str, np.ndarray] | None = None,
    dense: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    dense_key: str = "",
) -> Path:
    """Write the state atomically to ``directory/index.npz``; returns the file path.

    ``lexical``: per kind, the BM25 build in use and whether it misses writes (then the
    loaded index rebuilds it in the background, as the running one would). ``dense``: per
    kind, the ids and corrected vectors its vector index holds, made under the correction
    ``dense_key`` names (installed again at load when the key is the loader's)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ids = np.array(sorted(store.raw), dtype=np.int64)
    id_list = [int(i) for i in ids]
    raw = store.raw_matrix(id_list) if len(ids) else np.zeros((0, store.dimension))
    terms = list(store.term_vectors)
    strings, token_ids, token_ends = _encode_tokens(store.tokens, id_list)
    term_ids, term_ends = _encode_lists([store.terms.get(i, []) for i in id_list], strings)
    meta: dict[str, object] = {
        "format": FORMAT_VERSION,
        "model": model.name,
        "backend": model_backend(model),
        "dimension": store.dimension,
        "fields": list(_FIELDS),
        "postings": [],
        "hashes": [store.hashes.get(i, "") for i in id_list],
        "surfaces": {str(k): v for k, v in store.surfaces.items()},
        "term_list": terms,
        "reference_ids": reference_ids,
        "strings": list(strings),
        "lexical": {},
        "dense_key": dense_key if dense else "",
    }
    arrays: dict[str, np.ndarray] = {}
    columns = _encode_postings(list(store.postings.values()), arrays)
    if columns is None:  # a text holds a separator: rows in JSON, as format 2 saved them
        meta["postings"] = [[getattr(p, f) for f in _FIELDS] for p in store.postings.values()]
    else:
        meta["posting_columns"] = columns
    arrays |= {
        "ids": ids,
        "raw": raw.astype(RAW_DTYPE),
        "term_vectors": np.stack([store.term_vectors[t] for t in terms])
        if terms
        else np.zeros((0, store.dimension), np.float32),
        "token_ids": token_ids,
        "token_ends": token_ends,
        "term_ids": term_ids,
        "term_ends": term_ends,
    }
    if zstats is not None:
        z_ids, z_mean, z_std = _zstats_arrays(zstats)
        arrays.update(z_ids=z_ids, z_mean=z_mean, z_std=z_std)
    lexical_meta: dict[str, object] = {}
    for kind, (build, stale) in (lexical or {}).items():
        parts, vocabulary = build.to_arrays()
        arrays.update({f"lex_{kind}_{k}": v for k, v in parts.items()})
        lexical_meta[kind] = {"stale": stale, "tokens": vocabulary}
    meta["lexical"] = lexical_meta
    for kind, (dense_ids, vectors) in (dense or {}).items():
        arrays[f"dense_{kind}_ids"] = np.asarray(dense_ids, dtype=np.int64)
        arrays[f"dense_{kind}_vectors"] = np.asarray(vectors).astype(INDEX_DTYPE)
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8)
    arrays.update({f"stats_{k}": v for k, v in stats.to_arrays().items()})
    arrays.update({f"extra_{k}": v for k, v in (extra or {}).items()})
    path = directory / INDEX_FILE
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".index-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)  # type: ignore[arg-type]
            fh.write(buffer.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_index(directory: Path, model: EmbeddingModel) -> SavedIndex:
    """Read a file written by :func:`write_index` for ``model``; raises
    :class:`IndexLoadError` when it is missing, corrupt or of another model or backend."""
    path = Path(directory) / INDEX_FILE
    if not path.exists():
        raise IndexLoadError(f"no index at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except Exception as exc:  # corrupt or truncated file
        raise IndexLoadError(f"cannot read {path}: {exc}") from exc
    _check(path, meta, model)
    try:
        if meta["format"] == 1:
            saved = _read_v1(arrays, meta, model.dimension)
        else:
            saved = _read_v2(arrays, meta, model.dimension)
            saved.dense_key = str(meta.get("dense_key") or "")
            for kind in KINDS if saved.dense_key else ():
                if f"dense_{kind}_ids" not in arrays:
                    continue  # that kind's store kept no vectors to save (not exact FAISS)
                dense_ids = arrays[f"dense_{kind}_ids"]
                vectors = arrays[f"dense_{kind}_vectors"]
                if vectors.shape != (len(dense_ids), model.dimension):
                    raise ValueError(f"saved {kind} vectors have the shape {vectors.shape}")
                saved.dense[kind] = (dense_ids, vectors.astype(np.float32))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise IndexLoadError(f"{path} is inconsistent: {type(exc).__name__}: {exc}") from exc
    if set(saved.store.raw) != set(saved.store.postings):
        raise IndexLoadError(f"{path} is inconsistent: vectors and postings differ")
    saved.extra = {k[len("extra_") :]: v for k, v in arrays.items() if k.startswith("extra_")}
    return saved


def _stats(arrays: dict[str, np.ndarray]) -> LanguageStats | None:
    stats = {k[len("stats_") :]: v for k, v in arrays.items() if k.startswith("stats_")}
    return LanguageStats.from_arrays(stats) if stats else None


def _read_v2(arrays: dict[str, np.ndarray], meta: dict[str, Any], dimension: int) -> SavedIndex:
    store = PostingStore(dimension)
    if meta.get("fields") != list(_FIELDS):
        raise ValueError(f"posting fields {meta.get('fields')} are not {_FIELDS}")
    keywords = _FIELDS.index("keywords")
    for row in meta["postings"]:
        row[keywords] = tuple(row[keywords] or ())
        store.put(Posting(*row))
    if "posting_columns" in meta:
        for posting in _decode_postings(meta["posting_columns"], arrays["posting_text"]):
            store.postings[posting.id] = posting
    id_list = arrays["ids"].tolist()
    store.hashes = dict(zip(id_list, meta["hashes"], strict=True))
    strings = np.array(meta["strings"] or [""], dtype=object)
    _decode_tokens(
        store.tokens, id_list, meta["strings"], arrays["token_ids"], arrays["token_ends"]
    )
    store.terms = _decode_lists(id_list, strings, arrays["term_ids"], arrays["term_ends"])
    store.surfaces = {int(k): v for k, v in meta["surfaces"].items()}
    store.raw.fill(id_list, arrays["raw"])
    store.term_vectors = dict(zip(meta["term_list"], arrays["term_vectors"], strict=True))
    zstats = None
    if "z_ids" in arrays:
        zstats = _zstats_from(arrays["z_ids"], arrays["z_mean"], arrays["z_std"])
    lexical: dict[str, tuple[LexicalBuild, bool]] = {}
    for kind, info in meta.get("lexical", {}).items():
        if kind in KINDS:
            part = {k: arrays[f"lex_{kind}_{k}"] for k in ("ids", "indptr", "indices", "data")}
            build = LexicalBuild.assemble(
                part["ids"], info["tokens"], part["indptr"], part["indices"], part["data"]
            )
            lexical[kind] = (build, bool(info["stale"]))
    return SavedIndex(
        store=store,
        stats=_stats(arrays),
        reference_ids={k: list(v) for k, v in meta["reference_ids"].items()},
        zstats=zstats,
        lexical=lexical,
    )


def _read_v1(arrays: dict[str, np.ndarray], meta: dict[str, Any], dimension: int) -> SavedIndex:
    store = PostingStore(dimension)
    for row in meta["postings"]:
        row["keywords"] = tuple(row.get("keywords") or ())
        store.put(Posting(**row))
    store.hashes = {int(k): v for k, v in meta["hashes"].items()}
    for k, v in meta["tokens"].items():
        store.tokens[int(k)] = v
    store.terms = {int(k): [sys.intern(t) for t in v] for k, v in meta["terms"].items()}
    store.surfaces = {int(k): v for k, v in meta["surfaces"].items()}
    store.raw.fill(arrays["ids"].tolist(), arrays["raw"])
    store.term_vectors = dict(zip(meta["term_list"], arrays["term_vectors"], strict=True))
    return SavedIndex(
        store=store,
        stats=_stats(arrays),
        reference_ids={k: list(v) for k, v in meta["reference_ids"].items()},
    )


def _encode_postings(
    postings: list[Posting], arrays: dict[str, np.ndarray]
) -> dict[str, list[object]] | None:
    """The postings' fields as columns: the text fields into ``arrays["posting_text"]``
    (UTF-8, each field ended by ``\\x00``, keywords joined by ``\\x01``), the others
    returned as JSON-ready lists; ``None`` (nothing added) when a text holds a separator or
    a keyword is empty (the buffer could not give it back)."""
    parts: list[str] = []
    for p in postings:
        if any(not k or _KEYWORD in k for k in p.keywords):
            return None
        parts += (p.title, p.description, _KEYWORD.join(p.keywords))
    if any(_END in part for part in parts):
        return None
    text = _END.join(parts) + (_END if parts else "")
    arrays["posting_text"] = np.frombuffer(text.encode("utf-8"), np.uint8)
    return {f: [getattr(p, f) for p in postings] for f in _FIELDS if f not in _TEXT_FIELDS}


def _decode_postings(columns: dict[str, list[Any]], text: np.ndarray) -> list[Posting]:
    """Inverse of :func:`_encode_postings` (``ValueError`` when they disagree)."""
    parts = text.tobytes().decode("utf-8").split(_END)
    n = len(columns["id"])
    if len(parts) != 3 * n + 1 or any(len(v) != n for v in columns.values()):
        raise ValueError("posting columns and texts differ in length")
    keywords = [tuple(k.split(_KEYWORD)) if k else () for k in parts[2 : 3 * n : 3]]
    fields = {"title": parts[0 : 3 * n : 3], "description": parts[1 : 3 * n : 3]}
    fields["keywords"] = keywords  # type: ignore[assignment]
    values = [fields[f] if f in fields else columns[f] for f in _FIELDS]
    return [Posting(*row) for row in zip(*values, strict=True)]


def _encode_tokens(
    tokens: TokenTable, ids: list[int]
) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """The file's string table (the tokens in use, to be extended with the key terms), the
    tokens of ``ids`` as ids into it and their end offsets; no list of strings is built."""
    arrays = [tokens.encoded(i) if i in tokens else _NO_TOKENS for i in ids]
    ends = np.cumsum([len(a) for a in arrays], dtype=np.int64)
    flat = np.concatenate(arrays) if arrays else _NO_TOKENS
    used, inverse = np.unique(flat, return_inverse=True)
    values = STRINGS.values
    strings = {values[u]: n for n, u in enumerate(used.tolist())}
    return strings, inverse.astype(np.int32).reshape(-1), ends


def _decode_tokens(
    tokens: TokenTable, ids: list[int], strings: list[str], flat: np.ndarray, ends: np.ndarray
) -> None:
    """Fill ``tokens`` from :func:`_encode_tokens`'s arrays: the file's string ids mapped
    to :data:`STRINGS` ids in one step, one array view per posting."""
    to_global = STRINGS.encode(strings) if strings else _NO_TOKENS
    mapped = to_global[flat] if len(flat) else _NO_TOKENS
    for posting_id, part in zip(ids, np.split(mapped, ends[:-1]) if len(ids) else [], strict=True):
        tokens[posting_id] = part


def _encode_lists(lists: list[list[str]], strings: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of strings as ids into ``strings`` (filled as it goes) and their end offsets."""
    flat = [strings.setdefault(t, len(strings)) for items in lists for t in items]
    ends = np.cumsum([len(items) for items in lists], dtype=np.int64)
    return np.array(flat, dtype=np.int32), ends


def _decode_lists(
    ids: list[int], strings: np.ndarray, flat: np.ndarray, ends: np.ndarray
) -> dict[int, list[str]]:
    """Inverse of :func:`_encode_lists`: one list per id; equal strings are one object."""
    values = strings[flat].tolist() if len(flat) else []
    starts = [0, *ends[:-1].tolist()] if len(ends) else []
    return {i: values[a:b] for i, a, b in zip(ids, starts, ends.tolist(), strict=True)}


def _zstats_arrays(
    zstats: MutableMapping[int, ZStats],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = zstats if isinstance(zstats, ZTable) else ZTable()
    if table is not zstats:
        for posting_id, z in zstats.items():
            table[posting_id] = z
    return table.arrays()


def _zstats_from(ids: np.ndarray, mean: np.ndarray, std: np.ndarray) -> ZTable:
    return ZTable.from_arrays(ids, mean, std)


def _check(path: Path, meta: dict[str, Any], model: EmbeddingModel) -> None:
    if meta.get("format") not in READABLE_FORMATS:
        raise IndexLoadError(f"{path} has format {meta.get('format')}, expected {FORMAT_VERSION}")
    if meta.get("model") != model.name or meta.get("dimension") != model.dimension:
        raise IndexLoadError(
            f"{path} was built with model {meta.get('model')!r}, not {model.name!r}"
        )
    if meta.get("backend", "") != model_backend(model):
        raise IndexLoadError(
            f"{path} was built with the {meta.get('backend') or 'default'!r} backend of "
            f"{model.name!r}, not {model_backend(model) or 'default'!r}: vectors differ"
        )
