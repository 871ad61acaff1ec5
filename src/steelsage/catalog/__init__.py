"""Commodity catalog: products, specs, regions, units, vocabularies and assessment series.

The data lives in versioned YAML files under ``catalog/data``; :func:`load_catalog` reads and
validates them into a :class:`Catalog` with fast resolvers from free text to codes.
"""

from steelsage.catalog.calendar import (
    is_trading_day,
    next_trading_day,
    trading_days,
    trading_days_between,
)
from steelsage.catalog.catalog import ALIAS_KINDS, Catalog
from steelsage.catalog.errors import CatalogError, UnknownCodeError
from steelsage.catalog.loader import DATA_DIR, load_catalog
from steelsage.catalog.models import (
    AssessmentDef,
    Commodity,
    DataType,
    DeliveryLevels,
    DeliveryTerm,
    Indicator,
    Product,
    Region,
    SpecRule,
    SpecValue,
    Term,
    Unit,
)
from steelsage.catalog.text import normalize_text

__all__ = [
    "ALIAS_KINDS",
    "DATA_DIR",
    "AssessmentDef",
    "Catalog",
    "CatalogError",
    "Commodity",
    "DataType",
    "DeliveryLevels",
    "DeliveryTerm",
    "Indicator",
    "Product",
    "Region",
    "SpecRule",
    "SpecValue",
    "Term",
    "Unit",
    "UnknownCodeError",
    "is_trading_day",
    "load_catalog",
    "next_trading_day",
    "normalize_text",
    "trading_days",
    "trading_days_between",
]
