"""Answering with a language model: the model plans and phrases, the verifier guards.

The deterministic parser still runs first: injection attempts and oversized questions never
reach the model, and its templated answer is the repair when the model's text carries a
number or date that no tool returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steelsage.assistant.answer import Answer, Source, TraceStep, Value
from steelsage.assistant.compose_edges import compose_edge
from steelsage.assistant.parse.intent import parse_question
from steelsage.assistant.session import Session
from steelsage.assistant.tools.base import ToolRegistry

if TYPE_CHECKING:
    from steelsage.assistant.core import Assistant
    from steelsage.assistant.parse.frame import Frame

_REJECTED = {
    "zh": "抱歉，模型给出的回答中有无法核实的数字，已拒绝。"
    "请换一种问法，或直接询问具体品种、地区和日期。",
    "en": "Sorry, the model's answer contained figures that could not be verified, so it was "
    "withheld. Please rephrase, or ask for a specific product, region and date.",
}


def model_registry(assistant: Assistant) -> ToolRegistry:
    """The assistant's tools plus text-to-SQL, which is offered only to a model."""
    cached = getattr(assistant, "_model_registry", None)
    if cached is not None:
        return cached
    from steelsage.assistant.sql.tool import SqlQueryTool

    registry = ToolRegistry(list(assistant.registry))
    if "sql_query" not in registry:
        registry.register(SqlQueryTool())
    assistant._model_registry = registry  # type: ignore[attr-defined]
    return registry


def answer_with_model(
    assistant: Assistant, question: str, session: Session, lang: str
) -> tuple[Answer, Frame | None]:
    from steelsage.assistant.llm.agent import run_agent

    today = assistant.ctx.market_today()
    frame = parse_question(
        question or "",
        today=today,
        lexicon=assistant.lexicon,
        previous=session.last_frame,
        lang=lang,
    )
    if frame.intent == "refuse" and frame.reason in ("injection", "too_long"):
        return compose_edge(frame, assistant.lexicon), frame
    from steelsage.assistant.llm.base import BackendError
    from steelsage.assistant.sql.semantic import describe

    schema_note = {
        "role": "system",
        "content": describe(lang, assistant.engine.dialect.name),
    }
    try:
        result = run_agent(
            assistant.backend,
            question,
            registry=model_registry(assistant),
            ctx=assistant.ctx,
            history=[schema_note, *session.messages],
            lang=lang,
        )
    except BackendError as exc:
        # The model is down or answered garbage: the templated path still answers.
        answer, templated = assistant._ask_templated(question, session, lang)
        answer.trace.insert(
            0,
            TraceStep(step="llm", name="backend_error", detail={"error": exc.text(lang)[:300]}),
        )
        return answer, templated
    values: list[Value] = []
    sources: dict[str, Source] = {}
    chart = None
    for call in result.calls:
        if call.output is None:
            continue
        values += call.output.values
        for s in call.output.sources:
            sources.setdefault(s.series_code, s)
        chart = chart or call.output.chart
    kind = (
        "data"
        if values
        else (frame.intent if frame.intent in ("refuse", "clarify", "unavailable") else "clarify")
    )
    answer = Answer(
        text=result.text or "",
        language=lang,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        values=values,
        sources=list(sources.values()),
        chart=chart,
        trace=list(result.trace),
    )
    trace: list[TraceStep] = []
    if answer.text.strip() and assistant._verify(answer, trace, extra_dates=(today,)):
        answer.trace += trace
        return answer, frame
    # Repair: the templated answer, when the question is one the parser understands. The
    # model's words (its text, its tool arguments, the figures the verifier refused) stay out
    # of the reply: an unverified figure must not reach the user through the trace either.
    scrubbed = _scrub(answer.trace + trace)
    repaired, repaired_frame = assistant._ask_templated(question, session, lang)
    note = TraceStep(
        step="repair", name="templated", detail={"reason": "model text failed verification"}
    )
    if repaired.kind == "data" and repaired.verified:
        repaired.trace = [*scrubbed, note, *repaired.trace]
        return repaired, repaired_frame
    withheld = Answer(
        text=_REJECTED["zh" if lang == "zh" else "en"],
        language=lang,  # type: ignore[arg-type]
        kind="error",
        verified=True,
        trace=[*scrubbed, TraceStep(step="repair", name="rejected")],
    )
    return withheld, frame


def _scrub(steps: list[TraceStep]) -> list[TraceStep]:
    """Trace steps without anything the model wrote: names, counts and timings only."""
    kept = {"finish_reason", "tool_calls", "ok", "values", "sources", "checked", "error_code"}
    clean = []
    for step in steps:
        detail = {k: v for k, v in step.detail.items() if k in kept}
        if "problems" in step.detail:
            detail["problems"] = len(step.detail["problems"])
        clean.append(step.model_copy(update={"detail": detail}))
    return clean
