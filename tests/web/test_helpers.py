"""Unit tests of the web helpers: safe highlighting, the session secret, languages."""

from __future__ import annotations

import stat
from pathlib import Path

from service.web.highlight import highlight, side_terms
from service.web.i18n import STRINGS, pick_language, translate
from service.web.pages import safe_next
from service.web.session import load_secret
from tests.web.conftest import web_settings


def test_highlight_escapes_first_then_marks() -> None:
    out = str(highlight('<script>alert("tôm")</script> & Oxy hòa tan', ["script", "oxy hòa"]))
    assert "<script>" not in out
    assert out.startswith("&lt;<mark>script</mark>&gt;")
    assert "&amp;" in out
    assert "<mark>Oxy hòa</mark>" in out  # case ignored, multi-word terms
    assert str(highlight("a < b & c", ["lt", "amp"])) == "a &lt; b &amp; c"  # never in entities
    assert str(highlight("sensors and sensor", ["sensor"])) == (
        "<mark>sensors</mark> and <mark>sensor</mark>"
    )
    assert str(highlight(None, ["x"])) == ""


def test_side_terms_take_shared_and_linked_terms() -> None:
    reasons = {"shared_terms": ["ao_tôm"], "linked_terms": [{"need": "bệnh", "offer": "disease"}]}
    assert side_terms(reasons, "need") == ["ao_tôm", "bệnh"]
    assert side_terms(reasons, "offer") == ["ao_tôm", "disease"]
    assert "<mark>ao tôm</mark>" in str(highlight("nuôi ao tôm", side_terms(reasons, "need")))


def test_secret_from_the_setting_or_a_private_file(tmp_path: Path) -> None:
    assert load_secret(web_settings(tmp_path, secret_key="s3cret")) == "s3cret"
    first = load_secret(web_settings(tmp_path))
    assert len(first) >= 40
    assert load_secret(web_settings(tmp_path)) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_languages_and_strings() -> None:
    assert pick_language("en", "vi") == "en"
    assert pick_language("fr", "en") == "en"
    assert pick_language(None, None) == "vi"
    assert translate("review.done", "en", n=3) == "3 decision(s) saved."
    assert translate("no.such.key", "vi") == "no.such.key"
    assert all(vi and en for vi, en in STRINGS.values())


def test_safe_next_only_allows_local_paths() -> None:
    assert safe_next("/review?status=all") == "/review?status=all"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", None, "review"):
        assert safe_next(bad) is None
