"""Decoding of OpenAI-shaped replies: the shapes different servers send."""

from __future__ import annotations

import pytest

from steelsage.assistant.llm import BackendError
from steelsage.assistant.llm.wire import StreamAccumulator, parse_completion


def reply(message: dict, **extra: object) -> dict:
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}], **extra}


def test_content_parts_are_joined():
    data = reply({"role": "assistant", "content": [{"type": "text", "text": "a"}, {"text": "b"}]})
    assert parse_completion(data, where="x").content == "ab"


@pytest.mark.parametrize("arguments", ["", None, {"series": "a"}])
def test_empty_or_already_decoded_arguments(arguments):
    call = {"function": {"name": "t", "arguments": arguments}}  # no id: llama.cpp style
    completion = parse_completion(reply({"content": None, "tool_calls": [call]}), where="x")
    (parsed,) = completion.tool_calls
    assert parsed.id == "call_0"
    assert parsed.arguments == ({"series": "a"} if isinstance(arguments, dict) else {})


def test_tool_call_without_a_name_is_a_bad_reply():
    with pytest.raises(BackendError, match="no function name"):
        parse_completion(reply({"tool_calls": [{"function": {"arguments": "{}"}}]}), where="x")


def test_usage_keeps_only_token_counts():
    data = reply({"content": "x"}, usage={"prompt_tokens": 3, "total_tokens": 5, "odd": "y"})
    assert parse_completion(data, where="x").usage == {"prompt_tokens": 3, "total_tokens": 5}


def test_stream_accumulator_merges_parallel_calls_and_usage_chunk():
    acc = StreamAccumulator("x")
    chunks = [
        {"choices": [{"delta": {"role": "assistant", "content": ""}}]},
        {
            "choices": [
                {"delta": {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g"}}]}}
            ]
        },
        {
            "choices": [
                {"delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f"}}]}}
            ]
        },
        {
            "choices": [
                {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"k":'}}]}}
            ]
        },
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]}}]},
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
    ]
    assert [acc.add(c) for c in chunks] == [None] * len(chunks)
    completion = acc.completion()
    assert [(c.id, c.name, c.arguments) for c in completion.tool_calls] == [
        ("a", "f", {"k": 1}),
        ("b", "g", {}),
    ]
    assert completion.finish_reason == "tool_calls"
    assert completion.usage == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    assert completion.content is None


def test_stream_chunk_that_is_not_an_object():
    with pytest.raises(BackendError, match="not a JSON object"):
        StreamAccumulator("x").add(["nope"])
