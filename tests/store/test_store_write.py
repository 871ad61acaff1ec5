"""Series metadata upserts, overrides and the audit log."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select

from steelsage.store import audit, get_series, models, record_override, upsert_series

REBAR = {
    "code": "rebar.shanghai",
    "kind": "assessment",
    "name_zh": "螺纹钢 上海",
    "name_en": "Rebar Shanghai",
    "unit": "CNY_T_VAT",
}


def _count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_upsert_inserts_then_updates_given_fields(engine: Engine) -> None:
    with engine.begin() as conn:
        assert upsert_series(conn, [{**REBAR, "method": "v1", "meta": {"benchmark": True}}]) == 1
    with engine.begin() as conn:
        upsert_series(conn, [{**REBAR, "name_en": "Rebar (Shanghai)", "region": "shanghai"}])
    info = get_series(engine, "rebar.shanghai")
    assert info is not None
    assert (info.name_en, info.region, info.method) == ("Rebar (Shanghai)", "shanghai", "v1")
    assert _count(engine, models.Series.__table__) == 1
    with engine.connect() as conn:
        meta = conn.execute(select(models.Series.__table__.c.meta)).scalar_one()
    assert meta == {"benchmark": True}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**REBAR, "first": None}, "unknown series fields"),
        ({**REBAR, "last_date": None}, "unknown series fields"),
        ({k: v for k, v in REBAR.items() if k != "unit"}, "unit"),
        ({**REBAR, "kind": "price"}, "kind"),
    ],
)
def test_upsert_refuses_bad_rows(sqlite_engine: Engine, row: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message), sqlite_engine.begin() as conn:
        upsert_series(conn, [row])
    assert _count(sqlite_engine, models.Series.__table__) == 0


@pytest.mark.parametrize("why", ["", "   ", None])
def test_override_without_reason_is_refused(engine: Engine, why: str | None) -> None:
    with pytest.raises(ValueError, match="why"), engine.begin() as conn:
        record_override(conn, "flag", 17, "accept", "open", "accepted", "editor.li", why)  # type: ignore[arg-type]
    assert _count(engine, models.Override.__table__) == 0
    assert _count(engine, models.AuditLog.__table__) == 0


def test_override_is_recorded_and_audited(engine: Engine) -> None:
    with engine.begin() as conn:
        override_id = record_override(
            conn, "assessment", 42, "set_value", 3510.0, 3520.0, "editor.li", " 成交确认 "
        )
    overrides = models.Override.__table__
    log = models.AuditLog.__table__
    with engine.connect() as conn:
        row = conn.execute(select(overrides)).one()
        entry = conn.execute(select(log)).one()
    assert row.id == override_id
    assert (row.target, row.target_id, row.old_value, row.new_value) == (
        "assessment",
        "42",
        "3510.0",
        "3520.0",
    )
    assert (row.who, row.why) == ("editor.li", "成交确认")
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
        "editor.li",
        "override",
        "assessment",
        "42",
    )
    assert entry.detail["override_id"] == override_id
    assert entry.detail["why"] == "成交确认"


def test_audit_appends_rows_with_json_detail(engine: Engine) -> None:
    at = datetime(2026, 3, 2, 8, 30)
    with engine.begin() as conn:
        first = audit(
            conn, "system", "import", "batch", 7, {"rows": 120, "file": "报价.xlsx"}, at=at
        )
        second = audit(conn, "system", "run", "pipeline", detail={"when": at})
    assert second > first
    log = models.AuditLog.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(log).order_by(log.c.id)).all()
    assert [(r.action, r.entity, r.entity_id) for r in rows] == [
        ("import", "batch", "7"),
        ("run", "pipeline", None),
    ]
    assert rows[0].at == at
    assert rows[0].detail == {"rows": 120, "file": "报价.xlsx"}
    assert rows[1].detail == {"when": "2026-03-02 08:30:00"}


def test_audit_rolls_back_with_its_transaction(sqlite_engine: Engine) -> None:
    with pytest.raises(RuntimeError), sqlite_engine.begin() as conn:
        audit(conn, "system", "import", "batch", 1)
        raise RuntimeError("boom")
    assert _count(sqlite_engine, models.AuditLog.__table__) == 0
