"""Server settings (environment prefix ``STEELSAGE_``); production refuses insecure defaults."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-insecure-secret-change-me"


class InsecureSettingsError(RuntimeError):
    """Production mode with a default or weak secret: refuse to start."""


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STEELSAGE_", env_file=".env", extra="ignore")

    env: Literal["dev", "production"] = "dev"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    redis_url: str | None = None  # rate-limit storage; in-process when unset
    cookie_secure: bool | None = None  # default: True in production
    session_hours: int = 12
    max_body_bytes: int = 1_000_000
    rate_limit: str = "600/minute"  # per principal (or IP when anonymous)
    login_rate_limit: str = "10/minute"  # per IP
    lockout_after: int = 5  # failed sign-ins before the account is locked
    lockout_minutes: int = 15
    auth_cache_seconds: float = 5.0  # how long a resolved key/session is reused (revocation lag)
    audit_flush_rows: int = 2000  # write the read audit in batches (or every flush_seconds)
    audit_flush_seconds: float = 2.0
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production" if self.cookie_secure is None else self.cookie_secure

    def check(self) -> None:
        """Raise :class:`InsecureSettingsError` when production runs with a default secret."""
        secret = self.secret_key.get_secret_value()
        if self.env == "production" and (secret == DEFAULT_SECRET or len(secret) < 32):
            raise InsecureSettingsError(
                "生产模式下必须设置 STEELSAGE_SECRET_KEY（至少 32 个字符的随机串）/ production "
                "mode needs STEELSAGE_SECRET_KEY set to a random string of at least 32 characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )


@lru_cache(maxsize=1)
def get_server_settings() -> ServerSettings:
    return ServerSettings()
