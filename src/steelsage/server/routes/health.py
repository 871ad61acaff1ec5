"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """进程存活 / the process is up."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "database not reachable or not migrated"}})
def ready(request: Request) -> JSONResponse:
    """数据库可用且已迁移 / the database answers and its schema is current."""
    from steelsage.store import current_revision

    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # any driver error means not ready
        return JSONResponse(
            {"status": "not_ready", "database": type(exc).__name__}, status_code=503
        )
    if revision is None:
        return JSONResponse({"status": "not_ready", "database": "not migrated"}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok", "schema": revision})
