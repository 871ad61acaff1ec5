"""Fixtures for the browser tests: one small demo site and one live server per test worker,
Debian's chromium driven by Playwright, a fresh browser context per test.

Screenshots go to ``test-artifacts/screenshots/`` (one per test, plus ``FAILED-…`` when a test
fails). Never run ``playwright install``: the tests use ``/usr/bin/chromium``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine

from steelsage.store import get_engine

from .support import PEOPLE, LiveServer, Person, build_site_db

CHROMIUM = Path(os.environ.get("STEELSAGE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Remember each phase's outcome on the item so fixtures can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def site_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo site's database file, built once per test worker (about 4 s)."""
    path = tmp_path_factory.mktemp("e2e-site") / "site.db"
    build_site_db(path)
    return path


@pytest.fixture(scope="session")
def site_engine(site_db_file: Path) -> Iterator[Engine]:
    """The live server's database (the browser tests change it: flags, keys)."""
    engine = get_engine(f"sqlite:///{site_db_file.as_posix()}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(site_engine: Engine) -> Iterator[LiveServer]:
    server = LiveServer(site_engine).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Module scope on purpose: while Playwright's sync API
    runs, the thread has a running asyncio loop, and other tests' ``asyncio.run`` fails."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``new_page(viewport=PHONE)``: a page in a fresh context (own cookies and storage).
    Each page is screenshotted if the test fails."""
    for stale in SCREENSHOTS.glob(f"FAILED-{request.node.name}-*.png"):
        stale.unlink()
    contexts: list[Any] = []
    pages: list[Any] = []
    errors: list[str] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        context = browser.new_context(
            viewport=viewport or DESKTOP,
            base_url=live_server.url,
            accept_downloads=True,
            locale="zh-CN",
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        pages.append(page)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, page in enumerate(pages):
            # The page may be gone; the failure itself is what matters.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(screenshot_path(f"FAILED-{request.node.name}-{i}")))
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120] + ".png")


def open_page(page: Any, path: str) -> Any:
    """Go to ``path`` and wait until its script has wired up the page."""
    response = page.goto(path)
    page.wait_for_selector("body[data-ready]", state="attached")
    return response


def sign_in(page: Any, person: Person, next_path: str = "/") -> None:
    """Sign in through the form and wait for the page the user was headed to."""
    open_page(page, f"/login?next={quote(next_path, safe='')}")
    page.get_by_test_id("login-username").fill(person.username)
    page.get_by_test_id("login-password").fill(person.password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("[data-testid=user-name]", state="attached")
    page.wait_for_selector("body[data-ready]", state="attached")


@pytest.fixture
def people() -> dict[str, Person]:
    return PEOPLE
