import time
from dataclasses import replace
from datetime import date

import pytest

from steelsage.catalog import Catalog
from steelsage.demo import DemoConfig, build_market

TINY = DemoConfig(end=date(2026, 3, 31), years=0.15, series=["rebar.shanghai", "hrc.tianjin"])


def test_same_seed_same_frames(catalog: Catalog) -> None:
    a, b = build_market(TINY, catalog), build_market(TINY, catalog)
    assert a.calendar == b.calendar
    for name in ("sources", "reports", "truth_prices", "truth_errors", "indicators", "fx_rates"):
        assert getattr(a, name).equals(getattr(b, name)), name


def test_another_seed_another_market(catalog: Catalog) -> None:
    a = build_market(TINY, catalog)
    b = build_market(replace(TINY, seed=7), catalog)
    assert not a.truth_prices.equals(b.truth_prices)
    assert not a.reports.equals(b.reports)


def test_bad_config_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="unknown assessment series"):
        build_market(DemoConfig(series=["rebar.atlantis"]), catalog)
    with pytest.raises(ValueError, match="reports_per_day"):
        build_market(DemoConfig(reports_per_day=(9, 3)), catalog)
    with pytest.raises(ValueError, match="n_sources"):
        build_market(DemoConfig(n_sources=3, series=["rebar.shanghai"], years=0.1), catalog)


def test_error_free_market(catalog: Catalog) -> None:
    m = build_market(replace(TINY, error_rate=0.0), catalog)
    assert set(m.truth_errors["error_type"]) == {"bad_row"}


@pytest.mark.slow
def test_full_market_builds_fast(catalog: Catalog) -> None:
    start = time.perf_counter()
    m = build_market(DemoConfig(end=date(2026, 11, 25)), catalog)
    elapsed = time.perf_counter() - start
    assert elapsed <= 20, elapsed
    assert 900_000 <= m.reports.height <= 1_200_000
    assert m.truth_prices["series_code"].n_unique() == len(catalog.assessments)
    print(f"full demo market: {m.reports.height} reports in {elapsed:.1f} s")
