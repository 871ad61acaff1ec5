"""Admin API: users, roles, packages and grants (role admin only).

Changes take effect at once in this process (the credential cache is cleared) and within
``auth_cache_seconds`` in other workers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from steelsage.server.auth import service
from steelsage.server.auth.runtime import AuthRuntime
from steelsage.server.auth.service import PackageInfo, UserInfo
from steelsage.server.deps import AdminUser, get_runtime
from steelsage.server.errors import ApiError
from steelsage.server.routes.auth import db_session

router = APIRouter(prefix="/admin", tags=["admin"])

Runtime = Annotated[AuthRuntime, Depends(get_runtime)]
RoleName = Literal["admin", "editor", "analyst", "subscriber"]
Username = Annotated[str, Path(min_length=1, max_length=80)]
PackageName = Annotated[str, Path(min_length=1, max_length=80)]
_Names = Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=500)]


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=80)
    password: str | None = Field(default=None, max_length=1024)
    role: RoleName = "analyst"
    display_name: str | None = Field(default=None, max_length=200)


class UserPatch(BaseModel):
    role: RoleName | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


class PackageBody(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=2000)
    commodities: _Names = []
    products: _Names = []
    regions: _Names = []
    kinds: _Names = []
    series: _Names = []
    history_days: int | None = Field(default=None, ge=0, le=36_500)
    delay_days: int = Field(default=0, ge=0, le=3_650)


class GrantBody(BaseModel):
    package: str = Field(min_length=1, max_length=80)


class UserOut(BaseModel):
    user: UserInfo


class UsersOut(BaseModel):
    users: list[UserInfo]


class PackageOut(BaseModel):
    package: PackageInfo


class PackagesOut(BaseModel):
    packages: list[PackageInfo]


@router.get("/users", response_model=UsersOut, summary="All users with roles and packages")
def list_users(runtime: Runtime, admin: AdminUser) -> dict[str, Any]:
    with db_session(runtime) as db:
        return {"users": service.list_users(db)}


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a user")
def add_user(body: NewUser, runtime: Runtime, admin: AdminUser) -> dict[str, Any]:
    with db_session(runtime) as db:
        user = service.add_user(
            db,
            body.username,
            role=body.role,
            password=body.password,
            display_name=body.display_name,
        )
    return {"user": user}


@router.patch(
    "/users/{username}", response_model=UserOut, summary="Change role, active flag or password"
)
def patch_user(
    username: Username, body: UserPatch, runtime: Runtime, admin: AdminUser
) -> dict[str, Any]:
    if username == admin.username and (
        (body.role is not None and body.role != "admin") or body.active is False
    ):
        raise ApiError(
            409,
            "self_lockout",
            "不能降级或停用自己的管理员账户，请让另一位管理员操作 / you cannot demote or "
            "disable your own admin account; ask another admin",
        )
    with db_session(runtime) as db:
        user = service.user_info(db, username)
        if body.role is not None:
            user = service.set_role(db, username, body.role)
        if body.active is not None:
            user = service.set_active(db, username, body.active)
        if body.password is not None:
            user = service.set_password(db, username, body.password)
    runtime.cache.clear()
    return {"user": user}


@router.get("/packages", response_model=PackagesOut, summary="Entitlement packages")
def list_packages(runtime: Runtime, admin: AdminUser) -> dict[str, Any]:
    with db_session(runtime) as db:
        return {"packages": service.list_packages(db)}


@router.post(
    "/packages",
    response_model=PackageOut,
    status_code=201,
    summary="Define (create or replace) a package",
)
def define_package(body: PackageBody, runtime: Runtime, admin: AdminUser) -> dict[str, Any]:
    with db_session(runtime) as db:
        package = service.define_package(
            db,
            body.name,
            commodities=body.commodities,
            products=body.products,
            regions=body.regions,
            kinds=body.kinds,
            series=body.series,
            history_days=body.history_days,
            delay_days=body.delay_days,
            description=body.description,
        )
    runtime.cache.clear()
    return {"package": package}


@router.post(
    "/users/{username}/packages", response_model=UserOut, summary="Grant a package to a user"
)
def grant(
    username: Username, body: GrantBody, runtime: Runtime, admin: AdminUser
) -> dict[str, Any]:
    with db_session(runtime) as db:
        user = service.grant(db, username, body.package, by=admin.username)
    runtime.cache.clear()
    return {"user": user}


@router.delete(
    "/users/{username}/packages/{package}",
    response_model=UserOut,
    summary="Revoke a package from a user",
)
def revoke(
    username: Username, package: PackageName, runtime: Runtime, admin: AdminUser
) -> dict[str, Any]:
    with db_session(runtime) as db:
        user = service.revoke(db, username, package)
    runtime.cache.clear()
    return {"user": user}
