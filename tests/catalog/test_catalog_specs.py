"""Spec parsing, spec differentials and basis conversions."""

from __future__ import annotations

import pytest

from steelsage.catalog import UnknownCodeError


@pytest.mark.parametrize(
    ("product", "text", "attrs"),
    [
        ("rebar", "HRB400E Φ18mm", {"grade": "HRB400E", "diameter_mm": 18}),
        ("rebar", "HRB400 φ25 12m", {"grade": "HRB400", "diameter_mm": 25, "length_m": 12}),
        ("rebar", "三级 Ф16", {"grade": "HRB400E", "diameter_mm": 16}),
        ("rebar", "ＨＲＢ４００Ｅ　Φ２２", {"grade": "HRB400E", "diameter_mm": 22}),
        ("rebar", "HRB400E Φ18-25", {"grade": "HRB400E", "diameter_mm": 20}),  # band holds base
        ("rebar", "Φ12-14", {"diameter_mm": 12}),
        ("hrc", "5.75*1500*C", {"thickness_mm": 5.75}),
        ("hrc", "Q345B 3.0x1500", {"grade": "Q355B", "thickness_mm": 3.0}),
        ("crc", "DC01 0.5", {"grade": "SPCC", "thickness_mm": 0.5}),
        ("plate", "Q235B 20*2200*L", {"grade": "Q235B", "thickness_mm": 20}),
        ("ss304", "304/2B 2.0mm", {"grade": "304", "finish": "2B", "thickness_mm": 2.0}),
        ("h_beam", "H300*150*6.5*9", {"height_mm": 300}),
        ("angle", "50*50*5", {"size_no": 5}),
        ("strip", "Q235B 2.5*232", {"grade": "Q235B", "width_mm": 232}),
        ("billet", "20MnSi 165*165", {"grade": "20MnSi", "section_mm": 165}),
        ("welded_pipe", "Q235B 4寸*3.75mm", {"grade": "Q235B", "size_in": 4, "wall_mm": 3.75}),
        ("welded_pipe", "DN50*3.25", {"size_in": 2, "wall_mm": 3.25}),
        ("welded_pipe", "1-1/2寸*3.0", {"size_in": 1.5, "wall_mm": 3.0}),
        ("seamless_pipe", "20# 108*4.5", {"grade": "20#", "od_mm": 108, "wall_mm": 4.5}),
        ("pb_fines", "61.5%", {"fe_pct": 61.5}),
        ("pb_fines", "水分9.5% Fe61.0", {"fe_pct": 61.0}),  # moisture is not mistaken for Fe
        ("coking_coal", "A10.5 S0.8 G80", {"ash_pct": 10.5, "sulfur_pct": 0.8}),
        ("coke", "一级焦", {"grade": "一级"}),
        ("scrap", "重型废钢", {"grade": "重废"}),
        ("fesi", "72#", {"si_pct": 72}),
        ("simn", "6014", {"grade": "FeMn60Si14"}),
        ("rebar", "", {}),
        ("rebar", None, {}),
        ("rebar", "见附件", {}),
    ],
)
def test_parse_spec(catalog, product, text, attrs):
    parsed = catalog.parse_spec(product, text)
    assert parsed == attrs
    assert all(isinstance(v, str | float) for v in parsed.values())


def test_parse_spec_returns_a_fresh_dict(catalog):
    first = catalog.parse_spec("rebar", "HRB400E Φ18mm")
    first["diameter_mm"] = 99.0
    assert catalog.parse_spec("rebar", "HRB400E Φ18mm")["diameter_mm"] == 18


def test_parse_spec_unknown_product(catalog):
    with pytest.raises(UnknownCodeError):
        catalog.parse_spec("gold", "999")


@pytest.mark.parametrize(
    ("product", "attrs", "adjust", "note"),
    [
        ("rebar", {"diameter_mm": 18}, -30, "Φ18→Φ20 −30"),
        ("rebar", {"diameter_mm": 12}, -130, "Φ12→Φ20 −130"),
        ("rebar", {"diameter_mm": 20, "grade": "HRB400E"}, 0, ""),
        ("rebar", {"diameter_mm": 19}, -15, "Φ19→Φ20 −15"),  # interpolated
        ("rebar", {"diameter_mm": 32}, -30, "Φ32→Φ20 −30"),  # thick bars carry an extra too
        ("rebar", {"diameter_mm": 8}, -200, "Φ8→Φ20 −200"),  # beyond the table: end value
        ("rebar", {"grade": "HRB400", "diameter_mm": 18}, -10, "Φ18→Φ20 −30; HRB400→HRB400E +20"),
        ("rebar", {"diameter_mm": "18"}, -30, "Φ18→Φ20 −30"),  # JSON strings are accepted
        ("rebar", {"grade": "UNKNOWN"}, 0, ""),
        ("hrc", {"thickness_mm": 5.75}, 30, "5.75mm→4.75mm +30"),
        ("hrc", {"thickness_mm": 3.0}, -100, "3mm→4.75mm −100"),
        ("hrc", {"thickness_mm": 2.75}, -120, "2.75mm→4.75mm −120"),
        ("hrc", {"grade": "Q355B"}, -120, "Q355B→Q235B −120"),
        ("pb_fines", {"fe_pct": 61.0}, 9, "Fe 61%→Fe 61.5% +9"),
        ("coking_coal", {"sulfur_pct": 0.8}, -80, "S 0.8%→S 1% −80"),
    ],
)
def test_spec_differential(catalog, product, attrs, adjust, note):
    value, text = catalog.spec_differential(product, attrs)
    assert value == pytest.approx(adjust)
    assert text == note


def test_ore_brand_normalised_to_62_by_value_in_use(catalog):
    # PB 61.5% at CFR China feeds the 62% series: Fe +0.5×2.5 plus the brand adjustment
    value, note = catalog.spec_differential("iron_ore_62", {}, source_product="pb_fines")
    assert value == pytest.approx(0.5 * 2.5 + 0.5)
    assert note == "Fe 61.5%→Fe 62% +1.25; brand pb_fines +0.5"
    # a reported Fe overrides the brand's typical Fe
    value, _ = catalog.spec_differential(
        "iron_ore_62", {"fe_pct": 62.0}, source_product="newman_fines"
    )
    assert value == pytest.approx(-0.5)
    assert catalog.spec_differential("iron_ore_62", {"fe_pct": 62.0}) == (0.0, "")


def test_spec_differential_to_an_assessment_base(catalog):
    value, note = catalog.spec_differential(
        "rebar", {"diameter_mm": 20}, base_spec={"diameter_mm": 18}
    )
    assert value == pytest.approx(30) and note == "Φ20→Φ18 +30"


def test_spec_differential_tolerates_unhashable_extras(catalog):
    assert catalog.spec_differential("rebar", {"diameter_mm": 18, "notes": ["x"]})[0] == -30


def test_delivery_differential(catalog):
    assert catalog.delivery_differential("rebar", "delivered") == (
        -30.0,
        "delivered→ex_warehouse −30",
    )
    assert catalog.delivery_differential("rebar", "ex_warehouse") == (0.0, "")
    assert catalog.delivery_differential("pb_fines", "delivered")[0] == -40
    # CFR (USD/dmt, seaborne) cannot be turned into a port-stock price by a spread
    assert catalog.delivery_differential("pb_fines", "cfr") is None
    assert catalog.delivery_differential("iron_ore_62", "cfr") == (0.0, "")
    with pytest.raises(UnknownCodeError):
        catalog.delivery_differential("rebar", "by_camel")


def test_vat_and_weight_basis(catalog):
    assert catalog.vat_multiplier("excl") == (pytest.approx(1.13), "excl→incl VAT ×1.13")
    assert catalog.vat_multiplier("incl")[0] == 1.0
    assert catalog.vat_multiplier("incl", "excl")[0] == pytest.approx(1 / 1.13)
    factor, note = catalog.weight_basis_multiplier("rebar", "theoretical")
    assert factor == pytest.approx(1 / 0.97) and note == "理计→过磅 ÷0.97"
    assert catalog.weight_basis_multiplier("rebar", "actual") == (1.0, "")
    assert catalog.weight_basis_multiplier("hrc", "theoretical") == (1.0, "")
