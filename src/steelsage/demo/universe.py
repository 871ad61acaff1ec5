"""What the demo prices and how people write it, taken from the catalog.

This is the only demo module that reads the catalog: series (from ``assessments``), product
and region facts, spec variants with their differentials, delivery-term spreads, and the
written forms (aliases) of products, regions, units, tax/weight basis and data types. Every
written form is checked with the catalog's own resolvers, so honest rows always resolve.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steelsage.catalog import Catalog

STEEL_GROUPS = ("steel_long", "steel_flat", "steel_pipe_section", "stainless", "semis")
ORE_FE_STEPS = (-1.0, -0.5, 0.5, 1.0)  # Fe variants around an ore's base grade
LINEAR_STEPS = {"ash_pct": (-1.0, 1.0), "sulfur_pct": (-0.2, 0.2), "si_pct": (-3.0,)}


@dataclass(frozen=True)
class SeriesDef:
    code: str
    product: str
    region: str
    unit: str
    delivery: str
    benchmark: bool
    min_sources: int


@dataclass(frozen=True)
class ProductInfo:
    code: str
    commodity: str
    is_ore: bool
    is_steel: bool
    fe_pct: float | None
    moisture_pct: float
    weight_basis_factor: float | None


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name_zh: str
    macro: str
    is_market: bool

    @property
    def short_zh(self) -> str:
        """City name for a company name (青岛港 → 青岛)."""
        return self.name_zh.removesuffix("港") if self.code.endswith("_port") else self.name_zh


@dataclass(frozen=True)
class UnitInfo:
    code: str
    vat_bearing: bool
    texts: list[tuple[str, float]]


@dataclass(frozen=True)
class SpecVariant:
    """A written spec and what it is worth over the base (unit of the series)."""

    text: str | None
    add: float
    weight: float
    product: str | None = None  # another input product (ore brands reported CFR China)


@dataclass(frozen=True)
class TermVariant:
    code: str
    add: float
    texts: list[str | None]


class Universe:
    """The demo's view of the catalog (see module docstring)."""

    def __init__(self, catalog: Catalog, params: dict[str, Any], only: list[str] | None) -> None:
        self.catalog = catalog
        self.params = params
        known = catalog.assessments
        if only is not None:
            missing = [c for c in only if c not in known]
            if missing:
                raise ValueError(
                    f"unknown assessment series {missing}; pick codes from the catalog's "
                    f"assessments (e.g. {', '.join(list(known)[:3])})"
                )
        codes = list(known) if only is None else list(dict.fromkeys(only))
        self.series = [
            SeriesDef(
                code=c,
                product=known[c].product,
                region=known[c].region,
                unit=known[c].unit,
                delivery=known[c].delivery,
                benchmark=known[c].benchmark,
                min_sources=known[c].min_sources,
            )
            for c in codes
        ]
        self.series_by_code = {s.code: s for s in self.series}
        moisture = params["ore_moisture_default_pct"]
        self.products = {
            p.code: ProductInfo(
                code=p.code,
                commodity=p.commodity,
                is_ore=p.is_ore,
                is_steel=p.commodity in STEEL_GROUPS,
                fe_pct=p.fe_pct,
                moisture_pct=p.moisture_pct if p.moisture_pct is not None else moisture,
                weight_basis_factor=p.weight_basis_factor,
            )
            for p in catalog.products.values()
        }
        self.regions = {
            r.code: RegionInfo(
                code=r.code,
                name_zh=r.name_zh,
                macro=r.macro_region or "",
                is_market=r.kind in ("market", "national"),
            )
            for r in catalog.regions.values()
        }
        self.vat_rate = catalog.vat_rate
        ore62 = catalog.products.get("iron_ore_62")
        self.ore_base_fe = float(ore62.base_spec.get("fe_pct", 62.0)) if ore62 else 62.0
        linear = [r for r in (ore62.spec_differentials if ore62 else []) if r.is_linear]
        self.fe_point_usd = linear[0].per_unit if linear else params["ore_fe_point_usd"]
        self._brand_diff = {
            str(r.value): float(r.diff)
            for r in (ore62.spec_differentials if ore62 else [])
            if r.attribute == "brand" and not r.is_linear
        }
        texts = params["texts"]
        self.units = {
            code: UnitInfo(
                code=code,
                vat_bearing=catalog.units[code].vat == "incl",
                texts=self._checked(texts["unit"].get(code, []), catalog.resolve_unit, code),
            )
            for code in {s.unit for s in self.series}
        }
        self.tax_texts = {
            k: self._checked(v, catalog.resolve_tax_basis, k) for k, v in texts["tax_basis"].items()
        }
        self.weight_texts = {
            k: self._checked(v, catalog.resolve_weight_basis, k)
            for k, v in texts["weight_basis"].items()
        }
        self.data_type_texts = {
            k: self._checked(v, catalog.resolve_data_type, k) for k, v in texts["data_type"].items()
        }

    # ------------------------------------------------------------------ resolvers
    def resolve_product(self, text: str) -> str | None:
        return self.catalog.resolve_product(text)

    def _resolve_region(self, text: str, product: str) -> str | None:
        return self.catalog.resolve_region(text, product)

    @staticmethod
    def _checked(options: list, resolve: Callable[[str], str | None], code: str) -> list:
        """market.yaml forms as (text, weight); every one must resolve to ``code``."""
        pairs = [(o[0], float(o[1])) if isinstance(o, list) else (o, 1.0) for o in options]
        wrong = [t for t, _ in pairs if resolve(t) != code]
        if wrong or not pairs:
            raise ValueError(
                f"market.yaml texts for {code!r}: {wrong or 'none given'} do not resolve to "
                f"{code!r} with the catalog; fix the text or add it as an alias"
            )
        return pairs

    # ------------------------------------------------------------------ written forms
    def product_texts(self, product: str) -> list[tuple[str, float]]:
        """Name (55%) and the aliases that resolve back to the product. Aliases that name
        another spec (一级焦, HRB400螺纹, 72硅铁) are left out: the spec column says the spec."""
        p = self.catalog.products[product]
        forms = [(p.name_zh, 0.55)]
        aliases = [a for a in dict.fromkeys(p.aliases) if a != p.name_zh]
        good = [a for a in aliases if self.resolve_product(a) == product and self._neutral(p, a)]
        forms += [(a, 0.45 / len(good)) for a in good]
        return forms

    def _neutral(self, p, text: str) -> bool:
        attrs = self.catalog.parse_spec(p.code, text)
        return abs(self.catalog.spec_differential(p.code, attrs)[0]) < 1e-9

    def region_texts(self, s: SeriesDef, products: list[str]) -> list[tuple[str, float]]:
        """Chinese name (70%), English name (10%), aliases (20%): forms that resolve back to
        the region for every product reported on the series."""
        r = self.catalog.regions[s.region]

        def ok(text: str) -> bool:
            return all(self._resolve_region(text, p) == s.region for p in products)

        aliases = [a for a in r.aliases if a not in (r.name_zh, r.name_en) and ok(a)]
        forms = [(r.name_zh, 0.7), (r.name_en, 0.1)]
        forms += [(a, 0.2 / len(aliases)) for a in aliases]
        return [(t, w) for t, w in forms if ok(t)]

    def delivery_terms(self, s: SeriesDef) -> list[TermVariant]:
        """The series' own term first, then other terms of the group with their spread."""
        group = self.catalog.products[s.product].commodity
        levels = self.catalog.delivery_levels.get(group)
        own = self._term_texts(s.delivery, blank=True)
        out = [TermVariant(s.delivery, 0.0, own)]
        if levels is None or s.delivery not in levels.levels:
            return out
        for code, level in levels.levels.items():
            if code != s.delivery:
                add = level - levels.levels[s.delivery]
                out.append(TermVariant(code, add, self._term_texts(code, blank=False)))
        return out

    def _term_texts(self, code: str, blank: bool) -> list[str | None]:
        term = self.catalog.delivery_terms[code]
        forms = [term.name_zh, term.name_zh, *term.aliases[:3]]
        good: list[str | None] = [f for f in forms if self.catalog.resolve_delivery(f) == code]
        return [*good, None, None] if blank else good

    def brand_premium(self, product: str) -> float:
        """USD/dmt a brand is worth beyond its Fe grade (catalog first, then market.yaml)."""
        if product in self._brand_diff:
            return self._brand_diff[product]
        return float(self.params["ore_brands"].get(product, {}).get("premium_usd", 0.0))

    # ------------------------------------------------------------------ specs
    def spec_variants(self, s: SeriesDef) -> list[SpecVariant]:
        """Base written out (50%), blank (25%), other specs with their differential (25%);
        the CFR 62% series also gets brands inside the index band (40%)."""
        p = self.catalog.products[s.product]
        label = p.spec_label_zh
        base = self.catalog.assessments[s.code].base_spec
        others: list[tuple[str, float]] = []
        if base == p.base_spec:
            others = _spec_others(p, label)
        if not others:
            plain = [SpecVariant(label, 0.0, 0.7), SpecVariant(None, 0.0, 0.3)]
            return [v for v in plain if self._round_trips(s, v)]
        variants = [SpecVariant(label, 0.0, 0.5), SpecVariant(None, 0.0, 0.25)]
        brands = self._brand_variants(s) if s.region == "cfr_china" else []
        share_other = 0.25 if not brands else 0.10
        if brands:
            variants = [SpecVariant(label, 0.0, 0.35), SpecVariant(None, 0.0, 0.15)]
        variants += [SpecVariant(t, a, share_other / len(others)) for t, a in others]
        variants += [SpecVariant(t, a, 0.40 / len(brands), b) for t, a, b in brands]
        return [v for v in variants if self._round_trips(s, v)]

    def _round_trips(self, s: SeriesDef, v: SpecVariant) -> bool:
        """The catalog parses the written spec back to exactly this differential."""
        attrs = self.catalog.parse_spec(s.product, v.text)
        diff, _ = self.catalog.spec_differential(s.product, attrs, source_product=v.product)
        return abs(diff + v.add) < 1e-6

    def _brand_variants(self, s: SeriesDef) -> list[tuple[str, float, str]]:
        inputs = [c for c in self.catalog.assessments[s.code].inputs if c != s.product]
        out = []
        for code in inputs:
            fe = self.catalog.products[code].fe_pct
            if fe is None:
                continue
            add = self.fe_point_usd * (fe - self.ore_base_fe) + self.brand_premium(code)
            out.append((f"{fe:g}%", round(add, 4), code))
        return out


def _base_token(label: str, base: float) -> tuple[re.Pattern[str], str] | None:
    """How the base number is written in the label, as a standalone-number pattern."""
    for text in dict.fromkeys((f"{base}", f"{base:g}", f"{base:.1f}", f"{base:.2f}")):
        pattern = re.compile(rf"(?<![\d.]){re.escape(text)}(?![\d.])")
        if pattern.search(label):
            return pattern, text
    return None


def _fmt_like(value: float, base_text: str) -> str:
    text = f"{value:g}"
    if "." in base_text and "." not in text:
        text += ".0"
    return text


def _spec_others(p, label: str) -> list[tuple[str, float]]:
    """Single-attribute departures from the base that the label can express."""
    out: list[tuple[str, float]] = []
    for rule in p.spec_differentials:
        base = p.base_spec.get(rule.attribute)
        if base is None:
            continue
        if isinstance(base, str):
            variant = str(rule.value)
            text = label.replace(base, variant) if base in label else variant
            out.append((text, float(rule.diff)))
            continue
        found = _base_token(label, float(base))
        if found is None:
            continue
        pattern, base_text = found
        if rule.is_linear:
            steps = ORE_FE_STEPS if rule.attribute == "fe_pct" else LINEAR_STEPS.get(rule.attribute)
            for step in steps or ():
                value = round(float(base) + step, 2)
                text = pattern.sub(_fmt_like(value, base_text), label)
                out.append((text, round(rule.per_unit * step, 4)))
        else:
            text = pattern.sub(_fmt_like(float(rule.value), base_text), label)
            out.append((text, float(rule.diff)))
    base_grade = p.base_spec.get("grade")
    for word, canonical in p.spec_aliases.get("grade", {}).items():  # e.g. 三级 for HRB400E
        if isinstance(base_grade, str) and canonical == base_grade and base_grade in label:
            out.append((label.replace(base_grade, word), 0.0))
    return out
