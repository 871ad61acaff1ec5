"""A tiny market for the text-to-SQL tests (the ``market`` fixture is in conftest.py).

Three assessment series (rebar in Shanghai and Beijing, HRC in Shanghai) with one value a
day from :data:`START` to :data:`TODAY`, and one correction of rebar.shanghai on
:data:`CORRECTED_DAY` so the views' "current values only" rule is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import Engine

from steelsage.assistant.principal import Package, Principal
from steelsage.store import SeriesInfo, list_series, publish_values, upsert_series

START = date(2026, 1, 1)
TODAY = date(2026, 3, 31)
DAYS = [START + timedelta(days=i) for i in range((TODAY - START).days + 1)]
CORRECTED_DAY = date(2026, 3, 2)
BASE = {"rebar.shanghai": 3500.0, "rebar.beijing": 3400.0, "hrc.shanghai": 3900.25}

REBAR_ONLY = Principal(
    id="sub-1",
    name="rebar subscriber",
    role="subscriber",
    packages=(Package(name="rebar", products=frozenset({"rebar"})),),
)


@dataclass(frozen=True)
class Market:
    engine: Engine
    series: list[SeriesInfo]


def _series_rows() -> list[dict[str, object]]:
    rows = []
    for code in BASE:
        product, region = code.split(".")
        rows.append(
            {
                "code": code,
                "kind": "assessment",
                "name_zh": f"{region}{product}",
                "name_en": f"{product} {region}",
                "commodity": "steel_flat" if product == "hrc" else "steel_long",
                "product": product,
                "region": region,
                "unit": "CNY_T_VAT",
                "method": "weighted_median",
            }
        )
    return rows


def _values(code: str, days: list[date], offset: float = 0.0) -> pl.DataFrame:
    base = BASE[code]
    return pl.DataFrame(
        {
            "series_code": [code] * len(days),
            "date": days,
            "value": [base + (d - START).days + offset for d in days],
            "low": [base + (d - START).days - 20 for d in days],
            "high": [base + (d - START).days + 20 for d in days],
        }
    )


def seed_market(engine: Engine) -> Market:
    """Register the series and publish every value, then one correction."""
    with engine.begin() as conn:
        upsert_series(conn, _series_rows())
        publish_values(
            conn,
            release="daily",
            kind="initial",
            values=pl.concat([_values(code, DAYS) for code in BASE]),
            who="test",
            now=datetime(2026, 4, 1, 9, 0),
        )
        publish_values(
            conn,
            release="daily",
            kind="correction",
            values=_values("rebar.shanghai", [CORRECTED_DAY], offset=7.0),
            who="test",
            now=datetime(2026, 4, 2, 9, 0),
        )
    return Market(engine=engine, series=list_series(engine))
