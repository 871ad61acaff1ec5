"""Reading spec attributes out of free text, one parser per product ``spec_kind``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from steelsage.catalog.text import normalize_text

NUM = r"(\d+(?:\.\d+)?)"
_RANGE_SEP = r"\s*[-~至]\s*"
_TRANSLATE = str.maketrans(
    {"ф": "φ", "ø": "φ", "∅": "φ", "ϕ": "φ", "×": "*", "∗": "*", "～": "~", "〜": "~"}
)
_DIM_X = re.compile(r"(?<=\d)\s*x\s*(?=\d)")  # "5.75x1500" → "5.75*1500"
# DN (nominal bore, mm) → inches for welded pipe.
_DN_INCH = {
    15: 0.5,
    20: 0.75,
    25: 1,
    32: 1.25,
    40: 1.5,
    50: 2,
    65: 2.5,
    80: 3,
    100: 4,
    125: 5,
    150: 6,
    200: 8,
    250: 10,
    300: 12,
}


class SpecText:
    """Working copy of a normalised spec text; matched spans are blanked out as they are used."""

    def __init__(self, text: str) -> None:
        self.full = _DIM_X.sub("*", normalize_text(text).translate(_TRANSLATE))
        self.rest = self.full

    def blank(self, start: int, end: int) -> None:
        self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]

    def take(
        self, pattern: str, lo: float, hi: float, *, source: str | None = None
    ) -> float | None:
        """First match of ``pattern`` whose first group lies in [lo, hi]; its span is blanked."""
        for m in re.finditer(pattern, self.rest if source is None else source):
            value = float(m.group(1))
            if lo <= value <= hi:
                if source is None:
                    self.blank(m.start(), m.end())
                return value
        return None

    def take_range(self, pattern: str, base: float | None, lo: float, hi: float) -> float | None:
        """Like :meth:`take` for patterns with an optional second number ("Φ18-25").

        A range that contains the base value is read as the base (a flat price band);
        otherwise its first value.
        """
        for m in re.finditer(pattern, self.rest):
            first = float(m.group(1))
            second = float(m.group(2)) if m.lastindex and m.lastindex >= 2 and m.group(2) else None
            if not lo <= first <= hi:
                continue
            self.blank(m.start(), m.end())
            if (
                second is not None
                and base is not None
                and min(first, second) <= base <= max(first, second)
            ):
                return base
            return first
        return None


class Bounds(Protocol):
    """What a parser needs to know about the product: plausible numbers and base values."""

    def bounds(self, attr: str, default: tuple[float, float]) -> tuple[float, float]: ...

    def base_number(self, attr: str) -> float | None: ...


Parser = Callable[[SpecText, Bounds], dict[str, float | None]]
_BARE = r"(?<![\d.])" + NUM + r"(?![\d.])"


def _parse_bar(t: SpecText, m: Bounds) -> dict[str, float | None]:
    length = t.take(NUM + r"\s*(?:m(?![m\d])|米)", 4, 15)
    lo, hi = m.bounds("diameter_mm", (4, 60))
    base = m.base_number("diameter_mm")
    diameter = (
        t.take_range("φ\\s*" + NUM + f"(?:{_RANGE_SEP}φ?\\s*{NUM})?", base, lo, hi)
        or t.take_range(NUM + f"(?:{_RANGE_SEP}{NUM})?" + r"\s*mm", base, lo, hi)
        or t.take(_BARE, lo, hi)
    )
    return {"diameter_mm": diameter, "length_m": length}


def _parse_flat(t: SpecText, m: Bounds) -> dict[str, float | None]:
    lo, hi = m.bounds("thickness_mm", (0.1, 300))
    thickness = (
        t.take(NUM + r"\s*(?:mm)?\s*\*\s*\d", lo, hi)
        or t.take(NUM + r"\s*mm", lo, hi)
        or t.take(_BARE, lo, hi)
    )
    return {"thickness_mm": thickness}


def _parse_h_beam(t: SpecText, m: Bounds) -> dict[str, float | None]:
    lo, hi = m.bounds("height_mm", (50, 1000))
    return {"height_mm": t.take(NUM + r"\s*\*", lo, hi) or t.take(_BARE, lo, hi)}


def _parse_angle(t: SpecText, m: Bounds) -> dict[str, float | None]:
    size = t.take(NUM + r"\s*(?:#|号)", 1, 30)
    if size is None:
        leg = t.take(NUM + r"\s*\*", 20, 300)  # leg width in mm: No.5 = 50 mm
        size = leg / 10 if leg is not None else t.take(_BARE, 1, 30)
    return {"size_no": size}


def _parse_strip(t: SpecText, m: Bounds) -> dict[str, float | None]:
    lo, hi = m.bounds("width_mm", (50, 1500))
    return {"width_mm": t.take(_BARE, max(lo, 50), hi)}


def _parse_billet(t: SpecText, m: Bounds) -> dict[str, float | None]:
    lo, hi = m.bounds("section_mm", (60, 400))
    section = (
        t.take(NUM + r"\s*\*", lo, hi) or t.take(NUM + r"\s*方", lo, hi) or t.take(_BARE, lo, hi)
    )
    return {"section_mm": section}


def _parse_welded_pipe(t: SpecText, m: Bounds) -> dict[str, float | None]:
    size: float | None = None
    # "1-1/2寸" (one and a half inch) or "3/4寸"
    frac = re.search(r"(?:(\d+)\s*-\s*)?(\d+)\s*/\s*(\d+)\s*(?:寸|\"|in)", t.rest)
    if frac and int(frac.group(3)):
        size = int(frac.group(1) or 0) + int(frac.group(2)) / int(frac.group(3))
        t.blank(frac.start(), frac.end())
    size = size or t.take(NUM + r"\s*(?:寸|\"|inch|in)", 0.1, 24)
    if size is None:
        dn = re.search(r"dn\s*(\d+)", t.rest)
        if dn and int(dn.group(1)) in _DN_INCH:
            size = float(_DN_INCH[int(dn.group(1))])
            t.blank(dn.start(), dn.end())
    if size is None:
        eighths = t.take(r"(\d+)\s*分", 1, 16)  # 4分管 = 1/2 inch
        size = eighths / 8 if eighths is not None else None
    wall = (
        t.take(r"\*\s*" + NUM, 0.5, 30)
        or t.take(r"壁厚\s*" + NUM, 0.5, 30)
        or t.take(NUM + r"\s*mm", 0.5, 30)
    )
    return {"size_in": size, "wall_mm": wall}


def _parse_seamless_pipe(t: SpecText, m: Bounds) -> dict[str, float | None]:
    pair = re.search(r"φ?\s*" + NUM + r"\s*(?:mm)?\s*\*\s*" + NUM, t.rest)
    if pair is None:
        return {"od_mm": t.take(r"(?:外径|φ)\s*" + NUM, 6, 1500)}
    t.blank(pair.start(), pair.end())
    return {"od_mm": float(pair.group(1)), "wall_mm": float(pair.group(2))}


def _parse_ore(t: SpecText, m: Bounds) -> dict[str, float | None]:
    fe = (
        t.take(r"(?:fe|tfe|品位|铁品位)\s*[:=]?\s*" + NUM, 45, 70)
        or t.take(NUM + r"\s*%", 45, 70)
        or t.take(_BARE, 45, 70)
    )
    return {"fe_pct": fe}


def _parse_coal(t: SpecText, m: Bounds) -> dict[str, float | None]:
    ash = t.take(r"(?:(?<![a-z])ad?|灰分?)\s*[:=]?\s*" + NUM, 2, 30)
    sulfur = t.take(r"(?:(?<![a-z])s(?:t,?d)?|硫分?)\s*[:=]?\s*" + NUM, 0.05, 5)
    return {"ash_pct": ash, "sulfur_pct": sulfur}


def _parse_grade_only(t: SpecText, m: Bounds) -> dict[str, float | None]:
    return {}


def _parse_fesi(t: SpecText, m: Bounds) -> dict[str, float | None]:
    si = (
        t.take(r"fesi\s*" + NUM, 40, 95, source=t.full)
        or t.take(r"(?<![a-z])si\s*" + NUM, 40, 95, source=t.full)
        or t.take(NUM + r"\s*(?:#|号|硅铁)", 40, 95, source=t.full)
        or t.take(_BARE, 40, 95)
    )
    return {"si_pct": si}


PARSERS: dict[str, Parser] = {
    "bar": _parse_bar,
    "flat": _parse_flat,
    "h_beam": _parse_h_beam,
    "angle": _parse_angle,
    "strip": _parse_strip,
    "billet": _parse_billet,
    "welded_pipe": _parse_welded_pipe,
    "seamless_pipe": _parse_seamless_pipe,
    "ore": _parse_ore,
    "coal": _parse_coal,
    "grade": _parse_grade_only,
    "fesi": _parse_fesi,
}
