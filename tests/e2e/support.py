"""Helpers for the browser tests: a small demo site (database, users) and a live server.

Also usable by hand to look at the UI::

    .venv/bin/python -m tests.e2e.support /tmp/site.db 8765
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from steelsage.demo.build import build_demo
from steelsage.demo.market import DemoConfig
from steelsage.store import get_engine, session_scope

SITE_SERIES = [
    "rebar.shanghai",
    "rebar.beijing",
    "rebar.guangzhou",
    "hrc.shanghai",
    "iron_ore_62.cfr_china",
]
SITE_DEMO = DemoConfig(years=0.6, series=SITE_SERIES, reports_per_day=(6, 12))
PASSWORD = "e2e-password-123"
ANALYST_PACKAGE = "rebar_basic"  # the analyst sees rebar assessments only


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    password: str = PASSWORD


PEOPLE = {
    "admin": Person("ada", "admin"),
    "editor": Person("eddie", "editor"),
    "analyst": Person("ann", "analyst"),
}


def build_site_db(path: Path) -> None:
    """A small demo market (with open flags), one user per role, and the analyst's package."""
    from steelsage.server.auth import service

    engine = get_engine(f"sqlite:///{path.as_posix()}")
    try:
        build_demo(engine, SITE_DEMO, with_worldbank=False)
        with session_scope(engine) as db:
            service.define_package(
                db,
                ANALYST_PACKAGE,
                products=["rebar"],
                kinds=["assessment"],
                description="rebar assessments",
            )
            for person in PEOPLE.values():
                service.add_user(
                    db,
                    person.username,
                    role=person.role,
                    password=person.password,
                    display_name=person.username.title(),
                )
            service.grant(db, PEOPLE["analyst"].username, ANALYST_PACKAGE, by="e2e")
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn in a background thread, serving ``create_app`` over ``engine``."""

    def __init__(self, engine: Engine, port: int | None = None) -> None:
        import uvicorn

        from steelsage.server.app import create_app
        from steelsage.server.settings import ServerSettings

        settings = ServerSettings(  # type: ignore[call-arg]
            _env_file=None,
            env="dev",
            redis_url=None,
            rate_limit="100000/minute",
            login_rate_limit="1000/minute",
        )
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(settings, engine=engine)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 20.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


if __name__ == "__main__":  # pragma: no cover - manual use
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/steelsage-site.db")
    if not target.exists():
        started = time.perf_counter()
        build_site_db(target)
        print(f"built {target} in {time.perf_counter() - started:.1f} s")
    live = LiveServer(
        get_engine(f"sqlite:///{target.as_posix()}"),
        int(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
    live.start()
    logins = ", ".join(f"{p.username}/{p.password}" for p in PEOPLE.values())
    print(f"serving {live.url}  users: {logins}")
    try:
        live.thread.join()
    except KeyboardInterrupt:
        live.stop()
