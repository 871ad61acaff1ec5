"""Access-control tables: users, API keys, browser sessions, entitlement packages, grants.

Secrets never land here in the clear: passwords are argon2 hashes, API keys and session
tokens are SHA-256 digests of high-entropy random strings (the clear value is shown once).
Entitlement packages mirror :class:`steelsage.assistant.Package` one to one, so what an
admin defines is exactly what the tools enforce.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from steelsage.store.models import Base, BigId


class User(Base):
    """A person (or service account) who signs in or holds API keys."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin|editor|analyst|subscriber
    password_hash: Mapped[str | None] = mapped_column(Text)  # None: API keys only
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    """An API key ``ssk_<prefix>_<secret>``: the prefix finds the row, the hash proves it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A browser session: the cookie holds the token, the table only its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class EntitlementPackage(Base):
    """A named set of series (selectors + explicit codes) with history depth and delay."""

    __tablename__ = "packages"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    commodities: Mapped[list | None] = mapped_column(JSON)
    products: Mapped[list | None] = mapped_column(JSON)
    regions: Mapped[list | None] = mapped_column(JSON)
    kinds: Mapped[list | None] = mapped_column(JSON)
    series: Mapped[list | None] = mapped_column(JSON)
    history_days: Mapped[int | None] = mapped_column(Integer)
    delay_days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class UserPackage(Base):
    """A grant: ``user`` may read what ``package`` covers."""

    __tablename__ = "user_packages"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    package_name: Mapped[str] = mapped_column(ForeignKey("packages.name"), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    granted_by: Mapped[str | None] = mapped_column(String(80))
