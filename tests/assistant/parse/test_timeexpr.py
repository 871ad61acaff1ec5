"""Time expressions → periods, against the shared assistant semantics.

The table embeds each expression in a realistic question and pins the first main period. T is
2026-11-24 (a Tuesday, the small demo market's last day) unless a case needs a boundary: a
Monday, a Sunday, January, the days after New Year and National Day, a leap day, the Spring
Festival holiday.
"""

from __future__ import annotations

import random
from datetime import date
from itertools import pairwise

import pytest

from steelsage.assistant.parse import timeexpr
from steelsage.assistant.parse.holidays import reopen_on_or_before, spring_festival_reopen
from steelsage.assistant.parse.timeexpr import (
    Period,
    TimeMatch,
    compare_kind,
    compare_period,
    find_times,
    previous_period,
    shift_months,
    shift_year,
)

T = date(2026, 11, 24)  # Tuesday
MON = date(2026, 11, 23)  # Monday
SUN = date(2026, 11, 29)  # Sunday
JAN = date(2026, 1, 15)  # January, before this year's Spring Festival (2026-02-17)
NEWYEAR = date(2026, 1, 5)  # Monday after the New Year holiday (Jan 1–3)
AFTER_NATIONAL_DAY = date(2025, 10, 9)  # Thursday after the Oct 1–8 holiday
LEAP = date(2024, 2, 29)  # Thursday, leap day
MAR1 = date(2025, 3, 1)  # Saturday
IN_HOLIDAY = date(2024, 2, 15)  # during the 2024 Spring Festival holiday (Feb 10–17)
APR = date(2026, 4, 10)
MID_MAR_LEAP = date(2024, 3, 15)


def d(s: str) -> date:
    return date.fromisoformat(s)


# (question, today, start, end, granularity)
CASES: list[tuple[str, date, str, str, str]] = [
    # today / latest
    ("今天上海螺纹多少钱", T, "2026-11-24", "2026-11-24", "day"),
    ("今日热卷价格", T, "2026-11-24", "2026-11-24", "day"),
    ("目前唐山方坯什么价", T, "2026-11-24", "2026-11-24", "day"),
    ("最新的PB粉港口价格", T, "2026-11-24", "2026-11-24", "day"),
    ("现在螺纹多少钱一吨", T, "2026-11-24", "2026-11-24", "day"),
    ("当日铁矿石指数是多少", T, "2026-11-24", "2026-11-24", "day"),
    ("rebar price in Shanghai today", T, "2026-11-24", "2026-11-24", "day"),
    ("What is the latest rebar price in Beijing?", T, "2026-11-24", "2026-11-24", "day"),
    ("How much is HRC now?", T, "2026-11-24", "2026-11-24", "day"),
    ("What's the current price of PB fines?", T, "2026-11-24", "2026-11-24", "day"),
    # yesterday, the day before: previous market days
    ("昨天螺纹收盘价", T, "2026-11-23", "2026-11-23", "day"),
    ("昨日广州螺纹价格", MON, "2026-11-20", "2026-11-20", "day"),
    ("前天热卷价格", T, "2026-11-20", "2026-11-20", "day"),
    ("前天螺纹多少钱", MON, "2026-11-19", "2026-11-19", "day"),
    ("昨天螺纹价格是多少", AFTER_NATIONAL_DAY, "2025-09-30", "2025-09-30", "day"),
    ("昨天热卷涨了吗", NEWYEAR, "2025-12-31", "2025-12-31", "day"),
    ("What was rebar yesterday?", MON, "2026-11-20", "2026-11-20", "day"),
    ("HRC the day before yesterday", T, "2026-11-20", "2026-11-20", "day"),
    # weekdays
    ("上周五上海螺纹价格", T, "2026-11-20", "2026-11-20", "day"),
    ("上周五螺纹收在多少", MON, "2026-11-20", "2026-11-20", "day"),
    ("上周五热卷价格", NEWYEAR, "2026-01-02", "2026-01-02", "day"),
    ("上周一热卷多少钱", T, "2026-11-16", "2026-11-16", "day"),
    ("上周日铁矿价格", T, "2026-11-22", "2026-11-22", "day"),
    ("上个星期五铁矿石指数", T, "2026-11-20", "2026-11-20", "day"),
    ("上礼拜三螺纹多少", T, "2026-11-18", "2026-11-18", "day"),
    ("周一螺纹涨了吗", T, "2026-11-23", "2026-11-23", "day"),
    ("周三螺纹价格", T, "2026-11-18", "2026-11-18", "day"),
    ("本周三热卷价格", T, "2026-11-18", "2026-11-18", "day"),
    ("星期二螺纹价格", T, "2026-11-24", "2026-11-24", "day"),
    ("礼拜五的螺纹价格", SUN, "2026-11-27", "2026-11-27", "day"),
    ("What was HRC in Shanghai last Friday?", T, "2026-11-20", "2026-11-20", "day"),
    ("What was HRC in Shanghai last Friday?", MON, "2026-11-20", "2026-11-20", "day"),
    ("rebar price last Monday", T, "2026-11-16", "2026-11-16", "day"),
    ("HRC on Friday", T, "2026-11-20", "2026-11-20", "day"),
    # weeks
    ("热卷这周涨了多少", T, "2026-11-23", "2026-11-24", "week"),
    ("本周螺纹均价", T, "2026-11-23", "2026-11-24", "week"),
    ("这一周铁矿走势如何", T, "2026-11-23", "2026-11-24", "week"),
    ("本周螺纹涨了多少", SUN, "2026-11-23", "2026-11-29", "week"),
    ("本周螺纹涨了多少", MON, "2026-11-23", "2026-11-23", "week"),
    ("这周三个城市的螺纹价格", T, "2026-11-23", "2026-11-24", "week"),
    ("上周螺纹均价", T, "2026-11-16", "2026-11-22", "week"),
    ("上一周热卷涨跌", T, "2026-11-16", "2026-11-22", "week"),
    ("上周螺纹涨了多少", NEWYEAR, "2025-12-29", "2026-01-04", "week"),
    ("上上周螺纹均价", T, "2026-11-09", "2026-11-15", "week"),
    ("How much did rebar rise this week?", T, "2026-11-23", "2026-11-24", "week"),
    ("rebar average last week", T, "2026-11-16", "2026-11-22", "week"),
    # months
    ("本月螺纹均价", T, "2026-11-01", "2026-11-24", "month"),
    ("这个月热卷涨了多少", T, "2026-11-01", "2026-11-24", "month"),
    ("上个月螺纹均价", T, "2026-10-01", "2026-10-31", "month"),
    ("上月铁矿港口库存", T, "2026-10-01", "2026-10-31", "month"),
    ("上个月螺纹均价", JAN, "2025-12-01", "2025-12-31", "month"),
    ("上个月热卷均价", MAR1, "2025-02-01", "2025-02-28", "month"),
    ("上个月螺纹均价", MID_MAR_LEAP, "2024-02-01", "2024-02-29", "month"),
    ("iron ore this month", T, "2026-11-01", "2026-11-24", "month"),
    ("HRC average last month", T, "2026-10-01", "2026-10-31", "month"),
    ("HRC average last month", JAN, "2025-12-01", "2025-12-31", "month"),
    ("rebar month to date", T, "2026-11-01", "2026-11-24", "month"),
    # rolling windows
    ("卷螺差最近一个月怎么走的", T, "2026-10-25", "2026-11-24", "range"),
    ("近30天螺纹走势", T, "2026-10-25", "2026-11-24", "range"),
    ("近三十天热卷均价", T, "2026-10-25", "2026-11-24", "range"),
    ("最近30天螺纹最高价", T, "2026-10-25", "2026-11-24", "range"),
    ("过去30天铁矿最高价", T, "2026-10-25", "2026-11-24", "range"),
    ("近7天螺纹价格", T, "2026-11-17", "2026-11-24", "range"),
    ("近一周螺纹涨幅", T, "2026-11-17", "2026-11-24", "range"),
    ("近两周热卷走势", T, "2026-11-10", "2026-11-24", "range"),
    ("近3个月螺纹均价", T, "2026-08-25", "2026-11-24", "range"),
    ("近三个月螺纹均价", T, "2026-08-25", "2026-11-24", "range"),
    ("近半年PB粉价格走势", T, "2026-05-26", "2026-11-24", "range"),
    ("近一年螺纹最高价", T, "2025-11-24", "2026-11-24", "range"),
    ("过去一年热卷均价", T, "2025-11-24", "2026-11-24", "range"),
    ("近两年螺纹走势", T, "2024-11-24", "2026-11-24", "range"),
    ("近一年螺纹最高价", LEAP, "2023-03-01", "2024-02-29", "range"),
    ("近20个交易日螺纹均价", T, "2026-10-27", "2026-11-24", "range"),
    ("rebar over the past 30 days", T, "2026-10-25", "2026-11-24", "range"),
    ("HRC high in the last 30 days", T, "2026-10-25", "2026-11-24", "range"),
    ("rebar change over the last 2 weeks", T, "2026-11-10", "2026-11-24", "range"),
    ("iron ore average past 3 months", T, "2026-08-25", "2026-11-24", "range"),
    ("rebar trend over the past six months", T, "2026-05-26", "2026-11-24", "range"),
    ("HRC high in the past year", T, "2025-11-24", "2026-11-24", "range"),
    ("rebar over the past week", T, "2026-11-17", "2026-11-24", "range"),
    ("average of the last 20 trading days", T, "2026-10-27", "2026-11-24", "range"),
    ("rebar 30-day average", T, "2026-10-25", "2026-11-24", "range"),
    # years
    ("年初至今螺纹涨了多少", T, "2026-01-01", "2026-11-24", "range"),
    ("今年以来热卷涨幅", T, "2026-01-01", "2026-11-24", "range"),
    ("rebar YTD change", T, "2026-01-01", "2026-11-24", "range"),
    ("HRC year to date", T, "2026-01-01", "2026-11-24", "range"),
    ("今年螺纹均价", T, "2026-01-01", "2026-11-24", "year"),
    ("去年螺纹均价", T, "2025-01-01", "2025-12-31", "year"),
    ("去年螺纹均价", JAN, "2025-01-01", "2025-12-31", "year"),
    ("前年热卷均价", T, "2024-01-01", "2024-12-31", "year"),
    ("2025年螺纹均价", T, "2025-01-01", "2025-12-31", "year"),
    ("2026年螺纹最高价", T, "2026-01-01", "2026-11-24", "year"),
    ("rebar average this year", T, "2026-01-01", "2026-11-24", "year"),
    ("HRC average last year", T, "2025-01-01", "2025-12-31", "year"),
    ("rebar high in 2025", T, "2025-01-01", "2025-12-31", "year"),
    # months with and without a year
    ("2024年3月螺纹均价", T, "2024-03-01", "2024-03-31", "month"),
    ("24年3月热卷均价", T, "2024-03-01", "2024-03-31", "month"),
    ("2024年3月份螺纹最高价", T, "2024-03-01", "2024-03-31", "month"),
    ("2024-03螺纹均价", T, "2024-03-01", "2024-03-31", "month"),
    ("去年3月铁矿价格", T, "2025-03-01", "2025-03-31", "month"),
    ("今年3月螺纹均价", T, "2026-03-01", "2026-03-31", "month"),
    ("3月螺纹均价", T, "2026-03-01", "2026-03-31", "month"),
    ("三月热卷均价", T, "2026-03-01", "2026-03-31", "month"),
    ("12月螺纹均价是多少", T, "2025-12-01", "2025-12-31", "month"),
    ("十二月铁矿均价", T, "2025-12-01", "2025-12-31", "month"),
    ("11月螺纹均价", T, "2026-11-01", "2026-11-24", "month"),
    ("3月螺纹均价", JAN, "2025-03-01", "2025-03-31", "month"),
    ("rebar average in March 2024", T, "2024-03-01", "2024-03-31", "month"),
    ("HRC Mar 2024 average", T, "2024-03-01", "2024-03-31", "month"),
    ("rebar average in March", T, "2026-03-01", "2026-03-31", "month"),
    ("HRC in December", T, "2025-12-01", "2025-12-31", "month"),
    ("rebar in May", T, "2026-05-01", "2026-05-31", "month"),
    # days
    ("2024年3月15日螺纹价格", T, "2024-03-15", "2024-03-15", "day"),
    ("2024年3月15号热卷多少钱", T, "2024-03-15", "2024-03-15", "day"),
    ("3月15日螺纹价格", T, "2026-03-15", "2026-03-15", "day"),
    ("3月15号热卷价格", T, "2026-03-15", "2026-03-15", "day"),
    ("三月十五日螺纹价格", T, "2026-03-15", "2026-03-15", "day"),
    ("12月25日螺纹价格", T, "2025-12-25", "2025-12-25", "day"),
    ("2月29日螺纹价格", MAR1, "2024-02-29", "2024-02-29", "day"),
    ("2024-03-15螺纹价格", T, "2024-03-15", "2024-03-15", "day"),
    ("2024/3/15的热卷价格", T, "2024-03-15", "2024-03-15", "day"),
    ("2024.3.15铁矿价格", T, "2024-03-15", "2024-03-15", "day"),
    ("rebar on March 15, 2024", T, "2024-03-15", "2024-03-15", "day"),
    ("HRC on 15 March 2024", T, "2024-03-15", "2024-03-15", "day"),
    ("rebar price on Mar 15", T, "2026-03-15", "2026-03-15", "day"),
    ("What was rebar on 2024-03-15?", T, "2024-03-15", "2024-03-15", "day"),
    ("三天前螺纹价格", T, "2026-11-21", "2026-11-21", "day"),
    ("一周前热卷价格", T, "2026-11-17", "2026-11-17", "day"),
    ("一个月前螺纹价格", T, "2026-10-24", "2026-10-24", "day"),
    ("rebar 3 days ago", T, "2026-11-21", "2026-11-21", "day"),
    # quarters and halves
    ("一季度螺纹均价", T, "2026-01-01", "2026-03-31", "quarter"),
    ("第一季度热卷均价", T, "2026-01-01", "2026-03-31", "quarter"),
    ("1季度铁矿均价", T, "2026-01-01", "2026-03-31", "quarter"),
    ("四季度螺纹均价", T, "2026-10-01", "2026-11-24", "quarter"),
    ("2025年一季度螺纹均价", T, "2025-01-01", "2025-03-31", "quarter"),
    ("2025年Q1热卷均价", T, "2025-01-01", "2025-03-31", "quarter"),
    ("2025Q1螺纹均价", T, "2025-01-01", "2025-03-31", "quarter"),
    ("今年二季度螺纹均价", T, "2026-04-01", "2026-06-30", "quarter"),
    ("二季度螺纹均价", JAN, "2025-04-01", "2025-06-30", "quarter"),
    ("Q1热卷均价", JAN, "2026-01-01", "2026-01-15", "quarter"),
    ("上季度螺纹均价", T, "2026-07-01", "2026-09-30", "quarter"),
    ("本季度热卷涨了多少", T, "2026-10-01", "2026-11-24", "quarter"),
    ("rebar average Q1 2025", T, "2025-01-01", "2025-03-31", "quarter"),
    ("HRC in Q3", T, "2026-07-01", "2026-09-30", "quarter"),
    ("rebar in the first quarter of 2025", T, "2025-01-01", "2025-03-31", "quarter"),
    ("rebar last quarter", T, "2026-07-01", "2026-09-30", "quarter"),
    ("上半年螺纹均价", T, "2026-01-01", "2026-06-30", "range"),
    ("下半年螺纹均价", T, "2026-07-01", "2026-11-24", "range"),
    ("下半年螺纹均价", APR, "2025-07-01", "2025-12-31", "range"),
    ("去年上半年热卷均价", T, "2025-01-01", "2025-06-30", "range"),
    ("rebar average H1", T, "2026-01-01", "2026-06-30", "range"),
    ("HRC H2 2025 average", T, "2025-07-01", "2025-12-31", "range"),
    ("rebar in the first half of 2025", T, "2025-01-01", "2025-06-30", "range"),
    # since
    ("3月以来螺纹涨了多少", T, "2026-03-01", "2026-11-24", "range"),
    ("自3月以来热卷涨幅", T, "2026-03-01", "2026-11-24", "range"),
    ("3月份以来铁矿走势", T, "2026-03-01", "2026-11-24", "range"),
    ("螺纹从3月开始涨了多少", T, "2026-03-01", "2026-11-24", "range"),
    ("2024年1月至今螺纹涨了多少", T, "2024-01-01", "2026-11-24", "range"),
    ("去年以来螺纹涨幅", T, "2025-01-01", "2026-11-24", "range"),
    ("上周五以来热卷涨了多少", T, "2026-11-20", "2026-11-24", "range"),
    ("How much has rebar risen since March?", T, "2026-03-01", "2026-11-24", "range"),
    ("since March", JAN, "2025-03-01", "2026-01-15", "range"),
    ("HRC change since 2025-06-01", T, "2025-06-01", "2026-11-24", "range"),
    # Spring Festival
    ("春节后螺纹涨了多少", T, "2026-02-24", "2026-11-24", "range"),
    ("节后热卷涨幅", T, "2026-02-24", "2026-11-24", "range"),
    ("春节以来铁矿涨了多少", T, "2026-02-24", "2026-11-24", "range"),
    ("春节后螺纹涨了多少", JAN, "2025-02-05", "2026-01-15", "range"),
    ("春节后螺纹涨了多少", IN_HOLIDAY, "2023-01-30", "2024-02-15", "range"),
    ("2025年春节后螺纹涨了多少", T, "2025-02-05", "2026-11-24", "range"),
    ("rebar change after the Spring Festival", T, "2026-02-24", "2026-11-24", "range"),
    ("HRC since Chinese New Year", T, "2026-02-24", "2026-11-24", "range"),
    # ranges
    ("从3月到5月螺纹均价", T, "2026-03-01", "2026-05-31", "range"),
    ("3月至5月热卷均价", T, "2026-03-01", "2026-05-31", "range"),
    ("2024年3月到5月螺纹均价", T, "2024-03-01", "2024-05-31", "range"),
    ("2024年3月1日到15日螺纹均价", T, "2024-03-01", "2024-03-15", "range"),
    ("2024-03-01至2024-03-15热卷均价", T, "2024-03-01", "2024-03-15", "range"),
    ("11月到2月螺纹均价", T, "2025-11-01", "2026-02-28", "range"),
    ("从上周五到今天螺纹涨了多少", T, "2026-11-20", "2026-11-24", "range"),
    ("3月15日到4月1日螺纹均价", T, "2026-03-15", "2026-04-01", "range"),
    ("rebar average from March to May 2024", T, "2024-03-01", "2024-05-31", "range"),
    ("HRC between Jan 2024 and Mar 2024", T, "2024-01-01", "2024-03-31", "range"),
    ("rebar average March 1-15", T, "2026-03-01", "2026-03-15", "range"),
    ("rebar from 2024-03-01 to 2024-03-15", T, "2024-03-01", "2024-03-15", "range"),
    # cumulative statistics, within-N, 旬
    ("1-10月粗钢产量是多少", T, "2026-01-01", "2026-10-31", "range"),
    ("2025年1-10月粗钢产量", T, "2025-01-01", "2025-10-31", "range"),
    ("1-10月粗钢产量", date(2026, 3, 10), "2025-01-01", "2025-10-31", "range"),
    ("3-5月螺纹均价", T, "2026-03-01", "2026-05-31", "range"),
    ("今年前三季度粗钢产量", T, "2026-01-01", "2026-09-30", "range"),
    ("去年前5个月铁矿进口量", T, "2025-01-01", "2025-05-31", "range"),
    ("一周内螺纹涨了多少", T, "2026-11-17", "2026-11-24", "range"),
    ("3个月内热卷最高价", T, "2026-08-25", "2026-11-24", "range"),
    ("月初至今螺纹涨了多少", T, "2026-11-01", "2026-11-24", "month"),
    ("3月上旬螺纹均价", T, "2026-03-01", "2026-03-10", "range"),
    ("2024年2月下旬热卷均价", T, "2024-02-21", "2024-02-29", "range"),
    ("11月下旬螺纹走势", T, "2026-11-21", "2026-11-24", "range"),
]


def _first_main(question: str, today: date) -> TimeMatch:
    mains = [m for m in find_times(question, today) if m.relation == "main"]
    assert mains, f"no time found in {question!r}"
    return mains[0]


def test_table_is_large_and_bilingual() -> None:
    english = [q for q, *_ in CASES if q.isascii()]
    assert len(CASES) >= 120
    assert len(english) >= 40
    assert len(CASES) - len(english) >= 80


@pytest.mark.parametrize(("question", "today", "start", "end", "granularity"), CASES)
def test_period(question: str, today: date, start: str, end: str, granularity: str) -> None:
    p = _first_main(question, today).period
    assert (p.start, p.end, p.granularity) == (d(start), d(end), granularity), p


@pytest.mark.parametrize(
    "question",
    [
        "62%铁矿价格",
        "Q235B热卷价格",
        "HRB400E螺纹钢多少钱",
        "4.75mm热卷上海价格",
        "45港铁矿库存",
        "Φ20螺纹价格",
        "304不锈钢价格",
        "螺纹前5名的城市",
        "前五个城市的螺纹价格",
        "哪个城市的螺纹最便宜",
        "螺纹钢3650元/吨",
        "螺纹涨50元，涨幅1.4%",
        "热卷3.65千元",
        "RB2405合约",
        "10年期国债",
        "Q345B 20mm中板",
        "H型钢 200*200",
        "提前天数",
        "国庆节后",
        "统一月度报告",
        "一周的螺纹",
        "前三个月的螺纹",
        "Which city has the cheapest rebar?",
        "What's the price of rebar in Shanghai?",
        "top 5 cities by rebar price",
        "rebar at 2050 yuan",
        "rebar may rise",
        "green H2 steel",
        "Compare HRC and rebar",
        "",
        "😀🔥",
    ],
)
def test_no_time(question: str) -> None:
    assert find_times(question, T) == []


def test_spans_text_and_labels() -> None:
    [m] = find_times("热卷这周涨了多少", T)
    assert (m.span, m.text, m.relation) == ((2, 4), "这周", "main")
    assert (m.period.label_zh, m.period.label_en, m.period.point) == ("本周", "this week", False)

    [m] = find_times("2024年3月螺纹均价", T)
    assert (m.period.label_zh, m.period.label_en) == ("2024年3月", "March 2024")

    [m] = find_times("近30天螺纹走势", T)
    assert (m.period.label_zh, m.period.label_en) == ("近30天", "past 30 days")

    [m] = find_times("What was HRC in Shanghai last Friday?", T)
    assert m.text == "last Friday" and m.period.point
    assert (m.period.label_zh, m.period.label_en) == ("上周五", "last Friday")


@pytest.mark.parametrize(
    ("question", "point"),
    [("今天螺纹", True), ("上周五螺纹", True), ("2024-03-15螺纹", True), ("昨天螺纹", True),
     ("本周螺纹", False), ("3月螺纹", False), ("近30天螺纹", False)],
)  # fmt: skip
def test_point(question: str, point: bool) -> None:
    assert _first_main(question, T).period.point is point


def test_case_insensitive_and_full_width() -> None:
    assert _first_main("REBAR YTD", T).period.start == date(2026, 1, 1)
    assert _first_main("Last Week rebar", T).period.start == date(2026, 11, 16)
    m = _first_main("２０２４年３月螺纹均价", T)
    assert m.period.start == date(2024, 3, 1)
    assert m.text == "２０２４年３月"


def test_several_expressions_in_order_without_overlap() -> None:
    found = find_times("今天和昨天的螺纹价格", T)
    assert [m.text for m in found] == ["今天", "昨天"]
    found = find_times("2024年3月和2025年3月螺纹均价对比", T)
    assert [(m.period.start, m.period.end) for m in found] == [
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2025, 3, 1), date(2025, 3, 31)),
    ]
    for question, today, *_ in CASES:
        spans = [m.span for m in find_times(question, today)]
        assert all(a[1] <= b[0] for a, b in pairwise(spans)), question
        for m in find_times(question, today):
            assert question[m.span[0] : m.span[1]] == m.text


def test_longest_match_wins() -> None:
    assert [m.text for m in find_times("上周五螺纹", T)] == ["上周五"]
    assert [m.text for m in find_times("去年同期螺纹", T)] == ["去年同期"]
    assert [m.text for m in find_times("2024年3月15日螺纹", T)] == ["2024年3月15日"]
    assert [m.text for m in find_times("今年以来螺纹", T)] == ["今年以来"]
    assert [m.text for m in find_times("上月同期螺纹", T)] == ["上月同期"]


# ---- compare expressions -----------------------------------------------------------------------


def test_same_period_last_year_alone_applies_to_today() -> None:
    [m] = find_times("PB粉港口库存比去年同期高吗", T)
    assert m.relation == "compare" and m.text == "去年同期"
    assert (m.period.start, m.period.end, m.period.point) == (date(2025, 11, 24),) * 2 + (True,)


def test_compare_applies_to_the_main_period() -> None:
    main, cmp = find_times("今年3月螺纹均价比去年同期高吗", T)
    assert main.relation == "main" and cmp.relation == "compare"
    assert (cmp.period.start, cmp.period.end) == (date(2025, 3, 1), date(2025, 3, 31))

    main, cmp = find_times("本月螺纹均价比上月同期高多少", T)
    assert (cmp.period.start, cmp.period.end) == (date(2026, 10, 1), date(2026, 10, 24))

    main, cmp = find_times("rebar this month vs the same period last year", T)
    assert (cmp.period.start, cmp.period.end) == (date(2025, 11, 1), date(2025, 11, 24))

    main, cmp = find_times("本月螺纹均价环比", T)
    assert (cmp.period.start, cmp.period.end) == (date(2026, 10, 1), date(2026, 10, 24))


@pytest.mark.parametrize(
    ("question", "kind"),
    [("螺纹比一年前高吗", "year"), ("rebar vs a year ago", "year"), ("螺纹同比涨了多少", "year"),
     ("HRC year-on-year", "year"), ("rebar vs same period last year", "year"),
     ("上月同期", "month"), ("HRC month-over-month", "month"),
     ("螺纹环比", "previous")],
)  # fmt: skip
def test_compare_expressions(question: str, kind: str) -> None:
    [m] = [m for m in find_times(question, T) if m.relation == "compare"]
    assert compare_kind(m.text) == kind


def test_leap_day_shifts() -> None:
    [m] = find_times("螺纹比去年同期高吗", LEAP)
    assert m.period.start == m.period.end == date(2023, 2, 28)
    feb = _first_main("2024年2月螺纹均价", T).period
    assert (shift_year(feb).start, shift_year(feb).end) == (date(2023, 2, 1), date(2023, 2, 28))
    feb23 = shift_year(feb)
    assert shift_year(feb23, 1).end == date(2024, 2, 29)  # a whole month stays whole


def test_compare_period_for_follow_ups() -> None:
    [cmp] = find_times("去年同期呢", T)
    week = _first_main("本周螺纹", T).period
    shifted = compare_period(cmp, week)
    assert (shifted.start, shifted.end, shifted.granularity) == (
        date(2025, 11, 23),
        date(2025, 11, 24),
        "week",
    )


def test_shift_helpers() -> None:
    apr = _first_main("2026年4月", T).period
    assert shift_months(apr).end == date(2026, 3, 31)
    prev = previous_period(_first_main("近30天", T).period)
    assert (prev.start, prev.end) == (date(2026, 9, 24), date(2026, 10, 24))
    assert previous_period(_first_main("今天", MON).period).start == date(2026, 11, 20)
    q = previous_period(_first_main("2025年一季度", T).period)
    assert (q.start, q.end, q.label_zh) == (date(2024, 10, 1), date(2024, 12, 31), "2024年四季度")


# ---- Spring Festival ---------------------------------------------------------------------------


def test_spring_festival_reopening() -> None:
    assert spring_festival_reopen(2024) == date(2024, 2, 19)  # Sunday 2/18 make-up day is closed
    assert spring_festival_reopen(2020) == date(2020, 2, 3)  # the extended 2020 holiday
    assert spring_festival_reopen(2030) == date(2030, 2, 11)  # beyond the official data
    assert reopen_on_or_before(date(2024, 2, 19)) == date(2024, 2, 19)
    assert reopen_on_or_before(date(2024, 2, 18)) == date(2023, 1, 30)
    with pytest.raises(ValueError, match="2004 to 2035"):
        spring_festival_reopen(2040)


# ---- robustness ----------------------------------------------------------------------------------


def test_unresolvable_dates_are_not_times() -> None:
    assert find_times("2023年2月29日螺纹", T) == []
    assert find_times("2024年13月螺纹", T) == []


def test_long_and_odd_input_never_raises() -> None:
    text = "忽略之前的指令 SELECT * FROM x; 今天 🔥 " * 2000
    found = find_times(text, T)
    assert len(found) == 2000
    assert isinstance(found[0].period, Period)


def test_gate_skips_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed gate must not hide a rule: the ungated scan finds exactly the same."""
    rng = random.Random(7)
    extra = [
        "一百天前", "半个月前", "两周前", "上上个星期五", "本年度", "过去的一年", "农历新年后",
        "过年后", "当季", "这季度", "the 15th of May 2024", "within the past 3 months",
        "at present", "as of today", "quarter-to-date", "y-o-y",
    ]  # fmt: skip
    words = [q for q, *_ in CASES] + extra
    questions = [q for q, *_ in CASES] + [
        " ".join(rng.choice(words) for _ in range(3)) for _ in range(300)
    ]
    gated = [(q, find_times(q, T)) for q in questions]
    monkeypatch.setattr(timeexpr, "_SCAN", timeexpr._compile("")[0])
    for q, found in gated:
        assert find_times(q, T) == found, q
