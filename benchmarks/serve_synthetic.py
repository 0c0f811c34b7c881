"""Serve the API with the ``synthetic-mix`` embedder (for HTTP benchmarks on big pools).

Embedding 100,000 postings with the real model takes over half an hour on 2 cores, so the
HTTP benchmark can run the server with ``benchmarks.bench_pairs.MixModel`` instead: each
text maps to a hash-seeded mix of real multilingual-e5-small embeddings (384 dimensions,
the real model's distribution), so the index, BM25, bias correction, scoring, reasons and
the recommendation rule do exactly the work they do with the real model. Everything else
is ``techmatch serve`` (settings from ``TECHMATCH_*`` variables).

    python benchmarks/serve_synthetic.py --port 8001 [--base-backend onnx-int8]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_index_scale import base_vectors  # noqa: E402
from benchmarks.bench_pairs import MixModel  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--base-backend", default="onnx-int8", help="backend of the base set")
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()

    import uvicorn

    from service.core.config import get_settings
    from service.main import create_app

    model = MixModel(base_vectors(args.base_backend, 500, args.model_cache))
    app = create_app(get_settings(), model=model)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
