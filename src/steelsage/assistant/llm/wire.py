"""Decode OpenAI-shaped chat-completion replies (whole or streamed) into :class:`Completion`.

The ``openai`` client and ``llama_cpp`` both hand back the same JSON shape, so one strict
decoder serves both. Servers vary (vLLM, Ollama, llama.cpp, hosted APIs) and models emit
broken JSON; anything we cannot use becomes a :class:`BackendError` ("bad_reply") that names
the server and the problem instead of an AttributeError deep in the agent loop.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from steelsage.assistant.llm.base import BackendError, Completion, Message, ToolCall, ToolSchema

_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


def chat_request(
    messages: Sequence[Message],
    tools: Sequence[ToolSchema] | None,
    opts: Mapping[str, Any],
    *,
    temperature: float,
    model: str | None = None,
) -> dict[str, Any]:
    """The chat-completion request both backends send (``model`` only where the server
    chooses among several)."""
    request: dict[str, Any] = {
        "messages": [dict(m) for m in messages],
        "temperature": temperature,
    }
    if model is not None:
        request["model"] = model
    if tools:
        request["tools"] = [dict(t) for t in tools]
    request.update(opts)
    return request


def bad_reply(where: str, problem: str) -> BackendError:
    return BackendError(
        f"The language model at {where} sent a reply steelsage cannot use: {problem}. Check "
        "that it is an OpenAI-compatible chat-completions server and that the model supports "
        "tool calling, or set STEELSAGE_LLM_BACKEND=none to answer without a model.",
        code="bad_reply",
        message_zh=f"语言模型（{where}）返回的内容无法使用：{problem}。请确认它是兼容 OpenAI "
        "chat-completions 接口的服务、且模型支持工具调用；或设置 STEELSAGE_LLM_BACKEND=none "
        "不使用模型回答。",
    )


def _snippet(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def parse_arguments(raw: Any, *, tool: str, where: str) -> dict[str, Any]:
    """Tool-call arguments as a dict; "" or None means no arguments."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        raise bad_reply(where, f"tool {tool!r} arguments are a {type(raw).__name__}, not JSON")
    try:
        value = json.loads(raw)
    except ValueError:
        raise bad_reply(
            where, f"tool {tool!r} was called with arguments that are not JSON: {_snippet(raw)!r}"
        ) from None
    if not isinstance(value, dict):
        raise bad_reply(where, f"tool {tool!r} arguments are not a JSON object: {_snippet(raw)!r}")
    return value


def parse_usage(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, Mapping):
        return None
    usage = {k: int(raw[k]) for k in _USAGE_KEYS if isinstance(raw.get(k), int | float)}
    return usage or None


def _content(raw: Any, where: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, list):  # content parts: [{"type": "text", "text": "..."}]
        return "".join(str(part.get("text") or "") for part in raw if isinstance(part, Mapping))
    raise bad_reply(where, f"message content is a {type(raw).__name__}")


def _tool_call(raw: Any, index: int, where: str) -> ToolCall:
    if not isinstance(raw, Mapping):
        raise bad_reply(where, "a tool call is not an object")
    function = raw.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise bad_reply(where, "a tool call has no function name")
    name = function["name"]
    return ToolCall(
        id=str(raw.get("id") or f"call_{index}"),
        name=name,
        arguments=parse_arguments(function.get("arguments"), tool=name, where=where),
    )


def parse_completion(data: Any, *, where: str) -> Completion:
    """A whole (non-streamed) chat-completion reply."""
    if not isinstance(data, Mapping):
        raise bad_reply(where, f"the reply is a {type(data).__name__}, not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise bad_reply(where, "the reply has no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, Mapping):
        raise bad_reply(where, "the first choice has no message")
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise bad_reply(where, "tool_calls is not a list")
    return Completion(
        content=_content(message.get("content"), where),
        tool_calls=[_tool_call(call, i, where) for i, call in enumerate(raw_calls)],
        finish_reason=choice.get("finish_reason"),
        usage=parse_usage(data.get("usage")),
    )


class StreamAccumulator:
    """Folds streamed chunks into one :class:`Completion`, returning each text delta.

    Tool calls arrive in pieces keyed by ``index``: the first piece has the id and name,
    later ones append to the arguments string.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self._text: list[str] = []
        self._calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, int] | None = None

    @property
    def has_tool_calls(self) -> bool:
        return bool(self._calls)

    def add(self, chunk: Any) -> str | None:
        """Take one chunk; return its text delta (None when it carries no text)."""
        if not isinstance(chunk, Mapping):
            raise bad_reply(self.where, "a stream chunk is not a JSON object")
        self.usage = parse_usage(chunk.get("usage")) or self.usage
        choices = chunk.get("choices")
        if choices is None or choices == []:
            return None  # e.g. the trailing usage chunk
        if not isinstance(choices, list) or not isinstance(choices[0], Mapping):
            raise bad_reply(self.where, "a stream chunk has malformed choices")
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]
        delta = choice.get("delta") or {}
        if not isinstance(delta, Mapping):
            raise bad_reply(self.where, "a stream chunk has a malformed delta")
        for piece in delta.get("tool_calls") or []:
            self._add_call_piece(piece)
        text = _content(delta.get("content"), self.where)
        if text:
            self._text.append(text)
            return text
        return None

    def _add_call_piece(self, piece: Any) -> None:
        if not isinstance(piece, Mapping):
            raise bad_reply(self.where, "a streamed tool call is not an object")
        index = piece.get("index")
        index = index if isinstance(index, int) else len(self._calls)
        call = self._calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
        if piece.get("id"):
            call["id"] = piece["id"]
        function = piece.get("function") or {}
        if not isinstance(function, Mapping):
            raise bad_reply(self.where, "a streamed tool call has a malformed function")
        if function.get("name"):
            # Most servers send the whole name once; a few split it like the arguments.
            call["name"] = function["name"] if not call["name"] else call["name"] + function["name"]
        if function.get("arguments"):
            args = function["arguments"]
            call["arguments"] += args if isinstance(args, str) else json.dumps(args)

    def completion(self) -> Completion:
        calls = []
        for position, index in enumerate(sorted(self._calls)):
            call = self._calls[index]
            if not call["name"]:
                raise bad_reply(self.where, "a streamed tool call has no function name")
            calls.append(
                ToolCall(
                    id=str(call["id"] or f"call_{position}"),
                    name=call["name"],
                    arguments=parse_arguments(
                        call["arguments"], tool=call["name"], where=self.where
                    ),
                )
            )
        return Completion(
            content="".join(self._text) if self._text else None,
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
        )
