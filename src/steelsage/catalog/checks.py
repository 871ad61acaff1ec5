"""Cross-file consistency checks: every reference resolves, aliases are unambiguous."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from steelsage.catalog.errors import CatalogError
from steelsage.catalog.text import normalize_text

if TYPE_CHECKING:
    from steelsage.catalog.catalog import Catalog


def _require(file: str, entry: str, what: str, code: str, known: Iterable[str], where: str) -> None:
    known = list(known)
    if code not in known:
        raise CatalogError(file, entry, f"{what} {code!r} is not defined in {where}")


def _unique_aliases(file: str, entries: dict[str, Iterable[str]]) -> None:
    """Each normalised alias may stand for one code only."""
    seen: dict[str, str] = {}
    for code, aliases in entries.items():
        for alias in aliases:
            key = normalize_text(alias)
            other = seen.setdefault(key, code)
            if other != code:
                raise CatalogError(
                    file, code, f"alias {alias!r} is also an alias of {other!r}; keep it on one"
                )


def _check_products(cat: Catalog) -> None:
    for code, p in cat.products.items():
        file = "products.yaml"
        _require(file, code, "commodity", p.commodity, cat.commodities, "commodities.yaml")
        _require(file, code, "unit", p.unit, cat.units, "units.yaml")
        if cat.units[p.unit].kind != "price":
            raise CatalogError(file, code, f"unit {p.unit!r} is not a price unit")
        _require(file, code, "delivery term", p.delivery, cat.delivery_terms, "delivery.yaml")
        known_values: dict[str, set[object]] = {}
        for attr, value in p.base_spec.items():
            known_values.setdefault(attr, set()).add(value)
        for rule in p.spec_differentials:
            if rule.attribute == "brand":
                _require(file, code, "brand", str(rule.value), cat.products, "products.yaml")
            if rule.value is not None:
                known_values.setdefault(rule.attribute, set()).add(rule.value)
        for attr, words in p.spec_aliases.items():
            for word, canonical in words.items():
                if canonical not in known_values.get(attr, set()):
                    raise CatalogError(
                        file,
                        code,
                        f"spec_aliases.{attr}: {word!r} maps to {canonical!r}, which is neither "
                        "the base value nor a spec_differentials value",
                    )
    _unique_aliases(
        "products.yaml",
        {c: [c, p.name_zh, p.name_en, *p.aliases] for c, p in cat.products.items()},
    )


def _check_vocabularies(cat: Catalog) -> None:
    _unique_aliases(
        "units.yaml", {c: [c, u.name_zh, u.name_en, *u.aliases] for c, u in cat.units.items()}
    )
    for terms in (cat.tax_bases, cat.weight_bases):
        _unique_aliases("units.yaml", {c: [c, *t.aliases] for c, t in terms.items()})
    _unique_aliases("delivery.yaml", {c: [c, *t.aliases] for c, t in cat.delivery_terms.items()})
    _unique_aliases("data_types.yaml", {c: [c, *t.aliases] for c, t in cat.data_types.items()})
    for commodity, levels in cat.delivery_levels.items():
        entry = f"levels.{commodity}"
        _require("delivery.yaml", entry, "commodity", commodity, cat.commodities, "commodities")
        for term in levels.levels:
            _require("delivery.yaml", entry, "term", term, cat.delivery_terms, "terms")


def _check_indicators(cat: Catalog) -> None:
    for code, ind in cat.indicators.items():
        file = "indicators.yaml"
        _require(file, code, "unit", ind.unit, cat.units, "units.yaml")
        for scope in ind.scopes:
            if (
                scope not in cat.products
                and scope not in cat.regions
                and (scope not in ind.scope_labels)
            ):
                raise CatalogError(
                    file, code, f"scope {scope!r} is not a product, a region or a scope_labels key"
                )
        for label in ind.scope_labels:
            if label not in ind.scopes:
                raise CatalogError(file, code, f"scope_labels key {label!r} is not in scopes")


def _check_assessments(cat: Catalog) -> None:
    file = "assessments.yaml"
    fed: dict[tuple[str, str], str] = {}
    benchmarks: dict[str, str] = {}
    for code, a in cat.assessments.items():
        _require(file, code, "region", a.region, cat.regions, "regions.yaml")
        _require(file, code, "unit", a.unit, cat.units, "units.yaml")
        _require(file, code, "delivery term", a.delivery, cat.delivery_terms, "delivery.yaml")
        if cat.units[a.unit].kind != "price":
            raise CatalogError(file, code, f"unit {a.unit!r} is not a price unit")
        if a.product not in a.inputs:
            raise CatalogError(file, code, f"inputs must include its own product {a.product!r}")
        for product in a.inputs:
            _require(file, code, "input product", product, cat.products, "products.yaml")
            other = fed.setdefault((product, a.region), code)
            if other != code:
                raise CatalogError(
                    file, code, f"{product} at {a.region} already feeds {other!r}; pick one series"
                )
        if a.benchmark:
            other = benchmarks.setdefault(a.product, code)
            if other != code:
                raise CatalogError(
                    file, code, f"{other!r} is already the benchmark for {a.product}; keep one"
                )
    for code, a in cat.assessments.items():
        if a.product not in benchmarks:
            raise CatalogError(file, code, f"no series of {a.product} is marked benchmark: true")


def check_catalog(cat: Catalog) -> None:
    """Raise :class:`CatalogError` naming the file and entry of the first inconsistency."""
    _check_products(cat)
    _check_vocabularies(cat)
    _check_indicators(cat)
    _check_assessments(cat)
