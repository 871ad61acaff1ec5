"""Benchmark: the HTTP server on loopback, bounded in time and request count.

Builds a small demo database (SQLite, or PostgreSQL with ``--pg``), creates a subscriber with
an API key, and starts uvicorn with the same number of workers for

- the baseline: a bare FastAPI app returning a constant (benchmarks/support/bare_app.py);
- steelsage: ``GET /api/v1/series/{code}/observations`` (a month of one series, JSON) with
  the key: auth, rate limit, entitlements, the read audit and the data.

Both are loaded with ``wrk`` (Debian package; ``make bench`` installs it) for the same time
and connections. Prints requests/s, p50/p99 and the ratio steelsage / baseline (goal ≥ 0.5,
p99 ≤ 20 ms); then the ask endpoint without a model at 100 connections (goal p99 ≤ 60 ms)
and the time to the first chat event (goal ≤ 100 ms).

Run: ``.venv/bin/python benchmarks/bench_server.py [--pg] [--seconds 10] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
END = date(2026, 11, 24)
SERIES = ["rebar.shanghai", "rebar.hangzhou", "rebar.beijing", "hrc.shanghai"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn(app: str, env: dict[str, str], workers: int, factory: bool = False) -> Iterator[str]:
    port = free_port()
    args = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if factory:
        args.append("--factory")
    proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/api/v1/health", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, connections: int, *extra: str) -> dict[str, float]:
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", *extra]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": _ms(lat.get("50", "0ms")),
        "p99": _ms(lat.get("99", "0ms")),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def build_database(url: str) -> str:
    """A small demo market and a subscriber key; returns the key."""
    from steelsage.demo.build import build_demo
    from steelsage.demo.market import DemoConfig
    from steelsage.server.auth import service
    from steelsage.store import get_engine, init_db, session_scope

    engine = get_engine(url)
    postgres = url.startswith("postgresql")
    if postgres:
        init_db(engine)
    config = DemoConfig(end=END, years=0.5, series=SERIES, reports_per_day=(4, 8))
    build_demo(engine, config, reset=not postgres, with_worldbank=False)
    with session_scope(engine) as db:
        service.define_package(db, "bench-rebar", products=["rebar"])
        service.add_user(db, "bench", role="subscriber")
        service.grant(db, "bench", "bench-rebar")
        key = service.create_key(db, "bench", "bench").key
    engine.dispose()
    return key


def first_event_ms(base: str, key: str, n: int = 20) -> float:
    """Median time from sending a chat request to its first server-sent event."""
    times = []
    body = {"messages": [{"role": "user", "content": "今天上海螺纹多少钱"}]}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            with client.stream("POST", "/api/v1/chat", json=body) as r:
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        times.append((time.perf_counter() - t0) * 1000)
                        break
    return sorted(times)[len(times) // 2]


def ask_script(key: str) -> Path:
    script = Path(tempfile.mkdtemp()) / "ask.lua"
    body = json.dumps({"question": "今天上海螺纹多少钱"}, ensure_ascii=False)
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body, ensure_ascii=False)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n',
        "utf-8",
    )
    return script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="use PostgreSQL (a temporary schema)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    opts = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="steelsage-bench-"))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    if opts.pg:
        import sqlalchemy as sa

        admin = sa.create_engine(PG)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{PG}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{(tmp / 'bench.db').as_posix()}"
    key = build_database(url)
    # The limiter still runs on every request; its ceiling is lifted so the load is served.
    env = {"STEELSAGE_DATABASE_URL": url, "STEELSAGE_RATE_LIMIT": "100000000/minute"}
    auth = ["-H", f"Authorization: Bearer {key}"]
    start = (END - timedelta(days=30)).isoformat()
    path = f"/api/v1/series/rebar.shanghai/observations?start={start}&end={END.isoformat()}"
    n, c = opts.seconds, opts.connections
    try:
        with uvicorn("benchmarks.support.bare_app:app", {}, opts.workers) as base:
            wrk(base + "/constant", 2, c)  # warm up
            bare = wrk(base + "/constant", n, c)
        with uvicorn("steelsage.server.app:create_app", env, opts.workers, factory=True) as base:
            wrk(base + path, 2, c, *auth)
            ours = wrk(base + path, n, c, *auth)
            first = first_event_ms(base, key)
            ask = wrk(base + "/api/v1/ask", n, 100, "-s", str(ask_script(key)))
    finally:
        if opts.pg:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        shutil.rmtree(tmp, ignore_errors=True)
    backend = "postgresql" if opts.pg else "sqlite"
    print(f"server on loopback ({backend}, {opts.workers} workers, {n} s per run)")
    line = "  {:<34} {:>8,.0f} req/s  p50 {:6.2f} ms  p99 {:6.2f} ms  non-2xx {}"
    print(line.format("baseline: bare FastAPI constant", bare["rps"], bare["p50"], bare["p99"], 0))
    row = ("steelsage series observations", ours["rps"], ours["p50"], ours["p99"], ours["non2xx"])
    print(line.format(*row))
    print(f"  → ratio steelsage / baseline = {ours['rps'] / bare['rps']:.2f} (goal ≥ 0.5)")
    print(
        line.format("ask, no model, 100 conn.", ask["rps"], ask["p50"], ask["p99"], ask["non2xx"])
    )
    print(f"  first chat event p50 {first:.1f} ms (goal ≤ 100 ms)")


if __name__ == "__main__":
    main()
