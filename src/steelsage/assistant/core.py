"""The assistant: question → parse → plan → tools → composed, verified :class:`Answer`.

Without a language model the whole path is deterministic. With one configured, the model
picks tools and phrases the answer; the verifier still checks every number and date, and a
model answer that fails is replaced by the templated one (or refused when there is none).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine

from steelsage.assistant.answer import Answer, TraceStep
from steelsage.assistant.compose import compose_data, compose_edge, compose_problem
from steelsage.assistant.parse.frame import Frame
from steelsage.assistant.parse.intent import detect_language, parse_question
from steelsage.assistant.parse.lexicon import Lexicon, default_lexicon
from steelsage.assistant.plan import make_plan
from steelsage.assistant.principal import LOCAL_ADMIN, EntitlementError, Principal
from steelsage.assistant.session import Session
from steelsage.assistant.tools import default_registry
from steelsage.assistant.tools.base import ToolContext, ToolError, ToolOutput, ToolRegistry
from steelsage.assistant.verify import verify
from steelsage.store import SeriesInfo


@dataclass
class Assistant:
    """One assistant per principal and database; cheap to create, safe to reuse."""

    engine: Engine
    principal: Principal = LOCAL_ADMIN
    today: date | None = None
    backend: Any = None  # a steelsage.assistant.llm Backend; None or unavailable: no model
    lexicon: Lexicon = field(default_factory=default_lexicon)
    registry: ToolRegistry = field(default_factory=default_registry)
    # Series metadata by code, when the caller already holds it (the server caches it).
    series: dict[str, SeriesInfo] | None = None

    def __post_init__(self) -> None:
        self.ctx = ToolContext(
            engine=self.engine,
            catalog=self.lexicon.catalog,
            principal=self.principal,
            today=self.today,
            _series=self.series,
        )

    def replay(
        self, turns: list[dict[str, str]], session: Session, lang: str | None = None
    ) -> None:
        """Rebuild a conversation's state from its messages without answering them again.

        Earlier user questions are parsed (microseconds each) so that a follow-up in a
        stateless API ("那广州呢?") finds its frame; the messages go into the history a
        language model sees.
        """
        today = self.ctx.market_today()
        for turn in turns:
            content = str(turn.get("content") or "")
            if turn.get("role") == "user":
                language = lang if lang in ("zh", "en") else detect_language(content)
                frame = parse_question(
                    content,
                    today=today,
                    lexicon=self.lexicon,
                    previous=session.last_frame,
                    lang=language,
                )
                session.frames.append(frame)
            session.messages.append({"role": turn.get("role", "user"), "content": content})

    @property
    def uses_model(self) -> bool:
        return self.backend is not None and getattr(self.backend, "available", True)

    def ask(self, question: str, session: Session | None = None, lang: str | None = None) -> Answer:
        """Answer one question (a follow-up when ``session`` holds earlier turns)."""
        session = session if session is not None else Session()
        started = time.perf_counter()
        language = lang if lang in ("zh", "en") else detect_language(question or "")
        frame: Frame | None = None
        try:
            if self.uses_model:
                answer, frame = self._ask_model(question, session, language)
            else:
                answer, frame = self._ask_templated(question, session, language)
        except Exception as exc:  # the last line of defence: never a traceback to the user
            answer = compose_edge(
                Frame(intent="refuse", lang=language, reason="internal_error"),  # type: ignore[arg-type]
                self.lexicon,
            )
            answer.trace.append(
                TraceStep(step="error", name=type(exc).__name__, detail={"error": str(exc)[:500]})
            )
        answer.trace.append(
            TraceStep(step="total", name="ask", ms=round((time.perf_counter() - started) * 1000, 3))
        )
        session.record(question, frame, answer)
        return answer

    # ------------------------------------------------------------------ deterministic path
    def _ask_templated(self, question: str, session: Session, lang: str) -> tuple[Answer, Frame]:
        t0 = time.perf_counter()
        today = self.ctx.market_today()
        frame = parse_question(
            question or "",
            today=today,
            lexicon=self.lexicon,
            previous=session.last_frame,
            lang=lang,
        )
        trace = [
            TraceStep(step="parse", name=frame.intent, detail=_frame_detail(frame), ms=_ms(t0))
        ]
        if frame.intent in ("refuse", "clarify", "unavailable"):
            answer = compose_edge(frame, self.lexicon, known=self.ctx.series)
            answer.trace = trace + answer.trace
            return answer, frame
        plan = make_plan(frame, self.lexicon, self.ctx.series, today)
        if plan.problem is not None:
            answer = compose_problem(frame, plan.problem, self.lexicon)
            answer.trace = trace + answer.trace
            return answer, frame
        outputs: list[tuple[str, dict[str, Any], ToolOutput]] = []
        for call in plan.calls:
            t1 = time.perf_counter()
            try:
                out = self.registry.call(call.name, call.args, self.ctx)
            except EntitlementError as exc:
                answer = compose_problem(
                    frame, ("not_entitled", {"series": str(exc)}), self.lexicon
                )
                answer.trace = trace + answer.trace
                return answer, frame
            except ToolError as exc:
                answer = compose_problem(
                    frame, (exc.code, {"message": str(exc), **exc.detail}), self.lexicon
                )
                answer.trace = trace + answer.trace
                return answer, frame
            trace.append(
                TraceStep(step="tool", name=call.name, detail=_jsonable(call.args), ms=_ms(t1))
            )
            outputs.append((call.name, call.args, out))
        t2 = time.perf_counter()
        answer = compose_data(frame, outputs, self.lexicon, today=today)
        trace.append(TraceStep(step="compose", name=frame.intent, ms=_ms(t2)))
        self._verify(answer, trace)
        answer.trace = trace + answer.trace
        return answer, frame

    def _verify(
        self, answer: Answer, trace: list[TraceStep], extra_dates: tuple[date, ...] = ()
    ) -> bool:
        t0 = time.perf_counter()
        dates = {s.start for s in answer.sources if s.start} | {
            s.end for s in answer.sources if s.end
        }
        numbers, named_dates, labels = _composed_allowances(answer)
        dates |= set(extra_dates) | named_dates
        verdict = verify(
            answer.text,
            answer.values,
            dates=dates,
            allowed_numbers=numbers,
            protected=[*labels, *self.lexicon.protected_terms],
        )
        answer.verified = verdict.ok
        trace.append(
            TraceStep(
                step="verify",
                name="ok" if verdict.ok else "failed",
                detail={
                    "checked": verdict.checked,
                    "problems": [f"{p.claim.text}: {p.reason}" for p in verdict.problems][:20],
                },
                ms=_ms(t0),
            )
        )
        return verdict.ok

    # ------------------------------------------------------------------ model path
    def _ask_model(self, question: str, session: Session, lang: str) -> tuple[Answer, Frame | None]:
        from steelsage.assistant.model_path import answer_with_model

        return answer_with_model(self, question, session, lang)


def _composed_allowances(answer: Answer) -> tuple[list[float], set[date], list[str]]:
    """What the composer declared for the verifier (its "compose" trace steps): numbers that
    are not figures, dates it named, and labels with digits to mask."""
    numbers: list[float] = []
    dates: set[date] = set()
    words: list[str] = []
    for step in answer.trace:
        if step.step == "compose":
            numbers += step.detail.get("allowed_numbers", [])
            dates.update(date.fromisoformat(d) for d in step.detail.get("allowed_dates", []))
            words += step.detail.get("protected", [])
    return numbers, dates, words


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in args.items()}


def _frame_detail(frame: Frame) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "intent": frame.intent,
        "products": frame.products,
        "regions": frame.regions,
        "indicators": frame.indicators,
        "followup": frame.followup,
    }
    if frame.period is not None:
        detail["period"] = [frame.period.start.isoformat(), frame.period.end.isoformat()]
    if frame.compare_period is not None:
        detail["compare_period"] = [
            frame.compare_period.start.isoformat(),
            frame.compare_period.end.isoformat(),
        ]
    if frame.reason:
        detail["reason"] = frame.reason
    return detail
