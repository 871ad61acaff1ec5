"""Question → :class:`Frame`: entities, time, operation, and follow-up merging.

Rules, in order: injection and out-of-scope words refuse; unsupported commodities are
unavailable; then catalog listing, spreads, rankings, comparisons, changes, statistics and
plain lookups. A question without a subject inherits the previous frame (follow-ups such as
"那广州呢?" or "上个月呢?").
"""

from __future__ import annotations

import re
from datetime import date

from steelsage.assistant.parse.frame import Frame, Stat
from steelsage.assistant.parse.lexicon import Entity, Lexicon, normalize_question
from steelsage.assistant.parse.timeexpr import Period, find_times, shift_year

MAX_QUESTION_CHARS = 2000
_CJK = re.compile(r"[\u3400-\u9fff]")
_N = r"(\d{1,2}|[一二两三四五六七八九十]{1,2})"
_TOP_N = re.compile(
    rf"(?:前|top\s*|bottom\s*){_N}(?!\s*(?:天|日|周|个?月|年|个交易日|days?|weeks?|months?|years?))"
    rf"|后{_N}(?:名|位)"
    rf"|{_N}\s*(?:个城市|个地区|大城市|cities|regions)"
)
_CATALOG_SHAPE = re.compile(
    r"(?:哪些|什么|几个)\s*(?:城市|地区|品种|数据|价格|序列|指标)"
    r"|(?:which|what)\s+(?:\w+\s+){0,3}(?:cities|regions|series|data|indicators)\b"
    r".*\b(?:have|cover|carry|available|offer)"
)
_ZH_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def detect_language(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def _small_int(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if word.startswith("十"):
        return 10 + _ZH_DIGITS.get(word[1:], 0)
    if word.endswith("十"):
        return _ZH_DIGITS.get(word[0], 0) * 10
    if len(word) == 2 and word[1] in _ZH_DIGITS:
        return None
    return _ZH_DIGITS.get(word)


def _top_n(text: str) -> tuple[int | None, bool]:
    """(N, bottom?) from "前5", "top 3", "bottom 3", "后三"."""
    m = _TOP_N.search(text)
    if not m:
        return None, False
    n = _small_int(next(g for g in m.groups() if g))
    bottom = m.group(0).startswith(("后", "bottom"))
    return (min(n, 20) if n else None), bottom


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out spans (entity and time words) so word-class checks ignore them."""
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _stats_wanted(lex: Lexicon, rest: str) -> list[Stat]:
    wanted: list[Stat] = []
    for name in ("average", "high", "low", "median", "stdev"):
        if lex.has(name, rest):
            wanted.append(name)  # type: ignore[arg-type]
    return wanted


def parse_question(
    question: str,
    *,
    today: date,
    lexicon: Lexicon,
    previous: Frame | None = None,
    lang: str | None = None,
) -> Frame:
    """Parse one question (with the previous turn's frame for follow-ups)."""
    language = lang or detect_language(question)
    frame = Frame(intent="lookup", lang=language)  # type: ignore[arg-type]
    text = normalize_question(question).strip()
    if not text:
        return frame.copy(intent="clarify", reason="empty")
    if len(text) > MAX_QUESTION_CHARS:
        return frame.copy(intent="refuse", reason="too_long")
    if lexicon.has("injection", text):
        return frame.copy(intent="refuse", reason="injection")

    entities = lexicon.entities(text)
    times = find_times(text, today)
    spans = [e.span for e in entities] + [t.span for t in times]
    rest = _mask(text, spans)
    _fill_entities(frame, entities, lexicon)
    _fill_times(frame, times)

    if not frame.has_subject and lexicon.has("out_of_scope", rest):
        return frame.copy(intent="refuse", reason="out_of_scope")
    for later in ("forecast", "report"):  # capabilities of a later release: say so
        if lexicon.has(later, rest):
            return frame.copy(intent="unavailable", reason=later)
    unsupported = [e.text for e in entities if e.kind == "unsupported"]
    if unsupported:  # 铝锭, or 螺纹钢期货持仓: a product we carry, data we do not
        return frame.copy(intent="unavailable", reason="unsupported", unknown=unsupported)

    _choose_intent(frame, lexicon, text, rest)

    generic = any(e.kind in ("generic", "commodity") for e in entities)
    if (
        previous is not None
        and frame.intent != "catalog"
        and not generic
        and _is_followup(frame, lexicon, rest, previous)
    ):
        frame = _merge(previous, frame, lexicon, rest)
    if not frame.has_subject and frame.intent not in ("catalog", "refuse", "unavailable"):
        asks_data = (
            generic
            or lexicon.has("price", rest)
            or frame.regions
            or frame.period
            or frame.compare_period
        )
        if frame.commodity and frame.intent == "lookup":
            return frame.copy(intent="clarify", reason="which_product")
        domain = any(
            lexicon.has(name, rest)
            for name in ("change", "rank_low", "rank_high", "trend", "average", "spread", "vague")
        )
        if asks_data or domain or (previous is None and lexicon.has("followup", rest)):
            return frame.copy(intent="clarify", reason="which_product")
        return frame.copy(intent="refuse", reason="out_of_scope")
    return frame


def _fill_entities(frame: Frame, entities: list[Entity], lexicon: Lexicon) -> None:
    products = _dedupe([e.code for e in entities if e.kind == "product"])
    frame.products = products
    frame.indicators = _dedupe([e.code for e in entities if e.kind == "indicator"])
    frame.externals = _dedupe([e.code for e in entities if e.kind == "external"])
    commodities = [e.code for e in entities if e.kind == "commodity"]
    frame.commodity = commodities[0] if commodities else None
    spreads = [lexicon.spreads[e.code] for e in entities if e.kind == "spread"]
    frame.spread = spreads[0] if spreads else None
    context = products[0] if products else None
    regions: list[str] = []
    words: list[str] = []
    for e in entities:
        if e.kind != "region":
            continue
        code = lexicon.regions_for(e.text, context)
        if code and code not in regions:
            regions.append(code)
            words.append(e.text)
    frame.regions = regions
    frame.region_words = words


def _fill_times(frame: Frame, times: list) -> None:  # list[TimeMatch]
    mains = [t.period for t in times if t.relation == "main"]
    compares = [t for t in times if t.relation == "compare"]
    if mains:
        frame.period = mains[0]
    if len(mains) >= 2:
        frame.compare_period = mains[1]
    if compares:
        base = frame.period
        shifted = compares[0].period
        if base is not None and _is_last_year_marker(compares[0].text):
            shifted = shift_year(base, -1)
        frame.compare_period = shifted


def _is_last_year_marker(text: str) -> bool:
    return any(w in text for w in ("去年同期", "same period last year", "a year ago", "一年前"))


def _choose_intent(frame: Frame, lexicon: Lexicon, text: str, rest: str) -> None:
    frame.pct = lexicon.has("pct", rest)
    n, bottom = _top_n(text)
    low, high = lexicon.has("rank_low", rest), lexicon.has("rank_high", rest)
    top = n is not None or lexicon.has("rank_top", rest)
    catalog_shape = lexicon.has("catalog", rest) or _CATALOG_SHAPE.search(rest)
    if catalog_shape and not (low or high or n):
        frame.intent = "catalog"
        return
    if frame.spread is not None:
        frame.intent = "spread"
        frame.stats = _stats_wanted(lexicon, rest)
        if not frame.stats and lexicon.has("trend", rest):
            frame.stats = ["average", "high", "low"]
        return
    two_series = (len(frame.products) == 2 and len(frame.regions) <= 1) or (
        len(frame.products) == 1 and len(frame.regions) == 2
    )
    if two_series and not frame.indicators:
        if lexicon.has("ratio", rest):
            frame.intent, frame.spread_op = "spread", "ratio"
            return
        if lexicon.has("spread", rest):
            frame.intent = "spread"
            frame.stats = _stats_wanted(lexicon, rest)
            return
    one_product = len(frame.products) == 1 and not frame.indicators and len(frame.regions) < 2
    point = frame.period is None or frame.period.point
    if (
        one_product
        and (low or high or top)
        and (lexicon.has("rank_marker", rest) or top or (not frame.regions and point))
    ):
        frame.intent = "rank"
        frame.order = "desc" if (high and not low) or (top and not low and not bottom) else "asc"
        if bottom and not (low or high):
            frame.order = "asc"
        frame.n = n or 1
        return
    if frame.compare_period is not None:
        frame.intent = "compare_dates"
        return
    if (
        len(frame.regions) >= 2
        or (len(frame.products) >= 2 and not frame.indicators)
        or len(frame.externals) >= 2
    ):
        frame.intent = "compare"
        return
    if lexicon.has("change", rest) or frame.pct:
        frame.intent = "change"
        return
    stats = _stats_wanted(lexicon, rest)
    if stats or lexicon.has("trend", rest):
        frame.intent = "stats"
        frame.stats = stats
        return
    if frame.period is not None and not frame.period.point:
        frame.intent = "stats"
        return
    frame.intent = "lookup"


def _is_followup(frame: Frame, lexicon: Lexicon, rest: str, previous: Frame) -> bool:
    if previous.intent in ("refuse", "unavailable", "catalog") and not previous.has_subject:
        return False
    if not frame.has_subject:
        return bool(frame.regions or frame.period or frame.compare_period or rest.strip())
    if frame.regions and frame.products:
        return False
    return lexicon.has("followup", rest) or _is_short(rest)


def _is_short(rest: str) -> bool:
    """ "HRC?", "热卷的": what is left besides the named things is a word or two at most."""
    words = re.findall(r"[a-z]+|[\u3400-\u9fff]", rest)
    return len(words) <= 2


def _merge(previous: Frame, new: Frame, lexicon: Lexicon, rest: str) -> Frame:
    """The previous frame with the slots the follow-up names replaced."""
    merged = previous.copy(
        lang=new.lang,
        series=[],
        assumptions=[],
        followup=True,
        reason=None,
        unknown=[],
    )
    if new.has_subject:
        keep_indicator = previous.indicators and new.products and not new.indicators
        merged.products = new.products
        merged.indicators = previous.indicators if keep_indicator else new.indicators
        merged.externals, merged.spread = new.externals, new.spread
        if previous.intent == "spread" and new.spread is None:
            merged.intent = "lookup"
    if new.regions:
        merged.regions, merged.region_words = new.regions, new.region_words
    if new.period is not None:
        merged.period = new.period
        merged.compare_period = new.compare_period
    elif new.compare_period is not None:
        merged.compare_period = new.compare_period
    low, high = lexicon.has("rank_low", rest), lexicon.has("rank_high", rest)
    if previous.intent == "rank" and (low or high) and not new.has_subject:
        merged.order = "asc" if low and not high else "desc"
        merged.n = new.n or previous.n or 1
        return merged
    explicit = new.intent in ("change", "stats", "rank", "compare_dates") and (
        new.intent != "stats" or new.stats or lexicon.has("trend", rest)
    )
    if explicit:
        merged.intent = new.intent
        merged.stats, merged.pct = new.stats, new.pct
        merged.order, merged.n = new.order, new.n
    elif merged.intent == "compare" and len(merged.regions) < 2 and len(merged.products) < 2:
        merged.intent = "lookup"
    elif merged.intent == "lookup" and merged.period is not None and not merged.period.point:
        merged.intent = "stats"
    elif merged.intent == "compare_dates" and merged.compare_period is None:
        merged.intent = "lookup"
    return merged


__all__ = ["MAX_QUESTION_CHARS", "Period", "detect_language", "parse_question"]
