"""Demo sign-ins for the web UI: one user per role, two packages, printed by ``make demo``.

For the demo database only: the passwords are public. ``steelsage demo accounts`` refuses
to run when ``STEELSAGE_ENV=production``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from steelsage.store import session_scope


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    packages: tuple[str, ...] = ()


PACKAGES = {
    "steel_long": {
        "commodities": ["steel_long"],
        "description": "长材（螺纹、线材、盘螺）全部历史 / long products, full history",
    },
    "free_delayed": {
        "products": ["rebar", "hrc"],
        "kinds": ["assessment"],
        "history_days": 90,
        "delay_days": 1,
        "description": "免费版：螺纹、热卷，近 90 天，延迟 1 天 / free tier: rebar and HRC, "
        "90 days of history, one day late",
    },
}
ACCOUNTS = [
    DemoAccount("admin", "demo-admin-2026", "admin"),
    DemoAccount("editor", "demo-editor-2026", "editor"),
    DemoAccount("analyst", "demo-analyst-2026", "analyst", ("steel_long",)),
    DemoAccount("subscriber", "demo-subscriber-2026", "subscriber", ("free_delayed",)),
]


def create_demo_accounts(engine: Engine) -> list[DemoAccount]:
    """Create (or reset) the demo packages and accounts; idempotent."""
    from steelsage.server.auth import service
    from steelsage.store.access_models import User

    with session_scope(engine) as db:
        for name, spec in PACKAGES.items():
            service.define_package(db, name, **spec)  # type: ignore[arg-type]
        for account in ACCOUNTS:
            exists = db.execute(select(User.id).where(User.username == account.username)).first()
            if exists:
                service.set_password(db, account.username, account.password)
                service.set_role(db, account.username, account.role)
            else:
                service.add_user(db, account.username, role=account.role, password=account.password)
            for package in account.packages:
                service.grant(db, account.username, package, by="demo")
    return ACCOUNTS
