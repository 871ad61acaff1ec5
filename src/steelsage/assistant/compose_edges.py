"""Answers without data: refusals, clarifying questions, "we do not carry that", problems.

Short, polite and specific: they say what the assistant can do instead.
"""

from __future__ import annotations

from typing import Any

from steelsage.assistant.answer import Answer, TraceStep
from steelsage.assistant.parse.frame import Frame
from steelsage.assistant.parse.lexicon import Lexicon
from steelsage.store import SeriesInfo

_EXAMPLES = {
    "zh": "例如：“今天上海螺纹多少钱”“热卷这周涨了多少”“哪个城市的螺纹最便宜”"
    "“卷螺差最近一个月怎么走的”。",
    "en": 'For example: "What is rebar in Shanghai today?", "How much did HRC rise this week?", '
    '"Which city has the cheapest rebar?", '
    '"How did the HRC-rebar spread move over the past month?"',
}

_REFUSE = {
    "out_of_scope": (
        "抱歉，这个问题超出了我的范围。我只回答钢铁产业链的价格和数据问题。",
        "Sorry, that is outside what I can help with. I answer questions about prices and data "
        "for the steel chain.",
    ),
    "injection": (
        "抱歉，我不能执行改变规则或直接操作数据库的指令。请直接问钢铁产业链的价格或数据问题。",
        "Sorry, I cannot follow instructions that change my rules or act on the database "
        "directly. Please ask about steel-chain prices or data.",
    ),
    "too_long": (
        "问题太长了，请把问题缩短后再问。",
        "That question is too long. Please shorten it.",
    ),
    "internal_error": (
        "抱歉，处理这个问题时出错了，没有给出任何数字。请换一种问法，或稍后再试。",
        "Sorry, something went wrong while answering; no figures were given. Please rephrase "
        "or try again later.",
    ),
}

_LATER = {
    "forecast": (
        "抱歉，目前还不提供价格预测。可以问最新价格、涨跌、走势和统计，例如“螺纹近三个月走势”。",
        "Sorry, price forecasts are not available yet. You can ask for the latest prices, "
        'changes, trends and statistics, e.g. "rebar over the past three months".',
    ),
    "report": (
        "抱歉，目前还不能撰写报告或评论。可以问具体的价格、涨跌和走势，例如“螺纹这周涨了多少”。",
        "Sorry, I cannot write reports or commentary yet. You can ask for specific prices, "
        'changes and trends, e.g. "how much did rebar rise this week?".',
    ),
}

_CLARIFY = {
    "empty": ("请问您想查询什么？", "What would you like to know?"),
    "which_product": (
        "请问您想查哪个品种？比如螺纹钢、热轧板卷、PB粉、焦炭，或社会库存、高炉开工率等指标。",
        "Which product do you mean? For example rebar, HRC, PB fines or coke, or an indicator "
        "such as social inventory or blast-furnace utilisation.",
    ),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _product_names(lexicon: Lexicon, codes: list[str], lang: str) -> str:
    names = [lexicon.product_names[c][0 if lang == "zh" else 1] for c in codes]
    return ("、" if lang == "zh" else ", ").join(names)


def compose_edge(
    frame: Frame, lexicon: Lexicon, known: dict[str, SeriesInfo] | None = None
) -> Answer:
    lang = frame.lang
    reason = frame.reason or "out_of_scope"
    if frame.intent == "refuse":
        text = _pick(_REFUSE.get(reason, _REFUSE["out_of_scope"]), lang)
        kind = "refuse" if reason != "internal_error" else "error"
        if reason in ("out_of_scope", "injection"):
            text += "\n" + _EXAMPLES[lang]
        return _answer(text, frame, kind)
    if frame.intent == "clarify":
        return _answer(
            _pick(_CLARIFY.get(reason, _CLARIFY["which_product"]), lang), frame, "clarify"
        )
    # unavailable
    if reason in _LATER:
        return _answer(_pick(_LATER[reason], lang), frame, "unavailable")
    terms = "、".join(frame.unknown) if lang == "zh" else ", ".join(frame.unknown)
    groups = sorted({p.commodity for p in lexicon.catalog.products.values()})
    names = [
        lexicon.catalog.commodities[g].name_zh
        if lang == "zh"
        else lexicon.catalog.commodities[g].name_en
        for g in groups
    ]
    if lang == "zh":
        text = (
            f"抱歉，我们没有“{terms}”的数据。目前覆盖：{'、'.join(names)}等钢铁产业链品种，"
            "以及库存、开工率、产量、利润等指标和世界银行月度商品价格。可以问“你们有哪些铁矿数据”查看目录。"
        )
    else:
        text = (
            f'Sorry, we do not carry data on "{terms}". We cover the steel chain '
            f"({', '.join(names)}), indicators such as inventories, utilisation, output and "
            'margins, and World Bank monthly commodity prices. Ask "what iron ore data do you '
            'have?" to browse the catalog.'
        )
    return _answer(text, frame, "unavailable")


def compose_problem(frame: Frame, problem: tuple[str, dict[str, Any]], lexicon: Lexicon) -> Answer:
    """The plan or a tool could not produce data: say why and what is available."""
    code, detail = problem
    lang = frame.lang
    catalog = lexicon.catalog
    if code == "no_series_for_region":
        product = detail["product"]
        region = catalog.regions[detail["region"]]
        regions = [catalog.regions[r] for r in detail.get("available", []) if r in catalog.regions]
        pname = _product_names(lexicon, [product], lang)
        if lang == "zh":
            where = "、".join(r.name_zh for r in regions[:12]) or "无"
            text = (
                f"抱歉，我们没有{region.name_zh}{pname}的价格评估。现有{pname}价格的地区：{where}。"
            )
        else:
            where = ", ".join(r.name_en for r in regions[:12]) or "none"
            text = (
                f"Sorry, we do not assess {pname} in {region.name_en}. {pname} is assessed in: "
                f"{where}."
            )
        return _answer(text, frame, "unavailable")
    if code == "not_entitled":
        text = (
            "抱歉，您的订阅套餐不包含这项数据（或这段时间的数据）。如需开通，请联系管理员。"
            if lang == "zh"
            else "Sorry, your subscription does not include this data (or this period). "
            "Please contact your administrator to add it."
        )
        return _answer(text, frame, "unavailable", detail={"reason": "not_entitled"})
    if code in ("not_in_store", "unknown_series", "need_two"):
        text = (
            "抱歉，数据库里还没有这项数据。可以问“你们有哪些数据”查看目录。"
            if lang == "zh"
            else 'Sorry, that data is not in the database yet. Ask "what data do you have?" '
            "to browse the catalog."
        )
        return _answer(text, frame, "unavailable", detail={"reason": code, **detail})
    text = (
        "抱歉，这个问题我暂时答不了，没有给出任何数字。请换一种问法。"
        if lang == "zh"
        else "Sorry, I cannot answer that right now; no figures were given. Please rephrase."
    )
    return _answer(text, frame, "error", detail={"reason": code, **_safe(detail)})


def _safe(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v)[:300] for k, v in detail.items()}


def _answer(text: str, frame: Frame, kind: str, detail: dict[str, Any] | None = None) -> Answer:
    return Answer(
        text=text,
        language=frame.lang,
        kind=kind,  # type: ignore[arg-type]
        verified=True,  # no numbers: nothing to check (the verifier still runs on data answers)
        trace=[
            TraceStep(step="compose", name=kind, detail={"reason": frame.reason, **(detail or {})})
        ],
    )
