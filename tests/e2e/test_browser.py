"""The web UI in a real browser (Debian's chromium through Playwright) against a live server.

Covers: sign-in (and where it sends you), a streamed answer with its chart and verified badge,
a follow-up, a citation into the explorer, CSV and DOCX downloads, an editor resolving a flag,
API keys, role gating, the phone layout and the language switch.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROMIUM, PHONE, open_page, screenshot_path, sign_in

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"browser tests need chromium at {CHROMIUM} (Debian package 'chromium'); "
    "set STEELSAGE_CHROMIUM to use another binary",
)
expect = pytest.importorskip("playwright.sync_api").expect

TREND_QUESTION = "上海螺纹钢最近一个月走势"


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, and return the finished answer bubble."""
    before = page.get_by_test_id("answer").count()
    page.get_by_test_id("chat-input").fill(question)
    page.get_by_test_id("chat-input").press("Enter")
    answer = page.get_by_test_id("answer").nth(before)
    expect(answer.locator(".answer-text:not(.streaming)")).to_be_visible()
    return answer


def settle(page: Any) -> None:
    """Wait until the page has no API request in flight (and has re-rendered)."""
    page.wait_for_selector("html:not([data-pending])", state="attached")


def no_horizontal_overflow(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sign_in_redirects_and_rejects_a_wrong_password(new_page, people) -> None:
    page = new_page()
    open_page(page, "/explorer?series=rebar.shanghai")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fexplorer%3Fseries%3Drebar\.shanghai$"))
    page.get_by_test_id("login-username").fill(people["analyst"].username)
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
    page.screenshot(path=str(screenshot_path("login-error")))

    page.get_by_test_id("login-password").fill(people["analyst"].password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-name")).to_contain_text("Ann")
    page.wait_for_selector("body[data-ready]", state="attached")
    assert "/explorer?series=rebar.shanghai" in page.url  # back where the user was headed
    expect(
        page.locator("[data-testid=selected-series][data-code='rebar.shanghai']")
    ).to_be_visible()
    expect(page.get_by_test_id("nav-ops")).to_have_count(0)  # analysts see no ops console
    page.get_by_test_id("series-search").fill("热卷")  # HRC: outside the analyst's package
    expect(page.get_by_test_id("search-result").first).to_be_visible()
    expect(page.locator("[data-testid=search-result][data-code^='hrc.']")).to_have_count(0)

    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login")
    page.goto("/")
    expect(page.get_by_test_id("login-form")).to_be_visible()


def test_chat_streams_an_answer_with_chart_badge_and_follow_up(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["admin"])
    answer = ask(page, TREND_QUESTION)
    expect(answer.get_by_test_id("verified-badge")).to_be_visible()
    expect(answer.get_by_test_id("answer-chart").locator("canvas")).to_be_visible()
    expect(answer.get_by_test_id("citation").first).to_have_text("rebar.shanghai")
    assert int(answer.get_attribute("data-deltas") or 0) > 3  # read as a stream of pieces
    page.screenshot(path=str(screenshot_path("chat-answer-desktop")), full_page=True)

    follow_up = ask(page, "那北京呢")
    expect(follow_up.get_by_test_id("citation").first).to_have_text("rebar.beijing")

    with page.expect_download() as download:
        page.get_by_test_id("export-conversation").click()
    docx = download.value
    assert docx.suggested_filename.endswith(".docx")
    with zipfile.ZipFile(io.BytesIO(Path(docx.path()).read_bytes())) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert TREND_QUESTION in body and "rebar.beijing" in body


def test_citation_opens_the_explorer_and_downloads_csv(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["editor"])
    answer = ask(page, TREND_QUESTION)
    answer.get_by_test_id("citation").first.click()
    page.wait_for_url("**/explorer?series=rebar.shanghai*")
    page.wait_for_selector("body[data-ready]", state="attached")
    expect(
        page.locator("[data-testid=selected-series][data-code='rebar.shanghai']")
    ).to_be_visible()
    expect(page.get_by_test_id("explorer-chart").locator("canvas")).to_be_visible()

    # Compare with a second series and plot the spread.
    page.get_by_test_id("series-search").fill("hrc")
    page.locator("[data-testid=add-series][data-code='hrc.shanghai']").click()
    expect(page.get_by_test_id("selected-series")).to_have_count(2)
    page.get_by_test_id("spread-toggle").check()
    expect(page.get_by_test_id("spread-chart").locator("canvas")).to_be_visible()
    assert "series=rebar.shanghai,hrc.shanghai" in page.url and "spread=1" in page.url
    page.screenshot(path=str(screenshot_path("explorer-compare-spread")), full_page=True)

    with page.expect_download() as download:
        page.locator("[data-testid=download-csv][data-code='rebar.shanghai']").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename.endswith(".csv")
    header, first_row = csv.splitlines()[:2]
    assert "date" in header and "value" in header
    assert first_row.startswith("20")

    # Back in the chat, the conversation is still there.
    page.go_back()
    expect(page.get_by_test_id("answer")).to_have_count(1)


def test_editor_accepts_and_rejects_flags_with_a_reason(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["editor"])
    open_page(page, "/ops")
    page.get_by_test_id("tab-flags").click()
    first = page.get_by_test_id("flag-row").first
    expect(first).to_be_visible()
    flag_id = first.get_attribute("data-flag-id")

    first.get_by_test_id("flag-accept").click()  # no reason: refused in the page
    expect(page.get_by_test_id("toast")).to_be_visible()
    expect(page.locator(f"[data-flag-id='{flag_id}']")).to_be_visible()

    first.get_by_test_id("flag-why").fill("与报价方电话核实，价格属实")
    first.get_by_test_id("flag-accept").click()
    expect(page.locator(f"[data-flag-id='{flag_id}']")).to_have_count(0)  # no longer open

    second = page.get_by_test_id("flag-row").first
    second_id = second.get_attribute("data-flag-id")
    second.get_by_test_id("flag-why").fill("typo by the source")
    second.get_by_test_id("flag-reject").click()
    expect(page.locator(f"[data-flag-id='{second_id}']")).to_have_count(0)

    page.get_by_test_id("flags-status").select_option("all")
    expect(page.locator(f"[data-flag-id='{flag_id}'] [data-testid=flag-status]")).to_have_text(
        "已采纳"
    )
    expect(page.locator(f"[data-flag-id='{second_id}'] [data-testid=flag-status]")).to_have_text(
        "已剔除"
    )
    page.get_by_test_id("tab-monitor").click()
    expect(page.get_by_test_id("monitor").locator("table").first).to_be_visible()
    page.screenshot(path=str(screenshot_path("ops-monitor")), full_page=True)


def test_api_key_is_shown_once_and_can_be_revoked(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["analyst"])
    open_page(page, "/keys")
    page.get_by_test_id("key-name").fill("e2e script")
    page.get_by_test_id("key-create").click()
    expect(page.get_by_test_id("new-key")).to_have_value(re.compile(r"^ssk_[0-9a-f]{12}_\S+$"))
    expect(page.get_by_test_id("key-row")).to_have_count(1)
    row = page.get_by_test_id("key-row").last
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("revoke-key").click()
    expect(page.get_by_test_id("revoke-key")).to_have_count(0)


def test_pages_need_the_right_role(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["analyst"])
    response = open_page(page, "/ops")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    response = open_page(page, "/admin")
    assert response is not None and response.status == 403


def test_phone_layout(new_page, people) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, people["admin"])
    ask(page, TREND_QUESTION)
    box = page.get_by_test_id("chat-input").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshot_path("phone-chat")))

    expect(page.get_by_test_id("nav-explorer")).to_be_hidden()  # behind the menu button
    page.get_by_test_id("nav-toggle").click()
    page.get_by_test_id("nav-explorer").click()
    page.wait_for_url("**/explorer")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.get_by_test_id("series-search").fill("螺纹")
    page.locator("[data-testid=add-series][data-code='rebar.guangzhou']").click()
    expect(page.get_by_test_id("explorer-chart").locator("canvas")).to_be_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshot_path("phone-explorer")), full_page=True)

    open_page(page, "/ops#flags")
    expect(page.get_by_test_id("flag-row").first).to_be_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshot_path("phone-ops-flags")))


def test_language_switch(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["admin"])
    expect(page.get_by_test_id("nav-chat")).to_have_text("问答")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_test_id("nav-chat")).to_have_text("Ask")
    expect(page.get_by_test_id("chat-send")).to_have_text("Send")
    assert page.evaluate("document.documentElement.lang") == "en"
    open_page(page, "/explorer")  # the choice is remembered
    expect(page.get_by_test_id("nav-explorer")).to_have_text("Explorer")
    page.screenshot(path=str(screenshot_path("explorer-english")))
    open_page(page, "/explorer?lang=zh")
    expect(page.get_by_test_id("nav-explorer")).to_have_text("数据浏览")


def test_admin_creates_a_user_changes_role_grants_and_deactivates(new_page, people) -> None:
    page = new_page()
    sign_in(page, people["admin"])
    open_page(page, "/admin")
    page.get_by_test_id("new-username").fill("newbie")
    page.get_by_test_id("new-password").fill("a-long-enough-password")
    page.get_by_test_id("new-role").select_option("subscriber")
    page.get_by_test_id("create-user").click()
    row = page.locator("[data-testid=user-row][data-username='newbie']")
    expect(row).to_be_visible()

    row.get_by_test_id("user-role").select_option("analyst")
    settle(page)
    row.get_by_test_id("grant-select").select_option("rebar_basic")
    row.get_by_test_id("grant-package").click()
    settle(page)
    expect(row.locator("[data-testid=user-package][data-package='rebar_basic']")).to_be_visible()
    expect(row.get_by_test_id("user-role")).to_have_value("analyst")
    row.get_by_test_id("deactivate-user").click()
    expect(row.get_by_test_id("activate-user")).to_be_visible()
    page.screenshot(path=str(screenshot_path("admin-users")), full_page=True)
