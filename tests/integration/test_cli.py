"""The ``steelsage`` command line, end to end against a real database.

Every command of ``steelsage --help`` is exercised (``test_every_command_is_covered`` keeps
that true). Bad input must end in a clear message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from steelsage.cli import app
from steelsage.config import get_settings
from steelsage.store import get_engine, get_observations, get_series
from steelsage.store import models as m

from .integration_support import DATA, FILE_SOURCES, count

TINY_ARGS = [
    "demo",
    "build",
    "--years",
    "0.1",
    "--series",
    "rebar.shanghai",
    "--series",
    "rebar.hangzhou",
    "--series",
    "rebar.nanjing",
    "--end",
    "2026-11-24",
]
COVERED = {
    "import",
    "publish",
    "correct",
    "today",
    "monitor",
    "export",
    "demo build",
    "pipeline run",
    "series list",
    "series get",
    "eval outliers",
    "eval assessments",
    "flags list",
    "flags resolve",
    "sources list",
    "sources import",
    "external import",
    "db upgrade",
    "fx import",
    "reprocess",
    "ask",
    "chat",
    "eval assistant",
    "serve",
    "demo accounts",
    "users add",
    "users list",
    "users grant",
    "users revoke",
    "users set-role",
    "users passwd",
    "users disable",
    "users enable",
    "keys create",
    "keys revoke",
    "keys list",
    "packages define",
    "packages list",
}

Invoke = Callable[..., Result]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _text(result: Result) -> str:
    """All output with Rich's line wrapping undone."""
    return " ".join((result.output or "").split())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Invoke]]:
    """``cli(url)`` → ``invoke(*args, code=0)``: runs the app against the database at ``url``
    and checks the exit code and that no traceback escaped."""
    runner = CliRunner()
    urls: list[str] = []

    def against(url: str) -> Invoke:
        urls.append(url)
        monkeypatch.setenv("STEELSAGE_DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()

        def invoke(*args: str, code: int | None = 0) -> Result:
            result = runner.invoke(app, list(args))
            exc = result.exception
            assert exc is None or isinstance(exc, SystemExit), (
                f"traceback for {args}: {exc!r}\n{result.output}"
            )
            if code is not None:
                assert result.exit_code == code, f"{args} → {result.exit_code}\n{result.output}"
            return result

        return invoke

    yield against
    for url in urls:  # close the engines the commands opened
        with contextlib.suppress(Exception):  # a deliberately broken URL
            get_engine(url).dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def as_json(result: Result) -> object:
    return json.loads(result.stdout)


@pytest.fixture
def tiny(cli, copy_db, tiny_demo_file: Path) -> tuple[Invoke, Engine]:
    """A copy of the tiny demo database and the CLI pointed at it."""
    engine = copy_db(tiny_demo_file)
    return cli(_url(engine)), engine


@pytest.fixture
def empty(cli, sqlite_engine: Engine) -> tuple[Invoke, Engine]:
    return cli(_url(sqlite_engine)), sqlite_engine


# --------------------------------------------------------------------------- help


def test_every_command_is_covered(cli, sqlite_engine: Engine):
    commands = {c.name for c in app.registered_commands}
    for group in app.registered_groups:
        commands |= {f"{group.name} {c.name}" for c in group.typer_instance.registered_commands}
    assert commands == COVERED

    invoke = cli(_url(sqlite_engine))
    text = _text(invoke("--help"))
    for name in {c.split()[0] for c in COVERED}:
        assert name in text
    for group in app.registered_groups:
        sub = _text(invoke(group.name, "--help"))
        assert all(c.name in sub for c in group.typer_instance.registered_commands)


# --------------------------------------------------------------------------- demo, both backends


def test_demo_build_then_the_daily_commands(cli, engine: Engine):
    invoke = cli(_url(engine))
    engine.dispose()  # on SQLite the build replaces the file: no pooled handle on the old one
    built = as_json(invoke(*TINY_ARGS, "--json"))

    assert built["reports"] > 500 and built["assessments"] > 0
    assert built["reports"] == built["accepted"] + built["rejected"] + built["flagged_on_import"]
    assert built["worldbank_series"] == 26
    assert built["releases"] == count(engine, m.Publication, m.Publication.run_id.is_not(None))

    run = as_json(invoke("pipeline", "run", "--json"))
    assert (run["status"], run["run_id"]) == ("no_op", built["run_id"])
    assert as_json(invoke("publish", "--json")) == {"releases": []}

    got = as_json(invoke("series", "get", "rebar.shanghai", "--format", "json"))
    assert (got["code"], got["unit"]) == ("rebar.shanghai", "CNY_T_VAT")
    assert len(got["observations"]) == built["releases"]
    first = got["observations"][0]
    assert {"date", "value", "low", "high"} <= set(first)
    assert first["low"] <= first["value"] <= first["high"]

    today = as_json(invoke("today", "--json"))
    assert [r["code"] for r in today] == ["rebar.shanghai"]  # the benchmark of the three
    assert today[0]["date"] == "2026-11-24"
    monitor = as_json(invoke("monitor", "--json"))
    assert monitor["last_run"]["id"] == built["run_id"]
    assert "schema at revision" in _text(invoke("db", "upgrade"))


# --------------------------------------------------------------------------- import flow


def test_sources_import_then_import_run_publish(empty, tmp_path: Path):
    invoke, _ = empty
    sources = tmp_path / "sources.csv"
    lines = ["code,name,type,region_code,credibility_weight,active,coverage"]
    lines += [f"{c},{n},{t},{r},{w},true,rebar.shanghai" for c, n, t, r, w in FILE_SOURCES]
    lines.append("bad_one,坏来源,alien,shanghai,1,true,")
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")

    registered = as_json(invoke("sources", "import", str(sources), "--json"))
    assert (registered["accepted"], registered["rejected"]) == (5, 1)
    assert registered["rejects"][0]["reason"] == "bad_source_type"
    listed = as_json(invoke("sources", "list", "--json"))
    assert [s["code"] for s in listed] == sorted(c for c, *_ in FILE_SOURCES)
    assert {s["coverage"] for s in listed} == {1}

    summary = as_json(
        invoke("import", str(DATA / "good.csv"), str(DATA / "bad_number.csv"), "--json")
    )
    assert [f["status"] for f in summary["files"]] == ["imported", "imported"]
    good, bad = summary["files"]
    assert {"file", "status", "accepted", "rejected", "flagged", "rejects"} <= set(good)
    assert (good["accepted"], good["rejected"], good["flagged"]) == (5, 0, 0)
    assert all(set(r) == {"file", "row", "field", "reason", "message"} for r in bad["rejects"])
    assert [(r["row"], r["field"], r["reason"]) for r in bad["rejects"]] == [
        (1, "price", "bad_number"),
        (2, None, "duplicate"),
    ]
    assert all(r["file"].endswith("bad_number.csv") for r in bad["rejects"])
    assert "batch 1 row 1" in bad["rejects"][1]["message"]
    assert (summary["accepted"], summary["rejected"], summary["failed"]) == (5, 1, 0)
    # bad_number.csv row 2 repeats good.csv row 1
    assert summary["duplicates"] == 1

    run = as_json(invoke("pipeline", "run", "--json"))
    assert run["status"] == "complete" and run["n_reports"] == 5
    assert run["n_assessments"] == 0  # one source per series is below the minimum of 3
    assert "produced no assessments" in _text(invoke("publish", code=1))

    more = tmp_path / "more.csv"
    header = (DATA / "good.csv").read_text(encoding="utf-8").splitlines()[0]
    more.write_text(
        f"{header}\n"
        "SH-2,sh_mill_02,螺纹钢,HRB400E Φ20,上海,3640,,,元/吨,含税,过磅,出库,100,成交,2026-11-24\n"
        "SH-3,hz_trader_04,螺纹钢,HRB400E Φ20,上海,3660,,,元/吨,含税,过磅,出库,,成交,2026-11-24\n",
        encoding="utf-8",
    )
    assert as_json(invoke("import", str(more), "--json"))["accepted"] == 2
    run = as_json(invoke("pipeline", "run", "--json"))
    assert run["status"] == "complete" and run["n_assessments"] == 1
    releases = as_json(invoke("publish", "--json"))["releases"]
    assert [r["release"] for r in releases] == ["assessments:2026-11-24"]
    assert releases[0]["version"] == 1
    assert as_json(invoke("publish", "--json")) == {"releases": []}


def test_import_failures_exit_non_zero_with_the_reason(empty, tmp_path: Path):
    invoke, _ = empty
    result = invoke("import", str(DATA / "missing_column.csv"), "--json", code=1)
    (failed,) = as_json(result)["files"]
    assert (failed["status"], failed["reason"]) == ("failed", "missing_column")
    assert "'region'" in failed["error"]

    text = _text(invoke("import", str(tmp_path / "absent.csv"), code=1))
    assert "file not found" in text
    assert "is a directory" in _text(invoke("import", str(tmp_path), code=1))
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(5000)))
    assert "garbage.csv" in _text(invoke("import", str(garbage), code=1))
    assert "Missing argument" in _text(invoke("import", code=2))


# --------------------------------------------------------------------------- series


def test_series_list_has_every_field(tiny):
    invoke, _ = tiny
    items = as_json(invoke("series", "list", "--json"))
    fields = {"code", "name_zh", "name_en", "commodity", "region", "unit", "frequency"}
    assert all(fields | {"first", "last"} <= set(i) for i in items)
    kinds = {i["kind"] for i in items}
    assert {"assessment", "indicator", "external"} <= kinds
    codes = {i["code"] for i in items}
    assert {"rebar.shanghai", "rebar.nanjing", "wb.IRON_ORE"} <= codes
    rebar = next(i for i in items if i["code"] == "rebar.shanghai")
    assert (rebar["commodity"], rebar["unit"], rebar["frequency"]) == (
        "steel_long",
        "CNY_T_VAT",
        "daily",
    )
    assert rebar["last"] == "2026-11-24"
    only = as_json(invoke("series", "list", "--kind", "external", "--json"))
    assert len(only) == 26 and all(i["code"].startswith("wb.") for i in only)


def test_series_get_csv_and_as_of(tiny):
    invoke, engine = tiny
    csv_text = invoke("series", "get", "rebar.hangzhou", "--format", "csv").stdout
    frame = pl.read_csv(csv_text.encode())
    assert frame.columns == ["date", "value", "low", "high", "change", "version"]
    assert frame.height == count(
        engine, m.SeriesObservation, m.SeriesObservation.series_code == "rebar.hangzhou"
    )

    # Backfilled history is stamped 17:30 on each day: as of 2026-11-20 nothing later exists.
    then = as_json(
        invoke("series", "get", "rebar.hangzhou", "--format", "json", "--as-of", "2026-11-20")
    )
    assert then["observations"][-1]["date"] == "2026-11-20"
    early = invoke(
        "series", "get", "rebar.hangzhou", "--format", "json", "--as-of", "2026-11-20T09:00:00"
    )
    assert as_json(early)["observations"][-1]["date"] == "2026-11-19"
    table = _text(invoke("series", "get", "rebar.hangzhou", "--start", "2026-11-24"))
    assert "2026-11-24" in table and "2026-11-23" not in table


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["series", "get", "nope.nowhere"], "no series 'nope.nowhere'"),
        (["series", "get", "rebar.shanghai", "--start", "2026-13-45"], "--start must be"),
        (["series", "get", "rebar.shanghai", "--end", "24/11/2026"], "--end must be"),
        (["series", "get", "rebar.shanghai", "--as-of", "yesterday"], "--as-of must be"),
        (["series", "get", "rebar.shanghai", "--format", "xml"], "--format must be"),
        (
            ["series", "get", "rebar.shanghai", "--start", "2026-11-24", "--end", "2026-11-01"],
            "is after --end",
        ),
        (["pipeline", "run", "--start", "bad"], "--start must be"),
        (["flags", "list", "--date", "bad"], "--date must be"),
        (["flags", "list", "--status", "weird"], "--status must be"),
        (["monitor", "--days", "0"], "--days must be"),
        (["correct", "rebar.shanghai", "bad", "1", "--why", "x"], "must be YYYY-MM-DD"),
        (["correct", "nope.x", "2026-11-24", "1", "--why", "x"], "no published value"),
        (["correct", "rebar.shanghai", "2026-11-24", "0", "--why", "x"], "positive number"),
        (["flags", "resolve", "999999", "accept", "--why", "x"], "no flag with id 999999"),
        (["flags", "resolve", "1", "maybe", "--why", "x"], "action must be accept|reject"),
        (["publish", "--date", "2020-01-01"], "has no assessments"),
        (["demo", "build", "--years", "-1"], "years must be positive"),
        (["demo", "build", "--years", "0.1", "--series", "nope.nope"], "unknown assessment"),
        (["external", "import", "/nonexistent/file.csv"], "file not found"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else None,
)
def test_bad_input_gets_a_clear_message(tiny, args: list[str], needle: str):
    invoke, engine = tiny
    before = count(engine, m.SeriesObservation)
    result = invoke(*args, code=1)
    assert needle in _text(result)
    assert count(engine, m.SeriesObservation) == before  # a failed demo build empties nothing


def test_typer_refuses_missing_and_malformed_arguments(tiny):
    invoke, _ = tiny
    assert "Missing option '--why'" in _text(invoke("flags", "resolve", "1", "accept", code=2))
    missing = invoke("correct", "rebar.shanghai", "2026-11-24", "3999", code=2)
    assert "Missing option '--why'" in _text(missing)
    assert "value" in _text(
        invoke("correct", "rebar.shanghai", "2026-11-24", "abc", "--why", "x", code=2)
    )
    invoke("demo", "build", "--years", "many", code=2)
    invoke("no-such-command", code=2)


# ------------------------------------------------------------- today / monitor / export


def test_today_and_monitor_tables(tiny):
    invoke, _ = tiny
    table = _text(invoke("today"))
    assert "latest assessments — 2026-11-24" in table and "Φ20mm" in table
    report = as_json(invoke("monitor", "--json"))
    assert {"last_run", "coverage_gaps", "flag_rates", "fallback_share"} <= set(report)
    assert report["last_run"]["status"] == "complete"
    assert [s["stage"] for s in report["last_run"]["stages"]] == [
        "survey",
        "sample_library",
        "outliers",
        "compile",
    ]
    invoke("monitor")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_reads_back(tiny, fmt: str):
    invoke, engine = tiny
    name = f"prices.{fmt}"
    invoke("export", "--out", name, "--series", "rebar.shanghai", "--series", "wb.IRON_ORE")
    path = get_settings().export_dir / name
    frame = {"csv": pl.read_csv, "parquet": pl.read_parquet, "xlsx": pl.read_excel}[fmt](path)
    assert set(frame["code"].unique()) == {"rebar.shanghai", "wb.IRON_ORE"}
    n = count(
        engine,
        m.SeriesObservation,
        m.SeriesObservation.series_code.in_(["rebar.shanghai", "wb.IRON_ORE"]),
        m.SeriesObservation.superseded_at.is_(None),
    )
    assert frame.height == n
    assert {"code", "name_zh", "unit", "date", "value", "version"} <= set(frame.columns)


def test_export_refuses_path_traversal_and_bad_names(tiny, tmp_path: Path):
    invoke, _ = tiny
    text = _text(invoke("export", "--out", "../escape.csv", code=1))
    assert "escapes the export directory" in text and "PosixPath" not in text
    assert not (get_settings().export_dir.parent / "escape.csv").exists()
    invoke("export", "--out", "a/../../escape.csv", code=1)
    assert "unsupported format" in _text(invoke("export", "--out", "x.doc", code=1))
    assert "unknown series" in _text(invoke("export", "--out", "x.csv", "--series", "no", code=1))
    mismatch = invoke("export", "--out", "x.csv", "--format", "parquet", code=1)
    assert "does not match" in _text(mismatch)
    absolute = tmp_path / "chosen" / "here.csv"
    invoke("export", "--out", str(absolute))
    assert absolute.is_file()


# --------------------------------------------------------------------------- eval


def test_eval_commands(tiny):
    invoke, _ = tiny
    outliers = as_json(invoke("eval", "outliers", "--json"))
    assert {"precision", "recall", "f1"} <= set(outliers)
    assert outliers["precision"] >= 0.9 and outliers["recall"] >= 0.9
    accuracy = as_json(invoke("eval", "assessments", "--json"))
    assert {"median_ape_pct", "n"} <= set(accuracy)
    assert accuracy["n"] > 0 and accuracy["median_ape_pct"] <= 0.3
    assert "precision" in _text(invoke("eval", "outliers"))
    assert "median APE" in _text(invoke("eval", "assessments"))


def test_eval_without_ground_truth_says_what_to_do(empty):
    invoke, _ = empty
    for args in (["eval", "outliers"], ["eval", "assessments", "--json"]):
        assert "steelsage demo build" in _text(invoke(*args, code=1))


# --------------------------------------------------------------------------- flags / correct


def test_flags_list_and_resolve(tiny):
    invoke, engine = tiny
    flags = as_json(invoke("flags", "list", "--json", "--limit", "5"))
    assert 0 < len(flags) <= 5
    assert {"id", "series_code", "date", "reason", "message", "score", "status"} <= set(flags[0])
    target = flags[0]["id"]

    text = _text(
        invoke("flags", "resolve", str(target), "accept", "--why", "checked", "--who", "li")
    )
    assert f"flag {target} accepted" in text
    accepted = as_json(invoke("flags", "list", "--status", "accepted", "--json"))
    assert [f["id"] for f in accepted] == [target]
    ov = m.Override.__table__
    with engine.connect() as conn:
        (row,) = conn.execute(select(ov.c.target, ov.c.target_id, ov.c.who, ov.c.why)).all()
    assert tuple(row) == ("flag", str(target), "li", "checked")
    run = as_json(invoke("pipeline", "run", "--json"))
    assert run["status"] == "complete"
    invoke("flags", "list")


def test_correct_publishes_a_new_version(tiny):
    invoke, _ = tiny
    info = as_json(
        invoke("correct", "rebar.shanghai", "2026-11-24", "3999", "--why", "late deal", "--json")
    )
    assert (info["release"], info["version"], info["kind"]) == (
        "assessments:2026-11-24",
        2,
        "correction",
    )
    got = as_json(
        invoke("series", "get", "rebar.shanghai", "--format", "json", "--start", "2026-11-24")
    )
    assert [(o["value"], o["version"]) for o in got["observations"]] == [(3999.0, 2)]
    invoke("pipeline", "run")
    assert as_json(invoke("publish", "--json")) == {"releases": []}  # the correction stands


# ------------------------------------------------------------- sources / external / db


def test_sources_import_refuses_unreadable_files(empty, tmp_path: Path):
    invoke, _ = empty
    assert "file not found" in _text(invoke("sources", "import", str(tmp_path / "no.csv"), code=1))
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b'code,name\n"a,\x00\n\n"b\rc' + bytes(range(128, 256)))
    invoke("sources", "import", str(garbage), code=1)
    wrong = tmp_path / "sources.json"
    wrong.write_text("[]")
    assert "CSV or YAML" in _text(invoke("sources", "import", str(wrong), code=1))


def test_external_import_world_bank_is_idempotent(empty):
    invoke, engine = empty
    first = as_json(invoke("external", "import", "--json"))
    assert (first["status"], first["series"]) == ("imported", 26)
    assert first["accepted"] > 10_000 and first["rejected"] == 0
    info = get_series(engine, "wb.IRON_ORE")
    assert info is not None and info.kind == "external" and "CC BY 4.0" in info.licence
    n_obs = count(engine, m.SeriesObservation)

    again = as_json(invoke("external", "import", "--json"))
    assert (again["status"], again["batch_id"]) == ("duplicate_file", first["batch_id"])
    assert count(engine, m.SeriesObservation) == n_obs
    assert "duplicate_file" in _text(invoke("external", "import"))


def test_external_import_of_a_bad_file_keeps_its_rejects(empty, tmp_path: Path):
    invoke, engine = empty
    path = tmp_path / "series.csv"
    path.write_text(
        "series_code,series_name,unit,month,value\n"
        "STEEL,Steel,$/t,2024-01,500\nSTEEL,Steel,$/t,2024-13,510\nSTEEL,,$/t,2024-03,x\n"
    )
    result = as_json(invoke("external", "import", str(path), "--json"))
    assert (result["accepted"], result["rejected"]) == (1, 2)
    assert [(r["row"], r["field"], r["reason"]) for r in result["rejects"]] == [
        (2, "month", "bad_date"),
        (3, "series_name", "missing_field"),
    ]
    assert count(engine, m.Reject) == 2
    header_only = tmp_path / "wrong.csv"
    header_only.write_text("code,value\nA,1\n")
    assert "missing columns" in _text(invoke("external", "import", str(header_only), code=1))


def test_reprocess_after_registering_sources(empty, tmp_path: Path):
    invoke, _ = empty
    imported = as_json(invoke("import", str(DATA / "good.csv"), "--json"))
    assert (imported["accepted"], imported["rejected"]) == (0, 5)
    assert "unknown reject reasons" in _text(invoke("reprocess", "--reason", "nope", code=1))
    lines = ["code,name,type,region_code,credibility_weight,active,coverage"]
    lines += [f"{c},{n},{t},{r},{w},true,rebar.shanghai" for c, n, t, r, w in FILE_SOURCES]
    registry = tmp_path / "sources.csv"
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    invoke("sources", "import", str(registry))
    result = as_json(invoke("reprocess", "--reason", "unknown_source", "--json"))
    assert (result["candidates"], result["accepted"], result["still_rejected"]) == (5, 5, 0)
    assert "candidates 0" in _text(invoke("reprocess"))


def test_fx_import_replaces_rates_and_lists_bad_rows(empty, tmp_path: Path):
    invoke, engine = empty
    path = tmp_path / "fx.csv"
    path.write_text(
        "date,pair,rate\n2026-11-24,USDCNY,7.10\n2026-11-25,usdcny,7.11\n"
        "bad,USDCNY,7\n2026-11-26,USDCNY,-1\n2026-11-27,USD,7.2\n"
    )
    result = as_json(invoke("fx", "import", str(path), "--json"))
    assert (result["accepted"], result["rejected"]) == (2, 3)
    assert [r["row"] for r in result["rejects"]] == [3, 4, 5]
    path.write_text("date,pair,rate\n2026-11-24,USDCNY,7.20\n")
    assert as_json(invoke("fx", "import", str(path), "--json"))["accepted"] == 1
    with engine.connect() as conn:
        rates = dict(conn.execute(select(m.FxRate.date, m.FxRate.rate)).all())
    assert rates == {date(2026, 11, 24): 7.20, date(2026, 11, 25): 7.11}
    assert "not found" in _text(invoke("fx", "import", str(tmp_path / "none.csv"), code=1))
    path.write_text("day,rate\n2026-11-24,7\n")
    assert "missing columns" in _text(invoke("fx", "import", str(path), code=1))


def test_db_upgrade_and_an_unreachable_database(cli, sqlite_engine: Engine):
    invoke = cli(_url(sqlite_engine))
    assert "schema at revision" in _text(invoke("db", "upgrade"))
    broken = cli("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert "STEELSAGE_DATABASE_URL" in _text(broken("db", "upgrade", code=1))
    assert "STEELSAGE_DATABASE_URL" in _text(cli("not a url")("today", code=1))


# --------------------------------------------------------------------------- assistant


def test_ask_json_answer_is_grounded(tiny):
    invoke, engine = tiny
    payload = as_json(invoke("ask", "今天上海螺纹多少钱", "--json", "--today", "2026-11-24"))
    assert {"text", "values", "sources", "chart", "trace", "verified"} <= set(payload)
    assert payload["verified"] and payload["kind"] == "data"
    obs = get_observations(engine, "rebar.shanghai", end=date(2026, 11, 24))
    assert payload["values"][0]["value"] == obs["value"][-1]
    assert payload["sources"][0]["series_code"] == "rebar.shanghai"


def test_ask_plain_text_and_english(tiny):
    invoke, _ = tiny
    text = _text(invoke("ask", "What was rebar in Hangzhou yesterday?", "--today", "2026-11-24"))
    assert "Hangzhou" in text and "Sources" in text
    refused = _text(invoke("ask", "今天天气怎么样"))
    assert "抱歉" in refused


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ask", "螺纹", "--lang", "fr"], "--lang"),
        (["ask", "螺纹", "--today", "yesterday"], "YYYY-MM-DD"),
    ],
)
def test_ask_bad_options(tiny, args: list[str], needle: str):
    invoke, _ = tiny
    assert needle in _text(invoke(*args, code=1))


def test_ask_on_a_database_without_data_says_what_to_do(cli, tmp_path: Path):
    invoke = cli(f"sqlite:///{(tmp_path / 'none.db').as_posix()}")
    assert "demo build" in _text(invoke("ask", "今天上海螺纹多少钱", code=1))


def test_chat_follows_up_and_resets(tiny):
    runner_input = "今天上海螺纹多少钱\n那杭州呢?\n/reset\n那南京呢?\n/exit\n"
    result = CliRunner().invoke(app, ["chat", "--today", "2026-11-24"], input=runner_input)
    assert result.exit_code == 0, result.output
    text = _text(result)
    assert "上海螺纹钢" in text and "杭州螺纹钢" in text
    assert "请问您想查哪个品种" in text  # after /reset the follow-up has nothing to follow


def test_eval_assistant_json(tiny, tmp_path: Path):
    invoke, _ = tiny
    devset = tmp_path / "dev.jsonl"
    items = [
        {
            "id": "lookup-1",
            "category": "lookup",
            "lang": "zh",
            "turns": ["今天上海螺纹多少钱"],
            "gold": {"op": "value", "series": "rebar.shanghai", "date": "today"},
        },
        {
            "id": "followup-1",
            "category": "followup",
            "lang": "zh",
            "turns": ["今天上海螺纹多少钱", "那杭州呢?"],
            "gold": {"op": "value", "series": "rebar.hangzhou", "date": "today"},
        },
        {
            "id": "refuse-1",
            "category": "refuse",
            "lang": "en",
            "turns": ["tell me a joke"],
            "gold": {"op": "refuse"},
        },
    ]
    devset.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), "utf-8")
    report = as_json(invoke("eval", "assistant", "--json", "--set", str(devset)))
    assert set(report) >= {"overall", "categories", "latency_ms", "n"}
    assert report["n"] == 3 and report["overall"] == 1.0
    assert set(report["latency_ms"]) == {"p50", "p95"}
    missing = _text(invoke("eval", "assistant", "--set", str(tmp_path / "nope.jsonl"), code=1))
    assert "nope.jsonl" in missing


# --------------------------------------------------------------------------- server


def test_demo_accounts_are_idempotent_and_refused_in_production(tiny, monkeypatch):
    from steelsage.server.settings import get_server_settings

    invoke, _ = tiny
    first = _text(invoke("demo", "accounts"))
    assert "admin" in first and "demo-subscriber-2026" in first
    assert "free_delayed" in _text(invoke("demo", "accounts"))
    monkeypatch.setenv("STEELSAGE_ENV", "production")
    get_server_settings.cache_clear()
    try:
        assert "production" in _text(invoke("demo", "accounts", code=1))
    finally:
        get_server_settings.cache_clear()


def test_serve_refuses_the_default_secret_in_production(tiny, monkeypatch):
    from steelsage.server.settings import get_server_settings

    invoke, _ = tiny
    monkeypatch.setenv("STEELSAGE_ENV", "production")
    get_server_settings.cache_clear()
    try:
        assert "STEELSAGE_SECRET_KEY" in _text(invoke("serve", code=1))
    finally:
        get_server_settings.cache_clear()


def test_serve_answers_health(tiny, tmp_path: Path):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    _, engine = tiny
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "STEELSAGE_DATABASE_URL": _url(engine)}
    exe = Path(sys.executable).with_name("steelsage")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env)
    try:
        for _ in range(150):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("steelsage serve did not answer")
        assert r.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/series").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)
