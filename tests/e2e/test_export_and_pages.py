"""The DOCX export and the page routes over HTTP (no browser needed).

Uses a private copy of the demo site's database so it never races the live server.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from steelsage.server.routes.export import ExportTurn, build_docx, safe_filename
from steelsage.server.routes.pages import safe_next
from steelsage.store import get_engine

from .support import PEOPLE

API = "/api/v1"

ANSWER: dict[str, Any] = {
    "text": "上海螺纹钢 2026-11-26 为 3,530元/吨。来源：`rebar.shanghai`（第1版）。\x07",
    "language": "zh",
    "kind": "data",
    "values": [
        {
            "label": "rebar.shanghai:price",
            "value": 3530.0,
            "unit": "CNY_T_VAT",
            "kind": "price",
            "series_code": "rebar.shanghai",
            "date": "2026-11-26",
            "decimals": 0,
        }
    ],
    "sources": [
        {
            "series_code": "rebar.shanghai",
            "name": "上海 螺纹钢 HRB400E Φ20mm",
            "unit": "CNY_T_VAT",
            "start": "2026-11-26",
            "end": "2026-11-26",
            "method": "weighted_median",
            "version": 1,
        }
    ],
    "chart": {"series": []},
    "trace": [{"step": "tool", "name": "get_price"}],
    "verified": True,
}


def document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def test_docx_has_question_answer_values_sources_and_a_chinese_font() -> None:
    turn = ExportTurn.model_validate({"question": "今天上海螺纹钢多少钱？", "answer": ANSWER})
    data = build_docx([turn], title="螺纹钢日报", lang="zh")
    body = document_xml(data)
    for text in ("螺纹钢日报", "今天上海螺纹钢多少钱？", "3,530", "rebar.shanghai", "已核验"):
        assert text in body
    assert "上海 螺纹钢 HRB400E Φ20mm 价格" in body  # value labelled by its source's name
    assert "元/吨（含税）" in body  # unit code shown as people read it
    assert "\x07" not in body
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("word/styles.xml").decode("utf-8")
    assert 'w:eastAsia="SimSun"' in styles


@pytest.mark.parametrize(
    ("title", "expected_stem"),
    [
        ("../../etc/passwd", "steelsage-etc-passwd-"),
        ('螺纹"; rm -rf', "steelsage-rm-rf-"),
        ("", ""),
    ],
)
def test_export_file_names_are_safe_ascii(title: str, expected_stem: str) -> None:
    name = safe_filename(title)
    assert name.isascii() and name.endswith(".docx")
    assert "/" not in name and '"' not in name and ".." not in name
    assert name.startswith(expected_stem or "steelsage-")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/explorer?series=a", "/explorer?series=a"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/login?next=/", "/"),
        (None, "/"),
    ],
)
def test_sign_in_only_returns_to_this_site(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


@pytest.fixture
def client(site_db_file: Path, tmp_path: Path) -> Iterator[TestClient]:
    from steelsage.server.app import create_app
    from steelsage.server.settings import ServerSettings

    copy = tmp_path / "site-copy.db"
    source, target = sqlite3.connect(site_db_file), sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()
    engine = get_engine(f"sqlite:///{copy.as_posix()}")
    settings = ServerSettings(_env_file=None, env="dev", redis_url=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings, engine=engine), follow_redirects=False) as test_client:
        yield test_client
    engine.dispose()


def sign_in(client: TestClient, role: str) -> dict[str, str]:
    person = PEOPLE[role]
    reply = client.post(
        f"{API}/auth/login", json={"username": person.username, "password": person.password}
    )
    assert reply.status_code == 200, reply.text
    return {"X-CSRF-Token": reply.json()["csrf_token"]}


def test_export_endpoint(client: TestClient) -> None:
    turn = {"question": "今天上海螺纹钢多少钱？", "answer": ANSWER}
    body = {"title": "Daily 日报", "turns": [turn]}
    assert client.post(f"{API}/export/docx", json=body).status_code == 401
    headers = sign_in(client, "analyst")
    assert client.post(f"{API}/export/docx", json=body).status_code == 403  # no CSRF token

    reply = client.post(f"{API}/export/docx", json=body, headers=headers)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="steelsage-Daily-')
    assert disposition.isascii()
    assert "今天上海螺纹钢多少钱？" in document_xml(reply.content)

    too_many = {"turns": [{"question": "q", "answer": ANSWER}] * 51}
    assert client.post(f"{API}/export/docx", json=too_many, headers=headers).status_code == 422
    too_long = {"turns": [{"question": "q" * 2001, "answer": ANSWER}]}
    assert client.post(f"{API}/export/docx", json=too_long, headers=headers).status_code == 422
    assert client.post(f"{API}/export/docx", json={"turns": []}, headers=headers).status_code == 422


def test_pages_redirect_render_and_gate_by_role(client: TestClient) -> None:
    reply = client.get("/explorer?series=rebar.shanghai")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2Fexplorer%3Fseries%3Drebar.shanghai"

    login = client.get("/login?next=//evil.example")
    assert login.status_code == 200
    assert 'data-next="/"' in login.text
    assert "default-src 'self'" in login.headers["content-security-policy"]

    sign_in(client, "analyst")
    for path in ("/", "/explorer", "/keys"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<script type="application/json" id="boot">' in page.text
        assert 'href="/ops"' not in page.text  # no ops link for an analyst
    assert client.get("/ops").status_code == 403
    assert client.get("/admin").status_code == 403
    assert client.get("/login").headers["location"] == "/"  # signed in already

    sign_in(client, "editor")
    assert client.get("/ops").status_code == 200
    assert client.get("/admin").status_code == 403


def test_static_files_are_local_and_contained(client: TestClient) -> None:
    echarts = client.get("/static/vendor/echarts.min.js")
    assert echarts.status_code == 200 and len(echarts.content) > 500_000
    assert client.get("/static/js/pages/chat.js").headers["cache-control"] == "no-cache"
    assert client.get("/static/../routes/pages.py").status_code == 404
    assert client.get("/static/%2e%2e/routes/pages.py").status_code == 404
    sign_in(client, "admin")
    page = client.get("/").text
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere
