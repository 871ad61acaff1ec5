"""The assistant's dev set and the harness that scores it (gold from the store, not the tools)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from steelsage.assistant.answer import Answer, Source, Value
from steelsage.assistant.evaluate import (
    CATEGORIES,
    DevsetError,
    EvalItem,
    Expected,
    Gold,
    fill,
    gold_table,
    gold_values,
    load_devset,
    render,
    resolve_date,
    resolve_period,
    run_eval,
    score,
)
from steelsage.store import get_observations

from .conftest import ASSISTANT_END

T = ASSISTANT_END  # Tuesday 2026-11-24


@pytest.fixture(scope="module")
def devset() -> list[EvalItem]:
    return load_devset()


@pytest.fixture(scope="module")
def golds(devset: list[EvalItem], assistant_db: Engine) -> dict[str, Gold]:
    return gold_table(devset, assistant_db, T)


def _item(gold: dict, turns: list[str] | None = None, category: str = "lookup") -> EvalItem:
    return EvalItem(id="x-001", category=category, lang="zh", turns=turns or ["问题"], gold=gold)


def perfect_answer(gold: Gold) -> Answer:
    """The answer a flawless assistant would give, built from the gold."""
    if gold.kind == "catalog":
        sources = [Source(series_code=c, name=c, unit="") for c in gold.series]
        return Answer(text="目录", kind="catalog", sources=sources, verified=True)
    if gold.kind != "data":
        return Answer(text="…", kind=gold.kind)
    values = [
        Value(
            label=e.label,
            value=e.value,
            kind="price" if gold.order else "value",
            series_code=e.series_code,
            decimals=e.decimals,
        )
        for e in gold.numbers
    ]
    return Answer(text="数据", kind="data", values=values, verified=True)


# ----------------------------------------------------------------------------- the set


def test_devset_meets_the_counts(devset: list[EvalItem]) -> None:
    assert len(devset) >= 400
    assert sum(item.lang == "zh" for item in devset) / len(devset) >= 0.70
    per_category = Counter(item.category for item in devset)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 25, per_category
    assert len({item.id for item in devset}) == len(devset)
    for item in devset:
        assert item.id.startswith(f"{item.category}-")
        if item.category == "followup":
            assert 2 <= len(item.turns) <= 3, item.id


def test_same_question_same_gold(devset: list[EvalItem]) -> None:
    by_turns: dict[tuple[str, ...], dict] = {}
    for item in devset:
        assert by_turns.setdefault(tuple(item.turns), item.gold) == item.gold, item.id


def test_no_absolute_dates_in_questions(devset: list[EvalItem]) -> None:
    """Years of the moving demo market are placeholders; only World Bank history is fixed."""
    for item in devset:
        for turn in item.turns:
            if "2026" in turn or "2025" in turn:
                pytest.fail(f"{item.id}: write the year as a placeholder: {turn}")


def test_every_gold_resolves_on_the_small_market(
    devset: list[EvalItem], golds: dict[str, Gold]
) -> None:
    for item in devset:
        gold = golds[item.id]
        op = item.gold["op"]
        if op in ("refuse", "unavailable", "clarify"):
            assert gold.kind == op
            if "assume" in item.gold:
                assert gold.assume is not None and gold.assume.numbers
        elif op == "catalog":
            assert gold.kind == "catalog" and gold.series, item.id
        else:
            assert gold.kind == "data" and gold.numbers, item.id
            if op == "rank":
                assert len(gold.order) == len(gold.numbers) >= 1


def test_load_devset_errors(tmp_path: Path) -> None:
    with pytest.raises(DevsetError, match="not found"):
        load_devset(tmp_path / "missing.jsonl")
    good = {"id": "a-1", "category": "lookup", "lang": "zh", "turns": ["x"],
            "gold": {"op": "refuse"}}  # fmt: skip
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join(json.dumps(good) for _ in range(2)), encoding="utf-8")
    with pytest.raises(DevsetError, match="duplicate id"):
        load_devset(path)
    path.write_text(json.dumps({**good, "gold": {"op": "nope"}}), encoding="utf-8")
    with pytest.raises(DevsetError, match="unknown op"):
        load_devset(path)
    path.write_text(json.dumps({**good, "gold": {"op": "value"}}), encoding="utf-8")
    with pytest.raises(DevsetError, match="needs"):
        load_devset(path)


# ------------------------------------------------------------------------- dates


def test_placeholders_render() -> None:
    assert fill("{Y}年 {Y-1}年", T) == "2026年 2025年"
    assert fill("{T-7d}|{T-7d|zh}|{T-7d|slash}", T) == "2026-11-17|2026年11月17日|2026/11/17"
    assert fill("{T-7d|en}", T) == "November 17, 2026"
    assert fill("{T-1td}", T) == "2026-11-23" and fill("{T-2td}", T) == "2026-11-20"
    assert fill("{M-2}|{M-2|zh}|{M-2|en}|{M-2|mzh}", T) == "2026-09|2026年9月|September 2026|9月"
    assert fill("{M-11|zh}", T) == "2025年12月"
    assert fill("{Q-1|zh}|{Q-1|en}|{Q-1}", T) == "2026年三季度|Q3 2026|2026-3"
    item = _item({"op": "value", "series": "rebar.shanghai", "date": "{T-7d}"}, ["{T-7d|zh}螺纹"])
    rendered = render(item, T)
    assert rendered.turns == ["2026年11月17日螺纹"] and rendered.gold["date"] == "2026-11-17"
    with pytest.raises(ValueError, match="unknown placeholder"):
        fill("{X}", T)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("today", date(2026, 11, 24)),
        ("yesterday", date(2026, 11, 23)),
        ("day_before", date(2026, 11, 20)),
        ("last_week:5", date(2026, 11, 20)),
        ("this_week:1", date(2026, 11, 23)),
        ("today-1y", date(2025, 11, 24)),
        ("2026-11-17", date(2026, 11, 17)),
    ],
)
def test_point_dates(spec: str, expected: date) -> None:
    assert resolve_date(spec, T) == expected


@pytest.mark.parametrize(
    ("spec", "anchor", "expected"),
    [
        ("this_week", T, (date(2026, 11, 23), T)),
        ("last_week", T, (date(2026, 11, 16), date(2026, 11, 22))),
        ("this_month", T, (date(2026, 11, 1), T)),
        ("last_month", T, (date(2026, 10, 1), date(2026, 10, 31))),
        ("last_month", date(2026, 1, 5), (date(2025, 12, 1), date(2025, 12, 31))),
        ("past:30", T, (date(2026, 10, 25), T)),
        ("ytd", T, (date(2026, 1, 1), T)),
        ("last_year", T, (date(2025, 1, 1), date(2025, 12, 31))),
        ("year:2026", T, (date(2026, 1, 1), T)),
        ("month:3", T, (date(2026, 3, 1), date(2026, 3, 31))),
        ("month:12", T, (date(2025, 12, 1), date(2025, 12, 31))),  # not begun: last year
        ("month:11", T, (date(2026, 11, 1), T)),  # clipped to T
        ("month:2025-10", T, (date(2025, 10, 1), date(2025, 10, 31))),
        ("quarter:1", T, (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarter:2", date(2026, 3, 10), (date(2025, 4, 1), date(2025, 6, 30))),
        ("half:2", date(2026, 3, 10), (date(2025, 7, 1), date(2025, 12, 31))),
        ("since:3", T, (date(2026, 3, 1), T)),
        ("since:12", T, (date(2025, 12, 1), T)),
        ("after_spring_festival", T, (date(2026, 2, 24), T)),
        ("after_spring_festival", date(2026, 1, 20), (date(2025, 2, 5), date(2026, 1, 20))),
        ("this_month-1y", T, (date(2025, 11, 1), date(2025, 11, 24))),
        ("month:2", date(2025, 3, 3), (date(2025, 2, 1), date(2025, 2, 28))),
    ],
)
def test_periods(spec: str, anchor: date, expected: tuple[date, date]) -> None:
    assert resolve_period(spec, anchor) == expected


def test_leap_day_goes_back_to_feb_28() -> None:
    assert resolve_date("2028-02-29-1y", date(2028, 3, 1)) == date(2027, 2, 28)


# ------------------------------------------------------- gold against hand-made Polars


def _frame(engine: Engine, code: str) -> pl.DataFrame:
    return get_observations(engine, code).select("date", "value", "change")


def _value_at(frame: pl.DataFrame, d: date) -> float:
    before = frame.filter(pl.col("date") <= d)
    return before["value"][-1] if before.height else frame["value"][0]


def _numbers(gold: Gold) -> list[float]:
    return [e.value for e in gold.numbers]


def test_gold_matches_hand_computation(assistant_db: Engine) -> None:
    rebar = _frame(assistant_db, "rebar.shanghai")
    hrc = _frame(assistant_db, "hrc.shanghai")

    gold = gold_values(_item({"op": "value", "series": "rebar.shanghai"}), assistant_db, T)
    assert _numbers(gold) == [rebar.filter(pl.col("date") == T)["value"][0]]

    # change over 本周: the value at T minus the last value before Monday 2026-11-23
    spec = {"op": "change", "series": "hrc.shanghai", "period": "this_week", "pct": True}
    base = hrc.filter(pl.col("date") < date(2026, 11, 23))["value"][-1]
    end = hrc.filter(pl.col("date") == T)["value"][0]
    change, pct = _numbers(gold_values(_item(spec), assistant_db, T))
    assert change == pytest.approx(end - base)
    assert pct == pytest.approx((end - base) / base * 100)

    # stats over 近30天
    spec = {"op": "stats", "series": "rebar.shanghai", "period": "past:30",
            "stats": ["average", "high", "low"]}  # fmt: skip
    window = rebar.filter(pl.col("date").is_between(T - timedelta(days=30), T))["value"]
    assert _numbers(gold_values(_item(spec), assistant_db, T)) == pytest.approx(
        [window.mean(), window.max(), window.min()]
    )

    # 螺矿比 today
    pb = _frame(assistant_db, "pb_fines.qingdao_port")
    spec = {"op": "spread", "a": "rebar.shanghai", "b": "pb_fines.qingdao_port",
            "how": "ratio", "date": "today"}  # fmt: skip
    ratio = _value_at(rebar, T) / _value_at(pb, T)
    (expected,) = gold_values(_item(spec), assistant_db, T).numbers
    assert expected.value == pytest.approx(ratio) and expected.decimals == 2

    # 卷螺差 over last month: latest, change, average, high, low
    joined = hrc.join(rebar, on="date", suffix="_r").with_columns(
        spread=pl.col("value") - pl.col("value_r")
    )
    inside = joined.filter(pl.col("date").is_between(date(2026, 10, 1), date(2026, 10, 31)))
    before = joined.filter(pl.col("date") < date(2026, 10, 1))["spread"][-1]
    spec = {"op": "spread", "a": "hrc.shanghai", "b": "rebar.shanghai", "how": "minus",
            "period": "last_month"}  # fmt: skip
    latest = inside["spread"][-1]
    assert _numbers(gold_values(_item(spec), assistant_db, T)) == pytest.approx(
        [latest, latest - before, inside["spread"].mean(), inside["spread"].max(),
         inside["spread"].min()]
    )  # fmt: skip

    # 比去年同期: a weekly indicator, nearest earlier week a year ago
    stocks = _frame(assistant_db, "port_ore_stocks.national")
    now, then = _value_at(stocks, T), _value_at(stocks, date(2025, 11, 24))
    spec = {"op": "compare_dates", "series": "port_ore_stocks.national",
            "dates": ["today", "today-1y"]}  # fmt: skip
    assert _numbers(gold_values(_item(spec), assistant_db, T)) == pytest.approx(
        [now, then, now - then, (now - then) / then * 100]
    )

    # today's published change, as a percentage of the previous value
    row = rebar.filter(pl.col("date") == T)
    spec = {"op": "day_change", "series": "rebar.shanghai", "pct": True}
    assert _numbers(gold_values(_item(spec), assistant_db, T)) == pytest.approx(
        [row["change"][0], row["change"][0] / (row["value"][0] - row["change"][0]) * 100]
    )


def test_rank_gold_orders_the_cities(assistant_db: Engine) -> None:
    cities = ["shanghai", "beijing", "guangzhou", "hangzhou", "tianjin", "wuhan"]
    today = {c: _frame(assistant_db, f"rebar.{c}").filter(pl.col("date") == T)["value"][0]
             for c in cities}  # fmt: skip
    spec = {"op": "rank", "product": "rebar", "order": "desc", "n": 3}
    gold = gold_values(_item(spec), assistant_db, T)
    top = sorted(today.values(), reverse=True)[:3]
    assert _numbers(gold) == top
    assert [today[code.split(".")[1]] for code in gold.order] == top
    assert len(gold.ranking) == len(cities)


# ------------------------------------------------------------------------------ score


def _data(*values: float, verified: bool = True, kind: str = "data") -> Answer:
    return Answer(
        text="…",
        kind=kind,
        values=[Value(label="v", value=v) for v in values],
        verified=verified,
    )


def test_score_data_answers() -> None:
    gold = Gold("data", (Expected("value", 3610.0, 0), Expected("pct_change", 1.234, 2)))
    assert score(_data(3610.4, 1.23), gold) == (True, "")
    ok, why = score(_data(3611.0, 1.23), gold)
    assert not ok and "missing value 3610" in why
    ok, why = score(_data(3610.0, 1.25), gold)
    assert not ok and "pct_change" in why
    ok, why = score(_data(3610.0, 1.23, verified=False), gold)
    assert not ok and "not verified" in why
    ok, why = score(_data(kind="refuse"), gold)
    assert not ok and "refuse" in why


def test_score_compare_gap_is_signless() -> None:
    gold = Gold("data", (Expected("difference", -50.0, 0, signless=True),))
    assert score(_data(50.0), gold)[0] and score(_data(-50.0), gold)[0]
    assert not score(_data(60.0), gold)[0]


def _ranked(*codes_values: tuple[str, float]) -> Answer:
    values = [Value(label=c, value=v, kind="price", series_code=c) for c, v in codes_values]
    return Answer(text="…", values=values, verified=True)


def test_score_rank_order_and_ties() -> None:
    ranking = (("rebar.a", 3400.0), ("rebar.b", 3450.0), ("rebar.c", 3450.0), ("rebar.d", 3500.0))
    gold = Gold(
        "data",
        (Expected("price", 3400.0, 0, "rebar.a"), Expected("price", 3450.0, 0, "rebar.b")),
        order=("rebar.a", "rebar.b"),
        ranking=ranking,
    )
    assert score(_ranked(("rebar.a", 3400), ("rebar.b", 3450)), gold)[0]
    assert score(_ranked(("rebar.a", 3400), ("rebar.c", 3450)), gold)[0]  # tied second place
    ok, why = score(_ranked(("rebar.b", 3450), ("rebar.a", 3400)), gold)
    assert not ok and "place 1" in why
    ok, why = score(_ranked(("rebar.a", 3400)), gold)
    assert not ok and "missing price 3450" in why


def test_score_edges() -> None:
    assert score(Answer(text="?", kind="clarify"), Gold("clarify"))[0]
    assert not score(_data(1.0), Gold("clarify"))[0]
    assumed = Gold("clarify", assume=Gold("data", (Expected("value", 139.1, 1),)))
    answer = _data(139.1)
    assert not score(answer, assumed)[0]  # a data answer must state its assumption
    answer.assumptions.append("按螺纹钢厂毛利回答")
    assert score(answer, assumed)[0]
    assert not score(_data(150.0).model_copy(update={"assumptions": ["x"]}), assumed)[0]
    assert score(Answer(text="不", kind="refuse"), Gold("refuse"))[0]
    assert not score(Answer(text="不", kind="refuse"), Gold("unavailable"))[0]
    catalog = Gold("catalog", series=("pb_fines.qingdao_port", "iron_ore_62.cfr_china"))
    listed = [Source(series_code="pb_fines.qingdao_port", name="PB", unit="")]
    ok, why = score(Answer(text="…", kind="catalog", sources=listed), catalog)
    assert not ok and "misses 1" in why


# ---------------------------------------------------------------------------- run_eval


def test_run_eval_perfect_and_refusing(
    devset: list[EvalItem], golds: dict[str, Gold], assistant_db: Engine
) -> None:
    by_turns = {tuple(render(item, T).turns): golds[item.id] for item in devset}

    def perfect(turns: list[str], lang: str) -> Answer:
        return perfect_answer(by_turns[tuple(turns)])

    report = run_eval(assistant_db, perfect, devset, anchor=T)
    assert set(report) == {"overall", "categories", "latency_ms", "n", "failures"}
    assert report["overall"] == 1.0, report["failures"][:5]
    assert report["n"] == len(devset) and report["failures"] == []
    assert list(report["categories"]) == list(CATEGORIES)
    assert set(report["latency_ms"]) == {"p50", "p95"}

    def refuse(turns: list[str], lang: str) -> Answer:
        return Answer(text="抱歉", kind="refuse")

    report = run_eval(assistant_db, refuse, devset, anchor=T)
    n_refuse = sum(item.gold["op"] == "refuse" for item in devset)
    assert report["overall"] == round(n_refuse / len(devset), 4)
    assert report["categories"]["refuse"] == 1.0
    assert all(acc == 0.0 for name, acc in report["categories"].items() if name != "refuse")
    assert len(report["failures"]) == len(devset) - n_refuse
    assert {"id", "question", "reason"} == set(report["failures"][0])


def test_run_eval_reports_crashes_and_missing_gold(assistant_db: Engine) -> None:
    items = [
        _item({"op": "value", "series": "rebar.shanghai"}),
        _item({"op": "value", "series": "coke.tangshan"}),  # not in the small market
    ]

    def crash(turns: list[str], lang: str) -> Answer:
        raise RuntimeError("boom")

    report = run_eval(assistant_db, crash, items)  # anchor: the database's latest date
    assert report["overall"] == 0.0 and report["n"] == 2
    reasons = [f["reason"] for f in report["failures"]]
    assert "ask raised RuntimeError: boom" in reasons[0]
    assert reasons[1].startswith("gold: series 'coke.tangshan'")
