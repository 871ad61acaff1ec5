"""Stage 6, outlier handling: flag reports that must not enter the assessment.

Every report is compared with three references, all computed without Python loops:

* the **day** — the robust median and MAD of its series that day (wild values and rows the
  range check already flagged are left out first, so one ×1000 slip cannot mask a day);
* its **own history** — the source's relative residual over its previous reports (Hampel,
  jumps, stale repeats, EWMA drift), so market moves are not mistaken for errors;
* the **cross-section** — the same product's other regions in the macro-region, shifted by
  the region's rolling basis.

Thresholds are the method parameters of docs/internals.md. Where this module adds a rule,
``OutlierParams`` names it: a *materiality* floor (``min_deviation`` 2 %) below which the
generic statistical tests (MAD, Hampel, IsolationForest) do not exclude a report, so noisy
but honest sources are kept; stale repeats are flagged once they are ≥ 1.5 % off the
reference; source drift needs the report and the EWMA of its own series to lean the same
way; the IsolationForest never flags below its own "auto" cut. Residuals are taken against
the day median, or against the cross-sectional expectation when a day has < 3 reports.

A flagged row gets one primary reason (``PRIORITY``: the most specific explanation first),
a bilingual message with the numbers, a score (the detector's statistic over its
threshold, ≥ 1) and ``excluded=True``. Editors' decisions (``ctx.params["overrides"]``:
``submission_id, action`` accept|reject) are applied last: accept keeps the flag but
includes the report, reject excludes it as ``editor_rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from steelsage.pipeline import reasons
from steelsage.pipeline.base import RunContext, StageResult

PRIORITY: tuple[str, ...] = (
    "out_of_range",  # set by standardization's range check; kept as is
    "editor_rejected",
    "stale_repeat",
    "vat_basis_suspect",
    "region_suspect",
    "source_drift",
    "mad_outlier",
    "cross_sectional",
    "hampel_outlier",
    "jump_vs_own_history",
    "jump_vs_market",
    "isolation_forest",
)
DETECTORS = PRIORITY[2:]
EDITOR_REJECTED = ("编辑已剔除", "rejected by an editor")
EDITOR_ACCEPTED = "；编辑已接受，计入编制 / accepted by an editor: included"
SERIES_DAY = ["series_code", "date"]


def _attach(work: pl.DataFrame, part: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Add ``part``'s ``columns`` to ``work`` at the rows ``part['_key']`` (null elsewhere).

    ``_key`` is the row position in ``work`` (set once it is in sequence order), so this is
    a left join on ``_key`` without hashing, and the row order stays as it is.
    """
    idx = part["_key"]
    return work.with_columns(
        [
            pl.repeat(None, work.height, dtype=part.schema[c], eager=True)
            .scatter(idx, part[c])
            .alias(c)
            for c in columns
        ]
    )


@dataclass(frozen=True)
class OutlierParams:
    """The method parameters of stage 6 (defaults = docs/internals.md, binding)."""

    mad_z: float = 3.5
    mad_floor: float = 0.003  # MAD floor, share of the median
    hampel_window: int = 7
    hampel_k: float = 3.0
    hampel_floor: float = 0.003
    hampel_min_reports: int = 5
    jump_own: float = 0.04
    jump_quiet_market: float = 0.015
    stale_repeats: int = 3
    stale_market_move: float = 0.015
    xsec_threshold: float = 0.03
    xsec_basis_window: int = 20
    xsec_basis_min_days: int = 5
    drift_span: int = 10
    drift_threshold: float = 0.015
    drift_sustain: int = 5
    drift_own_residual: float = 0.0075  # the report itself must lean the same way
    if_top_share: float = 0.005
    if_min_residual: float = 0.015
    if_sample: int = 10_000
    if_min_rows: int = 500
    if_seed: int = 20_241_125
    wild: float = 0.15  # beyond ±15 % of the raw day median: left out of the centers
    # Materiality: the generic statistical tests (MAD, Hampel, IsolationForest) exclude a
    # report only when it is at least this far from its reference, so a noisy but honest
    # source is not cut.
    min_deviation: float = 0.02
    vat_rate: float = 0.13
    vat_tolerance: float = 0.015
    region_match: float = 0.006
    region_min_deviation: float = 0.025


class OutlierStage:
    """Stage 6. ``run(standardized_frame, ctx)`` → the flagged frame (see module doc)."""

    name = "outliers"

    def __init__(self, params: OutlierParams | None = None) -> None:
        self.params = params or OutlierParams()

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        p = self.params
        _check_columns(batch)
        batch = _with_flag_columns(batch)
        work = _prepare(batch, ctx.history)
        if work.height:
            work = _day_centers(work, p)
            work = _cross_section(work, _macro_regions(ctx, work), p)
            work = _vat(work, p)
            work = _sequences(work, p)
            work = _isolation_forest(work, p)
            work = _region_suspect(work, p)
        flags = _primary(work, p)
        out = _merge(batch, flags)
        out, n_accept, n_reject = _apply_overrides(out, ctx.params.get("overrides"))
        flagged = out.filter(pl.col("flag_reason").is_not_null())
        counters: dict[str, int | float] = {
            "n_in": batch.height,
            "n_history": work.height - batch.height,
            "n_flagged": flagged.height,
            "n_excluded": int(out["excluded"].sum()),
            "override_accept": n_accept,
            "override_reject": n_reject,
        }
        by_reason = flagged.group_by("flag_reason").len()
        for code, n in by_reason.iter_rows():
            counters[code] = int(n)
        return StageResult(kept=out, flagged=flagged, counters=counters)


# --------------------------------------------------------------------------- preparation
REQUIRED = ("submission_id", "source_code", "series_code", "date", "value")


def _check_columns(batch: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in batch.columns]
    if missing:
        raise ValueError(
            f"异常值处理需要标准化报价的列 {missing} / the outlier stage needs the standardized "
            f"frame's columns {missing}; run standardization (stage 5) first"
        )


def _with_flag_columns(frame: pl.DataFrame) -> pl.DataFrame:
    adds = []
    for name, dtype in (
        ("flag_reason", pl.Utf8),
        ("flag_message", pl.Utf8),
        ("flag_score", pl.Float64),
    ):
        if name not in frame.columns:
            adds.append(pl.lit(None, dtype=dtype).alias(name))
    if "excluded" not in frame.columns:
        adds.append(pl.lit(False).alias("excluded"))
    return frame.with_columns(adds) if adds else frame


def _codes(frame: pl.DataFrame) -> list[pl.Expr]:
    parts = pl.col("series_code").str.split_exact(".", 1)
    out = []
    if "product_code" not in frame.columns:
        out.append(parts.struct.field("field_0").alias("product_code"))
    if "region_code" not in frame.columns:
        out.append(parts.struct.field("field_1").alias("region_code"))
    return out


def _prepare(batch: pl.DataFrame, history: pl.DataFrame | None) -> pl.DataFrame:
    """One working frame: the batch plus earlier reports for context (``_hist``)."""
    cols = ["submission_id", "source_code", "series_code", "product_code", "region_code", "date"]
    cur = batch.with_row_index("_row").with_columns(*_codes(batch))
    raw = "price_value" if "price_value" in batch.columns else "value"
    cur = cur.select(
        pl.col("_row").cast(pl.Int64),
        *cols,
        pl.col("value").cast(pl.Float64),
        pl.col(raw).cast(pl.Float64).alias("quoted"),
        pl.col("flag_reason").is_not_null().alias("pre"),
        pl.lit(False).alias("_hist"),
    )
    if history is None or history.height == 0 or "value" not in history.columns:
        return _keys(cur)
    hist = _with_flag_columns(history).with_columns(*_codes(history))
    hist = hist.filter(~pl.col("submission_id").is_in(cur["submission_id"].implode()))
    hraw = "price_value" if "price_value" in history.columns else "value"
    hist = hist.select(
        pl.lit(-1, dtype=pl.Int64).alias("_row"),
        *(pl.col(c).cast(cur.schema[c]) for c in cols),
        pl.col("value").cast(pl.Float64),
        pl.col(hraw).cast(pl.Float64).alias("quoted"),
        (pl.col("flag_reason").is_not_null() | pl.col("excluded").fill_null(False)).alias("pre"),
        pl.lit(True).alias("_hist"),
    )
    return _keys(pl.concat([hist, cur]))


def _keys(work: pl.DataFrame) -> pl.DataFrame:
    """Integer keys: grouping on one Int64 is several times faster than on text + date."""
    ser = pl.col("series_code").cast(pl.Categorical).to_physical().cast(pl.Int64)
    src = pl.col("source_code").cast(pl.Categorical).to_physical().cast(pl.Int64)
    return work.with_columns(
        ser.alias("ser_i"),
        src.alias("src_i"),
        (ser * 1_000_000 + pl.col("date").cast(pl.Int32)).alias("sd"),
    )


def _macro_regions(ctx: RunContext, work: pl.DataFrame) -> dict[str, str]:
    """region code → macro-region (from ``ctx.params['macro_regions']`` or the catalog)."""
    given = ctx.params.get("macro_regions")
    if given:
        return dict(given)
    regions = getattr(ctx.catalog, "regions", None) or {}
    out: dict[str, str] = {}
    for code in work["region_code"].unique().drop_nulls().to_list():
        region = regions.get(code)
        macro = getattr(region, "macro_region", None) if region is not None else None
        if macro:
            out[code] = macro
    return out


# --------------------------------------------------------------------------- day level
def _day_centers(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """Robust center, MAD and count per series-day; residuals and the MAD test.

    Rows the range check flagged and values beyond ±``wild`` of the raw median are left out
    of the center and the MAD, so a day with a ×1000 slip is not masked.
    """
    v = pl.col("value")
    ok = ~pl.col("pre") & v.is_finite() & (v > 0)
    work = work.with_columns(ok.alias("ok"))
    work = work.with_columns(pl.when("ok").then(v).median().over("sd").alias("c0"))
    kept = pl.when(pl.col("ok") & ((v / pl.col("c0") - 1).abs() <= p.wild)).then(v)
    work = work.with_columns(
        kept.median().over("sd").alias("c"), kept.count().over("sd").cast(pl.Int32).alias("n_day")
    )
    work = work.with_columns((kept - pl.col("c")).abs().median().over("sd").alias("mad"))
    madf = pl.max_horizontal(pl.col("mad"), p.mad_floor * pl.col("c"))
    wild = pl.col("ok") & ((v / pl.col("c0") - 1).abs() > p.wild)
    z = 0.6745 * (v - pl.col("c")) / madf
    work = work.with_columns(wild.alias("wild"), (v / pl.col("c") - 1).alias("r"), z.alias("z"))
    z_out = (pl.col("n_day") >= 3) & (pl.col("z").abs() > p.mad_z)
    material = pl.col("r").abs() >= p.min_deviation
    flag = pl.col("ok") & ((z_out & material) | (pl.col("wild") & (pl.col("n_day") >= 2)))
    return work.with_columns(flag.fill_null(False).alias("f_mad"))


def _cross_section(work: pl.DataFrame, macro: dict[str, str], p: OutlierParams) -> pl.DataFrame:
    """Deviation from the macro-region median of the product after the rolling basis."""
    sd = (
        work.lazy()
        .filter(pl.col("c").is_not_null())
        .select("sd", "series_code", "date", "product_code", "region_code", "c")
        .unique("sd")
        .collect()
        .with_columns(
            pl.col("region_code")
            .replace_strict(macro, default=pl.col("region_code"), return_dtype=pl.Utf8)
            .alias("macro")
        )
    )
    grp = ["product_code", "macro", "date"]
    sd = sd.with_columns(pl.col("c").median().over(grp).alias("m_macro"))
    sd = (
        sd.sort(SERIES_DAY)
        .with_columns((pl.col("c") / pl.col("m_macro") - 1).alias("spread"))
        .with_columns(
            pl.col("spread")
            .shift(1)
            .rolling_median(p.xsec_basis_window, min_samples=p.xsec_basis_min_days)
            .over("series_code")
            .alias("basis")
        )
        .with_columns((pl.col("m_macro") * (1 + pl.col("basis"))).alias("expected"))
    )
    work = work.join(sd.select("sd", "m_macro", "basis", "expected"), on="sd", how="left")
    xdev = pl.col("value") / pl.col("expected") - 1
    # Reference for signature tests: the day median when it is robust (≥ 3 reports),
    # else the cross-sectional expectation.
    ref = (
        pl.when((pl.col("n_day") >= 3) | pl.col("expected").is_null())
        .then(pl.col("c"))
        .otherwise(pl.col("expected"))
    )
    return work.with_columns(xdev.alias("xdev"), ref.alias("ref")).with_columns(
        (pl.col("ok") & (pl.col("xdev").abs() > p.xsec_threshold)).fill_null(False).alias("f_xsec"),
        (pl.col("value") / pl.col("ref") - 1).alias("r_ref"),
    )


def _vat(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """Value ≈ reference ÷ 1.13 (ex-VAT sent as incl.) or × 1.13 (the reverse)."""
    ratio = pl.col("value") / pl.col("ref")
    vat = 1 + p.vat_rate
    hit = ((ratio * vat - 1).abs() < p.vat_tolerance) | ((ratio / vat - 1).abs() < p.vat_tolerance)
    return work.with_columns((pl.col("ok") & hit).fill_null(False).alias("f_vat"))


# --------------------------------------------------------------------------- own history
def _sequences(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """Stale repeats, Hampel, EWMA drift and jumps over each source × series sequence."""
    work = work.sort("src_i", "ser_i", "date", "submission_id")
    new_group = (pl.col("src_i") != pl.col("src_i").shift(1)) | (
        pl.col("ser_i") != pl.col("ser_i").shift(1)
    )
    work = work.with_columns(new_group.fill_null(True).cum_sum().alias("gid"))
    work = work.with_row_index("_key")
    work = _stale(work, p)
    work = _hampel(work, p)
    work = _drift(work, p)
    return _jumps(work, p)


def _stale(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """Runs of identical quotes while the day median moved since the value was first sent."""
    # Compare the number as quoted: conversions (e.g. FX) may change the standardized value.
    q = pl.col("quoted")
    prev = pl.when("ok").then(q).shift(1).forward_fill().over("gid")
    work = work.with_columns(prev.alias("_prevq"))
    same = pl.col("ok") & ((q - pl.col("_prevq")).abs() <= 1e-9 * q.abs())
    work = work.with_columns(same.fill_null(False).alias("same"))
    # Sorted by source × series × date: a run starts at every non-repeat, so one global
    # counter identifies runs (the first row of a run is the report being repeated).
    work = work.with_columns((~pl.col("same")).cum_sum().alias("run"))
    # Only runs with repeats matter: the repeats and the report they repeat.
    runs = work.filter(pl.col("same") | pl.col("same").shift(-1).fill_null(False))
    move = (pl.col("c") / pl.col("c").first() - 1).abs()
    runs = (
        runs.select("_key", "run", "same", "c", "r_ref")
        .with_columns(
            pl.col("same").sum().over("run").alias("n_repeats"), move.over("run").alias("_m")
        )
        .with_columns(pl.col("_m").filter(pl.col("same")).max().over("run").alias("run_move"))
    )
    # Flag the repeats that are off the reference by the same margin: earlier repeats of
    # the run are still true prices.
    stale = (
        pl.col("same")
        & (pl.col("n_repeats") >= p.stale_repeats)
        & (pl.col("run_move") >= p.stale_market_move)
        & (pl.col("r_ref").abs() >= p.stale_market_move)
    )
    runs = runs.select(
        "_key",
        "n_repeats",
        "run_move",
        pl.col("_m").alias("stale_move"),
        stale.fill_null(False).alias("f_stale"),
    )
    work = _attach(work, runs, ["n_repeats", "run_move", "stale_move", "f_stale"])
    return work.with_columns(pl.col("f_stale").fill_null(False))


def _row_nanmedian(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise median ignoring NaN (sort-based, fast) and the count of values."""
    s = np.sort(a, axis=1)
    cnt = np.sum(~np.isnan(a), axis=1)
    rows = np.arange(len(a))
    lo = np.clip((cnt - 1) // 2, 0, a.shape[1] - 1)
    hi = np.clip(cnt // 2, 0, a.shape[1] - 1)
    med = (s[rows, lo] + s[rows, hi]) / 2.0
    med[cnt == 0] = np.nan
    return med, cnt


def _hampel(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """Hampel filter on the source's relative residual over its last ``window`` reports."""
    mask = pl.col("ok") & ~pl.col("wild") & ~pl.col("f_vat") & ~pl.col("f_stale")
    sub = work.filter(mask).select("_key", "gid", "r_ref")
    gid = sub["gid"].to_numpy()
    r = sub["r_ref"].to_numpy().astype(np.float64)
    w = p.hampel_window
    # Column k holds the report k back in the same sequence (NaN across group boundaries):
    # ``sub`` is in sequence order, so that is the case when k ≤ the row's position in it.
    n = len(r)
    lags = np.empty((0, w))
    if n:
        starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
        pos = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
        padded = np.concatenate([np.full(w - 1, np.nan), r])
        back = np.lib.stride_tricks.sliding_window_view(padded, w)[:, ::-1]  # r_i, r_i-1, …
        lags = np.where(np.arange(w)[None, :] <= pos[:, None], back, np.nan)
    med, cnt = _row_nanmedian(lags)
    mad, _ = _row_nanmedian(np.abs(lags - med[:, None]))
    thr = p.hampel_k * 1.4826 * np.maximum(mad, p.hampel_floor)
    spike = (cnt >= p.hampel_min_reports) & (np.abs(r - med) > thr)
    res = pl.DataFrame({"_key": sub["_key"], "h_med": med, "h_thr": thr, "h_spike": spike})
    work = _attach(work, res, ["h_med", "h_thr", "h_spike"])
    work = work.with_columns(pl.col("h_spike").fill_null(False))
    material = pl.col("r_ref").abs() >= p.min_deviation
    return work.with_columns((pl.col("h_spike") & material).fill_null(False).alias("f_hampel"))


def _drift(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """EWMA of the source's relative residual (all its series, in date order) beyond the
    threshold for ``sustain`` reports in a row; the report itself, and the EWMA of its own
    series, must lean the same way by at least ``drift_own_residual``."""
    mask = (
        pl.col("ok")
        & ~pl.col("wild")
        & ~pl.col("f_vat")
        & ~pl.col("f_stale")
        & ~pl.col("h_spike")
        & pl.col("r_ref").is_not_null()
    )
    ewm = pl.col("r_ref").ewm_mean(span=p.drift_span, adjust=False)
    # ``work`` is in source × series × date order: first the EWMA per series of the source
    # (a source can drift on some series only), then over all its series in date order.
    sub = (
        work.lazy()
        .filter(mask)
        .select("_key", "gid", "src_i", "date", "ser_i", "submission_id", "r_ref")
        .with_columns(ewm.over("gid").alias("ewma_series"))
        .collect()
    )
    sub = _by_source_date(sub).with_columns(ewm.over("src_i").alias("ewma"))
    above = pl.col("ewma").abs() > p.drift_threshold
    sub = sub.with_columns(pl.when(above).then(pl.col("ewma").sign()).otherwise(0).alias("_side"))
    brk = (pl.col("_side") != pl.col("_side").shift(1)) | (
        pl.col("src_i") != pl.col("src_i").shift(1)
    )
    sub = sub.with_columns(brk.fill_null(True).cum_sum().alias("_streak")).with_columns(
        (pl.int_range(pl.len()).over("_streak") + 1).alias("streak")
    )
    work = _attach(work, sub, ["ewma", "ewma_series", "_side", "streak"])
    drift = (
        (pl.col("_side") != 0)
        & (pl.col("streak") >= p.drift_sustain)
        & (pl.col("r_ref").sign() == pl.col("_side"))
        & (pl.col("r_ref").abs() > p.drift_own_residual)
        & (pl.col("ewma_series").sign() == pl.col("_side"))
        & (pl.col("ewma_series").abs() > p.drift_own_residual)
    )
    return work.with_columns(drift.fill_null(False).alias("f_drift"))


def _by_source_date(seq: pl.DataFrame) -> pl.DataFrame:
    """``seq`` (in source × series × date × submission order) re-sorted to source × date ×
    series × submission. A stable sort on one packed (source, date) key gives that order,
    since ties keep their series × submission order; with nulls in the keys, the full sort."""
    if seq.select(pl.any_horizontal(pl.col("src_i", "date").is_null().any())).item():
        return seq.sort("src_i", "date", "ser_i", "submission_id")
    packed = pl.col("src_i").cast(pl.UInt64) * (1 << 32) + (
        pl.col("date").cast(pl.Int64) + (1 << 31)
    ).cast(pl.UInt64)
    return seq.sort(packed, maintain_order=True)


def _jumps(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """Change vs the source's previous accepted report, against the market's change."""
    clean = ~(
        pl.col("wild")
        | pl.col("f_mad")
        | pl.col("f_vat")
        | pl.col("f_stale")
        | pl.col("f_hampel")
        | pl.col("f_drift")
        | pl.col("f_xsec")
    )
    ref_ok = pl.col("ok") & clean
    prev = pl.when(ref_ok).then(pl.col("value")).shift(1).forward_fill().over("gid")
    prev_c = pl.when(ref_ok).then(pl.col("c")).shift(1).forward_fill().over("gid")
    prev_d = pl.when(ref_ok).then(pl.col("date")).shift(1).forward_fill().over("gid")
    work = work.with_columns(
        prev.alias("prev"), prev_c.alias("prev_c"), prev_d.alias("prev_date")
    ).with_columns(
        (pl.col("value") / pl.col("prev") - 1).alias("own"),
        (pl.col("c") / pl.col("prev_c") - 1).alias("mkt"),
    )
    rel = (1 + pl.col("own")) / (1 + pl.col("mkt")) - 1
    quiet = pl.col("mkt").abs() < p.jump_quiet_market
    return work.with_columns(rel.alias("rel")).with_columns(
        (pl.col("ok") & quiet & (pl.col("own").abs() > p.jump_own))
        .fill_null(False)
        .alias("f_jump_own"),
        (pl.col("ok") & ~quiet & (pl.col("rel").abs() > p.jump_own))
        .fill_null(False)
        .alias("f_jump_mkt"),
    )


# --------------------------------------------------------------------------- model based
FLAG_COLS = (
    "f_mad",
    "f_xsec",
    "f_vat",
    "f_stale",
    "f_hampel",
    "f_drift",
    "f_jump_own",
    "f_jump_mkt",
)


def _isolation_forest(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """IsolationForest over residual features; flags only top-share candidates with |r| > 1.5 %."""
    feats = [
        pl.col("r_ref"),
        pl.col("rel"),
        pl.col("xdev"),
        (pl.col("value") / pl.col("prev")).log(),
    ]
    x_expr = [
        f.fill_null(0.0).fill_nan(0.0).clip(-0.5, 0.5).alias(f"x{i}") for i, f in enumerate(feats)
    ]
    any_flag = pl.any_horizontal(*FLAG_COLS)
    # Only the feature inputs are filtered (the sample depends on the row order only).
    inputs = ["r_ref", "rel", "xdev", "value", "prev"]
    base = work.lazy().filter(pl.col("ok") & ~pl.col("wild")).select(inputs).collect()
    cand_mask = (
        ~pl.col("_hist")
        & pl.col("ok")
        & ~any_flag
        & (pl.col("r_ref").abs() > max(p.if_min_residual, p.min_deviation))
    )
    cand = work.lazy().filter(cand_mask).select("_key", *inputs).collect()
    if base.height < p.if_min_rows or cand.height == 0:
        return work.with_columns(
            pl.lit(False).alias("f_if"), pl.lit(None, pl.Float64).alias("if_s")
        )
    from sklearn.ensemble import IsolationForest

    sample = base.sample(min(p.if_sample, base.height), seed=p.if_seed, shuffle=True)
    xs = sample.select(x_expr).to_numpy()
    model = IsolationForest(n_estimators=100, contamination="auto", random_state=p.if_seed)
    model.fit(xs)
    fit_scores = -model.score_samples(xs)
    # Top share of the scores, and never below the model's own "auto" outlier cut (0.5),
    # so a clean market does not lose its most extreme honest reports.
    thr = max(float(np.quantile(fit_scores, 1 - p.if_top_share)), -float(model.offset_))
    scores = -model.score_samples(cand.select(x_expr).to_numpy())
    res = pl.DataFrame(
        {"_key": cand["_key"], "if_s": scores / thr, "f_if": scores >= thr},
        schema={"_key": work.schema["_key"], "if_s": pl.Float64, "f_if": pl.Boolean},
    )
    work = _attach(work, res, ["if_s", "f_if"])
    return work.with_columns(pl.col("f_if").fill_null(False))


def _region_suspect(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """A flagged report far from its own region that matches another region's median."""
    generic = pl.any_horizontal("f_mad", "f_xsec", "f_hampel", "f_jump_own", "f_jump_mkt", "f_if")
    cand = (
        work.lazy()
        .filter(
            generic
            & ~pl.col("f_vat")
            & ~pl.col("f_stale")
            & ~pl.col("f_drift")
            & (pl.col("r_ref").abs() >= p.region_min_deviation)
        )
        .select("_key", "product_code", "series_code", "date", "value")
        .collect()
    )
    empty = work.with_columns(
        pl.lit(False).alias("f_region"),
        pl.lit(None, pl.Utf8).alias("other_region"),
        pl.lit(None, pl.Float64).alias("other_c"),
    )
    if cand.height == 0:
        return empty
    others = (
        work.lazy()
        .filter(pl.col("c").is_not_null())
        .select("product_code", "date", "series_code", "region_code", "c")
        .unique(SERIES_DAY)
        .rename({"series_code": "other_series", "region_code": "other_region", "c": "other_c"})
        .collect()
    )
    match = (
        cand.join(others, on=["product_code", "date"], how="inner")
        .filter(pl.col("other_series") != pl.col("series_code"))
        .with_columns((pl.col("value") / pl.col("other_c") - 1).abs().alias("_d"))
        .sort("_key", "_d", "other_series")  # ties: the first region by code
        .group_by("_key", maintain_order=True)
        .first()
        .filter(pl.col("_d") < p.region_match)
        .select("_key", "other_region", "other_c", pl.lit(True).alias("f_region"))
    )
    work = _attach(work, match, ["other_region", "other_c", "f_region"])
    return work.with_columns(pl.col("f_region").fill_null(False))


# --------------------------------------------------------------------------- reasons
def _fmt(x: pl.Expr) -> pl.Expr:
    """3650 → '3,650'; 105.35 → '105.35'."""
    big = x.abs().round(0).cast(pl.Int64).cast(pl.Utf8)
    grouped = big.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.reverse()
    grouped = grouped.str.strip_chars_start(",")
    sign = pl.when(x < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return (
        pl.when(x.abs() >= 1000)
        .then(pl.concat_str(sign, grouped))
        .otherwise(x.round(2).cast(pl.Utf8))
    )


def _pct(x: pl.Expr, digits: int = 1) -> pl.Expr:
    """0.082 → '+8.2%'."""
    v = (x * 100).round(digits)
    sign = pl.when(v >= 0).then(pl.lit("+")).otherwise(pl.lit(""))
    return pl.concat_str(sign, v.cast(pl.Utf8), pl.lit("%"))


def _num(x: pl.Expr, digits: int = 1) -> pl.Expr:
    return x.round(digits).cast(pl.Utf8)


def _details(p: OutlierParams) -> dict[str, tuple[pl.Expr, pl.Expr, pl.Expr]]:
    """reason → (zh detail, en detail, score) expressions over the working frame."""
    c, v = _fmt(pl.col("c")), _fmt(pl.col("value"))
    r, rr = _pct(pl.col("r")), _pct(pl.col("r_ref"))
    hdev = pl.col("r_ref") - pl.col("h_med")
    date_s = pl.col("prev_date").dt.strftime("%Y-%m-%d")
    return {
        "mad_outlier": (
            pl.format("当日中位数 {}，偏离 {}（{} vs {}），稳健z={}", c, r, v, c,
                      _num(pl.col("z"))),
            pl.format("day median {}, off by {} ({} vs {}), modified z {}", c, r, v, c,
                      _num(pl.col("z"))),
            pl.when(pl.col("wild") & (pl.col("z").abs() <= p.mad_z))
            .then(pl.col("r").abs() / p.wild)
            .otherwise(pl.col("z").abs() / p.mad_z),
        ),
        "cross_sectional": (
            pl.format("预期 {}（同区域中位数 {}，地区价差 {}），偏离 {}", _fmt(pl.col("expected")),
                      _fmt(pl.col("m_macro")), _pct(pl.col("basis")), _pct(pl.col("xdev"))),
            pl.format("expected {} (macro-region median {}, regional basis {}), off by {}",
                      _fmt(pl.col("expected")), _fmt(pl.col("m_macro")), _pct(pl.col("basis")),
                      _pct(pl.col("xdev"))),
            pl.col("xdev").abs() / p.xsec_threshold,
        ),
        "hampel_outlier": (
            pl.format("相对参考价 {}，该来源近{}次惯常 {}，阈值 ±{}", rr, pl.lit(p.hampel_window),
                      _pct(pl.col("h_med")), _pct(pl.col("h_thr")).str.strip_chars_start("+")),
            pl.format("{} vs the reference, the source's usual {} over its last {} reports, "
                      "threshold ±{}", rr, _pct(pl.col("h_med")), pl.lit(p.hampel_window),
                      _pct(pl.col("h_thr")).str.strip_chars_start("+")),
            hdev.abs() / pl.col("h_thr"),
        ),
        "jump_vs_own_history": (
            pl.format("较上次报价 {}（{}）变动 {}，市场变动 {}", _fmt(pl.col("prev")), date_s,
                      _pct(pl.col("own")), _pct(pl.col("mkt"))),
            pl.format("{} vs its previous report {} ({}), market {}", _pct(pl.col("own")),
                      _fmt(pl.col("prev")), date_s, _pct(pl.col("mkt"))),
            pl.col("own").abs() / p.jump_own,
        ),
        "jump_vs_market": (
            pl.format("较上次报价 {}（{}）变动 {}，市场变动 {}，相对市场 {}", _fmt(pl.col("prev")),
                      date_s, _pct(pl.col("own")), _pct(pl.col("mkt")), _pct(pl.col("rel"))),
            pl.format("{} vs its previous report {} ({}) while the market moved {}: {} against "
                      "the market", _pct(pl.col("own")), _fmt(pl.col("prev")), date_s,
                      _pct(pl.col("mkt")), _pct(pl.col("rel"))),
            pl.col("rel").abs() / p.jump_own,
        ),
        "stale_repeat": (
            pl.format("连续 {} 次重复报 {}，其间当日中位数变动 {}，现为 {}", pl.col("n_repeats"), v,
                      _pct(pl.col("run_move")).str.strip_chars_start("+"), c),
            pl.format("the same {} repeated {} times while the day median moved {}, now {}", v,
                      pl.col("n_repeats"), _pct(pl.col("run_move")).str.strip_chars_start("+"),
                      c),
            pl.col("run_move") / p.stale_market_move,
        ),
        "source_drift": (
            pl.format("该来源相对偏差的EWMA为 {}，已连续 {} 次超过 ±{}；本次偏离 {}",
                      _pct(pl.col("ewma")), pl.col("streak"),
                      _pct(pl.lit(p.drift_threshold)).str.strip_chars_start("+"), rr),
            pl.format("EWMA of the source's relative residual {} for {} reports in a row (limit "
                      "±{}); this report {}", _pct(pl.col("ewma")), pl.col("streak"),
                      _pct(pl.lit(p.drift_threshold)).str.strip_chars_start("+"), rr),
            pl.col("ewma").abs() / p.drift_threshold,
        ),
        "vat_basis_suspect": (
            pl.format("{} 与参考价 {} 之比为 {}（≈1/1.13 或 1.13）", v, _fmt(pl.col("ref")),
                      (pl.col("value") / pl.col("ref")).round(3).cast(pl.Utf8)),
            pl.format("{} over the reference {} is {} (≈1/1.13 or 1.13)", v, _fmt(pl.col("ref")),
                      (pl.col("value") / pl.col("ref")).round(3).cast(pl.Utf8)),
            pl.col("r_ref").abs() / p.xsec_threshold,
        ),
        "region_suspect": (
            pl.format("偏离本地参考价 {} {}，接近 {} 当日中位数 {}", _fmt(pl.col("ref")),
                      _pct(pl.col("r_ref")), pl.col("other_region"), _fmt(pl.col("other_c"))),
            pl.format("{} off the local reference {}, close to {}'s day median {}",
                      _pct(pl.col("r_ref")), _fmt(pl.col("ref")), pl.col("other_region"),
                      _fmt(pl.col("other_c"))),
            pl.col("r_ref").abs() / p.region_min_deviation,
        ),
        "isolation_forest": (
            pl.format("异常得分为阈值的 {} 倍（前{}），偏离当日中位数 {}", _num(pl.col("if_s"), 2),
                      _pct(pl.lit(p.if_top_share)).str.strip_chars_start("+"), r),
            pl.format("anomaly score {}× the top-{} threshold, {} vs the day median",
                      _num(pl.col("if_s"), 2),
                      _pct(pl.lit(p.if_top_share)).str.strip_chars_start("+"), r),
            pl.col("if_s"),
        ),
    }  # fmt: skip


FLAG_OF = {
    "stale_repeat": "f_stale",
    "vat_basis_suspect": "f_vat",
    "region_suspect": "f_region",
    "source_drift": "f_drift",
    "mad_outlier": "f_mad",
    "cross_sectional": "f_xsec",
    "hampel_outlier": "f_hampel",
    "jump_vs_own_history": "f_jump_own",
    "jump_vs_market": "f_jump_mkt",
    "isolation_forest": "f_if",
}


def _primary(work: pl.DataFrame, p: OutlierParams) -> pl.DataFrame:
    """One primary reason per flagged batch row, with message and score (``_row`` keyed)."""
    schema = {"_row": pl.Int64, "reason": pl.Utf8, "message": pl.Utf8, "score": pl.Float64}
    if work.height == 0 or "f_mad" not in work.columns:
        return pl.DataFrame(schema=schema)
    reason = pl.lit(None, dtype=pl.Utf8)
    for code in reversed(DETECTORS):
        reason = pl.when(pl.col(FLAG_OF[code])).then(pl.lit(code)).otherwise(reason)
    # Batch rows only (history is context), and only the flagged ones get a message.
    flagged = (
        work.lazy()
        .filter(~pl.col("_hist") & pl.any_horizontal(list(FLAG_OF.values())))
        .with_columns(reason.alias("reason"))
        .collect()
    )
    if flagged.height == 0:
        return pl.DataFrame(schema=schema)
    details = _details(p)
    # Each reason's message template runs on its own rows only (the rows are keyed by
    # ``_row``, so their order does not matter).
    parts = [
        flagged.filter(~pl.col("reason").is_in(list(details))).select(
            "_row",
            "reason",
            pl.lit(None, dtype=pl.Utf8).alias("message"),
            pl.lit(None, dtype=pl.Float64).alias("score"),
        )
    ]
    for code, (zh, en, sc) in details.items():
        mine = flagged.filter(pl.col("reason") == code)
        if mine.height == 0:
            continue
        msg = reasons.message_expr(
            code, row=pl.lit(None), value=_fmt(pl.col("value")), detail_zh=zh, detail_en=en
        )
        parts.append(
            mine.select(
                "_row",
                "reason",
                msg.cast(pl.Utf8).alias("message"),
                sc.round(3).cast(pl.Float64).alias("score"),
            )
        )
    return pl.concat(parts)


def _merge(batch: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
    """Batch rows with their flags; range-check flags from standardization are kept."""
    idx = flags["_row"]  # the row position in ``batch``
    out = batch.with_columns(
        [
            pl.repeat(None, batch.height, dtype=flags.schema[c], eager=True)
            .scatter(idx, flags[c])
            .alias(c)
            for c in ("reason", "message", "score")
        ]
    )
    pre = pl.col("flag_reason").is_not_null()
    return out.with_columns(
        pl.when(pre).then(pl.col("flag_reason")).otherwise(pl.col("reason")).alias("flag_reason"),
        pl.when(pre)
        .then(pl.col("flag_message"))
        .otherwise(pl.col("message"))
        .alias("flag_message"),
        pl.when(pre).then(pl.col("flag_score")).otherwise(pl.col("score")).alias("flag_score"),
        pl.when(pre)
        .then(pl.col("excluded").fill_null(True))
        .otherwise(pl.col("reason").is_not_null())
        .alias("excluded"),
    ).drop("reason", "message", "score")


def _apply_overrides(
    out: pl.DataFrame, overrides: pl.DataFrame | None
) -> tuple[pl.DataFrame, int, int]:
    """Editors' decisions: accept ⇒ included (flag kept), reject ⇒ excluded."""
    if overrides is None or overrides.height == 0:
        return out, 0, 0
    bad = set(overrides["action"].unique().to_list()) - {"accept", "reject"}
    if bad:
        raise ValueError(
            f"编辑决定只能是 accept 或 reject，收到 {sorted(bad)} / override actions must be "
            f"'accept' or 'reject', got {sorted(bad)}"
        )
    ov = overrides.select(
        pl.col("submission_id").cast(out.schema["submission_id"]), pl.col("action").alias("_act")
    ).unique("submission_id", keep="last")
    out = out.join(ov, on="submission_id", how="left")
    accept = pl.col("_act") == "accept"
    reject = pl.col("_act") == "reject"
    flagged = pl.col("flag_reason").is_not_null()
    zh, en = EDITOR_REJECTED
    old = pl.col("flag_message").fill_null("")
    rejected_msg = pl.concat_str(
        pl.lit(f"{zh} / {en}"),
        pl.when(flagged).then(pl.concat_str(pl.lit("；原标记 / was: "), old)).otherwise(pl.lit("")),
    )
    n_accept = out.filter(accept.fill_null(False)).height
    n_reject = out.filter(reject.fill_null(False)).height
    out = out.with_columns(
        pl.when(reject).then(pl.lit("editor_rejected")).otherwise(pl.col("flag_reason"))
        .alias("flag_reason"),
        pl.when(reject)
        .then(rejected_msg)
        .when(accept & flagged)
        .then(pl.concat_str(old, pl.lit(EDITOR_ACCEPTED)))
        .otherwise(pl.col("flag_message"))
        .alias("flag_message"),
        pl.when(reject).then(True).when(accept).then(False).otherwise(pl.col("excluded"))
        .alias("excluded"),
    ).drop("_act")  # fmt: skip
    return out, n_accept, n_reject
