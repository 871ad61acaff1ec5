"""Tool outputs → the templated answer text, in Chinese or English, with sources.

Every number in the text is formatted from a tool :class:`Value` with that value's own
rounding, so the verifier can trace it back; dates are ISO. Sentences are built per tool
(lookup, change, compare, rank, spread, stats, catalog) and followed by what we assumed,
what was missing and where the numbers come from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from steelsage.assistant.answer import Answer, Source, TraceStep, Value
from steelsage.assistant.compose_edges import compose_edge, compose_problem
from steelsage.assistant.naming import Namer
from steelsage.assistant.numbers import fmt_change, fmt_date, fmt_num, fmt_pct, fmt_range
from steelsage.assistant.parse.frame import Frame
from steelsage.assistant.parse.lexicon import Lexicon
from steelsage.assistant.tools.base import ToolOutput

__all__ = ["compose_data", "compose_edge", "compose_problem"]

Output = tuple[str, dict[str, Any], ToolOutput]


class _Writer:
    """Collects sentences plus the extra numbers and dates the text may mention."""

    def __init__(self, frame: Frame, namer: Namer) -> None:
        self.frame = frame
        self.lang = frame.lang
        self.zh = frame.lang == "zh"
        self.namer = namer
        self.lines: list[str] = []
        self.allowed_numbers: set[float] = set()
        self.allowed_dates: set[date] = set()
        # Words with digits that are labels, not figures ("近30天", "第2版"): masked when verifying.
        self.protected: set[str] = set()

    # ------------------------------------------------------------------ formatting
    def num(self, v: Value) -> str:
        return fmt_num(v.value, v.decimals, self.lang)  # type: ignore[arg-type]

    def unit(self, v: Value | str | None) -> str:
        code = v.unit if isinstance(v, Value) else v
        return self.namer.unit(code, self.lang)

    def amount(self, v: Value) -> str:
        unit = self.unit(v)
        if not unit:
            return self.num(v)
        if unit == "%":
            return f"{self.num(v)}%"
        return f"{self.num(v)}{unit}" if self.zh else f"{self.num(v)} {unit}"

    def change(self, v: Value) -> str:
        unit = self.unit(v)
        if unit == "%":  # a change of a percentage is in percentage points
            unit = "个百分点" if self.zh else " pp"
        return fmt_change(v.value, v.decimals, unit, self.lang)  # type: ignore[arg-type]

    def pct(self, v: Value | None) -> str:
        if v is None:
            return ""
        return fmt_pct(v.value, v.decimals, self.lang)  # type: ignore[arg-type]

    def date(self, d: date | None) -> str:
        if d is None:
            return ""
        self.allowed_dates.add(d)
        return fmt_date(d)

    def name(self, code: str) -> str:
        return self.namer.series(code, self.lang)

    def period_label(self) -> str:
        p = self.frame.period
        if p is None or p.point:
            return ""
        label = p.label_zh if self.zh else p.label_en
        self.allowed_dates.update((p.start, p.end))
        if re.search(r"[^\d\s\-–/.,]", label):
            self.protected.add(label)
        elif label.isdigit():  # a bare year, "2023"
            self.allowed_numbers.add(float(label))
        return label

    def say(self, zh: str, en: str) -> None:
        self.lines.append(zh if self.zh else en)


def _en_parens(text: str) -> str:
    return text.replace("（", " (").replace("）", ")")


def _by_label(values: Iterable[Value]) -> dict[str, Value]:
    return {v.label: v for v in values}


# ---------------------------------------------------------------------- per tool
def _lookup(w: _Writer, out: ToolOutput) -> None:
    by = _by_label(out.values)
    for v in out.values:
        if ":" in v.label or v.series_code is None:
            continue
        code = v.series_code
        low, high = by.get(f"{code}:low"), by.get(f"{code}:high")
        name, when = w.name(code), w.date(v.date)
        rng = ""
        if low is not None and high is not None and (low.value, high.value) != (v.value, v.value):
            r = fmt_range(low.value, high.value, max(low.decimals, high.decimals))
            rng = f"（区间 {r}）" if w.zh else f" (range {r})"
        if v.kind == "price":
            w.say(
                f"{name}{when}价格为 {w.amount(v)}{rng}。",
                f"{name} was {w.amount(v)} on {when}{rng}.",
            )
        else:
            w.say(
                f"{name}{when}为 {w.amount(v)}{rng}。", f"{name} was {w.amount(v)} on {when}{rng}."
            )


def _change(w: _Writer, out: ToolOutput) -> None:
    by = _by_label(out.values)
    codes = list(dict.fromkeys(v.series_code for v in out.values if v.series_code))
    label = w.period_label()
    for code in codes:
        name = w.name(code)
        end, base = by.get(f"{code}:end"), by.get(f"{code}:base")
        change, pct = by.get(f"{code}:change"), by.get(f"{code}:pct_change")
        if end is not None and base is not None:
            chg = Value(
                label="chg", value=end.value - base.value, unit=end.unit, decimals=end.decimals
            )
            pct_text = f"（{w.pct(pct)}）" if pct and w.zh else f" ({w.pct(pct)})" if pct else ""
            span_zh = (
                f"{label}（{w.date(base.date)} 至 {w.date(end.date)}）"
                if label
                else f"{w.date(base.date)} 至 {w.date(end.date)}"
            )
            span_en = (
                f"{label} ({w.date(base.date)} to {w.date(end.date)})"
                if label
                else f"from {w.date(base.date)} to {w.date(end.date)}"
            )
            w.say(
                f"{name}{span_zh}{w.change(chg)}{pct_text}，"
                f"从 {w.amount(base)} 到 {w.amount(end)}。",
                f"{name} was {w.change(chg)}{pct_text} {span_en}, "
                f"from {w.amount(base)} to {w.amount(end)}.",
            )
            continue
        level = by.get(code)
        if level is None or change is None:
            continue
        pct_text = f"（{w.pct(pct)}）" if pct and w.zh else f" ({w.pct(pct)})" if pct else ""
        prev = f"（前值日期 {w.date(change.start)}）" if change.start and w.zh else ""
        prev_en = f" (previous value: {w.date(change.start)})" if change.start else ""
        w.say(
            f"{name}{w.date(level.date)}报 {w.amount(level)}，"
            f"较前一交易日{w.change(change)}{pct_text}{prev}。",
            f"{name} was {w.amount(level)} on {w.date(level.date)}, {w.change(change)}{pct_text} "
            f"from the previous trading day{prev_en}.",
        )


def _compare(w: _Writer, out: ToolOutput) -> None:
    levels = [v for v in out.values if v.kind in ("price", "value") and v.series_code]
    diffs = [v for v in out.values if v.kind in ("spread", "change") and ":" not in v.label]
    pcts = _by_label(v for v in out.values if v.kind == "pct_change")
    if any("@" in v.label for v in levels):  # one series at several dates
        code = levels[0].series_code or ""
        parts = [f"{w.date(v.date)} 为 {w.amount(v)}" for v in levels]
        parts_en = [f"{w.amount(v)} on {w.date(v.date)}" for v in levels]
        w.say(f"{w.name(code)}：{'，'.join(parts)}。", f"{w.name(code)}: {'; '.join(parts_en)}.")
        for d in diffs:
            higher = d.value > 0
            pct = pcts.get(f"{d.label}:pct_change")
            pct_text = f"（{w.pct(pct)}）" if pct else ""
            absval = Value(label="abs", value=abs(d.value), unit=d.unit, decimals=d.decimals)
            if round(d.value, d.decimals) == 0:
                w.say(
                    f"{w.date(d.date)} 与 {w.date(d.start)} 持平。",
                    f"Unchanged between {w.date(d.start)} and {w.date(d.date)}.",
                )
            else:
                w.say(
                    f"{w.date(d.date)} 比 {w.date(d.start)} {'高' if higher else '低'} "
                    f"{w.amount(absval)}{pct_text}。",
                    f"{w.date(d.date)} was {w.amount(absval)} {'higher' if higher else 'lower'} "
                    f"than {w.date(d.start)}{_en_parens(pct_text)}.",
                )
        return
    parts = [f"{w.name(v.series_code or '')} {w.amount(v)}（{w.date(v.date)}）" for v in levels]
    parts_en = [f"{w.name(v.series_code or '')} {w.amount(v)} ({w.date(v.date)})" for v in levels]
    w.say("；".join(parts) + "。", "; ".join(parts_en) + ".")
    for d in diffs:
        a, b = d.label.split("-", 1)
        pct = pcts.get(f"{d.label}:pct_change")
        pct_text = f"（{w.pct(pct)}）" if pct else ""
        absval = Value(label="abs", value=abs(d.value), unit=d.unit, decimals=d.decimals)
        if round(d.value, d.decimals) == 0:
            w.say(f"{w.name(a)}与{w.name(b)}持平。", f"{w.name(a)} and {w.name(b)} are level.")
        else:
            more = d.value > 0
            w.say(
                f"{w.name(a)}比{w.name(b)}{'高' if more else '低'} {w.amount(absval)}{pct_text}。",
                f"{w.name(a)} is {w.amount(absval)} {'above' if more else 'below'} {w.name(b)}"
                f"{_en_parens(pct_text)}.",
            )


def _rank(w: _Writer, out: ToolOutput, args: dict[str, Any]) -> None:
    levels = [v for v in out.values if v.kind in ("price", "value") and v.series_code]
    counts = _by_label(v for v in out.values if v.kind == "count")
    if not levels:
        return
    product = w.namer.product(args.get("product", ""), w.lang)
    when = w.date(levels[0].date)
    asc = args.get("order", "asc") == "asc"
    if len(levels) == 1:
        v = levels[0]
        w.say(
            f"{when}{product}价格{'最低' if asc else '最高'}的城市是"
            f"{w.namer.region_of(v.series_code or '', w.lang)}，{w.amount(v)}。",
            f"On {when} the {'cheapest' if asc else 'most expensive'} {product} was in "
            f"{w.namer.region_of(v.series_code or '', w.lang)}, at {w.amount(v)}.",
        )
    else:
        items = [
            f"{_CIRCLED[i]}{w.namer.region_of(v.series_code or '', w.lang)} {w.amount(v)}"
            for i, v in enumerate(levels)
        ]
        w.say(
            f"{when}{product}价格从{'低到高' if asc else '高到低'}：{'；'.join(items)}。",
            f"{product} on {when}, from {'lowest' if asc else 'highest'}: {'; '.join(items)}.",
        )
    ranked = counts.get("ranked")
    if ranked is not None:
        left = counts.get("left_out")
        extra_zh = f"，另有 {fmt_num(left.value)} 个城市当天无数据" if left else ""
        extra_en = f"; {fmt_num(left.value)} had no value that day" if left else ""
        w.say(
            f"（共 {fmt_num(ranked.value)} 个城市参与排名{extra_zh}。）",
            f"({fmt_num(ranked.value)} cities ranked{extra_en}.)",
        )


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _spread(w: _Writer, out: ToolOutput, args: dict[str, Any]) -> None:
    a, b, op = args["a"], args["b"], args.get("op", "minus")
    sym = "−" if op == "minus" else "/"
    by = _by_label(out.values)
    label = f"{a}-{b}" if op == "minus" else f"{a}/{b}"
    name_zh = f"{w.namer.series(a, 'zh')}{sym}{w.namer.series(b, 'zh')}"
    name_en = f"{w.namer.series(a, 'en')} {sym} {w.namer.series(b, 'en')}"
    what_zh = ("价差" if op == "minus" else "比值") + f"（{name_zh}）"
    what_en = ("spread" if op == "minus" else "ratio") + f" ({name_en})"
    main = by.get(label)
    if main is None:
        return
    if f"{label}:average" not in by:  # one day
        legs = [by.get(a), by.get(b)]
        leg_zh = "，".join(f"{w.name(x.series_code or '')} {w.amount(x)}" for x in legs if x)
        leg_en = "; ".join(f"{w.name(x.series_code or '')} {w.amount(x)}" for x in legs if x)
        w.say(
            f"{w.date(main.date)}{what_zh}为 {w.amount(main)}（{leg_zh}）。",
            f"On {w.date(main.date)} the {what_en} was {w.amount(main)} ({leg_en}).",
        )
        return
    change, avg = by[f"{label}:change"], by[f"{label}:average"]
    high, low = by[f"{label}:high"], by[f"{label}:low"]
    period = w.period_label()
    w.say(
        f"{period}{what_zh}：最新 {w.amount(main)}（{w.date(main.date)}），"
        f"较 {w.date(change.start)} "
        f"{w.change(change)}；均值 {w.amount(avg)}，最高 {w.amount(high)}（{w.date(high.date)}），"
        f"最低 {w.amount(low)}（{w.date(low.date)}）。",
        f"{(period + ', ') if period else ''}{what_en}: "
        f"latest {w.amount(main)} ({w.date(main.date)}), "
        f"{w.change(change)} since {w.date(change.start)}; average {w.amount(avg)}, high "
        f"{w.amount(high)} ({w.date(high.date)}), low {w.amount(low)} ({w.date(low.date)}).",
    )


_STAT_WORDS = {
    "average": ("均值", "average"),
    "high": ("最高", "high"),
    "low": ("最低", "low"),
    "first": ("期初", "first"),
    "last": ("期末", "last"),
    "median": ("中位数", "median"),
    "stdev": ("标准差", "standard deviation"),
    "count": ("样本数", "observations"),
}


def _stats(w: _Writer, out: ToolOutput) -> None:
    if not out.values:
        return
    code = out.values[0].series_code or ""
    by = _by_label(out.values)
    first = out.data.get("first_date")
    last = out.data.get("last_date")
    span_zh = span_en = ""
    if first and last:
        d0, d1 = date.fromisoformat(first), date.fromisoformat(last)
        span_zh = f"（{w.date(d0)} 至 {w.date(d1)}）"
        span_en = f" ({w.date(d0)} to {w.date(d1)})"
    period = w.period_label()
    parts_zh, parts_en = [], []
    for stat, (zh, en) in _STAT_WORDS.items():
        v = by.get(f"{code}:{stat}")
        if v is None:
            continue
        shown = fmt_num(v.value, 0) if stat == "count" else w.amount(v)
        on = f"（{w.date(v.date)}）" if stat in ("high", "low") and v.date else ""
        on_en = f" ({w.date(v.date)})" if stat in ("high", "low") and v.date else ""
        parts_zh.append(f"{zh} {shown}{on}")
        parts_en.append(f"{en} {shown}{on_en}")
    change, pct = by.get(f"{code}:change"), by.get(f"{code}:pct_change")
    if change is not None:
        pct_zh = f"（{w.pct(pct)}）" if pct else ""
        pct_en = f" ({w.pct(pct)})" if pct else ""
        parts_zh.append(f"期内{w.change(change)}{pct_zh}")
        parts_en.append(f"{w.change(change)} over the period{pct_en}")
    w.say(
        f"{w.name(code)}{period}{span_zh}：{'，'.join(parts_zh)}。",
        f"{w.name(code)}{(' ' + period) if period else ''}{span_en}: {'; '.join(parts_en)}.",
    )


def _catalog(w: _Writer, out: ToolOutput) -> None:
    hits = out.data.get("series", [])
    count = next((v for v in out.values if v.kind == "count"), None)
    n = fmt_num(count.value) if count else fmt_num(len(hits))
    shown = hits[:12]
    items_zh = "；".join(f"{h['name_zh']}（`{h['code']}`）" for h in shown)
    items_en = "; ".join(f"{h['name_en']} (`{h['code']}`)" for h in shown)
    more_zh = "等" if len(hits) > len(shown) else ""
    more_en = " …" if len(hits) > len(shown) else ""
    if not hits:
        w.say("没有找到相关的数据序列。", "No matching series found.")
        return
    w.say(
        f"找到 {n} 个相关数据序列：{items_zh}{more_zh}。",
        f"Found {n} matching series: {items_en}{more_en}.",
    )


def _catalog_source(hit: dict[str, Any], lang: str) -> Source:
    def day(x: Any) -> date | None:
        return date.fromisoformat(x) if isinstance(x, str) else x

    return Source(
        series_code=hit["code"],
        name=hit.get("name_zh") or hit["code"],
        unit=hit.get("unit") or "",
        start=day(hit.get("first")),
        end=day(hit.get("last")),
    )


# ---------------------------------------------------------------------- notes and footer
def _inside_period(note: dict[str, Any], args: dict[str, Any]) -> bool:
    """A period's last trading day standing in for its calendar end is not worth a note."""
    start = args.get("start")
    return start is not None and date.fromisoformat(note["used"]) >= start


def _notes(w: _Writer, outputs: list[Output]) -> None:
    for _, args, out in outputs:
        for note in out.notes:
            code = note.get("code")
            if code == "nearest_date" and _inside_period(note, args):
                continue
            series = str(note.get("series", ""))
            name = (
                w.name(series)
                if series and "," not in series and "-" not in series and "/" not in series
                else series
            )
            if code == "nearest_date":
                req, used = date.fromisoformat(note["requested"]), date.fromisoformat(note["used"])
                w.say(
                    f"注：{w.date(req)} 没有{name}的数据，使用最近的 {w.date(used)}。",
                    f"Note: no {name} value on {w.date(req)}; "
                    f"the nearest date, {w.date(used)}, is used.",
                )
            elif code == "no_data":
                w.say(
                    f"注：{name}在所选时间内没有数据。", f"Note: {name} has no data in that period."
                )
            elif code == "base_in_period":
                used = date.fromisoformat(note["used"])
                w.say(
                    f"注：期初之前没有数据，以 {w.date(used)} 为基期。",
                    f"Note: no value before the period; {w.date(used)} is the base.",
                )


def _assumptions(w: _Writer) -> list[str]:
    said: list[str] = []
    for a in w.frame.assumptions:
        kind, code = a.split(":", 1)
        if kind == "benchmark":
            region = w.namer.region_of(code, w.lang)
            said.append(
                f"未指定地区，按基准地区{region}回答。"
                if w.zh
                else f"No region given; using the benchmark, {region}."
            )
        elif kind == "scope":
            said.append(
                f"未指定品种，按“{w.name(code)}”口径回答。"
                if w.zh
                else f"No product given; using {w.name(code)}."
            )
    return list(dict.fromkeys(said))


def _footer(w: _Writer, sources: list[Source]) -> str:
    if not sources:
        return ""
    last = max((s.end for s in sources if s.end), default=None)
    parts = []
    for s in sources:
        ver = (f"第{s.version}版" if w.zh else f"v{s.version}") if s.version is not None else ""
        if ver:
            w.protected.add(ver)
        method = w.namer.method(s, w.lang)
        bits = (
            "，".join(b for b in (ver, method) if b)
            if w.zh
            else ", ".join(b for b in (ver, method) if b)
        )
        parts.append(f"`{s.series_code}`（{bits}）" if w.zh else f"`{s.series_code}` ({bits})")
    asof = (
        f"数据截至 {w.date(last)}。"
        if (w.zh and last)
        else (f"Data as of {w.date(last)}. " if last else "")
    )
    return asof + (
        "来源：" + "；".join(parts) + "。" if w.zh else "Sources: " + "; ".join(parts) + "."
    )


_WRITERS = {
    "series_lookup": lambda w, out, args: _lookup(w, out),
    "series_change": lambda w, out, args: _change(w, out),
    "series_compare": lambda w, out, args: _compare(w, out),
    "series_rank": _rank,
    "series_spread": _spread,
    "series_stats": lambda w, out, args: _stats(w, out),
    "catalog_search": lambda w, out, args: _catalog(w, out),
}


def compose_data(frame: Frame, outputs: list[Output], lexicon: Lexicon, *, today: date) -> Answer:
    """The answer to ``frame`` from the tool outputs."""
    namer = lexicon.namer
    w = _Writer(frame, namer)
    values: list[Value] = []
    sources: dict[str, Source] = {}
    chart = None
    for name, args, out in outputs:
        _WRITERS[name](w, out, args)
        values += out.values
        for s in out.sources:
            if s.series_code in sources:
                old = sources[s.series_code]
                s = old.model_copy(
                    update={
                        "start": min(d for d in (old.start, s.start) if d)
                        if (old.start or s.start)
                        else None,
                        "end": max(d for d in (old.end, s.end) if d)
                        if (old.end or s.end)
                        else None,
                        "version": max(v for v in (old.version, s.version) if v is not None)
                        if (old.version is not None or s.version is not None)
                        else None,
                    }
                )
            sources[s.series_code] = s
        chart = chart or out.chart
        if name == "catalog_search":
            for hit in out.data.get("series", []):
                sources.setdefault(hit["code"], _catalog_source(hit, frame.lang))
    _notes(w, outputs)
    if not w.zh:  # sources read in the answer's language
        sources = {
            code: src.model_copy(update={"name": namer.series(code, "en")})
            for code, src in sources.items()
        }
    kind = "catalog" if frame.intent == "catalog" else "data"
    has_numbers = any(v.kind != "count" for v in values) or kind == "catalog"
    if not has_numbers:
        kind = "unavailable"
        if not w.lines:
            w.say("抱歉，所选时间内没有可用的数据。", "Sorry, there is no data for that period.")
    assumptions = _assumptions(w)
    text_lines = assumptions + w.lines
    footer = _footer(w, list(sources.values())) if kind != "catalog" else ""
    text = ("" if w.zh else " ").join(text_lines)
    if footer:
        text = f"{text}\n{footer}"
    return Answer(
        text=text.strip(),
        language=frame.lang,
        kind=kind,  # type: ignore[arg-type]
        values=values,
        sources=list(sources.values()),
        chart=chart,
        assumptions=assumptions,
        confidence=0.9 if assumptions or any(o.notes for *_, o in outputs) else 1.0,
        trace=[
            TraceStep(
                step="compose",
                name="allowed",
                detail={
                    "allowed_numbers": sorted(w.allowed_numbers),
                    "allowed_dates": sorted(d.isoformat() for d in w.allowed_dates),
                    "protected": sorted(w.protected),
                },
            )
        ],
    )
