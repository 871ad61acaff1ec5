"""Loading and validating the catalog data files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from steelsage.catalog import CatalogError, load_catalog
from steelsage.catalog.loader import FILES

INTERNALS = Path(__file__).resolve().parents[2] / "docs" / "internals.md"


def _doc_codes(start: str, end: str) -> set[str]:
    """Backticked codes in docs/internals.md between two bold headings."""
    text = INTERNALS.read_text(encoding="utf-8")
    section = text[text.index(start) : text.index(end)]
    return set(re.findall(r"`([A-Za-z0-9_]+)`", section))


def test_default_catalog_is_cached_and_versioned(catalog):
    assert load_catalog() is catalog
    assert set(catalog.versions) == set(FILES)
    assert all(v >= 1 for v in catalog.versions.values())
    assert catalog.vat_rate == pytest.approx(0.13)


def test_every_documented_product_exists(catalog):
    documented = _doc_codes("**Product codes**", "**Commodity codes**") - {"products"}
    assert "rebar" in documented and "simn" in documented  # the parse found the list
    assert documented <= set(catalog.products)


def test_every_documented_commodity_region_and_unit_exists(catalog):
    assert _doc_codes("**Commodity codes**", "**Region codes**") <= set(catalog.commodities)
    regions = _doc_codes("**Region codes**", "**Unit codes**") - {"_port"}
    assert {"qingdao_port", "cfr_china", "national", "lvliang"} <= regions
    assert regions <= set(catalog.regions)
    units = _doc_codes("**Unit codes**", "**Series codes**")
    assert units <= set(catalog.units)


def test_documented_indicator_series_exist(catalog):
    codes = set(catalog.indicator_series_codes())
    for code in [
        "inventory_social.rebar",
        "inventory_mill.rebar",
        "bf_utilization.national",
        "output_crude_steel.national",
        "port_ore_stocks.national",
        "mill_margin.rebar",
    ]:
        assert code in codes
    assert catalog.units[catalog.indicators["bf_utilization"].unit].code == "PCT"
    assert catalog.indicators["output_crude_steel"].frequency == "monthly"


def test_at_least_32_cities_with_macro_regions(catalog):
    cities = [r for r in catalog.regions.values() if r.kind == "city"]
    assert len(cities) >= 32
    assert all(r.macro_region and r.province for r in cities)
    ports = {c for c, r in catalog.regions.items() if r.kind == "port"}
    assert all(c.endswith("_port") for c in ports) and len(ports) >= 9


def test_products_are_complete(catalog):
    for code, p in catalog.products.items():
        assert p.commodity in catalog.commodities, code
        assert catalog.units[p.unit].kind == "price", code
        assert p.delivery in catalog.delivery_terms, code
        assert p.base_spec and p.aliases, code
        low, high = p.plausible_range
        assert 0 < low < high, code
        if p.is_ore:
            assert p.fe_pct is not None and p.moisture_pct is not None, code
            assert p.base_spec["fe_pct"] == p.fe_pct, code
    rebar = catalog.products["rebar"]
    assert rebar.base_spec == {"grade": "HRB400E", "diameter_mm": 20, "length_m": 9}
    assert rebar.weight_basis == "actual" and 0.9 < rebar.weight_basis_factor < 1
    assert catalog.products["iron_ore_62"].plausible_range == (60.0, 250.0)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_valid_copy_loads(data_copy):
    cat = load_catalog(data_copy)
    assert cat is not load_catalog()
    assert len(cat.assessments) == len(load_catalog().assessments)


@pytest.mark.parametrize(
    ("file", "old", "new", "entry", "words"),
    [
        # wrong type for a field
        (
            "products.yaml",
            "plausible_range: [2500, 6500]",
            "plausible_range: cheap",
            "rebar",
            "plausible_range",
        ),
        # low above high
        (
            "products.yaml",
            "plausible_range: [2500, 6500]",
            "plausible_range: [6500, 2500]",
            "rebar",
            "low < high",
        ),
        # an unknown field (typo)
        (
            "regions.yaml",
            "shanghai: {kind: city,",
            "shanghai: {kind: city, provnce: x,",
            "shanghai",
            "provnce",
        ),
        # a bad enum value
        (
            "regions.yaml",
            "province: 上海, macro_region: 华东",
            "province: 上海, macro_region: 华中",
            "shanghai",
            "macro_region",
        ),
        # a reference to a commodity that does not exist
        (
            "products.yaml",
            "commodity: steel_long\n  ",
            "commodity: steel_lnog\n  ",
            "rebar",
            "steel_lnog",
        ),
        # a rule with neither diff nor per_unit
        (
            "products.yaml",
            "{attribute: diameter_mm, value: 12, diff: 130}",
            "{attribute: diameter_mm, value: 12}",
            "rebar",
            "value+diff",
        ),
        # an alias claimed by two products
        (
            "products.yaml",
            "aliases: [高线, 线材,",
            "aliases: [高线, 螺纹钢, 线材,",
            "wire_rod",
            "also an alias of 'rebar'",
        ),
        # an assessment at a region that does not exist
        (
            "assessments.yaml",
            "rebar.beijing: {min_sources: 3}",
            "rebar.peking: {min_sources: 3}",
            "rebar.peking",
            "region 'peking'",
        ),
        # two benchmarks for one product
        (
            "assessments.yaml",
            "rebar.beijing: {min_sources: 3}",
            "rebar.beijing: {min_sources: 3, benchmark: true}",
            "rebar.beijing",
            "benchmark",
        ),
        # a unit alias on two units
        (
            "units.yaml",
            "aliases: [千元/吨,",
            "aliases: [元/吨, 千元/吨,",
            "KCNY_T_VAT",
            "also an alias of 'CNY_T_VAT'",
        ),
        # min_sources as a string
        (
            "assessments.yaml",
            "rebar.beijing: {min_sources: 3}",
            "rebar.beijing: {min_sources: '3'}",
            "rebar.beijing",
            "min_sources",
        ),
    ],
)
def test_malformed_entry_names_file_and_entry(data_copy, file, old, new, entry, words):
    _replace(data_copy / file, old, new)
    with pytest.raises(CatalogError) as info:
        load_catalog(data_copy)
    err = info.value
    assert err.file == file
    assert err.entry == entry
    message = str(err)
    assert file in message and repr(entry) in message and words in message


def test_duplicate_key_is_an_error(data_copy):
    _replace(
        data_copy / "assessments.yaml",
        "rebar.beijing: {min_sources: 3}",
        "rebar.beijing: {min_sources: 3}\n  rebar.beijing: {min_sources: 2}",
    )
    with pytest.raises(CatalogError, match=r"assessments\.yaml.*duplicate key 'rebar\.beijing'"):
        load_catalog(data_copy)


def test_broken_yaml_and_missing_version_and_missing_file(data_copy):
    path = data_copy / "units.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "\n  bad: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"units\.yaml.*invalid YAML"):
        load_catalog(data_copy)
    path.write_text(original.replace("version: 1\n", "", 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"units\.yaml, entry 'version'"):
        load_catalog(data_copy)
    path.unlink()
    with pytest.raises(CatalogError, match=r"units\.yaml: file not found"):
        load_catalog(data_copy)
