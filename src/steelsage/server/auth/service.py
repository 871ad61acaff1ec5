"""Users, roles, packages, grants and keys: the operations behind the API, the admin page
and the ``steelsage users|keys|packages`` commands.

Every function takes an open ORM session (``with session_scope(engine) as db: ...``) and
raises :class:`AccessError` with a machine-readable code, an HTTP status and a bilingual
message; the server turns it into an ``ApiError`` and the CLI prints it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from steelsage.assistant.principal import Package, Principal, Role
from steelsage.server.auth import keys as keymod
from steelsage.server.auth import lockout
from steelsage.server.auth.passwords import (
    WeakPasswordError,
    check_password,
    hash_password,
    verify_password,
)
from steelsage.server.auth.sessions import end_user_sessions
from steelsage.store.access_models import ApiKey, EntitlementPackage, User, UserPackage

if TYPE_CHECKING:
    from steelsage.server.auth.audit import AuditRecorder

ROLES: tuple[str, ...] = get_args(Role)
UNRESTRICTED_ROLES = frozenset({"admin", "editor"})
KEY_TOUCH_SECONDS = 60  # last_used_at is written at most once a minute per key
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}$")
_PACKAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class AccessError(Exception):
    """A refused or impossible access operation."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def utcnow() -> datetime:
    """Naive UTC, like every timestamp column in the store."""
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- views


class UserInfo(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    packages: list[str]
    locked: bool = False
    created_at: datetime
    last_login_at: datetime | None = None


class PackageInfo(BaseModel):
    name: str
    description: str | None = None
    commodities: list[str] = []
    products: list[str] = []
    regions: list[str] = []
    kinds: list[str] = []
    series: list[str] = []
    history_days: int | None = None
    delay_days: int = 0

    def to_package(self) -> Package:
        return Package(
            name=self.name,
            commodities=frozenset(self.commodities),
            products=frozenset(self.products),
            regions=frozenset(self.regions),
            kinds=frozenset(self.kinds),
            series=frozenset(self.series),
            history_days=self.history_days,
            delay_days=self.delay_days,
        )


class KeyInfo(BaseModel):
    id: int
    name: str
    prefix: str
    username: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewKey(BaseModel):
    """The one time a key is shown in full."""

    id: int
    name: str
    prefix: str
    key: str


@dataclass(frozen=True)
class AuthUser:
    """The signed-in caller as routes see it (immutable; safe to cache for a few seconds).

    ``via`` is ``"key"`` or ``"session"``; ``csrf_token`` is set for sessions only.
    """

    id: int
    username: str
    display_name: str
    role: str
    package_names: tuple[str, ...]
    principal: Principal
    via: str = "key"
    key_id: int | None = None
    session_id: int | None = None
    csrf_token: str | None = None
    audit: AuditRecorder | None = field(default=None, repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_editor(self) -> bool:
        return self.role in UNRESTRICTED_ROLES

    def public(self) -> dict[str, Any]:
        """What ``/auth/me`` shows."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "packages": list(self.package_names),
        }


# --------------------------------------------------------------------------- users


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AccessError(
            422,
            "bad_role",
            f"未知角色 {role!r}，可选 {', '.join(ROLES)} / unknown role {role!r}; "
            f"use one of {', '.join(ROLES)}",
        )
    return role


def _check_password(password: str) -> None:
    try:
        check_password(password)
    except WeakPasswordError as exc:
        raise AccessError(422, "weak_password", str(exc)) from exc


def get_user(db: Session, username: str) -> User:
    user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise AccessError(
            404,
            "no_such_user",
            f"没有用户 {username!r}（`steelsage users list` 查看）/ no user {username!r} "
            "(see `steelsage users list`)",
        )
    return user


def _package_names(db: Session, user_id: int) -> list[str]:
    return list(
        db.execute(
            select(UserPackage.package_name)
            .where(UserPackage.user_id == user_id)
            .order_by(UserPackage.package_name)
        ).scalars()
    )


def _user_info(db: Session, user: User, now: datetime | None = None) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        packages=_package_names(db, user.id),
        locked=lockout.locked_for(user, now or utcnow()) > 0,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def add_user(
    db: Session,
    username: str,
    *,
    role: str = "analyst",
    password: str | None = None,
    display_name: str | None = None,
) -> UserInfo:
    """Create a user. Without a password the account can only use API keys."""
    if not _NAME_RE.match(username):
        raise AccessError(
            422,
            "bad_username",
            "用户名须为 2–80 个字母、数字或 _ . @ -，以字母或数字开头 / a username is 2–80 "
            "letters, digits or _ . @ -, starting with a letter or digit",
        )
    _check_role(role)
    if password is not None:
        _check_password(password)
    if db.execute(select(User.id).where(User.username == username)).first():
        raise AccessError(
            409, "user_exists", f"用户 {username!r} 已存在 / user {username!r} exists"
        )
    now = utcnow()
    user = User(
        username=username,
        display_name=(display_name or username)[:200],
        role=role,
        password_hash=hash_password(password) if password else None,
        active=True,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    db.add(user)
    db.flush()
    return _user_info(db, user, now)


def list_users(db: Session) -> list[UserInfo]:
    users = db.execute(select(User).order_by(User.username)).scalars().all()
    return [_user_info(db, u) for u in users]


def user_info(db: Session, username: str) -> UserInfo:
    return _user_info(db, get_user(db, username))


def set_role(db: Session, username: str, role: str) -> UserInfo:
    user = get_user(db, username)
    user.role = _check_role(role)
    user.updated_at = utcnow()
    return _user_info(db, user)


def set_active(db: Session, username: str, active: bool) -> UserInfo:
    """Deactivating signs the user out everywhere; their keys stop working too."""
    user = get_user(db, username)
    user.active = active
    user.updated_at = utcnow()
    if not active:
        end_user_sessions(db, user.id)
    else:
        lockout.unlock(user)
    return _user_info(db, user)


def set_password(db: Session, username: str, password: str) -> UserInfo:
    """New password: clears any lockout and ends the user's browser sessions."""
    user = get_user(db, username)
    _check_password(password)
    user.password_hash = hash_password(password)
    lockout.unlock(user)
    user.updated_at = utcnow()
    end_user_sessions(db, user.id)
    return _user_info(db, user)


# --------------------------------------------------------------------------- packages


def _clean_list(values: Iterable[str] | None) -> list[str]:
    return sorted({v.strip() for v in values or () if v and v.strip()})


def _package_info(row: EntitlementPackage) -> PackageInfo:
    return PackageInfo(
        name=row.name,
        description=row.description,
        commodities=list(row.commodities or []),
        products=list(row.products or []),
        regions=list(row.regions or []),
        kinds=list(row.kinds or []),
        series=list(row.series or []),
        history_days=row.history_days,
        delay_days=row.delay_days or 0,
    )


def define_package(
    db: Session,
    name: str,
    *,
    commodities: Iterable[str] | None = None,
    products: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    series: Iterable[str] | None = None,
    history_days: int | None = None,
    delay_days: int = 0,
    description: str | None = None,
) -> PackageInfo:
    """Create or replace a package. Empty selectors mean "any" for that dimension, so a
    package with no selectors and no series covers everything (with its delay/history)."""
    if not _PACKAGE_RE.match(name):
        raise AccessError(
            422,
            "bad_package",
            "套餐名须为 1–80 个字母、数字或 _ . - / a package name is 1–80 letters, digits "
            "or _ . -",
        )
    if (history_days is not None and history_days < 0) or delay_days < 0:
        raise AccessError(
            422,
            "bad_package",
            "history_days 与 delay_days 不能为负 / history_days and delay_days must not be "
            "negative",
        )
    now = utcnow()
    row = db.get(EntitlementPackage, name)
    if row is None:
        row = EntitlementPackage(name=name, created_at=now)
        db.add(row)
    row.description = description
    row.commodities = _clean_list(commodities)
    row.products = _clean_list(products)
    row.regions = _clean_list(regions)
    row.kinds = _clean_list(kinds)
    row.series = _clean_list(series)
    row.history_days = history_days
    row.delay_days = delay_days
    row.updated_at = now
    db.flush()
    return _package_info(row)


def get_package(db: Session, name: str) -> EntitlementPackage:
    row = db.get(EntitlementPackage, name)
    if row is None:
        raise AccessError(
            404,
            "no_such_package",
            f"没有套餐 {name!r}（`steelsage packages list` 查看）/ no package {name!r} "
            "(see `steelsage packages list`)",
        )
    return row


def list_packages(db: Session) -> list[PackageInfo]:
    rows = db.execute(select(EntitlementPackage).order_by(EntitlementPackage.name)).scalars()
    return [_package_info(r) for r in rows]


def grant(db: Session, username: str, package: str, *, by: str | None = None) -> UserInfo:
    """Give ``username`` the package (idempotent)."""
    user = get_user(db, username)
    get_package(db, package)
    if db.get(UserPackage, (user.id, package)) is None:
        db.add(
            UserPackage(user_id=user.id, package_name=package, granted_at=utcnow(), granted_by=by)
        )
        db.flush()
    return _user_info(db, user)


def revoke(db: Session, username: str, package: str) -> UserInfo:
    user = get_user(db, username)
    row = db.get(UserPackage, (user.id, package))
    if row is None:
        raise AccessError(
            404,
            "not_granted",
            f"用户 {username!r} 没有套餐 {package!r} / user {username!r} does not have "
            f"package {package!r}",
        )
    db.delete(row)
    db.flush()
    return _user_info(db, user)


def packages_of(db: Session, user_id: int) -> list[PackageInfo]:
    rows = db.execute(
        select(EntitlementPackage)
        .join(UserPackage, UserPackage.package_name == EntitlementPackage.name)
        .where(UserPackage.user_id == user_id)
        .order_by(EntitlementPackage.name)
    ).scalars()
    return [_package_info(r) for r in rows]


def principal_for(
    user: User | UserInfo, packages: Sequence[PackageInfo | Package] = ()
) -> Principal:
    """The entitlements the assistant's tools enforce for ``user``.

    admin and editor read everything (no packages); analyst and subscriber read what their
    packages cover — nothing at all when they have none.
    """
    if user.role in UNRESTRICTED_ROLES:
        chosen: tuple[Package, ...] = ()
    else:
        chosen = tuple(p if isinstance(p, Package) else p.to_package() for p in packages)
    return Principal(id=user.username, name=user.display_name, role=user.role, packages=chosen)


def auth_user(
    db: Session,
    user: User,
    *,
    via: str,
    key_id: int | None = None,
    session_id: int | None = None,
    csrf_token: str | None = None,
    audit: AuditRecorder | None = None,
) -> AuthUser:
    packages = packages_of(db, user.id)
    return AuthUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        package_names=tuple(p.name for p in packages),
        principal=principal_for(user, packages),
        via=via,
        key_id=key_id,
        session_id=session_id,
        csrf_token=csrf_token,
        audit=audit,
    )


# --------------------------------------------------------------------------- keys


def _key_info(key: ApiKey, username: str) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        username=username,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def create_key(db: Session, username: str, name: str = "default") -> NewKey:
    """A new key for ``username``; the returned ``key`` is never retrievable again."""
    user = get_user(db, username)
    name = (name or "default").strip()[:120] or "default"
    for _ in range(5):
        generated = keymod.generate_key()
        exists = db.execute(select(ApiKey.id).where(ApiKey.prefix == generated.prefix)).first()
        if not exists:
            break
    else:  # pragma: no cover - 48 random bits colliding five times
        raise AccessError(503, "key_collision", "请重试 / please try again")
    key = ApiKey(
        user_id=user.id,
        name=name,
        prefix=generated.prefix,
        key_hash=generated.key_hash,
        created_at=utcnow(),
    )
    db.add(key)
    db.flush()
    return NewKey(id=key.id, name=key.name, prefix=key.prefix, key=generated.key)


def list_keys(db: Session, username: str | None = None) -> list[KeyInfo]:
    query = select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
    if username is not None:
        query = query.where(User.id == get_user(db, username).id)
    rows = db.execute(query.order_by(ApiKey.id)).all()
    return [_key_info(k, u) for k, u in rows]


def revoke_key(db: Session, id_or_prefix: str | int, *, username: str | None = None) -> KeyInfo:
    """Revoke by numeric id or by prefix (or the whole key). ``username`` restricts the
    search to that user's keys (what the self-service API uses). Idempotent."""
    text = str(id_or_prefix).strip()
    query = select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
    if text.isdigit():
        query = query.where(ApiKey.id == int(text))
    else:
        prefix = keymod.parse_prefix(text) or text
        query = query.where(ApiKey.prefix == prefix)
    if username is not None:
        query = query.where(User.username == username)
    row = db.execute(query).first()
    if row is None:
        raise AccessError(
            404,
            "no_such_key",
            f"没有密钥 {text!r} / no key {text!r} (see `steelsage keys list` or GET /api/v1/keys)",
        )
    key, owner = row
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.flush()
    return _key_info(key, owner)


# --------------------------------------------------------------------------- sign-in


def _bad_credentials() -> AccessError:
    return AccessError(401, "bad_credentials", "用户名或密码错误 / wrong username or password")


def authenticate_password(
    db: Session,
    username: str,
    password: str,
    *,
    lockout_after: int = 5,
    lockout_minutes: int = 15,
    now: datetime | None = None,
) -> User:
    """The user for a correct username and password, or :class:`AccessError`:
    401 ``bad_credentials``, 423 ``locked`` (with ``retry_after``), 403 ``inactive``.

    Failures are counted on the account (the caller commits them even when raising).
    """
    now = now or utcnow()
    user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        verify_password(password, None)  # same work as a real check: no username oracle
        raise _bad_credentials()
    wait = lockout.locked_for(user, now)
    if wait:
        raise AccessError(423, "locked", lockout.locked_message(wait), retry_after=wait)
    ok, new_hash = verify_password(password, user.password_hash)
    if not ok:
        if lockout.register_failure(user, now, after=lockout_after, minutes=lockout_minutes):
            wait = lockout.locked_for(user, now)
            raise AccessError(423, "locked", lockout.locked_message(wait), retry_after=wait)
        raise _bad_credentials()
    if not user.active:
        raise AccessError(
            403, "inactive", "账户已停用，请联系管理员 / the account is disabled; ask an admin"
        )
    if new_hash:
        user.password_hash = new_hash
    lockout.register_success(user, now)
    return user


def _bad_key() -> AccessError:
    return AccessError(
        401,
        "bad_key",
        "API 密钥无效或已撤销，请在 /keys 页面或用 `steelsage keys create` 新建 / the API key "
        "is invalid or revoked; create one on the /keys page or with `steelsage keys create`",
    )


def authenticate_key(db: Session, raw_key: str) -> tuple[User, ApiKey]:
    """The owner and row of a valid, unrevoked key of an active user, else 401 ``bad_key``.

    Read only; the caller records the use with :func:`touch_key` when
    :func:`key_touch_due` says so (at most once a minute, so a busy key does not write on
    every request).
    """
    prefix = keymod.parse_prefix(raw_key)
    if prefix is None:
        raise _bad_key()
    row = db.execute(
        select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.prefix == prefix)
    ).first()
    if row is None:
        keymod.key_matches(raw_key, "0" * 64)  # keep timing alike
        raise _bad_key()
    key, user = row
    if not keymod.key_matches(raw_key, key.key_hash) or key.revoked_at is not None:
        raise _bad_key()
    if not user.active:
        raise AccessError(
            403, "inactive", "账户已停用，请联系管理员 / the account is disabled; ask an admin"
        )
    return user, key


def key_touch_due(key: ApiKey, now: datetime) -> bool:
    """Whether ``last_used_at`` is old enough to be written again."""
    return key.last_used_at is None or (now - key.last_used_at).total_seconds() >= KEY_TOUCH_SECONDS


def touch_key(db: Session, key_id: int, now: datetime) -> None:
    """Record that a key was used (``last_used_at``)."""
    db.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
