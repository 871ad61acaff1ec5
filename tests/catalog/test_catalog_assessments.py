"""Assessment series: size, references, benchmarks, inputs and names."""

from __future__ import annotations

from collections import Counter

import pytest

from steelsage.catalog import UnknownCodeError


def test_assessment_count_and_references(catalog):
    assert 150 <= len(catalog.assessments) <= 220
    for code, a in catalog.assessments.items():
        assert code == f"{a.product}.{a.region}"
        assert a.product in catalog.products
        assert a.region in catalog.regions
        assert a.unit in catalog.units
        assert a.delivery in catalog.delivery_terms
        assert a.min_sources >= 2
        assert a.product in a.inputs and all(p in catalog.products for p in a.inputs)


def test_coverage_per_product(catalog):
    per_product = Counter(a.product for a in catalog.assessments.values())
    assert per_product["rebar"] == 32 and per_product["hrc"] == 32
    for product in ("wire_rod", "coiled_rebar", "crc", "plate"):
        assert 10 <= per_product[product] <= 14
    assert set(per_product) == set(catalog.products)  # every product is assessed somewhere


def test_one_benchmark_per_product(catalog):
    benchmarks = Counter(a.product for a in catalog.assessments.values() if a.benchmark)
    assert set(benchmarks.values()) == {1}
    assert catalog.benchmark_for("rebar").code == "rebar.shanghai"
    assert catalog.benchmark_for("hrc").code == "hrc.shanghai"
    assert catalog.benchmark_for("pb_fines").code == "pb_fines.qingdao_port"


def test_defaults_come_from_the_product(catalog):
    a = catalog.assessments["rebar.shanghai"]
    assert a.unit == "CNY_T_VAT" and a.delivery == "ex_warehouse" and a.min_sources == 3
    assert a.base_spec == catalog.products["rebar"].base_spec
    assert a.weight_basis == "actual"
    port = catalog.assessments["pb_fines.qingdao_port"]
    assert port.unit == "CNY_WMT_VAT" and port.delivery == "port_stock" and port.min_sources == 2
    assert catalog.assessments["coke.linfen"].delivery == "ex_works"  # an explicit override


def test_assessment_for_follows_inputs(catalog):
    assert catalog.assessment_for("rebar", "shanghai").code == "rebar.shanghai"
    assert catalog.assessment_for("pb_fines", "cfr_china").code == "iron_ore_62.cfr_china"
    assert catalog.assessment_for("iron_ore_62", "cfr_china").code == "iron_ore_62.cfr_china"
    assert catalog.assessment_for("ssf", "cfr_china") is None  # outside the 60–63.5% Fe band
    assert catalog.assessment_for("rebar", "qingdao_port") is None
    seaborne = catalog.assessments["iron_ore_62.cfr_china"]
    assert seaborne.unit == "USD_DMT_CFR" and seaborne.delivery == "cfr"


def test_series_names(catalog):
    assert catalog.series_name("rebar.shanghai") == "上海 螺纹钢 HRB400E Φ20mm"
    assert catalog.series_name("rebar.shanghai", "en") == "Rebar HRB400E 20mm, Shanghai"
    assert catalog.series_name("pb_fines.qingdao_port") == "青岛港 PB粉 61.5%"
    assert catalog.series_name("inventory_social.rebar") == "螺纹钢 社会库存"
    assert catalog.series_name("inventory_social.total", "en") == (
        "Social inventory, five major products"
    )
    assert catalog.series_name("bf_utilization.national") == "高炉产能利用率"
    for code in list(catalog.assessments) + catalog.indicator_series_codes():
        assert catalog.series_name(code) and catalog.series_name(code, "en")
    with pytest.raises(UnknownCodeError, match=r"rebar\.lhasa"):
        catalog.series_name("rebar.lhasa")
    with pytest.raises(ValueError, match="lang"):
        catalog.series_name("rebar.shanghai", "fr")
