"""The openai backend against a real local server speaking the OpenAI protocol."""

from __future__ import annotations

import socket
import time

import pytest
from pydantic import SecretStr
from support.openai_server import (
    OpenAIServer,
    ScriptedToolCall,
    hang,
    http_error,
    malformed,
    text,
    tool_call,
    tool_calls,
)

from steelsage.assistant.llm import BackendError
from steelsage.assistant.llm.openai_backend import OpenAIBackend
from steelsage.assistant.llm.settings import LLMSettings

USER = [{"role": "user", "content": "今天上海螺纹多少钱"}]
LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": "series_lookup",
        "description": "Look up a series value",
        "parameters": {
            "type": "object",
            "properties": {"series": {"type": "string"}},
            "required": ["series"],
        },
    },
}


def test_complete_returns_text_and_usage(openai_server, make_backend):
    openai_server.push(text("上海螺纹 3650元/吨"))
    completion = make_backend().complete(USER)

    assert completion.content == "上海螺纹 3650元/吨"
    assert completion.tool_calls == []
    assert completion.finish_reason == "stop"
    assert completion.usage and completion.usage["total_tokens"] > 0
    body = openai_server.requests[0]
    assert body["model"] == openai_server.model
    assert body["messages"] == USER
    assert body["temperature"] == 0
    assert "tools" not in body and not body.get("stream")


def test_complete_sends_tools_and_decodes_tool_calls(openai_server, make_backend):
    openai_server.push(
        tool_calls(
            ScriptedToolCall("series_lookup", {"series": "rebar.shanghai"}, id="call_a"),
            ScriptedToolCall("series_lookup", {"series": "hrc.shanghai"}),
        )
    )
    completion = make_backend().complete(USER, tools=[LOOKUP_TOOL], max_tokens=50)

    assert completion.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in completion.tool_calls] == [
        ("call_a", "series_lookup", {"series": "rebar.shanghai"}),
        ("call_1", "series_lookup", {"series": "hrc.shanghai"}),
    ]
    body = openai_server.requests[0]
    assert body["tools"] == [LOOKUP_TOOL]
    assert body["max_tokens"] == 50  # opts pass through


def test_api_key_is_sent_as_bearer_and_empty_key_works():
    with OpenAIServer([text("ok")], api_key="sk-test") as server:
        settings = LLMSettings(
            _env_file=None,
            backend="openai",
            base_url=server.base_url,
            model="m",
            api_key="sk-test",
            max_retries=0,
        )
        assert OpenAIBackend(settings).complete(USER).content == "ok"
        assert server.log[-1].headers["authorization"] == "Bearer sk-test"
        assert "sk-test" not in repr(settings)

        keyless = settings.model_copy(update={"api_key": SecretStr("")})
        with pytest.raises(BackendError) as info:
            OpenAIBackend(keyless).complete(USER)
        assert info.value.code == "auth"
        assert "STEELSAGE_LLM_API_KEY" in str(info.value)


def test_stream_yields_deltas_then_the_whole_turn(openai_server, make_backend):
    openai_server.push(text("上海螺纹3650元/吨", chunks=["上海", "螺纹", "3650", "元/吨"]))
    stream = make_backend().stream(USER)

    assert list(stream) == ["上海", "螺纹", "3650", "元/吨"]
    assert stream.completion.content == "上海螺纹3650元/吨"
    assert stream.completion.finish_reason == "stop"
    assert openai_server.requests[0]["stream"] is True


def test_stream_accumulates_tool_call_pieces(openai_server, make_backend):
    openai_server.push(tool_call("series_lookup", {"series": "rebar.shanghai", "n": 3}))
    stream = make_backend().stream(USER, tools=[LOOKUP_TOOL])

    assert list(stream) == []
    (call,) = stream.completion.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "call_0",
        "series_lookup",
        {"series": "rebar.shanghai", "n": 3},
    )
    assert stream.completion.finish_reason == "tool_calls"


def test_list_models_and_close(openai_server, make_backend):
    backend = make_backend()
    assert backend.list_models() == [openai_server.model]
    backend.close()
    openai_server.push(text("again"))
    assert backend.complete(USER).content == "again"  # a closed backend reconnects


# ------------------------------------------------------------------------------ errors
def test_http_500_becomes_backend_error(openai_server, make_backend):
    openai_server.push(http_error(500, "CUDA out of memory"))
    with pytest.raises(BackendError) as info:
        make_backend().complete(USER)
    error = info.value
    assert error.code == "http_status"
    assert "HTTP 500" in str(error) and "CUDA out of memory" in str(error)
    assert openai_server.base_url in str(error)
    assert "HTTP 500" in error.text("zh") and error.text("zh") != str(error)


def test_http_404_points_at_model_and_url(openai_server, make_backend):
    openai_server.push(http_error(404, "model 'nope' not found"))
    with pytest.raises(BackendError) as info:
        make_backend(model="nope").complete(USER)
    assert info.value.code == "not_found"
    assert "STEELSAGE_LLM_MODEL" in str(info.value) and "'nope'" in str(info.value)


def test_500_while_streaming_becomes_backend_error(openai_server, make_backend):
    openai_server.push(http_error(503, "overloaded"))
    with pytest.raises(BackendError, match="HTTP 503"):
        list(make_backend().stream(USER))


def test_timeout_becomes_backend_error(openai_server, make_backend):
    openai_server.push(hang(10))
    started = time.perf_counter()
    with pytest.raises(BackendError) as info:
        make_backend(timeout_s=0.3).complete(USER)
    assert time.perf_counter() - started < 3
    assert info.value.code == "timeout"
    assert "STEELSAGE_LLM_TIMEOUT_S" in str(info.value)


def test_unreachable_port_becomes_backend_error(make_backend):
    with socket.socket() as sock:  # a port that was free a moment ago, now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = make_backend(base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(BackendError) as info:
        backend.complete(USER)
    assert info.value.code == "connection"
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "STEELSAGE_LLM_BASE_URL" in message
    with pytest.raises(BackendError, match="Cannot reach"):
        list(backend.stream(USER))


@pytest.mark.parametrize("streaming", [False, True])
def test_malformed_json_becomes_bad_reply(openai_server, make_backend, streaming):
    openai_server.push(malformed())
    backend = make_backend()
    with pytest.raises(BackendError) as info:
        if streaming:
            list(backend.stream(USER))
        else:
            backend.complete(USER)
    assert info.value.code == "bad_reply"


@pytest.mark.parametrize("body", ['{"object": "chat.completion"}', '{"choices": []}', "[1, 2]"])
def test_reply_without_choices_becomes_bad_reply(openai_server, make_backend, body):
    openai_server.push(malformed(body))
    with pytest.raises(BackendError, match="cannot use") as info:
        make_backend().complete(USER)
    assert info.value.code == "bad_reply"


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("arguments", ['{"series": "rebar.', "[1, 2]", "not json"])
def test_tool_arguments_that_are_not_a_json_object(
    openai_server, make_backend, streaming, arguments
):
    openai_server.push(tool_call("series_lookup", arguments))
    backend = make_backend()
    with pytest.raises(BackendError) as info:
        if streaming:
            list(backend.stream(USER, tools=[LOOKUP_TOOL]))
        else:
            backend.complete(USER, tools=[LOOKUP_TOOL])
    assert info.value.code == "bad_reply"
    assert "'series_lookup'" in str(info.value)


def test_missing_model_setting_is_reported_before_any_request(openai_server, make_backend):
    with pytest.raises(BackendError, match="STEELSAGE_LLM_MODEL") as info:
        make_backend(model="")
    assert info.value.code == "config"
    assert openai_server.log == []
