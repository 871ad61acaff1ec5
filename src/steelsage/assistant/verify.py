"""The answer verifier: every number and date in a text must trace to a tool result.

A text (templated or written by a language model) is read back claim by claim: Arabic and
Chinese numbers, percentages, ranges, scaled numbers (3.65千元), and dates in ISO, Chinese
and English forms. A number passes only when it equals some tool value rounded to exactly
the decimals the text shows (never more decimals than the value allows), so a figure that is
off by one in its last printed digit always fails. The composer repairs or rejects failing
text; it never shows it.

Product and spec names ("HRB400E", "62%铁矿", "Φ20mm") and series codes are masked first so
their digits are not mistaken for claims.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Literal

from steelsage.assistant.numbers import NumberToken, scan_numbers, to_halfwidth

if TYPE_CHECKING:
    from steelsage.assistant.answer import Value

ClaimKind = Literal["number", "percent", "date", "month", "year"]

_MASK = "\x00"  # replaces masked characters one for one, so spans stay those of the text

# --- claims --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """One number or date the text asserts.

    ``value`` is the signed, scaled number (3.65千 -> 3650.0, 跌50 -> -50.0), or a date
    (for a month claim the 1st of the month; for a year-less date, ``year_given`` is False
    and the year is borrowed from the nearest full date in the text, else 2000), or None
    when ``malformed``. ``decimals`` is the number of digits shown after the decimal point,
    ``scale_exp`` the power of ten of a scale word (千 3, 万 4, 亿 8), ``sign`` the
    direction the text states (+1 "+"/涨/up, -1 "-"/负/跌/down, 0 none).
    """

    kind: ClaimKind
    value: float | dt.date | None
    text: str
    span: tuple[int, int]
    decimals: int = 0
    scale_exp: int = 0
    sign: int = 0
    year_given: bool = True
    malformed: str | None = None
    magnitude: Decimal | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Problem:
    """A claim that no tool result supports, and why (``code`` is machine-readable)."""

    claim: Claim
    reason: str
    code: str = "unmatched"  # unmatched | too_precise | sign | malformed | date


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    problems: list[Problem]
    checked: int
    claims: list[Claim] = field(default_factory=list)

    def message(self, lang: Literal["zh", "en"] = "zh") -> str:
        """One line for the user or the trace: which figures could not be traced."""
        if self.ok:
            return (
                f"已核对 {self.checked} 个数字和日期，均有数据来源。"
                if lang == "zh"
                else f"All {self.checked} numbers and dates trace to a data source."
            )
        shown = "、".join(p.claim.text for p in self.problems[:5])
        if lang == "zh":
            return f"以下数字或日期无法对应到查询结果，已拒绝该回答：{shown}"
        return f"These figures do not match the query results, so the text was rejected: {shown}"


# --- masking -------------------------------------------------------------------------------

_CODE_RE = re.compile(
    r"`[^`\n]*`"  # `iron_ore_62.cfr_china`
    r"|\[[A-Za-z0-9_.:/\-]*[A-Za-z_][A-Za-z0-9_.:/\-]*\]"  # [wb.iOVERALL]
    r"|https?://\S+"
    r"|(?<![\d.:])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])"  # clock times 15:00
)
# Identifiers with digits glued to ASCII letters: HRB400E, Q235B, Q1, H1, iron_ore_62.cfr.
_IDENT_RE = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_CURRENCY_GLUED = re.compile(r"(?i)(?:cny|rmb|usd|us|eur|hkd)[\d.,]+")
# Diameters and thicknesses are specs, never prices: Φ20, Φ20mm, 4.75mm, 12-25mm.
_SPEC_RE = re.compile(
    r"[ΦφØø⌀]\s?\d+(?:\.\d+)?(?:\s?mm)?"
    r"|(?<![\d.,])\d+(?:\.\d+)?(?:\s?[-–~]\s?\d+(?:\.\d+)?)?\s?mm(?![A-Za-z])"
)


def _mask_span(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        chars[i] = _MASK


def _protected_pattern(name: str) -> str:
    """A protected name as a whole token: "65%" must not mask the tail of "+1.65%"."""
    pattern = re.escape(name)
    if name[:1].isdigit():
        pattern = r"(?<![\d.,])" + pattern
    if name[-1:].isdigit() or name[-1:] in "%.":
        pattern += r"(?![\d])"
    return pattern


def _masked(text: str, protected: Iterable[str]) -> str:
    chars = list(to_halfwidth(text))
    work = "".join(chars)
    for name in sorted({p for p in protected if p}, key=len, reverse=True):
        for m in re.finditer(_protected_pattern(to_halfwidth(name)), work, flags=re.IGNORECASE):
            _mask_span(chars, m.start(), m.end())
    for pattern in (_CODE_RE, _SPEC_RE):
        for m in pattern.finditer(work):
            _mask_span(chars, m.start(), m.end())
    for m in _IDENT_RE.finditer(work):
        token = m.group()
        if any(c.isdigit() for c in token) and not _CURRENCY_GLUED.fullmatch(token):
            _mask_span(chars, m.start(), m.end())
    return "".join(chars)


# --- dates ---------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MON = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS: list[tuple[ClaimKind, bool, re.Pattern[str]]] = [
    # (kind, year given, pattern) in priority order; each match is masked before the next.
    (
        "date",
        True,
        re.compile(
            r"(?<![\d.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
        ),
    ),
    (
        "date",
        True,
        re.compile(
            r"(?<!\d)(?P<y>\d{4})\s?年\s?(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})(?:\s?[日号])?(?!\d)"
        ),
    ),
    # Month ranges "2026年1-10月", "1至10月": two month claims (the year goes with the first).
    (
        "month",
        True,
        re.compile(
            r"(?<!\d)(?P<y>\d{4})\s?年\s?(?P<m1>\d{1,2})\s?(?:月\s?)?[-–~至到]\s?(?P<m>\d{1,2})\s?月(?:份)?"
        ),
    ),
    (
        "month",
        False,
        re.compile(
            r"(?<![\d年.])(?P<m1>\d{1,2})\s?(?:月\s?)?[-–~至到]\s?(?P<m>\d{1,2})\s?月(?:份)?(?!\s?\d)"
        ),
    ),
    ("month", True, re.compile(r"(?<!\d)(?P<y>\d{4})\s?年\s?(?P<m>\d{1,2})\s?月(?:份)?")),
    ("date", False, re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]")),
    ("month", False, re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s?月(?:份)?(?!\s?\d)")),
    (
        "date",
        True,
        re.compile(rf"(?<![A-Za-z]){_MON}\s?(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})(?![\d,.]\d)"),
    ),
    (
        "date",
        True,
        re.compile(
            rf"(?<![\d.])(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON},?\s+(?P<y>\d{{4}})(?![\d,.]\d)"
        ),
    ),
    ("month", True, re.compile(rf"(?<![A-Za-z]){_MON},?\s+(?P<y>\d{{4}})(?![\d,.]\d)")),
    ("date", False, re.compile(rf"(?<![A-Za-z]){_MON}\s?(?P<d>\d{{1,2}}){_ORD}(?![\d,.]?\d)")),
    ("date", False, re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON}")),
]
_YEAR_ZH = re.compile(r"(?<![\d.,])(?P<y>(?:19|20)\d{2})\s?年(?:度)?")
_YEAR_EN = re.compile(
    r"(?i:(?<![A-Za-z])(?:in|since|of|during|for|from|until|through|year|fy|early|mid|late"
    r"|end|q[1-4]|h[12]|calendar)[\s-]+)(?P<y>(?:19|20)\d{2})(?![\d%]|[,.]\d|\s?(?:万|千|亿|元|吨|t\b))"
)
_PLACEHOLDER_YEAR = 2000  # a leap year, so 2月29日 without a year is still a date


def _date_claims(text: str, work: str) -> tuple[list[Claim], str]:
    chars = list(work)
    claims: list[Claim] = []
    for kind, year_given, pattern in _DATE_PATTERNS:
        current = "".join(chars)
        for m in pattern.finditer(current):
            groups = m.groupdict()
            year = int(groups["y"]) if groups.get("y") else _PLACEHOLDER_YEAR
            day = int(groups["d"]) if groups.get("d") else 1
            parts: list[tuple[int, int, int]] = []  # (month, start, end)
            if groups.get("m1"):
                parts.append((int(groups["m1"]), m.start(), m.end("m1")))
                parts.append((int(groups["m"]), m.start("m"), m.end()))
            else:
                month = (
                    _MONTHS[groups["mon"][:3].lower()] if groups.get("mon") else int(groups["m"])
                )
                parts.append((month, m.start(), m.end()))
            for month, start, end in parts:
                claims.append(_date_claim(text, kind, year, month, day, (start, end), year_given))
            _mask_span(chars, m.start(), m.end())
    current = "".join(chars)
    halfwidth = to_halfwidth(text)
    for pattern in (_YEAR_ZH, _YEAR_EN):
        # The English context words may sit inside a masked identifier (Q1 2026): read the
        # context in the unmasked text, but only take years whose digits are still unmasked.
        source = halfwidth if pattern is _YEAR_EN else current
        for m in pattern.finditer(source):
            a, b = m.span("y")
            if current[a:b] != halfwidth[a:b]:
                continue
            end = m.end() if pattern is _YEAR_ZH else b
            claims.append(
                Claim(
                    kind="year",
                    value=float(m.group("y")),
                    text=text[a:end],
                    span=(a, end),
                    magnitude=Decimal(m.group("y")),
                )
            )
            _mask_span(chars, a, end)
        current = "".join(chars)
    _borrow_years(claims)
    return claims, "".join(chars)


def _date_claim(
    text: str,
    kind: ClaimKind,
    year: int,
    month: int,
    day: int,
    span: tuple[int, int],
    year_given: bool,
) -> Claim:
    try:
        value: dt.date | None = dt.date(year, month, day)
        malformed = None
    except ValueError:
        value, malformed = None, "not a valid calendar date"
    return Claim(
        kind=kind,
        value=value,
        text=text[span[0] : span[1]],
        span=span,
        year_given=year_given,
        malformed=malformed,
    )


def _borrow_years(claims: list[Claim]) -> None:
    """Give a year-less date the year of the nearest full date in the text (for display)."""
    dated = sorted(
        (c.span[0], c.value)
        for c in claims
        if c.kind in ("date", "month") and c.year_given and isinstance(c.value, dt.date)
    )
    if not dated:
        return
    positions = [pos for pos, _ in dated]
    for i, c in enumerate(claims):
        if c.year_given or not isinstance(c.value, dt.date):
            continue
        k = bisect.bisect_left(positions, c.span[0])
        year = dated[k - 1 if k else 0][1].year
        try:
            value = c.value.replace(year=year)
        except ValueError:  # 2月29日 in a common year
            continue
        claims[i] = Claim(kind=c.kind, value=value, text=c.text, span=c.span, year_given=False)


# --- numbers -------------------------------------------------------------------------------

_UP_ZH = "上涨|涨幅|涨|上升|升幅|回升|攀升|反弹|上调|增加|增长|增幅|增"
_DOWN_ZH = "下跌|跌幅|跌|下降|降幅|降|回落|下滑|下调|减少|减幅|减"
_DIRECTION_ZH = re.compile(
    rf"(?<![涨跌升降增减])(?:(?P<up>{_UP_ZH})|(?P<down>{_DOWN_ZH}))(?:了|为|约|达|幅度为|\s)*$"
)
_DIRECTION_EN = re.compile(
    r"(?<![A-Za-z])(?:(?P<up>up|rose|risen|rise|rising|gained|gain|increased|increase|climbed"
    r"|higher\ by)|(?P<down>down|fell|fallen|fall|falling|dropped|drop|lost|decreased|decrease"
    r"|declined|decline|eased|lower\ by))(?:\s+(?:by|of))?\s+$",
    re.IGNORECASE | re.VERBOSE,
)
_ZH_UNIT_AFTER = re.compile(r"\s?(?:元|美元|块|吨|万吨|千吨|%|个百分点|百分点|美分)")
_RANGE_GAP = re.compile(r"\s*(?:–|—|-|−|~|至|到|to)\s*")
_NUMERAL_UNITS = set("十百千万亿拾佰仟")


def _direction(work: str, start: int) -> int:
    before = work[max(0, start - 24) : start]
    m = _DIRECTION_ZH.search(before) or _DIRECTION_EN.search(before)
    if not m:
        return 0
    return 1 if m.group("up") else -1


def _keep_chinese(work: str, token: NumberToken, direction: int) -> bool:
    """Chinese numerals count as claims only where they read as a quantity: before a unit
    (五十元, 三千六百五十元/吨), as a percentage (百分之五), after 负, or after 涨/跌 when
    written with a unit character (涨五十). Time words (三个月, 第一) are left alone."""
    if token.percent or token.sign or _ZH_UNIT_AFTER.match(work, token.end):
        return True
    run = work[token.start : token.end]
    return bool(direction) and len(run) >= 2 and any(c in _NUMERAL_UNITS for c in run)


def _number_claims(text: str, work: str) -> list[Claim]:
    tokens: list[tuple[NumberToken, int]] = []
    for token in scan_numbers(work):
        direction = token.sign or _direction(work, token.start)
        if token.chinese and not _keep_chinese(work, token, direction):
            continue
        tokens.append((token, direction))
    # A range takes its scale word and percent sign from its right end: 3.6–3.7万吨, 1.2-1.5%.
    for i in range(len(tokens) - 2, -1, -1):
        (left, d), (right, _) = tokens[i], tokens[i + 1]
        gap = work[left.end : right.start]
        if _RANGE_GAP.fullmatch(gap) and not left.scale_exp and not left.percent:
            tokens[i] = (
                NumberToken(
                    start=left.start,
                    end=left.end,
                    magnitude=left.magnitude,
                    decimals=left.decimals,
                    scale_exp=right.scale_exp,
                    sign=left.sign,
                    percent=right.percent,
                    chinese=left.chinese,
                    malformed=left.malformed,
                ),
                d,
            )
    claims = []
    for token, direction in tokens:
        scaled = float(token.magnitude.scaleb(token.scale_exp))
        claims.append(
            Claim(
                kind="percent" if token.percent else "number",
                value=None if token.malformed else (-scaled if direction < 0 else scaled),
                text=text[token.start : token.end],
                span=(token.start, token.end),
                decimals=token.decimals,
                scale_exp=token.scale_exp,
                sign=direction,
                malformed=token.malformed,
                magnitude=token.magnitude,
            )
        )
    return claims


def extract_claims(text: str, *, protected: Iterable[str] = ()) -> list[Claim]:
    """Every number and date ``text`` asserts, in order, with spans into ``text``.

    ``protected`` names (products, specs: "62%铁矿", "HRB400E", "45港") are masked first;
    so are series codes in backticks or brackets, identifiers like Q235B, and diameters.
    """
    work = _masked(text, protected)
    claims, work = _date_claims(text, work)
    claims.extend(_number_claims(text, work))
    claims.sort(key=lambda c: c.span)
    return claims


# --- verification --------------------------------------------------------------------------


def _rounded(value: float, decimals: int) -> set[Decimal]:
    """``value`` at ``decimals`` as a reader or a program may have rounded it: half-up on the
    shortest decimal form, and half-even on the exact binary value (what ``f"{v:.2f}"``
    prints). The two differ only on ties, where either neighbour is an honest rounding."""
    quantum = Decimal(1).scaleb(-decimals)
    with localcontext() as ctx:
        ctx.prec = 60
        return {
            Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP),
            Decimal(value).quantize(quantum, rounding=ROUND_HALF_EVEN),
        }


def _readings(claim: Claim) -> list[tuple[Decimal, int]]:
    """(unsigned number, effective decimals) the claim may stand for: as written, and after
    its scale word (3.65千 -> 3650 shown to the tens). 512.3万吨 may match a value stored in
    万吨 (512.3) or in tonnes (5,123,000)."""
    assert claim.magnitude is not None
    out = [(claim.magnitude, claim.decimals)]
    if claim.scale_exp:
        out.append((claim.magnitude.scaleb(claim.scale_exp), claim.decimals - claim.scale_exp))
    return out


def _sign_ok(claim: Claim, target: Decimal, candidate: Decimal) -> bool:
    if claim.sign:
        return candidate == target * claim.sign
    return abs(candidate) == target


def _check_number(
    claim: Claim, values: Sequence[Value], allowed: Sequence[float]
) -> Problem | None:
    readings = _readings(claim)
    unsigned_hit = False
    for target, eff in readings:
        for a in allowed:
            exact = Decimal(repr(float(a)))
            if _sign_ok(claim, target, exact):
                return None
            unsigned_hit = unsigned_hit or abs(exact) == target
        for v in values:
            if eff > v.decimals:
                continue  # more decimals shown than the value allows: never a match
            for candidate in _rounded(float(v.value), eff):
                if _sign_ok(claim, target, candidate):
                    return None
                unsigned_hit = unsigned_hit or abs(candidate) == target
    if unsigned_hit:
        word = "rise" if claim.sign > 0 else "fall"
        return Problem(
            claim, f"{claim.text} is stated as a {word} but the data say otherwise", "sign"
        )
    finest = max((v.decimals for v in values), default=0)
    if min(eff for _, eff in readings) > finest:
        return Problem(
            claim,
            f"{claim.text} shows {claim.decimals} decimals; no tool value is that precise",
            "too_precise",
        )
    return Problem(claim, f"{claim.text} matches no tool value", "unmatched")


def _check_date(claim: Claim, allowed: set[dt.date]) -> Problem | None:
    value = claim.value
    assert isinstance(value, dt.date)
    if claim.kind == "date":
        ok = (
            value in allowed
            if claim.year_given
            else any((d.month, d.day) == (value.month, value.day) for d in allowed)
        )
    else:  # month
        ok = any(
            d.month == value.month and (not claim.year_given or d.year == value.year)
            for d in allowed
        )
    if ok:
        return None
    what = "date" if claim.kind == "date" else "month"
    return Problem(claim, f"{claim.text} is not a {what} of any tool result", "date")


def verify(
    text: str,
    values: Sequence[Value],
    *,
    dates: Iterable[dt.date] = (),
    allowed_numbers: Iterable[float] = (),
    protected: Iterable[str] = (),
) -> Verdict:
    """Check every number and date in ``text`` against the tool ``values``.

    A number passes when it equals a value (or its absolute value, unless the text states a
    direction: "跌50" must be -50) rounded to the decimals the text shows, which may be fewer
    than ``Value.decimals`` but never more; scale words are applied (3.65千 = 3650). It also
    passes when it is one of ``allowed_numbers`` (period lengths, top-N, versions). A date
    passes when it is in ``dates`` or is a value's ``date`` or ``start``; a month when one of
    those dates falls in it; a year when one of them does or it is an allowed number. At an
    exact rounding tie (3825 shown to the tens) either neighbour passes. Clock times (15:00)
    are not claims; pass a requested date that had no data ("nearest date used") in ``dates``.
    """
    values = [v for v in values if v.value == v.value and abs(v.value) != float("inf")]
    allowed = [float(a) for a in allowed_numbers]
    allowed_dates = set(dates)
    for v in values:
        allowed_dates.update(d for d in (v.date, v.start) if d is not None)
    claims = extract_claims(text, protected=protected)
    problems: list[Problem] = []
    for claim in claims:
        problem: Problem | None
        if claim.malformed:
            problem = Problem(claim, f"{claim.text} is malformed: {claim.malformed}", "malformed")
        elif claim.kind in ("date", "month"):
            problem = _check_date(claim, allowed_dates)
        elif claim.kind == "year":
            year = int(claim.value)  # type: ignore[arg-type]
            ok = year in {d.year for d in allowed_dates} or float(year) in allowed
            problem = (
                None if ok else Problem(claim, f"{claim.text} is not a year of the data", "date")
            )
        else:
            problem = _check_number(claim, values, allowed)
        if problem is not None:
            problems.append(problem)
    return Verdict(ok=not problems, problems=problems, checked=len(claims), claims=claims)
