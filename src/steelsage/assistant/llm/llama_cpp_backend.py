"""An in-process GGUF model through ``llama_cpp`` (optional extra ``llama``).

For a single machine without a model server. ``llama_cpp.Llama.create_chat_completion``
returns the same OpenAI-shaped dicts as a server, so the shared decoder in :mod:`.wire`
reads them. The package is imported and the model loaded on first use (loading takes
seconds and gigabytes); a missing package or file is reported when the backend is made.
Tool calling needs a chat format that supports it (``STEELSAGE_LLM_CHAT_FORMAT=
chatml-function-calling`` or a functionary model).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

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
from steelsage.assistant.llm.wire import StreamAccumulator, chat_request, parse_completion


class LlamaCppBackend(Backend):
    name: ClassVar[str] = "llama_cpp"

    def __init__(self, settings: LLMSettings) -> None:
        require_package("llama_cpp", "llama_cpp")
        path = settings.model_path
        if path is None:
            raise BackendError(
                "STEELSAGE_LLM_MODEL_PATH is not set: point it to a GGUF model file for the "
                "llama_cpp backend.",
                code="config",
                message_zh="未设置 STEELSAGE_LLM_MODEL_PATH：llama_cpp 后端需要指向"
                "一个 GGUF 模型文件。",
            )
        path = path.expanduser()
        if not path.is_file():
            raise BackendError(
                f"The model file {path} does not exist. Check STEELSAGE_LLM_MODEL_PATH.",
                code="config",
                message_zh=f"模型文件 {path} 不存在。请检查 STEELSAGE_LLM_MODEL_PATH。",
            )
        self.settings = settings
        self.model_path = path
        self.model = settings.model or path.name
        self.where = str(path)
        self._llm: Any = None

    def llama(self) -> Any:
        """The loaded ``llama_cpp.Llama`` (loaded once, on first use)."""
        if self._llm is None:
            from llama_cpp import Llama

            with self._mapped_errors("load"):
                self._llm = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.settings.n_ctx,
                    chat_format=self.settings.chat_format,
                    verbose=False,
                )
        return self._llm

    def close(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None and callable(getattr(llm, "close", None)):
            llm.close()

    def _request(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None, opts: dict[str, Any]
    ) -> dict[str, Any]:
        return chat_request(messages, tools, opts, temperature=self.settings.temperature)

    def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> Completion:
        llm = self.llama()
        with self._mapped_errors("generate"):
            data = llm.create_chat_completion(**self._request(messages, tools, opts))
        return parse_completion(data, where=self.where)

    def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> CompletionStream:
        return CompletionStream(self._stream(self._request(messages, tools, opts)))

    def _stream(self, request: dict[str, Any]) -> Generator[str, None, Completion]:
        llm = self.llama()
        accumulator = StreamAccumulator(self.where)
        with self._mapped_errors("generate"):
            for chunk in llm.create_chat_completion(**request, stream=True):
                delta = accumulator.add(chunk)
                if delta:
                    yield delta
        return accumulator.completion()

    @contextmanager
    def _mapped_errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except (ValueError, RuntimeError, OSError) as exc:
            if isinstance(exc, BackendError):
                raise
            if action == "load":
                raise BackendError(
                    f"Could not load the model {self.model_path}: {exc}. Check that it is a "
                    "GGUF file this llama_cpp version supports and that there is enough "
                    "memory (STEELSAGE_LLM_N_CTX lowers the context size).",
                    code="model_error",
                    message_zh=f"无法加载模型 {self.model_path}：{exc}。请确认它是当前 llama_cpp "
                    "版本支持的 GGUF 文件、内存足够（可调小 STEELSAGE_LLM_N_CTX）。",
                ) from exc
            raise BackendError(
                f"The local model {self.model_path.name} failed: {exc}. A prompt longer than "
                "the context raises this; raise STEELSAGE_LLM_N_CTX or ask a shorter question. "
                "Tool calling needs STEELSAGE_LLM_CHAT_FORMAT=chatml-function-calling or a "
                "functionary model.",
                code="model_error",
                message_zh=f"本地模型 {self.model_path.name} 出错：{exc}。"
                "提示超出上下文长度时会这样；"
                "请调大 STEELSAGE_LLM_N_CTX 或缩短问题。工具调用需要设置 "
                "STEELSAGE_LLM_CHAT_FORMAT=chatml-function-calling 或使用 functionary 模型。",
            ) from exc
