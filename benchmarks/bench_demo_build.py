"""Demo build (3 years) end to end vs generating the market alone, in one process.

    .venv/bin/python benchmarks/bench_demo_build.py

The baseline is the bare market generation (numpy/Polars, no persistence); the ratio shows what
the real platform path (ingest, verify, standardize, outliers, compile, publish, indicators,
World Bank import, all persisted to SQLite) costs on top. Goal: the build ≤ 120 s.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from steelsage.catalog import load_catalog
from steelsage.demo.build import build_demo
from steelsage.demo.market import DemoConfig, build_market
from steelsage.store import get_engine


def main() -> None:
    cfg = DemoConfig(end=date(2026, 11, 24), years=3.0)
    catalog = load_catalog()
    t0 = time.perf_counter()
    market = build_market(cfg, catalog)
    gen = time.perf_counter() - t0
    print(f"baseline market generation: {gen:.2f} s ({market.reports.height:,} reports)")
    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        t0 = time.perf_counter()
        result = build_demo(
            engine, cfg, progress=lambda msg: print(f"  {time.perf_counter() - t0:6.1f}s {msg}")
        )
        total = time.perf_counter() - t0
        engine.dispose()
    print(
        f"demo build: {total:.1f} s (goal <= 120 s); ratio {total / gen:.1f}x vs generation alone"
    )
    print(result)


if __name__ == "__main__":
    main()
