"""Sign-in, sign-out, "who am I", and self-service API keys.

``POST /auth/login`` takes JSON (``{"username", "password"}``) from scripts and the web
UI, or an HTML form post; a form post is answered with a redirect (303) to ``next`` or
``/`` on success and to ``/login?error=<code>`` on failure, so the page works without
JavaScript. Argon2 verification is deliberately slow, so these handlers are plain ``def``
(run in the thread pool, never blocking the event loop).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from steelsage.server.auth import service
from steelsage.server.auth.runtime import AuthRuntime
from steelsage.server.auth.service import AccessError, KeyInfo, NewKey
from steelsage.server.auth.sessions import (
    SESSION_COOKIE,
    clear_session_cookies,
    create_session,
    end_session,
    purge_expired,
    set_session_cookies,
)
from steelsage.server.deps import (
    CurrentUser,
    OptionalUser,
    api_error,
    client_ip,
    get_runtime,
    hit_limit,
)
from steelsage.server.errors import ApiError

router = APIRouter(tags=["auth"])

Runtime = Annotated[AuthRuntime, Depends(get_runtime)]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)
    next: str | None = Field(default=None, max_length=500)


class MeUser(BaseModel):
    username: str
    display_name: str
    role: str
    packages: list[str]


class MeResponse(BaseModel):
    user: MeUser
    csrf_token: str | None = None


class KeyRequest(BaseModel):
    name: str = Field(default="default", min_length=1, max_length=120)


class KeyList(BaseModel):
    keys: list[KeyInfo]


class RevokedKey(BaseModel):
    revoked: KeyInfo


@contextmanager
def db_session(runtime: AuthRuntime) -> Iterator[Session]:
    """A transaction whose :class:`AccessError` becomes the matching API error."""
    with runtime.session() as db:
        try:
            yield db
            db.commit()
        except AccessError as exc:
            db.rollback()
            raise api_error(exc) from None


def _safe_next(target: str | None) -> str:
    """Only same-site paths: ``/explorer`` yes, ``//evil.example`` or ``https://...`` no."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def _read_login(request: Request) -> tuple[LoginRequest, bool]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = content_type in _FORM_TYPES
    if is_form:
        form = await request.form()
        data: Any = {k: v for k, v in form.items() if isinstance(v, str)}
    else:
        try:
            data = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                400, "bad_json", "请求体不是合法的 JSON / the request body is not valid JSON"
            ) from None
    try:
        return LoginRequest.model_validate(data), is_form
    except ValidationError:
        raise ApiError(
            422,
            "invalid",
            "请提供 username 与 password / send username and password (JSON or form)",
        ) from None


@router.post(
    "/auth/login",
    response_model=MeResponse,
    summary="Sign in (JSON or form); sets the session and CSRF cookies",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LoginRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
            },
            "required": True,
        }
    },
)
async def login(request: Request, runtime: Runtime) -> Response:
    ip = client_ip(request)
    body, is_form = await _read_login(request)
    try:
        await hit_limit(runtime, runtime.settings.login_rate_limit, "login", "ip:" + ip)
        user, new = await run_in_threadpool(
            _sign_in, runtime, body, ip, request.headers.get("user-agent")
        )
    except ApiError as exc:
        if not is_form:
            raise
        code = getattr(exc, "code", "error")
        target = f"/login?error={quote(code)}"
        if body.next:
            target += "&next=" + quote(_safe_next(body.next), safe="")
        return RedirectResponse(target, status_code=303)
    max_age = int(runtime.settings.session_hours * 3600)
    response: Response
    if is_form:
        response = RedirectResponse(_safe_next(body.next), status_code=303)
    else:
        response = JSONResponse({"user": user.public(), "csrf_token": new.csrf_token})
    set_session_cookies(response, new, secure=runtime.settings.secure_cookies, max_age=max_age)
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in(
    runtime: AuthRuntime, body: LoginRequest, ip: str, user_agent: str | None
) -> tuple[service.AuthUser, Any]:
    settings = runtime.settings
    with runtime.session() as db:
        try:
            row = service.authenticate_password(
                db,
                body.username,
                body.password,
                lockout_after=settings.lockout_after,
                lockout_minutes=settings.lockout_minutes,
            )
        except AccessError as exc:
            db.commit()  # keep the failure count
            raise api_error(exc) from None
        purge_expired(db, service.utcnow())
        new = create_session(
            db,
            row,
            hours=settings.session_hours,
            now=service.utcnow(),
            ip=ip,
            user_agent=user_agent,
        )
        user = service.auth_user(
            db, row, via="session", session_id=new.session_id, csrf_token=new.csrf_token
        )
        db.commit()
    return user, new


@router.post("/auth/logout", summary="End the browser session and clear its cookies")
def logout(request: Request, runtime: Runtime, user: OptionalUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with runtime.session() as db:
            end_session(db, token)
            db.commit()
        runtime.cache.clear()
    response = JSONResponse({"status": "signed_out"})
    clear_session_cookies(response, secure=runtime.settings.secure_cookies)
    return response


@router.get("/auth/me", response_model=MeResponse, summary="The signed-in user")
async def me(user: CurrentUser) -> dict[str, Any]:
    return {"user": user.public(), "csrf_token": user.csrf_token}


@router.get("/keys", response_model=KeyList, summary="Your API keys (never the secrets)")
def list_keys(runtime: Runtime, user: CurrentUser) -> dict[str, Any]:
    with db_session(runtime) as db:
        return {"keys": service.list_keys(db, user.username)}


@router.post(
    "/keys",
    response_model=NewKey,
    status_code=201,
    summary="Create an API key; the response is the only time the key is shown",
)
def create_key(body: KeyRequest, runtime: Runtime, user: CurrentUser) -> Response:
    with db_session(runtime) as db:
        new = service.create_key(db, user.username, body.name)
    return JSONResponse(new.model_dump(), status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/keys/{key_id}", response_model=RevokedKey, summary="Revoke one of your keys")
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**62)], runtime: Runtime, user: CurrentUser
) -> dict[str, Any]:
    with db_session(runtime) as db:
        owner = None if user.is_admin else user.username
        revoked = service.revoke_key(db, key_id, username=owner)
    runtime.cache.clear()
    return {"revoked": revoked}
