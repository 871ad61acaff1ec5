"""Human names of series codes in Chinese and English."""

from __future__ import annotations

from typing import TYPE_CHECKING

from steelsage.catalog.errors import UnknownCodeError

if TYPE_CHECKING:
    from steelsage.catalog.catalog import Catalog


def _scope_name(cat: Catalog, indicator: str, scope: str, lang: str) -> str:
    label = cat.indicators[indicator].scope_labels.get(scope)
    if label is not None:
        return label.name_zh if lang == "zh" else label.name_en
    entry = cat.products.get(scope) or cat.regions.get(scope)
    if entry is None:  # the loader checks scopes, so only a hand-built catalog gets here
        return scope
    return entry.name_zh if lang == "zh" else entry.name_en


def series_name(cat: Catalog, series_code: str, lang: str = "zh") -> str:
    """Name of an assessment or indicator series; :class:`UnknownCodeError` when undefined."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    a = cat.assessments.get(series_code)
    if a is not None:
        p, r = cat.products[a.product], cat.regions[a.region]
        if lang == "zh":
            return f"{r.name_zh} {p.name_zh} {p.spec_label_zh}"
        return f"{p.name_en} {p.spec_label_en}, {r.name_en}"
    indicator, _, scope = series_code.partition(".")
    ind = cat.indicators.get(indicator)
    if ind is None or scope not in ind.scopes:
        raise UnknownCodeError("series", series_code)
    if scope == "national":
        return ind.name_zh if lang == "zh" else ind.name_en
    if lang == "zh":
        return f"{_scope_name(cat, indicator, scope, lang)} {ind.name_zh}"
    return f"{ind.name_en}, {_scope_name(cat, indicator, scope, lang)}"
