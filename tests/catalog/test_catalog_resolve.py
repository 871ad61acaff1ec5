"""Free text → codes: products, regions, units, bases, delivery terms, data types."""

from __future__ import annotations

import pytest

from steelsage.catalog import UnknownCodeError, normalize_text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        *[
            (t, "rebar")
            for t in ["螺纹", "螺纹钢", "三级螺纹", "螺纹钢筋", "RB", "rebar", "HRB400E螺纹"]
        ],
        ("HRB400E螺纹钢 Φ20", "rebar"),
        ("螺纹钢(HRB400E)", "rebar"),
        ("RB2410", "rebar"),
        *[(t, "hrc") for t in ["热卷", "热轧板卷", "热轧卷板", "热轧", "HRC", "hot rolled coil"]],
        ("卷板", "hrc"),
        ("ＨＲＣ", "hrc"),
        ("  Hot  Rolled   Coil ", "hrc"),
        *[(t, "crc") for t in ["冷轧", "冷卷", "冷轧板卷", "CRC"]],
        *[(t, "wire_rod") for t in ["高线", "线材", "wire rod"]],
        *[(t, "coiled_rebar") for t in ["盘螺", "盘螺纹", "盘螺纹钢"]],
        *[(t, "pb_fines") for t in ["PB粉", "皮尔巴拉混合粉", "PB fines", "Pilbara Blend fines"]],
        ("纽曼粉", "newman_fines"),
        *[(t, "coking_coal") for t in ["主焦煤", "焦煤", "coking coal", "低硫主焦"]],
        *[(t, "coke") for t in ["冶金焦", "焦炭", "准一级焦", "coke"]],
        *[(t, "scrap") for t in ["废钢", "重废", "重型废钢", "scrap"]],
        *[(t, "fesi") for t in ["硅铁", "FeSi"]],
        *[(t, "simn") for t in ["硅锰", "锰硅", "SiMn"]],
        *[(t, "ss304") for t in ["304", "不锈钢304", "304/2B", "不锈钢冷轧"]],
        ("BRBF", "brbf"),
        ("卡粉", "iocj"),
        ("62%粉矿", "iron_ore_62"),
        ("热轧带钢", "strip"),  # longer alias beats 热轧
        ("无缝管", "seamless_pipe"),
    ],
)
def test_resolve_product(catalog, text, code):
    assert catalog.resolve_product(text) == code


@pytest.mark.parametrize("text", ["黄金", "coal", "3040", "", None, "   ", "铜"])
def test_unknown_product_words_give_none(catalog, text):
    assert catalog.resolve_product(text) is None


def test_ascii_aliases_respect_word_boundaries(catalog):
    # "rb" sits inside "brbf" and "hrb"; neither may resolve to rebar through it.
    assert catalog.resolve_product("BRBF粉") == "brbf"
    assert catalog.resolve_product("HRB") is None


def test_normalize_text():
    assert normalize_text("ＨＲＣ") == "hrc"
    assert normalize_text(" Shanghai ") == "shanghai"
    assert normalize_text("上海 市") == "上海市"
    assert normalize_text("hot   rolled coil") == "hot rolled coil"
    assert normalize_text("HRB400E 螺纹钢") == "hrb400e螺纹钢"


@pytest.mark.parametrize(
    ("text", "product", "code"),
    [
        ("上海", None, "shanghai"),
        ("沪", None, "shanghai"),
        ("SH", None, "shanghai"),
        ("Shanghai ", None, "shanghai"),
        ("上海市场", None, "shanghai"),
        ("广州", None, "guangzhou"),
        ("穗", None, "guangzhou"),
        ("唐山", None, "tangshan"),
        ("青岛港", None, "qingdao_port"),
        ("日照港", None, "rizhao_port"),
        ("日照", None, "rizhao_port"),
        ("日照岚山", None, "lanshan_port"),  # longer alias beats 日照
        ("中国到岸", None, "cfr_china"),
        ("全国", None, "national"),
        ("Xi'an", None, "xian"),
        # a bare shared name depends on the product
        ("青岛", None, "qingdao"),
        ("青岛", "rebar", "qingdao"),
        ("青岛", "pb_fines", "qingdao_port"),
        ("青岛", "iocj", "qingdao_port"),
        ("天津", "hrc", "tianjin"),
        ("天津", "pb_fines", "tianjin_port"),
        # shared province names go to the region with a series for the product
        ("内蒙", "rebar", "hohhot"),
        ("内蒙", "fesi", "ordos"),
    ],
)
def test_resolve_region(catalog, text, product, code):
    assert catalog.resolve_region(text, product) == code


def test_unknown_region_and_unknown_product_context(catalog):
    assert catalog.resolve_region("火星") is None
    assert catalog.resolve_region("东") is None  # single characters match only exactly
    with pytest.raises(UnknownCodeError, match="unknown product code 'gold'"):
        catalog.resolve_region("青岛", "gold")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("元/吨", "CNY_T_VAT"),
        ("元/t", "CNY_T_VAT"),
        ("CNY/t", "CNY_T_VAT"),
        ("RMB/t", "CNY_T_VAT"),
        ("元/湿吨", "CNY_WMT_VAT"),
        ("美元/干吨", "USD_DMT_CFR"),
        ("$/dmt", "USD_DMT_CFR"),
        ("USD/dmt", "USD_DMT_CFR"),
        ("千元/吨", "KCNY_T_VAT"),
        ("元/吨(不含税)", "CNY_T_EXVAT"),
        ("元/吨（不含税）", "CNY_T_EXVAT"),
        ("美元/吨", "USD_T"),
        ("万吨", "T_10K"),
        ("%", "PCT"),
        ("furlongs", None),
    ],
)
def test_resolve_unit(catalog, text, code):
    assert catalog.resolve_unit(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("含税", "incl"),
        ("含13%增值税", "incl"),
        ("incl. VAT", "incl"),
        ("不含税", "excl"),  # contains 含税: the longer word wins
        ("除税", "excl"),
        ("净价", "excl"),
        ("excl. VAT", "excl"),
        ("ex-VAT", "excl"),
        ("VAT", None),
    ],
)
def test_resolve_tax_basis(catalog, text, code):
    assert catalog.resolve_tax_basis(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("理计", "theoretical"),
        ("理重", "theoretical"),
        ("theoretical", "theoretical"),
        ("过磅", "actual"),
        ("磅计", "actual"),
        ("weighed", "actual"),
        ("actual", "actual"),
        ("按件", None),
    ],
)
def test_resolve_weight_basis(catalog, text, code):
    assert catalog.resolve_weight_basis(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("出库", "ex_warehouse"),
        ("仓库自提", "ex_warehouse"),
        ("ex-warehouse", "ex_warehouse"),
        ("到厂", "delivered"),
        ("送到", "delivered"),
        ("delivered", "delivered"),
        ("出厂", "ex_works"),
        ("ex-works", "ex_works"),
        ("港口现货", "port_stock"),
        ("FOT", "port_stock"),
        ("港口自提", "port_stock"),
        ("CFR", "cfr"),
        ("到岸", "cfr"),
    ],
)
def test_resolve_delivery(catalog, text, code):
    assert catalog.resolve_delivery(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        *[(t, "deal") for t in ["成交", "成交价", "实际成交", "transaction", "deal"]],
        *[(t, "bid") for t in ["买价", "询盘", "采购价", "bid"]],
        *[(t, "offer") for t in ["卖价", "报盘", "报价", "挂牌", "offer", "ask"]],
        *[(t, "indication") for t in ["参考", "意向", "指导价", "indication", "assessment"]],
        ("tradeable", None),  # "trade" must not match inside a longer English word
        ("天气", None),
    ],
)
def test_resolve_data_type(catalog, text, code):
    assert catalog.resolve_data_type(text) == code


def test_alias_table_maps_raw_and_normalised_aliases(catalog):
    products = catalog.alias_table("product")
    assert products["螺纹钢"] == "rebar"
    assert products["HRC"] == "hrc" and products["hrc"] == "hrc"
    assert products["hot rolled coil"] == "hrc"
    regions = catalog.alias_table("region")
    assert regions["青岛"] == "qingdao"
    assert catalog.alias_table("region", product_code="pb_fines")["青岛"] == "qingdao_port"
    # every table entry agrees with the resolver
    for alias, code in catalog.alias_table("unit").items():
        assert catalog.resolve_unit(alias) == code
    # the returned dict is a copy: editing it does not change the catalog
    products["螺纹钢"] = "hrc"
    assert catalog.alias_table("product")["螺纹钢"] == "rebar"
    with pytest.raises(ValueError, match="unknown alias kind"):
        catalog.alias_table("colour")  # type: ignore[arg-type]
