"""How the engine embeds, corrects and ranks: one frozen settings object."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.scoring import FusionConfig


@dataclass(frozen=True)
class EngineConfig:
    """How the engine embeds, corrects and ranks (defaults measured on the dev set)."""

    fusion: FusionConfig = field(default_factory=FusionConfig)
    fitted_fusion: bool = True  # rank with indexer/resources/fusion.json (indexer.fusion)
    bias_correction: str = "center+z"  # "none" | "center" | "center+z"
    alignment_strength: float = 0.5  # VI → EN map after centering (indexer.alignment); 0: off
    segment_for_embedding: bool = False
    restore_diacritics: bool = True  # Vietnamese typed plain: marks restored before embedding
    candidates: int = 100
    reference_sample: int = 512
    min_language_reference: int = 20
    refit_growth: float = 0.1
    refit_min_change: int = 20
    always_refit_below: int = 300
    reciprocal_candidates: int = 20  # search depth for an offer's best need (recommendation)
    key_terms: int = 8
    batch_size: int = 32
    seed: int = 13
    # the vector store (indexer/retrieval.py): "flat" (exact FAISS) | "auto" (exact below
    # ann_threshold, FAISS IVF above) | "pgvector" (HNSW in PostgreSQL at pgvector_url)
    ann: str = "flat"
    ann_threshold: int = 50_000
    # URL for ann="pgvector": a str, or a secret with get_secret_value() (the service's)
    pgvector_url: object | None = field(default=None, repr=False)
    pgvector_table: str = "posting_vectors"  # one table per pool (several engines: several)
    lexical_background_above: int = 20_000  # BM25 rebuilt in the background from this size
