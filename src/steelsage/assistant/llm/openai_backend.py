"""Any OpenAI-compatible chat server through the official ``openai`` client.

vLLM, Ollama, llama.cpp server, LM Studio and hosted APIs all speak
``POST {base_url}/chat/completions`` with tool calling and SSE streaming. The client is made
on first use (never at import), and every failure — connection, timeout, HTTP status,
unparseable reply, tool arguments that are not JSON — becomes a :class:`BackendError` that
names the URL and the setting to check.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from steelsage.assistant.llm.base import (
    Backend,
    BackendError,
    Completion,
    CompletionStream,
    Message,
    ToolSchema,
    require_package,
)
from steelsage.assistant.llm.settings import LLMSettings
from steelsage.assistant.llm.wire import (
    StreamAccumulator,
    bad_reply,
    chat_request,
    parse_completion,
)

if TYPE_CHECKING:
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# The client refuses an empty key; local servers ignore whatever is sent.
NO_KEY = "sk-no-key-required"


def _display_url(url: str) -> str:
    """The URL without any user:password part, safe to show in messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _as_dict(obj: Any) -> Any:
    """An openai response model as the JSON-shaped dict the server sent."""
    to_dict = getattr(obj, "to_dict", None)
    return to_dict(mode="json", warnings=False) if callable(to_dict) else obj


class OpenAIBackend(Backend):
    name: ClassVar[str] = "openai"

    def __init__(self, settings: LLMSettings) -> None:
        require_package("openai", "openai")
        if not settings.model:
            raise BackendError(
                "STEELSAGE_LLM_MODEL is not set: name the model the server serves (its "
                "GET /v1/models lists them, e.g. `curl $STEELSAGE_LLM_BASE_URL/models`).",
                code="config",
                message_zh="未设置 STEELSAGE_LLM_MODEL：请填写服务端提供的模型名"
                "（可用 GET /v1/models 查看，例如 `curl $STEELSAGE_LLM_BASE_URL/models`）。",
            )
        self.settings = settings
        self.model = settings.model
        self.base_url = settings.base_url or DEFAULT_BASE_URL
        self.where = _display_url(self.base_url)
        self._client: openai.OpenAI | None = None

    # ------------------------------------------------------------------ client
    def client(self) -> openai.OpenAI:
        if self._client is None:
            import openai

            key = self.settings.api_key.get_secret_value()
            self._client = openai.OpenAI(
                api_key=key or NO_KEY,
                base_url=self.base_url,
                timeout=self.settings.timeout_s,
                max_retries=self.settings.max_retries,
            )
        return self._client

    def _request(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None, opts: dict[str, Any]
    ) -> dict[str, Any]:
        return chat_request(
            messages, tools, opts, temperature=self.settings.temperature, model=self.model
        )

    # ------------------------------------------------------------------ contract
    def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> Completion:
        request = self._request(messages, tools, opts)
        with self._mapped_errors():
            response = self.client().chat.completions.create(**request)
        return parse_completion(_as_dict(response), where=self.where)

    def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> CompletionStream:
        return CompletionStream(self._stream(self._request(messages, tools, opts)))

    def _stream(self, request: dict[str, Any]) -> Generator[str, None, Completion]:
        accumulator = StreamAccumulator(self.where)
        with self._mapped_errors():
            response = self.client().chat.completions.create(**request, stream=True)
            try:
                for chunk in response:
                    delta = accumulator.add(_as_dict(chunk))
                    if delta:
                        yield delta
            finally:
                response.close()
        return accumulator.completion()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def list_models(self) -> list[str]:
        """The model ids the server offers (to check STEELSAGE_LLM_MODEL)."""
        with self._mapped_errors():
            page = self.client().models.list()
            return [str(m.id) for m in page.data]

    # ------------------------------------------------------------------ errors
    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        import openai

        try:
            yield
        except (openai.OpenAIError, ValueError) as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> BackendError:
        import openai

        url, model = self.where, self.model
        if isinstance(exc, openai.APITimeoutError):
            t = self.settings.timeout_s
            return BackendError(
                f"The language model at {url} did not answer within {t:g} s. Check that the "
                "server is not overloaded and the model is loaded, or raise "
                "STEELSAGE_LLM_TIMEOUT_S.",
                code="timeout",
                message_zh=f"语言模型服务 {url} 在 {t:g} 秒内没有响应。"
                "请检查服务是否过载、模型是否已加载，或调大 STEELSAGE_LLM_TIMEOUT_S。",
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            detail = f" ({cause})" if cause else ""
            return BackendError(
                f"Cannot reach the language model at {url}{detail}. Check that the server is "
                "running and that STEELSAGE_LLM_BASE_URL is right (it usually ends with /v1).",
                code="connection",
                message_zh=f"无法连接语言模型服务 {url}{detail}。请确认服务已启动，且 "
                "STEELSAGE_LLM_BASE_URL 正确（通常以 /v1 结尾）。",
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return BackendError(
                f"The language model at {url} refused the API key (HTTP {exc.status_code}). "
                "Check STEELSAGE_LLM_API_KEY.",
                code="auth",
                message_zh=f"语言模型服务 {url} 拒绝了 API 密钥（HTTP {exc.status_code}）。"
                "请检查 STEELSAGE_LLM_API_KEY。",
            )
        if isinstance(exc, openai.NotFoundError):
            return BackendError(
                f"The server at {url} has no model {model!r} or no chat-completions endpoint "
                "(HTTP 404). Check STEELSAGE_LLM_MODEL (GET /v1/models lists the models) and "
                "that STEELSAGE_LLM_BASE_URL ends with /v1.",
                code="not_found",
                message_zh=f"服务 {url} 上没有模型 {model!r} 或没有 chat-completions 接口"
                "（HTTP 404）。"
                "请检查 STEELSAGE_LLM_MODEL（GET /v1/models 可列出模型），以及 "
                "STEELSAGE_LLM_BASE_URL 是否以 /v1 结尾。",
            )
        if isinstance(exc, openai.APIStatusError):
            message = _server_message(exc)
            return BackendError(
                f"The language model at {url} answered HTTP {exc.status_code}: {message}. "
                f"Check the server's log; the model requested was {model!r}.",
                code="http_status",
                message_zh=f"语言模型服务 {url} 返回 HTTP {exc.status_code}：{message}。"
                f"请查看服务端日志；请求的模型是 {model!r}。",
            )
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return bad_reply(url, f"the reply is not valid chat-completion JSON ({exc})")
        return BackendError(
            f"The language model at {url} failed: {exc}. Check STEELSAGE_LLM_BASE_URL, "
            "STEELSAGE_LLM_API_KEY and STEELSAGE_LLM_MODEL.",
            code="model_error",
            message_zh=f"语言模型服务 {url} 出错：{exc}。请检查 STEELSAGE_LLM_BASE_URL、"
            "STEELSAGE_LLM_API_KEY 和 STEELSAGE_LLM_MODEL。",
        )


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        message = inner.get("message")
        if message:
            return str(message)[:300]
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return str(getattr(exc, "message", exc))[:300]
