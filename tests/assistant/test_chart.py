"""ECharts option dicts: plain JSON, the keys the web UI expects, no functions."""

from __future__ import annotations

import json
from datetime import date

import pytest

from steelsage.assistant.chart import bar_chart, line_chart

KEYS = {"title", "tooltip", "legend", "xAxis", "yAxis", "series"}


def test_line_chart_is_json_with_iso_dates():
    option = line_chart(
        {
            "上海螺纹": [(date(2026, 11, 23), 3600.0), (date(2026, 11, 24), 3610.0)],
            "社会库存": [(date(2026, 11, 20), 427.3), (date(2026, 11, 24), float("nan"))],
        },
        "螺纹钢",
        "元/吨",
    )
    assert set(option) >= KEYS
    assert json.loads(json.dumps(option, allow_nan=False)) == option
    assert option["xAxis"]["type"] == "time"
    assert option["legend"]["data"] == ["上海螺纹", "社会库存"]
    first, second = option["series"]
    assert first["type"] == "line" and first["data"][0] == ["2026-11-23", 3600.0]
    assert second["data"][1] == ["2026-11-24", None]  # NaN is a gap, not invalid JSON
    assert option["title"]["text"] == "螺纹钢" and option["yAxis"]["name"] == "元/吨"


def test_bar_chart_keeps_the_label_order():
    option = bar_chart(["天津", "北京", "上海"], [3510, 3530.0, None], "排名", None)
    assert set(option) >= KEYS
    assert option["xAxis"] == {"type": "category", "data": ["天津", "北京", "上海"]}
    assert option["series"][0]["data"] == [3510.0, 3530.0, None]
    assert option["yAxis"]["name"] == "" and "subtext" not in option["title"]
    json.dumps(option, allow_nan=False)


def test_bar_chart_needs_one_value_per_label():
    with pytest.raises(ValueError, match="one value per label"):
        bar_chart(["a", "b"], [1.0], "t")


def test_no_javascript_in_options():
    text = json.dumps(line_chart({"x": [(date(2026, 1, 2), 1.0)]}, "t", "u")) + json.dumps(
        bar_chart(["a"], [1.0], "t", "u")
    )
    assert "function" not in text and "=>" not in text
