"""The parsed meaning of one question: a :class:`Frame` of slots for the planner."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from steelsage.assistant.parse.lexicon import Spread
from steelsage.assistant.parse.timeexpr import Period

Intent = Literal[
    "lookup",
    "change",
    "compare",
    "compare_dates",
    "rank",
    "spread",
    "stats",
    "catalog",
    "clarify",
    "refuse",
    "unavailable",
]
Stat = Literal["average", "high", "low", "first", "last", "change", "pct_change", "median", "stdev"]


@dataclass
class Frame:
    """Slots of a question. ``series`` is filled by :func:`resolve_series` from the others."""

    intent: Intent
    lang: Literal["zh", "en"] = "zh"
    products: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    region_words: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    externals: list[str] = field(default_factory=list)
    commodity: str | None = None
    spread: Spread | None = None
    period: Period | None = None
    compare_period: Period | None = None
    stats: list[Stat] = field(default_factory=list)
    pct: bool = False
    spread_op: Literal["minus", "ratio"] = "minus"
    order: Literal["asc", "desc"] = "asc"
    n: int | None = None
    reason: str | None = None  # why refuse/clarify/unavailable (a code the composer words)
    unknown: list[str] = field(default_factory=list)  # terms we do not carry
    series: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)  # codes: "benchmark:rebar.shanghai"
    followup: bool = False

    @property
    def has_subject(self) -> bool:
        return bool(self.products or self.indicators or self.externals or self.spread)

    def copy(self, **changes: object) -> Frame:
        return replace(self, **changes)  # type: ignore[arg-type]
