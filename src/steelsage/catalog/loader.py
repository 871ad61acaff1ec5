"""Read and validate the catalog data files into a :class:`Catalog`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from steelsage.catalog.catalog import Catalog
from steelsage.catalog.checks import check_catalog
from steelsage.catalog.errors import CatalogError
from steelsage.catalog.models import (
    AssessmentDef,
    AssessmentEntry,
    Commodity,
    DataType,
    DeliveryLevels,
    DeliveryTerm,
    Indicator,
    Product,
    Region,
    Term,
    Unit,
)

DATA_DIR = Path(__file__).parent / "data"
"""The catalog shipped with steelsage."""

FILES = (
    "commodities.yaml",
    "products.yaml",
    "regions.yaml",
    "units.yaml",
    "delivery.yaml",
    "data_types.yaml",
    "indicators.yaml",
    "assessments.yaml",
)

M = TypeVar("M", bound=BaseModel)

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _mapping_no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_duplicates
)


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    if not path.is_file():
        raise CatalogError(name, None, f"file not found at {path}; restore it from the repository")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise CatalogError(name, None, f"invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogError(name, None, "top level must be a mapping with a 'version' field")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CatalogError(name, "version", "needs 'version: <positive integer>'")
    return doc


def _section(doc: dict[str, Any], file: str, key: str) -> dict[str, dict[str, Any]]:
    section = doc.get(key)
    if not isinstance(section, dict) or not section:
        raise CatalogError(file, key, f"needs a non-empty mapping '{key}: {{code: {{...}}}}'")
    for code, body in section.items():
        if not isinstance(code, str):
            raise CatalogError(file, str(code), "codes must be strings (quote them in YAML)")
        if not isinstance(body, dict):
            raise CatalogError(file, code, "entry must be a mapping of fields")
    return section


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
        parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


def _entries(
    model: type[M], doc: dict[str, Any], file: str, key: str, **extra: Any
) -> dict[str, M]:
    out: dict[str, M] = {}
    for code, body in _section(doc, file, key).items():
        if "code" in body:
            raise CatalogError(file, code, "the code is the mapping key; drop the 'code' field")
        try:
            out[code] = model.model_validate({"code": code, **extra, **body})
        except ValidationError as exc:
            raise CatalogError(file, code, _describe(exc)) from exc
    return out


def _assessments(
    entries: dict[str, AssessmentEntry], products: dict[str, Product]
) -> dict[str, AssessmentDef]:
    out: dict[str, AssessmentDef] = {}
    for code, entry in entries.items():
        product_code, sep, region_code = code.partition(".")
        if not sep or not product_code or not region_code:
            raise CatalogError("assessments.yaml", code, "series code must be 'product.region'")
        product = products.get(product_code)
        if product is None:
            raise CatalogError(
                "assessments.yaml", code, f"product {product_code!r} is not in products.yaml"
            )
        out[code] = AssessmentDef(
            code=code,
            product=product_code,
            region=region_code,
            unit=entry.unit or product.unit,
            delivery=entry.delivery or product.delivery,
            base_spec=dict(entry.base_spec if entry.base_spec is not None else product.base_spec),
            min_sources=entry.min_sources,
            benchmark=entry.benchmark,
            inputs=list(entry.inputs) if entry.inputs is not None else [product_code],
            weight_basis=product.weight_basis,
        )
    return out


def read_catalog(directory: Path) -> Catalog:
    """Load, validate and cross-check every data file under ``directory``."""
    docs = {name: _read(directory, name) for name in FILES}
    commodities = _entries(Commodity, docs["commodities.yaml"], "commodities.yaml", "commodities")
    products = _entries(Product, docs["products.yaml"], "products.yaml", "products")
    regions = _entries(Region, docs["regions.yaml"], "regions.yaml", "regions")
    units_doc = docs["units.yaml"]
    units = _entries(Unit, units_doc, "units.yaml", "units")
    tax_bases = _entries(Term, units_doc, "units.yaml", "tax_basis")
    weight_bases = _entries(Term, units_doc, "units.yaml", "weight_basis")
    vat_rate = units_doc.get("vat_rate")
    if not isinstance(vat_rate, float) or not 0 < vat_rate < 1:
        raise CatalogError("units.yaml", "vat_rate", "needs 'vat_rate: <fraction>', e.g. 0.13")
    delivery_doc = docs["delivery.yaml"]
    delivery_terms = _entries(DeliveryTerm, delivery_doc, "delivery.yaml", "terms")
    levels: dict[str, DeliveryLevels] = {}
    for commodity, body in _section(delivery_doc, "delivery.yaml", "levels").items():
        try:
            levels[commodity] = DeliveryLevels.model_validate({"commodity": commodity, **body})
        except ValidationError as exc:
            raise CatalogError("delivery.yaml", f"levels.{commodity}", _describe(exc)) from exc
    data_types = _entries(DataType, docs["data_types.yaml"], "data_types.yaml", "data_types")
    indicators = _entries(Indicator, docs["indicators.yaml"], "indicators.yaml", "indicators")
    entries = _entries(AssessmentEntry, docs["assessments.yaml"], "assessments.yaml", "assessments")
    catalog = Catalog(
        commodities=commodities,
        products=products,
        regions=regions,
        units=units,
        indicators=indicators,
        assessments=_assessments(entries, products),
        delivery_terms=delivery_terms,
        data_types=data_types,
        tax_bases=tax_bases,
        weight_bases=weight_bases,
        delivery_levels=levels,
        vat_rate=vat_rate,
        versions={name: docs[name]["version"] for name in FILES},
        source=directory,
    )
    check_catalog(catalog)
    return catalog


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return read_catalog(DATA_DIR)


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog: the shipped one (cached) or the data files in directory ``path``."""
    if path is None:
        return _default_catalog()
    return read_catalog(Path(path))
