"""Admin API (users, roles, packages, grants) and the user → Principal mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from steelsage.assistant import EntitlementError, Principal
from steelsage.server.auth import service
from steelsage.store import SeriesInfo, session_scope

from .server_support import API, Member

ADMIN_CALLS = [
    ("GET", "/admin/users", None),
    ("POST", "/admin/users", {"username": "zed", "role": "analyst"}),
    ("PATCH", "/admin/users/root", {"active": True}),
    ("GET", "/admin/packages", None),
    ("POST", "/admin/packages", {"name": "p1"}),
    ("POST", "/admin/users/root/packages", {"package": "p1"}),
    ("DELETE", "/admin/users/root/packages/p1", None),
]


def _series(code: str, product: str, kind: str = "assessment") -> SeriesInfo:
    return SeriesInfo(
        code=code, kind=kind, name_zh=code, name_en=code, product=product, unit="CNY/t"
    )


REBAR = _series("rebar.shanghai", "rebar")
HRC = _series("hrc.shanghai", "hrc")


def test_admin_endpoints_refuse_other_roles(
    client: TestClient, make_user: Callable[..., Member], admin: Member
) -> None:
    for role in ("editor", "analyst", "subscriber"):
        member = make_user(f"a-{role}", role=role)
        for method, path, body in ADMIN_CALLS:
            response = client.request(method, API + path, json=body, headers=member.headers)
            assert response.status_code == 403, (role, method, path)
            assert response.json()["error"]["code"] == "forbidden"
            assert "admin" in response.json()["error"]["message"]


def test_admin_endpoints_need_a_user(client: TestClient) -> None:
    for method, path, body in ADMIN_CALLS:
        assert client.request(method, API + path, json=body).status_code == 401


def test_admin_manages_users_packages_and_grants(
    client: TestClient, admin: Member, rebar_package: str
) -> None:
    h = admin.headers
    created = client.post(
        f"{API}/admin/users",
        json={"username": "sue", "password": "sue-password-1", "role": "subscriber"},
        headers=h,
    )
    assert created.status_code == 201, created.text
    assert created.json()["user"]["role"] == "subscriber"

    package = client.post(
        f"{API}/admin/packages",
        json={"name": "ore_free", "commodities": ["iron_ore"], "delay_days": 7},
        headers=h,
    )
    assert package.status_code == 201
    assert package.json()["package"]["delay_days"] == 7
    names = {p["name"] for p in client.get(f"{API}/admin/packages", headers=h).json()["packages"]}
    assert names == {"ore_free", rebar_package}

    for name in ("ore_free", rebar_package, rebar_package):  # granting twice is harmless
        granted = client.post(f"{API}/admin/users/sue/packages", json={"package": name}, headers=h)
        assert granted.status_code == 200
    assert granted.json()["user"]["packages"] == ["ore_free", rebar_package]

    revoked = client.delete(f"{API}/admin/users/sue/packages/ore_free", headers=h)
    assert revoked.json()["user"]["packages"] == [rebar_package]

    patched = client.patch(f"{API}/admin/users/sue", json={"role": "analyst"}, headers=h)
    assert patched.json()["user"]["role"] == "analyst"
    users = {u["username"]: u for u in client.get(f"{API}/admin/users", headers=h).json()["users"]}
    assert set(users) == {"root", "sue"}
    assert users["sue"]["packages"] == [rebar_package]

    login = client.post(f"{API}/auth/login", json={"username": "sue", "password": "sue-password-1"})
    assert login.json()["user"]["packages"] == [rebar_package]


def test_grants_take_effect_on_the_next_request(
    client: TestClient, admin: Member, make_user: Callable[..., Member], rebar_package: str
) -> None:
    sue = make_user("sue", role="subscriber")
    assert client.get(f"{API}/auth/me", headers=sue.headers).json()["user"]["packages"] == []
    client.post(
        f"{API}/admin/users/sue/packages", json={"package": rebar_package}, headers=admin.headers
    )
    me = client.get(f"{API}/auth/me", headers=sue.headers).json()
    assert me["user"]["packages"] == [rebar_package]


def test_disabling_a_user_and_resetting_a_password(
    client: TestClient, admin: Member, make_user: Callable[..., Member]
) -> None:
    sue = make_user("sue")
    off = client.patch(f"{API}/admin/users/sue", json={"active": False}, headers=admin.headers)
    assert off.json()["user"]["active"] is False
    assert client.get(f"{API}/auth/me", headers=sue.headers).status_code == 403
    client.patch(
        f"{API}/admin/users/sue",
        json={"active": True, "password": "fresh-password"},
        headers=admin.headers,
    )
    login = client.post(f"{API}/auth/login", json={"username": "sue", "password": "fresh-password"})
    assert login.status_code == 200


BAD_ADMIN_INPUT = [
    ("POST", "/admin/users", {"username": "root", "role": "analyst"}, 409, "user_exists"),
    ("POST", "/admin/users", {"username": "x y", "role": "analyst"}, 422, "bad_username"),
    ("POST", "/admin/users", {"username": "zed", "role": "boss"}, 422, "invalid"),
    ("POST", "/admin/users", {"username": "zed", "password": "short"}, 422, "weak_password"),
    ("PATCH", "/admin/users/ghost", {"role": "analyst"}, 404, "no_such_user"),
    ("POST", "/admin/users/root/packages", {"package": "nope"}, 404, "no_such_package"),
    ("DELETE", "/admin/users/root/packages/nope", None, 404, "not_granted"),
    ("POST", "/admin/packages", {"name": "../etc"}, 422, "bad_package"),
    ("POST", "/admin/packages", {"name": "p", "delay_days": -1}, 422, "invalid"),
    ("PATCH", "/admin/users/root", {"role": "analyst"}, 409, "self_lockout"),
    ("PATCH", "/admin/users/root", {"active": False}, 409, "self_lockout"),
]


def test_admin_bad_input(client: TestClient, admin: Member) -> None:
    for method, path, body, status, code in BAD_ADMIN_INPUT:
        response = client.request(method, API + path, json=body, headers=admin.headers)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["error"]["code"] == code, (path, body)


# ---------------------------------------------------------------- principal_for


def test_principal_for_maps_packages(engine: Engine, rebar_package: str) -> None:
    with session_scope(engine) as db:
        for name, role in [("sub", "subscriber"), ("ana", "analyst"), ("ed", "editor")]:
            service.add_user(db, name, role=role)
        service.grant(db, "sub", rebar_package)
        service.grant(db, "ed", rebar_package)  # editors stay unrestricted regardless
        users = {n: service.get_user(db, n) for n in ("sub", "ana", "ed")}
        principals = {
            n: service.principal_for(u, service.packages_of(db, u.id)) for n, u in users.items()
        }

    sub = principals["sub"]
    assert isinstance(sub, Principal) and sub.role == "subscriber" and sub.id == "sub"
    (package,) = sub.packages
    assert package.products == frozenset({"rebar"})
    assert package.kinds == frozenset({"assessment"})
    assert (package.history_days, package.delay_days) == (365, 1)
    today = date(2026, 3, 2)
    assert sub.can_see(REBAR) and not sub.can_see(HRC)
    assert sub.window(REBAR, today) == (today - timedelta(days=365), today - timedelta(days=1))
    with pytest.raises(EntitlementError):
        sub.window(HRC, today)

    assert not principals["ana"].can_see(REBAR)  # no packages: nothing
    assert principals["ed"].unrestricted and principals["ed"].packages == ()
    assert principals["ed"].window(HRC, today) == (None, None)


def test_principal_for_admin_and_explicit_series(engine: Engine) -> None:
    with session_scope(engine) as db:
        service.define_package(db, "one", series=["hrc.shanghai"])
        service.add_user(db, "boss", role="admin")
        service.add_user(db, "ana", role="analyst")
        service.grant(db, "ana", "one")
        boss = service.get_user(db, "boss")
        ana = service.get_user(db, "ana")
        p_boss = service.principal_for(boss, service.packages_of(db, boss.id))
        p_ana = service.principal_for(ana, service.packages_of(db, ana.id))
    assert p_boss.unrestricted
    assert p_ana.can_see(HRC) and not p_ana.can_see(REBAR)
    assert p_ana.window(HRC, date(2026, 3, 2)) == (None, None)
