"""Chinese and English number formats, in (parsing) and out (formatting).

Users write prices as "3,650", "3650元/吨", "3.65千元", "三千六百五十" or "３６５０"; the
parser needs one float for all of them. The composer prints numbers in exactly one way per
kind (thousands separators, half-up rounding, ISO dates) so the verifier can read every number
back without guessing. Both directions live here so they cannot drift apart.

Everything is plain ``re`` and ``decimal``: importing this module must stay cheap because
``steelsage ask`` loads it on a cold start.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

Lang = Literal["zh", "en"]

# --- normalisation -------------------------------------------------------------------------

# One character in, one character out, so spans found in the normalised text are spans in the
# original text too. The full-width comma "，" is deliberately NOT mapped: "3,600，3,700" is
# two numbers, "3,600,3,700" would read as one.
_HALFWIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "．": ".",
        "％": "%",
        "＋": "+",
        "－": "-",
        "／": "/",
        "～": "~",
    }
)


def to_halfwidth(text: str) -> str:
    """Full-width digits, ``．％＋－／～`` to ASCII; the result has the same length."""
    return text.translate(_HALFWIDTH)


# --- Chinese numerals ----------------------------------------------------------------------

_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "两": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_ZH_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_BIG = (("亿", 10**8), ("万", 10**4))
_ZH_CHARS = "".join(_ZH_DIGITS) + "".join(_ZH_SMALL) + "万亿"
_ZH_DIGIT_CHARS = "".join(_ZH_DIGITS)

#: A run of Chinese numeral characters, optionally with a decimal part ("三点五").
ZH_NUMERAL_RE = re.compile(rf"[{_ZH_CHARS}]+(?:点[{_ZH_DIGIT_CHARS}]+)?")


def _zh_section(s: str) -> int | None:
    """A numeral below 10,000 (no 万/亿): "三千六百五十", "十五", "三千六" (= 3600), "二〇二六"."""
    if not s:
        return 0
    if all(c in _ZH_DIGITS for c in s):  # read digit by digit: 二〇二六 -> 2026
        return int("".join(str(_ZH_DIGITS[c]) for c in s))
    total = 0
    digit: int | None = None
    last_unit: int | None = None
    zero_seen = False
    for c in s:
        if c in _ZH_DIGITS:
            d = _ZH_DIGITS[c]
            if d == 0:
                zero_seen = True
                continue
            if digit is not None:
                return None  # two digits without a unit between them: not a numeral
            digit = d
        elif c in _ZH_SMALL:
            unit = _ZH_SMALL[c]
            if last_unit is not None and unit >= last_unit:
                return None
            if digit is None:
                if unit != 10:
                    return None
                digit = 1  # 十五 = 15, 一百一十 written as 一百十
            total += digit * unit
            digit, last_unit, zero_seen = None, unit, False
        else:
            return None
    if digit is not None:
        # 三千六 = 3600 and 一百二 = 120 (the unit below the last one is implied) unless a 零
        # came between: 三千零六 = 3006.
        total += digit * (last_unit // 10) if last_unit and not zero_seen else digit
    return total


def _zh_int(s: str) -> int | None:
    for char, big in _ZH_BIG:
        i = s.rfind(char)
        if i < 0:
            continue
        left, right = s[:i], s[i + 1 :]
        if char in left:
            return None  # 五万万: a big unit may only repeat as 万亿
        high = _zh_int(left) if left else None
        if not high:
            return None
        if len(right) == 1 and _ZH_DIGITS.get(right):
            low: int | None = _ZH_DIGITS[right] * big // 10  # 两万五 = 25000
        else:
            low = _zh_int(right) if right else 0
        if low is None or low >= big:
            return None
        return high * big + low
    return _zh_section(s)


def zh_to_number(s: str) -> float | None:
    """Value of a string made only of Chinese numerals ("三千六百五十", "三点五"), else None."""
    if not s:
        return None
    whole, _, frac = s.partition("点")
    value = _zh_int(whole) if whole else None
    if value is None:
        return None
    if not frac:
        return float(value)
    if any(c not in _ZH_DIGITS for c in frac):
        return None
    return float(f"{value}.{''.join(str(_ZH_DIGITS[c]) for c in frac)}")


def _zh_has_digit(s: str) -> bool:
    """Whether a run counts as a number: it needs a digit 1–9 or to start with 十 ("十" = 10).

    This keeps words like 零售 (retail) or a stray 万 (as in the unit 万吨) from reading as 0.
    """
    return s[0] in "十拾" or any(_ZH_DIGITS.get(c) for c in s)


def parse_int_zh(text: str) -> int | None:
    """An integer written in Chinese numerals or Arabic digits: "三十" -> 30, "五" -> 5, "30" -> 30.

    The whole text is read when it is a numeral; otherwise the first numeral inside it, so
    "近三十天" gives 30 and "前五" gives 5. Fractions ("三点五", "半") give None.
    """
    t = to_halfwidth(text).strip()
    if t.isascii() and t.isdigit():
        return int(t)
    for m in re.finditer(rf"\d+|[{_ZH_CHARS}]+", t):
        run = m.group()
        if run.isdigit() and run.isascii():
            return int(run)
        if run == t or _zh_has_digit(run):
            value = _zh_int(run)
            if value is not None:
                return value
    return None


# --- scanning numbers ----------------------------------------------------------------------

_SCALES = {
    "万亿": 12,
    "千万": 7,
    "百万": 6,
    "十万": 5,
    "亿": 8,
    "万": 4,
    "千": 3,
    "thousand": 3,
    "million": 6,
    "billion": 9,
    "k": 3,
    "K": 3,
    "mn": 6,
    "bn": 9,
}

_ARABIC_RE = re.compile(
    r"""
    (?<![\d.])
    (?P<num>\d+(?:,\d+)*(?:\.\d+)?)
    (?:
        \s?(?P<scale>万亿|千万|百万|十万|亿|万|千|thousand\b|million\b|billion\b)
        | (?P<scale_short>k|K|mn|bn)(?![A-Za-z])
    )?
    (?:\s?(?P<pct>%|个百分点|百分点|pp(?![A-Za-z])|percentage\ points?\b|per\ ?cent\b))?
    """,
    re.VERBOSE,
)
_GROUPED_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_ZH_RUN_RE = re.compile(
    rf"(?P<pct_prefix>百分之)?(?P<num>[{_ZH_CHARS}]+(?:点[{_ZH_DIGIT_CHARS}]+)?)"
    r"(?P<pct>%|个百分点|百分点)?"
)
_MINUS = "-−﹣"
_PLUS = "+"


@dataclass(frozen=True, slots=True)
class NumberToken:
    """A number as written: where it is, its digits, scale word, explicit sign and percent.

    ``magnitude`` is the unsigned value of the digits before scaling; ``scale_exp`` the power
    of ten of a scale word (3.65千 -> magnitude 3.65, scale_exp 3); ``decimals`` the digits
    shown after the decimal point. ``malformed`` says why the text is not a number (for
    example "3,65": thousands separators must group three digits).
    """

    start: int
    end: int
    magnitude: Decimal
    decimals: int
    scale_exp: int = 0
    sign: int = 0  # +1 / -1 for an explicit "+", "-", "负"; 0 when none is written
    percent: bool = False
    chinese: bool = False
    malformed: str | None = None

    @property
    def value(self) -> float:
        v = float(self.magnitude.scaleb(self.scale_exp))
        return -v if self.sign < 0 else v


def _explicit_sign(text: str, start: int) -> tuple[int, int]:
    """(sign, new start) for a "+", "-" or "负" written right before ``start``.

    A hyphen after a number ("3600-3700", "1.2%-1.5%") joins a range and is not a sign.
    """
    if start == 0:
        return 0, start
    ch = text[start - 1]
    if ch in _PLUS:
        return 1, start - 1
    if ch == "负":
        return -1, start - 1
    if ch in _MINUS:
        before = text[: start - 1].rstrip()
        if before and (before[-1].isdigit() or before[-1] in "%万千亿"):
            return 0, start
        return -1, start - 1
    return 0, start


def scan_numbers(text: str, *, chinese: bool = True) -> Iterator[NumberToken]:
    """Every number in ``text`` in order: Arabic (with separators, scale words, percent and an
    explicit sign) and, with ``chinese``, runs of Chinese numerals that read as a number.

    ``text`` should already be half-width (:func:`to_halfwidth`); spans refer to it. The
    caller decides which Chinese runs are numbers in context (the verifier keeps only those
    followed by a unit or preceded by 涨/跌).
    """
    taken: list[tuple[int, int]] = []
    tokens: list[NumberToken] = []
    for m in _ARABIC_RE.finditer(text):
        digits = m.group("num")
        malformed = None
        if "," in digits and not _GROUPED_RE.fullmatch(digits):
            malformed = "thousands separators must group three digits"
        plain = digits.replace(",", "")
        _, _, frac = plain.partition(".")
        scale_word = m.group("scale") or m.group("scale_short")
        sign, start = _explicit_sign(text, m.start())
        tokens.append(
            NumberToken(
                start=start,
                end=m.end(),
                magnitude=Decimal(plain),
                decimals=len(frac),
                scale_exp=_SCALES[scale_word] if scale_word else 0,
                sign=sign,
                percent=bool(m.group("pct")),
                malformed=malformed,
            )
        )
        taken.append((m.start(), m.end()))
    if chinese:
        # Blank out the Arabic tokens (and their scale words: the 千 of 3.65千) first.
        rest = list(text)
        for a, b in taken:
            rest[a:b] = "\x00" * (b - a)
        for m in _ZH_RUN_RE.finditer("".join(rest)):
            token = _zh_token(text, m)
            if token is not None:
                tokens.append(token)
    tokens.sort(key=lambda t: t.start)
    yield from tokens


def _zh_token(text: str, m: re.Match[str]) -> NumberToken | None:
    run = m.group("num")
    if not _zh_has_digit(run):
        return None
    scale_exp = 0
    value = zh_to_number(run)
    # A trailing 万/亿 is a scale word, like after Arabic digits: 五十万吨 = 50 x 10^4 t.
    if run[-1] in "万亿" and len(run) > 1 and not (set(run[:-1]) & set("亿" + run[-1])):
        head = zh_to_number(run[:-1])
        if head is not None:
            value, scale_exp = head, (4 if run[-1] == "万" else 8)
    if value is None:
        return None
    _, _, frac = run.partition("点")
    sign, start = _explicit_sign(text, m.start("num") if not m.group("pct_prefix") else m.start())
    return NumberToken(
        start=start,
        end=m.end(),
        magnitude=Decimal(repr(value)).quantize(Decimal(1).scaleb(-len(frac))),
        decimals=len(frac),
        scale_exp=scale_exp,
        sign=sign,
        percent=bool(m.group("pct_prefix") or m.group("pct")),
        chinese=True,
    )


def parse_number(text: str) -> float | None:
    """The first number in ``text`` as a float, or None when there is none.

    "3,650" "3650元/吨" -> 3650; "3.65千元" -> 3650; "3.6万吨" -> 36000; "1.2亿" -> 1.2e8;
    "1.4%" -> 1.4; "-50" and "负50" -> -50; "三千六百五十" -> 3650; "３６５０" -> 3650.
    A malformed number ("3,65") gives None rather than a guess. Direction words (涨/跌) are
    not signs here; the caller knows whether it asked for a level or a change.
    """
    for token in scan_numbers(to_halfwidth(text)):
        return None if token.malformed else token.value
    return None


# --- formatting ----------------------------------------------------------------------------


def round_half_up(value: float, decimals: int = 0) -> Decimal:
    """``value`` rounded half away from zero at ``decimals`` (negative: tens, hundreds ...).

    Rounds the shortest decimal form of the float (``repr``), so 2.675 -> 2.68 as a reader
    expects, not 2.67 as binary floating point would give.
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}: only finite numbers can be shown")
    with localcontext() as ctx:
        ctx.prec = 60
        return Decimal(repr(float(value))).quantize(
            Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
        )


def fmt_num(value: float, decimals: int = 0, lang: Lang = "zh") -> str:
    """``3650`` -> "3,650", ``3650.5, 1`` -> "3,650.5": thousands separators in both languages."""
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, got {decimals}")
    d = round_half_up(value, decimals)
    if d == 0:
        d = abs(d)  # never print "-0"
    return f"{d:,.{decimals}f}"


def _unit_sep(unit_label: str) -> str:
    return "" if not unit_label or unit_label[0] in "%/" else " "


def fmt_change(value: float, decimals: int = 0, unit_label: str = "", lang: Lang = "zh") -> str:
    """A change with its direction word: "涨50元/吨", "跌30元/吨", "持平"; "up 50 CNY/t",
    "down 30 CNY/t", "unchanged". A change that rounds to zero is "持平"/"unchanged"."""
    d = round_half_up(value, decimals)
    if d == 0:
        return "持平" if lang == "zh" else "unchanged"
    magnitude = fmt_num(abs(value), decimals)
    if lang == "zh":
        return f"{'涨' if d > 0 else '跌'}{magnitude}{unit_label}"
    return f"{'up' if d > 0 else 'down'} {magnitude}{_unit_sep(unit_label)}{unit_label}"


def fmt_pct(value: float, decimals: int = 2, lang: Lang = "zh", signed: bool = True) -> str:
    """A percentage: "+1.40%", "-0.52%", "0.00%"; without ``signed`` no "+" is written."""
    d = round_half_up(value, decimals)
    text = fmt_num(abs(value), decimals)
    if d < 0:
        return f"-{text}%"
    if d > 0 and signed:
        return f"+{text}%"
    return f"{text}%"


def fmt_date(d: dt.date, lang: Lang = "zh") -> str:
    """ISO "2026-11-24" in both languages: one unambiguous form the verifier reads back."""
    if isinstance(d, dt.datetime):
        d = d.date()
    return d.isoformat()


def fmt_range(lo: float, hi: float, decimals: int = 0, lang: Lang = "zh") -> str:
    """ "3,600–3,700" (en dash, which is never read as a minus sign)."""
    return f"{fmt_num(lo, decimals)}–{fmt_num(hi, decimals)}"


_ZH_OUT_DIGITS = "零一二三四五六七八九"


def _zh_out_section(x: int) -> str:
    out = ""
    zero = False
    for unit, char in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        q = x // unit % 10
        if q == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _ZH_OUT_DIGITS[q] + char
    return out


def fmt_int_zh(n: int) -> str:
    """An integer in Chinese numerals: 3650 -> "三千六百五十", 15 -> "十五", 10005 -> "一万零五"."""
    if n < 0:
        return "负" + fmt_int_zh(-n)
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    units = ["", "万", "亿", "万亿"]
    if len(groups) > len(units):
        raise ValueError("number too large to write in Chinese numerals")
    out = ""
    need_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out += "零"
        out += _zh_out_section(g) + units[i]
        need_zero = False
    return out[1:] if out.startswith("一十") else out
