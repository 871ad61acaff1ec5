"""A subscriber can never obtain a number outside their package — through any path.

Paths: REST (catalog, series, observations in every format, assessments), ask, chat (SSE),
the OpenAI-compatible API, and text-to-SQL through a model (a scripted model that tries to
read HRC and then states the HRC price it "knows").
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.access import API
from support.openai_server import OpenAIServer, text, tool_call

from steelsage.assistant.llm.openai_backend import OpenAIBackend
from steelsage.assistant.llm.settings import LLMSettings
from steelsage.store import get_observations

HRC_QUESTIONS = [
    "今天上海热卷多少钱",
    "卷螺差",
    "哪个城市的热卷最便宜",
    "上海热卷和螺纹哪个贵",
    "HRC Shanghai YTD change",
]


@pytest.fixture
def rebar_fan(member, packages):  # type: ignore[no-untyped-def]
    return member("sub", role="subscriber", packages=(packages["rebar"],))


@pytest.fixture
def delayed_fan(member, packages):  # type: ignore[no-untyped-def]
    return member("free", role="subscriber", packages=(packages["delayed"],))


@pytest.fixture
def hrc_numbers(api_engine: Engine) -> set[str]:
    """Every HRC value as the answers would print it (3,650 and 3650)."""
    values = get_observations(api_engine, "hrc.shanghai")["value"].drop_nulls().to_list()
    rebar = set()
    for code in ("rebar.shanghai", "rebar.hangzhou", "rebar.beijing"):
        rebar |= set(get_observations(api_engine, code)["value"].drop_nulls().to_list())
    only_hrc = [v for v in values if v not in rebar]  # a rebar price may equal an HRC one
    return {f"{v:,.0f}" for v in only_hrc} | {f"{v:.0f}" for v in only_hrc}


def _no_hrc(payload: str, hrc_numbers: set[str]) -> None:
    assert "hrc.shanghai" not in payload
    leaked = [n for n in hrc_numbers if n in payload]
    assert not leaked, f"HRC figures in the reply: {leaked[:5]}"


def test_rest_paths(api: TestClient, rebar_fan, hrc_numbers: set[str]) -> None:  # type: ignore[no-untyped-def]
    h = rebar_fan.headers
    listing = api.get(f"{API}/series", params={"limit": 1000}, headers=h).json()
    assert {s["product"] for s in listing["series"] if s["kind"] == "assessment"} == {"rebar"}
    assert api.get(f"{API}/series/hrc.shanghai", headers=h).status_code == 403
    for fmt in ("json", "csv", "parquet", "xlsx"):
        r = api.get(f"{API}/series/hrc.shanghai/observations", params={"format": fmt}, headers=h)
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_entitled"
    body = api.get(f"{API}/assessments", headers=h).text
    _no_hrc(body, hrc_numbers)


@pytest.mark.parametrize("question", HRC_QUESTIONS)
def test_ask_chat_and_openai_paths(
    api: TestClient,
    rebar_fan,
    hrc_numbers: set[str],
    question: str,  # type: ignore[no-untyped-def]
) -> None:
    h = rebar_fan.headers
    ask = api.post(f"{API}/ask", json={"question": question}, headers=h)
    assert ask.status_code == 200
    _no_hrc(ask.text, hrc_numbers)
    chat = api.post(
        f"{API}/chat", json={"messages": [{"role": "user", "content": question}]}, headers=h
    )
    _no_hrc(chat.text, hrc_numbers)
    oa = api.post(
        "/v1/chat/completions",
        json={"model": "steelsage", "messages": [{"role": "user", "content": question}]},
        headers=h,
    )
    assert oa.status_code == 200
    _no_hrc(oa.text, hrc_numbers)


def test_delay_holds_on_every_path(api: TestClient, delayed_fan, api_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from steelsage.config import market_today

    cutoff = market_today() - timedelta(days=7)
    h = delayed_fan.headers
    obs = api.get(f"{API}/series/rebar.shanghai/observations", headers=h).json()["observations"]
    assert obs and max(o["date"] for o in obs) <= cutoff.isoformat()
    info = api.get(f"{API}/series/rebar.shanghai", headers=h).json()
    assert info["last"] <= cutoff.isoformat()
    answer = api.post(f"{API}/ask", json={"question": "今天上海螺纹多少钱"}, headers=h).json()
    assert all(v["date"] <= cutoff.isoformat() for v in answer["values"] if v["date"])
    newest = get_observations(api_engine, "rebar.shanghai", start=cutoff + timedelta(days=1))
    for value in newest["value"].drop_nulls().to_list():
        assert all(v["value"] != value or v["date"] <= cutoff.isoformat() for v in answer["values"])


@pytest.fixture
def model_app(api_app: FastAPI) -> tuple[FastAPI, OpenAIServer]:
    server = OpenAIServer().start()
    api_app.state.backend = OpenAIBackend(
        LLMSettings(
            _env_file=None,
            backend="openai",
            base_url=server.base_url,
            model=server.model,
            timeout_s=5.0,
            max_retries=0,
        )
    )
    yield api_app, server
    server.close()


def test_text_to_sql_and_model_cannot_leak(
    model_app,
    rebar_fan,
    hrc_numbers: set[str],
    api_engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    app, server = model_app
    hrc_latest = get_observations(api_engine, "hrc.shanghai")["value"].drop_nulls()[-1]
    attacks = [
        "SELECT series_code, date, value FROM v_observations WHERE series_code = 'hrc.shanghai'",
        "SELECT value FROM v_observations WHERE series_code LIKE 'hrc%' "
        "UNION SELECT value FROM v_observations",
        "WITH h AS (SELECT * FROM v_observations WHERE series_code = 'hrc.shanghai') "
        "SELECT max(value) FROM h",
        "SELECT code FROM v_series WHERE product = 'hrc'",
    ]
    server.push(
        *[tool_call("sql_query", {"sql": sql}) for sql in attacks],
        text(f"上海热卷最新价格为 {hrc_latest:,.0f} 元/吨。"),
    )
    with TestClient(app) as client:
        r = client.post(
            f"{API}/ask", json={"question": "上海热卷最新价格"}, headers=rebar_fan.headers
        )
    assert r.status_code == 200
    _no_hrc(r.text.replace("hrc.shanghai", ""), hrc_numbers)  # the SQL text in the trace names it
    body = r.json()
    assert not [v for v in body["values"] if (v["series_code"] or "").startswith("hrc")]
    tool_messages = [m for m in server.requests[-1]["messages"] if m["role"] == "tool"]
    for message in tool_messages:
        result = json.loads(message["content"])
        rows = result.get("data", {}).get("rows", [])
        assert all("hrc" not in json.dumps(row) for row in rows)
        assert not [n for n in hrc_numbers if n in json.dumps(rows)]
