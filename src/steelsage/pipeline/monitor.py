"""Statistical monitoring of the pipeline, read from the store (SQLAlchemy Core).

``build_monitor_report`` returns a JSON-serialisable dict:

* ``last_run`` — the latest pipeline run and its per-stage counts (``stage_stats``);
* ``coverage_gaps`` — active sources whose last report on a covered series is older than
  ``GAP_TRADING_DAYS`` trading days (or who never reported), and assessment series without
  a report in that time;
* ``flag_rates`` — flags per report by reason and by series, the last 7 days against the
  ``days`` before them; ``drift`` = recent rate / previous rate;
* ``fallback_share`` — share of published values (current versions, last ``days`` days)
  that are fallbacks, by series;
* ``rejects_by_reason`` — rejected rows in the last ``days`` days (and the last 7).

``render_monitor`` prints it as Rich tables (Chinese headings, English in brackets).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, Integer, and_, cast, func, select

from steelsage.catalog import trading_days_between
from steelsage.config import market_today
from steelsage.store import models as m

GAP_TRADING_DAYS = 5
RECENT_DAYS = 7
TOP = 15


@lru_cache(maxsize=4096)
def build_monitor_report(
    engine: Engine, *, days: int = 30, today: date | None = None
) -> dict[str, Any]:
    """The monitoring report as plain JSON-ready data (see the module docstring)."""
    if days < 1:
        raise ValueError(f"days 必须为正数 / days must be positive, got {days}")
    today = today or market_today()
    recent_start = today - timedelta(days=RECENT_DAYS - 1)
    prev_start = recent_start - timedelta(days=days)
    with engine.connect() as conn:
        report = {
            "today": today.isoformat(),
            "days": days,
            "last_run": _last_run(conn),
            "coverage_gaps": _coverage_gaps(conn, today),
            "flag_rates": _flag_rates(conn, today, recent_start, prev_start),
            "fallback_share": _fallback_share(conn, today - timedelta(days=days - 1), today),
            "rejects_by_reason": _rejects(conn, today, recent_start, days),
        }
    return report


def _iso(x: date | datetime | None) -> str | None:
    return None if x is None else x.isoformat()


def _last_run(conn) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    runs, stats = m.PipelineRun.__table__, m.StageStat.__table__
    run = conn.execute(select(runs).order_by(runs.c.id.desc()).limit(1)).first()
    if run is None:
        return None
    rows = conn.execute(select(stats).where(stats.c.run_id == run.id).order_by(stats.c.seq)).all()
    return {
        "id": run.id,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error": run.error,
        "stages": [
            {
                "stage": r.stage,
                "seq": r.seq,
                "n_in": r.n_in,
                "n_kept": r.n_kept,
                "n_rejected": r.n_rejected,
                "n_flagged": r.n_flagged,
                "seconds": r.seconds,
                "counters": r.counters or {},
            }
            for r in rows
        ],
    }


def _coverage_gaps(conn, today: date) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    src, cov = m.Source.__table__, m.SourceCoverage.__table__
    std, series = m.StandardizedReport.__table__, m.Series.__table__
    history = conn.execute(
        select(
            std.c.source_code,
            std.c.series_code,
            func.min(std.c.date),
            func.max(std.c.date),
            func.count(),
        ).group_by(std.c.source_code, std.c.series_code)
    ).all()
    last_by_pair = {(s, c): last for s, c, _first, last, _n in history}
    # A source "stopped reporting" when its silence is long for it: over GAP trading days
    # and over 3× its own usual interval between reports on that series.
    allowed = {
        (s, c): max(GAP_TRADING_DAYS, 3 * trading_days_between(first, last) / max(n - 1, 1))
        for s, c, first, last, n in history
    }
    pairs = conn.execute(
        select(cov.c.source_code, cov.c.series_code)
        .join(src, src.c.code == cov.c.source_code)
        .where(src.c.active.is_(True))
        .order_by(cov.c.source_code, cov.c.series_code)
    ).all()
    stale = []
    for source_code, series_code in pairs:
        last = last_by_pair.get((source_code, series_code))
        gap = None if last is None else trading_days_between(last, today)
        limit = allowed.get((source_code, series_code), GAP_TRADING_DAYS)
        if gap is None or gap > limit:
            stale.append(
                {
                    "source_code": source_code,
                    "series_code": series_code,
                    "last_report": _iso(last),
                    "trading_days_since": gap,
                }
            )
    last_by_series: dict[str, date] = {}
    for (_, code), d in last_by_pair.items():
        if code not in last_by_series or d > last_by_series[code]:
            last_by_series[code] = d
    wanted = set(conn.execute(select(series.c.code).where(series.c.kind == "assessment")).scalars())
    wanted |= {c for _, c in pairs}
    silent = []
    for code in sorted(wanted):
        last = last_by_series.get(code)
        gap = None if last is None else trading_days_between(last, today)
        if gap is None or gap > GAP_TRADING_DAYS:
            silent.append(
                {"series_code": code, "last_report": _iso(last), "trading_days_since": gap}
            )
    return {
        "max_trading_days": GAP_TRADING_DAYS,
        "stale_sources": stale,
        "series_without_reports": silent,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 4)


def _rate(n: int, total: int) -> float | None:
    return None if total == 0 else round(n / total, 6)


def _flag_rates(conn, today: date, recent_start: date, prev_start: date) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    flags, std = m.Flag.__table__, m.StandardizedReport.__table__
    recent = and_(flags.c.date >= recent_start, flags.c.date <= today)
    previous = and_(flags.c.date >= prev_start, flags.c.date < recent_start)

    def counts(cols, cond) -> dict:  # type: ignore[no-untyped-def]
        stmt = select(*cols, func.count()).where(cond).group_by(*cols)
        return {tuple(r[:-1]): r[-1] for r in conn.execute(stmt)}

    def reports(cond_recent: bool, by_series: bool) -> dict:  # type: ignore[no-untyped-def]
        lo, hi = (recent_start, today) if cond_recent else (prev_start, recent_start - timedelta(1))
        cols = [std.c.series_code] if by_series else []
        stmt = select(*cols, func.count()).where(std.c.date >= lo, std.c.date <= hi)
        if by_series:
            stmt = stmt.group_by(std.c.series_code)
        return {tuple(r[:-1]): r[-1] for r in conn.execute(stmt)}

    n_recent = reports(True, False).get((), 0)
    n_prev = reports(False, False).get((), 0)
    by_reason = []
    r_recent = counts([flags.c.reason], recent)
    r_prev = counts([flags.c.reason], previous)
    for (reason,) in sorted(set(r_recent) | set(r_prev)):
        a, b = r_recent.get((reason,), 0), r_prev.get((reason,), 0)
        ra, rb = _rate(a, n_recent), _rate(b, n_prev)
        by_reason.append(
            {
                "reason": reason,
                "recent": a,
                "previous": b,
                "recent_rate": ra,
                "previous_rate": rb,
                "drift": _ratio(ra, rb),
            }
        )
    s_recent = counts([flags.c.series_code], recent)
    s_prev = counts([flags.c.series_code], previous)
    rep_recent, rep_prev = reports(True, True), reports(False, True)
    by_series = []
    for (code,) in set(s_recent) | set(s_prev):
        a, b = s_recent.get((code,), 0), s_prev.get((code,), 0)
        ra = _rate(a, rep_recent.get((code,), 0))
        rb = _rate(b, rep_prev.get((code,), 0))
        by_series.append(
            {
                "series_code": code,
                "recent": a,
                "previous": b,
                "recent_rate": ra,
                "previous_rate": rb,
                "drift": _ratio(ra, rb),
            }
        )
    by_series.sort(key=lambda r: (-(r["recent_rate"] or 0.0), str(r["series_code"])))
    by_reason.sort(key=lambda r: (-(r["recent_rate"] or 0.0), r["reason"]))
    return {
        "recent": {
            "start": recent_start.isoformat(),
            "end": today.isoformat(),
            "reports": n_recent,
        },
        "previous": {
            "start": prev_start.isoformat(),
            "end": (recent_start - timedelta(days=1)).isoformat(),
            "reports": n_prev,
        },
        "by_reason": by_reason,
        "by_series": by_series,
    }


def _fallback_share(conn, start: date, end: date) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    obs = m.SeriesObservation.__table__
    n_fb = func.sum(cast(obs.c.fallback, Integer))
    stmt = (
        select(obs.c.series_code, func.count(), n_fb)
        .where(obs.c.superseded_at.is_(None), obs.c.date >= start, obs.c.date <= end)
        .group_by(obs.c.series_code)
    )
    out = [
        {"series_code": code, "n": n, "n_fallback": int(k or 0), "share": round((k or 0) / n, 4)}
        for code, n, k in conn.execute(stmt)
    ]
    out.sort(key=lambda r: (-r["share"], r["series_code"]))
    return out


def _rejects(conn, today: date, recent_start: date, days: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rej = m.Reject.__table__
    end = datetime.combine(today, time.max)
    start = datetime.combine(today - timedelta(days=days - 1), time.min)
    recent = datetime.combine(recent_start, time.min)
    is_recent = func.sum(cast(rej.c.created_at >= recent, Integer))
    stmt = (
        select(rej.c.reason, func.count(), is_recent)
        .where(rej.c.created_at >= start, rej.c.created_at <= end)
        .group_by(rej.c.reason)
    )
    out = [{"reason": r, "n": n, "recent": int(k or 0)} for r, n, k in conn.execute(stmt)]
    out.sort(key=lambda r: (-r["n"], r["reason"]))
    return out


# --------------------------------------------------------------------------- rendering
def _fmt_rate(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def _fmt_ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


def _gap_cells(g: dict[str, Any]) -> tuple[str, str]:
    days = g["trading_days_since"]
    return g["last_report"] or "从未（never）", "—" if days is None else str(days)


def render_monitor(report: dict[str, Any], console: Console) -> None:
    """Print the report as Rich tables."""
    console.print(
        f"[bold]监控报告（monitor report）[/bold] {report['today']}，窗口 {report['days']} 天"
    )
    run = report.get("last_run")
    if run is None:
        console.print("尚无运行记录（no pipeline run yet）")
    else:
        t = Table(title=f"最近一次运行（last run）#{run['id']} · {run['status']}")
        heads = (
            "阶段（stage）",
            "输入（in）",
            "保留（kept）",
            "拒收（rejected）",
            "标记（flagged）",
        )
        for h in (*heads, "耗时秒（seconds）"):
            t.add_column(h, justify="left" if h.startswith("阶段") else "right")
        for s in run["stages"]:
            t.add_row(s["stage"], str(s["n_in"]), str(s["n_kept"]), str(s["n_rejected"]),
                      str(s["n_flagged"]), f"{s['seconds']:.2f}")  # fmt: skip
        console.print(t)

    gaps = report["coverage_gaps"]
    t = Table(title=f"覆盖缺口（coverage gaps: > {gaps['max_trading_days']} trading days）")
    for h in (
        "来源（source）",
        "序列（series）",
        "最近报价（last report）",
        "交易日（trading days）",
    ):
        t.add_column(h)
    for g in gaps["stale_sources"][: TOP * 2]:
        t.add_row(g["source_code"], g["series_code"], *_gap_cells(g))
    console.print(t)
    if gaps["series_without_reports"]:
        t = Table(title="无近期报价的评估序列（assessment series without recent reports）")
        for h in ("序列（series）", "最近报价（last report）", "交易日（trading days）"):
            t.add_column(h)
        for g in gaps["series_without_reports"][: TOP * 2]:
            t.add_row(g["series_code"], *_gap_cells(g))
        console.print(t)

    rates = report["flag_rates"]
    for key, label, name in (
        ("by_reason", "按原因（by reason）", "reason"),
        ("by_series", "按序列（by series）", "series_code"),
    ):
        t = Table(title=f"标记率{label}：近{RECENT_DAYS}日 vs 前{report['days']}日")
        for h in ("项目（item）", "近期（recent）", "此前（previous）", "近期率（recent rate）",
                  "此前率（previous rate）", "变化（drift）"):  # fmt: skip
            t.add_column(h, justify="left" if h.startswith("项目") else "right")
        for r in rates[key][:TOP]:
            t.add_row(str(r[name]), str(r["recent"]), str(r["previous"]),
                      _fmt_rate(r["recent_rate"]), _fmt_rate(r["previous_rate"]),
                      _fmt_ratio(r["drift"]))  # fmt: skip
        console.print(t)

    t = Table(title="推算值占比（fallback share by series）")
    for h in ("序列（series）", "发布数（values）", "推算（fallback）", "占比（share）"):
        t.add_column(h, justify="left" if h.startswith("序列") else "right")
    for r in [r for r in report["fallback_share"] if r["n_fallback"]][:TOP]:
        t.add_row(r["series_code"], str(r["n"]), str(r["n_fallback"]), _fmt_rate(r["share"]))
    console.print(t)

    t = Table(title="拒收原因（rejects by reason）")
    for h in ("原因（reason）", f"近{report['days']}日（last {report['days']} d）",
              f"近{RECENT_DAYS}日（last {RECENT_DAYS} d）"):  # fmt: skip
        t.add_column(h, justify="left" if h.startswith("原因") else "right")
    for r in report["rejects_by_reason"]:
        t.add_row(r["reason"], str(r["n"]), str(r["recent"]))
    console.print(t)
