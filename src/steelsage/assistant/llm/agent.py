"""The tool-calling loop: the model picks tools, steelsage runs them, the model phrases.

Why a loop of our own: the tools enforce the caller's entitlements and every number in the
answer must trace to a tool result, so tool execution stays in our process and every call is
recorded (:class:`ToolCallRecord`) for the verifier and the trace. A tool that fails —
unknown series, bad arguments, no entitlement — is reported *to the model* as an error tool
message so it can say what is missing; it never aborts the answer. After ``max_steps`` model
turns that still ask for tools, one last turn without tools asks the model to answer from
what it has.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from steelsage.assistant.answer import TraceStep
from steelsage.assistant.llm.base import Backend, Completion, Streamed, ToolCall, ToolSchema
from steelsage.assistant.llm.prompts import budget_exhausted, system_prompt
from steelsage.assistant.principal import EntitlementError
from steelsage.assistant.tools.base import ToolContext, ToolError, ToolOutput, ToolRegistry


class ToolCallRecord(BaseModel):
    """One tool call the model made and what came of it (``output`` or ``error``)."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    output: ToolOutput | None = None
    error: str | None = None
    error_code: str | None = None  # ToolError.code, "not_entitled" or "bad_arguments"
    ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class AgentResult(BaseModel):
    text: str  # the model's final answer (may be empty if it gave none)
    calls: list[ToolCallRecord] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)  # the conversation sent
    steps: int = 0  # model turns, the final no-tools turn included
    stopped: Literal["answer", "max_steps"] = "answer"
    usage: dict[str, int] = Field(default_factory=dict)  # token counts summed over turns

    @property
    def outputs(self) -> list[ToolOutput]:
        """Results of the calls that succeeded: what the verifier checks numbers against."""
        return [c.output for c in self.calls if c.output is not None]


class AgentStream(Streamed[AgentResult]):
    """Text deltas of the answer; :attr:`result` holds the :class:`AgentResult` afterwards."""


def run_agent(
    backend: Backend,
    question: str,
    *,
    registry: ToolRegistry,
    ctx: ToolContext,
    history: Sequence[dict[str, Any]] | None = None,
    lang: str = "zh",
    max_steps: int = 4,
) -> AgentResult:
    """Answer ``question`` with ``backend`` choosing tools from ``registry``.

    ``history`` is earlier turns (user/assistant messages) for follow-ups. Raises
    :class:`~steelsage.assistant.llm.base.BackendError` when the model fails.
    """
    loop = _loop(backend, question, registry, ctx, history, lang, max_steps, streaming=False)
    try:
        while True:
            next(loop)
    except StopIteration as stop:
        return stop.value


def stream_agent(
    backend: Backend,
    question: str,
    *,
    registry: ToolRegistry,
    ctx: ToolContext,
    history: Sequence[dict[str, Any]] | None = None,
    lang: str = "zh",
    max_steps: int = 4,
) -> AgentStream:
    """Like :func:`run_agent`, but yields text deltas as the model writes them.

    Tool turns run first (their calls produce no text with OpenAI-compatible servers); the
    final answer then streams. Text a model writes in a turn that also calls tools is
    streamed as it comes but is not part of ``result.text``. Iterate to the end, then read
    ``.result`` for the calls and trace.
    """
    return AgentStream(
        _loop(backend, question, registry, ctx, history, lang, max_steps, streaming=True)
    )


# --------------------------------------------------------------------------- the loop
class _Run:
    """What one agent run accumulates."""

    def __init__(self, backend: Backend, messages: list[dict[str, Any]]) -> None:
        self.backend = backend
        self.messages = messages
        self.calls: list[ToolCallRecord] = []
        self.trace: list[TraceStep] = []
        self.usage: dict[str, int] = {}
        self.steps = 0

    def result(
        self, completion: Completion, stopped: Literal["answer", "max_steps"]
    ) -> AgentResult:
        return AgentResult(
            text=completion.content or "",
            calls=self.calls,
            trace=self.trace,
            messages=self.messages,
            steps=self.steps,
            stopped=stopped,
            usage=self.usage,
        )


def _loop(
    backend: Backend,
    question: str,
    registry: ToolRegistry,
    ctx: ToolContext,
    history: Sequence[dict[str, Any]] | None,
    lang: str,
    max_steps: int,
    *,
    streaming: bool,
) -> Generator[str, None, AgentResult]:
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(lang, today=ctx.market_today())},
        *(dict(m) for m in history or ()),
        {"role": "user", "content": question},
    ]
    run = _Run(backend, messages)
    tools = registry.schemas() or None
    for _ in range(max_steps):
        completion = yield from _model_turn(run, tools, streaming)
        if not completion.tool_calls:
            return run.result(completion, "answer")
        messages.append(_assistant_message(completion))
        for call in completion.tool_calls:
            record = _run_tool(call, registry, ctx)
            run.calls.append(record)
            run.trace.append(_tool_trace(record))
            messages.append(_tool_message(record))
    # Still asking for tools: one last turn without tools, answering from what it has.
    messages.append({"role": "user", "content": budget_exhausted(lang)})
    completion = yield from _model_turn(run, None, streaming)
    return run.result(completion, "max_steps")


def _model_turn(
    run: _Run, tools: Sequence[ToolSchema] | None, streaming: bool
) -> Generator[str, None, Completion]:
    started = time.perf_counter()
    if streaming:
        stream = run.backend.stream(run.messages, tools=tools)
        yield from stream
        completion = stream.completion
    else:
        completion = run.backend.complete(run.messages, tools=tools)
    run.steps += 1
    for key, value in (completion.usage or {}).items():
        run.usage[key] = run.usage.get(key, 0) + value
    run.trace.append(
        TraceStep(
            step="llm",
            name=run.backend.describe(),
            detail={
                "finish_reason": completion.finish_reason,
                "tool_calls": [c.name for c in completion.tool_calls],
                "tools_offered": len(tools or ()),
                "usage": completion.usage,
            },
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
    )
    return completion


def _run_tool(call: ToolCall, registry: ToolRegistry, ctx: ToolContext) -> ToolCallRecord:
    """Run one call; expected failures become an error record for the model, not a raise."""
    started = time.perf_counter()
    record = ToolCallRecord(id=call.id, name=call.name, arguments=call.arguments)
    try:
        record.output = registry.call(call.name, call.arguments, ctx)
    except ToolError as exc:
        record.error, record.error_code = str(exc), exc.code
    except EntitlementError as exc:
        record.error_code = "not_entitled"
        record.error = (
            f"access to series {exc} is not included in this user's subscription; tell the "
            "user this data is not available to them"
        )
    except ValidationError as exc:
        record.error_code = "bad_arguments"
        record.error = f"{call.name}: {exc.errors(include_url=False)}"
    record.ms = round((time.perf_counter() - started) * 1000, 2)
    return record


def _assistant_message(completion: Completion) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": completion.content or "",
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": json.dumps(call.arguments, ensure_ascii=False),
                },
            }
            for call in completion.tool_calls
        ],
    }


def _tool_message(record: ToolCallRecord) -> dict[str, Any]:
    """The tool result as the model sees it: compact JSON (the chart spec is left out)."""
    if record.output is not None:
        content = record.output.model_dump_json(exclude={"chart"}, exclude_none=True)
    else:
        content = json.dumps(
            {"error": {"code": record.error_code, "message": record.error}},
            ensure_ascii=False,
            default=str,
        )
    return {"role": "tool", "tool_call_id": record.id, "content": content}


def _tool_trace(record: ToolCallRecord) -> TraceStep:
    detail: dict[str, Any] = {"arguments": record.arguments, "ok": record.ok}
    if record.output is not None:
        detail["values"] = len(record.output.values)
        detail["sources"] = [s.series_code for s in record.output.sources]
    else:
        detail["error_code"] = record.error_code
        detail["error"] = record.error
    return TraceStep(step="tool", name=record.name, detail=detail, ms=record.ms)
