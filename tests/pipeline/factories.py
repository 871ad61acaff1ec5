"""Test helpers for stages 6–8: a synthetic standardized frame with planted errors.

``planted_market()`` draws a small market (a few products over several regions, 40
sources each covering a handful of series, ~120 trading days) the way the demo generator
does (source bias 0.1–0.3 %, data-type offsets, noise 0.3 % × reliability, 5–8 reports a
day, 12–30 on benchmarks, quotes rounded like real ones) and plants the error types the
outlier stage must catch. Labels say which ``submission_id`` carries which error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

# series code -> (basis % vs the product level, reports/day (lo, hi), rounding step)
SERIES: dict[str, tuple[float, tuple[int, int], float]] = {
    "rebar.shanghai": (0.0, (20, 30), 10.0),
    "rebar.hangzhou": (1.0, (5, 8), 10.0),
    "rebar.nanjing": (-0.3, (5, 8), 10.0),
    "rebar.hefei": (-0.6, (5, 8), 10.0),
    "rebar.jinan": (-1.6, (5, 8), 10.0),
    "rebar.beijing": (-1.7, (5, 8), 10.0),
    "rebar.tianjin": (-2.6, (5, 8), 10.0),
    "rebar.tangshan": (-4.3, (5, 8), 10.0),
    "rebar.guangzhou": (5.2, (5, 8), 10.0),
    "hrc.shanghai": (0.0, (12, 20), 10.0),
    "hrc.hangzhou": (0.4, (5, 8), 10.0),
    "hrc.tianjin": (-1.6, (5, 8), 10.0),
    "hrc.tangshan": (-2.2, (5, 8), 10.0),
    "pb_fines.qingdao_port": (0.0, (5, 8), 1.0),
    "pb_fines.rizhao_port": (-0.6, (5, 8), 1.0),
    "pb_fines.tianjin_port": (0.8, (5, 8), 1.0),
    "iron_ore_62.cfr_china": (0.0, (12, 20), 0.05),
}
LEVELS = {"rebar": 3550.0, "hrc": 3700.0, "pb_fines": 790.0, "iron_ore_62": 105.0}
MACRO = {
    "shanghai": "华东",
    "hangzhou": "华东",
    "nanjing": "华东",
    "hefei": "华东",
    "jinan": "华东",
    "beijing": "华北",
    "tianjin": "华北",
    "tangshan": "华北",
    "guangzhou": "华南",
    "qingdao_port": "华东",
    "rizhao_port": "华东",
    "tianjin_port": "华北",
}
DATA_TYPES = ("deal", "offer", "bid", "indication")
TYPE_SHARE = (0.45, 0.25, 0.15, 0.15)
TYPE_OFFSET = {"deal": 0.0, "offer": 0.0015, "bid": -0.0015, "indication": 0.0}
ERROR_TYPES = ("unit_slip", "transposition", "stale", "vat", "wrong_region", "drift")


@dataclass
class PlantedMarket:
    frame: pl.DataFrame  # the standardized frame (range-check flags already set)
    labels: pl.DataFrame  # submission_id, error_type
    truth: pl.DataFrame  # series_code, date, true_mid


def trading_days(start: date, n: int) -> list[date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def _truth(rng: np.random.Generator, series: list[str], n_days: int) -> dict[str, np.ndarray]:
    """Product levels: random walks with regime drifts; series add a slowly moving basis."""
    levels: dict[str, np.ndarray] = {}
    for product, start in LEVELS.items():
        vol = 0.012 if product in ("iron_ore_62", "pb_fines") else 0.009
        regime = np.repeat(rng.normal(0, 0.002, n_days // 15 + 1), 15)[:n_days]
        levels[product] = start * np.exp(np.cumsum(rng.normal(0, vol, n_days) + regime))
    levels["pb_fines"] = (
        levels["iron_ore_62"] / 105.0 * 790.0 * np.exp(np.cumsum(rng.normal(0, 0.002, n_days)))
    )
    out = {}
    for code in series:
        product = code.split(".")[0]
        basis = SERIES[code][0] / 100 + np.cumsum(rng.normal(0, 0.0004, n_days))
        out[code] = levels[product] * (1 + basis)
    return out


def _quote(x: np.ndarray, step: np.ndarray) -> np.ndarray:
    return np.round(np.round(x / step) * step, 2)


def planted_market(
    *,
    n_days: int = 120,
    n_sources: int = 40,
    seed: int = 7,
    errors: bool = True,
    series: list[str] | None = None,
    start: date = date(2024, 3, 1),
) -> PlantedMarket:
    """A standardized frame with known planted errors (see module docstring)."""
    rng = np.random.default_rng(seed)
    series = series or list(SERIES)
    days = trading_days(start, n_days)
    truth = _truth(rng, series, n_days)

    reliability = np.clip(rng.lognormal(0.0, 0.3, n_sources), 0.6, 1.8)
    bias = rng.uniform(0.001, 0.003, n_sources) * rng.choice([-1, 1], n_sources)
    cred = np.round(np.clip(1.0 + 0.8 * (1.0 - reliability) + rng.normal(0, 0.15, n_sources),
                            0.5, 1.5), 2)  # fmt: skip
    codes = np.array([f"S{i + 1:04d}" for i in range(n_sources)])

    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("series", "day", "src", "dtype", "x")}
    for k, code in enumerate(series):
        lo, hi = SERIES[code][1]
        pool = rng.choice(n_sources, min(n_sources, int(hi * 1.3) + 2), replace=False)
        counts = np.clip(rng.integers(lo, hi + 1, n_days), 1, len(pool))
        keys = rng.random((n_days, len(pool)))
        order = np.argsort(keys, axis=1)
        take = np.arange(len(pool))[None, :] < counts[:, None]
        src = pool[order][take]
        day = np.repeat(np.arange(n_days), counts)
        dtype = rng.choice(4, len(day), p=TYPE_SHARE)
        noise = 0.0035 if code.startswith(("iron_ore", "pb_fines")) else 0.003
        offset = np.array([TYPE_OFFSET[t] for t in DATA_TYPES])[dtype]
        rel = bias[src] + offset + rng.standard_normal(len(day)) * noise * reliability[src]
        cols["series"].append(np.full(len(day), k))
        cols["day"].append(day)
        cols["src"].append(src)
        cols["dtype"].append(dtype)
        cols["x"].append(truth[code][day] * (1 + rel))
    sidx = np.concatenate(cols["series"])
    day = np.concatenate(cols["day"])
    src = np.concatenate(cols["src"])
    dtype = np.concatenate(cols["dtype"])
    x = np.concatenate(cols["x"])
    steps = np.array([SERIES[c][2] for c in series])[sidx]
    order = np.lexsort((src, sidx, day))
    sidx, day, src, dtype, x, steps = (a[order] for a in (sidx, day, src, dtype, x, steps))
    n = len(x)
    err = np.array([""] * n, dtype=object)
    if errors:
        x = _plant(rng, x, err, sidx, day, src, series, truth, n_sources)
    value = np.where(err == "unit_slip", x, _quote(x, steps))
    frame = _frame(series, days, sidx, day, src, dtype, value, codes, cred, rng)
    out_of_range = err == "unit_slip"
    oor = pl.Series("excluded", out_of_range)
    frame = frame.with_columns(
        oor,
        pl.when(oor).then(pl.lit("out_of_range")).alias("flag_reason"),
        pl.when(oor)
        .then(pl.lit("超出该品种的合理价格区间 / outside the plausible range"))
        .alias("flag_message"),
        pl.when(oor).then(pl.lit(1.0)).alias("flag_score"),
    )
    labels = pl.DataFrame(
        {"submission_id": frame["submission_id"], "error_type": pl.Series(err, dtype=pl.Utf8)}
    ).filter(pl.col("error_type") != "")
    truth_frame = pl.DataFrame(
        {
            "series_code": np.repeat(series, n_days),
            "date": pl.Series(days * len(series), dtype=pl.Date),
            "true_mid": np.concatenate([truth[c] for c in series]),
        }
    )
    return PlantedMarket(frame=frame, labels=labels, truth=truth_frame)


def _frame(series, days, sidx, day, src, dtype, value, codes, cred, rng) -> pl.DataFrame:
    n = len(value)
    series_arr = np.array(series)[sidx]
    product = np.array([s.split(".")[0] for s in series])[sidx]
    region = np.array([s.split(".")[1] for s in series])[sidx]
    dt = np.array(DATA_TYPES)[dtype]
    volume = np.where(dt == "deal", np.round(rng.lognormal(np.log(300), 0.8, n), -1), np.nan)
    unit = np.where(product == "iron_ore_62", "USD_DMT_CFR",
                    np.where(product == "pb_fines", "CNY_WMT_VAT", "CNY_T_VAT"))  # fmt: skip
    date_s = pl.Series("date", days, dtype=pl.Date).gather(pl.Series(day))
    return pl.DataFrame(
        {
            "submission_id": np.arange(1, n + 1, dtype=np.int64),
            "report_id": [f"R{i:07d}" for i in range(1, n + 1)],
            "source_code": codes[src],
            "source_type": np.full(n, "trader"),
            "source_weight": cred[src],
            "product_code": product,
            "region_code": region,
            "series_code": series_arr,
            "date": date_s,
            "data_type": dt,
            "unit_code": unit,
            "tax_basis_code": np.full(n, "incl"),
            "weight_basis_code": pl.Series([None] * n, dtype=pl.Utf8),
            "price_low": value,
            "price_high": value,
            "price_value": value,
            "volume_t": volume,
            "spec_attrs": np.full(n, json.dumps({})),
            "value": value,
            "std_adjustments": np.full(n, ""),
        }
    ).with_columns(pl.col("volume_t").fill_nan(None))


def _plant(rng, x, err, sidx, day, src, series, truth, n_sources) -> np.ndarray:
    """Plant the demo's error types into ``x`` (in place on ``err``); returns the new x."""
    x = x.copy()
    n = len(x)
    n_days = int(day.max()) + 1
    drifting = np.zeros(n, dtype=bool)  # inside a drift window: no other error there

    # A drifting source: its bias grows linearly to +6–10 % over 60–120 days on every series
    # it covers, then resets; labelled where the drift exceeds 2 % (as the demo does).
    for s in rng.choice(n_sources, 1, replace=False):
        length = int(rng.integers(60, max(61, min(121, n_days - 1))))
        begin = int(rng.integers(0, max(1, n_days - 1 - length)))
        top = rng.uniform(0.06, 0.10)
        rows = np.flatnonzero((src == s) & (day >= begin) & (day <= begin + length))
        drift = top * (day[rows] - begin) / length
        x[rows] *= 1 + drift
        err[rows[drift > 0.02]] = "drift"
        drifting[rows] = True

    def clean() -> np.ndarray:
        return np.flatnonzero((err == "") & ~drifting)

    # Stale repeats: 3–8 reports repeating the value while the market moves ≥ 2 %.
    n_stale = max(4, n // 1500)
    tries = 0
    while n_stale and tries < 2000:
        tries += 1
        i = int(rng.choice(clean()))
        rows = np.flatnonzero((src == src[i]) & (sidx == sidx[i]) & (day >= day[i]))[:9]
        k = int(rng.integers(3, 9))
        if len(rows) < k + 1 or np.any(err[rows] != "") or np.any(drifting[rows]):
            continue
        mkt = truth[series[sidx[i]]]
        if abs(mkt[day[rows[k]]] / mkt[day[rows[0]]] - 1) < 0.02:
            continue
        x[rows[1 : k + 1]] = x[rows[0]]
        # Labelled where the repeated value is ≥ 1.5 % off the truth (as the demo does).
        off = np.abs(x[rows[0]] / mkt[day[rows[1 : k + 1]]] - 1) >= 0.015
        err[rows[1 : k + 1][off]] = "stale"
        drifting[rows[1 : k + 1]] = True  # keep other errors off the run
        n_stale -= 1

    # Unit slips ×1000 / ÷1000 (the range check of standardization flags them).
    idx = rng.choice(clean(), max(3, n // 500), replace=False)
    x[idx] *= np.where(rng.random(len(idx)) < 0.5, 1000.0, 0.001)
    err[idx] = "unit_slip"

    # Digit transpositions moving the quote by ≥ 2 %.
    want, placed = max(5, n // 250), 0
    for i in rng.permutation(clean()):
        if placed >= want:
            break
        swapped = _transpose(x[i], rng)
        if swapped is not None and abs(swapped / x[i] - 1) >= 0.02:
            x[i] = swapped
            err[i] = "transposition"
            placed += 1

    # VAT mix-ups: an ex-VAT price sent as incl. VAT (≈ −11.5 %).
    steel = np.array([not series[k].startswith(("iron_ore", "pb_")) for k in sidx])
    idx = rng.choice(np.intersect1d(clean(), np.flatnonzero(steel)), max(3, n // 350), False)
    x[idx] /= 1.13
    err[idx] = "vat"

    # Wrong region: the price of another region of the same product (basis ≥ 3 % away).
    want, placed = max(3, n // 350), 0
    for i in rng.permutation(clean()):
        if placed >= want:
            break
        code = series[sidx[i]]
        product = code.split(".")[0]
        others = [
            c
            for c in series
            if c.split(".")[0] == product
            and c != code
            and abs(truth[c][day[i]] / truth[code][day[i]] - 1) >= 0.03
        ]
        if not others:
            continue
        other = others[int(rng.integers(len(others)))]
        x[i] = truth[other][day[i]] * x[i] / truth[code][day[i]]
        err[i] = "wrong_region"
        placed += 1
    return x


def _transpose(value: float, rng: np.random.Generator) -> float | None:
    digits = list(str(round(value)))
    if len(digits) < 3:
        return None
    j = int(rng.integers(0, len(digits) - 2))  # never the last digit: that moves < 1 %
    if digits[j] == digits[j + 1]:
        return None
    digits[j], digits[j + 1] = digits[j + 1], digits[j]
    if digits[0] == "0":
        return None
    return float("".join(digits)) + (value - round(value))


def precision_recall(flagged_ids: pl.Series, labels: pl.DataFrame) -> tuple[float, float]:
    """Precision and recall of a set of flagged submission ids against planted labels."""
    flagged = set(flagged_ids.to_list())
    planted = set(labels["submission_id"].to_list())
    tp = len(flagged & planted)
    precision = tp / len(flagged) if flagged else 0.0
    recall = tp / len(planted) if planted else 1.0
    return precision, recall


def recall_by_type(flagged_ids: pl.Series, labels: pl.DataFrame) -> dict[str, float]:
    flagged = set(flagged_ids.to_list())
    out = {}
    for (etype,), part in labels.group_by(["error_type"]):
        ids = part["submission_id"].to_list()
        out[etype] = sum(i in flagged for i in ids) / len(ids)
    return dict(sorted(out.items()))


def reports(rows: list[dict], **defaults: object) -> pl.DataFrame:
    """A small standardized/flagged frame from dicts; missing columns get sensible defaults."""
    base = {
        "source_code": "S0001",
        "source_type": "trader",
        "source_weight": 1.0,
        "data_type": "deal",
        "volume_t": None,
        "flag_reason": None,
        "flag_message": None,
        "flag_score": None,
        "excluded": False,
        **defaults,
    }
    full = []
    for i, row in enumerate(rows, start=1):
        r = {"submission_id": i, **base, **row}
        product, region = r["series_code"].split(".", 1)
        r.setdefault("product_code", product)
        r.setdefault("region_code", region)
        r.setdefault("price_value", r["value"])
        full.append(r)
    schema = {
        "submission_id": pl.Int64,
        "source_code": pl.Utf8,
        "source_type": pl.Utf8,
        "source_weight": pl.Float64,
        "series_code": pl.Utf8,
        "product_code": pl.Utf8,
        "region_code": pl.Utf8,
        "date": pl.Date,
        "data_type": pl.Utf8,
        "value": pl.Float64,
        "price_value": pl.Float64,
        "volume_t": pl.Float64,
        "flag_reason": pl.Utf8,
        "flag_message": pl.Utf8,
        "flag_score": pl.Float64,
        "excluded": pl.Boolean,
    }
    return pl.DataFrame(full, schema=schema)
