"""The answer verifier: claims are read back from text, and no planted wrong number survives.

The heart of this file is :func:`test_every_planted_error_is_caught`: realistic answers in
Chinese and English are built with the composer's formatters, then every number and date in
each one is mutated several ways (last digit ±1, ×10, digit swap, sign or direction flip, a
day shifted, a month changed) and the verifier must reject every mutation, pointing at the
changed figure.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from steelsage.assistant.answer import Value
from steelsage.assistant.numbers import (
    fmt_change,
    fmt_date,
    fmt_int_zh,
    fmt_num,
    fmt_pct,
    fmt_range,
    round_half_up,
)
from steelsage.assistant.verify import Claim, Verdict, extract_claims, verify

D = dt.date
T0 = D(2026, 11, 24)


def val(
    value: float,
    kind: str = "price",
    decimals: int = 0,
    d: dt.date | None = None,
    start: dt.date | None = None,
    label: str = "x",
) -> Value:
    return Value(label=label, value=value, kind=kind, decimals=decimals, date=d, start=start)


def claim_summary(text: str, **kw: object) -> list[tuple[str, object, str]]:
    return [(c.kind, c.value, c.text) for c in extract_claims(text, **kw)]  # type: ignore[arg-type]


# --- extraction ----------------------------------------------------------------------------

BRIEF_ZH = (
    "上海螺纹钢（HRB400E Φ20mm）2026-11-24 价格为 3,650 元/吨，较前一交易日涨50元/吨"
    "（+1.39%），区间 3,600–3,700。数据截至 2026-11-24，来源：rebar.shanghai 第1版。"
)
BRIEF_ZH_VALUES = [
    val(3650, d=T0),
    val(50, "change", d=T0, start=D(2026, 11, 23)),
    val(50 / 3600 * 100, "pct_change", 2, d=T0),
    val(3600, "low", d=T0),
    val(3700, "high", d=T0),
]
BRIEF_EN = (
    "HRC in Shanghai was 3,820 CNY/t on 2026-11-20, down 30 CNY/t (-0.78%) from 3,850 CNY/t "
    "on 2026-11-19."
)
BRIEF_EN_VALUES = [
    val(3820, d=D(2026, 11, 20)),
    val(-30, "change", d=D(2026, 11, 20), start=D(2026, 11, 19)),
    val(-30 / 3850 * 100, "pct_change", 2),
    val(3850, d=D(2026, 11, 19)),
]


def test_extract_brief_examples() -> None:
    assert claim_summary(BRIEF_ZH) == [
        ("date", T0, "2026-11-24"),
        ("number", 3650.0, "3,650"),
        ("number", 50.0, "50"),
        ("percent", 1.39, "+1.39%"),
        ("number", 3600.0, "3,600"),
        ("number", 3700.0, "3,700"),
        ("date", T0, "2026-11-24"),
        ("number", 1.0, "1"),
    ]
    assert claim_summary(BRIEF_EN) == [
        ("number", 3820.0, "3,820"),
        ("date", D(2026, 11, 20), "2026-11-20"),
        ("number", -30.0, "30"),
        ("percent", -0.78, "-0.78%"),
        ("number", 3850.0, "3,850"),
        ("date", D(2026, 11, 19), "2026-11-19"),
    ]
    assert verify(BRIEF_ZH, BRIEF_ZH_VALUES, allowed_numbers=[1]).ok
    assert verify(BRIEF_EN, BRIEF_EN_VALUES).ok


def test_claim_spans_point_into_the_text() -> None:
    text = "３，６５０元/吨，跌五十元，1.2%-1.5%，2026年1-10月"
    for claim in extract_claims(text):
        assert text[claim.span[0] : claim.span[1]] == claim.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("区间3,600–3,700元/吨", [3600.0, 3700.0]),
        ("区间3600-3700元/吨", [3600.0, 3700.0]),
        ("区间3600至3700元/吨", [3600.0, 3700.0]),
        ("range 3,600 to 3,700 CNY/t", [3600.0, 3700.0]),
        ("区间3600~3700", [3600.0, 3700.0]),
        ("3.6–3.7万吨", [36000.0, 37000.0]),  # the scale word of the right end covers both
        ("报3.65千元/吨", [3650.0]),
        ("1.2亿吨", [120_000_000.0]),
        ("较上日-50元", [-50.0]),
        ("较上日负50元", [-50.0]),
        ("下跌了30元/吨", [-30.0]),
        ("涨幅为1.4%", [1.4]),
        ("跌幅0.52%", [-0.52]),
        ("涨跌幅-0.52%", [-0.52]),
        ("涨跌幅0.52%", [0.52]),  # 涨跌 names the column, it states no direction
        ("跌至3,600元/吨", [3600.0]),  # 至: the level reached, not a change
        ("down 30 CNY/t", [-30.0]),
        ("rose by 1.4%", [1.4]),
        ("up to 3,700", [3700.0]),
        ("涨五十元，报三千六百五十元/吨", [50.0, 3650.0]),
        ("百分之五", [5.0]),
        ("下降0.42个百分点", [-0.42]),
        ("０．５２％", [0.52]),
    ],
)
def test_extract_numbers(text: str, expected: list[float]) -> None:
    got = [c.value for c in extract_claims(text) if c.kind in ("number", "percent")]
    assert got == expected


@pytest.mark.parametrize(
    "text",
    [
        "近三个月",
        "第一",
        "一季度",
        "上半年",
        "统一报价",
        "单位：万吨",
        "千元/吨",
        "十一月",
        "HRB400E",
        "Q235B 热卷",
        "Q1 and H1",
        "`iron_ore_62.cfr_china`",
        "[wb.iOVERALL]",
        "iron_ore_62.cfr_china",
        "Φ20",
        "4.75mm",
        "20 mm",
        "https://example.org/v2/3650",
    ],
)
def test_not_claims(text: str) -> None:
    assert extract_claims(text) == []


def test_protected_names_are_masked() -> None:
    text = "62%铁矿石指数为104.35美元/干吨，45港库存14,523.6万吨，247家钢厂利用率82.35%"
    protected = ["62%铁矿", "45港", "247家"]
    assert [c.text for c in extract_claims(text, protected=protected)] == [
        "104.35",
        "14,523.6万",
        "82.35%",
    ]
    assert [c.text for c in extract_claims(text)][:2] == ["62%", "104.35"]


@pytest.mark.parametrize(
    ("text", "kind", "value", "year_given"),
    [
        ("2026-11-24", "date", D(2026, 11, 24), True),
        ("2026/11/24", "date", D(2026, 11, 24), True),
        ("2026.11.24", "date", D(2026, 11, 24), True),
        ("2026年11月24日", "date", D(2026, 11, 24), True),
        ("2026 年 11 月 24 日", "date", D(2026, 11, 24), True),
        ("Nov 24, 2026", "date", D(2026, 11, 24), True),
        ("Nov. 24, 2026", "date", D(2026, 11, 24), True),
        ("November 24th, 2026", "date", D(2026, 11, 24), True),
        ("24 November 2026", "date", D(2026, 11, 24), True),
        ("November 2026", "month", D(2026, 11, 1), True),
        ("2026年11月", "month", D(2026, 11, 1), True),
        ("11月24日", "date", D(2000, 11, 24), False),
        ("11月", "month", D(2000, 11, 1), False),
        ("Nov 24", "date", D(2000, 11, 24), False),
        ("2026年", "year", 2026.0, True),
        ("in 2026", "year", 2026.0, True),
        ("Q1 2026", "year", 2026.0, True),
    ],
)
def test_extract_dates(text: str, kind: str, value: object, year_given: bool) -> None:
    claims = extract_claims(text)
    assert len(claims) == 1, claims
    assert (claims[0].kind, claims[0].value, claims[0].year_given) == (kind, value, year_given)


def test_yearless_dates_borrow_the_year_of_a_full_date() -> None:
    claims = extract_claims("2025-12-31至1月5日")
    assert claims[1].value == D(2025, 1, 5) and not claims[1].year_given


def test_month_ranges_give_two_month_claims() -> None:
    claims = extract_claims("2026年1-10月全国粗钢产量8.52亿吨")
    assert [(c.kind, c.value, c.text) for c in claims] == [
        ("month", D(2026, 1, 1), "2026年1"),
        ("month", D(2026, 10, 1), "10月"),
        ("number", 852_000_000.0, "8.52亿"),
    ]


# --- verification rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        ("3,650", val(3650), True),
        ("3650", val(3650), True),
        ("3,651", val(3650), False),
        ("3,649", val(3650), False),
        ("3,650.0", val(3650), False),  # more decimals than the value allows
        ("3,650", val(3650.4, decimals=1), True),
        ("3,650.4", val(3650.4, decimals=1), True),
        ("3,650.5", val(3650.4, decimals=1), False),
        ("3,651", val(3650.6, decimals=1), True),
        ("3,65", val(3650), False),
        ("3,65", val(3.65, decimals=2), False),
        ("36,50", val(3650), False),
        ("3.65千元/吨", val(3650), True),
        ("3.66千元/吨", val(3650), False),
        ("3.65千元/吨", val(3.65, decimals=2), True),
        ("3.6万吨", val(36000), True),
        ("3.6万吨", val(36449), True),  # shown to the thousands
        ("3.6万吨", val(36600), False),
        ("3.60万吨", val(36051), False),
        ("512.3万吨", val(512.3, decimals=1), True),
        ("+1.4%", val(1.3953, "pct_change", 2), True),
        ("+1.40%", val(1.3953, "pct_change", 2), True),
        ("1.39%", val(1.3953, "pct_change", 2), False),
        ("+1.395%", val(1.3953, "pct_change", 2), False),
        ("-1.4%", val(1.3953, "pct_change", 2), False),
        ("跌50元", val(-50, "change"), True),
        ("涨50元", val(-50, "change"), False),
        ("-50", val(-50, "change"), True),
        ("-50", val(50, "change"), False),
        ("50", val(-50, "change"), True),  # "低50" in a comparison prints the magnitude
        ("down 30 CNY/t", val(-30, "change"), True),
        ("up 30 CNY/t", val(-30, "change"), False),
        ("涨五十元", val(50, "change"), True),
        ("涨五十一元", val(50, "change"), False),
        ("4.52", val(4.5213, "ratio", 2), True),
        ("4.5", val(4.5213, "ratio", 2), True),
        ("4.53", val(4.5213, "ratio", 2), False),
        ("2.68", val(2.675, "ratio", 2), True),  # a tie: either honest rounding passes
        ("2.67", val(2.675, "ratio", 2), True),
    ],
)
def test_number_rules(text: str, value: Value, ok: bool) -> None:
    verdict = verify(text, [value])
    assert verdict.ok is ok, verdict
    assert verdict.checked == 1


def test_problem_codes() -> None:
    def code(text: str, value: Value) -> str:
        return verify(text, [value]).problems[0].code

    assert code("3,651", val(3650)) == "unmatched"
    assert code("3,650.0", val(3650)) == "too_precise"
    assert code("涨50元", val(-50, "change")) == "sign"
    assert code("3,65", val(3650)) == "malformed"
    assert code("2026-11-25", val(3650, d=T0)) == "date"


def test_allowed_numbers_and_years() -> None:
    text = "近30天上海螺纹钢均价3,652.3元/吨，排名前5，2026年"
    values = [val(3652.3, "average", 1, d=T0, start=D(2026, 10, 25))]
    assert not verify(text, values).ok
    assert [p.claim.text for p in verify(text, values).problems] == ["30", "5"]
    assert verify(text, values, allowed_numbers=[30, 5]).ok
    assert not verify("2025年", values).ok
    assert verify("2025年", values, allowed_numbers=[2025]).ok


def test_dates_rules() -> None:
    values = [val(3650, d=T0, start=D(2026, 11, 1))]
    assert verify("2026-11-24 2026-11-01 11月24日 2026年11月 November 2026 2026年", values).ok
    for wrong in ["2026-11-23", "2025-11-24", "11月23日", "2026年10月", "October 2026", "2025年"]:
        assert not verify(wrong, values).ok, wrong
    assert verify("2026-11-20", values, dates=[D(2026, 11, 20)]).ok
    bad = verify("2026-02-30", values, dates=[D(2026, 2, 28)])
    assert not bad.ok and bad.problems[0].code == "malformed"


def test_verdict_message() -> None:
    verdict = verify("3,651元/吨", [val(3650)])
    assert "3,651" in verdict.message("zh") and "3,651" in verdict.message("en")
    assert "1" in verify("3,650", [val(3650)]).message("en")


def test_nan_values_and_bad_input_never_crash() -> None:
    assert not verify("3,650", [val(float("nan"))]).ok
    assert verify("", []).ok
    assert verify("没有数字的回答。", []).ok
    rng = random.Random(3)
    alphabet = "0123456789,.-–%万千亿涨跌年月日元 abcNov年至负十五三百" + "\U0001f600"
    junk = "".join(rng.choice(alphabet) for _ in range(100_000))
    start = time.perf_counter()
    verdict = verify(junk, [val(3650)])
    assert time.perf_counter() - start < 5
    assert not verdict.ok


def test_rounding_property() -> None:
    """A printed number passes iff it is the value rounded to the decimals shown (<= allowed)."""
    rng = random.Random(42)
    for _ in range(1500):
        allowed = rng.choice([0, 1, 2])
        value = round(rng.uniform(-9000, 9000), 4)
        v = val(value, decimals=allowed)
        for shown in range(allowed + 1):
            scaled = Decimal(repr(value)).scaleb(shown)
            if abs(scaled - scaled.to_integral_value()) == Decimal("0.5"):
                continue  # exact ties may print either way
            assert verify(fmt_num(value, shown), [v]).ok, (value, shown)
            right = round_half_up(value, shown)
            for delta in (Decimal(1).scaleb(-shown), -Decimal(1).scaleb(-shown)):
                wrong = right + delta
                if abs(wrong) == abs(right):
                    continue
                text = fmt_num(float(wrong), shown)
                assert not verify(text, [v]).ok, (value, shown, text)
        too_fine = fmt_num(value, allowed + 1)
        assert not verify(too_fine, [v]).ok, (value, too_fine)


# --- planted errors ------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    text: str
    values: list[Value]
    dates: tuple[dt.date, ...] = ()
    allowed: tuple[float, ...] = ()
    protected: tuple[str, ...] = ()

    def verdict(self, text: str | None = None) -> Verdict:
        return verify(
            self.text if text is None else text,
            self.values,
            dates=self.dates,
            allowed_numbers=self.allowed,
            protected=self.protected,
        )


def _nonzero(rng: random.Random, lo: int, hi: int) -> int:
    while True:
        n = rng.randint(lo, hi)
        if n:
            return n


def _en(d: dt.date) -> str:
    return f"{calendar.month_abbr[d.month]} {d.day}, {d.year}"


def _en_long(d: dt.date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def _zh(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _prev_month_end(d: dt.date) -> dt.date:
    return d.replace(day=1) - dt.timedelta(days=1)


def _lookup_zh(rng: random.Random, t: dt.date) -> Case:
    p, ch, ver = rng.randint(3300, 4200), _nonzero(rng, -80, 80), rng.randint(1, 3)
    pct = ch / (p - ch) * 100
    lo, hi = p - rng.randint(20, 60), p + rng.randint(20, 60)
    prev = t - dt.timedelta(days=1)
    text = (
        f"上海螺纹钢（HRB400E Φ20mm）{fmt_date(t)} 价格为 {fmt_num(p)} 元/吨，较前一交易日"
        f"{fmt_change(ch, 0, '元/吨')}（{fmt_pct(pct)}），区间 {fmt_range(lo, hi)}。"
        f"数据截至 {fmt_date(t)}，来源：rebar.shanghai 第{ver}版。"
    )
    values = [
        val(p, d=t),
        val(ch, "change", d=t, start=prev),
        val(pct, "pct_change", 2, d=t),
        val(lo, "low", d=t),
        val(hi, "high", d=t),
    ]
    return Case("lookup_zh", text, values, allowed=(ver,), protected=("HRB400E",))


def _lookup_en(rng: random.Random, t: dt.date) -> Case:
    p, ch, ver = rng.randint(3500, 4300), _nonzero(rng, -60, 60), rng.randint(1, 4)
    prev = t - dt.timedelta(days=3)
    pct = ch / (p - ch) * 100
    text = (
        f"HRC in Shanghai was {fmt_num(p)} CNY/t on {fmt_date(t, 'en')}, "
        f"{fmt_change(ch, 0, 'CNY/t', 'en')} ({fmt_pct(pct, 2, 'en')}) from {fmt_num(p - ch)} "
        f"CNY/t on {fmt_date(prev, 'en')}. Source: hrc.shanghai, version {ver}."
    )
    values = [
        val(p, d=t),
        val(ch, "change", d=t, start=prev),
        val(pct, "pct_change", 2),
        val(p - ch, d=prev),
    ]
    return Case("lookup_en", text, values, allowed=(ver,))


def _change_week_zh(rng: random.Random, t: dt.date) -> Case:
    base, ch = rng.randint(3400, 4100), _nonzero(rng, -150, 150)
    end = base + ch
    pct = ch / base * 100
    monday = t - dt.timedelta(days=t.weekday())
    base_date = monday - dt.timedelta(days=3)
    word = "涨幅" if ch > 0 else "跌幅"
    move = "升" if ch > 0 else "降"
    text = (
        f"热卷（上海）本周（{fmt_date(monday)}至{fmt_date(t)}）{fmt_change(ch, 0, '元/吨')}，"
        f"{word}{fmt_pct(abs(pct), 2, signed=False)}，从{fmt_num(base)}元/吨{move}至"
        f"{fmt_num(end)}元/吨（基期 {fmt_date(base_date)}）。"
    )
    values = [
        val(ch, "change", d=t, start=monday),
        val(pct, "pct_change", 2, d=t, start=monday),
        val(base, d=base_date),
        val(end, d=t),
    ]
    return Case("change_week_zh", text, values)


def _change_month_en(rng: random.Random, t: dt.date) -> Case:
    base, ch = rng.randint(3400, 4100), _nonzero(rng, -200, 200)
    end = base + ch
    pct = ch / base * 100
    month_start = _month_start(t)
    base_date = _prev_month_end(t)
    verb = "rose" if ch > 0 else "fell"
    text = (
        f"Rebar in Beijing {verb} {fmt_num(abs(ch))} CNY/t ({fmt_pct(pct, 2, 'en')}) in "
        f"{calendar.month_name[t.month]} {t.year}, from {fmt_num(base)} CNY/t on "
        f"{_en(base_date)} to {fmt_num(end)} CNY/t on {_en(t)}."
    )
    values = [
        val(ch, "change", d=t, start=month_start),
        val(pct, "pct_change", 2),
        val(base, d=base_date),
        val(end, d=t),
    ]
    return Case("change_month_en", text, values)


CITIES_ZH = ["广州", "天津", "武汉", "杭州", "北京", "上海"]
CITIES_EN = ["Guangzhou", "Tianjin", "Wuhan", "Hangzhou", "Beijing", "Shanghai"]


def _rank_prices(rng: random.Random, n: int) -> list[int]:
    prices: set[int] = set()
    while len(prices) < n:
        prices.add(rng.randint(3450, 3900))
    return sorted(prices)


def _rank_zh(rng: random.Random, t: dt.date) -> Case:
    n = rng.choice([3, 4, 5])
    prices = _rank_prices(rng, n)
    listing = "、".join(f"{c} {fmt_num(p)}元/吨" for c, p in zip(CITIES_ZH, prices, strict=False))
    text = f"{fmt_date(t)} 螺纹钢价格最低的{n}个城市：{listing}（共6个城市有当日数据）。"
    values = [val(p, d=t) for p in prices]
    return Case("rank_zh", text, values, allowed=(n, 6))


def _rank_en(rng: random.Random, t: dt.date) -> Case:
    n = rng.choice([3, 4, 5])
    prices = sorted(_rank_prices(rng, n), reverse=True)
    listing = ", ".join(f"{c} {fmt_num(p)}" for c, p in zip(CITIES_EN, prices, strict=False))
    text = f"Most expensive rebar on {_en(t)} (top {n} of 6 cities): {listing} CNY/t."
    return Case("rank_en", text, [val(p, d=t) for p in prices], allowed=(n, 6))


def _stats_zh(rng: random.Random, t: dt.date) -> Case:
    avg = rng.randint(340000, 410000) / 100
    hi, lo = round(avg) + rng.randint(30, 90), round(avg) - rng.randint(30, 90)
    ch = _nonzero(rng, -90, 90)
    a = t - dt.timedelta(days=30)
    hi_d, lo_d = (
        a + dt.timedelta(days=rng.randint(1, 14)),
        a + dt.timedelta(days=rng.randint(15, 28)),
    )
    text = (
        f"近30天（{fmt_date(a)}至{fmt_date(t)}）上海螺纹钢均价{fmt_num(avg, 1)}元/吨，"
        f"最高{fmt_num(hi)}元/吨（{fmt_date(hi_d)}），最低{fmt_num(lo)}元/吨（{fmt_date(lo_d)}），"
        f"期间{fmt_change(ch, 0, '元/吨')}。"
    )
    values = [
        val(avg, "average", 1, d=t, start=a),
        val(hi, "high", d=hi_d),
        val(lo, "low", d=lo_d),
        val(ch, "change", d=t, start=a),
    ]
    return Case("stats_zh", text, values, allowed=(30,))


def _stats_en(rng: random.Random, t: dt.date) -> Case:
    avg, med = rng.randint(360000, 420000) / 100, rng.randint(360000, 420000) / 100
    hi, lo = round(max(avg, med)) + rng.randint(40, 120), round(min(avg, med)) - rng.randint(40, 99)
    a = t - dt.timedelta(days=90)
    hi_d, lo_d = (
        a + dt.timedelta(days=rng.randint(1, 40)),
        a + dt.timedelta(days=rng.randint(41, 88)),
    )
    text = (
        f"Over the past 90 days ({fmt_date(a, 'en')} to {fmt_date(t, 'en')}) the average HRC price "
        f"in Guangzhou was {fmt_num(avg, 1)} CNY/t, with a high of {fmt_num(hi)} CNY/t on "
        f"{fmt_date(hi_d, 'en')} and a low of {fmt_num(lo)} CNY/t on {fmt_date(lo_d, 'en')}; the "
        f"median was {fmt_num(med, 1)} CNY/t."
    )
    values = [
        val(avg, "average", 1, d=t, start=a),
        val(hi, "high", d=hi_d),
        val(lo, "low", d=lo_d),
        val(med, "median", 1, d=t, start=a),
    ]
    return Case("stats_en", text, values, allowed=(90,))


def _ratio_zh(rng: random.Random, t: dt.date) -> Case:
    p, ore = rng.randint(3300, 4000), rng.randint(7000, 9500) / 10
    ratio = p / ore
    rch = _nonzero(rng, -30, 30) / 100
    text = (
        f"{fmt_date(t)} 螺矿比为{fmt_num(ratio, 2)}（螺纹钢{fmt_num(p)}元/吨 ÷ 铁矿石"
        f"{fmt_num(ore, 1)}元/湿吨），较上月{fmt_change(rch, 2)}。"
    )
    values = [
        val(ratio, "ratio", 2, d=t),
        val(p, d=t),
        val(ore, decimals=1, d=t),
        val(rch, "change", 2, d=t, start=_month_start(t)),
    ]
    return Case("ratio_zh", text, values)


def _spread_zh(rng: random.Random, t: dt.date) -> Case:
    sp, avg = rng.randint(100, 260), rng.randint(1000, 2600) / 10
    hi, lo = max(sp, round(avg)) + rng.randint(5, 40), min(sp, round(avg)) - rng.randint(5, 40)
    d = _nonzero(rng, -40, 40)
    a = t - dt.timedelta(days=30)
    word = "扩大" if d > 0 else "收窄"
    text = (
        f"卷螺差（hrc.shanghai − rebar.shanghai）{fmt_date(t)}为{fmt_num(sp)}元/吨，近一个月平均"
        f"{fmt_num(avg, 1)}元/吨，最高{fmt_num(hi)}元/吨，最低{fmt_num(lo)}元/吨，较{fmt_date(a)}"
        f"{word}{fmt_num(abs(d))}元/吨。"
    )
    values = [
        val(sp, "spread", d=t),
        val(avg, "average", 1, start=a, d=t),
        val(hi, "high"),
        val(lo, "low"),
        val(d, "change", start=a, d=t),
    ]
    return Case("spread_zh", text, values)


def _stocks_zh(rng: random.Random, t: dt.date) -> Case:
    v, ch = rng.randint(130000, 160000) / 10, _nonzero(rng, -3000, 3000) / 10
    pct, yoy = ch / (v - ch) * 100, _nonzero(rng, -900, 900) / 100
    d = t - dt.timedelta(days=3)
    d_ly = d.replace(year=d.year - 1)
    text = (
        f"全国港口铁矿石库存{fmt_date(d)}为{fmt_num(v, 1)}万吨，较上周"
        f"{'增加' if ch > 0 else '减少'}{fmt_num(abs(ch), 1)}万吨（{fmt_pct(pct)}），比去年同期"
        f"（{fmt_date(d_ly)}）{'高' if yoy > 0 else '低'}{fmt_pct(abs(yoy), 2, signed=False)}。"
    )
    values = [
        val(v, "value", 1, d=d),
        val(ch, "change", 1, d=d, start=d - dt.timedelta(days=7)),
        val(pct, "pct_change", 2),
        val(yoy, "pct_change", 2, start=d_ly),
    ]
    return Case("stocks_zh", text, values)


def _stocks_en(rng: random.Random, t: dt.date) -> Case:
    v, ch = rng.randint(130000, 160000) / 10, _nonzero(rng, -3000, 3000) / 10
    pct = ch / (v - ch) * 100
    d = t - dt.timedelta(days=3)
    text = (
        f"National port iron ore stocks stood at {fmt_num(v, 1)} (10,000 t) on {fmt_date(d)}, "
        f"{fmt_change(ch, 1, '', 'en')} ({fmt_pct(pct, 2, 'en')}) from a week earlier."
    )
    values = [
        val(v, "value", 1, d=d),
        val(ch, "change", 1, d=d, start=d - dt.timedelta(days=7)),
        val(pct, "pct_change", 2),
    ]
    return Case("stocks_en", text, values, protected=("10,000 t",))


def _scaled_zh(rng: random.Random, t: dt.date) -> Case:
    p, pct = rng.randint(3300, 4200), _nonzero(rng, -150, 150) / 100
    out, yoy = rng.randint(700_000_000, 900_000_000), _nonzero(rng, -500, 500) / 100
    end_oct = D(t.year, 10, 31)
    text = (
        f"上海螺纹钢{fmt_date(t)}报{fmt_num(p / 1000, 2)}千元/吨，环比"
        f"{'上涨' if pct > 0 else '下跌'}{fmt_num(abs(pct), 2)}%。{t.year}年1-10月全国粗钢产量"
        f"{fmt_num(out / 1e8, 2)}亿吨，同比{'增长' if yoy > 0 else '下降'}{fmt_num(abs(yoy), 1)}%。"
    )
    values = [
        val(p, d=t),
        val(pct, "pct_change", 2, d=t),
        val(out, "value", 0, start=D(t.year, 1, 1), d=end_oct),
        val(yoy, "pct_change", 2, start=D(t.year, 1, 1), d=end_oct),
    ]
    return Case("scaled_zh", text, values)


def _chinese_numerals_zh(rng: random.Random, t: dt.date) -> Case:
    p, ch = rng.randint(3300, 4200), _nonzero(rng, -90, 90)
    text = (
        f"今日上海螺纹钢{'涨' if ch > 0 else '跌'}{fmt_int_zh(abs(ch))}元，"
        f"报{fmt_int_zh(p)}元/吨（{_zh(t)}）。"
    )
    return Case("chinese_numerals_zh", text, [val(p, d=t), val(ch, "change", d=t)])


def _dates_zh(rng: random.Random, t: dt.date) -> Case:
    avg, p, ch = rng.randint(340000, 410000) / 100, rng.randint(3300, 4200), _nonzero(rng, -90, 90)
    pm = _prev_month_end(t)
    text = (
        f"{t.year}年{t.month}月上海螺纹钢均价{fmt_num(avg, 1)}元/吨，{t.month}月{t.day}日收于"
        f"{fmt_num(p)}元/吨，较{pm.month}月{pm.day}日{fmt_change(ch, 0, '元/吨')}。"
    )
    values = [
        val(avg, "average", 1, start=_month_start(t), d=t),
        val(p, d=t),
        val(ch, "change", start=pm, d=t),
    ]
    return Case("dates_zh", text, values)


def _compare_en(rng: random.Random, t: dt.date) -> Case:
    p1 = rng.randint(3500, 4000)
    p2 = p1 + _nonzero(rng, -150, 150)
    diff, pct = p2 - p1, (p2 - p1) / p1 * 100
    text = (
        f"On {fmt_date(t, 'en')} rebar was {fmt_num(p1)} CNY/t in Shanghai and {fmt_num(p2)} CNY/t "
        f"in Guangzhou, {fmt_num(abs(diff))} CNY/t {'higher' if diff > 0 else 'lower'} "
        f"({fmt_pct(pct, 2, 'en')})."
    )
    values = [val(p1, d=t), val(p2, d=t), val(diff, "change"), val(pct, "pct_change", 2)]
    return Case("compare_en", text, values)


def _compare_years_zh(rng: random.Random, t: dt.date) -> Case:
    p, p_ly = rng.randint(700, 950), rng.randint(700, 950)
    while p_ly == p:
        p_ly = rng.randint(700, 950)
    t_ly = t.replace(year=t.year - 1)
    pct = (p - p_ly) / p_ly * 100
    text = (
        f"PB粉（青岛港）{fmt_date(t)}价格为{fmt_num(p)}元/湿吨，去年同期（{fmt_date(t_ly)}）为"
        f"{fmt_num(p_ly)}元/湿吨，{fmt_change(p - p_ly, 0, '元/湿吨')}（{fmt_pct(pct)}）。"
    )
    values = [
        val(p, d=t),
        val(p_ly, d=t_ly),
        val(p - p_ly, "change", start=t_ly, d=t),
        val(pct, "pct_change", 2),
    ]
    return Case("compare_years_zh", text, values)


def _ytd_en(rng: random.Random, t: dt.date) -> Case:
    ch, avg = _nonzero(rng, -300, 300), rng.randint(340000, 410000) / 100
    pct = ch / 3500 * 100
    jan1 = D(t.year, 1, 1)
    text = (
        f"Year to date ({_en(jan1)} to {_en(t)}) rebar in Shanghai "
        f"{'rose' if ch > 0 else 'fell'} {fmt_num(abs(ch))} CNY/t ({fmt_pct(pct, 2, 'en')}); "
        f"the average in {t.year} was {fmt_num(avg, 1)} CNY/t."
    )
    values = [
        val(ch, "change", start=jan1, d=t),
        val(pct, "pct_change", 2),
        val(avg, "average", 1, start=jan1, d=t),
    ]
    return Case("ytd_en", text, values)


def _utilization_zh(rng: random.Random, t: dt.date) -> Case:
    u, c, y = (
        rng.randint(7800, 9200) / 100,
        _nonzero(rng, -150, 150) / 100,
        _nonzero(rng, -500, 500) / 100,
    )
    d = t - dt.timedelta(days=3)
    text = (
        f"{fmt_date(d)} 247家钢厂高炉产能利用率为{fmt_num(u, 2)}%，较上周"
        f"{'上升' if c > 0 else '下降'}{fmt_num(abs(c), 2)}个百分点，较去年同期"
        f"{'高' if y > 0 else '低'}{fmt_num(abs(y), 2)}个百分点。"
    )
    values = [val(u, "value", 2, d=d), val(c, "change", 2), val(y, "change", 2)]
    return Case("utilization_zh", text, values, protected=("247家",))


def _ore_index_zh(rng: random.Random, t: dt.date) -> Case:
    v, c = rng.randint(9000, 12000) / 100, _nonzero(rng, -300, 300) / 100
    pct = c / (v - c) * 100
    text = (
        f"62%铁矿石指数（`iron_ore_62.cfr_china`）{fmt_date(t)}为{fmt_num(v, 2)}美元/干吨，"
        f"较上周{fmt_change(c, 2, '美元/干吨')}（{fmt_pct(pct)}）。"
    )
    values = [val(v, decimals=2, d=t), val(c, "change", 2), val(pct, "pct_change", 2)]
    return Case("ore_index_zh", text, values, protected=("62%铁矿",))


def _ports45_zh(rng: random.Random, t: dt.date) -> Case:
    v, c = rng.randint(140000, 160000) / 10, _nonzero(rng, -20000, 20000) / 10
    pct = c / (v - c) * 100
    d = t - dt.timedelta(days=3)
    d_ly = d.replace(year=d.year - 1)
    text = (
        f"45港进口铁矿石库存为{fmt_num(v, 1)}万吨（{fmt_date(d)}），较去年同期（{fmt_date(d_ly)}）"
        f"{fmt_change(c, 1, '万吨')}（{fmt_pct(pct)}）。"
    )
    values = [
        val(v, "value", 1, d=d),
        val(c, "change", 1, start=d_ly, d=d),
        val(pct, "pct_change", 2),
    ]
    return Case("ports45_zh", text, values, protected=("45港",))


def _wire_en(rng: random.Random, t: dt.date) -> Case:
    p = rng.randint(3600, 4200)
    lo, hi = p - rng.randint(10, 50), p + rng.randint(10, 50)
    prev = t - dt.timedelta(days=3)
    text = (
        f"Wire rod in Shanghai closed at {fmt_num(p)} CNY/t on {_en_long(t)}, "
        f"{fmt_change(0, 0, 'CNY/t', 'en')} from {_en_long(prev)}; the weekly range was "
        f"{fmt_range(lo, hi)} CNY/t."
    )
    values = [val(p, d=t), val(0, "change", start=prev, d=t), val(lo, "low"), val(hi, "high")]
    return Case("wire_en", text, values)


def _range_zh(rng: random.Random, t: dt.date) -> Case:
    lo = rng.randint(3300, 3900)
    hi, avg = lo + rng.randint(40, 140), lo + rng.randint(10, 39)
    text = (
        f"今日上海螺纹钢成交区间{lo}至{hi}元/吨（报价区间{lo}-{hi}），均价{avg}元/吨，较上日持平，"
        f"数据截至{fmt_date(t)}。"
    )
    values = [val(lo, "low", d=t), val(hi, "high", d=t), val(avg, "average", d=t)]
    return Case("range_zh", text, values)


def _month_avg_zh(rng: random.Random, t: dt.date) -> Case:
    prev_end = _prev_month_end(t)
    prev_start = _month_start(prev_end)
    avg_prev, avg_now = rng.randint(340000, 410000) / 100, rng.randint(340000, 410000) / 100
    hi, lo = round(avg_prev) + rng.randint(20, 80), round(avg_prev) - rng.randint(20, 80)
    hi_d, lo_d = (
        prev_start + dt.timedelta(days=rng.randint(0, 13)),
        prev_start + dt.timedelta(days=rng.randint(14, 26)),
    )
    text = (
        f"{prev_end.year}年{prev_end.month}月上海螺纹钢均价{fmt_num(avg_prev, 1)}元/吨，月内最高"
        f"{fmt_num(hi)}元/吨（{hi_d.month}月{hi_d.day}日），最低{fmt_num(lo)}元/吨"
        f"（{lo_d.month}月{lo_d.day}日）；{t.month}月以来均价{fmt_num(avg_now, 1)}元/吨。"
    )
    values = [
        val(avg_prev, "average", 1, start=prev_start, d=prev_end),
        val(hi, "high", d=hi_d),
        val(lo, "low", d=lo_d),
        val(avg_now, "average", 1, start=_month_start(t), d=t),
    ]
    return Case("month_avg_zh", text, values)


def _signed_zh(rng: random.Random, t: dt.date) -> Case:
    p, ch = rng.randint(3300, 4200), _nonzero(rng, -70, 70)
    pct = ch / (p - ch) * 100
    sign = "+" if ch > 0 else "-"
    text = (
        f"螺纹钢（广州）{fmt_date(t)}报{fmt_num(p)}元/吨，较上日{sign}{abs(ch)}元/吨"
        f"（{fmt_pct(pct)}）。"
    )
    return Case("signed_zh", text, [val(p, d=t), val(ch, "change"), val(pct, "pct_change", 2)])


def _full_en(rng: random.Random, t: dt.date) -> Case:
    p, ch, ver = rng.randint(3300, 4200), _nonzero(rng, -70, 70), rng.randint(1, 5)
    pct = ch / (p - ch) * 100
    lo, hi = p - rng.randint(20, 60), p + rng.randint(20, 60)
    text = (
        f"Rebar, Shanghai (HRB400E, Φ20mm): {fmt_num(p)} CNY/t as of {_en(t)} — "
        f"{fmt_change(ch, 0, 'CNY/t', 'en')}, or {fmt_num(abs(pct), 2)}%, on the day. Range "
        f"{fmt_range(lo, hi)} CNY/t. Series `rebar.shanghai`, published version {ver}."
    )
    values = [
        val(p, d=t),
        val(ch, "change", d=t),
        val(pct, "pct_change", 2),
        val(lo, "low"),
        val(hi, "high"),
    ]
    return Case("full_en", text, values, allowed=(ver,))


TEMPLATES: list[Callable[[random.Random, dt.date], Case]] = [
    _lookup_zh,
    _lookup_en,
    _change_week_zh,
    _change_month_en,
    _rank_zh,
    _rank_en,
    _stats_zh,
    _stats_en,
    _ratio_zh,
    _spread_zh,
    _stocks_zh,
    _stocks_en,
    _scaled_zh,
    _chinese_numerals_zh,
    _dates_zh,
    _compare_en,
    _compare_years_zh,
    _ytd_en,
    _utilization_zh,
    _ore_index_zh,
    _ports45_zh,
    _wire_en,
    _range_zh,
    _month_avg_zh,
    _signed_zh,
    _full_en,
]
ANCHORS = [T0, D(2026, 6, 15), D(2025, 12, 31)]


def build_cases() -> list[Case]:
    rng = random.Random(20261124)
    cases = [
        Case("brief_zh", BRIEF_ZH, BRIEF_ZH_VALUES, allowed=(1,)),
        Case("brief_en", BRIEF_EN, BRIEF_EN_VALUES),
    ]
    for anchor in ANCHORS:
        cases.extend(template(rng, anchor) for template in TEMPLATES)
    return cases


CASES = build_cases()

# Digits that belong to names, not claims: protected strings and code-like tokens.
_NAME_RE = re.compile(r"`[^`]*`|[A-Za-z_][A-Za-z0-9_.]*\d[A-Za-z0-9_.]*|Φ\d+(?:mm)?")


def test_cases_are_realistic_and_pass_unmutated() -> None:
    assert len(CASES) >= 30
    assert {c.name[-2:] for c in CASES} == {"zh", "en"}
    for case in CASES:
        verdict = case.verdict()
        assert verdict.ok, (case.name, case.text, verdict.problems)
        # every Arabic digit outside names is read as (part of) a claim
        named = [m.span() for m in _NAME_RE.finditer(case.text)]
        for p in case.protected:
            named += [m.span() for m in re.finditer(re.escape(p), case.text)]
        covered = [c.span for c in verdict.claims]
        for i, ch in enumerate(case.text):
            if ch.isdigit() and not any(a <= i < b for a, b in named + covered):
                pytest.fail(f"{case.name}: digit at {i} is not in any claim: {case.text}")


# --- mutations -----------------------------------------------------------------------------

_ARABIC_CORE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_ZH_CORE = re.compile(r"[零一二两三四五六七八九十百千万亿]+")
_FLIPS = {
    "上涨": "下跌",
    "下跌": "上涨",
    "涨幅": "跌幅",
    "跌幅": "涨幅",
    "增加": "减少",
    "减少": "增加",
    "上升": "下降",
    "下降": "上升",
    "增长": "下降",
    "涨": "跌",
    "跌": "涨",
    "up": "down",
    "down": "up",
    "rose": "fell",
    "fell": "rose",
}
_DIRECTION_BEFORE = re.compile(
    r"(上涨|下跌|涨幅|跌幅|增加|减少|上升|下降|增长|涨|跌|(?<![A-Za-z])(?:up|down|rose|fell))"
    r"((?:了|为|\s)*)$"
)


@dataclass(frozen=True)
class Mutation:
    how: str
    text: str
    span: tuple[int, int]  # where the text changed (in the mutated text)


def _replace(text: str, start: int, end: int, new: str, how: str) -> Mutation:
    return Mutation(how, text[:start] + new + text[end:], (start, start + len(new)))


def _number_mutations(text: str, claim: Claim) -> Iterator[Mutation]:
    s, e = claim.span
    frag = text[s:e]
    m = _ARABIC_CORE.search(frag)
    if m is None:  # Chinese numerals
        zm = [z for z in _ZH_CORE.finditer(frag) if z.group() != "百"][-1]
        a, b = s + zm.start(), s + zm.end()
        n = int(claim.magnitude or 0)
        for how, new in (("+1", n + 1), ("-1", n - 1), ("x10", n * 10)):
            if new > 0:
                yield _replace(text, a, b, fmt_int_zh(new), f"zh{how}")
    else:
        core = m.group()
        a, b = s + m.start(), s + m.end()
        last = int(core[-1])
        for step in (1, -1):
            yield _replace(text, b - 1, b, str((last + step) % 10), f"last{step:+d}")
        plain = Decimal(core.replace(",", "")) * 10
        decimals = len(core.partition(".")[2])
        times10 = fmt_num(float(plain), decimals) if "," in core else f"{plain:.{decimals}f}"
        yield _replace(text, a, b, times10, "x10")
        positions = [i for i, c in enumerate(core) if c.isdigit()]
        pairs = [(i, j) for i, j in itertools.pairwise(positions) if core[i] != core[j]]
        for i, j in pairs[:1] + pairs[-1:] if len(pairs) > 1 else pairs:
            chars = list(core)
            chars[i], chars[j] = chars[j], chars[i]
            yield _replace(text, a, b, "".join(chars), "swap")
    if frag[0] in "+-":
        yield _replace(text, s, s + 1, "-" if frag[0] == "+" else "+", "sign")
    else:
        d = _DIRECTION_BEFORE.search(text[:s])
        if d:
            word = d.group(1)
            new = text[: d.start(1)] + _FLIPS[word] + text[d.end(1) :]
            shift = len(_FLIPS[word]) - len(word)
            yield Mutation("direction", new, (d.start(1), e + shift))


_DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月?"),
    re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日"),
    re.compile(r"(?P<m>\d{1,2})月"),
    re.compile(r"(?P<mon>[A-Z][a-z]+) (?P<d>\d{1,2}), (?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2}) (?P<mon>[A-Z][a-z]+) (?P<y>\d{4})"),
    re.compile(r"(?P<mon>[A-Z][a-z]+) (?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})年?"),
]


def _render_like(frag: str, new: dt.date) -> str:
    for form in _DATE_FORMS:
        m = form.fullmatch(frag)
        if not m:
            continue
        out = frag
        for name in sorted(m.groupdict(), key=lambda g: -m.start(g)):  # right to left
            old = m.group(name)
            if old is None or name == "sep":
                continue
            if name == "y":
                rep = str(new.year)
            elif name in ("m", "d"):
                rep = f"{getattr(new, 'month' if name == 'm' else 'day'):0{len(old)}d}"
            else:
                names = (
                    calendar.month_name if old in calendar.month_name[1:] else calendar.month_abbr
                )
                rep = names[new.month]
            out = out[: m.start(name) - m.start()] + rep + out[m.end(name) - m.start() :]
        return out
    raise AssertionError(f"unknown date form {frag!r}")


def _add_months(d: dt.date, k: int) -> dt.date | None:
    y, m = divmod(d.year * 12 + d.month - 1 + k, 12)
    try:
        return d.replace(year=y, month=m + 1)
    except ValueError:
        return None


def _date_mutations(text: str, claim: Claim) -> Iterator[Mutation]:
    s, e = claim.span
    frag = text[s:e]
    if claim.kind == "year":
        y = int(claim.value)  # type: ignore[arg-type]
        for k in (1, -1):
            yield _replace(text, s, e, frag.replace(str(y), str(y + k)), f"year{k:+d}")
        return
    assert isinstance(claim.value, dt.date)
    shifts: list[tuple[str, dt.date | None]] = [
        ("month+1", _add_months(claim.value, 1)),
        ("month-1", _add_months(claim.value, -1)),
    ]
    if claim.kind == "date":
        shifts += [(f"day{k:+d}", claim.value + dt.timedelta(days=k)) for k in (1, -1)]
    for how, new in shifts:
        if new is not None:
            rendered = _render_like(frag, new)
            yield _replace(text, s, e, rendered, how)


def _legit_number(claim: Claim, case: Case) -> bool:
    """Independent oracle: the mutated figure happens to be another correct figure."""
    assert claim.magnitude is not None
    readings = [(claim.magnitude, claim.decimals)]
    if claim.scale_exp:
        readings.append((claim.magnitude.scaleb(claim.scale_exp), claim.decimals - claim.scale_exp))

    def same(target: Decimal, candidate: Decimal) -> bool:
        return candidate == claim.sign * target if claim.sign else abs(candidate) == target

    for target, eff in readings:
        if any(same(target, Decimal(repr(float(a)))) for a in case.allowed):
            return True
        for v in case.values:
            if eff > v.decimals:
                continue
            quantum = Decimal(1).scaleb(-eff)
            tie_even = Decimal(v.value).quantize(quantum, rounding=ROUND_HALF_EVEN)
            if same(target, round_half_up(v.value, eff)) or same(target, tie_even):
                return True
    return False


def _legit_date(claim: Claim, case: Case) -> bool:
    known = set(case.dates) | {d for v in case.values for d in (v.date, v.start) if d}
    if claim.kind == "year":
        return int(claim.value) in {d.year for d in known}  # type: ignore[arg-type]
    value = claim.value
    if not isinstance(value, dt.date):
        return False
    if claim.kind == "month":
        return any(
            d.month == value.month and (not claim.year_given or d.year == value.year) for d in known
        )
    if claim.year_given:
        return value in known
    return any((d.month, d.day) == (value.month, value.day) for d in known)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_every_planted_error_is_caught() -> None:
    caught = collisions = 0
    hows: set[str] = set()
    for case in CASES:
        for claim in case.verdict().claims:
            if claim.kind in ("number", "percent"):
                mutations = list(_number_mutations(case.text, claim))
            else:
                mutations = list(_date_mutations(case.text, claim))
            assert mutations, (case.name, claim)
            for mutation in mutations:
                if mutation.text == case.text:
                    continue
                verdict = case.verdict(mutation.text)
                touched = [c for c in verdict.claims if _overlaps(c.span, mutation.span)]
                assert touched, (case.name, mutation, "the mutated figure was not read at all")
                legit = all(
                    c.malformed is None
                    and (
                        _legit_number(c, case)
                        if c.kind in ("number", "percent")
                        else _legit_date(c, case)
                    )
                    for c in touched
                )
                if legit:
                    collisions += 1
                    continue
                flagged = [p for p in verdict.problems if _overlaps(p.claim.span, mutation.span)]
                assert flagged, (case.name, mutation.how, mutation.text, case.values)
                caught += 1
                hows.add(mutation.how.rstrip("+-1"))
    assert caught >= 1500
    assert collisions <= caught // 20, (collisions, caught)
    assert {"last", "x10", "swap", "sign", "direction", "day", "month", "year", "zh"} <= hows
