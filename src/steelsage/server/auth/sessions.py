"""Browser sessions: a random token in an HttpOnly cookie, only its hash in the database.

Each session also has a CSRF token, sent as a cookie that scripts may read
(``steelsage_csrf``). Unsafe requests (POST, PUT, PATCH, DELETE) that authenticate with the
session cookie must echo it in the ``X-CSRF-Token`` header: a page on another site can make
the browser send the cookie, but cannot read it to forge the header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from steelsage.store.access_models import User, WebSession

SESSION_COOKIE = "steelsage_session"
CSRF_COOKIE = "steelsage_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    csrf_token: str
    expires_at: datetime
    session_id: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(
    db: Session,
    user: User,
    *,
    hours: int,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> NewSession:
    token = secrets.token_urlsafe(32)
    row = WebSession(
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        ip=ip[:64] if ip else None,
        user_agent=user_agent[:300] if user_agent else None,
    )
    db.add(row)
    db.flush()
    return NewSession(token, row.csrf_token, row.expires_at, row.id)


def load_session(db: Session, token: str, now: datetime) -> tuple[WebSession, User] | None:
    """The live session for ``token`` and its user, or None (unknown or expired)."""
    if not token or len(token) > 200:
        return None
    row = db.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == hash_token(token))
    ).first()
    if row is None or row[0].expires_at <= now:
        return None
    return row[0], row[1]


def end_session(db: Session, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


def end_user_sessions(db: Session, user_id: int) -> None:
    """Sign a user out everywhere (password change, deactivation)."""
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))


def purge_expired(db: Session, now: datetime) -> int:
    result = db.execute(delete(WebSession).where(WebSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def csrf_matches(sent: str | None, expected: str) -> bool:
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


def set_session_cookies(
    response: Response, session: NewSession, *, secure: bool, max_age: int
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        session.csrf_token,
        max_age=max_age,
        httponly=False,
        secure=secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")
