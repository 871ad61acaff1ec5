"""Who may call what: every role against every endpoint group, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from support.access import API

# (method, path, json body) → the roles that get a 2xx; the others 401 (anonymous) or 403.
ENDPOINTS = [
    ("GET", f"{API}/series", None, {"admin", "editor", "analyst", "subscriber"}),
    ("GET", f"{API}/series/rebar.shanghai", None, {"admin", "editor", "analyst", "subscriber"}),
    (
        "GET",
        f"{API}/series/rebar.shanghai/observations",
        None,
        {"admin", "editor", "analyst", "subscriber"},
    ),
    ("GET", f"{API}/assessments", None, {"admin", "editor", "analyst", "subscriber"}),
    ("POST", f"{API}/ask", {"question": "螺纹"}, {"admin", "editor", "analyst", "subscriber"}),
    (
        "POST",
        f"{API}/chat",
        {"messages": [{"role": "user", "content": "螺纹"}], "stream": False},
        {"admin", "editor", "analyst", "subscriber"},
    ),
    ("GET", "/v1/models", None, {"admin", "editor", "analyst", "subscriber"}),
    ("GET", f"{API}/keys", None, {"admin", "editor", "analyst", "subscriber"}),
    ("GET", f"{API}/ops/sources", None, {"admin", "editor"}),
    ("GET", f"{API}/ops/submissions", None, {"admin", "editor"}),
    ("GET", f"{API}/ops/flags", None, {"admin", "editor"}),
    ("GET", f"{API}/ops/monitor", None, {"admin", "editor"}),
    ("POST", f"{API}/ops/pipeline/run", {}, {"admin", "editor"}),
    ("GET", f"{API}/admin/users", None, {"admin"}),
    ("GET", f"{API}/admin/packages", None, {"admin"}),
]
ROLES = ["admin", "editor", "analyst", "subscriber"]


@pytest.fixture
def people(member, packages):  # type: ignore[no-untyped-def]
    return {
        role: member(
            f"u_{role}",
            role=role,
            packages=(packages["rebar"],) if role in ("analyst", "subscriber") else (),
        )
        for role in ROLES
    }


def test_role_by_endpoint_matrix(api: TestClient, people) -> None:  # type: ignore[no-untyped-def]
    failures = []
    for method, path, body, allowed in ENDPOINTS:
        anonymous = api.request(method, path, json=body)
        if anonymous.status_code != 401:
            failures.append(f"anonymous {method} {path} → {anonymous.status_code}")
        for role, person in people.items():
            r = api.request(method, path, json=body, headers=person.headers)
            ok = 200 <= r.status_code < 300
            if ok != (role in allowed):
                failures.append(f"{role} {method} {path} → {r.status_code} {r.text[:120]}")
            if not ok and r.status_code not in (403,):
                failures.append(f"{role} {method} {path} → {r.status_code}, expected 403")
    assert not failures, "\n".join(failures)


def test_health_is_public(api: TestClient) -> None:
    assert api.get(f"{API}/health").status_code == 200
    assert api.get(f"{API}/ready").status_code == 200
