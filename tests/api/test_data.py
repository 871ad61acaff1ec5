"""The data endpoints: catalog, series, observations in four formats, assessments, ask, chat."""

from __future__ import annotations

import io
import json
from datetime import date

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.access import API

from steelsage.store import get_observations

from .conftest import API_END, SQLITE_ONLY


@pytest.fixture
def analyst(member):  # type: ignore[no-untyped-def]
    return member("ana", role="analyst", packages=())


@pytest.fixture
def editor(member):  # type: ignore[no-untyped-def]
    return member("eddie", role="editor")


def test_health_and_ready(api: TestClient) -> None:
    assert api.get(f"{API}/health").json() == {"status": "ok"}
    ready = api.get(f"{API}/ready").json()
    assert ready["status"] == "ready" and ready["schema"]


@SQLITE_ONLY
def test_series_search_and_one(api: TestClient, editor) -> None:  # type: ignore[no-untyped-def]
    found = api.get(f"{API}/series", params={"q": "螺纹"}, headers=editor.headers).json()
    codes = {s["code"] for s in found["series"]}
    assert {"rebar.shanghai", "rebar.hangzhou"} <= codes
    one = api.get(f"{API}/series/rebar.shanghai", headers=editor.headers).json()
    assert one["unit"] == "CNY_T_VAT" and one["kind"] == "assessment"
    missing = api.get(f"{API}/series/nope.nowhere", headers=editor.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_series"


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
def test_observations_formats(api: TestClient, editor, api_engine: Engine, fmt: str) -> None:  # type: ignore[no-untyped-def]
    params = {"start": "2026-11-01", "end": API_END.isoformat(), "format": fmt}
    r = api.get(f"{API}/series/rebar.shanghai/observations", params=params, headers=editor.headers)
    assert r.status_code == 200, r.text
    expected = get_observations(api_engine, "rebar.shanghai", start=date(2026, 11, 1), end=API_END)
    if fmt == "json":
        body = r.json()
        assert body["code"] == "rebar.shanghai"
        assert [o["value"] for o in body["observations"]] == expected["value"].to_list()
        return
    assert "attachment" in r.headers["content-disposition"]
    frame = {
        "csv": lambda b: pl.read_csv(io.BytesIO(b)),
        "parquet": lambda b: pl.read_parquet(io.BytesIO(b)),
        "xlsx": lambda b: pl.read_excel(io.BytesIO(b)),
    }[fmt](r.content)
    assert frame["value"].to_list() == expected["value"].to_list()


@SQLITE_ONLY
def test_observations_as_of_and_bad_range(api: TestClient, editor) -> None:  # type: ignore[no-untyped-def]
    early = api.get(
        f"{API}/series/rebar.shanghai/observations",
        params={"as_of": "2026-10-01T00:00:00"},
        headers=editor.headers,
    ).json()
    assert all(o["date"] <= "2026-10-01" for o in early["observations"])
    bad = api.get(
        f"{API}/series/rebar.shanghai/observations",
        params={"start": "2026-11-20", "end": "2026-11-01"},
        headers=editor.headers,
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_range"
    wrong = api.get(
        f"{API}/series/rebar.shanghai/observations",
        params={"start": "yesterday", "format": "docx"},
        headers=editor.headers,
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid"


@SQLITE_ONLY
def test_assessments_have_sources_count_and_method(api: TestClient, editor) -> None:  # type: ignore[no-untyped-def]
    body = api.get(f"{API}/assessments", headers=editor.headers).json()
    assert body["date"] == API_END.isoformat()
    rows = {r["code"]: r for r in body["assessments"]}
    assert rows["rebar.shanghai"]["n_sources"] >= 1
    assert rows["rebar.shanghai"]["method"].startswith("weighted_median")


@SQLITE_ONLY
def test_ask_returns_a_verified_answer(api: TestClient, editor) -> None:  # type: ignore[no-untyped-def]
    body = api.post(
        f"{API}/ask", json={"question": "今天上海螺纹多少钱"}, headers=editor.headers
    ).json()
    assert body["kind"] == "data" and body["verified"]
    assert body["sources"][0]["series_code"] == "rebar.shanghai"
    follow = api.post(
        f"{API}/ask",
        json={"question": "那杭州呢?", "history": ["今天上海螺纹多少钱"]},
        headers=editor.headers,
    ).json()
    assert follow["sources"][0]["series_code"] == "rebar.hangzhou"


def _events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


@SQLITE_ONLY
def test_chat_streams_events_and_follows_up(api: TestClient, editor) -> None:  # type: ignore[no-untyped-def]
    messages = [
        {"role": "user", "content": "今天上海螺纹多少钱"},
        {"role": "assistant", "content": "…"},
        {"role": "user", "content": "那北京呢?"},
    ]
    r = api.post(f"{API}/chat", json={"messages": messages}, headers=editor.headers)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    names = [e for e, _ in events]
    assert names[0] == "meta" and names[-2:] == ["answer", "done"] and "delta" in names
    answer = dict(events)["answer"]
    assert "".join(d["text"] for e, d in events if e == "delta") == answer["text"]
    assert answer["sources"][0]["series_code"] == "rebar.beijing"
    plain = api.post(
        f"{API}/chat", json={"messages": messages[:1], "stream": False}, headers=editor.headers
    ).json()
    assert plain["verified"]
