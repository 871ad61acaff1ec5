"""API keys: ``ssk_<prefix>_<secret>``.

The prefix (12 hex characters) is stored in the clear and finds the row; the whole key is
stored only as a SHA-256 digest. A salted slow hash buys nothing here: the secret has 256
bits of entropy, so a digest cannot be brute-forced, and a fast digest keeps key checks
cheap on an endpoint that serves thousands of requests a second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_SCHEME = "ssk"
PREFIX_BYTES = 6  # 12 hex characters


@dataclass(frozen=True)
class GeneratedKey:
    key: str  # shown to the user once, never stored
    prefix: str
    key_hash: str


def generate_key() -> GeneratedKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return GeneratedKey(key=key, prefix=prefix, key_hash=hash_key(key))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_prefix(key: str) -> str | None:
    """The lookup prefix of a well-formed key, or None for anything else."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[2]) < 16:
        return None
    prefix = parts[1]
    if len(prefix) != 2 * PREFIX_BYTES or any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)
