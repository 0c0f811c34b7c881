"""Load the bundled bilingual demo data set (``service/demo/*.jsonl``) idempotently.

Each line is one API create payload. A posting gets the external id
``demo-<kind>-<hash of its title>`` unless it has one, so loading twice updates
instead of duplicating. Only the database is written; the service indexes the
postings when it starts (it reconciles the index with the database).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from service.auth.roles import Principal, Role
from service.db.engine import Database
from service.postings import PostingService
from service.schemas.postings import PostingCreate
from vocabulary import KINDS

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_ORG = "techmatch demo"


class DemoDataError(RuntimeError):
    """The demo files are missing or hold an invalid line."""


@dataclass
class SeedResult:
    """How many demo postings of each kind were created and updated."""

    created: dict[str, int]
    updated: dict[str, int]

    def total(self, kind: str) -> int:
        """Demo postings of ``kind`` now stored."""
        return self.created[kind] + self.updated[kind]


def demo_file(kind: str, directory: Path | None = None) -> Path:
    """The JSONL file of demo ``kind`` postings (in ``service/demo/`` by default)."""
    return (directory or DEMO_DIR) / f"{kind}s.jsonl"


def read_demo(kind: str, directory: Path | None = None) -> list[PostingCreate]:
    """Validated demo payloads of ``kind``; raises :class:`DemoDataError` on any bad line."""
    path = demo_file(kind, directory)
    if not path.exists():
        raise DemoDataError(f"demo data file {path} is missing")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not data.get("external_id"):
                digest = hashlib.sha1(str(data.get("title", "")).encode("utf-8")).hexdigest()
                data["external_id"] = f"demo-{kind}-{digest[:12]}"
            out.append(PostingCreate.model_validate(data))
        except (json.JSONDecodeError, ValidationError, AttributeError) as exc:
            raise DemoDataError(f"{path}:{number}: {exc}") from exc
    return out


def load_demo(database: Database, directory: Path | None = None) -> SeedResult:
    """Store (or refresh) every demo posting; safe to run any number of times."""
    postings = PostingService(database, matcher=None)  # type: ignore[arg-type]
    principal = Principal(role=Role.admin, organization=DEMO_ORG)
    result = SeedResult(created={"need": 0, "offer": 0}, updated={"need": 0, "offer": 0})
    for kind in KINDS:
        payloads = read_demo(kind, directory)
        with database.session(write=True) as session:
            for data in payloads:
                _, created = postings.upsert_external(session, principal, kind, data)
                (result.created if created else result.updated)[kind] += 1
            session.commit()
    return result
