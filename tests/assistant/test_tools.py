"""The data tools against the small demo market.

Every expectation is computed here with plain Polars over ``steelsage.store.get_observations``
— not through the tools' helpers — so a wrong helper cannot make its own test pass.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import Engine, text

from steelsage.assistant.answer import Value
from steelsage.assistant.principal import EntitlementError, Package, Principal
from steelsage.assistant.tools import ToolContext, ToolError, ToolOutput, default_registry
from steelsage.catalog import load_catalog
from steelsage.store import get_observations

from .conftest import ASSISTANT_END

END = ASSISTANT_END  # a Tuesday
SATURDAY = date(2026, 11, 21)
FRIDAY = date(2026, 11, 20)
REBAR = [
    "rebar.beijing",
    "rebar.guangzhou",
    "rebar.hangzhou",
    "rebar.shanghai",
    "rebar.tianjin",
    "rebar.wuhan",
]


@pytest.fixture(scope="module")
def registry():
    return default_registry()


def call(registry, ctx: ToolContext, name: str, **args) -> ToolOutput:
    out = registry.call(name, args, ctx)
    json.loads(out.model_dump_json())  # every output survives JSON, chart included
    return out


def obs(
    engine: Engine, code: str, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    return get_observations(engine, code, start=start, end=end).filter(
        pl.col("value").is_not_null()
    )


def at(engine: Engine, code: str, d: date) -> dict:
    """value_at, the reference way: the last row on or before d."""
    return obs(engine, code, end=d).row(-1, named=True)


def val(out: ToolOutput, label: str) -> Value:
    found = [v for v in out.values if v.label == label]
    assert len(found) == 1, f"{label} not in {[v.label for v in out.values]}"
    return found[0]


def close(value: Value, expected: float) -> bool:
    """Equal within the rounding the Value states."""
    return abs(value.value - expected) <= 0.5 * 10 ** (-value.decimals) + 1e-9


def codes(out: ToolOutput, note: str) -> list[dict]:
    return [n for n in out.notes if n["code"] == note]


def subscriber(**package) -> Principal:
    return Principal(
        id="u1", name="subscriber", role="subscriber", packages=(Package(name="p", **package),)
    )


def ctx_for(engine: Engine, principal: Principal) -> ToolContext:
    return ToolContext(engine=engine, catalog=load_catalog(), principal=principal, today=END)


# ---------------------------------------------------------------------- lookup
def test_lookup_latest_with_low_high_and_source(registry, tool_ctx, assistant_db):
    out = call(registry, tool_ctx, "series_lookup", series=["rebar.shanghai"])
    row = at(assistant_db, "rebar.shanghai", END)
    price = val(out, "rebar.shanghai")
    assert (price.value, price.kind, price.date, price.decimals) == (row["value"], "price", END, 0)
    assert val(out, "rebar.shanghai:low").value == row["low"]
    assert val(out, "rebar.shanghai:high").value == row["high"]
    assert out.unit == "CNY_T_VAT" and out.notes == []
    (src,) = out.sources
    assert (src.series_code, src.start, src.end, src.version) == (
        "rebar.shanghai",
        END,
        END,
        row["version"],
    )
    assert src.published_at == row["published_at"] and src.name.startswith("上海")
    assert src.method and src.source is None


def test_lookup_saturday_uses_friday_and_says_so(registry, tool_ctx, assistant_db):
    out = call(
        registry,
        tool_ctx,
        "series_lookup",
        series=["hrc.shanghai", "rebar.shanghai"],
        date=SATURDAY,
    )
    for code in ("hrc.shanghai", "rebar.shanghai"):
        v = val(out, code)
        assert v.date == FRIDAY and v.value == at(assistant_db, code, SATURDAY)["value"]
    notes = codes(out, "nearest_date")
    assert {n["series"] for n in notes} == {"hrc.shanghai", "rebar.shanghai"}
    assert all(
        n["requested"] == SATURDAY.isoformat() and n["used"] == FRIDAY.isoformat() for n in notes
    )
    assert out.unit == "CNY_T_VAT"


def test_lookup_indicator_and_external_kinds(registry, tool_ctx, assistant_db):
    out = call(
        registry, tool_ctx, "series_lookup", series=["inventory_social.rebar", "wb.IRON_ORE"]
    )
    inv = val(out, "inventory_social.rebar")
    assert inv.kind == "value" and inv.unit == "T_10K"
    assert close(inv, at(assistant_db, "inventory_social.rebar", END)["value"])
    wb = val(out, "wb.IRON_ORE")
    last_wb = obs(assistant_db, "wb.IRON_ORE").row(-1, named=True)
    assert wb.kind == "price" and wb.date == last_wb["date"] and close(wb, last_wb["value"])
    assert out.unit is None  # two units
    ext = next(s for s in out.sources if s.series_code == "wb.IRON_ORE")
    assert ext.source and ext.licence and "World Bank" in ext.licence
    assert "wb.IRON_ORE" in {n["series"] for n in codes(out, "nearest_date")}


def test_lookup_before_the_first_value_uses_the_first_after(registry, tool_ctx, assistant_db):
    first = obs(assistant_db, "rebar.shanghai").row(0, named=True)
    out = call(registry, tool_ctx, "series_lookup", series=["rebar.shanghai"], date="2020-01-01")
    v = val(out, "rebar.shanghai")
    assert (v.date, v.value) == (first["date"], first["value"])
    assert codes(out, "nearest_date")[0]["used"] == first["date"].isoformat()


def test_unknown_series_is_a_tool_error(registry, tool_ctx):
    for name, args in (
        ("series_lookup", {"series": ["rebar.atlantis"]}),
        ("series_stats", {"series": "nope", "start": "2026-01-01"}),
        ("series_spread", {"a": "rebar.shanghai", "b": "nope"}),
    ):
        with pytest.raises(ToolError) as err:
            registry.call(name, args, tool_ctx)
        assert err.value.code == "unknown_series"


# ---------------------------------------------------------------------- change
@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("hrc.shanghai", date(2026, 11, 16), date(2026, 11, 20)),  # a week: base = previous Friday
        ("rebar.shanghai", date(2026, 10, 1), date(2026, 10, 31)),  # a month with a holiday start
        ("inventory_social.rebar", date(2026, 9, 1), END),  # weekly indicator
    ],
)
def test_change_over_a_period(registry, tool_ctx, assistant_db, code, start, end):
    out = call(registry, tool_ctx, "series_change", series=[code], start=start, end=end)
    frame = obs(assistant_db, code)
    last = frame.filter(pl.col("date") <= end).row(-1, named=True)
    base = frame.filter(pl.col("date") < start).row(-1, named=True)
    change = last["value"] - base["value"]
    assert val(out, f"{code}:end").date == last["date"] and close(
        val(out, f"{code}:end"), last["value"]
    )
    assert val(out, f"{code}:base").date == base["date"]
    ch = val(out, f"{code}:change")
    assert (
        ch.kind == "change"
        and ch.start == base["date"]
        and ch.date == last["date"]
        and close(ch, change)
    )
    p = val(out, f"{code}:pct_change")
    assert p.decimals == 2 and close(p, change / base["value"] * 100)
    src = out.sources[0]
    assert (src.start, src.end) == (base["date"], last["date"])
    assert out.chart is not None and out.chart["xAxis"]["type"] == "time"
    if last["date"] != end:
        assert codes(out, "nearest_date")[0]["used"] == last["date"].isoformat()


def test_change_base_inside_the_period_when_nothing_before(registry, tool_ctx, assistant_db):
    frame = obs(assistant_db, "rebar.wuhan")
    first = frame.row(0, named=True)
    out = call(
        registry, tool_ctx, "series_change", series=["rebar.wuhan"], start="2020-01-01", end=END
    )
    assert val(out, "rebar.wuhan:base").date == first["date"]
    assert codes(out, "base_in_period")[0]["used"] == first["date"].isoformat()
    assert close(val(out, "rebar.wuhan:change"), frame["value"][-1] - first["value"])


def test_day_change_uses_the_published_change_column(registry, tool_ctx, assistant_db):
    out = call(registry, tool_ctx, "series_change", series=["rebar.shanghai", "hrc.guangzhou"])
    for code in ("rebar.shanghai", "hrc.guangzhou"):
        row = at(assistant_db, code, END)
        ch = val(out, f"{code}:change")
        assert ch.date == END and close(ch, row["change"])
        assert close(
            val(out, f"{code}:pct_change"), row["change"] / (row["value"] - row["change"]) * 100
        )
        assert val(out, code).value == row["value"]
    assert out.notes == []


def test_day_change_of_an_indicator_is_against_the_previous_value(registry, tool_ctx, assistant_db):
    frame = obs(assistant_db, "port_ore_stocks.national", end=SATURDAY)
    last, prev = frame.row(-1, named=True), frame.row(-2, named=True)
    out = call(
        registry, tool_ctx, "series_change", series=["port_ore_stocks.national"], date=SATURDAY
    )
    ch = val(out, "port_ore_stocks.national:change")
    assert (ch.date, ch.start) == (last["date"], prev["date"])
    assert close(ch, last["value"] - prev["value"])
    assert close(
        val(out, "port_ore_stocks.national:pct_change"), (last["value"] / prev["value"] - 1) * 100
    )


def test_no_data_in_range_is_a_note_not_a_number(registry, tool_ctx):
    out = call(
        registry,
        tool_ctx,
        "series_change",
        series=["wb.IRON_ORE"],
        start="2026-01-01",
        end="2026-06-30",
    )
    assert out.values == [] and codes(out, "no_data")[0]["series"] == "wb.IRON_ORE"
    out = call(
        registry,
        tool_ctx,
        "series_stats",
        series="rebar.shanghai",
        start="2020-01-01",
        end="2020-12-31",
    )
    assert out.values == [] and out.sources == [] and codes(out, "no_data")


# ---------------------------------------------------------------------- compare
def test_compare_series_on_one_date(registry, tool_ctx, assistant_db):
    series = ["rebar.shanghai", "rebar.beijing", "rebar.guangzhou"]
    out = call(registry, tool_ctx, "series_compare", series=series, date=SATURDAY)
    ref = at(assistant_db, "rebar.shanghai", SATURDAY)["value"]
    for code in series:
        assert val(out, code).value == at(assistant_db, code, SATURDAY)["value"]
    for code in series[1:]:
        other = at(assistant_db, code, SATURDAY)["value"]
        diff = val(out, f"rebar.shanghai-{code}")
        assert diff.kind == "spread" and close(diff, ref - other)
        assert close(val(out, f"rebar.shanghai-{code}:pct_change"), (ref - other) / other * 100)
    assert len(codes(out, "nearest_date")) == 3
    assert out.chart["xAxis"]["type"] == "category" and len(out.chart["xAxis"]["data"]) == 3
    assert [s.series_code for s in out.sources] == series


def test_compare_one_series_across_dates(registry, tool_ctx, assistant_db):
    code, year_ago = "port_ore_stocks.national", date(2025, 11, 24)
    out = call(registry, tool_ctx, "series_compare", series=[code], dates=[END, year_ago])
    now, then = at(assistant_db, code, END), at(assistant_db, code, year_ago)
    label = f"{code}@{END.isoformat()}-{code}@{year_ago.isoformat()}"
    assert close(val(out, label), now["value"] - then["value"])
    assert close(
        val(out, f"{label}:pct_change"), (now["value"] - then["value"]) / then["value"] * 100
    )
    assert val(out, f"{code}@{year_ago.isoformat()}").date == then["date"]
    assert out.sources[0].start == then["date"] and out.sources[0].end == now["date"]


def test_compare_units_differ_gives_no_difference(registry, tool_ctx):
    out = call(
        registry, tool_ctx, "series_compare", series=["rebar.shanghai", "iron_ore_62.cfr_china"]
    )
    assert codes(out, "units_differ") and not [v for v in out.values if v.kind == "spread"]


# ---------------------------------------------------------------------- rank
def _day_values(engine: Engine, series: list[str], d: date) -> dict[str, float]:
    out = {}
    for code in series:
        frame = obs(engine, code, d, d)
        if not frame.is_empty():
            out[code] = frame["value"][0]
    return out


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_rank_cities_by_price(registry, tool_ctx, assistant_db, order):
    out = call(registry, tool_ctx, "series_rank", product="rebar", order=order, n=3)
    values = _day_values(assistant_db, REBAR, END)
    expected = sorted(values.values(), reverse=order == "desc")
    rows = out.data["rows"]
    cutoff = expected[2]
    beyond = [x for x in expected[3:] if x == cutoff]  # ties with the third place come along
    assert [r["value"] for r in rows] == expected[: 3 + len(beyond)]
    assert [v.value for v in out.values if v.kind == "price"] == [r["value"] for r in rows]
    assert rows[0]["rank"] == 1 and all(r["region"] in r["series_code"] for r in rows)
    assert (
        out.data["date"] == END.isoformat()
        and out.data["ranked"] == 6
        and not codes(out, "left_out")
    )


def test_rank_leaves_out_series_without_a_value_that_day(registry, assistant_engine_copy):
    with assistant_engine_copy.begin() as conn:
        conn.execute(
            text(
                "UPDATE series_observations SET superseded_at = '2026-11-24 12:00:00.000000' "
                "WHERE series_code = 'rebar.wuhan' AND date = '2026-11-24'"
            )
        )
    ctx = ToolContext(engine=assistant_engine_copy, catalog=load_catalog(), today=END)
    out = call(
        registry,
        ctx,
        "series_rank",
        product="螺纹",
        order="desc",
        n=20,
        date=SATURDAY + timedelta(days=3),
    )
    (note,) = codes(out, "left_out")
    assert note["count"] == 1 and note["series"] == ["rebar.wuhan"]
    assert len(out.data["rows"]) == 5 and val(out, "left_out").value == 1
    assert codes(out, "nearest_date") == []


def test_rank_on_a_saturday_uses_the_latest_market_day(registry, tool_ctx, assistant_db):
    out = call(registry, tool_ctx, "series_rank", product="rebar", n=1, date=SATURDAY)
    assert out.data["date"] == FRIDAY.isoformat()
    assert out.data["rows"][0]["value"] == min(_day_values(assistant_db, REBAR, FRIDAY).values())
    assert codes(out, "nearest_date")[0]["used"] == FRIDAY.isoformat()


def test_rank_unknown_product(registry, tool_ctx):
    with pytest.raises(ToolError) as err:
        registry.call("series_rank", {"product": "unobtainium"}, tool_ctx)
    assert err.value.code == "unknown_product"


# ---------------------------------------------------------------------- spread
def test_spread_over_a_period(registry, tool_ctx, assistant_db):
    a, b, start = "hrc.shanghai", "rebar.shanghai", END - timedelta(days=30)
    out = call(registry, tool_ctx, "series_spread", a=a, b=b, start=start, end=END)
    joined = (
        obs(assistant_db, a)
        .select("date", pl.col("value").alias("a"))
        .join(obs(assistant_db, b).select("date", pl.col("value").alias("b")), on="date")
        .with_columns(spread=pl.col("a") - pl.col("b"))
        .sort("date")
    )
    period = joined.filter(pl.col("date").is_between(start, END))
    base = joined.filter(pl.col("date") < start).row(-1, named=True)
    label = f"{a}-{b}"
    latest = val(out, label)
    assert latest.kind == "spread" and latest.date == END and latest.value == period["spread"][-1]
    ch = val(out, f"{label}:change")
    assert ch.start == base["date"] and close(ch, period["spread"][-1] - base["spread"])
    avg = val(out, f"{label}:average")
    assert avg.decimals == 1 and close(avg, period["spread"].mean())
    hi, lo = val(out, f"{label}:high"), val(out, f"{label}:low")
    assert hi.value == period["spread"].max() and lo.value == period["spread"].min()
    assert hi.date == period.filter(pl.col("spread") == hi.value)["date"][0]
    assert lo.date == period.filter(pl.col("spread") == lo.value)["date"][0]
    assert len(out.data["series"]) == period.height
    assert out.chart["series"][0]["data"][-1] == [END.isoformat(), period["spread"][-1]]
    assert {s.series_code for s in out.sources} == {a, b}


def test_ratio_at_a_date(registry, tool_ctx, assistant_db):
    a, b = "rebar.shanghai", "pb_fines.qingdao_port"
    out = call(registry, tool_ctx, "series_spread", a=a, b=b, op="ratio", date=SATURDAY)
    ratio = val(out, f"{a}/{b}")
    expected = at(assistant_db, a, SATURDAY)["value"] / at(assistant_db, b, SATURDAY)["value"]
    assert ratio.kind == "ratio" and ratio.decimals == 2 and close(ratio, expected)
    assert ratio.date == FRIDAY and len(codes(out, "nearest_date")) == 2


def test_spread_of_different_units_is_refused(registry, tool_ctx):
    with pytest.raises(ToolError) as err:
        registry.call(
            "series_spread", {"a": "rebar.shanghai", "b": "iron_ore_62.cfr_china"}, tool_ctx
        )
    assert err.value.code == "unit_mismatch" and "ratio" in str(err.value)


# ---------------------------------------------------------------------- stats
ALL_STATS = [
    "average",
    "high",
    "low",
    "first",
    "last",
    "change",
    "pct_change",
    "median",
    "stdev",
    "count",
]


@pytest.mark.parametrize(
    "code", ["rebar.shanghai", "iron_ore_62.cfr_china", "bf_utilization.national"]
)
def test_stats_over_a_period(registry, tool_ctx, assistant_db, code):
    start, end = date(2026, 8, 1), date(2026, 10, 31)
    out = call(
        registry, tool_ctx, "series_stats", series=code, start=start, end=end, stats=ALL_STATS
    )
    frame = obs(assistant_db, code, start, end)
    s = frame["value"]
    first, last = s[0], s[-1]
    expected = {
        "average": s.mean(),
        "high": s.max(),
        "low": s.min(),
        "first": first,
        "last": last,
        "change": last - first,
        "pct_change": (last - first) / first * 100,
        "median": s.median(),
        "stdev": s.std(),
        "count": frame.height,
    }
    for stat, x in expected.items():
        assert close(val(out, f"{code}:{stat}"), x), stat
    assert val(out, f"{code}:high").date == frame.filter(pl.col("value") == s.max())["date"][0]
    assert val(out, f"{code}:low").date == frame.filter(pl.col("value") == s.min())["date"][0]
    assert val(out, f"{code}:first").date == frame["date"][0]
    avg = val(out, f"{code}:average")
    assert (avg.start, avg.date) == (frame["date"][0], frame["date"][-1])
    if code == "rebar.shanghai":
        assert avg.decimals == 1 and val(out, f"{code}:high").decimals == 0
    assert val(out, f"{code}:pct_change").decimals == 2
    src = out.sources[0]
    assert (src.start, src.end, src.version) == (
        frame["date"][0],
        frame["date"][-1],
        frame["version"].max(),
    )
    assert len(out.chart["series"][0]["data"]) == frame.height


def test_stats_default_is_the_first_seven(registry, tool_ctx):
    out = call(registry, tool_ctx, "series_stats", series="rebar.shanghai", start="2026-11-01")
    assert [v.label.split(":")[1] for v in out.values] == ALL_STATS[:7]


# ---------------------------------------------------------------------- catalog search
def test_catalog_search_resolves_aliases(registry, tool_ctx):
    out = call(registry, tool_ctx, "catalog_search", query="你们有哪些铁矿数据")
    hits = {row["code"] for row in out.data["series"]}
    assert out.data["resolved"]["commodity"] == "iron_ore"
    assert {"iron_ore_62.cfr_china", "pb_fines.qingdao_port", "port_ore_stocks.national"} <= hits
    assert not any(h.startswith(("rebar.", "hrc.")) for h in hits)
    count = val(out, "catalog_search")
    assert count.kind == "count" and count.value == out.data["total"] == len(hits)
    row = next(r for r in out.data["series"] if r["code"] == "pb_fines.qingdao_port")
    assert row["unit"] == "CNY_WMT_VAT" and row["last"] == END.isoformat() and row["name_zh"]

    rebar = call(registry, tool_ctx, "catalog_search", query="螺纹", kind="assessment")
    assert {r["code"] for r in rebar.data["series"]} == set(REBAR)
    one = call(registry, tool_ctx, "catalog_search", query="上海螺纹")
    assert [r["code"] for r in one.data["series"]] == ["rebar.shanghai"]
    inv = call(registry, tool_ctx, "catalog_search", query="库存")
    assert inv.data["series"] and all("库存" in r["name_zh"] for r in inv.data["series"])


def test_catalog_search_filters_limits_and_misses(registry, tool_ctx):
    out = call(registry, tool_ctx, "catalog_search", commodity="铁矿石", kind="assessment")
    assert {r["code"] for r in out.data["series"]} == {
        "iron_ore_62.cfr_china",
        "pb_fines.qingdao_port",
    }
    limited = call(registry, tool_ctx, "catalog_search", limit=3)
    assert (
        len(limited.data["series"]) == 3
        and limited.data["total"] > 3
        and codes(limited, "truncated")
    )
    miss = call(registry, tool_ctx, "catalog_search", query="zzz 不存在的东西")
    assert miss.data["total"] == 0 and codes(miss, "no_match") and miss.data["available"]
    with pytest.raises(ToolError) as err:
        registry.call("catalog_search", {"commodity": "unobtainium"}, tool_ctx)
    assert err.value.code == "unknown_commodity"


# ---------------------------------------------------------------------- entitlements
def test_rebar_only_subscriber(registry, assistant_db):
    ctx = ctx_for(assistant_db, subscriber(products=frozenset({"rebar"})))
    with pytest.raises(EntitlementError):
        registry.call("series_lookup", {"series": ["rebar.shanghai", "hrc.shanghai"]}, ctx)
    with pytest.raises(EntitlementError):
        registry.call("series_rank", {"product": "hrc"}, ctx)
    with pytest.raises(EntitlementError):
        registry.call("series_spread", {"a": "hrc.shanghai", "b": "rebar.shanghai"}, ctx)
    assert call(registry, ctx, "series_rank", product="rebar", n=20).data["ranked"] == 6
    found = call(registry, ctx, "catalog_search")
    assert found.data["series"] and all(
        r["code"].startswith("rebar.") or r["code"].endswith(".rebar") for r in found.data["series"]
    )


def test_rank_sees_only_entitled_regions(registry, assistant_db):
    ctx = ctx_for(
        assistant_db,
        subscriber(products=frozenset({"rebar"}), regions=frozenset({"shanghai", "beijing"})),
    )
    out = call(registry, ctx, "series_rank", product="rebar", n=20)
    assert {r["series_code"] for r in out.data["rows"]} == {"rebar.shanghai", "rebar.beijing"}
    assert not codes(out, "left_out")


def test_history_days_clips_reads(registry, assistant_db):
    ctx = ctx_for(assistant_db, subscriber(products=frozenset({"rebar"}), history_days=30))
    earliest = END - timedelta(days=30)
    out = call(
        registry,
        ctx,
        "series_stats",
        series="rebar.shanghai",
        start="2025-01-01",
        end=END,
        stats=["count", "first"],
    )
    frame = obs(assistant_db, "rebar.shanghai", earliest, END)
    assert val(out, "rebar.shanghai:count").value == frame.height
    assert val(out, "rebar.shanghai:first").date == frame["date"][0] >= earliest
    old = call(registry, ctx, "series_lookup", series=["rebar.shanghai"], date="2026-01-05")
    assert val(old, "rebar.shanghai").date == frame["date"][0]  # the first value it may see
    row = next(r for r in call(registry, ctx, "catalog_search", query="上海螺纹").data["series"])
    assert row["first"] == earliest.isoformat()


def test_delay_days_hides_the_newest_values(registry, assistant_db):
    ctx = ctx_for(assistant_db, subscriber(products=frozenset({"rebar"}), delay_days=3))
    latest = END - timedelta(days=3)
    out = call(registry, ctx, "series_lookup", series=["rebar.shanghai"])
    row = at(assistant_db, "rebar.shanghai", latest)
    assert val(out, "rebar.shanghai").date == row["date"] <= latest
    assert codes(out, "nearest_date")[0]["requested"] == END.isoformat()
    change = call(
        registry, ctx, "series_change", series=["rebar.shanghai"], start=END - timedelta(days=7)
    )
    assert val(change, "rebar.shanghai:end").date <= latest
    hits = call(registry, ctx, "catalog_search", query="上海螺纹").data["series"]
    assert hits[0]["last"] == latest.isoformat()


# ---------------------------------------------------------------------- arguments, schemas
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("series_lookup", {"series": []}),
        ("series_lookup", {"series": ["rebar.shanghai"], "date": "not a date"}),
        ("series_lookup", {"series": ["rebar.shanghai"] * 21}),
        ("series_lookup", {"series": ["rebar.shanghai"], "when": "2026-01-01"}),
        (
            "series_change",
            {"series": ["rebar.shanghai"], "start": "2026-11-20", "end": "2026-11-01"},
        ),
        (
            "series_change",
            {"series": ["rebar.shanghai"], "start": "2026-11-01", "date": "2026-11-20"},
        ),
        ("series_compare", {"series": ["rebar.shanghai"]}),
        (
            "series_compare",
            {"series": ["rebar.shanghai", "hrc.shanghai"], "dates": ["2026-01-05", "2026-02-02"]},
        ),
        ("series_rank", {"product": "rebar", "n": 0}),
        ("series_rank", {"product": "rebar", "order": "up"}),
        ("series_spread", {"a": "rebar.shanghai", "b": "rebar.shanghai"}),
        ("series_spread", {"a": "hrc.shanghai", "b": "rebar.shanghai", "op": "times"}),
        ("series_stats", {"series": "rebar.shanghai"}),
        ("series_stats", {"series": "rebar.shanghai", "start": "2026-01-01", "stats": ["mode"]}),
        ("catalog_search", {"limit": 0}),
    ],
)
def test_bad_arguments(registry, tool_ctx, name, args):
    with pytest.raises(ToolError) as err:
        registry.call(name, args, tool_ctx)
    assert err.value.code == "bad_arguments"


def test_period_starting_after_today_is_a_bad_argument(registry, tool_ctx):
    with pytest.raises(ToolError) as err:
        registry.call(
            "series_change", {"series": ["rebar.shanghai"], "start": "2027-01-01"}, tool_ctx
        )
    assert err.value.code == "bad_arguments"


def test_registry_exports_openai_tool_schemas(registry):
    names = {
        "series_lookup",
        "series_change",
        "series_compare",
        "series_rank",
        "series_spread",
        "series_stats",
        "catalog_search",
    }
    assert set(registry.names()) == names
    schemas = json.loads(json.dumps(registry.schemas()))
    assert len(schemas) == len(names)
    for schema in schemas:
        assert schema["type"] == "function"
        fn = schema["function"]
        assert fn["name"] in names and " / " in fn["description"]
        params = fn["parameters"]
        assert params["type"] == "object" and params["properties"]
        for prop in params["properties"].values():
            assert prop.get("description"), (fn["name"], prop)
    lookup = next(s for s in schemas if s["function"]["name"] == "series_lookup")["function"][
        "parameters"
    ]
    assert lookup["required"] == ["series"]
    assert any(o.get("format") == "date" for o in lookup["properties"]["date"]["anyOf"])


def test_values_are_finite_and_rounded(registry, tool_ctx):
    outputs = [
        call(
            registry,
            tool_ctx,
            "series_stats",
            series="iron_ore_62.cfr_china",
            start="2026-06-01",
            stats=ALL_STATS,
        ),
        call(
            registry,
            tool_ctx,
            "series_spread",
            a="hrc.shanghai",
            b="rebar.shanghai",
            start="2026-06-01",
        ),
        call(registry, tool_ctx, "series_change", series=REBAR, start="2026-01-01"),
    ]
    for out in outputs:
        for v in out.values:
            assert math.isfinite(v.value)
            assert round(v.value, v.decimals) == v.value, v
