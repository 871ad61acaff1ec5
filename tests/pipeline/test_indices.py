"""Index definitions (indices.yaml) and index compilation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from steelsage.catalog import load_catalog
from steelsage.pipeline.compile import compile_indices, index_base_prices
from steelsage.pipeline.indices import IndexDefinitionError, load_index_defs

D = [date(2024, 5, d) for d in (6, 7, 8, 9)]


def assessments(prices: dict[str, list[float | None]]) -> pl.DataFrame:
    rows = [(code, D[i], p) for code, series in prices.items() for i, p in enumerate(series) if p]
    return pl.DataFrame(
        rows, schema={"series_code": pl.Utf8, "date": pl.Date, "mid": pl.Float64}, orient="row"
    )


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "indices.yaml"
    path.write_text("version: 1\nindices:\n" + body, encoding="utf-8")
    return path


TWO = """
  idx.test:
    name_zh: 测试指数
    name_en: Test index
    base_value: 100
    method_zh: 测试
    method_en: test
    components:
      - {product: rebar, weight: 0.75}
      - {series: hrc.shanghai, weight: 0.25}
"""


def test_packaged_definitions_are_valid() -> None:
    defs = {d.code: d for d in load_index_defs(catalog=load_catalog())}
    assert set(defs) == {"idx.steel_composite", "idx.ore_62"}
    composite = defs["idx.steel_composite"]
    assert sum(composite.weights.values()) == pytest.approx(1.0)
    assert {"rebar", "wire_rod", "hrc", "crc", "plate", "h_beam"} <= set(composite.weights)
    assert composite.base_value == 100 and composite.name_zh == "钢材综合价格指数"
    ore = defs["idx.ore_62"]
    assert ore.weights == {"iron_ore_62.cfr_china": 1.0}
    assert "USD/dmt" in ore.method and "price-level" in ore.method


def test_base_is_100_and_weights_are_honoured(tmp_path: Path) -> None:
    defs = load_index_defs(write(tmp_path, TWO))
    frame = assessments(
        {
            "rebar.shanghai": [3500, 3600, 3700, 3500],
            "rebar.beijing": [3300, 3300, 3300, 3400],
            "hrc.shanghai": [None, 4000, 4400, 4000],  # first complete day is D[1]
        }
    )
    out = compile_indices(frame, defs)
    values = dict(zip(out["date"].to_list(), out["value"].to_list(), strict=True))
    assert D[0] not in values
    assert values[D[1]] == 100.0
    # rebar national average (3700 + 3300) / (3600 + 3300); hrc 4400 / 4000
    expected = 100 * (0.75 * 7000 / 6900 + 0.25 * 4400 / 4000)
    assert values[D[2]] == pytest.approx(round(expected, 2))
    assert values[D[3]] == pytest.approx(round(100 * (0.75 * 6900 / 6900 + 0.25), 2))


def test_a_missing_city_does_not_move_the_index(tmp_path: Path) -> None:
    defs = load_index_defs(write(tmp_path, TWO))
    frame = assessments(
        {
            "rebar.shanghai": [3500, 3500],
            "rebar.beijing": [3300, None],  # not assessed on D[1]
            "hrc.shanghai": [4000, 4000],
        }
    )
    out = compile_indices(frame, defs)
    assert out["value"].to_list() == [100.0, 100.0]


def test_ore_index_is_the_rebased_assessment() -> None:
    defs = [d for d in load_index_defs() if d.code == "idx.ore_62"]
    frame = assessments({"iron_ore_62.cfr_china": [104.0, 106.6, 101.4]})
    out = compile_indices(frame, defs)
    assert out["series_code"].unique().to_list() == ["idx.ore_62"]
    assert out["value"].to_list() == [100.0, 102.5, 97.5]


def test_base_prices_continue_an_index(tmp_path: Path) -> None:
    defs = load_index_defs(write(tmp_path, TWO))
    full = assessments(
        {
            "rebar.shanghai": [3500, 3600, 3700],
            "rebar.beijing": [3300, 3300, 3400],
            "hrc.shanghai": [4000, 4100, 4200],
        }
    )
    whole = compile_indices(full, defs)
    base = {"idx.test": index_base_prices(full, defs[0])}
    later = compile_indices(full.filter(pl.col("date") > D[0]), defs, base_prices=base)
    assert later["value"].to_list() == whole["value"].to_list()[1:]


def test_base_date_missing_from_the_data_is_an_error(tmp_path: Path) -> None:
    body = TWO.replace("base_value: 100", "base_value: 100\n    base_date: 2020-01-02")
    defs = load_index_defs(write(tmp_path, body))
    frame = assessments({"rebar.shanghai": [3500], "hrc.shanghai": [4000]})
    with pytest.raises(ValueError, match="base_prices"):
        compile_indices(frame, defs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("weight: 0.25}", "weight: 0.35}"), "sum to 1"),
        (("{series: hrc.shanghai,", "{product: hrc, series: hrc.shanghai,"), "exactly one"),
        (("idx.test:", "steel_test:"), "idx"),
        (("method_en: test", "method_en: test\n    colour: red"), "colour"),
        (("weight: 0.75}", "weight: -0.75}"), "greater than 0"),
    ],
)
def test_bad_definitions_are_explained(tmp_path: Path, change, message) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, TWO.replace(*change))
    with pytest.raises(IndexDefinitionError, match=message):
        load_index_defs(path)


def test_catalog_mismatch_and_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, TWO.replace("hrc.shanghai", "hrc.atlantis"))
    with pytest.raises(IndexDefinitionError, match="atlantis"):
        load_index_defs(path, catalog=load_catalog())
    bad = tmp_path / "bad.yaml"
    bad.write_text("indices: [unclosed", encoding="utf-8")
    with pytest.raises(IndexDefinitionError, match="YAML"):
        load_index_defs(bad)
    with pytest.raises(IndexDefinitionError, match="cannot read"):
        load_index_defs(tmp_path / "nope.yaml")
