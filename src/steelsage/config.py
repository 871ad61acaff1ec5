"""Settings: one place, environment prefix ``STEELSAGE_``."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.cwd() / "data"


class Settings(BaseSettings):
    """Runtime settings. Every field can be set as ``STEELSAGE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="STEELSAGE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    log_level: str = "INFO"
    language: str = "zh"
    max_import_bytes: int = 512 * 1024 * 1024

    def resolved_database_url(self) -> str:
        """The database URL; an SQLite file under ``data_dir`` when none is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'steelsage.db').as_posix()}"

    @property
    def archive_dir(self) -> Path:
        """Where imported files are kept byte for byte, content-addressed."""
        return self.data_dir / "archive"

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"


MARKET_TZ = ZoneInfo("Asia/Shanghai")


def market_today() -> date:
    """Today's date in the market's time zone (Beijing), whatever the server's zone is."""
    return datetime.now(MARKET_TZ).date()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
