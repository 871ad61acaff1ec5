"""Chinese/English number parsing and the one display format the composer and verifier share."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from steelsage.assistant.numbers import (
    fmt_change,
    fmt_date,
    fmt_int_zh,
    fmt_num,
    fmt_pct,
    fmt_range,
    parse_int_zh,
    parse_number,
    round_half_up,
    scan_numbers,
    to_halfwidth,
    zh_to_number,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,650", 3650),
        ("3650", 3650),
        ("3,650元/吨", 3650),
        ("价格为3,650元/吨", 3650),
        ("3.65千元", 3650),
        ("3.6万吨", 36000),
        ("1.4%", 1.4),
        ("涨幅1.4%", 1.4),
        ("-50", -50),
        ("−50", -50),
        ("负50", -50),
        ("+1.39%", 1.39),
        ("三千六百五十", 3650),
        ("一百二十", 120),
        ("两千", 2000),
        ("十", 10),
        ("十五", 15),
        ("三千零五", 3005),
        ("三千六", 3600),
        ("两万五", 25000),
        ("一万零五十", 10050),
        ("一亿二千万", 120_000_000),
        ("二〇二六", 2026),
        ("三点五", 3.5),
        ("负五十", -50),
        ("百分之五十", 50),
        ("1.2亿", 120_000_000),
        ("3,650.5", 3650.5),
        ("３６５０", 3650),
        ("３，６５０", 3),  # the full-width comma separates, it never groups digits
        ("１．４％", 1.4),
        ("2.5k", 2500),
        ("1.2 million", 1_200_000),
        ("3600-3700", 3600),
        ("零售价3650", 3650),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "上海螺纹", "no digits here", "万吨", "千元/吨", "零售", "3,65"]
)
def test_parse_number_none(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三十", 30),
        ("近三十天", 30),
        ("前五", 5),
        ("五", 5),
        ("两", 2),
        ("十", 10),
        ("二十一", 21),
        ("一百二十", 120),
        ("30", 30),
        ("３０", 30),
        ("前20", 20),
        ("零", 0),
        ("二〇二六", 2026),
        ("半年", None),
        ("", None),
        ("上海", None),
    ],
)
def test_parse_int_zh(text: str, expected: int | None) -> None:
    assert parse_int_zh(text) == expected


@pytest.mark.parametrize("bad", ["三三十", "十百", "万", "五万万", "千千"])
def test_zh_to_number_rejects_garbage(bad: str) -> None:
    assert zh_to_number(bad) is None


def test_zh_numerals_round_trip() -> None:
    rng = random.Random(7)
    numbers = list(range(0, 1200)) + [rng.randrange(0, 10**10) for _ in range(2000)]
    numbers += [10_000, 10_005, 100_010, 1_000_000, 100_000_000, 100_000_001, 3_650]
    for n in numbers:
        written = fmt_int_zh(n)
        assert parse_int_zh(written) == n, written
        if n:
            assert parse_number(written) == n, written
    assert fmt_int_zh(3650) == "三千六百五十"
    assert fmt_int_zh(15) == "十五"
    assert fmt_int_zh(10005) == "一万零五"
    assert fmt_int_zh(-50) == "负五十"


def test_to_halfwidth_keeps_length() -> None:
    text = "价格３，６５０．５元（＋１．４％）"
    assert len(to_halfwidth(text)) == len(text)
    assert to_halfwidth(text) == "价格3，650.5元（+1.4%）"


def test_fmt_num() -> None:
    assert fmt_num(3650) == "3,650"
    assert fmt_num(3650.5, 1) == "3,650.5"
    assert fmt_num(3650.44, 1) == "3,650.4"
    assert fmt_num(3650.45, 1) == "3,650.5"  # half up on the decimal a reader sees
    assert fmt_num(2.675, 2) == "2.68"
    assert fmt_num(-1_234_567.891, 2) == "-1,234,567.89"
    assert fmt_num(-0.001, 2) == "0.00"
    assert fmt_num(999.5) == "1,000"
    assert fmt_num(3650, 0, "en") == "3,650"
    with pytest.raises(ValueError, match="finite"):
        fmt_num(float("nan"))
    with pytest.raises(ValueError, match="decimals"):
        fmt_num(1.0, -1)


def test_fmt_change() -> None:
    assert fmt_change(50, 0, "元/吨") == "涨50元/吨"
    assert fmt_change(-30, 0, "元/吨") == "跌30元/吨"
    assert fmt_change(0.4, 0, "元/吨") == "持平"
    assert fmt_change(1250.5, 1, "万吨") == "涨1,250.5万吨"
    assert fmt_change(50, 0, "CNY/t", "en") == "up 50 CNY/t"
    assert fmt_change(-30, 0, "CNY/t", "en") == "down 30 CNY/t"
    assert fmt_change(-0.2, 0, "CNY/t", "en") == "unchanged"
    assert fmt_change(-0.42, 2, "%", "en") == "down 0.42%"
    assert fmt_change(7, 0, "", "en") == "up 7"


def test_fmt_pct_date_range() -> None:
    assert fmt_pct(1.4) == "+1.40%"
    assert fmt_pct(-0.52) == "-0.52%"
    assert fmt_pct(0.001) == "0.00%"
    assert fmt_pct(-0.004) == "0.00%"
    assert fmt_pct(1.4, 1, signed=False) == "1.4%"
    assert fmt_pct(-1.4, 1, "en", signed=False) == "-1.4%"
    assert fmt_date(dt.date(2026, 11, 24)) == "2026-11-24"
    assert fmt_date(dt.date(2026, 11, 24), "en") == "2026-11-24"
    assert fmt_date(dt.datetime(2026, 11, 24, 15, 0)) == "2026-11-24"
    assert fmt_range(3600, 3700) == "3,600–3,700"
    assert fmt_range(3600.25, 3700, 1, "en") == "3,600.3–3,700.0"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_format_parse_round_trip(lang: str) -> None:
    rng = random.Random(11)
    for _ in range(3000):
        decimals = rng.choice([0, 0, 1, 2])
        value = rng.uniform(-200_000, 200_000) * rng.choice([1, 0.001, 0.01])
        expected = float(round_half_up(value, decimals))
        assert parse_number(fmt_num(value, decimals, lang)) == pytest.approx(expected, abs=0)
        pct = parse_number(fmt_pct(value, decimals, lang))
        assert pct == pytest.approx(expected, abs=0)
        change = fmt_change(value, decimals, "元/吨" if lang == "zh" else "CNY/t", lang)
        if expected == 0:
            assert change in ("持平", "unchanged")
        else:
            assert parse_number(change) == pytest.approx(abs(expected), abs=0)
            up = ("涨", "up ") if lang == "zh" else ("up ",)
            assert change.startswith(up) == (expected > 0)


def test_scan_numbers_reads_scale_sign_percent_and_malformed() -> None:
    tokens = list(scan_numbers("区间3.6-3.7万吨，涨幅+1.4%，较上日-50，3,65，五十元"))
    got = [
        (t.value, t.scale_exp, t.sign, t.percent, t.chinese, t.malformed is not None)
        for t in tokens
    ]
    assert got == [
        (3.6, 0, 0, False, False, False),
        (37000.0, 4, 0, False, False, False),  # the hyphen after a number joins a range
        (1.4, 0, 1, True, False, False),
        (-50.0, 0, -1, False, False, False),
        (365.0, 0, 0, False, False, True),
        (50.0, 0, 0, False, True, False),
    ]
    assert tokens[-1].magnitude == Decimal(50)
