"""Honest price reports, drawn per series with numpy and rendered as an import frame.

A report's *expected* value is the truth converted to what the reporter quotes:
``((truth + spec_add + delivery_add) × weight_mul) × tax_mul`` (spec differential of the
product, delivery-term spread, 理计 factor, ex-VAT). The reported value is
``expected × (1 + source bias + data-type offset + noise × reliability)``, rounded like a real
quote. :mod:`steelsage.demo.errors` then plants errors into these arrays before rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from steelsage.demo.universe import ProductInfo, SeriesDef, Universe

DATA_TYPES = ("deal", "offer", "bid", "indication")
IMPORT_COLUMNS = (
    "report_id", "source", "product", "spec", "region", "price", "low", "high", "unit",
    "tax_basis", "weight_basis", "delivery", "volume", "data_type", "time",
)  # fmt: skip
TEXT_COLUMNS = (
    "product", "spec", "region", "unit", "tax_basis", "weight_basis", "delivery", "data_type",
)  # fmt: skip
TAX_INCL, TAX_EXCL, TAX_NONE = 0, 1, 2


class StringPool:
    """Interns strings so text columns travel as int32 ids (0 is null)."""

    def __init__(self) -> None:
        self.values: list[str | None] = [None]
        self._ids: dict[str, int] = {}

    def id(self, text: str | None) -> int:
        if text is None:
            return 0
        if text not in self._ids:
            self._ids[text] = len(self.values)
            self.values.append(text)
        return self._ids[text]

    def ids(self, texts: list[str | None]) -> np.ndarray:
        return np.array([self.id(t) for t in texts], dtype=np.int32)


@dataclass
class Draft:
    """All reports as parallel numpy arrays (one row per report) before rendering."""

    sidx: np.ndarray  # series index
    day: np.ndarray  # index into the calendar
    src: np.ndarray  # index into the source table
    truth: np.ndarray  # true mid of the series that day (assessment unit/basis)
    add: np.ndarray  # spec + delivery differential, assessment unit
    mul: np.ndarray  # weight-basis × tax-basis multiplier
    rel: np.ndarray  # relative deviation of the reporter (bias + offset + noise)
    hw: np.ndarray  # half-width of a low/high range (0 = single price)
    step: np.ndarray  # rounding step of the quote
    dtype: np.ndarray  # index into DATA_TYPES
    tax: np.ndarray  # TAX_INCL | TAX_EXCL | TAX_NONE as written (null = incl)
    volume: np.ndarray  # tonnes, NaN when not given
    timefmt: np.ndarray  # 0 ISO date, 1 slashes, 2 ISO date + HH:MM
    minute: np.ndarray  # minute of day for timefmt 2
    text: dict[str, np.ndarray]  # column -> string-pool ids
    err_mul: np.ndarray = field(init=False)  # planted multiplicative error (1 = none)
    price: np.ndarray = field(init=False)  # set by round_values (NaN for ranges)
    low: np.ndarray = field(init=False)
    high: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.sidx)
        self.err_mul = np.ones(n)
        self.price, self.low, self.high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)

    def __len__(self) -> int:
        return len(self.sidx)

    def append_copies(self, rows: np.ndarray) -> np.ndarray:
        """Append copies of ``rows`` (same source and day) and return their new indices."""
        start = len(self)
        for name, arr in vars(self).items():
            if isinstance(arr, np.ndarray):
                setattr(self, name, np.concatenate([arr, arr[rows]]))
        self.text = {c: np.concatenate([a, a[rows]]) for c, a in self.text.items()}
        return np.arange(start, start + len(rows))

    @property
    def expected(self) -> np.ndarray:
        """What an honest reporter would quote, before bias and noise."""
        return (self.truth + self.add) * self.mul

    def round_values(self) -> None:
        """Compute price/low/high from the drafts (rounded like real quotes)."""
        raw = self.expected * (1.0 + self.rel) * self.err_mul
        rng_mask = self.hw > 0
        self.price = np.where(rng_mask, np.nan, round_to(raw, self.step))
        low = round_to(raw * (1.0 - self.hw), self.step)
        high = round_to(raw * (1.0 + self.hw), self.step)
        high = np.where(high <= low, low + self.step, high)
        self.low = np.where(rng_mask, low, np.nan)
        self.high = np.where(rng_mask, high, np.nan)

    def value(self) -> np.ndarray:
        """The reported number: the price, or the middle of low/high."""
        return np.where(np.isnan(self.price), (self.low + self.high) / 2.0, self.price)


def round_to(x: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Round to a multiple of ``step``, kept to clean decimals (0.05 → 2 places)."""
    return np.round(np.round(x / step) * step, 2)


def unit_step(unit: str) -> float:
    """Quote granularity: 10 CNY/t, 1 CNY/wmt, 0.05 USD, 0.01 kCNY."""
    return {"CNY_WMT_VAT": 1.0, "USD_DMT_CFR": 0.05, "USD_T": 0.05, "KCNY_T_VAT": 0.01}.get(
        unit, 10.0
    )


def daily_counts(
    rng: np.random.Generator,
    density: float,
    lo: int,
    hi: int,
    lull: np.ndarray,
    lull_scale: float,
    day_sd: float,
    cap: int,
) -> np.ndarray:
    """Reports per day: about ``density``, within [lo, hi]; ×lull_scale in the festival lull."""
    n = np.rint(density * np.exp(rng.normal(0.0, day_sd, len(lull)))).astype(np.int64)
    n = np.clip(n, lo, hi)
    n = np.where(lull, np.maximum(1, np.rint(n * lull_scale)).astype(np.int64), n)
    return np.minimum(n, cap)


def pick_sources(
    rng: np.random.Generator, pool: np.ndarray, activity: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Distinct sources per day, weighted by activity (Efraimidis–Spirakis keys)."""
    keys = rng.random((len(counts), len(pool))) ** (1.0 / activity[pool])
    order = np.argsort(-keys, axis=1)
    take = np.arange(len(pool))[None, :] < counts[:, None]
    return pool[order][take]


@dataclass
class SeriesContext:
    """Everything the per-series draw needs beyond the random generator."""

    s: SeriesDef
    k: int
    truth: np.ndarray
    pool: np.ndarray
    density: float


def draw_series(
    rng: np.random.Generator,
    ctx: SeriesContext,
    u: Universe,
    pool_: StringPool,
    sources: dict[str, np.ndarray],
    lull: np.ndarray,
    cfg_lo: int,
    cfg_hi: int,
    params: dict,
) -> dict[str, np.ndarray]:
    """Honest reports of one series over the whole calendar (arrays for a :class:`Draft`)."""
    s, p = ctx.s, u.products[ctx.s.product]
    dens = params["density"]
    counts = daily_counts(
        rng, ctx.density, cfg_lo, cfg_hi, lull, params["lull_density_scale"],
        dens["day_sd_pct"] / 100.0, len(ctx.pool),
    )  # fmt: skip
    day = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    src = pick_sources(rng, ctx.pool, sources["activity"], counts).astype(np.int32)
    n = len(day)
    vat = 1.0 + u.vat_rate

    shares = params["data_type_share"]
    dtype = rng.choice(4, n, p=[shares[t] for t in DATA_TYPES]).astype(np.int8)
    offset = np.array([params["data_type_offset_pct"][t] for t in DATA_TYPES]) / 100.0

    variants = u.spec_variants(s)
    weights = np.array([v.weight for v in variants])
    vchoice = rng.choice(len(variants), n, p=weights / weights.sum())
    spec_add = np.array([v.add for v in variants])[vchoice]
    spec_text = pool_.ids([v.text for v in variants])[vchoice]
    products = list(dict.fromkeys(v.product or s.product for v in variants))
    vproduct = np.array([products.index(v.product or s.product) for v in variants])[vchoice]

    terms = u.delivery_terms(s)
    tchoice = _delivery_choice(rng, n, len(terms))
    deliv_add = np.array([t.add for t in terms])[tchoice]
    deliv_text = _texts(rng, pool_, [t.texts for t in terms], tchoice)

    unit = u.units[s.unit]
    if unit.vat_bearing:
        tax = rng.choice(3, n, p=[0.80, 0.08, 0.12]).astype(np.int8)  # incl, excl, unstated
        tax_mul = np.where(tax == TAX_EXCL, 1.0 / vat, 1.0)
        tax_text = _texts(rng, pool_, [u.tax_texts["incl"], u.tax_texts["excl"], [None]], tax)
        tax = np.where(tax == 2, TAX_INCL, tax).astype(np.int8)
    else:
        tax = np.full(n, TAX_NONE, np.int8)
        tax_mul = np.ones(n)
        tax_text = np.zeros(n, np.int32)

    if p.weight_basis_factor:
        wb = rng.choice(3, n, p=[0.50, 0.15, 0.35])  # actual, theoretical, unstated
        weight_mul = np.where(wb == 1, p.weight_basis_factor, 1.0)
        weight_text = _texts(
            rng, pool_, [u.weight_texts["actual"], u.weight_texts["theoretical"], [None]], wb
        )
    else:
        weight_mul = np.ones(n)
        weight_text = np.zeros(n, np.int32)

    noise_sd = params["report_noise_pct"].get(p.commodity, params["report_noise_pct"]["default"])
    rel = (
        sources["bias"][src]
        + offset[dtype]
        + rng.standard_normal(n) * (noise_sd / 100.0) * sources["reliability"][src]
    )
    hw = np.where(rng.random(n) < 0.10, rng.uniform(0.002, 0.006, n), 0.0)

    volume = np.where(dtype == 0, _volumes(rng, n, s, p), np.nan)
    return {
        "sidx": np.full(n, ctx.k, np.int32),
        "day": day,
        "src": src,
        "truth": ctx.truth[day],
        "add": spec_add + deliv_add,
        "mul": weight_mul * tax_mul,
        "rel": rel,
        "hw": hw,
        "step": np.full(n, unit_step(s.unit)),
        "dtype": dtype,
        "tax": tax,
        "volume": volume,
        "timefmt": rng.choice(3, n, p=[0.90, 0.04, 0.06]).astype(np.int8),
        "minute": rng.integers(8 * 60 + 30, 17 * 60 + 30, n).astype(np.int16),
        "product": _texts(rng, pool_, [u.product_texts(c) for c in products], vproduct),
        "spec": spec_text,
        "region": _texts(rng, pool_, [u.region_texts(s, products)], np.zeros(n, np.int64)),
        "unit": _texts(rng, pool_, [unit.texts], np.zeros(n, np.int64)),
        "tax_basis": tax_text,
        "weight_basis": weight_text,
        "delivery": deliv_text,
        "data_type": _texts(rng, pool_, [u.data_type_texts[t] for t in DATA_TYPES], dtype),
    }


def _delivery_choice(rng: np.random.Generator, n: int, n_terms: int) -> np.ndarray:
    """Term 0 is the assessment's own term; the others together get 8%."""
    if n_terms == 1:
        return np.zeros(n, np.int64)
    alt = rng.random(n) < 0.08
    return np.where(alt, rng.integers(1, n_terms, n), 0)


def _texts(
    rng: np.random.Generator,
    pool_: StringPool,
    options: list[list[str | None] | list[tuple[str, float]]],
    which: np.ndarray,
) -> np.ndarray:
    """Pick a written form per row: ``options[which[i]]`` is a list of texts (or (text, w))."""
    out = np.zeros(len(which), np.int32)
    for j, opts in enumerate(options):
        rows = np.flatnonzero(which == j)
        if len(rows) == 0:
            continue
        texts = [o[0] if isinstance(o, tuple) else o for o in opts]
        w = np.array([o[1] if isinstance(o, tuple) else 1.0 for o in opts], dtype=np.float64)
        ids = pool_.ids(texts)
        out[rows] = ids[rng.choice(len(ids), len(rows), p=w / w.sum())]
    return out


def _volumes(rng: np.random.Generator, n: int, s: SeriesDef, p: ProductInfo) -> np.ndarray:
    if s.unit == "USD_DMT_CFR":
        return np.round(rng.uniform(60_000, 190_000, n), -3)
    if p.is_ore:
        return np.maximum(100.0, np.round(rng.lognormal(np.log(3000), 0.6, n), -2))
    return np.maximum(10.0, np.round(rng.lognormal(np.log(300), 0.8, n), -1))


def render(
    d: Draft,
    pool_: StringPool,
    days: list[date],
    source_codes: list[str],
    overrides: dict[str, dict[int, str | None]] | None = None,
) -> tuple[pl.DataFrame, pl.Series]:
    """The import frame (every column Utf8, as a person would send it, sorted by day and
    source) and the report ids in draft row order (for labelling)."""
    strings = pl.Series("s", pool_.values, dtype=pl.Utf8)
    frame = pl.DataFrame(
        {
            "src": d.src,
            "day": d.day,
            "timefmt": d.timefmt,
            "minute": d.minute,
            "price": d.price,
            "low": d.low,
            "high": d.high,
            "volume": d.volume,
            "source": pl.Series(source_codes, dtype=pl.Utf8).gather(d.src),
            "date": pl.Series(days, dtype=pl.Date).gather(d.day),
            **{c: strings.gather(d.text[c]) for c in TEXT_COLUMNS},
        }
    ).with_columns(pl.col(c).fill_nan(None) for c in ("price", "low", "high", "volume"))
    frame = frame.with_columns(_num_text(c) for c in ("price", "low", "high", "volume"))
    ymd = pl.col("date").dt.strftime("%Y-%m-%d")
    hhmm = pl.format(
        "{}:{}",
        (pl.col("minute") // 60).cast(pl.Utf8).str.zfill(2),
        (pl.col("minute") % 60).cast(pl.Utf8).str.zfill(2),
    )
    frame = frame.with_columns(
        pl.when(pl.col("timefmt") == 1)
        .then(pl.col("date").dt.strftime("%Y/%m/%d"))
        .when(pl.col("timefmt") == 2)
        .then(pl.format("{} {}", ymd, hhmm))
        .otherwise(ymd)
        .alias("time"),
        pl.format(
            "{}-{}-{}",
            pl.col("source"),
            pl.col("date").dt.strftime("%Y%m%d"),
            (pl.int_range(pl.len()).over("src", "day") + 1).cast(pl.Utf8).str.zfill(4),
        ).alias("report_id"),
    )
    for column, rows in (overrides or {}).items():
        idx = np.fromiter(rows.keys(), dtype=np.int64, count=len(rows))
        values = pl.Series(column, list(rows.values()), dtype=pl.Utf8)
        frame = frame.with_columns(frame[column].scatter(idx, values))
    report_ids = frame["report_id"]
    out = frame.sort("day", "src", maintain_order=True)
    return out.select(pl.col(c).cast(pl.Utf8) for c in IMPORT_COLUMNS), report_ids


def _num_text(column: str) -> pl.Expr:
    """A number as written: integers without decimals, others in their shortest form."""
    x = pl.col(column)
    return (
        pl.when(x == x.round(0))
        .then(x.cast(pl.Int64).cast(pl.Utf8))
        .otherwise(x.cast(pl.Utf8))
        .alias(column)
    )
