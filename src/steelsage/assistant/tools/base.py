"""The tool contract: typed input, :class:`ToolOutput`, entitlements enforced inside.

A tool is a class with a ``name``, a bilingual ``description``, a pydantic ``Input`` model
(its JSON schema is what a language model sees) and ``run(args, ctx) -> ToolOutput``. Tools
never format prose; the composer or the model does. Every read of series data goes through
:meth:`ToolContext.observations`, which applies the principal's entitlements, so no tool can
forget them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import polars as pl
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine

from steelsage.assistant.answer import Source, Value
from steelsage.assistant.principal import LOCAL_ADMIN, EntitlementError, Principal
from steelsage.catalog import Catalog
from steelsage.store import SeriesInfo, get_observations_many, list_series


class ToolError(Exception):
    """A tool could not run with these arguments; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail


class ToolOutput(BaseModel):
    values: list[Value] = Field(default_factory=list)
    unit: str | None = None
    sources: list[Source] = Field(default_factory=list)
    chart: dict[str, Any] | None = None
    # Facts the composer must say: {"code": "nearest_date", "requested": ..., "used": ...}
    notes: list[dict[str, Any]] = Field(default_factory=list)
    # Free-form structured payload (rows of a ranking, catalog hits…) for composer and LLM.
    data: dict[str, Any] = Field(default_factory=dict)


@dataclass
class ToolContext:
    """What a tool may use: the store, the catalog, the caller and the market's today."""

    engine: Engine
    catalog: Catalog
    principal: Principal = LOCAL_ADMIN
    today: date | None = None  # None: the latest published date
    _series: dict[str, SeriesInfo] | None = field(default=None, repr=False)
    _latest: date | None = field(default=None, repr=False)  # derived from _series, once

    # --------------------------------------------------------------- series metadata
    @property
    def series(self) -> dict[str, SeriesInfo]:
        """Every series in the store (metadata only), by code; read once per context."""
        if self._series is None:
            self._series = {s.code: s for s in list_series(self.engine, kind=None)}
        return self._series

    def visible(self) -> list[SeriesInfo]:
        """The series this principal may see."""
        return [s for s in self.series.values() if self.principal.can_see(s)]

    def info(self, code: str) -> SeriesInfo:
        """Metadata of ``code``; ToolError when unknown, EntitlementError when not granted."""
        info = self.series.get(code)
        if info is None:
            raise ToolError("unknown_series", f"no series {code!r}", series=code)
        if not self.principal.can_see(info):
            raise EntitlementError(code)
        return info

    def market_today(self) -> date:
        """``today``, or the latest assessment date of the (cached) series metadata."""
        if self.today is not None:
            return self.today
        if self._latest is None:
            last = [s.last for s in self.series.values() if s.kind == "assessment" and s.last]
            self._latest = max(last) if last else date.today()
        return self._latest

    # --------------------------------------------------------------- observations
    def observations(
        self, codes: Sequence[str], start: date | None = None, end: date | None = None
    ) -> pl.DataFrame:
        """Current published values of ``codes`` in [start, end], clipped to what the
        principal may see. Columns as :func:`steelsage.store.get_observations_many`."""
        today = self.market_today()
        windows: dict[str, tuple[date | None, date | None]] = {}
        for code in codes:
            windows[code] = self.principal.window(self.info(code), today)
        frame = get_observations_many(self.engine, list(codes), start=start, end=end)
        if self.principal.unrestricted or frame.is_empty():
            return frame
        keep = pl.lit(False)
        for code, (lo, hi) in windows.items():
            cond = pl.col("series_code") == code
            if lo is not None:
                cond = cond & (pl.col("date") >= lo)
            if hi is not None:
                cond = cond & (pl.col("date") <= hi)
            keep = keep | cond
        return frame.filter(keep)


class Tool:
    """Base class of assistant tools. Subclasses set the class attributes and ``run``."""

    name: ClassVar[str]
    description_zh: ClassVar[str]
    description_en: ClassVar[str]
    Input: ClassVar[type[BaseModel]]

    def run(self, args: Any, ctx: ToolContext) -> ToolOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The OpenAI tool-calling definition of this tool."""
        return {
            "type": "function",
            "function": {
                "name": cls.name,
                "description": f"{cls.description_en} / {cls.description_zh}",
                "parameters": cls.Input.model_json_schema(),
            },
        }


class ToolRegistry:
    """Tools by name. Later features (encyclopedia, documents, news, forecasts) register
    their tools here without touching the parser."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise ToolError(
                "unknown_tool", f"no tool {name!r}; known: {', '.join(self._tools)}"
            ) from None

    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI-style tool definitions for every registered tool."""
        return [tool.json_schema() for tool in self._tools.values()]

    def call(
        self, name: str, arguments: dict[str, Any] | BaseModel, ctx: ToolContext
    ) -> ToolOutput:
        """Validate ``arguments`` against the tool's input model and run it."""
        tool = self.get(name)
        try:
            args = (
                arguments
                if isinstance(arguments, tool.Input)
                else tool.Input.model_validate(arguments)
            )
        except ValidationError as exc:
            raise ToolError("bad_arguments", f"{name}: {exc.errors(include_url=False)}") from exc
        return tool.run(args, ctx)
