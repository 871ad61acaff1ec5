"""Test users for the server tests: a password, a member with an API key, cheap argon2."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine

from steelsage.server.auth import passwords, service
from steelsage.store import session_scope

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


def add_member(
    engine: Engine,
    username: str,
    *,
    role: str = "analyst",
    packages: Iterable[str] = (),
    password: bool | str = False,
) -> Member:
    """A user with one API key, the given packages, and a password when asked (``True``:
    :data:`PASSWORD`; the argon2 hash costs time)."""
    secret = (PASSWORD if password is True else password) or None
    with session_scope(engine) as db:
        service.add_user(db, username, role=role, password=secret)
        for name in packages:
            service.grant(db, username, name, by="test")
        key = service.create_key(db, username, "test")
    return Member(username, role, key.key, key.id, secret)
