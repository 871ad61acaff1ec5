"""Data operations for editors: sources, submissions, flags, corrections, runs, publication."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from steelsage.server.cache import published_cache
from steelsage.server.deps import EditorUser
from steelsage.server.errors import ApiError
from steelsage.store import models as m

router = APIRouter(prefix="/ops", tags=["operations"])

Reason = Annotated[str, Field(min_length=3, max_length=500)]


class FlagAction(BaseModel):
    action: Literal["accept", "reject"]
    why: Reason


class Correction(BaseModel):
    series: Annotated[str, Field(max_length=80)]
    date: date
    value: Annotated[float, Field(gt=0, lt=1e9)]
    why: Reason
    low: Annotated[float | None, Field(gt=0, lt=1e9)] = None
    high: Annotated[float | None, Field(gt=0, lt=1e9)] = None


def _engine(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.engine


def _changed(request: Request) -> None:
    """This worker serves the new values at once (others within the cache's check interval)."""
    published_cache(request.app).clear()


@router.get("/sources")
def sources(request: Request, user: EditorUser) -> dict[str, Any]:
    """样本库 / the sample library with coverage."""
    from steelsage.pipeline.views import list_sources

    return {"sources": list_sources(_engine(request))}


@router.get("/submissions")
def submissions(
    request: Request,
    user: EditorUser,
    day: Annotated[date | None, Query(alias="date")] = None,
    series: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """当日报价 / standardized submissions of a day (default: the latest day with any)."""
    std = m.StandardizedReport.__table__
    with _engine(request).connect() as conn:
        target = day or conn.execute(select(func.max(std.c.date))).scalar()
        if target is None:
            return {"date": None, "total": 0, "submissions": []}
        where = [std.c.date == target]
        if series:
            where.append(std.c.series_code == series)
        total = conn.execute(select(func.count()).select_from(std).where(*where)).scalar()
        rows = conn.execute(
            select(
                std.c.submission_id,
                std.c.source_code,
                std.c.series_code,
                std.c.date,
                std.c.data_type,
                std.c.raw_value,
                std.c.value,
                std.c.volume_t,
                std.c.excluded,
            )
            .where(*where)
            .order_by(std.c.series_code, std.c.submission_id)
            .limit(limit)
            .offset(offset)
        ).all()
    return {
        "date": target,
        "total": total,
        "submissions": [dict(r._mapping) for r in rows],
    }


@router.get("/flags")
def flags(
    request: Request,
    user: EditorUser,
    status: Literal["open", "accepted", "rejected", "all"] = "open",
    reason: Annotated[str | None, Query(max_length=40)] = None,
    series: Annotated[str | None, Query(max_length=80)] = None,
    day: Annotated[date | None, Query(alias="date")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """标记 / flagged reports with their reasons and scores."""
    from steelsage.pipeline.review import list_flags

    rows = list_flags(
        _engine(request), status=status, reason=reason, series=series, day=day, limit=limit
    )
    return {"flags": rows}


@router.post("/flags/{flag_id}")
def resolve(
    request: Request, flag_id: Annotated[int, Field(ge=1)], body: FlagAction, user: EditorUser
) -> dict[str, Any]:
    """采纳或剔除 / accept (use the report after all) or reject (exclude it), with a reason."""
    from steelsage.pipeline.review import FlagError, resolve_flag

    if flag_id > 2**62:
        raise ApiError(404, "unknown_flag", f"没有编号为 {flag_id} 的标记 / no flag {flag_id}")
    try:
        resolve_flag(_engine(request), flag_id, body.action, who=user.username, why=body.why)
    except FlagError as exc:
        raise ApiError(404, "unknown_flag", str(exc)) from None
    return {"id": flag_id, "status": "accepted" if body.action == "accept" else "rejected"}


@router.post("/corrections")
def correct(request: Request, body: Correction, user: EditorUser) -> dict[str, Any]:
    """更正 / correct a published value: a new version, logged with who and why."""
    from steelsage.pipeline.release import PublishError, correct_value

    try:
        result = correct_value(
            _engine(request),
            series_code=body.series,
            day=body.date,
            value=body.value,
            low=body.low,
            high=body.high,
            who=user.username,
            why=body.why,
        )
    except PublishError as exc:
        raise ApiError(409, "cannot_correct", str(exc)) from None
    _changed(request)
    return result


@router.post("/pipeline/run")
def pipeline_run(request: Request, user: EditorUser) -> dict[str, Any]:
    """运行评估流程 / run outlier handling and compilation (a no-op if nothing changed)."""
    from steelsage.pipeline.runner import run_pipeline

    return run_pipeline(_engine(request), who=user.username).to_dict()


@router.post("/publish")
def publish(request: Request, user: EditorUser) -> dict[str, Any]:
    """发布 / publish the latest run's changed values as new versions."""
    from steelsage.pipeline.release import PublishError, publish_run

    try:
        releases = publish_run(_engine(request), who=user.username)
    except PublishError as exc:
        raise ApiError(409, "cannot_publish", str(exc)) from None
    _changed(request)
    return {"releases": releases}


@router.get("/monitor")
def monitor(
    request: Request, user: EditorUser, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    """监控报告 / the monitoring report."""
    from steelsage.pipeline.monitor import build_monitor_report

    return build_monitor_report(_engine(request), days=days)
