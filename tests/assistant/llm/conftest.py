"""Fixtures for the language-model tests: a scripted OpenAI-protocol server on 127.0.0.1.

``openai_server`` is a real HTTP server in a thread (see :mod:`support.openai_server`);
push scripted replies onto it, point an :class:`OpenAIBackend` at ``server.base_url`` with
``make_backend``, and assert on ``server.requests``. No network, no mocks of the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import create_engine
from support.openai_server import OpenAIServer

from steelsage.assistant.llm.openai_backend import OpenAIBackend
from steelsage.assistant.llm.settings import LLMSettings
from steelsage.assistant.tools.base import ToolContext
from steelsage.catalog import load_catalog

LLM_TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's STEELSAGE_LLM_* or OPENAI_* variables must not change these tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("STEELSAGE_LLM_", "OPENAI_")):
            monkeypatch.delenv(name)


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A started scripted server with an empty script; ``push`` replies onto it."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def make_backend(openai_server: OpenAIServer) -> Callable[..., OpenAIBackend]:
    """An OpenAI backend pointed at ``openai_server``, no retries, short timeout."""

    def make(**overrides: Any) -> OpenAIBackend:
        fields: dict[str, Any] = {
            "backend": "openai",
            "base_url": openai_server.base_url,
            "model": openai_server.model,
            "timeout_s": 5.0,
            "max_retries": 0,
        }
        fields.update(overrides)
        return OpenAIBackend(LLMSettings(_env_file=None, **fields))

    return make


@pytest.fixture
def llm_ctx() -> ToolContext:
    """A tool context for fake tools: an empty in-memory store, today fixed."""
    return ToolContext(engine=create_engine("sqlite://"), catalog=load_catalog(), today=LLM_TODAY)
