"""Assistant tools: the typed functions every number of an answer comes from.

:func:`default_registry` holds the data tools; later features (encyclopedia, documents,
news, forecasts) register theirs on the same :class:`ToolRegistry`.
"""

from __future__ import annotations

from steelsage.assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput, ToolRegistry
from steelsage.assistant.tools.catalog_search import CatalogSearch, CatalogSearchInput
from steelsage.assistant.tools.series import (
    ChangeInput,
    CompareInput,
    LookupInput,
    RankInput,
    SeriesChange,
    SeriesCompare,
    SeriesLookup,
    SeriesRank,
    SeriesSpread,
    SeriesStats,
    SpreadInput,
    StatsInput,
)


def default_registry() -> ToolRegistry:
    """A fresh registry with the data tools (lookup, change, compare, rank, spread, stats,
    catalog search); callers may register more tools on it."""
    return ToolRegistry(
        [
            SeriesLookup(),
            SeriesChange(),
            SeriesCompare(),
            SeriesRank(),
            SeriesSpread(),
            SeriesStats(),
            CatalogSearch(),
        ]
    )


__all__ = [
    "CatalogSearch",
    "CatalogSearchInput",
    "ChangeInput",
    "CompareInput",
    "LookupInput",
    "RankInput",
    "SeriesChange",
    "SeriesCompare",
    "SeriesLookup",
    "SeriesRank",
    "SeriesSpread",
    "SeriesStats",
    "SpreadInput",
    "StatsInput",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolOutput",
    "ToolRegistry",
    "default_registry",
]
