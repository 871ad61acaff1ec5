"""Catalog, series, observations and assessments — what the caller's packages allow."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from steelsage.config import market_today
from steelsage.server.cache import (
    SERIES_KEY,
    PublishedCache,
    observations_key,
    published_cache,
)
from steelsage.server.deps import CurrentUser, audit_read, principal_of
from steelsage.server.entitle import all_series, clip, visible, visible_info, window
from steelsage.server.errors import ApiError
from steelsage.store import SeriesInfo, get_observations

router = APIRouter(tags=["data"])

Format = Literal["json", "csv", "parquet", "xlsx"]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_COLUMNS = ["date", "value", "low", "high", "change", "n_sources", "fallback", "version"]


class SeriesList(BaseModel):
    series: list[SeriesInfo]


class Observation(BaseModel):
    date: date
    value: float | None
    low: float | None = None
    high: float | None = None
    change: float | None = None
    n_sources: int | None = None
    fallback: bool | None = None
    version: int | None = None


class Observations(BaseModel):
    code: str
    unit: str
    observations: list[Observation]


class AssessmentRow(Observation):
    """One assessment on the day: the published value with its series and method."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    commodity: str | None = None
    method: str | None = None


class Assessments(BaseModel):
    date: date | None
    assessments: list[AssessmentRow]


def _cache(request: Request) -> PublishedCache:
    return published_cache(request.app)


def _series(request: Request) -> dict[str, SeriesInfo]:
    return _cache(request).get(SERIES_KEY, lambda: all_series(request.app.state.engine))


def _info(request: Request, code: str) -> SeriesInfo:
    info = _series(request).get(code)
    if info is None:
        raise ApiError(
            404, "unknown_series", f"没有序列 {code} / no series {code!r}: see GET /api/v1/series"
        )
    return info


@router.get("/series", response_model=SeriesList)
def search_series(
    request: Request,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=100, description="名称或代码 / name or code")] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    commodity: Annotated[str | None, Query(max_length=40)] = None,
    product: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> SeriesList:
    """搜索目录 / search the catalog (only series your packages include)."""
    principal = principal_of(user)
    needle = (q or "").strip().casefold()
    hits = []
    today = market_today()
    for info in visible(principal, _series(request)):
        if kind and info.kind != kind:
            continue
        if commodity and info.commodity != commodity:
            continue
        if product and info.product != product:
            continue
        if region and info.region != region:
            continue
        text = f"{info.code}\n{info.name_zh}\n{info.name_en}".casefold()
        if needle and needle not in text:
            continue
        hits.append(visible_info(info, principal.window(info, today)))
        if len(hits) >= limit:
            break
    return SeriesList(series=hits)


@router.get("/series/{code}", response_model=SeriesInfo)
def get_one_series(request: Request, code: str, user: CurrentUser) -> SeriesInfo:
    """序列信息 / one series' metadata."""
    info = _info(request, code)
    return visible_info(info, window(principal_of(user), info))


def _encode(frame: pl.DataFrame, fmt: str, info: SeriesInfo) -> bytes:
    if fmt == "csv":
        return frame.write_csv().encode("utf-8")
    buffer = io.BytesIO()
    if fmt == "parquet":
        frame.write_parquet(buffer)
    else:
        frame.write_excel(buffer, worksheet=info.code[:31])
    return buffer.getvalue()


def _body(request: Request, info: SeriesInfo, lo, hi, as_of, fmt: str) -> bytes:  # type: ignore[no-untyped-def]
    """The encoded reply, cached until the next publication."""

    def make() -> bytes:
        frame = get_observations(
            request.app.state.engine, info.code, start=lo, end=hi, as_of=as_of
        ).select(_COLUMNS)
        if fmt == "json":
            head = json.dumps({"code": info.code, "unit": info.unit}, ensure_ascii=False)
            return head[:-1].encode() + b',"observations":' + frame.write_json().encode() + b"}"
        return _encode(frame, fmt, info)

    key = observations_key(info.code, lo, hi, fmt) if as_of is None else None
    return _cache(request).get(key or ("obs", info.code, lo, hi, as_of, fmt), make)


@router.get(
    "/series/{code}/observations",
    response_model=Observations,
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
async def observations(
    request: Request,
    code: str,
    user: CurrentUser,
    start: date | None = None,
    end: date | None = None,
    as_of: Annotated[
        datetime | None, Query(description="当时发布的值 / values as published at that moment")
    ] = None,
    format: Format = "json",
) -> Response:
    """观测值 / published values in a date range, as of a moment, as JSON, CSV, Parquet or
    Excel. Replies are cached until the next publication (an indexed read on a miss, so the
    handler runs on the event loop)."""
    info = _info(request, code)
    allowed = window(principal_of(user), info)
    if start is not None and end is not None and start > end:
        raise ApiError(400, "bad_range", "start 晚于 end / start is after end")
    lo, hi = clip(start, end, allowed)  # lo > hi (nothing allowed) reads nothing
    body = _body(request, info, lo, hi, as_of, format)
    audit_read(user, f"series:{code}", {"start": str(lo), "end": str(hi), "format": format})
    if format == "json":
        return Response(body, media_type="application/json")
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{info.code}.{format}"'},
    )


@router.get("/assessments", response_model=Assessments)
def assessments(
    request: Request,
    user: CurrentUser,
    day: Annotated[date | None, Query(alias="date")] = None,
    product: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Assessments:
    """评估价 / assessments on a date (default: the latest) with sources count and method."""
    from steelsage.store import get_observations_many

    principal = principal_of(user)
    series = [
        s
        for s in visible(principal, _series(request))
        if s.kind == "assessment"
        and (product is None or s.product == product)
        and (region is None or s.region == region)
    ][:limit]
    if not series:
        return Assessments(date=day, assessments=[])
    today = market_today()
    windows = {s.code: principal.window(s, today) for s in series}
    target = day or max((s.last for s in series if s.last), default=None)
    if target is None:
        return Assessments(date=None, assessments=[])
    frame = get_observations_many(
        request.app.state.engine, [s.code for s in series], start=target, end=target
    )
    rows = []
    by_code = {s.code: s for s in series}
    for r in frame.iter_rows(named=True):
        lo, hi = windows[r["series_code"]]
        if (lo and r["date"] < lo) or (hi and r["date"] > hi):
            continue
        info = by_code[r["series_code"]]
        rows.append(
            AssessmentRow(
                code=info.code,
                name_zh=info.name_zh,
                name_en=info.name_en,
                unit=info.unit,
                commodity=info.commodity,
                method=info.method,
                **{k: r[k] for k in _COLUMNS},
            )
        )
    audit_read(user, f"assessments:{target}", {"n": len(rows)})
    return Assessments(date=target, assessments=rows)
