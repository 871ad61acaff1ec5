"""Editors' review of flags: list them, accept or reject a flagged report with a reason."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select, update

from steelsage.store import models as m
from steelsage.store import record_override

ACTIONS = {"accept": "accepted", "reject": "rejected"}


class FlagError(ValueError):
    """A flag that does not exist or an action that is not allowed."""


def list_flags(
    engine: Engine,
    *,
    status: str = "open",
    reason: str | None = None,
    series: str | None = None,
    day: date | None = None,
    limit: int = 50,
) -> list[dict]:
    f = m.Flag.__table__
    std = m.StandardizedReport.__table__
    stmt = (
        select(
            f.c.id,
            f.c.submission_id,
            f.c.stage,
            f.c.series_code,
            f.c.date,
            f.c.reason,
            f.c.message,
            f.c.score,
            f.c.status,
            std.c.source_code,
            std.c.value,
        )
        .select_from(f.outerjoin(std, std.c.submission_id == f.c.submission_id))
        .order_by(f.c.date.desc(), f.c.id.desc())
        .limit(max(1, min(limit, 10_000)))
    )
    if status != "all":
        stmt = stmt.where(f.c.status == status)
    if reason:
        stmt = stmt.where(f.c.reason == reason)
    if series:
        stmt = stmt.where(f.c.series_code == series)
    if day:
        stmt = stmt.where(f.c.date == day)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def resolve_flag(engine: Engine, flag_id: int, action: str, *, who: str, why: str) -> None:
    """Accept (use the report after all) or reject (exclude it) a flagged report."""
    if action not in ACTIONS:
        raise FlagError(
            f"操作只能是 accept 或 reject，收到 '{action}' / action must be accept|reject"
        )
    f = m.Flag.__table__
    with engine.begin() as conn:
        row = conn.execute(select(f.c.status, f.c.submission_id).where(f.c.id == flag_id)).first()
        if row is None:
            raise FlagError(f"没有编号为 {flag_id} 的标记 / no flag with id {flag_id}")
        record_override(
            conn,
            target="flag",
            target_id=str(flag_id),
            action=action,
            old_value=row.status,
            new_value=ACTIONS[action],
            who=who,
            why=why,
        )
        conn.execute(update(f).where(f.c.id == flag_id).values(status=ACTIONS[action]))
