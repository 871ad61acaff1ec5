"""The default backend: no language model at all.

steelsage answers without a model (parser → tools → templates), so ``none`` is a real,
honest choice, not a stub. It reports ``available = False`` so callers take the
deterministic path; calling it anyway says how to configure a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from steelsage.assistant.llm.base import (
    INSTALL_HINTS,
    Backend,
    BackendError,
    Completion,
    CompletionStream,
    Message,
    ToolSchema,
)


def not_configured() -> BackendError:
    hint = INSTALL_HINTS["openai"]
    return BackendError(
        "No language model is configured (STEELSAGE_LLM_BACKEND=none); steelsage answers "
        "data questions without one. To let a model plan and phrase answers, set "
        "STEELSAGE_LLM_BACKEND=openai with STEELSAGE_LLM_BASE_URL (an OpenAI-compatible "
        "server such as vLLM, Ollama or llama.cpp server, e.g. http://127.0.0.1:8000/v1), "
        f"STEELSAGE_LLM_MODEL and, if the server needs one, STEELSAGE_LLM_API_KEY ({hint}); "
        "or STEELSAGE_LLM_BACKEND=llama_cpp with STEELSAGE_LLM_MODEL_PATH pointing to a GGUF "
        f"file ({INSTALL_HINTS['llama_cpp']}).",
        code="not_configured",
        message_zh="未配置语言模型（STEELSAGE_LLM_BACKEND=none），数据问题照常可以不用模型回答。"
        "如需让模型规划和组织回答，请设置 STEELSAGE_LLM_BACKEND=openai，并设置 "
        "STEELSAGE_LLM_BASE_URL（兼容 OpenAI 接口的服务，如 vLLM、Ollama、llama.cpp server，"
        "例如 http://127.0.0.1:8000/v1）、STEELSAGE_LLM_MODEL，服务需要密钥时再设置 "
        f"STEELSAGE_LLM_API_KEY（{hint}）；或设置 STEELSAGE_LLM_BACKEND=llama_cpp 并用 "
        f"STEELSAGE_LLM_MODEL_PATH 指向 GGUF 模型文件（{INSTALL_HINTS['llama_cpp']}）。",
    )


class NoneBackend(Backend):
    name: ClassVar[str] = "none"
    available: ClassVar[bool] = False

    def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> Completion:
        raise not_configured()

    def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema] | None = None, **opts: Any
    ) -> CompletionStream:
        raise not_configured()
