"""Optional language-model backends and the tool-calling agent.

``get_backend()`` reads ``STEELSAGE_LLM_*`` settings and returns the ``none`` (default),
``openai`` or ``llama_cpp`` backend; ``run_agent`` / ``stream_agent`` let a model choose
tools and phrase the answer. The agent (which imports the tools and the store) is loaded on
first access so that reading settings stays cheap for ``steelsage ask`` without a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from steelsage.assistant.llm.base import (
    Backend,
    BackendError,
    Completion,
    CompletionStream,
    ToolCall,
    get_backend,
)
from steelsage.assistant.llm.settings import BACKENDS, LLMSettings

if TYPE_CHECKING:
    from steelsage.assistant.llm.agent import (
        AgentResult,
        AgentStream,
        ToolCallRecord,
        run_agent,
        stream_agent,
    )

_AGENT_NAMES = {"AgentResult", "AgentStream", "ToolCallRecord", "run_agent", "stream_agent"}

__all__ = [
    "BACKENDS",
    "AgentResult",
    "AgentStream",
    "Backend",
    "BackendError",
    "Completion",
    "CompletionStream",
    "LLMSettings",
    "ToolCall",
    "ToolCallRecord",
    "get_backend",
    "run_agent",
    "stream_agent",
]


def __getattr__(name: str) -> Any:
    if name in _AGENT_NAMES:
        from steelsage.assistant.llm import agent

        return getattr(agent, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
