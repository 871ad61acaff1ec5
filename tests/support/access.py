"""Test users for the server tests: a password, a member with an API key, cheap argon2."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from steelsage.server.auth import passwords

API = "/api/v1"
PASSWORD = "correct-horse-battery"


@dataclass
class Member:
    username: str
    role: str
    key: str
    key_id: int
    password: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def use_cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small parameters: the same code path, a fraction of the time."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    dummy = cheap.hash("dummy")
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: dummy)
