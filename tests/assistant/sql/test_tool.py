"""The ``sql_query`` tool: rows as data, numbers as values, one source per series."""

from __future__ import annotations

import pytest

from steelsage.assistant.principal import LOCAL_ADMIN
from steelsage.assistant.sql import SqlQueryTool, describe
from steelsage.assistant.sql.semantic import EXAMPLES
from steelsage.assistant.sql.tool import MAX_VALUES, shown
from steelsage.assistant.tools.base import ToolContext, ToolError, ToolRegistry
from steelsage.catalog import load_catalog

from .sql_support import BASE, DAYS, REBAR_ONLY, START, TODAY, Market


def _ctx(market: Market, principal=LOCAL_ADMIN) -> ToolContext:  # type: ignore[no-untyped-def]
    return ToolContext(
        engine=market.engine, catalog=load_catalog(), principal=principal, today=TODAY
    )


def _registry() -> ToolRegistry:
    return ToolRegistry([SqlQueryTool()])


def test_schema_is_an_openai_tool_with_one_sql_argument() -> None:
    schema = _registry().schemas()[0]
    assert schema["function"]["name"] == "sql_query"
    params = schema["function"]["parameters"]
    assert params["required"] == ["sql"] and list(params["properties"]) == ["sql"]


def test_values_sources_and_data(market: Market) -> None:
    out = _registry().call(
        "sql_query",
        {
            "sql": "SELECT series_code, date, value, round(value / 3, 2) AS third "
            "FROM v_observations WHERE date = '2026-01-01' ORDER BY series_code"
        },
        _ctx(market),
    )
    assert out.data["columns"] == ["series_code", "date", "value", "third"]
    assert out.data["rows"][0] == ["hrc.shanghai", "2026-01-01", 3900.25, 1300.08]
    assert out.data["row_count"] == 3 and not out.data["truncated"]
    assert "LIMIT" in out.data["executed_sql"]

    first = {v.label: v for v in out.values if v.label.endswith("[0]")}
    assert first["value[0]"].value == BASE["hrc.shanghai"]
    assert first["value[0]"].decimals == 2
    assert first["value[0]"].unit == "CNY_T_VAT"
    assert first["value[0]"].series_code == "hrc.shanghai"
    assert first["value[0]"].date == START
    assert first["third[0]"].decimals == 2 and first["third[0]"].unit is None
    rebar = next(v for v in out.values if v.label == "value[2]")
    assert (rebar.value, rebar.decimals) == (BASE["rebar.shanghai"], 0)

    assert [s.series_code for s in out.sources] == [
        "hrc.shanghai",
        "rebar.beijing",
        "rebar.shanghai",
    ]
    assert out.sources[0].start == START and out.sources[0].unit == "CNY_T_VAT"
    assert out.unit == "CNY_T_VAT"


def test_no_series_code_column_means_no_sources(market: Market) -> None:
    out = _registry().call(
        "sql_query", {"sql": "SELECT count(*) AS n FROM v_observations"}, _ctx(market)
    )
    assert out.sources == []
    assert [(v.label, v.value, v.decimals) for v in out.values] == [
        ("n[0]", float(3 * len(DAYS)), 0)
    ]


def test_values_are_capped_and_truncation_is_noted(market: Market) -> None:
    out = _registry().call(
        "sql_query",
        {"sql": "SELECT value, low, high FROM v_observations ORDER BY date"},
        _ctx(market),
    )
    assert out.data["row_count"] == 200 and out.data["truncated"]
    assert len(out.values) == MAX_VALUES
    assert {n["code"] for n in out.notes} == {"truncated", "values_capped"}


def test_refusal_becomes_a_tool_error_in_both_languages(market: Market) -> None:
    with pytest.raises(ToolError) as info:
        _registry().call("sql_query", {"sql": "DROP TABLE series"}, _ctx(market))
    assert info.value.code == "write"
    assert info.value.detail["message_zh"] and info.value.detail["message_en"]
    assert info.value.detail["sql"] == "DROP TABLE series"


def test_tool_applies_the_callers_entitlements(market: Market) -> None:
    out = _registry().call(
        "sql_query",
        {"sql": "SELECT series_code, value FROM v_observations WHERE series_code = 'hrc.shanghai'"},
        _ctx(market, REBAR_ONLY),
    )
    assert out.data["rows"] == [] and out.values == [] and out.sources == []


@pytest.mark.parametrize(
    ("number", "expected"),
    [(3650, (3650.0, 0)), (3650.0, (3650.0, 0)), (12.5, (12.5, 1)), (1 / 3, (0.3333, 4))],
)
def test_shown_rounds_to_at_most_four_decimals(number: float, expected: tuple) -> None:
    assert shown(number) == expected


def test_examples_answer_on_the_demo_market(tool_ctx: ToolContext) -> None:
    dialect = tool_ctx.engine.dialect.name
    assert "v_observations" in describe("zh", dialect)
    registry = _registry()
    for example in EXAMPLES:
        out = registry.call("sql_query", {"sql": example.sql(dialect)}, tool_ctx)
        assert out.data["rows"], example.en
        assert out.values
