"""The backend contract: ``complete`` and ``stream`` over OpenAI-style chat messages.

Every backend speaks the same message shape (OpenAI chat messages as dicts, tools as OpenAI
function definitions) so the agent loop does not care which engine runs the model. Anything
that goes wrong on the model side becomes a :class:`BackendError` whose text tells the user
what to check; callers show that text, never a traceback.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from steelsage.assistant.llm.settings import BACKENDS, LLMSettings

Message = Mapping[str, Any]
ToolSchema = Mapping[str, Any]

INSTALL_HINTS = {
    "openai": "pip install 'steelsage[llm]'",
    "llama_cpp": "pip install 'steelsage[llama]'",
}


class ToolCall(BaseModel):
    """A tool the model asked for; ``arguments`` is already decoded from JSON."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Completion(BaseModel):
    """One model turn: text, tool calls, or both."""

    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, int] | None = None  # prompt_tokens, completion_tokens, total_tokens


class BackendError(RuntimeError):
    """The model could not be reached or answered something unusable.

    ``str(error)`` is the English text; :meth:`text` picks the user's language. ``code`` is
    machine-readable: not_configured, not_installed, unknown_backend, config, connection,
    timeout, auth, not_found, http_status, bad_reply, model_error.
    """

    def __init__(self, message: str, *, code: str = "backend", message_zh: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh or message

    def text(self, lang: str = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message


R = TypeVar("R")


class Streamed(Generic[R]):
    """An iterator of text deltas that also keeps what the generator returns at the end.

    Wraps a generator ``Generator[str, None, R]``; once it is exhausted, :attr:`result`
    holds the returned value (the full completion, the agent result).
    """

    def __init__(self, generator: Generator[str, None, R]) -> None:
        self._generator = generator
        self._done = False
        self._result: R | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._done:
            raise StopIteration
        try:
            return next(self._generator)
        except StopIteration as stop:
            self._done = True
            self._result = stop.value
            raise

    def close(self) -> None:
        """Stop early (closes the underlying HTTP response)."""
        self._generator.close()

    @property
    def done(self) -> bool:
        return self._done

    @property
    def result(self) -> R:
        if not self._done:
            raise RuntimeError("the stream has not been read to the end yet")
        return self._result  # type: ignore[return-value]


class CompletionStream(Streamed[Completion]):
    """Text deltas of one model turn; :attr:`completion` has the whole turn afterwards."""

    @property
    def completion(self) -> Completion:
        return self.result


class Backend(ABC):
    """A language-model engine. Subclasses set ``name`` and implement both methods.

    ``messages`` are OpenAI chat messages (dicts with ``role``, ``content``, and for tool
    turns ``tool_calls`` / ``tool_call_id``); ``tools`` are OpenAI function definitions
    (:meth:`steelsage.assistant.tools.base.Tool.json_schema`). ``opts`` pass through to the
    engine (``temperature``, ``max_tokens``, ``tool_choice`` …).
    """

    name: ClassVar[str]
    available: ClassVar[bool] = True
    model: str = ""

    @abstractmethod
    def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> Completion: ...

    @abstractmethod
    def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> CompletionStream:
        """Text deltas as they arrive; the whole turn (tool calls included) is in
        ``.completion`` once the stream is exhausted."""

    def describe(self) -> str:
        return f"{self.name}:{self.model}" if self.model else self.name

    def close(self) -> None:
        """Release connections or the loaded model (nothing to do by default)."""
        return None


def require_package(module: str, backend: str) -> None:
    """Raise a BackendError with the install hint when an optional package is missing."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        hint = INSTALL_HINTS.get(backend, f"pip install {module}")
        raise BackendError(
            f"The {backend!r} language-model backend needs the {module!r} package, which is "
            f"not installed. Install it with: {hint}",
            code="not_installed",
            message_zh=f"语言模型后端 {backend!r} 需要安装 {module!r} 包，当前未安装。"
            f"请运行：{hint}",
        )


def load_settings() -> LLMSettings:
    """Settings from the environment; a bad value is a BackendError naming the variable."""
    try:
        return LLMSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"STEELSAGE_LLM_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise BackendError(
            f"Invalid language-model settings: {problems}. Fix these environment variables "
            "(or .env entries).",
            code="config",
            message_zh=f"语言模型设置有误：{problems}。请修改这些环境变量（或 .env 中的条目）。",
        ) from None


def get_backend(settings: LLMSettings | None = None) -> Backend:
    """The backend named by ``settings.backend`` (default: read from the environment).

    Raises :class:`BackendError` for an unknown name, a missing optional package or missing
    settings (model name, model file), with the fix in the message.
    """
    settings = settings if settings is not None else load_settings()
    name = settings.backend
    if name == "none":
        from steelsage.assistant.llm.none import NoneBackend

        return NoneBackend()
    if name == "openai":
        from steelsage.assistant.llm.openai_backend import OpenAIBackend

        return OpenAIBackend(settings)
    if name == "llama_cpp":
        from steelsage.assistant.llm.llama_cpp_backend import LlamaCppBackend

        return LlamaCppBackend(settings)
    choices = ", ".join(BACKENDS)
    raise BackendError(
        f"Unknown language-model backend {name!r}. Set STEELSAGE_LLM_BACKEND to one of: "
        f"{choices} (openai needs {INSTALL_HINTS['openai']}, llama_cpp needs "
        f"{INSTALL_HINTS['llama_cpp']}).",
        code="unknown_backend",
        message_zh=f"未知的语言模型后端 {name!r}。请把 STEELSAGE_LLM_BACKEND 设为 {choices} 之一"
        f"（openai 需要 {INSTALL_HINTS['openai']}，llama_cpp 需要 {INSTALL_HINTS['llama_cpp']}）。",
    )
