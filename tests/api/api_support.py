"""Helpers for the API tests."""

from __future__ import annotations

from dataclasses import dataclass

API = "/api/v1"
PASSWORD = "correct-horse-battery"


@dataclass
class Member:
    username: str
    role: str
    key: str
    password: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}
