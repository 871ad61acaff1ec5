"""Fixtures for pipeline stage tests: example files, a sample library, FX rates, a context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

DATA = Path(__file__).with_name("data")
TODAY = date(2026, 11, 25)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def make_xlsx() -> Callable[..., Path]:
    """Write an .xlsx with xlsxwriter: header row, data rows (datetimes as date cells)."""

    def make(
        path: Path, *, header: list[str], rows: list[list[Any]], extra_sheet_first: bool = False
    ) -> Path:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path))
        if extra_sheet_first:  # the reader must pick the sheet named 报价
            wb.add_worksheet("说明").write(0, 0, "本工作簿的报价在“报价”表 / reports are on 报价")
        ws = wb.add_worksheet("报价")
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if hasattr(value, "year"):
                    ws.write_datetime(r, c, value, date_fmt)
                else:
                    ws.write(r, c, value)
        wb.close()
        return path

    return make


SOURCES = [
    # code, name, type, region_code, credibility_weight, active
    ("sh_trader_01", "上海贸易商一", "trader", "shanghai", 1.0, True),
    ("sh_mill_02", "沪上钢厂二", "mill", "shanghai", 1.2, True),
    ("qd_trader_03", "青岛港贸易商三", "port_agent", "qingdao_port", 1.0, True),
    ("hz_trader_04", "杭州贸易商四", "trader", "hangzhou", 0.8, True),
    ("sg_broker_05", "新加坡经纪五", "broker", "cfr_china", 1.5, True),
    ("old_trader_06", "停用贸易商六", "trader", "shanghai", 1.0, False),
]


@pytest.fixture
def sources() -> pl.DataFrame:
    return pl.DataFrame(
        SOURCES,
        schema={
            "code": pl.Utf8,
            "name": pl.Utf8,
            "type": pl.Utf8,
            "region_code": pl.Utf8,
            "credibility_weight": pl.Float64,
            "active": pl.Boolean,
        },
        orient="row",
    )


@pytest.fixture
def fx_rates() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24)],
            "pair": ["USDCNY"] * 3,
            "rate": [7.10, 7.15, 7.20],
        }
    )


@pytest.fixture(scope="session")
def catalog():
    from steelsage.catalog import load_catalog

    return load_catalog()


@pytest.fixture
def ctx(catalog, sources: pl.DataFrame, fx_rates: pl.DataFrame):
    from steelsage.pipeline.base import RunContext

    return RunContext(
        catalog=catalog,
        sources=sources.drop("name"),
        fx_rates=fx_rates,
        today=TODAY,
    )
