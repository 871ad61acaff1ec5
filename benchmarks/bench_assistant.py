"""Benchmark: the assistant without a model — warm ask latency, parser throughput, cold start.

Runs over the public dev set (evals/assistant/dev.jsonl) against the demo database
(``make demo`` builds it; set STEELSAGE_DATABASE_URL for another one). Each figure is printed
with a named baseline measured in the same process:

- ask, warm: p50/p95 per question vs a bare ``get_observations`` read of one series for the
  same dates (the least any data answer must do). Goal: p95 ≤ 30 ms.
- parser: questions per second through ``parse_question`` vs the lexicon's entity scan alone
  (one regex pass). Goal: ≥ 2,000 questions/s.
- cold start: ``steelsage ask`` in a new process vs ``python -c "import steelsage.store"``
  (the import every command pays).
  Goal: ≤ 1.5 s.

Run: ``.venv/bin/python benchmarks/bench_assistant.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from steelsage.assistant import Assistant, Session
from steelsage.assistant.evaluate import load_devset, render
from steelsage.assistant.parse import default_lexicon, parse_question
from steelsage.assistant.parse.lexicon import normalize_question
from steelsage.store import get_engine, get_observations, latest_date

ROOT = Path(__file__).resolve().parents[1]
STEELSAGE = Path(sys.executable).with_name("steelsage")
REPEATS = 3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_ask() -> None:
    engine = get_engine()
    anchor = latest_date(engine)
    if anchor is None:
        sys.exit("no data: run `make demo` first (or set STEELSAGE_DATABASE_URL)")
    items = [render(item, anchor) for item in load_devset()]
    assistant = Assistant(engine, today=anchor)
    for item in items[:50]:  # warm caches (catalog, lexicon, SQLAlchemy statements)
        assistant.ask(item.turns[-1], Session())
    ask_ms: list[float] = []
    for _ in range(REPEATS):
        for item in items:
            session = Session()
            for turn in item.turns:
                t0 = time.perf_counter()
                assistant.ask(turn, session, lang=item.lang)
                ask_ms.append((time.perf_counter() - t0) * 1000)
    base_ms: list[float] = []
    for _ in range(len(ask_ms)):
        t0 = time.perf_counter()
        get_observations(engine, "rebar.shanghai", start=anchor.replace(day=1), end=anchor)
        base_ms.append((time.perf_counter() - t0) * 1000)
    p50, p95 = percentile(ask_ms, 0.5), percentile(ask_ms, 0.95)
    b50 = percentile(base_ms, 0.5)
    backend = engine.url.get_backend_name()
    print(f"ask (warm, {len(ask_ms)} turns over {len(items)} dev items, {backend})")
    print(f"  ask p50 {p50:.2f} ms  p95 {p95:.2f} ms  max {max(ask_ms):.1f} ms  (goal p95 ≤ 30 ms)")
    print(f"  baseline get_observations p50 {b50:.2f} ms")
    print(f"  → ratio ask p50 / baseline p50 = {p50 / b50:.1f}×")


def bench_parser() -> None:
    lexicon = default_lexicon()
    anchor = latest_date(get_engine())
    questions = [t for item in load_devset() for t in item.turns]
    questions = [q.replace("{", "").replace("}", "") for q in questions]
    rounds = 10
    t0 = time.perf_counter()
    for _ in range(rounds):
        for q in questions:
            parse_question(q, today=anchor, lexicon=lexicon)
    parse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(rounds):
        for q in questions:
            lexicon.entities(normalize_question(q))
    scan_s = time.perf_counter() - t0
    n = rounds * len(questions)
    print(f"parser ({n:,} questions)")
    print(f"  parse_question {n / parse_s:,.0f} q/s  (goal ≥ 2,000 q/s)")
    print(f"  baseline entity scan {n / scan_s:,.0f} q/s")
    print(f"  → ratio parse / scan time = {parse_s / scan_s:.1f}×")


def _run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def bench_cold_start() -> None:
    ask = [str(STEELSAGE), "ask", "今天上海螺纹多少钱"]
    base = [sys.executable, "-c", "import steelsage.store"]
    _run(ask)  # the first run pays for the OS file cache
    ask_s = statistics.median(_run(ask) for _ in range(5))
    base_s = statistics.median(_run(base) for _ in range(5))
    print("cold start (new process, median of 5)")
    print(f"  steelsage ask {ask_s:.2f} s  (goal ≤ 1.5 s)")
    print(f"  baseline python -c 'import steelsage.store' {base_s:.2f} s")
    print(f"  → ratio {ask_s / base_s:.1f}×")


if __name__ == "__main__":
    bench_parser()
    bench_ask()
    bench_cold_start()
