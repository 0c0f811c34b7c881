"""The SVG charts of the dashboard (:mod:`service.web.charts`): well-formed, accessible,
sizes proportional to the data, labels escaped, empty data drawn without errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from service.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    ids = (root.get("aria-labelledby") or "").split()
    found = {el.get("id"): el for el in root if el.tag in (f"{SVG}title", f"{SVG}desc")}
    assert set(ids) == set(found)
    assert found[ids[0]].text == title
    assert found[ids[1]].text


def test_bar_lengths_are_proportional_to_the_totals() -> None:
    bars = [charts.Bar("a", (30.0, 10.0)), charts.Bar("b", (10.0, 0.0)), charts.Bar("c", (0, 20))]
    root = parse(charts.bar_chart(bars, ["vi", "en"], title="Postings", desc="d", chart_id="c1"))
    accessible(root, "Postings")
    groups = root.findall(f"{SVG}g[@class='bar']")
    assert [g.get("data-label") for g in groups] == ["a", "b", "c"]
    widths = {
        (g.get("data-label"), r.get("data-series")): float(r.get("width") or 0)
        for g in groups
        for r in g.findall(f"{SVG}rect")
    }
    assert widths[("a", "vi")] == pytest.approx(3 * widths[("b", "vi")], rel=0.01)
    assert widths[("a", "vi")] + widths[("a", "en")] == pytest.approx(
        2 * widths[("c", "en")], rel=0.01
    )
    assert ("b", "en") not in widths  # a zero segment draws nothing
    a_vi = next(r for r in groups[0].findall(f"{SVG}rect") if r.get("data-series") == "vi")
    a_en = next(r for r in groups[0].findall(f"{SVG}rect") if r.get("data-series") == "en")
    assert float(a_en.get("x") or 0) == pytest.approx(
        float(a_vi.get("x") or 0) + float(a_vi.get("width") or 0), abs=0.2
    )  # stacked
    assert [g.get("data-value") for g in groups] == ["40", "10", "20"]


def test_labels_and_titles_are_escaped() -> None:
    evil = '<script>alert("x")</script> & "q"'
    markup = str(
        charts.bar_chart(
            [charts.Bar(evil, (1.0,))], [evil], title=evil, desc=evil, chart_id='x"><b'
        )
    )
    assert "<script>" not in markup and '"><b' not in markup
    root = parse(markup)  # still well-formed XML
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]
    assert root.find(f"{SVG}g[@class='bar']").get("data-label") == evil  # type: ignore[union-attr]
    for chart in (
        charts.funnel([(evil, 3)], title=evil, desc=evil, chart_id="f"),
        charts.column_chart([(evil, 2.0)], title=evil, desc=evil, chart_id="k"),
        charts.histogram([0.5], title=evil, desc=evil, chart_id="h", threshold_label=evil),
    ):
        assert "<script>" not in str(chart)
        parse(chart)


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip() -> None:
    label = "Nuôi trồng và khai thác thủy sản nước lợ ven biển"
    root = parse(
        charts.bar_chart([charts.Bar(label, (1.0,))], ["n"], title="t", desc="d", chart_id="c")
    )
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(t.endswith("…") and label.startswith(t[:-1]) for t in texts)
    assert label in (root.find(f"{SVG}g/{SVG}title").text or "")  # type: ignore[union-attr]


def test_histogram_counts_bins_and_edges() -> None:
    assert charts.histogram_counts([0.0, 0.05, 0.1, 0.99, 1.0, 1.2, -0.1], 10, 0.0, 1.0) == [
        3,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        3,
    ]
    with pytest.raises(ValueError):
        charts.histogram_counts([0.5], 0, 0.0, 1.0)


def test_histogram_heights_and_threshold() -> None:
    values = [0.12] * 4 + [0.47] * 2 + [0.81]
    root = parse(
        charts.histogram(
            values,
            bins=10,
            threshold=0.4,
            threshold_label="ngưỡng 0.40",
            title="S",
            desc="d",
            chart_id="h",
        )
    )
    accessible(root, "S")
    bins = root.findall(f"{SVG}rect[@class='bin']")
    assert len(bins) == 10
    heights = [float(b.get("height") or 0) for b in bins]
    assert [int(b.get("data-value") or 0) for b in bins] == [0, 4, 0, 0, 2, 0, 0, 0, 1, 0]
    assert heights[1] == pytest.approx(2 * heights[4], rel=0.01)
    assert heights[1] == pytest.approx(4 * heights[8], rel=0.01)
    below, above = bins[1].get("fill"), bins[4].get("fill")
    assert below != above and above == charts.HIGHLIGHT
    line = root.find(f"{SVG}line[@class='threshold']")
    assert line is not None and line.get("data-value") == "0.400"
    first_x = float(bins[0].get("x") or 0) - 1
    last_end = float(bins[-1].get("x") or 0) + float(bins[-1].get("width") or 0) + 1
    x = float(line.get("x1") or 0)
    assert x == pytest.approx(first_x + 0.4 * (last_end - first_x), abs=0.3)
    assert any(t.text == "ngưỡng 0.40" for t in root.iter(f"{SVG}text"))


def test_column_chart_marks_the_cap() -> None:
    root = parse(
        charts.column_chart(
            [("0", 2.0), ("1", 6.0), ("2", 3.0)],
            marked="2",
            marked_label="cap",
            title="F",
            desc="d",
            chart_id="k",
        )
    )
    cols = root.findall(f"{SVG}rect[@class='column']")
    heights = [float(c.get("height") or 0) for c in cols]
    assert heights[1] == pytest.approx(3 * heights[0], rel=0.01)
    assert heights[1] == pytest.approx(2 * heights[2], rel=0.01)
    assert cols[2].get("fill") == charts.HIGHLIGHT and cols[0].get("fill") != charts.HIGHLIGHT


def test_funnel_widths_and_shares() -> None:
    stages = [
        ("Suggested", 200),
        ("Accepted", 50),
        ("Scheduled", 40),
        ("Held", 0),
        ("Follow-up", 0),
    ]
    root = parse(charts.funnel(stages, title="Funnel", desc="d", chart_id="f"))
    accessible(root, "Funnel")
    groups = root.findall(f"{SVG}g[@class='stage']")
    widths = [float(g.find(f"{SVG}rect[@class='level']").get("width") or 0) for g in groups]  # type: ignore[union-attr]
    assert widths[0] == pytest.approx(4 * widths[1], rel=0.01)
    assert widths[1] == pytest.approx(1.25 * widths[2], rel=0.01)
    assert widths[3] == 0
    texts = [g.find(f"{SVG}text").text for g in groups]  # type: ignore[union-attr]
    assert texts[0] == "Suggested: 200"
    assert texts[1] == "Accepted: 50 · 25%"
    assert texts[2] == "Scheduled: 40 · 80%"
    assert texts[4] == "Follow-up: 0 · –"  # no share of an empty stage
    tracks = {g.find(f"{SVG}rect[@class='track']").get("width") for g in groups}  # type: ignore[union-attr]
    assert len(tracks) == 1  # every stage on the same full-width track


def test_legend_wraps_and_takes_the_given_colours() -> None:
    names = ["Đã chấp nhận (4)", "Đã từ chối (1)", "Để sau (0)", "Chưa duyệt (76)"]
    colours = ("#111111", "#222222", "#333333", "#444444")
    bar = charts.Bar("Các cặp", (4.0, 1.0, 0.0, 76.0))
    root = parse(
        charts.bar_chart(
            [bar],
            names,
            title="t",
            desc="d",
            chart_id="r",
            label_width=90,
            colours=colours,
            width=400,
        )
    )
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    swatches = legend.findall(f"{SVG}rect")
    assert [r.get("fill") for r in swatches] == list(colours)
    for rect in swatches:
        assert float(rect.get("x") or 0) + 12 <= 400
    assert len({r.get("y") for r in swatches}) >= 2  # wrapped onto a second line
    segments = root.findall(f"{SVG}g[@class='bar']/{SVG}rect")
    assert [r.get("fill") for r in segments] == ["#111111", "#222222", "#444444"]
    legend_bottom = max(float(r.get("y") or 0) + 12 for r in swatches)
    assert float(segments[0].get("y") or 0) >= legend_bottom  # the bar below the legend


def test_empty_data_draws_empty_charts() -> None:
    for chart in (
        charts.bar_chart([], ["vi"], title="t", desc="d", chart_id="a"),
        charts.bar_chart([charts.Bar("x", (0.0,))], ["vi"], title="t", desc="d", chart_id="b"),
        charts.histogram([], title="t", desc="d", chart_id="c", threshold=0.4),
        charts.column_chart([], title="t", desc="d", chart_id="d"),
        charts.funnel([("a", 0), ("b", 0)], title="t", desc="d", chart_id="e"),
    ):
        root = parse(chart)
        assert all(float(r.get("height") or 0) >= 0 for r in root.iter(f"{SVG}rect"))
        assert "nan" not in str(chart).lower()
