"""Settings, the backend factory and the default ``none`` backend."""

from __future__ import annotations

import sys

import pytest

from steelsage.assistant.llm import BackendError, LLMSettings, get_backend
from steelsage.assistant.llm.none import NoneBackend
from steelsage.assistant.llm.openai_backend import OpenAIBackend


def settings(**fields: object) -> LLMSettings:
    return LLMSettings(_env_file=None, **fields)


def test_defaults_mean_no_model(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    s = LLMSettings()
    assert (s.backend, s.timeout_s, s.max_tool_steps, s.temperature) == ("none", 30, 4, 0)
    assert s.api_key.get_secret_value() == ""
    backend = get_backend()
    assert isinstance(backend, NoneBackend) and backend.available is False


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STEELSAGE_LLM_BACKEND", "OpenAI")
    monkeypatch.setenv("STEELSAGE_LLM_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("STEELSAGE_LLM_MODEL", "qwen2.5-7b-instruct")
    monkeypatch.setenv("STEELSAGE_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("STEELSAGE_LLM_TIMEOUT_S", "2.5")
    s = LLMSettings()
    assert s.backend == "openai" and s.timeout_s == 2.5
    assert "sk-secret" not in repr(s) and s.api_key.get_secret_value() == "sk-secret"
    backend = get_backend()  # no request is made until the first completion
    assert isinstance(backend, OpenAIBackend)
    assert backend.describe() == "openai:qwen2.5-7b-instruct"


def test_bad_environment_value_is_a_backend_error(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STEELSAGE_LLM_TIMEOUT_S", "soon")
    with pytest.raises(BackendError, match="STEELSAGE_LLM_TIMEOUT_S") as info:
        get_backend()
    assert info.value.code == "config"


def test_unknown_backend_names_the_choices_and_install_hints():
    with pytest.raises(BackendError) as info:
        get_backend(settings(backend="gpt5"))
    message = str(info.value)
    assert info.value.code == "unknown_backend"
    assert "none, openai, llama_cpp" in message
    assert "pip install 'steelsage[llm]'" in message
    assert "STEELSAGE_LLM_BACKEND" in info.value.text("zh")


def test_missing_openai_package_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # what an uninstalled package looks like
    with pytest.raises(BackendError) as info:
        get_backend(settings(backend="openai", model="m"))
    assert info.value.code == "not_installed"
    assert "pip install 'steelsage[llm]'" in str(info.value)
    assert "pip install 'steelsage[llm]'" in info.value.text("zh")


def test_missing_llama_cpp_package_gives_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(BackendError, match=r"pip install 'steelsage\[llama\]'") as info:
        get_backend(settings(backend="llama_cpp", model_path=tmp_path / "m.gguf"))
    assert info.value.code == "not_installed"


def test_none_backend_says_how_to_configure_a_model():
    backend = get_backend(settings())
    with pytest.raises(BackendError) as info:
        backend.complete([{"role": "user", "content": "hi"}])
    error = info.value
    assert error.code == "not_configured"
    for setting in ("STEELSAGE_LLM_BACKEND", "STEELSAGE_LLM_BASE_URL", "STEELSAGE_LLM_MODEL"):
        assert setting in str(error)
    assert "未配置语言模型" in error.text("zh")
    assert error.text("en") == str(error)
    with pytest.raises(BackendError, match="No language model is configured"):
        backend.stream([{"role": "user", "content": "hi"}])


@pytest.mark.parametrize(
    "field, value", [("timeout_s", 0), ("max_tool_steps", 0), ("temperature", 3)]
)
def test_settings_refuse_nonsense(field, value):
    with pytest.raises(ValueError):
        settings(**{field: value})
