"""The kernel's SVG charts: well-formed, CSP-clean (no style attribute, no script), every label and
series named, values written out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from core.charts import Series, bar_chart, line_chart

NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_a_chart_is_well_formed_svg_without_styles_or_scripts(draw: object) -> None:
    labels = ["1月", "2月", "3月"]
    chart = draw(  # type: ignore[operator]
        "充值与消费<对比>",
        labels,
        [Series("充值", [Decimal("1200.50"), 800, 0]), Series("消费", [300, Decimal("99.99"), 5])],
    )
    root = ET.fromstring(str(chart))
    assert root.tag == f"{NS}svg"
    assert "style=" not in chart and "<script" not in chart
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "充值与消费<对比>" in texts  # escaped in the markup, intact when read
    assert {"1月", "2月", "3月", "充值", "消费"} <= set(texts)
    assert root.find(f"{NS}title") is not None


def test_bars_write_their_values_and_scale_to_a_round_maximum() -> None:
    chart = bar_chart("金额", ["粮油", "蔬菜"], [Series("金额（元）", [Decimal("1234.5"), 3])])
    root = ET.fromstring(str(chart))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "1,234.50" in texts and "3" in texts
    assert "2,000" in texts  # the axis top: the next round number above 1234.5
    bars = [r for r in root.iter(f"{NS}rect") if r.get("fill") == "url(#p0)"]
    heights = sorted(float(r.get("height", "0")) for r in bars if r.find(f"{NS}title") is not None)
    assert heights[1] > heights[0] * 100


def test_an_empty_chart_says_so_and_mismatched_series_are_refused() -> None:
    empty = bar_chart("空", [], [Series("金额", [])])
    assert "所选期间没有数据" in empty
    with pytest.raises(ValueError, match="values for"):
        line_chart("x", ["a", "b"], [Series("s", [1])])


def test_a_count_axis_has_whole_number_steps() -> None:
    chart = bar_chart("笔数", ["9时", "10时"], [Series("笔数", [0, 2])])
    texts = [t.text for t in ET.fromstring(str(chart)).iter(f"{NS}text")]
    assert {"0", "1", "2", "3", "4"} <= set(texts) and "0.50" not in texts
