"""``steelsage users``, ``steelsage keys`` and ``steelsage packages``: access control from
the shell (the same operations as the admin API, through :mod:`steelsage.server.auth.service`).

A running server sees changes made here within its credential cache time
(``STEELSAGE_AUTH_CACHE_SECONDS``, 5 s by default).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="机器可读的 JSON 输出 / JSON output")]
ROLE_HELP = "角色 admin|editor|analyst|subscriber / role"


def _fail(message: str) -> None:
    err_console.print(f"[red]错误 / error:[/red] {message}")
    raise typer.Exit(1)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _dump(model: Any) -> Any:
    if isinstance(model, list):
        return [_dump(m) for m in model]
    return model.model_dump(mode="json")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            _fail("标准输入中没有密码 / no password on standard input")
        return line
    if not sys.stdin.isatty():
        _fail(
            "没有终端可输入密码：请用 --password-stdin 从标准输入读取，或用 --no-password 只用"
            "API 密钥 / no terminal to type a password: pass --password-stdin (and pipe it in) "
            "or --no-password for an API-key-only account"
        )
    return typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


def register(app: typer.Typer, engine_factory: Callable[..., Any]) -> None:
    """Add the ``users``, ``keys`` and ``packages`` groups to ``app``."""
    users_app = typer.Typer(help="用户与角色 / users, roles and grants", no_args_is_help=True)
    keys_app = typer.Typer(help="API 密钥 / API keys", no_args_is_help=True)
    packages_app = typer.Typer(
        help="权限套餐 / entitlement packages (which series a user may read)",
        no_args_is_help=True,
    )
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")
    app.add_typer(packages_app, name="packages")

    @contextmanager
    def db() -> Iterator[Session]:
        from steelsage.server.auth.service import AccessError
        from steelsage.store import session_scope

        try:
            with session_scope(engine_factory()) as session:
                yield session
        except AccessError as exc:
            _fail(exc.message)

    def show_user(user: Any, as_json: bool, verb: str) -> None:
        if as_json:
            _print_json(_dump(user))
            return
        packages = ", ".join(user.packages) or "-"
        console.print(
            f"{verb}: {user.username} ({user.role}{'' if user.active else ', disabled'}) "
            f"packages: {packages}"
        )

    # ------------------------------------------------------------------ users

    @users_app.command("add")
    def users_add(
        username: Annotated[str, typer.Argument(help="用户名 / username")],
        role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "analyst",
        display_name: Annotated[
            str | None, typer.Option("--display-name", help="显示名 / display name")
        ] = None,
        password_stdin: Annotated[
            bool,
            typer.Option(
                "--password-stdin", help="从标准输入读取密码 / read the password from stdin"
            ),
        ] = False,
        no_password: Annotated[
            bool,
            typer.Option("--no-password", help="不设密码，只用 API 密钥 / API keys only"),
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """新增用户 / add a user (asks for the password unless --password-stdin/--no-password)."""
        from steelsage.server.auth import service

        password = None if no_password else _read_password(password_stdin)
        with db() as session:
            user = service.add_user(
                session, username, role=role, password=password, display_name=display_name
            )
        show_user(user, as_json, "已添加 / added")

    @users_app.command("list")
    def users_list(as_json: JsonOpt = False) -> None:
        """列出用户 / list users with their roles and packages."""
        from steelsage.server.auth import service

        with db() as session:
            users = service.list_users(session)
        if as_json:
            _print_json(_dump(users))
            return
        table = Table("username", "name", "role", "active", "locked", "packages", "last login")
        for u in users:
            table.add_row(
                u.username,
                u.display_name,
                u.role,
                "yes" if u.active else "no",
                "yes" if u.locked else "",
                ", ".join(u.packages),
                str(u.last_login_at or ""),
            )
        console.print(table)

    @users_app.command("grant")
    def users_grant(
        username: Annotated[str, typer.Argument(help="用户名 / username")],
        package: Annotated[str, typer.Argument(help="套餐名 / package name")],
        as_json: JsonOpt = False,
    ) -> None:
        """授予套餐 / grant a package to a user."""
        from steelsage.server.auth import service

        with db() as session:
            user = service.grant(session, username, package, by="cli")
        show_user(user, as_json, "已授予 / granted")

    @users_app.command("revoke")
    def users_revoke(
        username: Annotated[str, typer.Argument(help="用户名 / username")],
        package: Annotated[str, typer.Argument(help="套餐名 / package name")],
        as_json: JsonOpt = False,
    ) -> None:
        """收回套餐 / revoke a package from a user."""
        from steelsage.server.auth import service

        with db() as session:
            user = service.revoke(session, username, package)
        show_user(user, as_json, "已收回 / revoked")

    @users_app.command("set-role")
    def users_set_role(
        username: Annotated[str, typer.Argument(help="用户名 / username")],
        role: Annotated[str, typer.Argument(help=ROLE_HELP)],
        as_json: JsonOpt = False,
    ) -> None:
        """修改角色 / change a user's role."""
        from steelsage.server.auth import service

        with db() as session:
            user = service.set_role(session, username, role)
        show_user(user, as_json, "已更新 / updated")

    @users_app.command("passwd")
    def users_passwd(
        username: Annotated[str, typer.Argument(help="用户名 / username")],
        password_stdin: Annotated[
            bool,
            typer.Option(
                "--password-stdin", help="从标准输入读取密码 / read the password from stdin"
            ),
        ] = False,
    ) -> None:
        """重设密码（并解除锁定、结束其网页会话）/ set a new password (unlocks, signs out)."""
        from steelsage.server.auth import service

        password = _read_password(password_stdin)
        with db() as session:
            user = service.set_password(session, username, password)
        console.print(f"已重设密码 / password set: {user.username}")

    @users_app.command("disable")
    def users_disable(username: Annotated[str, typer.Argument(help="用户名 / username")]) -> None:
        """停用账户（密钥与会话随之失效）/ disable an account (its keys and sessions stop)."""
        from steelsage.server.auth import service

        with db() as session:
            service.set_active(session, username, False)
        console.print(f"已停用 / disabled: {username}")

    @users_app.command("enable")
    def users_enable(username: Annotated[str, typer.Argument(help="用户名 / username")]) -> None:
        """启用账户并解除锁定 / enable an account and clear any lockout."""
        from steelsage.server.auth import service

        with db() as session:
            service.set_active(session, username, True)
        console.print(f"已启用 / enabled: {username}")

    # ------------------------------------------------------------------ keys

    @keys_app.command("create")
    def keys_create(
        name: Annotated[str, typer.Argument(help="密钥名称 / a name for the key")],
        user: Annotated[str, typer.Option("--user", help="所属用户 / owner's username")],
        as_json: JsonOpt = False,
    ) -> None:
        """新建 API 密钥（只显示这一次）/ create an API key (shown this once only)."""
        from steelsage.server.auth import service

        with db() as session:
            new = service.create_key(session, user, name)
        if as_json:
            _print_json(_dump(new))
        else:
            sys.stdout.write(new.key + "\n")
        err_console.print(
            f"密钥 #{new.id}（前缀 {new.prefix}）只显示这一次，请妥善保存 / key #{new.id} "
            f"(prefix {new.prefix}) is shown this once only: store it now"
        )

    @keys_app.command("revoke")
    def keys_revoke(
        key: Annotated[str, typer.Argument(help="密钥编号或前缀 / key id or prefix")],
        as_json: JsonOpt = False,
    ) -> None:
        """撤销 API 密钥 / revoke an API key (by id, prefix or the key itself)."""
        from steelsage.server.auth import service

        with db() as session:
            info = service.revoke_key(session, key)
        if as_json:
            _print_json(_dump(info))
        else:
            console.print(f"已撤销 / revoked: #{info.id} {info.prefix} ({info.username})")

    @keys_app.command("list")
    def keys_list(
        user: Annotated[
            str | None, typer.Option("--user", help="只看此用户 / only this user's keys")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """列出 API 密钥（不含密钥本身）/ list API keys (never the secrets)."""
        from steelsage.server.auth import service

        with db() as session:
            keys = service.list_keys(session, user)
        if as_json:
            _print_json(_dump(keys))
            return
        table = Table("id", "user", "name", "prefix", "created", "last used", "revoked")
        for k in keys:
            table.add_row(
                str(k.id),
                k.username,
                k.name,
                k.prefix,
                str(k.created_at)[:19],
                str(k.last_used_at or "")[:19],
                str(k.revoked_at or "")[:19],
            )
        console.print(table)

    # ------------------------------------------------------------------ packages

    @packages_app.command("define")
    def packages_define(
        name: Annotated[str, typer.Argument(help="套餐名 / package name")],
        commodity: Annotated[
            list[str] | None, typer.Option("--commodity", help="品种 / commodity (repeatable)")
        ] = None,
        product: Annotated[
            list[str] | None, typer.Option("--product", help="产品 / product (repeatable)")
        ] = None,
        region: Annotated[
            list[str] | None, typer.Option("--region", help="地区 / region (repeatable)")
        ] = None,
        kind: Annotated[
            list[str] | None,
            typer.Option("--kind", help="assessment|indicator|index|external (repeatable)"),
        ] = None,
        series: Annotated[
            list[str] | None, typer.Option("--series", help="指定序列 / series code (repeatable)")
        ] = None,
        history_days: Annotated[
            int | None,
            typer.Option("--history-days", min=0, help="可看历史天数 / days of history"),
        ] = None,
        delay_days: Annotated[
            int, typer.Option("--delay-days", min=0, help="延迟天数 / publication delay in days")
        ] = 0,
        description: Annotated[
            str | None, typer.Option("--description", help="说明 / description")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """定义（新建或替换）套餐 / define (create or replace) a package."""
        from steelsage.server.auth import service

        with db() as session:
            package = service.define_package(
                session,
                name,
                commodities=commodity,
                products=product,
                regions=region,
                kinds=kind,
                series=series,
                history_days=history_days,
                delay_days=delay_days,
                description=description,
            )
        if as_json:
            _print_json(_dump(package))
        else:
            console.print(f"已定义 / defined: {_describe(package)}")

    @packages_app.command("list")
    def packages_list(as_json: JsonOpt = False) -> None:
        """列出套餐 / list packages."""
        from steelsage.server.auth import service

        with db() as session:
            packages = service.list_packages(session)
        if as_json:
            _print_json(_dump(packages))
            return
        for package in packages:
            console.print(_describe(package))


def _describe(package: Any) -> str:
    parts = [
        f"{label}={','.join(values)}"
        for label, values in (
            ("commodity", package.commodities),
            ("product", package.products),
            ("region", package.regions),
            ("kind", package.kinds),
            ("series", package.series),
        )
        if values
    ]
    history = "all" if package.history_days is None else f"{package.history_days}d"
    parts.append(f"history={history} delay={package.delay_days}d")
    return f"{package.name}: " + " ".join(parts)
