"""Spec parsing ("HRB400E Φ18mm" → attributes) and spec differentials to the base spec."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from steelsage.catalog.models import Product, SpecRule, SpecValue
from steelsage.catalog.spec_parsers import PARSERS, SpecText
from steelsage.catalog.text import AliasIndex

_LABELS = {
    "diameter_mm": "Φ{}",
    "length_m": "{}m",
    "thickness_mm": "{}mm",
    "width_mm": "{}mm",
    "height_mm": "H{}",
    "size_no": "{}#",
    "section_mm": "{}mm sq",
    "size_in": "{}in",
    "wall_mm": "wall {}mm",
    "od_mm": "OD {}mm",
    "fe_pct": "Fe {}%",
    "ash_pct": "ash {}%",
    "sulfur_pct": "S {}%",
    "si_pct": "Si {}%",
    "brand": "brand {}",
}


def fmt_number(x: float) -> str:
    """20.0 → '20', 5.75 → '5.75', 1.2500 → '1.25' (two decimals at most)."""
    r = round(float(x), 2)
    if r == int(r):
        return str(int(r))
    return f"{r:.2f}".rstrip("0").rstrip(".")


def fmt_signed(x: float) -> str:
    """+30 / −30 (true minus sign, as in published adjustment notes)."""
    if round(x, 2) == 0:
        return "0"
    return ("+" if x > 0 else "−") + fmt_number(abs(x))


def _label(attr: str, value: SpecValue) -> str:
    text = fmt_number(value) if isinstance(value, float | int) else str(value)
    return _LABELS.get(attr, "{}").format(text)


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


class SpecModel:
    """Spec parser and differential calculator for one product."""

    def __init__(self, product: Product) -> None:
        self.product = product
        self.rules: dict[str, list[SpecRule]] = {}
        for rule in product.spec_differentials:
            self.rules.setdefault(rule.attribute, []).append(rule)
        self._words: dict[str, AliasIndex] = {}
        for attr in self._categorical_attributes():
            pairs: list[tuple[str, str]] = []
            base = product.base_spec.get(attr)
            if isinstance(base, str):
                pairs.append((base, base))
            pairs += [(str(r.value), str(r.value)) for r in self.rules.get(attr, [])]
            pairs += list(product.spec_aliases.get(attr, {}).items())
            self._words[attr] = AliasIndex(pairs)

    def _categorical_attributes(self) -> list[str]:
        attrs = [a for a, v in self.product.base_spec.items() if isinstance(v, str)]
        for attr, rules in self.rules.items():
            textual = any(isinstance(r.value, str) for r in rules)
            if textual and attr != "brand" and attr not in attrs:
                attrs.append(attr)
        return attrs

    def bounds(self, attr: str, default: tuple[float, float]) -> tuple[float, float]:
        """Plausible range of a numeric attribute: half the smallest to twice the largest known."""
        values = [float(r.value) for r in self.rules.get(attr, []) if isinstance(r.value, float)]
        base = self.product.base_spec.get(attr)
        if isinstance(base, float):
            values.append(base)
        if not values:
            return default
        return min(values) / 2, max(values) * 2

    def base_number(self, attr: str) -> float | None:
        base = self.product.base_spec.get(attr)
        return base if isinstance(base, float) else None

    # ------------------------------------------------------------------ parsing
    def parse(self, text: str | None) -> dict[str, SpecValue]:
        if not text or not text.strip():
            return {}
        t = SpecText(text)
        out: dict[str, SpecValue] = {}
        for attr, index in self._words.items():
            m = index.match(t.rest, normalized=True)
            if m is not None:
                out[attr] = m.codes[0]
                t.blank(m.start, m.end)
        for attr, value in PARSERS[self.product.spec_kind](t, self).items():
            if value is not None:
                out[attr] = value
        return out

    # ------------------------------------------------------------------ differentials
    def premium(self, attr: str, value: SpecValue) -> float | None:
        """Worth of ``value`` over the base value of ``attr``; None when no rule applies."""
        rules = self.rules.get(attr)
        if not rules:
            return None
        base = self.product.base_spec.get(attr)
        linear = [r for r in rules if r.is_linear]
        if linear:
            x = _as_number(value)
            if x is None or not isinstance(base, float):
                return None
            return sum(r.per_unit or 0.0 for r in linear) * (x - base)
        points = {r.value: r.diff or 0.0 for r in rules}
        if isinstance(base, float) or all(isinstance(v, float) for v in points):
            x = _as_number(value)
            if x is None:
                return None
            schedule = {float(k): v for k, v in points.items() if isinstance(k, float)}
            if isinstance(base, float):
                schedule.setdefault(base, 0.0)
            return _interpolate(schedule, x)
        if base is not None:
            points.setdefault(base, 0.0)
        return points.get(str(value))

    def differential(
        self, attrs: Mapping[str, object], base: Mapping[str, SpecValue] | None = None
    ) -> tuple[float, str]:
        """Amount to add to a report at ``attrs`` to express it at ``base`` (default: base spec)."""
        base = self.product.base_spec if base is None else base
        total = 0.0
        notes: list[str] = []
        for attr in self.rules:
            if attr not in attrs or attrs[attr] is None:
                continue
            value = attrs[attr]
            at = self.premium(attr, value)  # type: ignore[arg-type]
            if at is None:
                continue
            base_value = base.get(attr)
            at_base = 0.0 if base_value is None else self.premium(attr, base_value)
            if at_base is None:
                continue
            adjust = at_base - at
            if round(adjust, 6) == 0:
                continue
            total += adjust
            shown = _as_number(value) if isinstance(base_value, float) else value
            shown = value if shown is None else shown
            if base_value is None:
                notes.append(f"{_label(attr, shown)} {fmt_signed(adjust)}")  # type: ignore[arg-type]
            else:
                notes.append(
                    f"{_label(attr, shown)}→{_label(attr, base_value)} {fmt_signed(adjust)}"  # type: ignore[arg-type]
                )
        return round(total, 6), "; ".join(notes)


def _interpolate(schedule: dict[float, float], x: float) -> float:
    """Piecewise-linear through the points; flat beyond the ends."""
    xs = sorted(schedule)
    if x <= xs[0]:
        return schedule[xs[0]]
    if x >= xs[-1]:
        return schedule[xs[-1]]
    for lo, hi in itertools.pairwise(xs):
        if lo <= x <= hi:
            w = (x - lo) / (hi - lo)
            return schedule[lo] + w * (schedule[hi] - schedule[lo])
    return 0.0  # unreachable: x lies between the ends
