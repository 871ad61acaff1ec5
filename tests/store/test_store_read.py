"""Read API: series listing and search, date ranges, latest date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import Engine

from steelsage.store import (
    SeriesInfo,
    get_observations,
    get_observations_many,
    get_series,
    latest_date,
    list_series,
    publish_values,
    upsert_series,
)


def _series(code: str, kind: str, zh: str, en: str, unit: str, **extra: str) -> dict:
    return {"code": code, "kind": kind, "name_zh": zh, "name_en": en, "unit": unit, **extra}


LONG = {"commodity": "steel_long", "product": "rebar"}
SERIES = [
    _series(
        "rebar.shanghai",
        "assessment",
        "螺纹钢 上海",
        "Rebar Shanghai",
        "CNY_T_VAT",
        region="shanghai",
        method="weighted median",
        source="steelsage",
        licence="CC-BY-4.0",
        **LONG,
    ),
    _series(
        "rebar.beijing",
        "assessment",
        "螺纹钢 北京",
        "Rebar Beijing",
        "CNY_T_VAT",
        region="beijing",
        **LONG,
    ),
    _series(
        "hrc.shanghai",
        "assessment",
        "热轧板卷 上海",
        "HRC Shanghai",
        "CNY_T_VAT",
        commodity="steel_flat",
        product="hrc",
        region="shanghai",
    ),
    _series(
        "inventory_social.rebar",
        "indicator",
        "螺纹钢社会库存",
        "Rebar social inventory",
        "T_10K",
        region="national",
        frequency="weekly",
        **LONG,
    ),
    _series(
        "wb.IRON_ORE",
        "external",
        "世界银行铁矿石价格",
        "World Bank iron ore 100%_price",
        "USD_DMT_CFR",
        frequency="monthly",
    ),
]
START = date(2024, 1, 1)


@pytest.fixture
def filled(engine: Engine) -> Engine:
    days = [START + timedelta(days=i) for i in range(30)]
    values = pl.DataFrame(
        {
            "series_code": ["rebar.shanghai"] * 30 + ["hrc.shanghai"] * 10 + ["wb.IRON_ORE"],
            "date": days + days[:10] + [date(2024, 3, 1)],
            "value": [3500.0 + i for i in range(30)] + [3800.0] * 10 + [110.0],
        }
    )
    with engine.begin() as conn:
        upsert_series(conn, SERIES)
        publish_values(
            conn, release="seed", kind="import", values=values, who="t", now=datetime(2024, 3, 5)
        )
    return engine


def test_list_series_filters(filled: Engine) -> None:
    assert [s.code for s in list_series(filled)] == sorted(s["code"] for s in SERIES)
    assert [s.code for s in list_series(filled, kind="indicator")] == ["inventory_social.rebar"]
    assert [s.code for s in list_series(filled, product="rebar", kind="assessment")] == [
        "rebar.beijing",
        "rebar.shanghai",
    ]
    assert [s.code for s in list_series(filled, region="shanghai")] == [
        "hrc.shanghai",
        "rebar.shanghai",
    ]
    assert [s.code for s in list_series(filled, commodity="steel_flat")] == ["hrc.shanghai"]
    assert len(list_series(filled, limit=2)) == 2
    assert list_series(filled, kind="index") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("REBAR", ["inventory_social.rebar", "rebar.beijing", "rebar.shanghai"]),
        ("螺纹钢", ["inventory_social.rebar", "rebar.beijing", "rebar.shanghai"]),
        ("上海", ["hrc.shanghai", "rebar.shanghai"]),
        ("iron ore", ["wb.IRON_ORE"]),
        ("100%", ["wb.IRON_ORE"]),  # % is a literal, not a wildcard
        ("r_s", []),  # _ is a literal too
        ("nothing like this", []),
    ],
)
def test_search(filled: Engine, query: str, expected: list[str]) -> None:
    assert [s.code for s in list_series(filled, query=query)] == expected


def test_get_series_metadata(filled: Engine) -> None:
    info = get_series(filled, "rebar.shanghai")
    assert isinstance(info, SeriesInfo)
    assert (info.name_zh, info.unit, info.method, info.licence) == (
        "螺纹钢 上海",
        "CNY_T_VAT",
        "weighted median",
        "CC-BY-4.0",
    )
    assert (info.first, info.last) == (START, START + timedelta(days=29))
    beijing = get_series(filled, "rebar.beijing")
    assert beijing is not None and beijing.first is None and beijing.frequency == "daily"
    assert get_series(filled, "nope") is None


def test_observation_date_range_is_inclusive(filled: Engine) -> None:
    frame = get_observations(filled, "rebar.shanghai", start=date(2024, 1, 5), end=date(2024, 1, 9))
    assert frame["date"].to_list() == [date(2024, 1, d) for d in range(5, 10)]
    assert frame["value"].to_list() == [3504.0, 3505.0, 3506.0, 3507.0, 3508.0]
    assert get_observations(filled, "rebar.shanghai", start=date(2024, 1, 25)).height == 6
    assert get_observations(filled, "rebar.shanghai", end=date(2024, 1, 2)).height == 2
    assert get_observations(filled, "rebar.shanghai", start=date(2025, 1, 1)).height == 0


def test_observations_many(filled: Engine) -> None:
    frame = get_observations_many(
        filled, ["rebar.shanghai", "hrc.shanghai", "nope"], start=date(2024, 1, 9)
    )
    assert frame.columns[:2] == ["series_code", "date"]
    assert frame.group_by("series_code", maintain_order=True).len().rows() == [
        ("hrc.shanghai", 2),
        ("rebar.shanghai", 22),
    ]
    assert frame.equals(frame.sort("series_code", "date"))
    assert get_observations_many(filled, []).height == 0


def test_latest_date(filled: Engine) -> None:
    assert latest_date(filled) == START + timedelta(days=29)
    assert latest_date(filled, kind="external") == date(2024, 3, 1)
    assert latest_date(filled, kind=None) == date(2024, 3, 1)
    assert latest_date(filled, kind="indicator") is None


def test_latest_date_empty_database(engine: Engine) -> None:
    assert latest_date(engine) is None
    assert list_series(engine) == []
