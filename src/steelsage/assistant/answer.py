"""The one result shape of the assistant: :class:`Answer`, with its values and sources.

The CLI, the REST API and the web UI all return an ``Answer``; the OpenAI-compatible API
renders it as a chat completion with the sources in the message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

AnswerKind = Literal["data", "catalog", "clarify", "refuse", "unavailable", "error"]
ValueKind = Literal[
    "price",
    "value",
    "change",
    "pct_change",
    "average",
    "high",
    "low",
    "median",
    "stdev",
    "spread",
    "ratio",
    "count",
]


class Source(BaseModel):
    """Where a number comes from, at indicator level."""

    series_code: str
    name: str
    unit: str
    start: dt.date | None = None
    end: dt.date | None = None
    method: str | None = None
    version: int | None = None  # highest publication version among the values used
    published_at: dt.datetime | None = None
    source: str | None = None  # external publisher (World Bank), None for our own data
    licence: str | None = None


class Value(BaseModel):
    """One number a tool produced. ``decimals`` is the rounding the text may show."""

    label: str
    value: float
    unit: str | None = None
    kind: ValueKind = "value"
    series_code: str | None = None
    date: dt.date | None = None
    start: dt.date | None = None  # for changes, averages and other spans
    decimals: int = 0


class TraceStep(BaseModel):
    """One step of how the answer was made: a parse, a tool call, a check."""

    step: str  # parse|tool|compose|verify|llm|sql
    name: str
    detail: dict[str, Any] = Field(default_factory=dict)
    ms: float | None = None


class Answer(BaseModel):
    text: str
    language: Literal["zh", "en"] = "zh"
    kind: AnswerKind = "data"
    values: list[Value] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    chart: dict[str, Any] | None = None
    trace: list[TraceStep] = Field(default_factory=list)
    confidence: float = 1.0
    verified: bool = False  # every number and date in `text` traced to a tool value
    assumptions: list[str] = Field(default_factory=list)
