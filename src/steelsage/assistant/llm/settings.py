"""Language-model settings, environment prefix ``STEELSAGE_LLM_``.

A model is optional: the default ``backend = "none"`` answers every question with the
deterministic parser and templates. Keys come from the environment (or ``.env``), never from
code, and are held as :class:`~pydantic.SecretStr` so they do not leak into logs or reprs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BACKENDS = ("none", "openai", "llama_cpp")


class LLMSettings(BaseSettings):
    """Which model backend to use and how to reach it. Every field is ``STEELSAGE_LLM_<NAME>``.

    ``backend`` is one of :data:`BACKENDS`; it is checked by
    :func:`steelsage.assistant.llm.get_backend`, which says what to install or set.
    """

    model_config = SettingsConfigDict(env_prefix="STEELSAGE_LLM_", env_file=".env", extra="ignore")

    backend: str = "none"
    # openai: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, hosted APIs).
    base_url: str | None = None  # e.g. http://127.0.0.1:8000/v1; None: the OpenAI API
    api_key: SecretStr = SecretStr("")  # empty is fine for local servers
    model: str = ""
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=1, ge=0)  # client retries on connection errors and 5xx
    max_tool_steps: int = Field(default=4, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    # llama_cpp: an in-process GGUF model.
    model_path: Path | None = None
    n_ctx: int = Field(default=8192, ge=512)
    # llama_cpp chat format; tool calling needs one that supports it
    # ("chatml-function-calling", "functionary-v2"); None: the model's own template.
    chat_format: str | None = None

    @field_validator("backend", mode="before")
    @classmethod
    def _normalise_backend(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower().replace("-", "_") or "none"
        return value
