"""Validate the labelled bilingual development set and print its statistics.

Usage: python data/devset/check.py [--split | --term-links | --pairs] [DIRECTORY]

Without an option it checks everything: the schema of needs.jsonl and
offers.jsonl, unique ids, that qrels.tsv refers to existing postings, judges
every need with grades 0/1/2 and no pair twice, that the tags on needs agree
with the judgements, that the set meets its size targets, and then split.tsv,
term_links.jsonl and ../parallel/pairs.jsonl. ``--split``, ``--term-links`` and
``--pairs`` check the postings plus only that file. Prints statistics; exits
with status 1 on any error. Standard library only.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

SECTORS = [
    "ports_logistics",
    "shipbuilding_marine",
    "aquaculture_fisheries",
    "agriculture_food",
    "ocop_products",
    "electronics",
    "automation_manufacturing",
    "environment",
    "energy",
    "health",
    "tourism",
    "software_ict",
    "materials_chemistry",
    "construction",
    "education",
    "other",
]
CORE_SECTORS = SECTORS[:12]  # at least 3 needs in each
TAGS = ["same_language", "cross_lingual_only", "no_good_offer", "distractor", "paraphrase"]
MIN_TAGGED = {"cross_lingual_only": 30, "no_good_offer": 24, "distractor": 10, "paraphrase": 8}
MIN_NEEDS, MIN_OFFERS = 100, 170
MIN_TERM_LINKS, MIN_TERM_LINKS_CROSS = 45, 22
MIN_PAIRS = 200
SPLIT_PARTS = ("tune", "heldout")
FIELDS = {
    "id": int,
    "kind": str,
    "title": str,
    "description": str,
    "keywords": list,
    "sector": str,
    "trl": int,
    "language": str,
    "organization": str,
}
# Letters that only Vietnamese writing uses (beyond plain ASCII vowels).
VI_CHARS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")

errors: list[str] = []
warnings: list[str] = []


def err(msg: str) -> None:
    errors.append(msg)


def load_jsonl(path: Path, kind: str) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                err(f"{path.name}:{n}: invalid JSON ({exc})")
                continue
            check_posting(row, kind, f"{path.name}:{n}")
            rows.append(row)
    return rows


def check_posting(row: dict, kind: str, where: str) -> None:
    for field, typ in FIELDS.items():
        if field not in row:
            err(f"{where}: missing field {field!r}")
        elif not isinstance(row[field], typ) or (typ is int and isinstance(row[field], bool)):
            err(f"{where}: field {field!r} should be {typ.__name__}")
    extra = set(row) - set(FIELDS) - {"tags"}
    if extra:
        err(f"{where}: unknown fields {sorted(extra)}")
    if row.get("kind") != kind:
        err(f"{where}: kind should be {kind!r}")
    if row.get("sector") not in SECTORS:
        err(f"{where}: unknown sector {row.get('sector')!r}")
    if row.get("language") not in ("vi", "en"):
        err(f"{where}: language must be 'vi' or 'en'")
    if isinstance(row.get("trl"), int) and not 1 <= row["trl"] <= 9:
        err(f"{where}: trl out of 1..9")
    kws = row.get("keywords")
    if isinstance(kws, list):
        if not 3 <= len(kws) <= 6:
            err(f"{where}: {len(kws)} keywords (want 3–6)")
        if not all(isinstance(k, str) and k.strip() for k in kws):
            err(f"{where}: keywords must be non-empty strings")
        if len({k.lower() for k in kws}) != len(kws):
            err(f"{where}: duplicate keywords")
    desc = row.get("description") or ""
    sentences = len(SENTENCE_END.findall(desc.strip()))
    if not 2 <= sentences <= 5:
        err(f"{where}: description has {sentences} sentences (want 2–5)")
    for field in ("title", "description", "organization"):
        text = row.get(field) or ""
        if not text.strip():
            err(f"{where}: empty {field}")
        if text != unicodedata.normalize("NFC", text):
            err(f"{where}: {field} is not NFC-normalised Unicode")
    if row.get("language") == "vi":
        text = (row.get("title", "") + " " + desc).lower()
        if not VI_CHARS & set(text):
            err(f"{where}: Vietnamese posting without Vietnamese diacritics")
    if kind == "need":
        tags = row.get("tags")
        if not isinstance(tags, list) or not all(t in TAGS for t in tags):
            err(f"{where}: tags must be a list drawn from {TAGS}")
        elif len(set(tags)) != len(tags):
            err(f"{where}: duplicate tags")
    elif "tags" in row:
        err(f"{where}: offers carry no tags")


def check_ids(rows: list[dict], first: int, name: str) -> None:
    ids = [r.get("id") for r in rows]
    dup = [i for i, c in Counter(ids).items() if c > 1]
    if dup:
        err(f"{name}: duplicate ids {dup}")
    if sorted(ids) != list(range(first, first + len(rows))):
        err(f"{name}: ids should run {first}..{first + len(rows) - 1} without gaps")


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def check_core(directory: Path) -> tuple[dict, dict, dict]:
    """Check postings and judgements; return needs, offers and qrels by id."""
    needs = load_jsonl(directory / "needs.jsonl", "need")
    offers = load_jsonl(directory / "offers.jsonl", "offer")
    check_ids(needs, 1, "needs.jsonl")
    check_ids(offers, 1001, "offers.jsonl")
    need_by_id = {n["id"]: n for n in needs}
    offer_by_id = {o["id"]: o for o in offers}

    qrels: dict[int, dict[int, int]] = defaultdict(dict)
    with open(directory / "qrels.tsv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header != ["need_id", "offer_id", "grade"]:
            err(f"qrels.tsv: header should be need_id, offer_id, grade (got {header})")
        for n, row in enumerate(reader, 2):
            if len(row) != 3 or not all(x.strip().lstrip("-").isdigit() for x in row):
                err(f"qrels.tsv:{n}: malformed row {row}")
                continue
            nid, oid, grade = map(int, row)
            if nid not in need_by_id:
                err(f"qrels.tsv:{n}: unknown need {nid}")
            if oid not in offer_by_id:
                err(f"qrels.tsv:{n}: unknown offer {oid}")
            if grade not in (0, 1, 2):
                err(f"qrels.tsv:{n}: grade must be 0, 1 or 2")
            if oid in qrels[nid]:
                err(f"qrels.tsv:{n}: pair {nid}-{oid} judged twice")
            qrels[nid][oid] = grade

    # ---- tags against judgements ----
    for n in needs:
        nid, lang, tags = n["id"], n["language"], set(n.get("tags") or [])
        judged = qrels.get(nid, {})
        if not judged:
            err(f"need {nid}: not judged")
        good = [o for o, g in judged.items() if g >= 1 and o in offer_by_id]
        same = [o for o in good if offer_by_id[o]["language"] == lang]
        if ("no_good_offer" in tags) != (not good):
            err(f"need {nid}: no_good_offer tag disagrees with judgements")
        if ("same_language" in tags) != bool(same):
            err(f"need {nid}: same_language tag disagrees with judgements")
        if ("cross_lingual_only" in tags) != bool(good and not same):
            err(f"need {nid}: cross_lingual_only tag disagrees with judgements")
        if "paraphrase" in tags and not any(judged.get(o) == 2 for o in good):
            err(f"need {nid}: paraphrase need without a grade-2 offer")
        if "distractor" in tags and 0 not in judged.values():
            err(f"need {nid}: distractor need without a grade-0 offer")
        for o in good:
            if judged[o] == 2 and offer_by_id[o]["trl"] < n["trl"]:
                warnings.append(f"need {nid}: grade-2 offer {o} is below the need's TRL")

    # ---- statistics ----
    print(f"Development set in {directory}")
    print(
        f"  needs: {len(needs)}   offers: {len(offers)}   judgements: {sum(len(v) for v in qrels.values())}"
    )
    print()
    print("Language              needs          offers")
    for lang in ("vi", "en"):
        a = sum(n["language"] == lang for n in needs)
        b = sum(o["language"] == lang for o in offers)
        print(f"  {lang:<18} {a:>4} ({pct(a, len(needs)):>4})   {b:>4} ({pct(b, len(offers)):>4})")
    for rows, name in ((needs, "needs"), (offers, "offers")):
        share = sum(r["language"] == "vi" for r in rows) / max(len(rows), 1)
        if not 0.55 <= share <= 0.65:
            err(f"{name}: Vietnamese share {share:.0%} outside 55–65%")
    print()
    print("Sector                    needs (vi/en)   offers (vi/en)")
    for s in SECTORS:
        nv = sum(n["sector"] == s and n["language"] == "vi" for n in needs)
        ne = sum(n["sector"] == s and n["language"] == "en" for n in needs)
        ov = sum(o["sector"] == s and o["language"] == "vi" for o in offers)
        oe = sum(o["sector"] == s and o["language"] == "en" for o in offers)
        if nv + ne + ov + oe:
            print(f"  {s:<24} {nv + ne:>3} ({nv:>2}/{ne:<2})      {ov + oe:>3} ({ov:>2}/{oe:<2})")
        if s in CORE_SECTORS and nv + ne < 3:
            err(f"sector {s}: only {nv + ne} needs (want at least 3)")
    print()
    print("Tag (needs)             total    vi    en")
    for t in TAGS:
        tagged = [n for n in needs if t in (n.get("tags") or [])]
        v = sum(n["language"] == "vi" for n in tagged)
        print(f"  {t:<20} {len(tagged):>6} {v:>5} {len(tagged) - v:>5}")
        if len(tagged) < MIN_TAGGED.get(t, 0):
            err(f"tag {t}: {len(tagged)} needs (want at least {MIN_TAGGED[t]})")
    print()
    grades = Counter(g for v in qrels.values() for g in v.values())
    print("Judgements by grade")
    for g, label in ((2, "solves the need"), (1, "partly / related"), (0, "judged not relevant")):
        print(f"  grade {g} ({label}): {grades[g]}")
    cross = Counter(
        "same language"
        if need_by_id[nid]["language"] == offer_by_id[oid]["language"]
        else "cross-language"
        for nid, v in qrels.items()
        for oid, g in v.items()
        if g >= 1 and nid in need_by_id and oid in offer_by_id
    )
    print(
        f"  grade>=1 pairs: {cross['same language']} same language, {cross['cross-language']} cross-language"
    )
    with_good = [nid for nid in need_by_id if any(g >= 1 for g in qrels.get(nid, {}).values())]
    per2 = Counter(sum(g == 2 for g in qrels[nid].values()) for nid in with_good)
    per1 = Counter(sum(g == 1 for g in qrels[nid].values()) for nid in with_good)
    per0 = Counter(sum(g == 0 for g in qrels.get(nid, {}).values()) for nid in need_by_id)
    fmt = lambda c: ", ".join(f"{k}:{c[k]}" for k in sorted(c))
    print(f"  needs with a grade>=1 offer: {len(with_good)}")
    print(f"  grade-2 offers per such need: {fmt(per2)}")
    print(f"  grade-1 offers per such need: {fmt(per1)}")
    print(f"  grade-0 offers per need:      {fmt(per0)}")
    print()
    best = defaultdict(lambda: -1)
    for v in qrels.values():
        for oid, g in v.items():
            best[oid] = max(best[oid], g)
    relevant = sum(best[o["id"]] >= 1 for o in offers)
    only0 = sum(best[o["id"]] == 0 for o in offers)
    never = [o["id"] for o in offers if best[o["id"]] < 0]
    print("Offers by role")
    print(f"  relevant (grade>=1) to at least one need: {relevant}")
    print(f"  judged only as grade-0 distractors:      {only0}")
    print(f"  never judged (background noise):         {len(never)}")
    print()
    if len(needs) < MIN_NEEDS:
        err(f"needs.jsonl: {len(needs)} needs (want at least {MIN_NEEDS})")
    if len(offers) < MIN_OFFERS:
        err(f"offers.jsonl: {len(offers)} offers (want at least {MIN_OFFERS})")
    return need_by_id, offer_by_id, dict(qrels)


# Place names that occur in the postings; a shared or linked term must occur
# outside them (and outside the organisation's name) to count as used.
_PLACE_NAMES = (
    "Hải Phòng|Haiphong|Hai Phong|Đình Vũ|Dinh Vu|Cát Bà|Cat Ba|Cát Hải|Cat Hai|"
    "Lạch Huyện|Lach Huyen|Lan Hạ|Lan Ha|Hạ Long|Ha Long|Khánh Hòa|Quảng Ninh|"
    "Nam Định|Nam Dinh|Thái Bình|Thai Binh|Đồ Sơn|Do Son|TP.HCM|Hà Nội|Hanoi|Nghệ An|"
    "Bắc Ninh|Bac Ninh|Hà Giang|Ninh Bình|Thanh Hóa|Thanh Hoa|Việt Nam|Vietnam|"
    "Cambodia|Thailand|Phong Khê|Nam Cầu Kiền|Tiên Lãng|Bạch Long Vĩ|Đà Nẵng|Cần Thơ"
)
PLACES = _PLACE_NAMES.split("|")


def posting_text(row: dict) -> str:
    """Casefolded title, description and keywords of a posting, without place and organisation names."""
    text = " ".join([row["title"], row["description"], *row["keywords"]])
    text = unicodedata.normalize("NFC", text).casefold()
    for name in sorted([*PLACES, row["organization"]], key=len, reverse=True):
        text = text.replace(unicodedata.normalize("NFC", name).casefold(), " | ")
    return text


def uses(text: str, term: str) -> bool:
    """True when ``term`` occurs in ``text`` as whole words (case-insensitive)."""
    term = unicodedata.normalize("NFC", term).casefold().strip()
    return bool(term) and re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) is not None


def check_split(directory: Path, need_by_id: dict) -> None:
    """split.tsv: every need exactly once as tune or heldout, each stratum halved (±1)."""
    from split import STRATA, make_split, stratum

    path = directory / "split.tsv"
    if not path.exists():
        err("split.tsv: missing")
        return
    parts: dict[int, str] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header != ["need_id", "part"]:
            err(f"split.tsv: header should be need_id, part (got {header})")
        for n, row in enumerate(reader, 2):
            if len(row) != 2 or not row[0].isdigit() or row[1] not in SPLIT_PARTS:
                err(f"split.tsv:{n}: malformed row {row}")
                continue
            nid = int(row[0])
            if nid not in need_by_id:
                err(f"split.tsv:{n}: unknown need {nid}")
            if nid in parts:
                err(f"split.tsv:{n}: need {nid} listed twice")
            parts[nid] = row[1]
    missing = sorted(set(need_by_id) - set(parts))
    if missing:
        err(f"split.tsv: needs missing {missing}")
    print("Split (needs)           tune  heldout")
    for name in STRATA:
        ids = [i for i, n in need_by_id.items() if stratum(n.get("tags") or []) == name]
        tune = sum(parts.get(i) == "tune" for i in ids)
        held = sum(parts.get(i) == "heldout" for i in ids)
        print(f"  {name:<20} {tune:>6} {held:>8}")
        if abs(tune - held) > 1:
            err(f"split.tsv: stratum {name} is {tune} tune / {held} heldout (want halves ±1)")
    tune = sum(p == "tune" for p in parts.values())
    print(f"  {'all':<20} {tune:>6} {len(parts) - tune:>8}")
    print()
    if parts != make_split(list(need_by_id.values())):
        warnings.append("split.tsv differs from what split.py writes for this set")


def check_term_links(directory: Path, need_by_id: dict, offer_by_id: dict, qrels: dict) -> None:
    """term_links.jsonl: judged grade>=1 pairs, terms used as words in the texts, counts."""
    path = directory / "term_links.jsonl"
    if not path.exists():
        err("term_links.jsonl: missing")
        return
    seen: set[tuple[int, int]] = set()
    cross = n_shared = n_linked = 0
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"term_links.jsonl:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                err(f"{where}: invalid JSON ({exc})")
                continue
            if set(row) != {"need", "offer", "shared", "linked"}:
                err(f"{where}: fields must be need, offer, shared, linked")
                continue
            nid, oid = row["need"], row["offer"]
            if nid not in need_by_id or oid not in offer_by_id:
                err(f"{where}: unknown need {nid} or offer {oid}")
                continue
            if (nid, oid) in seen:
                err(f"{where}: pair {nid}-{oid} listed twice")
            seen.add((nid, oid))
            if qrels.get(nid, {}).get(oid, 0) < 1:
                err(f"{where}: pair {nid}-{oid} is not judged grade 1 or 2")
            need, offer = need_by_id[nid], offer_by_id[oid]
            cross += need["language"] != offer["language"]
            nt, ot = posting_text(need), posting_text(offer)
            shared, linked = row["shared"], row["linked"]
            if not isinstance(shared, list) or not all(isinstance(t, str) for t in shared):
                err(f"{where}: shared must be a list of strings")
                shared = []
            if not isinstance(linked, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(t, str) for t in p)
                for p in linked
            ):
                err(f"{where}: linked must be a list of [need term, offer term]")
                linked = []
            if not shared and not linked:
                err(f"{where}: no shared or linked terms")
            if len({t.casefold() for t in shared}) != len(shared):
                err(f"{where}: duplicate shared terms")
            for term in shared:
                if not (uses(nt, term) and uses(ot, term)):
                    err(f"{where}: shared term {term!r} is not used in both texts")
            for a, b in linked:
                if a.casefold().strip() == b.casefold().strip():
                    err(f"{where}: linked terms {a!r} ≈ {b!r} are the same word")
                if not uses(nt, a):
                    err(f"{where}: linked term {a!r} is not used in need {nid}")
                if not uses(ot, b):
                    err(f"{where}: linked term {b!r} is not used in offer {oid}")
            n_shared += len(shared)
            n_linked += len(linked)
    print("Term links")
    print(f"  pairs: {len(seen)} ({cross} cross-language)")
    print(f"  shared terms: {n_shared}   linked term pairs: {n_linked}")
    print()
    if len(seen) < MIN_TERM_LINKS:
        err(f"term_links.jsonl: {len(seen)} pairs (want at least {MIN_TERM_LINKS})")
    if cross < MIN_TERM_LINKS_CROSS:
        err(f"term_links.jsonl: {cross} cross-language pairs (want {MIN_TERM_LINKS_CROSS})")


def check_pairs(path: Path, need_by_id: dict, offer_by_id: dict) -> None:
    """pairs.jsonl: VI–EN posting pairs, ids 1..N, every sector, no dev-set text in them."""
    if not path.exists():
        err(f"{path.name}: missing")
        return
    titles = {
        unicodedata.normalize("NFC", p["title"]).casefold()
        for p in [*need_by_id.values(), *offer_by_id.values()]
    }
    ids: list[int] = []
    sectors: Counter[str] = Counter()
    texts: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                err(f"{where}: invalid JSON ({exc})")
                continue
            if set(row) != {"id", "sector", "vi", "en"}:
                err(f"{where}: fields must be id, sector, vi, en")
                continue
            ids.append(row["id"])
            if row["sector"] not in SECTORS:
                err(f"{where}: unknown sector {row['sector']!r}")
            sectors[row["sector"]] += 1
            for lang in ("vi", "en"):
                text = row[lang]
                if not isinstance(text, str) or len(text.split()) < 6:
                    err(f"{where}: {lang} text missing or shorter than 6 words")
                    continue
                if text != unicodedata.normalize("NFC", text):
                    err(f"{where}: {lang} text is not NFC-normalised")
                has_vi = bool(VI_CHARS & set(text.lower()))
                if has_vi != (lang == "vi"):
                    err(f"{where}: {lang} text has {'' if has_vi else 'no '}Vietnamese letters")
                folded = text.casefold()
                if folded in texts:
                    err(f"{where}: {lang} text repeats an earlier pair")
                texts.add(folded)
                if any(t in folded for t in titles):
                    err(f"{where}: {lang} text contains a development-set title")
    if sorted(ids) != list(range(1, len(ids) + 1)):
        err(f"{path.name}: ids should run 1..{len(ids)} without gaps or repeats")
    print(f"Parallel pairs ({path})")
    print(f"  pairs: {len(ids)}   sectors: {len(sectors)} of {len(SECTORS)}")
    print("  " + ", ".join(f"{s}:{sectors[s]}" for s in SECTORS))
    print()
    if len(ids) < MIN_PAIRS:
        err(f"{path.name}: {len(ids)} pairs (want at least {MIN_PAIRS})")
    for s in SECTORS:
        if sectors[s] < 5:
            err(f"{path.name}: sector {s} has {sectors[s]} pairs (want at least 5)")


def main(argv: list[str]) -> int:
    """Run the checks chosen by ``argv``; return the exit status."""
    options = {a for a in argv if a.startswith("--")}
    unknown = options - {"--split", "--term-links", "--pairs"}
    if unknown:
        print(f"unknown options {sorted(unknown)}; see the module docstring")
        return 2
    args = [a for a in argv if not a.startswith("--")]
    directory = Path(args[0]) if args else Path(__file__).resolve().parent
    need_by_id, offer_by_id, qrels = check_core(directory)
    everything = not options
    if everything or "--split" in options:
        check_split(directory, need_by_id)
    if everything or "--term-links" in options:
        check_term_links(directory, need_by_id, offer_by_id, qrels)
    if everything or "--pairs" in options:
        check_pairs(directory.parent / "parallel" / "pairs.jsonl", need_by_id, offer_by_id)
    for w in warnings:
        print(f"warning: {w}")
    for e in errors:
        print(f"ERROR: {e}")
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
