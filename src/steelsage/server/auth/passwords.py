"""Password hashing with argon2id (pwdlib), plus the strength rule we ask of users.

Hashes carry their own parameters, so ``verify_password`` also says when a stored hash was
made with weaker settings than today's and should be replaced (``verify_and_update``).
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 accepts more; nobody needs it, and it bounds the work


class WeakPasswordError(ValueError):
    """The password does not meet the length rule."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def check_password(password: str) -> None:
    """Raise :class:`WeakPasswordError` with a bilingual hint when ``password`` is unusable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 / the password needs at least "
            f"{MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"密码最多 {MAX_PASSWORD_LENGTH} 个字符 / the password may have at most "
            f"{MAX_PASSWORD_LENGTH} characters"
        )


def hash_password(password: str) -> str:
    """An argon2id hash (``$argon2id$...``) of ``password`` after :func:`check_password`."""
    check_password(password)
    return _hasher().hash(password)


def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """``(ok, new_hash)``: ``new_hash`` is set when the stored hash should be upgraded.

    With no stored hash (an API-key-only account) a dummy verification still runs, so the
    response time does not reveal which usernames exist.
    """
    if not stored or len(password) > MAX_PASSWORD_LENGTH:
        _hasher().verify(password[:MAX_PASSWORD_LENGTH] or "x", _dummy_hash())
        return False, None
    try:
        return _hasher().verify_and_update(password, stored)
    except Exception:  # an unreadable hash in the table: treat as a wrong password
        return False, None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("steelsage-dummy-password")
