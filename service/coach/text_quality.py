"""Descriptions too short or too vague to match well (measured signals).

Triggers (see ``docs/coach.md``):

- ``description_short``: fewer than :data:`MIN_WORDS` words in the description (a
  Vietnamese word counted per syllable, so its threshold is higher). The shortest
  description in the development set has 25 words; its median is about 70.
- ``description_vague`` (only when not short): the title and description together give
  fewer than :data:`MIN_TERMS` (15) distinct content terms (the engine's lexical tokens: stop
  words dropped, English stemmed, Vietnamese segmented), or at least
  :data:`GENERIC_SHARE` of those terms are generic words ("giải pháp", "hiệu quả",
  "solution", "smart"…). The development set's median is about 40 distinct terms.
"""

from __future__ import annotations

from service.coach.draft import Draft, Hint
from service.coach.messages import GENERIC_NOTE, message, quoted
from service.matching import tokenize

MIN_WORDS = {"vi": 40, "en": 30}
MIN_TERMS = 15
GENERIC_SHARE = 0.3

#: Words that say nothing about what is needed or offered (as lexical tokens).
GENERIC = frozenset(
    {
        "giải_pháp", "công_nghệ", "hệ_thống", "hiệu_quả", "nâng_cao", "cải_thiện", "hiện_đại",
        "thông_minh", "chất_lượng", "phát_triển", "ứng_dụng", "tối_ưu", "mới", "tốt",
        "hỗ_trợ", "cần", "muốn", "tìm", "nâng", "cao", "sản_phẩm", "dịch_vụ", "doanh_nghiệp",
        "công_ty", "quản_lý", "dữ_liệu", "giải_pháp_công_nghệ", "thiết_bị", "xử_lý",
        "upgrad", "manag", "data", "treatment", "analysi",
        "solut", "system", "technolog", "improv", "effici", "smart", "modern", "innov",
        "qualiti", "develop", "applic", "optim", "new", "better", "support", "need", "want",
        "look", "product", "servic", "compani", "busi",
    }
)  # fmt: skip

#: Words fine in a description but too broad to be suggested as a term on their own
#: ("quy trình" / process): never named by ``term_unused`` or the reach hint.
TOO_BROAD = GENERIC | frozenset({"quy_trình", "phương_pháp", "process", "method"})


#: How a stemmed English generic token is shown.
SHOWN = {
    "solut": "solution",
    "technolog": "technology",
    "improv": "improve",
    "effici": "efficient",
    "innov": "innovative",
    "qualiti": "quality",
    "develop": "develop",
    "applic": "application",
    "optim": "optimise",
    "servic": "service",
    "compani": "company",
    "busi": "business",
}


def word_count(text: str) -> int:
    """Whitespace-separated words of ``text``."""
    return len(text.split())


def content_terms(draft: Draft) -> set[str]:
    """The distinct lexical tokens of the title and description."""
    return set(tokenize(f"{draft.title}. {draft.description}", draft.lang))


def hints(draft: Draft) -> list[Hint]:
    """``description_short`` or ``description_vague`` when they apply (at most one)."""
    lang = draft.lang
    words, minimum = word_count(draft.description), MIN_WORDS[lang]
    if words < minimum:
        text = message("description_short", lang, words=words, minimum=minimum)
        return [Hint("description_short", "description", text)]
    terms = content_terms(draft)
    generic = sorted(t for t in terms if t in GENERIC)
    if len(terms) < MIN_TERMS or (terms and len(generic) / len(terms) >= GENERIC_SHARE):
        shown = [SHOWN.get(g, g.replace("_", " ")) for g in generic[:3]]
        note = GENERIC_NOTE[lang].format(words=quoted(shown)) if shown else ""
        text = message("description_vague", lang, terms=len(terms), generic=note)
        return [Hint("description_vague", "description", text)]
    return []
