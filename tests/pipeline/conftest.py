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


BASE_REPORT: dict[str, Any] = {
    "report_id": "R1",
    "source": "sh_trader_01",
    "product": "螺纹钢",
    "spec": "HRB400E Φ20",
    "region": "上海",
    "price": "3650",
    "low": None,
    "high": None,
    "unit": "元/吨",
    "tax_basis": "含税",
    "weight_basis": "过磅",
    "delivery": "出库",
    "volume": "300",
    "data_type": "成交",
    "time": "2026-11-24",
}


@pytest.fixture
def make_batch() -> Callable[..., pl.DataFrame]:
    """Import frames as the importer hands them to verification: BASE_REPORT rows with
    overrides, report ids R1, R2 … (or all 'R1' with ``keep_ids``), batch 7,
    submission ids 1001, 1002 …"""
    from steelsage.pipeline.ingest import VALUE_COLUMNS, add_row_hash

    def make(*rows: dict[str, Any], keep_ids: bool = False) -> pl.DataFrame:
        records = []
        for i, row in enumerate(rows, start=1):
            rec = dict(BASE_REPORT) if keep_ids else {**BASE_REPORT, "report_id": f"R{i}"}
            records.append({**rec, **row})
        frame = pl.DataFrame(records, schema={c: pl.Utf8 for c in VALUE_COLUMNS})
        frame = frame.with_row_index("row_number", offset=1).with_columns(
            pl.col("row_number").cast(pl.Int64)
        )
        return add_row_hash(frame).with_columns(
            pl.lit(7, dtype=pl.Int64).alias("batch_id"),
            (pl.col("row_number") + 1000).alias("submission_id"),
        )

    return make


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
