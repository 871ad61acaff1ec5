"""The ``steelsage`` command line: one command group per package.

Heavy modules are imported inside the commands so that ``steelsage --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="steelsage — 钢铁产业链商品数据平台 / commodity intelligence for the steel chain",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
demo_app = typer.Typer(help="演示市场 / demo market with ground truth", no_args_is_help=True)
pipeline_app = typer.Typer(help="评估流程 / the assessment pipeline", no_args_is_help=True)
series_app = typer.Typer(help="数据序列 / series and observations", no_args_is_help=True)
eval_app = typer.Typer(help="评测 / accuracy against the demo ground truth", no_args_is_help=True)
flags_app = typer.Typer(help="标记与人工复核 / flags and editor overrides", no_args_is_help=True)
sources_app = typer.Typer(help="样本库 / the sample library of sources", no_args_is_help=True)
external_app = typer.Typer(help="外部数据 / external indicator series", no_args_is_help=True)
db_app = typer.Typer(help="数据库 / database schema", no_args_is_help=True)
fx_app = typer.Typer(help="汇率 / FX rates used by standardization", no_args_is_help=True)
for sub, name in [
    (demo_app, "demo"),
    (pipeline_app, "pipeline"),
    (series_app, "series"),
    (eval_app, "eval"),
    (flags_app, "flags"),
    (sources_app, "sources"),
    (external_app, "external"),
    (db_app, "db"),
    (fx_app, "fx"),
]:
    app.add_typer(sub, name=name)

console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="机器可读的 JSON 输出 / JSON output")]
WhoOpt = Annotated[str, typer.Option("--who", help="操作人 / who does this (audit log)")]


def _engine(*, migrate: bool = True):  # type: ignore[no-untyped-def]
    """The configured database (migrated to the current schema unless ``migrate=False``)."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from steelsage.store import get_engine, init_db

    try:
        engine = get_engine()
        if migrate:
            init_db(engine)
    except (ArgumentError, OperationalError, OSError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _fail(
            f"无法打开数据库，请检查 STEELSAGE_DATABASE_URL / cannot open the database: {detail} "
            "— check STEELSAGE_DATABASE_URL (or STEELSAGE_DATA_DIR for the default SQLite file)"
        )
    return engine


def _fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]错误 / error:[/red] {message}")
    raise typer.Exit(code)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{name} 应为 YYYY-MM-DD 格式，收到 '{value}' / {name} must be YYYY-MM-DD")
    return None


def _check_range(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        _fail(f"--start {start} 晚于 --end {end} / --start {start} is after --end {end}")


def _parse_as_of(value: str | None) -> date | datetime | None:
    if value is None:
        return None
    try:
        return (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    except ValueError:
        _fail(f"--as-of 应为日期或日期时间，收到 '{value}' / --as-of must be a date or datetime")
    return None


# --------------------------------------------------------------------------- demo


@demo_app.command("build")
def demo_build(
    years: Annotated[float, typer.Option(help="年数 / years of history")] = 3.0,
    end: Annotated[str | None, typer.Option(help="结束日期 / last day (default today)")] = None,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 20261125,
    series: Annotated[
        list[str] | None, typer.Option("--series", help="只生成这些序列 / only these series")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset/--no-reset", help="先清空数据库 / empty the database first")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """生成演示市场并运行全流程 / build the demo market, run the pipeline and publish."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from steelsage.demo.build import build_demo
    from steelsage.demo.market import DemoConfig

    cfg_kwargs: dict[str, Any] = {"years": years, "seed": seed}
    if end:
        cfg_kwargs["end"] = _parse_date(end, "--end")
    if series:
        cfg_kwargs["series"] = list(series)
    cfg = DemoConfig(**cfg_kwargs)
    engine = _engine(migrate=not reset)  # build_demo migrates after emptying the database
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=as_json,
        ) as progress:
            task = progress.add_task("demo", total=None)
            result = build_demo(
                engine,
                cfg,
                reset=reset,
                progress=lambda msg: progress.update(task, description=msg),
            )
    except ValueError as exc:  # a bad configuration: unknown series, too short a range …
        _fail(f"无法生成演示市场 / cannot build the demo market: {exc}")
        return
    if as_json:
        _print_json(result)
        return
    console.print(
        f"[green]演示数据已生成 / demo built[/green]: {result['reports']:,} 条报价 reports, "
        f"{result['assessments']:,} 个评估 assessments, {result['releases']:,} 次发布 releases, "
        f"{result['seconds']:.1f} s"
    )


# --------------------------------------------------------------------------- import


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV / Excel / JSON 文件 / files")],
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """导入价格报告文件 / import price-report files (see docs/import-format.md)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from steelsage.pipeline.importer import ImportSummary, import_paths

    engine = _engine()
    outcomes = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        disable=as_json or len(files) < 2,
    ) as progress:
        task = progress.add_task("导入 / importing", total=len(files))
        for path in files:
            progress.update(task, description=f"导入 / importing {path.name}")
            outcomes.extend(import_paths(engine, [path], who=who).files)
            progress.advance(task)
    summary = ImportSummary(outcomes)
    payload = summary.to_dict()
    if as_json:
        _print_json(payload)
    else:
        table = Table(title="导入结果 / import")
        for col in [
            "文件 file",
            "状态 status",
            "接受 accepted",
            "拒绝 rejected",
            "标记 flagged",
            "重复 dup",
        ]:
            table.add_column(col)
        for f in summary.files:
            table.add_row(
                f.file,
                f.status,
                str(f.accepted),
                str(f.rejected),
                str(f.flagged),
                str(f.duplicates),
            )
        console.print(table)
        for f in summary.files:
            if f.error:
                err_console.print(f"[yellow]{f.error}[/yellow]")
            for r in f.rejects[:20]:
                console.print(
                    f"  {r['file']}:{r['row']} [{r['reason']}] {r['field'] or ''} {r['message']}"
                )
            if len(f.rejects) > 20:
                console.print(f"  … {len(f.rejects) - 20} more (use --json)")
    if payload["failed"]:
        raise typer.Exit(1)


@app.command("reprocess")
def reprocess_cmd(
    reason: Annotated[
        list[str] | None,
        typer.Option("--reason", help="只重试这些拒收原因 / only rows rejected for these reasons"),
    ] = None,
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """重新核验被拒收的原始行（如补登来源后）/ retry stored rows rejected for a fixable reason."""
    from steelsage.pipeline import reasons as reason_codes
    from steelsage.pipeline.importer import reprocess_rejected

    unknown = [r for r in reason or [] if r not in reason_codes.REJECT_CODES]
    if unknown:
        _fail(f"未知的拒收原因 {unknown} / unknown reject reasons {unknown}")
    result = reprocess_rejected(_engine(), reasons=list(reason) if reason else None, who=who)
    if as_json:
        _print_json(result)
        return
    console.print(
        f"候选 candidates {result['candidates']}: 接受 accepted {result['accepted']}, "
        f"标记 flagged {result['flagged']}, 仍拒收 still rejected {result['still_rejected']}"
    )


# --------------------------------------------------------------------------- pipeline


@pipeline_app.command("run")
def pipeline_run(
    start: Annotated[str | None, typer.Option(help="开始日期 / first date")] = None,
    end: Annotated[str | None, typer.Option(help="结束日期 / last date")] = None,
    force: Annotated[
        bool, typer.Option(help="输入未变也重跑 / run even if inputs unchanged")
    ] = False,
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """运行异常值处理与编制 / run survey, outlier handling and compilation."""
    from steelsage.pipeline.runner import run_pipeline

    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    _check_range(first, last)
    summary = run_pipeline(
        _engine(),
        start=first,
        end=last,
        force=force,
        who=who,
        progress=None if as_json else lambda msg: err_console.print(f"· {msg}"),
    )
    if as_json:
        _print_json(summary.to_dict())
        return
    if summary.status == "no_op":
        console.print(
            f"输入未变化，沿用运行 {summary.run_id} / inputs unchanged: run {summary.run_id} stands"
        )
        return
    table = Table(title=f"运行 / run {summary.run_id}")
    for col in ["阶段 stage", "输入 in", "保留 kept", "拒绝 rejected", "标记 flagged", "秒 s"]:
        table.add_column(col)
    for s in summary.stages:
        table.add_row(
            s["stage"],
            f"{s['n_in']:,}",
            f"{s['n_kept']:,}",
            f"{s['n_rejected']:,}",
            f"{s['n_flagged']:,}",
            f"{s['seconds']:.2f}",
        )
    console.print(table)


@app.command("publish")
def publish_cmd(
    who: WhoOpt = "cli",
    note: Annotated[str | None, typer.Option(help="发布说明 / release note")] = None,
    day: Annotated[str | None, typer.Option("--date", help="只发布该日 / only this date")] = None,
    as_json: JsonOpt = False,
) -> None:
    """发布最新一次运行的评估 / publish the latest run (changed values become new versions)."""
    from steelsage.pipeline.release import PublishError, publish_run

    dates = [d] if (d := _parse_date(day, "--date")) else None
    try:
        written = publish_run(_engine(), who=who, note=note, dates=dates)
    except PublishError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json({"releases": written})
        return
    if not written:
        console.print("没有变化，无需发布 / nothing changed, nothing published")
    for w in written[-10:]:
        console.print(f"{w['release']} v{w['version']} ({w['kind']}): {w['n_values']} values")
    if len(written) > 10:
        console.print(f"… {len(written)} releases in all")


@app.command("correct")
def correct_cmd(
    series_code: Annotated[str, typer.Argument(help="序列代码 / series code")],
    day: Annotated[str, typer.Argument(help="日期 / date YYYY-MM-DD")],
    value: Annotated[float, typer.Argument(help="更正后的值 / corrected value")],
    why: Annotated[str, typer.Option("--why", help="原因（必填）/ reason (required)")],
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """更正已发布的值（新版本）/ correct a published value as a new version."""
    from steelsage.pipeline.release import PublishError, correct_value

    d = _parse_date(day, "date")
    try:
        info = correct_value(
            _engine(), series_code=series_code, day=d, value=value, who=who, why=why
        )
    except (PublishError, ValueError) as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(info)
    else:
        console.print(f"{info['release']} v{info['version']} ({info['kind']})")


# --------------------------------------------------------------------------- series


@series_app.command("list")
def series_list(
    kind: Annotated[str | None, typer.Option(help="assessment|indicator|index|external")] = None,
    commodity: Annotated[str | None, typer.Option(help="商品大类 / commodity")] = None,
    region: Annotated[str | None, typer.Option(help="地区代码 / region code")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="搜索 / search text")] = None,
    as_json: JsonOpt = False,
) -> None:
    """列出序列 / list series."""
    from steelsage.store import list_series

    rows = list_series(_engine(), kind=kind, commodity=commodity, region=region, query=query)
    payload = [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "kind": s.kind,
            "commodity": s.commodity,
            "region": s.region,
            "unit": s.unit,
            "frequency": s.frequency,
            "first": s.first,
            "last": s.last,
        }
        for s in rows
    ]
    if as_json:
        _print_json(payload)
        return
    table = Table(title=f"序列 / series ({len(rows)})")
    for col in ["代码 code", "名称 name", "单位 unit", "频率 freq", "起 first", "止 last"]:
        table.add_column(col)
    for s in rows:
        table.add_row(s.code, s.name_zh, s.unit, s.frequency, str(s.first or ""), str(s.last or ""))
    console.print(table)


@series_app.command("get")
def series_get(
    code: Annotated[str, typer.Argument(help="序列代码 / series code")],
    start: Annotated[str | None, typer.Option(help="开始日期 / from")] = None,
    end: Annotated[str | None, typer.Option(help="结束日期 / to")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="时点查询 / as published then")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|json|csv")] = "table",
) -> None:
    """读取序列观测值 / observations of one series."""
    from steelsage.store import get_observations, get_series

    if fmt not in {"table", "json", "csv"}:
        _fail(f"--format 只能是 table、json 或 csv，收到 '{fmt}' / --format must be table|json|csv")
    engine = _engine()
    info = get_series(engine, code)
    if info is None:
        _fail(f"没有序列 '{code}'；用 `steelsage series list -q …` 查找 / no series '{code}'")
        return
    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    _check_range(first, last)
    obs = get_observations(engine, code, start=first, end=last, as_of=_parse_as_of(as_of))
    with_range = info.kind == "assessment"
    if fmt == "json":
        observations = [
            {
                "date": r["date"].isoformat(),
                "value": r["value"],
                "low": r["low"],
                "high": r["high"],
                "version": r["version"],
            }
            for r in obs.iter_rows(named=True)
        ]
        _print_json({"code": code, "unit": info.unit, "observations": observations})
    elif fmt == "csv":
        cols = (
            ["date", "value", "low", "high", "change", "version"]
            if with_range
            else ["date", "value"]
        )
        sys.stdout.write(obs.select(cols).write_csv())
    else:
        table = Table(title=f"{info.code} {info.name_zh} ({info.unit})")
        cols = (
            ["date", "value", "low", "high", "change", "version"]
            if with_range
            else ["date", "value"]
        )
        for col in cols:
            table.add_column(col)
        for r in obs.select(cols).iter_rows():
            table.add_row(*["" if v is None else str(v) for v in r])
        console.print(table)


# --------------------------------------------------------------------------- today / monitor


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


@app.command("today")
def today_cmd(
    commodity: Annotated[str | None, typer.Option(help="商品大类 / commodity")] = None,
    as_json: JsonOpt = False,
) -> None:
    """最新发布的评估 / the latest published assessments (benchmark series)."""
    from steelsage.pipeline.views import latest_assessments

    rows = latest_assessments(_engine(), commodity=commodity)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        console.print("尚无发布数据；先运行 `make demo` / nothing published yet: run `make demo`")
        return
    from steelsage.catalog import load_catalog

    units = load_catalog().units
    table = Table(
        title=f"最新评估 / latest assessments — {rows[0]['date']}",
        caption="代码见 `steelsage series list` / codes: `steelsage series list`",
    )
    table.add_column("名称 name", ratio=3)
    for col in ["中间价 mid", "低 low", "高 high", "涨跌 chg", "样本 n"]:
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("单位 unit", ratio=1)
    for r in rows:
        chg = r["change"]
        chg_s = (
            ""
            if chg is None
            else (f"[red]+{chg:g}[/red]" if chg > 0 else f"[green]{chg:g}[/green]")
        )
        unit = units[r["unit"]].name_zh if r["unit"] in units else r["unit"]
        table.add_row(
            r["name_zh"],
            _num(r["value"]),
            _num(r["low"]),
            _num(r["high"]),
            chg_s,
            str(r["n_sources"] or ""),
            unit,
        )
    console.print(table)


@app.command("monitor")
def monitor_cmd(
    days: Annotated[int, typer.Option(help="对比窗口天数 / comparison window")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """监控报告 / monitoring: stage counts, coverage gaps, flag rates and drift."""
    from steelsage.pipeline.monitor import build_monitor_report, render_monitor

    if days < 1:
        _fail(f"--days 必须为正整数，收到 {days} / --days must be a positive whole number")
    report = build_monitor_report(_engine(), days=days)
    if as_json:
        _print_json(report)
    else:
        render_monitor(report, console)


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出文件 / output file")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv|parquet|xlsx")] = None,
    series: Annotated[list[str] | None, typer.Option("--series", help="序列代码 / codes")] = None,
    start: Annotated[str | None, typer.Option(help="开始日期 / from")] = None,
    end: Annotated[str | None, typer.Option(help="结束日期 / to")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="时点 / as published then")] = None,
) -> None:
    """导出已发布数据 / export published data to CSV, Parquet or Excel."""
    from steelsage.pipeline.publish import export_published

    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in {"csv", "parquet", "xlsx"}:
        _fail(f"不支持的格式 '{fmt}'，请用 csv、parquet 或 xlsx / unsupported format '{fmt}'")
    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    _check_range(first, last)
    try:
        path = export_published(
            _engine(),
            str(out),
            fmt,
            codes=list(series) if series else None,
            start=first,
            end=last,
            as_of=_parse_as_of(as_of),
        )
    except ValueError as exc:
        _fail(str(exc))
        return
    console.print(f"已导出 / exported: {path}")


# --------------------------------------------------------------------------- eval


@eval_app.command("outliers")
def eval_outliers(as_json: JsonOpt = False) -> None:
    """异常检测的准确率 / precision, recall and F1 of flags vs planted errors."""
    from steelsage.demo.evaluate import NoGroundTruthError, evaluate_outliers

    try:
        result = evaluate_outliers(_engine())
    except NoGroundTruthError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(result)
        return
    console.print(
        f"precision {result['precision']:.4f}  recall {result['recall']:.4f}  f1 {result['f1']:.4f}"
    )
    for k, v in result.get("by_type", {}).items():
        console.print(f"  {k}: recall {v['recall']:.3f} ({v['caught']}/{v['planted']})")


@eval_app.command("assessments")
def eval_assessments(as_json: JsonOpt = False) -> None:
    """评估价的误差 / median absolute % error of published mids vs the ground truth."""
    from steelsage.demo.evaluate import NoGroundTruthError, evaluate_assessments

    try:
        result = evaluate_assessments(_engine())
    except NoGroundTruthError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(result)
        return
    if result["median_ape_pct"] is None:
        console.print("没有可与真值对比的发布值 / no published value matches the ground truth")
        return
    console.print(f"median APE {result['median_ape_pct']:.4f}%  n={result['n']:,}")


# --------------------------------------------------------------------------- flags


FLAG_STATUSES = ("open", "accepted", "rejected", "all")


@flags_app.command("list")
def flags_list(
    status: Annotated[str, typer.Option(help="open|accepted|rejected|all")] = "open",
    reason: Annotated[str | None, typer.Option(help="原因代码 / reason code")] = None,
    series: Annotated[str | None, typer.Option(help="序列代码 / series code")] = None,
    day: Annotated[str | None, typer.Option("--date", help="日期 / date")] = None,
    limit: Annotated[int, typer.Option(help="最多条数 / max rows")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """列出标记 / list flags with reasons and scores."""
    from steelsage.pipeline.review import list_flags

    if status not in FLAG_STATUSES:
        _fail(
            f"--status 只能是 {'|'.join(FLAG_STATUSES)}，收到 '{status}' / --status must be "
            f"{'|'.join(FLAG_STATUSES)}"
        )
    rows = list_flags(
        _engine(),
        status=status,
        reason=reason,
        series=series,
        day=_parse_date(day, "--date"),
        limit=limit,
    )
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"标记 / flags ({len(rows)})")
    for col in [
        "id",
        "序列 series",
        "日期 date",
        "来源 source",
        "原因 reason",
        "分数 score",
        "说明 message",
        "状态",
    ]:
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["series_code"] or "",
            str(r["date"] or ""),
            r["source_code"] or "",
            r["reason"],
            f"{r['score']:.2f}" if r["score"] is not None else "",
            r["message"],
            r["status"],
        )
    console.print(table)


@flags_app.command("resolve")
def flags_resolve(
    flag_id: Annotated[int, typer.Argument(help="标记 id / flag id")],
    action: Annotated[str, typer.Argument(help="accept（采用报价）| reject（剔除报价）")],
    why: Annotated[str, typer.Option("--why", help="原因（必填）/ reason (required)")],
    who: WhoOpt = "cli",
) -> None:
    """人工复核：采用或剔除被标记的报价 / editor override of a flag, with who and why."""
    from steelsage.pipeline.review import FlagError, resolve_flag

    try:
        resolve_flag(_engine(), flag_id, action, who=who, why=why)
    except (FlagError, ValueError) as exc:
        _fail(str(exc))
    console.print(
        f"标记 {flag_id} 已{('采用' if action == 'accept' else '剔除')} / "
        f"flag {flag_id} {action}ed — 运行 `steelsage pipeline run` 与 `steelsage publish` 生效 / "
        "rerun the pipeline and publish"
    )


# ------------------------------------------------------------- sources / external / db


@sources_app.command("list")
def sources_list(as_json: JsonOpt = False) -> None:
    """列出样本来源 / list sources in the sample library."""
    from steelsage.pipeline.views import list_sources

    rows = list_sources(_engine())
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"样本库 / sources ({len(rows)})")
    for col in [
        "代码 code",
        "名称 name",
        "类型 type",
        "地区 region",
        "权重 weight",
        "覆盖 coverage",
        "启用 active",
    ]:
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["code"],
            r["name"],
            r["type"],
            r["region_code"] or "",
            f"{r['credibility_weight']:.2f}",
            str(r["coverage"]),
            "✓" if r["active"] else "✗",
        )
    console.print(table)


@sources_app.command("import")
def sources_import(
    file: Annotated[Path, typer.Argument(help="来源清单 CSV/YAML / sources file")],
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """导入或更新样本来源 / add or update sources from a CSV or YAML file."""
    from steelsage.pipeline.library import register_sources_file

    try:
        result = register_sources_file(_engine(), file, who=who)
    except ValueError as exc:  # SourcesFileError and the loader's own format errors
        _fail(str(exc))
        return
    if as_json:
        _print_json(result)
    else:
        console.print(
            f"来源 sources: {result['accepted']} 接受 accepted, {result['rejected']} 拒绝 rejected"
        )
        for r in result["rejects"]:
            console.print(f"  {r['code']}: [{r['reason']}] {r['message']}")
    if result["rejected"] and not result["accepted"]:
        raise typer.Exit(1)


@external_app.command("import")
def external_import(
    file: Annotated[Path | None, typer.Argument(help="长表 CSV；默认随附的世界银行数据")] = None,
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """导入外部指标（默认世界银行月度商品价格）/ import external series (World Bank by default)."""
    from steelsage.pipeline.external import ExternalImportError, import_worldbank

    try:
        result = import_worldbank(_engine(), file, who=who)
    except ExternalImportError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(result)
    else:
        console.print(
            f"{result['file']}: {result['status']} — {result['series']} series, "
            f"{result['accepted']:,} values, {result['rejected']} rejected"
        )


@fx_app.command("import")
def fx_import(
    file: Annotated[Path, typer.Argument(help="CSV: date, pair, rate（如 USDCNY）")],
    who: WhoOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """导入汇率 / load FX rates (date, pair, rate); later rows replace earlier ones."""
    from steelsage.pipeline.external import ExternalImportError, import_fx_rates

    try:
        result = import_fx_rates(_engine(), file, who=who)
    except ExternalImportError as exc:
        _fail(str(exc))
        return
    if as_json:
        _print_json(result)
    else:
        console.print(
            f"汇率 FX: {result['accepted']} 接受 accepted, {result['rejected']} 拒绝 rejected"
        )
        for r in result["rejects"][:20]:
            console.print(f"  row {r['row']}: {r['message']}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """建立或升级数据库结构 / create or migrate the database schema."""
    from steelsage.store import current_revision

    engine = _engine()
    console.print(f"schema at revision {current_revision(engine)}")


def _register_assistant() -> None:
    from steelsage.cli_access import register as register_access
    from steelsage.cli_assistant import register
    from steelsage.cli_server import register as register_server

    register(app, eval_app, _engine)
    register_server(app, _engine, demo_app)
    register_access(app, _engine)


_register_assistant()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
