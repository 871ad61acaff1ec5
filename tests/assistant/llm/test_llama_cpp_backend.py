"""The in-process llama_cpp backend.

The real engine runs only where ``llama_cpp`` is installed and ``STEELSAGE_TEST_GGUF`` names
a small GGUF file; otherwise those tests skip. The rest put a stand-in ``llama_cpp`` module
(a ``Llama`` class that returns the OpenAI-shaped dicts the real one returns) in
``sys.modules`` to check our side: settings, lazy loading, decoding, error mapping.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from steelsage.assistant.llm import BackendError, LLMSettings, get_backend
from steelsage.assistant.llm.llama_cpp_backend import LlamaCppBackend

USER = [{"role": "user", "content": "hi"}]


class StandInLlama:
    """Answers like ``llama_cpp.Llama.create_chat_completion``; records every call."""

    instances: list[StandInLlama] = []  # noqa: RUF012 - a test recorder
    replies: list[Any] = []  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        StandInLlama.instances.append(self)

    def create_chat_completion(self, **request: Any) -> Any:
        self.calls.append(request)
        reply = StandInLlama.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if request.get("stream"):
            return iter(reply)
        return reply


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LLMSettings]:
    module = types.ModuleType("llama_cpp")
    module.Llama = StandInLlama  # type: ignore[attr-defined]
    module.__spec__ = types.SimpleNamespace(name="llama_cpp")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    StandInLlama.instances = []
    StandInLlama.replies = []
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    yield LLMSettings(
        _env_file=None, backend="llama_cpp", model_path=model, chat_format="chatml-function-calling"
    )


def test_model_is_loaded_once_on_first_use(stand_in):
    StandInLlama.replies = [
        {"choices": [{"message": {"role": "assistant", "content": "a"}, "finish_reason": "stop"}]},
        {"choices": [{"message": {"role": "assistant", "content": "b"}, "finish_reason": "stop"}]},
    ]
    backend = get_backend(stand_in)
    assert isinstance(backend, LlamaCppBackend) and backend.model == "tiny.gguf"
    assert StandInLlama.instances == []  # nothing loaded yet
    assert backend.complete(USER).content == "a"
    assert backend.complete(USER).content == "b"
    (llm,) = StandInLlama.instances
    assert llm.kwargs["model_path"] == str(stand_in.model_path)
    assert llm.kwargs["chat_format"] == "chatml-function-calling"
    assert llm.calls[0]["messages"] == USER and llm.calls[0]["temperature"] == 0


def test_tool_calls_and_streaming(stand_in):
    tool = {"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}
    StandInLlama.replies = [
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": "x", "function": {"name": "t", "arguments": '{"a": 1}'}}
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ]
        },
        [
            {"choices": [{"delta": {"role": "assistant"}}]},
            {"choices": [{"delta": {"content": "35"}}]},
            {"choices": [{"delta": {"content": "00"}, "finish_reason": "stop"}]},
        ],
    ]
    backend = get_backend(stand_in)
    completion = backend.complete(USER, tools=[tool])
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [("t", {"a": 1})]
    assert StandInLlama.instances[0].calls[0]["tools"] == [tool]
    stream = backend.stream(USER)
    assert list(stream) == ["35", "00"] and stream.completion.content == "3500"


def test_engine_errors_become_backend_errors(stand_in):
    StandInLlama.replies = [ValueError("Requested tokens (9000) exceed context window of 8192")]
    with pytest.raises(BackendError, match="STEELSAGE_LLM_N_CTX") as info:
        get_backend(stand_in).complete(USER)
    assert info.value.code == "model_error"


def test_model_path_must_be_set_and_exist(stand_in, tmp_path):
    with pytest.raises(BackendError, match="STEELSAGE_LLM_MODEL_PATH is not set"):
        get_backend(stand_in.model_copy(update={"model_path": None}))
    missing = tmp_path / "missing.gguf"
    with pytest.raises(BackendError, match="does not exist") as info:
        get_backend(stand_in.model_copy(update={"model_path": missing}))
    assert info.value.code == "config"


# ------------------------------------------------------------------ the real engine
def _real_model() -> Path:
    pytest.importorskip("llama_cpp", reason="llama_cpp is not installed (steelsage[llama])")
    path = os.environ.get("STEELSAGE_TEST_GGUF")
    if not path or not Path(path).is_file():
        pytest.skip("set STEELSAGE_TEST_GGUF to a small GGUF model to run the real engine")
    return Path(path)


@pytest.mark.slow
def test_real_llama_cpp_completes_and_streams():
    settings = LLMSettings(_env_file=None, backend="llama_cpp", model_path=_real_model())
    backend = get_backend(settings)
    completion = backend.complete(USER, max_tokens=8)
    assert completion.content is not None
    stream = backend.stream(USER, max_tokens=8)
    assert "".join(stream) == (stream.completion.content or "")
