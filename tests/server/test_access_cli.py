"""``steelsage users|keys|packages`` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from steelsage.cli_access import register
from steelsage.store import session_scope
from steelsage.store.access_models import ApiKey, User

from .server_support import API

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(engine: Engine) -> Invoke:
    app = typer.Typer()
    register(app, lambda migrate=True: engine)
    runner = CliRunner()

    def run(*args: str, code: int = 0, stdin: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=stdin)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"traceback for {args}: {result.exception!r}\n{result.output}"
        )
        assert result.exit_code == code, f"{args} → {result.exit_code}\n{result.output}"
        return result

    return run


def test_users_packages_and_keys_round_trip(
    invoke: Invoke, engine: Engine, client: TestClient
) -> None:
    added = invoke(
        "users", "add", "ann", "--role", "subscriber", "--password-stdin", "--json",
        stdin="ann-password-1\n",
    )  # fmt: skip
    assert json.loads(added.stdout)["role"] == "subscriber"
    with session_scope(engine) as db:
        stored = db.execute(select(User.password_hash).where(User.username == "ann")).scalar()
    assert stored.startswith("$argon2id$")

    defined = invoke(
        "packages", "define", "rebar_free", "--product", "rebar", "--kind", "assessment",
        "--history-days", "90", "--delay-days", "1", "--json",
    )  # fmt: skip
    assert json.loads(defined.stdout)["products"] == ["rebar"]
    assert "rebar_free: product=rebar kind=assessment history=90d delay=1d" in " ".join(
        invoke("packages", "list").stdout.split()
    )
    invoke("users", "grant", "ann", "rebar_free")
    invoke("users", "set-role", "ann", "analyst")
    users = json.loads(invoke("users", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["packages"]) for u in users] == [
        ("ann", "analyst", ["rebar_free"])
    ]

    created = invoke("keys", "create", "laptop", "--user", "ann")
    key = created.stdout.strip()
    assert key.startswith("ssk_") and "shown this once" in created.stderr
    with session_scope(engine) as db:
        row = db.execute(select(ApiKey)).scalar_one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    listed = invoke("keys", "list", "--user", "ann", "--json").stdout
    assert key not in listed and json.loads(listed)[0]["prefix"] == row.prefix

    me = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.json()["user"]["packages"] == ["rebar_free"]

    invoke("users", "revoke", "ann", "rebar_free")
    revoked = json.loads(invoke("keys", "revoke", row.prefix, "--json").stdout)
    assert revoked["revoked_at"] is not None
    again = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 401


def test_password_change_disable_and_enable(invoke: Invoke, client: TestClient) -> None:
    invoke("users", "add", "bob", "--no-password")
    assert (
        client.post(f"{API}/auth/login", json={"username": "bob", "password": "x" * 10}).status_code
        == 401
    )
    invoke("users", "passwd", "bob", "--password-stdin", stdin="bob-password-1\n")
    login = {"username": "bob", "password": "bob-password-1"}
    assert client.post(f"{API}/auth/login", json=login).status_code == 200
    invoke("users", "disable", "bob")
    assert client.post(f"{API}/auth/login", json=login).status_code == 403
    invoke("users", "enable", "bob")
    assert client.post(f"{API}/auth/login", json=login).status_code == 200


BAD_INPUT = [
    (("users", "add", "ann", "--role", "boss", "--no-password"), None, "unknown role"),
    (("users", "add", "ann", "--password-stdin"), "short\n", "at least 8"),
    (("users", "add", "ann"), None, "--password-stdin"),  # no terminal to prompt on
    (("users", "grant", "ghost", "p"), None, "no user 'ghost'"),
    (("keys", "create", "k", "--user", "ghost"), None, "no user 'ghost'"),
    (("keys", "revoke", "deadbeef0000"), None, "no key"),
    (("packages", "define", "bad name!"), None, "package name"),
]


def test_bad_input_fails_with_a_message(invoke: Invoke) -> None:
    for args, stdin, message in BAD_INPUT:
        result = invoke(*args, code=1, stdin=stdin)
        assert message in " ".join(result.stderr.split()), args


def test_duplicate_user_is_refused(invoke: Invoke) -> None:
    invoke("users", "add", "ann", "--no-password")
    result = invoke("users", "add", "ann", "--no-password", code=1)
    assert "exists" in result.stderr
