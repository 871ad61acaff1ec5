"""The :class:`Catalog`: typed catalog data plus fast resolvers from free text to codes."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from steelsage.catalog.errors import UnknownCodeError
from steelsage.catalog.models import (
    AssessmentDef,
    Commodity,
    DataType,
    DeliveryLevels,
    DeliveryTerm,
    Indicator,
    Product,
    Region,
    SpecValue,
    Term,
    Unit,
)
from steelsage.catalog.naming import series_name
from steelsage.catalog.specs import SpecModel, fmt_number, fmt_signed
from steelsage.catalog.text import AliasIndex, normalize_text

AliasKind = Literal[
    "product", "region", "unit", "tax_basis", "weight_basis", "delivery", "data_type", "commodity"
]
ALIAS_KINDS: tuple[str, ...] = (
    "product",
    "region",
    "unit",
    "tax_basis",
    "weight_basis",
    "delivery",
    "data_type",
    "commodity",
)
# Which kind of region a bare shared name (青岛: city or port) means, by product family.
_KIND_ORDER_ORE = ("port", "market", "city", "national")
_KIND_ORDER_DEFAULT = ("city", "market", "port", "national")
_CACHE_SIZE = 65536
_Named = Term | Product | Region | Unit | Commodity


def _pairs(entries: Mapping[str, _Named]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for code, e in entries.items():
        out.append((code, code))
        for name in ("name_zh", "name_en"):
            if hasattr(e, name):
                out.append((getattr(e, name), code))
        out += [(a, code) for a in getattr(e, "aliases", [])]
    return out


class Catalog:
    """Products, regions, units, vocabularies, indicators and assessment series.

    The dicts are read-only by convention: a catalog is shared (``load_catalog()`` caches
    it). Resolvers are cached per instance.
    """

    def __init__(
        self,
        *,
        commodities: dict[str, Commodity],
        products: dict[str, Product],
        regions: dict[str, Region],
        units: dict[str, Unit],
        indicators: dict[str, Indicator],
        assessments: dict[str, AssessmentDef],
        delivery_terms: dict[str, DeliveryTerm],
        data_types: dict[str, DataType],
        tax_bases: dict[str, Term],
        weight_bases: dict[str, Term],
        delivery_levels: dict[str, DeliveryLevels],
        vat_rate: float,
        versions: dict[str, int],
        source: Path | None = None,
    ) -> None:
        self.commodities = commodities
        self.products = products
        self.regions = regions
        self.units = units
        self.indicators = indicators
        self.assessments = assessments
        self.delivery_terms = delivery_terms
        self.data_types = data_types
        self.tax_bases = tax_bases
        self.weight_bases = weight_bases
        self.delivery_levels = delivery_levels
        self.vat_rate = vat_rate
        self.versions = versions
        self.source = source

        self._index: dict[str, AliasIndex] = {
            "product": AliasIndex(_pairs(products)),
            "region": AliasIndex(_pairs(regions)),
            "unit": AliasIndex(_pairs(units)),
            "tax_basis": AliasIndex(_pairs(tax_bases)),
            "weight_basis": AliasIndex(_pairs(weight_bases)),
            "delivery": AliasIndex(_pairs(delivery_terms)),
            "data_type": AliasIndex(_pairs(data_types)),
            "commodity": AliasIndex(_pairs(commodities)),
        }
        self._fed_by: dict[tuple[str, str], str] = {}
        for code, a in assessments.items():
            for product in a.inputs:
                self._fed_by.setdefault((product, a.region), code)
        self._spec_models: dict[str, SpecModel] = {}
        self._tables: dict[tuple[str, str | None], dict[str, str]] = {}
        self._first = lru_cache(maxsize=_CACHE_SIZE)(self._first_uncached)
        self._region = lru_cache(maxsize=_CACHE_SIZE)(self._region_uncached)
        self._spec_diff = lru_cache(maxsize=_CACHE_SIZE)(self._spec_diff_uncached)
        self._parse = lru_cache(maxsize=_CACHE_SIZE)(self._parse_uncached)

    def __repr__(self) -> str:
        return (
            f"Catalog({len(self.products)} products, {len(self.regions)} regions, "
            f"{len(self.assessments)} assessments, source={self.source})"
        )

    # ------------------------------------------------------------------ lookups
    def product(self, code: str) -> Product:
        """The product ``code``; :class:`UnknownCodeError` naming the known ones otherwise."""
        try:
            return self.products[code]
        except KeyError:
            raise UnknownCodeError("product", code, list(self.products)) from None

    def region(self, code: str) -> Region:
        try:
            return self.regions[code]
        except KeyError:
            raise UnknownCodeError("region", code, list(self.regions)) from None

    def assessment(self, series_code: str) -> AssessmentDef:
        try:
            return self.assessments[series_code]
        except KeyError:
            raise UnknownCodeError("assessment series", series_code) from None

    def assessment_for(self, product_code: str, region_code: str) -> AssessmentDef | None:
        """The series a report of ``product_code`` at ``region_code`` feeds (via ``inputs``)."""
        code = self._fed_by.get((product_code, region_code))
        return self.assessments[code] if code is not None else None

    def benchmark_for(self, product_code: str) -> AssessmentDef | None:
        """The product's benchmark series."""
        for a in self.assessments.values():
            if a.product == product_code and a.benchmark:
                return a
        return None

    def indicator_series_codes(self) -> list[str]:
        """Every indicator series code ("inventory_social.rebar", …)."""
        return [code for ind in self.indicators.values() for code in ind.series_codes()]

    # ------------------------------------------------------------------ resolvers
    def _first_uncached(self, kind: str, text: str) -> str | None:
        codes = self._index[kind].lookup(text)
        return codes[0] if codes else None

    def resolve_product(self, text: str | None) -> str | None:
        """Free text → product code ('HRB400E螺纹钢 Φ20' → 'rebar'); None when unknown."""
        return self._first("product", text) if text else None

    def resolve_unit(self, text: str | None) -> str | None:
        """'元/吨' → 'CNY_T_VAT', '美元/干吨' → 'USD_DMT_CFR'."""
        return self._first("unit", text) if text else None

    def resolve_tax_basis(self, text: str | None) -> Literal["incl", "excl"] | None:
        """'含税' → 'incl', '不含税' / 'ex-VAT' → 'excl'."""
        return self._first("tax_basis", text) if text else None  # type: ignore[return-value]

    def resolve_weight_basis(self, text: str | None) -> Literal["actual", "theoretical"] | None:
        """'过磅' → 'actual', '理计' → 'theoretical'."""
        return self._first("weight_basis", text) if text else None  # type: ignore[return-value]

    def resolve_delivery(self, text: str | None) -> str | None:
        """'到厂' → 'delivered', '仓库自提' → 'ex_warehouse', 'FOT' → 'port_stock'."""
        return self._first("delivery", text) if text else None

    def resolve_data_type(
        self, text: str | None
    ) -> Literal["deal", "bid", "offer", "indication"] | None:
        """'成交' → 'deal', '询盘' → 'bid', '报价' → 'offer', '参考' → 'indication'."""
        return self._first("data_type", text) if text else None  # type: ignore[return-value]

    def resolve_commodity(self, text: str | None) -> str | None:
        return self._first("commodity", text) if text else None

    def _region_uncached(self, text: str, product_code: str | None) -> str | None:
        codes = self._index["region"].lookup(text)
        if len(codes) <= 1:
            return codes[0] if codes else None
        return self._prefer_region(codes, product_code)

    def _prefer_region(self, codes: tuple[str, ...], product_code: str | None) -> str:
        order = _KIND_ORDER_DEFAULT
        if product_code is not None and self.product(product_code).commodity == "iron_ore":
            order = _KIND_ORDER_ORE

        def rank(code: str) -> tuple[int, int]:
            has_series = product_code is not None and (product_code, code) in self._fed_by
            return (0 if has_series else 1, order.index(self.regions[code].kind))

        return min(codes, key=rank)  # min is stable: file order breaks ties

    def resolve_region(self, text: str | None, product_code: str | None = None) -> str | None:
        """Free text → region code. A name shared by a city and a port ('青岛') resolves to the
        port for ore products and to the city otherwise; a region with a series for the product
        wins first."""
        if not text:
            return None
        if product_code is not None and product_code not in self.products:
            raise UnknownCodeError("product", product_code, list(self.products))
        return self._region(text, product_code)

    def alias_table(self, kind: AliasKind, product_code: str | None = None) -> dict[str, str]:
        """Alias → code for a whole-column dict lookup.

        Keys are every alias as written in the data files and its normalised form
        (:func:`normalize_text`). Use it for the bulk of a column and call the resolver only for
        the unique values it misses. ``product_code`` settles shared region names.
        """
        if kind not in self._index:
            raise ValueError(f"unknown alias kind {kind!r}; use one of {', '.join(ALIAS_KINDS)}")
        key = (kind, product_code if kind == "region" else None)
        table = self._tables.get(key)
        if table is None:
            index = self._index[kind]
            table = {}
            for alias, codes in index.items():
                table[alias] = (
                    self._prefer_region(codes, key[1])
                    if kind == "region" and len(codes) > 1
                    else codes[0]
                )
            for raw, _code in index.raw_items():
                table.setdefault(raw, table[normalize_text(raw)])
            self._tables[key] = table
        return dict(table)

    # ------------------------------------------------------------------ specs
    def _spec_model(self, product_code: str) -> SpecModel:
        model = self._spec_models.get(product_code)
        if model is None:
            model = self._spec_models[product_code] = SpecModel(self.product(product_code))
        return model

    def parse_spec(self, product_code: str, text: str | None) -> dict[str, SpecValue]:
        """Spec text → attributes: 'HRB400E Φ18mm' → {'grade': 'HRB400E', 'diameter_mm': 18.0}.

        Numbers are floats; nothing recognised (or no text) gives {}.
        """
        if product_code not in self.products:
            raise UnknownCodeError("product", product_code, list(self.products))
        if not text:
            return {}
        return dict(self._parse(product_code, text))

    def _parse_uncached(self, product_code: str, text: str) -> tuple[tuple[str, SpecValue], ...]:
        return tuple(self._spec_model(product_code).parse(text).items())

    def spec_differential(
        self,
        product_code: str,
        attrs: Mapping[str, object],
        *,
        source_product: str | None = None,
        base_spec: Mapping[str, SpecValue] | None = None,
    ) -> tuple[float, str]:
        """Amount (in the product's unit) to ADD to a report at ``attrs`` to express it at the
        base spec, and a note such as 'Φ18→Φ20 −30'. (0.0, '') when nothing applies.

        ``source_product``: the reported product when it feeds another product's series (a PB
        fines cargo feeding ``iron_ore_62``): its typical spec fills missing attributes and its
        brand adjustment applies. ``base_spec``: an assessment's own base spec, if it differs.
        """
        merged: dict[str, object] = dict(attrs)
        if source_product is not None and source_product != product_code:
            target = self._spec_model(product_code)
            for attr, value in self.product(source_product).base_spec.items():
                if attr in target.rules:
                    merged.setdefault(attr, value)
            if "brand" in target.rules:
                merged.setdefault("brand", source_product)
        try:
            key = (
                product_code,
                tuple(sorted(merged.items())),
                tuple(sorted(base_spec.items())) if base_spec is not None else None,
            )
            hash(key)
        except TypeError:
            return self._spec_model(product_code).differential(merged, base_spec)
        return self._spec_diff(key)

    def _spec_diff_uncached(self, key: tuple) -> tuple[float, str]:  # type: ignore[type-arg]
        product_code, items, base = key
        return self._spec_model(product_code).differential(
            dict(items), dict(base) if base is not None else None
        )

    # ------------------------------------------------------------------ basis conversions
    def vat_multiplier(self, from_basis: str, to_basis: str = "incl") -> tuple[float, str]:
        """Multiplier between tax bases: excl→incl ×1.13, incl→excl ×(1/1.13)."""
        for basis in (from_basis, to_basis):
            if basis not in self.tax_bases:
                raise UnknownCodeError("tax basis", basis, list(self.tax_bases))
        if from_basis == to_basis:
            return 1.0, ""
        factor = 1 + self.vat_rate
        if from_basis == "excl":
            return factor, f"excl→incl VAT ×{fmt_number(factor)}"
        return 1 / factor, f"incl→excl VAT ÷{fmt_number(factor)}"

    def weight_basis_multiplier(
        self, product_code: str, from_basis: str | None, to_basis: str | None = None
    ) -> tuple[float, str]:
        """Multiplier from a 理计/过磅 basis to ``to_basis`` (default: the product's base).

        Uses the product's ``weight_basis_factor`` (weighed t per theoretical t): a theoretical
        price divided by the factor is the weighed price. (1.0, '') where it does not apply.
        """
        product = self.product(product_code)
        to_basis = to_basis or product.weight_basis
        factor = product.weight_basis_factor
        if factor is None or from_basis is None or to_basis is None or from_basis == to_basis:
            return 1.0, ""
        for basis in (from_basis, to_basis):
            if basis not in self.weight_bases:
                raise UnknownCodeError("weight basis", basis, list(self.weight_bases))
        if from_basis == "theoretical":
            return 1 / factor, f"理计→过磅 ÷{fmt_number(factor)}"
        return factor, f"过磅→理计 ×{fmt_number(factor)}"

    def delivery_differential(
        self, product_code: str, from_term: str, to_term: str | None = None
    ) -> tuple[float, str] | None:
        """Amount to add to a price at ``from_term`` to express it at ``to_term`` (default: the
        product's term), e.g. steel delivered → ex_warehouse (−30, 'delivered→ex_warehouse −30').
        None when the commodity has no spread between the two terms (not convertible)."""
        product = self.product(product_code)
        to_term = to_term or product.delivery
        for term in (from_term, to_term):
            if term not in self.delivery_terms:
                raise UnknownCodeError("delivery term", term, list(self.delivery_terms))
        if from_term == to_term:
            return 0.0, ""
        levels = self.delivery_levels.get(product.commodity)
        if levels is None or from_term not in levels.levels or to_term not in levels.levels:
            return None
        diff = levels.levels[to_term] - levels.levels[from_term]
        return diff, f"{from_term}→{to_term} {fmt_signed(diff)}"

    # ------------------------------------------------------------------ names
    def series_name(self, series_code: str, lang: str = "zh") -> str:
        """'rebar.shanghai' → '上海 螺纹钢 HRB400E Φ20mm' / 'Rebar HRB400E 20mm, Shanghai'."""
        return series_name(self, series_code, lang)
