"""What a principal may see of the published data: series and date windows.

The same :class:`~steelsage.assistant.Principal` rules the assistant's tools use, applied to
the REST endpoints, so every path reads through one definition of a package.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from steelsage.assistant import EntitlementError, Principal
from steelsage.config import market_today
from steelsage.server.errors import ApiError
from steelsage.store import SeriesInfo, list_series


def all_series(engine: Engine) -> dict[str, SeriesInfo]:
    return {s.code: s for s in list_series(engine, kind=None)}


def visible(principal: Principal, series: dict[str, SeriesInfo]) -> list[SeriesInfo]:
    return [s for s in series.values() if principal.can_see(s)]


def window(principal: Principal, info: SeriesInfo) -> tuple[date | None, date | None]:
    """(earliest, latest) dates ``principal`` may read of ``info``; 403 when not entitled."""
    try:
        return principal.window(info, market_today())
    except EntitlementError:
        raise ApiError(
            403,
            "not_entitled",
            f"您的订阅不包含 {info.code} / your subscription does not include {info.code}",
        ) from None


def clip(
    start: date | None, end: date | None, allowed: tuple[date | None, date | None]
) -> tuple[date | None, date | None]:
    """The requested range cut to the allowed window."""
    lo, hi = allowed
    if lo is not None:
        start = lo if start is None else max(start, lo)
    if hi is not None:
        end = hi if end is None else min(end, hi)
    return start, end


def visible_info(info: SeriesInfo, allowed: tuple[date | None, date | None]) -> SeriesInfo:
    """Series metadata with first/last clipped to what the caller may read."""
    lo, hi = allowed
    first, last = info.first, info.last
    if lo is not None and first is not None and first < lo:
        first = lo
    if hi is not None and last is not None and last > hi:
        last = hi
    if (first, last) == (info.first, info.last):
        return info
    return info.model_copy(update={"first": first, "last": last})
