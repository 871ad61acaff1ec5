"""Typed records the store hands out: series metadata and publication receipts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict


class SeriesInfo(BaseModel):
    """What a user can know about a series without reading its values."""

    model_config = ConfigDict(frozen=True)

    code: str
    kind: str  # assessment|indicator|index|external
    name_zh: str
    name_en: str
    commodity: str | None = None
    product: str | None = None
    region: str | None = None
    unit: str
    frequency: str = "daily"
    method: str | None = None
    source: str | None = None
    licence: str | None = None
    first: date | None = None
    last: date | None = None


class PublicationInfo(BaseModel):
    """One published version of a release."""

    model_config = ConfigDict(frozen=True)

    id: int
    release: str
    version: int
    kind: str  # initial|correction|import
    published_at: datetime
    n_values: int
    # Values sent again unchanged and therefore not re-published; None when not recorded.
    n_unchanged: int | None = None


def utc_naive(moment: datetime) -> datetime:
    """Timestamps are stored as naive UTC; an aware datetime is converted first."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
