"""Stage 2: registry validation and the sources file reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from steelsage.pipeline.sample_library import (
    SOURCE_SCHEMA,
    SampleLibraryStage,
    load_sources_file,
)

GOOD: dict[str, Any] = {
    "code": "sh_trader_01",
    "name": "上海贸易商一",
    "type": "trader",
    "region_code": "shanghai",
    "credibility_weight": 1.0,
    "active": True,
    "coverage": ["rebar.shanghai", "hrc.shanghai"],
}


def registry(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{**GOOD, **r} for r in rows], schema=SOURCE_SCHEMA)


def test_clean_sources_are_kept(ctx) -> None:
    frame = registry(
        {},
        {"code": "ext_wb", "type": "external", "region_code": None, "coverage": []},
        {"code": "qd_port", "type": "port_agent", "region_code": "qingdao_port",
         "credibility_weight": 3.0, "active": False, "coverage": ["pb_fines.qingdao_port"]},
    )  # fmt: skip
    res = SampleLibraryStage().run(frame, ctx)
    assert res.rejected.height == 0
    assert res.kept.schema == pl.Schema(SOURCE_SCHEMA)
    assert res.kept["code"].to_list() == ["sh_trader_01", "ext_wb", "qd_port"]
    assert res.counters["active"] == 2 and res.counters["type_port_agent"] == 1


@pytest.mark.parametrize(
    ("override", "reason", "field"),
    [
        ({"code": None}, "missing_field", "code"),
        ({"code": "  "}, "missing_field", "code"),
        ({"name": None}, "missing_field", "name"),
        ({"code": "sh_trader_01"}, "duplicate_source", "code"),
        ({"type": "smuggler"}, "bad_source_type", "type"),
        ({"type": None}, "bad_source_type", "type"),
        ({"credibility_weight": 0.0}, "bad_source_weight", "credibility_weight"),
        ({"credibility_weight": -1.0}, "bad_source_weight", "credibility_weight"),
        ({"credibility_weight": 3.5}, "bad_source_weight", "credibility_weight"),
        ({"credibility_weight": None}, "bad_source_weight", "credibility_weight"),
        ({"credibility_weight": float("nan")}, "bad_source_weight", "credibility_weight"),
        ({"region_code": "atlantis"}, "unknown_source_region", "region_code"),
        ({"coverage": ["rebar.shanghai", "rebar.mars"]}, "unknown_series", "coverage"),
    ],
)
def test_bad_source_is_rejected(ctx, override: dict, reason: str, field: str) -> None:
    second = {"code": "other_02", **override}
    res = SampleLibraryStage().run(registry({}, second), ctx)
    assert res.kept["code"].to_list() == ["sh_trader_01"]
    row = res.rejected.row(0, named=True)
    assert (row["reason"], row["field"]) == (reason, field)
    assert row["message"].startswith("第2行") and "/ row 2" in row["message"]
    assert res.counters[f"rejected_{reason}"] == 1


def test_unknown_series_are_named(ctx) -> None:
    res = SampleLibraryStage().run(registry({"coverage": ["rebar.mars", "x.y"]}), ctx)
    assert "rebar.mars, x.y" in res.rejected["message"][0]


def test_type_is_case_insensitive_and_defaults_fill_in(ctx) -> None:
    frame = pl.DataFrame({"code": ["m1"], "name": ["钢厂"], "type": [" Mill "],
                          "region_code": ["tangshan"], "credibility_weight": [1.1]})  # fmt: skip
    res = SampleLibraryStage().run(frame, ctx)
    row = res.kept.row(0, named=True)
    assert (row["type"], row["active"], row["coverage"]) == ("mill", True, [])


# ----------------------------------------------------------------------- sources files


def test_load_sources_csv(tmp_path: Path, ctx) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(
        "代码,名称,类型,地区,权重,启用,覆盖\n"
        "sh_trader_01,上海贸易商一,trader,shanghai,1.2,是,rebar.shanghai;hrc.shanghai\n"
        "bj_mill_02,北京钢厂二,mill,beijing,,否,rebar.beijing\n"
        "bad_03,坏来源,trader,shanghai,heavy,true,\n",
        encoding="utf-8",
    )
    frame = load_sources_file(path)
    assert frame.schema == pl.Schema(SOURCE_SCHEMA)
    assert frame["credibility_weight"].to_list() == [1.2, 1.0, None]  # empty → 1.0
    assert frame["active"].to_list() == [True, False, True]
    assert frame["coverage"].to_list() == [
        ["rebar.shanghai", "hrc.shanghai"],
        ["rebar.beijing"],
        [],
    ]
    res = SampleLibraryStage().run(frame, ctx)
    assert res.kept["code"].to_list() == ["sh_trader_01", "bj_mill_02"]
    assert res.rejected["reason"].to_list() == ["bad_source_weight"]


def test_load_sources_yaml(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {code: qd_port_01, name: 青岛港代理, type: port_agent, region_code: qingdao_port,\n"
        "     credibility_weight: 1.5, coverage: [pb_fines.qingdao_port, iocj.qingdao_port]}\n"
        "  - {code: wb, name: World Bank, type: external, active: false}\n",
        encoding="utf-8",
    )
    frame = load_sources_file(path)
    assert frame["code"].to_list() == ["qd_port_01", "wb"]
    assert frame["coverage"][0].to_list() == ["pb_fines.qingdao_port", "iocj.qingdao_port"]
    assert frame["region_code"][1] is None and frame["active"][1] is False


def test_load_sources_errors(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("sources: {code: x}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="list of sources"):
        load_sources_file(bad)
    nocode = tmp_path / "s.csv"
    nocode.write_text("name,type\nx,trader\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'code'"):
        load_sources_file(nocode)
    flag = tmp_path / "f.csv"
    flag.write_text("code,name,active\nx,y,maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="active"):
        load_sources_file(flag)
    with pytest.raises(ValueError, match="CSV or YAML"):
        load_sources_file(tmp_path / "s.xlsx")
    empty = tmp_path / "e.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_sources_file(empty).height == 0
