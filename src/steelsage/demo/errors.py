"""Planted errors with ground-truth labels, and a few unusable rows.

Each planted type is something a careful price editor catches from the data alone:

- ``unit_slip``: the number is ÷1000 (3.56 as if in 千元/吨) or ×1000 while the unit says
  元/吨. The value leaves the product's plausible range by orders of magnitude
  (``out_of_range``).
- ``digit_transposition``: two adjacent, different digits among the leading three are swapped
  (3560 → 3650 or 5360); only swaps that move the value ≥ 2% are planted, so the report
  stands out against the same day's reports of the series and the source's own history
  (``mad_outlier``/``jump_vs_own_history``).
- ``stale_repeat``: a source copies its previous line (value and terms) for 3–8 consecutive
  reports of a series while the truth moves ≥ 2%; every repeated report ≥ 1.5% off the truth
  is labelled. Identical values while the day median moves are visible (``stale_repeat``).
- ``vat_mixup``: the ex-VAT number is sent while the row says 含税 (or says nothing, and the
  default basis is incl. VAT): ≈ −11.5% against the day's market, a ratio close to 1/1.13
  (``vat_basis_suspect``).
- ``wrong_region``: another city's price (basis difference ≥ 3% that day) is labelled with
  this city; it deviates from the city's market by the basis gap (``cross_sectional``,
  ``region_suspect``).
- ``drifting_source``: a few sources' bias grows linearly to +6…10% over 60–120 trading
  days, then resets; reports whose drift exceeds 2% are labelled. The source's residual vs
  the day median trends away and stays away (``source_drift``).

Rows that are bad input, not price errors (error_type ``bad_row``): extra rows, copies of
honest reports with an unknown product text, a non-numeric price or no region. Ingestion
rejects them (``unknown_product``, ``bad_number``, ``missing_field``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from steelsage.demo.reports import TAX_INCL, Draft, StringPool
from steelsage.demo.universe import Universe

SHARES = {
    "unit_slip": 0.13,
    "digit_transposition": 0.15,
    "stale_repeat": 0.20,
    "vat_mixup": 0.15,
    "wrong_region": 0.15,
    "drifting_source": 0.22,
}
ERROR_TYPES: tuple[str, ...] = tuple(SHARES)
BAD_ROW = "bad_row"
BAD_ROW_SHARE = 0.0003  # of all reports, per kind of bad row
UNKNOWN_PRODUCTS = ("铝锭", "电解铜", "钢材制品", "不明货品", "steel widget", "锌锭", "玻璃")
NON_NUMERIC = ("面议", "电议", "N/A", "待定", "3,5OO", "--", "询价")


@dataclass
class Planted:
    """Labels (row index → type, detail) and rendered-text overrides for rejected rows."""

    rows: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    overrides: dict[str, dict[int, str | None]] = field(default_factory=dict)

    def add(self, rows: np.ndarray, kind: str, details: list[str]) -> None:
        self.rows.extend(int(r) for r in rows)
        self.types.extend([kind] * len(rows))
        self.details.extend(details)


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


class Planter:
    """Plants every error type into a :class:`Draft`, keeping one error per report."""

    def __init__(
        self,
        d: Draft,
        u: Universe,
        series_codes: list[str],
        truth: dict[str, np.ndarray],
        rng: np.random.Generator,
        error_rate: float,
        pool: StringPool,
    ) -> None:
        self.d = d
        self.u = u
        self.codes = series_codes
        self.truth = truth
        self.rng = rng
        self.pool = pool
        self.target = {k: error_rate * len(d) * share for k, share in SHARES.items()}
        self.tainted = np.zeros(len(d), dtype=bool)
        self.out = Planted()

    # ---------------------------------------------------------------- helpers
    def _pick(self, eligible: np.ndarray, k: float) -> np.ndarray:
        idx = np.flatnonzero(eligible & ~self.tainted)
        k = min(len(idx), round(k))
        if k <= 0:
            return np.empty(0, np.int64)
        chosen = np.sort(self.rng.choice(idx, k, replace=False))
        self.tainted[chosen] = True
        return chosen

    def _units(self, codes: tuple[str, ...]) -> np.ndarray:
        series_unit = np.array([self.u.series_by_code[c].unit in codes for c in self.codes])
        return series_unit[self.d.sidx]

    # ---------------------------------------------------------------- before rounding
    def drifting_sources(self, n_days: int) -> None:
        d = self.d
        target = self.target["drifting_source"]
        if target < 1:
            return
        n_src = int(d.src.max()) + 1
        per_source = np.bincount(d.src, minlength=n_src)
        order = self.rng.permutation(np.flatnonzero(per_source >= np.quantile(per_source, 0.5)))
        labelled = 0
        for s in order[:8]:
            if labelled >= target:
                break
            dur = int(self.rng.integers(60, 121))
            dur = min(dur, max(10, n_days - 1))
            start = int(self.rng.integers(0, max(1, n_days - dur)))
            peak = self.rng.uniform(0.06, 0.10)
            rows = np.flatnonzero((d.src == s) & (d.day >= start) & (d.day <= start + dur))
            rows = rows[~self.tainted[rows]]
            drift = peak * (d.day[rows] - start) / dur
            d.rel[rows] += drift
            self.tainted[rows] = True
            hit = drift > 0.02
            details = [
                f"source drift +{x:.1%} (peaks at +{peak:.1%} after {dur} trading days)"
                for x in drift[hit]
            ]
            self.out.add(rows[hit], "drifting_source", details)
            labelled += int(hit.sum())

    def vat_mixups(self) -> None:
        d = self.d
        ok = self._units(("CNY_T_VAT", "CNY_WMT_VAT")) & (d.tax == TAX_INCL)
        rows = self._pick(ok, self.target["vat_mixup"])
        vat = 1.0 + self.u.vat_rate
        d.err_mul[rows] = 1.0 / vat
        details = [
            f"ex-VAT value sent as incl. VAT: expected ≈{_fmt(e)}, sent ≈{_fmt(e / vat)} (−11.5%)"
            for e in d.expected[rows]
        ]
        self.out.add(rows, "vat_mixup", details)

    def wrong_regions(self) -> None:
        d = self.d
        by_product: dict[tuple[str, str], list[int]] = {}
        for k, code in enumerate(self.codes):
            s = self.u.series_by_code[code]
            if s.region not in ("cfr_china", "national"):
                by_product.setdefault((s.product, s.unit), []).append(k)
        groups = [ks for ks in by_product.values() if len(ks) > 1]
        member = np.zeros(len(self.codes), dtype=bool)
        for ks in groups:
            member[ks] = True
        target = round(self.target["wrong_region"])
        rows = self._pick(member[d.sidx], target * 3)  # many find no city far enough
        found: list[tuple[int, float, str]] = []
        for ks in groups:
            mine = rows[np.isin(d.sidx[rows], ks)]
            if len(mine) == 0:
                continue
            mat = np.vstack([self.truth[self.codes[k]] for k in ks])
            own = np.searchsorted(np.array(ks), d.sidx[mine])
            ratio = mat[:, d.day[mine]] / mat[own, d.day[mine]]  # (cities, rows)
            valid = np.abs(ratio - 1.0) >= 0.03
            other = np.where(valid, self.rng.random(valid.shape), -1.0).argmax(axis=0)
            for j in np.flatnonzero(valid[other, np.arange(len(mine))]):
                r = int(mine[j])
                b_truth = mat[other[j], d.day[r]]
                mul = (b_truth + d.add[r]) / (d.truth[r] + d.add[r])
                a = self.u.series_by_code[self.codes[d.sidx[r]]].region
                b = self.u.series_by_code[self.codes[ks[other[j]]]].region
                found.append((r, mul, f"{b} price reported as {a} (basis gap {mul - 1:+.1%})"))
        keep = sorted(found[i] for i in self.rng.permutation(len(found))[:target])
        kept = np.array([k[0] for k in keep], dtype=np.int64)
        self.tainted[np.setdiff1d(rows, kept)] = False
        d.err_mul[kept] = np.array([k[1] for k in keep])
        self.out.add(kept, "wrong_region", [k[2] for k in keep])

    # ---------------------------------------------------------------- after rounding
    def stale_repeats(self) -> None:
        d = self.d
        target = self.target["stale_repeat"]
        order = np.lexsort((d.day, d.src, d.sidx))
        group = d.sidx[order].astype(np.int64) * (int(d.src.max()) + 1) + d.src[order]
        n = len(order)
        n_cand = int(min(n, max(200, target * 6)))
        starts = self.rng.integers(0, max(1, n - 9), n_cand)
        lengths = self.rng.integers(3, 9, n_cand)
        value = d.value()
        used = self.tainted.copy()
        labelled = 0
        for j, m in zip(starts, lengths, strict=True):
            if labelled >= target:
                break
            pos = np.arange(j, j + m + 1)
            if pos[-1] >= n or group[pos[-1]] != group[j]:
                continue
            rows = order[pos]
            if used[rows].any():
                continue
            a, rep = rows[0], rows[1:]
            move = np.abs(d.truth[rep] / d.truth[a] - 1.0).max()
            if move < 0.02:
                continue
            for arr in (d.add, d.mul, d.price, d.low, d.high, d.volume, d.tax):
                arr[rep] = arr[a]
            for col in (
                "product",
                "spec",
                "unit",
                "tax_basis",
                "weight_basis",
                "delivery",
                "data_type",
            ):
                d.text[col][rep] = d.text[col][a]
            d.dtype[rep] = d.dtype[a]
            dev = value[a] / ((d.truth[rep] + d.add[rep]) * d.mul[rep]) - 1.0
            used[rows] = True
            self.tainted[rows] = True
            hit = np.abs(dev) >= 0.015
            details = [
                f"repeats {_fmt(value[a])} from its report of day {int(d.day[a])}; truth moved, "
                f"now {x:+.1%} off"
                for x in dev[hit]
            ]
            self.out.add(rep[hit], "stale_repeat", details)
            labelled += int(hit.sum())

    def unit_slips(self) -> None:
        d = self.d
        rows = self._pick(self._units(("CNY_T_VAT",)), self.target["unit_slip"])
        factor = np.where(self.rng.random(len(rows)) < 0.7, 0.001, 1000.0)
        before = d.value()[rows]
        for arr in (d.price, d.low, d.high):
            arr[rows] = np.round(arr[rows] * factor, 3)
        details = [
            f"unit slip {'÷1000 (as if 千元/吨)' if f < 1 else '×1000'}: "
            f"{_fmt(v)} sent as {_fmt(v * f)} 元/吨"
            for v, f in zip(before, factor, strict=True)
        ]
        self.out.add(rows, "unit_slip", details)

    def digit_transpositions(self) -> None:
        d = self.d
        price = np.nan_to_num(d.price, nan=0.0)
        ok = price >= 100.0
        iv = np.floor(price).astype(np.int64)
        k = np.floor(np.log10(np.maximum(iv, 1))).astype(np.int64) + 1
        p1 = 10 ** np.maximum(k - 1, 0)
        p2 = 10 ** np.maximum(k - 2, 0)
        p3 = 10 ** np.maximum(k - 3, 0)
        d0, d1, d2 = iv // p1 % 10, iv // p2 % 10, iv // p3 % 10
        swap01 = price + (d1 - d0) * p1 + (d0 - d1) * p2
        swap12 = price + (d2 - d1) * p2 + (d1 - d2) * p3
        v01 = ok & (d0 != d1) & (d1 != 0) & (np.abs(swap01 / np.maximum(price, 1) - 1) >= 0.02)
        v12 = ok & (d1 != d2) & (np.abs(swap12 / np.maximum(price, 1) - 1) >= 0.02)
        rows = self._pick(v01 | v12, self.target["digit_transposition"])
        use01 = v01[rows] & (~v12[rows] | (self.rng.random(len(rows)) < 0.5))
        new = np.where(use01, swap01[rows], swap12[rows])
        new = np.round(new, 2)
        details = [
            f"digits swapped: {_fmt(a)} sent as {_fmt(b)} ({b / a - 1:+.1%})"
            for a, b in zip(d.price[rows], new, strict=True)
        ]
        d.price[rows] = new
        self.out.add(rows, "digit_transposition", details)

    def bad_rows(self) -> None:
        d = self.d
        k = max(2, round(BAD_ROW_SHARE * len(d)))
        base = self.rng.choice(
            np.flatnonzero(~self.tainted), min(3 * k, int((~self.tainted).sum())), replace=False
        )
        rows = d.append_copies(np.sort(base))  # extra rows: the honest reports stay intact
        self.tainted = np.concatenate([self.tainted, np.ones(len(rows), dtype=bool)])
        unknown, non_numeric, no_region = rows[:k], rows[k : 2 * k], rows[2 * k :]
        names = [t for t in UNKNOWN_PRODUCTS if self.u.resolve_product(t) is None]
        texts = [names[i] for i in self.rng.integers(0, len(names), len(unknown))]
        d.text["product"][unknown] = self.pool.ids(texts)
        self.out.add(unknown, BAD_ROW, [f"unknown product text {t!r}" for t in texts])
        words = [NON_NUMERIC[i] for i in self.rng.integers(0, len(NON_NUMERIC), len(non_numeric))]
        for col in ("price", "low", "high"):
            self.out.overrides.setdefault(col, {})
        for r, w in zip(non_numeric, words, strict=True):
            self.out.overrides["price"][int(r)] = w
            self.out.overrides["low"][int(r)] = None
            self.out.overrides["high"][int(r)] = None
        self.out.add(non_numeric, BAD_ROW, [f"non-numeric price {w!r}" for w in words])
        d.text["region"][no_region] = 0
        self.out.add(no_region, BAD_ROW, ["missing region"] * len(no_region))


def plant_errors(
    d: Draft,
    u: Universe,
    series_codes: list[str],
    truth: dict[str, np.ndarray],
    rng: np.random.Generator,
    error_rate: float,
    pool: StringPool,
    n_days: int,
) -> Planted:
    """Plant every error type into ``d`` (rounding it on the way) and return the labels."""
    p = Planter(d, u, series_codes, truth, rng, error_rate, pool)
    if error_rate > 0:
        p.drifting_sources(n_days)
        p.vat_mixups()
        p.wrong_regions()
    d.round_values()
    if error_rate > 0:
        p.stale_repeats()
        p.unit_slips()
        p.digit_transpositions()
    p.bad_rows()
    return p.out
