"""FastAPI dependencies for authentication, roles, CSRF, rate limits and the read audit.

Routes declare who may call them with the typed aliases::

    @router.get("/series/{code}")
    async def one(code: str, user: CurrentUser) -> ...:
        principal = principal_of(user)          # what the tools enforce
        audit_read(user, f"series:{code}")      # buffered "who read what"

- ``CurrentUser``: a Bearer API key (``Authorization: Bearer ssk_...``) or the browser
  session cookie; 401 ``unauthenticated`` when neither, 401 ``bad_key`` for an unknown or
  revoked key. Session-authenticated POST/PUT/PATCH/DELETE must carry ``X-CSRF-Token``
  (403 ``csrf``). Every authenticated request counts against ``settings.rate_limit`` for
  that user (429 ``rate_limited`` with ``Retry-After``).
- ``OptionalUser``: the same, or ``None`` for an anonymous caller (rate-limited per IP).
  Credentials that are present but wrong are still refused, never downgraded to anonymous.
- ``EditorUser`` (editor or admin), ``AdminUser`` (admin): 403 ``forbidden`` otherwise.

Resolved callers are cached in process for ``auth_cache_seconds`` (default 5 s): see
:mod:`steelsage.server.auth.runtime` for what that means for revocation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from steelsage.assistant.principal import Principal
from steelsage.server.auth import service
from steelsage.server.auth.ratelimit import RateLimited
from steelsage.server.auth.runtime import AuthRuntime, CredentialCache, runtime_for
from steelsage.server.auth.service import AccessError, AuthUser
from steelsage.server.auth.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    csrf_matches,
    load_session,
)
from steelsage.server.errors import ApiError

__all__ = [
    "ANONYMOUS",
    "AdminUser",
    "AuthUser",
    "CurrentPrincipal",
    "CurrentUser",
    "EditorUser",
    "OptionalUser",
    "api_error",
    "audit_read",
    "client_ip",
    "current_principal",
    "current_user",
    "get_runtime",
    "hit_limit",
    "optional_user",
    "principal_of",
    "rate_limit",
    "require_role",
]

ANONYMOUS = Principal(id="anonymous", name="anonymous", role="subscriber", packages=())
"""An anonymous caller's entitlements: nothing."""

_SIGN_IN_HINT = (
    "请先登录（POST /api/v1/auth/login 或网页 /login），或在请求头中提供 "
    "`Authorization: Bearer <API 密钥>` / sign in (POST /api/v1/auth/login or the /login page) "
    "or pass `Authorization: Bearer <API key>` (create one with `steelsage keys create`)"
)
_SESSION_EXPIRED = (
    "登录已过期，请重新登录 / your session has expired or ended; sign in again at /login"
)


def api_error(exc: AccessError) -> ApiError:
    """The HTTP form of a service error (with ``Retry-After`` when it has one)."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    if exc.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return ApiError(exc.status, exc.code, exc.message, headers=headers)


def get_runtime(request: Request) -> AuthRuntime:
    return runtime_for(request.app)


def client_ip(request: Request) -> str:
    """The peer address (uvicorn's ``--proxy-headers`` fills it from trusted proxies)."""
    return request.client.host if request.client else "unknown"


async def hit_limit(runtime: AuthRuntime, limit: str, scope: str, identity: str) -> None:
    try:
        await runtime.limiter.hit(limit, scope, identity)
    except RateLimited as exc:
        raise ApiError(
            429, "rate_limited", exc.message, headers={"Retry-After": str(exc.retry_after)}
        ) from None


async def _refuse(runtime: AuthRuntime, request: Request, exc: AccessError) -> ApiError:
    # Failed credentials count against the caller's IP, so key guessing is throttled too.
    await hit_limit(runtime, runtime.settings.rate_limit, "api", "ip:" + client_ip(request))
    return api_error(exc)


def _user_for_key(runtime: AuthRuntime, request: Request, key: str) -> AuthUser:
    cache_key = CredentialCache.digest("key", key)
    user = runtime.cache.get(cache_key)
    if user is not None:
        return user
    with runtime.read_session() as db:
        row, api_key = service.authenticate_key(db, key)  # AccessError: the caller refuses
        user = service.auth_user(db, row, via="key", key_id=api_key.id, audit=runtime.audit)
        now = service.utcnow()
        touch = service.key_touch_due(api_key, now)
    if touch:  # a short write transaction of its own (SQLite: BEGIN IMMEDIATE)
        with runtime.session() as db:
            service.touch_key(db, api_key.id, now)
            db.commit()
    runtime.cache.put(cache_key, user)
    return user


def _user_for_session(runtime: AuthRuntime, token: str) -> AuthUser | None:
    cache_key = CredentialCache.digest("session", token)
    user = runtime.cache.get(cache_key)
    if user is not None:
        return user
    with runtime.read_session() as db:
        found = load_session(db, token, service.utcnow())
        if found is None or not found[1].active:
            return None
        session, row = found
        user = service.auth_user(
            db,
            row,
            via="session",
            session_id=session.id,
            csrf_token=session.csrf_token,
            audit=runtime.audit,
        )
    runtime.cache.put(cache_key, user)
    return user


def _authenticate(request: Request, runtime: AuthRuntime) -> tuple[AuthUser | None, bool]:
    """``(user, had_credentials)``: a Bearer key wins over a session cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return _user_for_key(runtime, request, token.strip()), True
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return _user_for_session(runtime, cookie), True
    return None, False


def _check_csrf(request: Request, user: AuthUser) -> None:
    if user.via != "session" or request.method not in UNSAFE_METHODS:
        return
    if not csrf_matches(request.headers.get(CSRF_HEADER), user.csrf_token or ""):
        raise ApiError(
            403,
            "csrf",
            "缺少或错误的 CSRF 令牌：请在请求头 X-CSRF-Token 中带上 steelsage_csrf cookie 的值 / "
            "missing or wrong CSRF token: send the value of the steelsage_csrf cookie in the "
            "X-CSRF-Token header",
        )


async def optional_user(request: Request) -> AuthUser | None:
    """The caller, or None when anonymous (an ended session also counts as anonymous)."""
    runtime = runtime_for(request.app)
    try:
        user, _ = _authenticate(request, runtime)
    except AccessError as exc:
        raise await _refuse(runtime, request, exc) from None
    if user is None:
        await hit_limit(runtime, runtime.settings.rate_limit, "api", "ip:" + client_ip(request))
        return None
    _check_csrf(request, user)
    await hit_limit(runtime, runtime.settings.rate_limit, "api", f"user:{user.id}")
    return user


async def current_user(request: Request) -> AuthUser:
    """The caller; 401 when anonymous or the session has ended."""
    runtime = runtime_for(request.app)
    try:
        user, had_credentials = _authenticate(request, runtime)
    except AccessError as exc:
        raise await _refuse(runtime, request, exc) from None
    if user is None:
        raise await _refuse(
            runtime,
            request,
            AccessError(
                401, "unauthenticated", _SESSION_EXPIRED if had_credentials else _SIGN_IN_HINT
            ),
        )
    _check_csrf(request, user)
    await hit_limit(runtime, runtime.settings.rate_limit, "api", f"user:{user.id}")
    return user


def require_role(*roles: str) -> Callable[..., Awaitable[AuthUser]]:
    """A dependency admitting only ``roles`` (403 ``forbidden`` for the others)."""
    allowed = frozenset(roles)
    names = " / ".join(roles)

    async def dependency(user: Annotated[AuthUser, Depends(current_user)]) -> AuthUser:
        if user.role not in allowed:
            raise ApiError(
                403,
                "forbidden",
                f"需要角色 {names}，当前为 {user.role} / this needs role {names}; "
                f"you are {user.role}",
            )
        return user

    dependency.__name__ = "require_" + "_or_".join(roles)
    return dependency


def principal_of(user: AuthUser | None) -> Principal:
    """The entitlements the tools enforce for ``user`` (anonymous: none)."""
    return ANONYMOUS if user is None else user.principal


async def current_principal(user: Annotated[AuthUser, Depends(current_user)]) -> Principal:
    return user.principal


async def rate_limit(request: Request) -> None:
    """Per-IP limit for routes that take no user at all."""
    runtime = runtime_for(request.app)
    await hit_limit(runtime, runtime.settings.rate_limit, "api", "ip:" + client_ip(request))


def audit_read(
    user: AuthUser | None,
    what: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Record that ``user`` read ``what`` (``"entity:id"``, e.g. ``"series:rebar.shanghai"``,
    or just ``"entity"``). Buffered: costs a list append, written in batches."""
    if user is None or user.audit is None:
        return
    entity, _, entity_id = what.partition(":")
    user.audit.record(user.username, entity or what, entity_id or None, detail)


CurrentUser = Annotated[AuthUser, Depends(current_user)]
OptionalUser = Annotated[AuthUser | None, Depends(optional_user)]
EditorUser = Annotated[AuthUser, Depends(require_role("admin", "editor"))]
AdminUser = Annotated[AuthUser, Depends(require_role("admin"))]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
