"""Sign-in, sessions with CSRF, API keys, lockout, rate limits, production safety, audit."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from steelsage.server.auth import service
from steelsage.server.auth.audit import AuditRecorder
from steelsage.server.auth.ratelimit import RateLimited, RateLimiter
from steelsage.server.deps import audit_read
from steelsage.server.settings import ServerSettings
from steelsage.store import session_scope
from steelsage.store.access_models import ApiKey, User, WebSession
from steelsage.store.models import AuditLog

from .server_support import API, PASSWORD, Member, build_auth_app


def _login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]


# ---------------------------------------------------------------- passwords and sessions


def test_password_is_stored_as_argon2_hash(
    engine: Engine, make_user: Callable[..., Member]
) -> None:
    make_user("ann", password=True)
    with session_scope(engine) as db:
        stored = db.execute(select(User.password_hash).where(User.username == "ann")).scalar()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_sets_httponly_session_and_readable_csrf_cookie(
    client: TestClient, engine: Engine, make_user: Callable[..., Member]
) -> None:
    make_user("ann", role="subscriber", password=True)
    response = _login(client, "ann")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == {
        "username": "ann",
        "display_name": "ann",
        "role": "subscriber",
        "packages": [],
    }
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("steelsage_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("steelsage_csrf="))
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()
    assert "httponly" not in csrf_cookie.lower()
    assert "secure" not in session_cookie.lower()  # dev mode over plain http
    assert client.cookies["steelsage_csrf"] == body["csrf_token"]
    token = client.cookies["steelsage_session"]
    with session_scope(engine) as db:
        stored = db.execute(select(WebSession.token_hash)).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]  # only the hash is kept

    me = client.get(f"{API}/auth/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "ann"
    assert me.json()["csrf_token"] == body["csrf_token"]


def test_anonymous_gets_401_that_says_how_to_sign_in(client: TestClient) -> None:
    response = client.get(f"{API}/auth/me")
    assert response.status_code == 401
    assert _code(response) == "unauthenticated"
    message = response.json()["error"]["message"]
    assert "Bearer" in message and "/auth/login" in message


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, make_user: Callable[..., Member]
) -> None:
    make_user("ann", password=True)
    wrong = _login(client, "ann", "not-the-password")
    unknown = _login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert _code(wrong) == "bad_credentials"


def test_stolen_session_without_csrf_header_is_refused(
    client: TestClient, make_user: Callable[..., Member]
) -> None:
    make_user("ann", password=True)
    csrf = _login(client, "ann").json()["csrf_token"]
    # The cookie alone (what a cross-site form or script gets the browser to send) is not enough.
    refused = client.post(f"{API}/keys", json={"name": "x"})
    assert refused.status_code == 403 and _code(refused) == "csrf"
    wrong = client.post(f"{API}/keys", json={"name": "x"}, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403 and _code(wrong) == "csrf"
    ok = client.post(f"{API}/keys", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert client.get(f"{API}/keys").status_code == 200  # safe methods need no token


def test_bearer_key_needs_no_csrf(client: TestClient, make_user: Callable[..., Member]) -> None:
    ann = make_user("ann")
    response = client.post(f"{API}/keys", json={"name": "ci"}, headers=ann.headers)
    assert response.status_code == 201


def test_logout_ends_the_session(client: TestClient, make_user: Callable[..., Member]) -> None:
    make_user("ann", password=True)
    csrf = _login(client, "ann").json()["csrf_token"]
    token = client.cookies["steelsage_session"]
    out = client.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200
    client.cookies.clear()
    client.cookies.set("steelsage_session", token)
    replay = client.get(f"{API}/auth/me")
    assert replay.status_code == 401
    assert "expired" in replay.json()["error"]["message"]


def test_form_login_redirects_to_chat_page(
    client: TestClient, make_user: Callable[..., Member]
) -> None:
    make_user("ann", password=True)
    ok = client.post(
        f"{API}/auth/login",
        data={"username": "ann", "password": PASSWORD},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert "steelsage_session" in client.cookies
    nxt = client.post(
        f"{API}/auth/login",
        data={"username": "ann", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert nxt.headers["location"] == "/"  # no open redirect
    bad = client.post(
        f"{API}/auth/login",
        data={"username": "ann", "password": "nope-nope", "next": "/explorer"},
        follow_redirects=False,
    )
    assert bad.status_code == 303
    assert bad.headers["location"] == "/login?error=bad_credentials&next=%2Fexplorer"


def test_malformed_login_bodies(client: TestClient) -> None:
    for body, status in [
        (b"{not json", 400),
        (b'{"username": "ann"}', 422),
        (b'{"username": 3, "password": []}', 422),
        (b"[]", 422),
    ]:
        response = client.post(
            f"{API}/auth/login", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == status, body
        assert "error" in response.json()


# ---------------------------------------------------------------- API keys


def test_key_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, engine: Engine, make_user: Callable[..., Member]
) -> None:
    ann = make_user("ann")
    created = client.post(f"{API}/keys", json={"name": "script"}, headers=ann.headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(f"ssk_{created.json()['prefix']}_")
    assert created.headers["cache-control"] == "no-store"

    listed = client.get(f"{API}/keys", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200
    assert key not in listed.text and key.rsplit("_", 1)[1] not in listed.text
    assert {k["name"] for k in listed.json()["keys"]} == {"test", "script"}
    with session_scope(engine) as db:
        row = db.execute(
            select(ApiKey).where(ApiKey.prefix == created.json()["prefix"])
        ).scalar_one()
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert row.last_used_at is not None  # the listing above used it
        assert all(key not in str(v) for v in vars(row).values())


def test_revoked_unknown_and_malformed_keys_are_refused(
    client: TestClient, make_user: Callable[..., Member]
) -> None:
    ann = make_user("ann")
    assert client.get(f"{API}/auth/me", headers=ann.headers).status_code == 200
    revoked = client.delete(f"{API}/keys/{ann.key_id}", headers=ann.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked"]["revoked_at"]
    for header in (
        ann.headers["Authorization"],
        ann.headers["Authorization"][:-4] + "AAAA",  # right prefix, wrong secret
        "Bearer ssk_000000000000_" + "x" * 43,
        "Bearer not-a-key",
    ):
        response = client.get(f"{API}/auth/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert _code(response) == "bad_key"
        assert "keys create" in response.json()["error"]["message"]


def test_users_cannot_revoke_each_others_keys(
    client: TestClient, make_user: Callable[..., Member]
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    response = client.delete(f"{API}/keys/{bob.key_id}", headers=ann.headers)
    assert response.status_code == 404
    assert client.get(f"{API}/auth/me", headers=bob.headers).status_code == 200


def test_revocation_in_another_process_takes_effect_within_cache_ttl(
    settings: ServerSettings, engine: Engine, make_user: Callable[..., Member]
) -> None:
    ann = make_user("ann")
    app = build_auth_app(settings, engine, cache_seconds=0.3)
    with TestClient(app) as client:
        assert client.get(f"{API}/auth/me", headers=ann.headers).status_code == 200
        with session_scope(engine) as db:  # e.g. `steelsage keys revoke` or another worker
            service.revoke_key(db, ann.key_id)
        assert client.get(f"{API}/auth/me", headers=ann.headers).status_code == 200  # cached
        time.sleep(0.35)
        assert client.get(f"{API}/auth/me", headers=ann.headers).status_code == 401


def test_disabled_user_is_refused(
    client: TestClient, engine: Engine, make_user: Callable[..., Member]
) -> None:
    ann = make_user("ann")
    with session_scope(engine) as db:
        service.set_active(db, "ann", False)
    response = client.get(f"{API}/auth/me", headers=ann.headers)
    assert response.status_code == 403 and _code(response) == "inactive"


# ---------------------------------------------------------------- abuse


def test_brute_force_locks_the_account(
    client: TestClient, engine: Engine, make_user: Callable[..., Member]
) -> None:
    make_user("ann", password=True)  # lockout_after=3 in the test settings
    assert _login(client, "ann", "guess-0001").status_code == 401
    assert _login(client, "ann", "guess-0002").status_code == 401
    third = _login(client, "ann", "guess-0003")
    assert third.status_code == 423 and _code(third) == "locked"
    assert 0 < int(third.headers["retry-after"]) <= 15 * 60
    right = _login(client, "ann")  # even the right password waits out the lock
    assert right.status_code == 423
    with session_scope(engine) as db:
        service.set_password(db, "ann", "a-brand-new-password")  # an admin reset unlocks
    assert _login(client, "ann", "a-brand-new-password").status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"login_rate_limit": "3/minute"}], indirect=True)
def test_login_burst_is_rate_limited(client: TestClient) -> None:
    codes = [_login(client, f"user{i}", "whatever-x").status_code for i in range(4)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    response = _login(client, "user9", "whatever-x")
    assert _code(response) == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize("settings_overrides", [{"rate_limit": "5/minute"}], indirect=True)
def test_api_burst_is_rate_limited_per_user(
    client: TestClient, make_user: Callable[..., Member]
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    codes = [client.get(f"{API}/auth/me", headers=ann.headers).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert client.get(f"{API}/auth/me", headers=bob.headers).status_code == 200  # own budget


def test_redis_rate_limit_storage() -> None:
    limiter = RateLimiter("redis://127.0.0.1:6379/0")
    try:
        limiter.storage.check()
    except Exception:  # pragma: no cover - the server runs on every dev/CI machine
        pytest.skip("no Redis on 127.0.0.1:6379")
    if not limiter.storage.check():  # pragma: no cover
        pytest.skip("no Redis on 127.0.0.1:6379")
    identity = uuid.uuid4().hex
    asyncio.run(limiter.hit("2/minute", "test", identity))
    asyncio.run(limiter.hit("2/minute", "test", identity))
    with pytest.raises(RateLimited) as caught:
        asyncio.run(limiter.hit("2/minute", "test", identity))
    assert caught.value.retry_after >= 1


def test_production_refuses_default_or_short_secret(engine: Engine) -> None:
    from steelsage.server.app import create_app
    from steelsage.server.settings import InsecureSettingsError

    with pytest.raises(InsecureSettingsError, match="STEELSAGE_SECRET_KEY"):
        create_app(ServerSettings(_env_file=None, env="production"), engine)  # type: ignore[call-arg]
    with pytest.raises(InsecureSettingsError):
        create_app(
            ServerSettings(_env_file=None, env="production", secret_key="short"),  # type: ignore[call-arg]
            engine,
        )


def test_production_cookies_are_secure(engine: Engine, make_user: Callable[..., Member]) -> None:
    make_user("ann", password=True)
    settings = ServerSettings(  # type: ignore[call-arg]
        _env_file=None, env="production", secret_key="s" * 40, redis_url=None
    )
    with TestClient(build_auth_app(settings, engine), base_url="https://testserver") as client:
        response = _login(client, "ann")
    cookies = response.headers.get_list("set-cookie")
    assert cookies and all("secure" in c.lower() for c in cookies)


# ---------------------------------------------------------------- audit


def test_audit_recorder_batches_and_flushes_at_close(engine: Engine) -> None:
    recorder = AuditRecorder(engine, flush_rows=200, flush_seconds=60)
    for i in range(199):
        recorder.record("ann", "series", f"s{i}", {"format": "json"})
    time.sleep(0.05)
    assert recorder.written == 0  # queued, not one INSERT per read
    recorder.record("ann", "series", "s199")
    deadline = time.monotonic() + 5
    while recorder.written < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.written == 200  # the 200-row batch went out without waiting 60 s
    for i in range(50):
        recorder.record("ann", "series", f"t{i}")
    recorder.close()
    with engine.connect() as conn:
        rows = conn.execute(select(AuditLog.actor, AuditLog.action, AuditLog.entity)).all()
    assert len(rows) == 250
    assert set(rows) == {("ann", "read", "series")}


def test_audit_read_records_who_read_what(
    client: TestClient, engine: Engine, make_user: Callable[..., Member]
) -> None:
    ann = make_user("ann")
    app = client.app
    runtime = app.state.auth  # type: ignore[attr-defined]
    with session_scope(engine) as db:
        user = service.auth_user(db, service.get_user(db, "ann"), via="key", audit=runtime.audit)
    audit_read(user, "series:rebar.shanghai", {"start": "2026-01-01"})
    audit_read(None, "series:ignored")  # anonymous reads are not attributed
    runtime.audit.flush()
    with engine.connect() as conn:
        row = conn.execute(select(AuditLog)).one()
    assert (row.actor, row.action, row.entity, row.entity_id) == (
        ann.username,
        "read",
        "series",
        "rebar.shanghai",
    )
    assert row.detail == {"start": "2026-01-01"}


def test_create_app_mounts_the_auth_routes(
    settings: ServerSettings, engine: Engine, make_user: Callable[..., Member]
) -> None:
    pytest.importorskip("steelsage.server.routes.pages")
    from steelsage.server.app import create_app

    ann = make_user("ann", password=True)
    with TestClient(create_app(settings, engine)) as client:
        paths = set(client.get(f"{API}/openapi.json").json()["paths"])
        assert {f"{API}/auth/login", f"{API}/keys", f"{API}/admin/users"} <= paths
        assert _login(client, "ann").status_code == 200
        assert client.get(f"{API}/auth/me", headers=ann.headers).status_code == 200
