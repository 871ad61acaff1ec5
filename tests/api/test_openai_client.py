"""The OpenAI-compatible API, driven by the official ``openai`` client over a real socket."""

from __future__ import annotations

import openai
import pytest
from fastapi import FastAPI

from .conftest import SQLITE_ONLY
from .live import serving

pytestmark = SQLITE_ONLY


@pytest.fixture
def client_for(api_app: FastAPI, member, packages):  # type: ignore[no-untyped-def]
    with serving(api_app) as base:

        def make(key: str) -> openai.OpenAI:
            return openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=20)

        yield make


def test_models_and_completion(client_for, member, packages) -> None:  # type: ignore[no-untyped-def]
    client = client_for(member("oa", role="analyst", packages=(packages["rebar"],)).key)
    assert [m.id for m in client.models.list().data] == ["steelsage"]
    reply = client.chat.completions.create(
        model="steelsage", messages=[{"role": "user", "content": "今天上海螺纹多少钱"}]
    )
    content = reply.choices[0].message.content
    assert "上海螺纹钢" in content and "rebar.shanghai" in content  # sources in the message
    assert reply.choices[0].finish_reason == "stop"


def test_streaming_and_follow_up(client_for, member, packages) -> None:  # type: ignore[no-untyped-def]
    client = client_for(member("oa2", role="analyst", packages=(packages["rebar"],)).key)
    stream = client.chat.completions.create(
        model="steelsage",
        stream=True,
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "What is rebar in Shanghai today?"},
            {"role": "assistant", "content": "…"},
            {"role": "user", "content": "What about Hangzhou?"},
        ],
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    text = "".join(pieces)
    assert len(pieces) > 3 and "Hangzhou" in text and "rebar.hangzhou" in text


def test_bad_key_and_unknown_model(client_for, member) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.AuthenticationError):
        client_for("ssk_nope_nope").models.list()
    client = client_for(member("oa3", role="analyst").key)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
