"""``steelsage ask``, ``steelsage chat`` and ``steelsage eval assistant``.

Registered on the main Typer app by :func:`register`; kept apart from ``cli.py`` so the
assistant's commands stay one small module. Imports are lazy: ``steelsage ask`` must start
in well under two seconds.
"""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from steelsage.assistant import Answer, Assistant

console = Console()
err_console = Console(stderr=True)

LangOpt = Annotated[
    str | None, typer.Option("--lang", help="回答语言 zh|en（默认按问题）/ answer language")
]
TodayOpt = Annotated[
    str | None,
    typer.Option("--today", help="把这一天当作“今天”(YYYY-MM-DD) / treat this date as today"),
]


def _fail(message: str) -> None:
    err_console.print(f"[red]错误 / error:[/red] {message}")
    raise typer.Exit(1)


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--today 需要 YYYY-MM-DD，收到 {value!r} / --today needs YYYY-MM-DD")
    return None


def _lang(value: str | None) -> str | None:
    if value is not None and value not in ("zh", "en"):
        _fail(f"--lang 只能是 zh 或 en，收到 {value!r} / --lang must be zh or en")
    return value


def _assistant(engine: Engine, today: date | None) -> Assistant:
    from steelsage.assistant import Assistant
    from steelsage.assistant.llm import BackendError, get_backend

    try:
        backend = get_backend()
    except BackendError as exc:
        _fail(str(exc))
    return Assistant(engine, today=today, backend=backend)


def _reading_engine(engine_factory: Any) -> Engine:
    """The database, without running migrations (that costs a second at every start).

    Questions only read; a database that was never set up gets a clear message instead.
    """
    from sqlalchemy import inspect

    engine = engine_factory(migrate=False)
    if not inspect(engine).has_table("series"):
        _fail(
            "数据库还没有数据，请先运行 `steelsage demo build`"
            "（或 `steelsage db upgrade` 并导入数据）/ "
            "the database holds no data yet: run `steelsage demo build` (or `steelsage db upgrade` "
            "and import data) first"
        )
    return engine


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        payload = answer.model_dump(mode="json")
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    console.print(answer.text, highlight=False, markup=False)
    if answer.sources:
        label = "来源" if answer.language == "zh" else "Sources"
        for s in answer.sources:
            version = f" v{s.version}" if s.version is not None else ""
            span = f" {s.start}…{s.end}" if s.start and s.end and s.start != s.end else ""
            console.print(f"  [dim]{label}: {s.series_code}{version}{span}[/dim]", highlight=False)
    if not answer.verified:
        console.print("[yellow]未通过数字核验 / not verified[/yellow]")


def register(app: typer.Typer, eval_app: typer.Typer, engine_factory: Any) -> None:
    """Add the assistant commands to ``app`` and ``eval assistant`` to ``eval_app``."""

    @app.command("ask")
    def ask(
        question: Annotated[str, typer.Argument(help="问题 / the question")],
        as_json: Annotated[bool, typer.Option("--json", help="输出 Answer JSON")] = False,
        lang: LangOpt = None,
        today: TodayOpt = None,
    ) -> None:
        """提问 / ask one question about prices and data; answers cite their sources."""
        assistant = _assistant(_reading_engine(engine_factory), _today(today))
        _print_answer(assistant.ask(question, lang=_lang(lang)), as_json)

    @app.command("chat")
    def chat(
        lang: LangOpt = None,
        today: TodayOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="每轮输出 Answer JSON")] = False,
    ) -> None:
        """多轮对话 / a chat with follow-ups ("那广州呢?"); /reset 清空, /exit 退出."""
        from steelsage.assistant import Session

        assistant = _assistant(_reading_engine(engine_factory), _today(today))
        session = Session()
        language = _lang(lang)
        with contextlib.suppress(ImportError):  # line editing and history for input()
            import readline  # noqa: F401
        if sys.stdin.isatty():
            console.print("[dim]steelsage chat — /reset 清空上下文, /exit 退出[/dim]")
        while True:
            try:
                line = input("> " if sys.stdin.isatty() else "")
            except (EOFError, KeyboardInterrupt):
                break
            line = line.strip()
            if not line:
                continue
            if line in ("/exit", "/quit", "exit", "quit"):
                break
            if line == "/reset":
                session.reset()
                console.print("[dim]已清空 / cleared[/dim]")
                continue
            _print_answer(assistant.ask(line, session, lang=language), as_json)

    @eval_app.command("assistant")
    def eval_assistant(
        as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
        devset: Annotated[
            str | None, typer.Option("--set", help="评测集路径 / dev set (JSONL)")
        ] = None,
        show_failures: Annotated[int, typer.Option(help="列出前 N 个错误 / show N failures")] = 10,
    ) -> None:
        """助手评测 / score the assistant on the public dev set (evals/assistant)."""
        from steelsage.assistant import Assistant, Session
        from steelsage.assistant.evaluate import load_devset, run_eval

        engine = engine_factory()
        try:
            items = load_devset(devset)
        except (FileNotFoundError, ValueError) as exc:
            _fail(str(exc))
        assistant = Assistant(engine)

        def ask_turns(turns: list[str], lang: str) -> Answer:
            session = Session()
            answer = None
            for turn in turns:
                answer = assistant.ask(turn, session, lang=lang)
            assert answer is not None
            return answer

        report = run_eval(engine, ask_turns, items)
        if as_json:
            sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
            return
        console.print(f"overall {report['overall']:.4f}  n={report['n']}")
        for name, acc in report["categories"].items():
            console.print(f"  {name}: {acc:.3f}")
        lat = report["latency_ms"]
        console.print(f"latency p50 {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms")
        for failure in report.get("failures", [])[:show_failures]:
            console.print(f"  [red]✗[/red] {failure}", highlight=False, markup=False)
