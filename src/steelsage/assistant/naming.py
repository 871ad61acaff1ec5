"""Names people read: series, products, regions, units and methods, in Chinese or English."""

from __future__ import annotations

from dataclasses import dataclass

from steelsage.assistant.answer import Source
from steelsage.assistant.parse.lexicon import Lexicon

# Short unit labels for running text; the full basis is in the sources.
_UNITS = {
    "CNY_T_VAT": ("元/吨", "CNY/t"),
    "CNY_T_EXVAT": ("元/吨（不含税）", "CNY/t ex-VAT"),
    "CNY_WMT_VAT": ("元/湿吨", "CNY/wmt"),
    "USD_DMT_CFR": ("美元/干吨", "USD/dmt"),
    "KCNY_T_VAT": ("千元/吨", "kCNY/t"),
    "USD_T": ("美元/吨", "USD/t"),
    "T_10K": ("万吨", "10k t"),
    "T_10K_DAY": ("万吨/日", "10k t/day"),
    "PCT": ("%", "%"),
    "CNY_T_MARGIN": ("元/吨", "CNY/t"),
    "INDEX": ("点", "points"),
    "$/mt": ("美元/吨", "USD/t"),
    "$/bbl": ("美元/桶", "USD/bbl"),
    "$/troy oz": ("美元/盎司", "USD/troy oz"),
    "$/dmtu": ("美元/干吨度", "USD/dmtu"),
    "$/mmbtu": ("美元/百万英热单位", "USD/mmBtu"),
    "2010=100": ("点（2010年=100）", "points (2010 = 100)"),
}
_WB_METHOD = ("世界银行月度数据，CC BY 4.0", "World Bank monthly, CC BY 4.0")
# Labels with digits that the verifier must not read as figures.
UNIT_AND_METHOD_WORDS = [w for pair in (*_UNITS.values(), _WB_METHOD) for w in pair]
_FREQ = {"daily": ("日度", "daily"), "weekly": ("周度", "weekly"), "monthly": ("月度", "monthly")}


@dataclass
class Namer:
    """Get one with ``lexicon.namer``."""

    lexicon: Lexicon

    def unit(self, code: str | None, lang: str) -> str:
        if not code:
            return ""
        pair = _UNITS.get(code)
        if pair is not None:
            return pair[0] if lang == "zh" else pair[1]
        unit = self.lexicon.catalog.units.get(code)
        if unit is not None:
            return unit.name_zh if lang == "zh" else unit.name_en
        return code

    def product(self, code: str, lang: str) -> str:
        names = self.lexicon.product_names.get(code)
        if names is None:
            return code
        return names[0] if lang == "zh" else names[1]

    def region(self, code: str, lang: str) -> str:
        region = self.lexicon.catalog.regions.get(code)
        if region is None:
            return code
        return region.name_zh if lang == "zh" else region.name_en

    def region_of(self, series_code: str, lang: str) -> str:
        return self.region(series_code.split(".", 1)[-1], lang)

    def series(self, code: str, lang: str) -> str:
        """'rebar.shanghai' → '上海螺纹钢' / 'Shanghai rebar'; indicators and externals too."""
        catalog = self.lexicon.catalog
        head, _, scope = code.partition(".")
        if code in catalog.assessments:
            a = catalog.assessments[code]
            region, product = self.region(a.region, lang), self.product(a.product, lang)
            return f"{region}{product}" if lang == "zh" else f"{region} {product.lower()}"
        if head in catalog.indicators:
            ind = catalog.indicators[head]
            name = ind.name_zh if lang == "zh" else ind.name_en
            if scope in ind.scope_labels:
                label = ind.scope_labels[scope]
                prefix = label.name_zh if lang == "zh" else label.name_en
            elif scope in catalog.products:
                prefix = self.product(scope, lang)
            else:
                return name
            return f"{prefix}{name}" if lang == "zh" else f"{name} ({prefix.lower()})"
        if head == "wb":
            zh, en = self.lexicon.external_names.get(code, (None, None))
            if lang == "zh":
                return f"世界银行{zh}" if zh else f"世界银行 {scope}"
            en = en or scope.lower().replace("_", " ")
            return en if en.lower().startswith("world bank") else f"World Bank {en}"
        if head == "idx":
            return {
                "ore_62": ("62%铁矿指数", "62% Fe ore index"),
                "steel_composite": ("钢材综合指数", "steel composite index"),
            }.get(scope, (code, code))[0 if lang == "zh" else 1]
        return code

    def method(self, source: Source, lang: str) -> str:
        code = source.series_code
        head = code.split(".", 1)[0]
        catalog = self.lexicon.catalog
        if code in catalog.assessments:
            return "加权中位数评估" if lang == "zh" else "weighted-median assessment"
        if head in catalog.indicators:
            freq = _FREQ.get(catalog.indicators[head].frequency, ("", ""))
            return f"{freq[0]}指标" if lang == "zh" else f"{freq[1]} indicator"
        if head == "wb":
            return _WB_METHOD[0] if lang == "zh" else _WB_METHOD[1]
        if head == "idx":
            return "定基指数" if lang == "zh" else "rebased index"
        return ""
