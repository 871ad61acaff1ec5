"""Import (stages 3–5, persisted): files → batches, raw submissions, rejects, flags.

Runs on SQLite and PostgreSQL (``engine``) wherever an import is cheap.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from steelsage.pipeline import importer
from steelsage.pipeline.importer import import_paths
from steelsage.store import models as m

from .integration_support import DATA, TODAY, count, table_counts

HEADER = (
    "report_id,source,product,spec,region,price,low,high,unit,tax_basis,weight_basis,"
    "delivery,volume,data_type,time\n"
)


def row(
    rid: str,
    price: str = "3650",
    *,
    source: str = "sh_trader_01",
    product: str = "螺纹钢",
    region: str = "上海",
    day: str = "2026-11-24",
) -> str:
    fields = [rid, source, product, "HRB400E Φ20", region, price, "", "", "元/吨", "含税"]
    return ",".join([*fields, "过磅", "出库", "300", "成交", day]) + "\n"


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def import_one(engine: Engine, path: Path, **kwargs: object) -> importer.FileOutcome:
    summary = import_paths(engine, [path], today=TODAY, **kwargs)
    assert len(summary.files) == 1
    return summary.files[0]


def batches(engine: Engine) -> list[dict]:
    t = m.ImportBatch.__table__
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]


def stored_rejects(engine: Engine) -> list[dict]:
    t = m.Reject.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t).order_by(t.c.batch_id, t.c.row_number)).all()
    return [dict(r._mapping) for r in rows]


def xlsx_copy_of_good_csv(path: Path) -> Path:
    import xlsxwriter

    frame = pl.read_csv(DATA / "good.csv", infer_schema=False)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("报价")
    ws.write_row(0, 0, frame.columns)
    for r, values in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(values):
            if value is not None:
                ws.write_string(r, c, value)
    wb.close()
    return path


# --------------------------------------------------------------------------- clean files


@pytest.mark.parametrize("name", ["good.csv", "good.json", "good.jsonl", "good_gbk.csv", "xlsx"])
def test_each_format_imports_the_five_reports(registered: Engine, tmp_path: Path, name: str):
    path = xlsx_copy_of_good_csv(tmp_path / "good.xlsx") if name == "xlsx" else DATA / name
    outcome = import_one(registered, path)

    assert outcome.status == "imported", outcome.error
    assert (outcome.accepted, outcome.rejected, outcome.flagged, outcome.duplicates) == (5, 0, 0, 0)
    assert outcome.rejects == []
    counts = table_counts(registered)
    assert counts["raw_submissions"] == 5
    assert counts["standardized_reports"] == 5
    assert counts["rejects"] == 0
    (batch,) = batches(registered)
    assert batch["status"] == "complete"
    assert (batch["n_rows"], batch["n_accepted"], batch["n_rejected"]) == (5, 5, 0)
    assert batch["format"] == {"xlsx": "xlsx", "good.json": "json", "good.jsonl": "jsonl"}.get(
        name, "csv"
    )
    if name == "good_gbk.csv":
        assert batch["encoding"] in ("gb18030", "gbk")
    archived = Path(batch["archive_path"])
    assert archived.is_file() and archived.read_bytes() == path.read_bytes()


def test_the_same_reports_in_any_format_hash_alike(registered: Engine):
    """good.json repeats good.csv row for row: every row is a duplicate of the CSV's."""
    first = import_one(registered, DATA / "good.csv")
    again = import_one(registered, DATA / "good.jsonl")

    assert again.status == "imported"
    assert (again.accepted, again.duplicates) == (0, 5)
    assert {r["reason"] for r in again.rejects} == {"duplicate"}
    assert all(f"batch {first.batch_id}" in r["message"] for r in again.rejects)
    assert count(registered, m.RawSubmission) == 5


def test_import_stage_statistics_are_recorded(registered: Engine):
    outcome = import_one(registered, DATA / "bad_number.csv")
    stats = m.StageStat.__table__
    with registered.connect() as conn:
        rows = conn.execute(select(stats).order_by(stats.c.seq)).all()
    assert [r.stage for r in rows] == ["ingest", "verify", "standardize"]
    ingest, verify, _ = rows
    assert ingest.n_in == 2 and verify.n_rejected == 1
    assert outcome.accepted == 1


# --------------------------------------------------------------------------- rejects


def test_rejects_name_file_row_field_and_reason(registered: Engine):
    bad_number = import_one(registered, DATA / "bad_number.csv")
    unknown = import_one(registered, DATA / "unknown_refs.csv")

    assert (bad_number.accepted, bad_number.rejected) == (1, 1)
    (reject,) = bad_number.rejects
    assert reject["file"].endswith("bad_number.csv")
    assert (reject["row"], reject["field"], reject["reason"]) == (1, "price", "bad_number")
    assert "abc" in reject["message"]

    # Row 3 of unknown_refs.csv repeats row 2 of bad_number.csv.
    assert (unknown.accepted, unknown.rejected, unknown.duplicates) == (0, 2, 1)
    got = [(r["row"], r["field"], r["reason"]) for r in unknown.rejects]
    assert got == [
        (1, "product", "unknown_product"),
        (2, "region", "unknown_region"),
        (3, None, "duplicate"),
    ]
    assert "黄金" in unknown.rejects[0]["message"] and "火星" in unknown.rejects[1]["message"]

    stored = stored_rejects(registered)
    assert [(r["row_number"], r["field"], r["reason"]) for r in stored] == [
        (1, "price", "bad_number"),
        *got,
    ]
    assert all(Path(r["file_name"]).name in ("bad_number.csv", "unknown_refs.csv") for r in stored)
    assert all(r["raw"] for r in stored)  # the row as received is kept with its reject


def test_prices_non_numeric_and_negative_rejected_absurd_flagged(registered: Engine, tmp_path):
    path = write(
        tmp_path / "prices.csv",
        HEADER
        + row("P1", "abc")
        + row("P2", "-5")
        + row("P3", "3650000")  # ×1000 unit slip
        + row("P4", "0")
        + row("P5", "3650"),
    )
    outcome = import_one(registered, path)

    assert (outcome.accepted, outcome.rejected, outcome.flagged) == (1, 3, 1)
    got = {r["row"]: (r["field"], r["reason"]) for r in outcome.rejects}
    assert got == {
        1: ("price", "bad_number"),
        2: ("price", "non_positive"),
        4: ("price", "non_positive"),
    }
    flags = m.Flag.__table__
    with registered.connect() as conn:
        (flag,) = conn.execute(select(flags)).all()
        std = m.StandardizedReport.__table__
        excluded = conn.execute(
            select(std.c.excluded).where(std.c.submission_id == flag.submission_id)
        ).scalar_one()
    assert (flag.stage, flag.reason, flag.status) == ("standardize", "out_of_range", "open")
    assert excluded is True
    assert count(registered, m.StandardizedReport) == 2  # kept, flagged rows included


# --------------------------------------------------------------------------- duplicates


def test_reimporting_the_same_file_adds_nothing(registered: Engine):
    first = import_one(registered, DATA / "unknown_refs.csv")
    before = table_counts(registered)
    again = import_one(registered, DATA / "unknown_refs.csv")

    assert again.status == "duplicate_file"
    assert again.batch_id == first.batch_id
    assert str(first.batch_id) in again.error
    assert table_counts(registered) == before


def test_rows_repeated_from_an_earlier_file_are_duplicates(registered: Engine, tmp_path):
    first_file = write(tmp_path / "a.csv", HEADER + row("A1") + row("A2", "3660"))
    first = import_one(registered, first_file)
    second = import_one(
        registered,
        write(tmp_path / "b.csv", HEADER + row("A2", "3660") + row("B1", "3670") + row("A1")),
    )

    assert (second.accepted, second.rejected, second.duplicates) == (1, 0, 2)
    dup = {r["row"]: r["message"] for r in second.rejects}
    assert set(dup) == {1, 3}
    assert f"batch {first.batch_id} row 2" in dup[1]
    assert f"batch {first.batch_id} row 1" in dup[3]
    assert count(registered, m.RawSubmission) == 3
    assert count(registered, m.Reject, m.Reject.reason == "duplicate") == 2


def test_a_report_id_seen_before_from_the_same_source_is_a_duplicate(registered: Engine, tmp_path):
    import_one(registered, write(tmp_path / "a.csv", HEADER + row("R-1", "3650")))
    later = import_one(
        registered,
        write(
            tmp_path / "b.csv",
            HEADER + row("R-1", "3700") + row("R-1", "3700", source="sh_mill_02"),
        ),
    )

    assert (later.accepted, later.duplicates) == (1, 1)
    (reject,) = later.rejects
    assert (reject["row"], reject["reason"]) == (1, "duplicate")
    assert count(registered, m.StandardizedReport) == 2


# --------------------------------------------------------------------------- malformed files


def test_a_report_id_repeated_within_a_file_is_a_duplicate(registered: Engine, tmp_path):
    path = write(tmp_path / "a.csv", HEADER + row("R-7", "3650") + row("R-7", "3660"))
    outcome = import_one(registered, path)

    assert (outcome.accepted, outcome.rejected, outcome.duplicates) == (1, 0, 1)
    (reject,) = outcome.rejects
    assert (reject["row"], reject["field"], reject["reason"]) == (2, "report_id", "duplicate")
    (batch,) = batches(registered)
    assert (batch["n_rejected"], batch["n_duplicate"]) == (0, 1)


def test_malformed_rows_are_rejected_one_by_one(registered: Engine, tmp_path):
    content = (
        HEADER
        + row("M1").replace("HRB400E Φ20", '"HRB400E Φ20')  # unbalanced quote
        + row("M2", "36\x0050")  # NUL byte
        + row("M3").rstrip("\n")
        + ",surplus\n"  # ragged: one field too many
        + "M4,sh_trader_01,螺纹钢\n"  # ragged: too few
        + row("M5", "3640")
    )
    outcome = import_one(registered, write(tmp_path / "malformed.csv", content))

    assert outcome.status == "imported"
    assert (outcome.accepted, outcome.rejected) == (1, 4)
    got = [(r["row"], r["reason"]) for r in outcome.rejects]
    assert got == [
        (1, "bad_format"),
        (2, "bad_encoding"),
        (3, "row_too_long"),
        (4, "missing_field"),
    ]
    assert count(registered, m.RawSubmission) == 1


def test_a_line_in_an_unknown_encoding_is_rejected_and_the_rest_kept(registered: Engine, tmp_path):
    latin1 = row("E2", "3610").replace("上海", "Shanghaï").encode("latin-1", errors="replace")
    content = (
        HEADER.encode()
        + row("E1").encode()
        + latin1.replace(b"?", b"\xe9\xff")
        + (row("E3", "3600").encode())
    )
    outcome = import_one(registered, write(tmp_path / "mixed.csv", content))

    assert (outcome.accepted, outcome.rejected) == (2, 1)
    (reject,) = outcome.rejects
    assert (reject["row"], reject["reason"]) == (2, "bad_encoding")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "bad_format"),
        (bytes((i * 7919 + 13) % 256 for i in range(6000)), None),  # random-looking garbage
    ],
    ids=["png-renamed", "garbage"],
)
def test_binary_files_renamed_csv_fail_with_nothing_stored(
    registered: Engine, tmp_path: Path, content: bytes, reason: str | None
):
    outcome = import_one(registered, write(tmp_path / "prices.csv", content))

    assert outcome.status == "failed"
    assert outcome.reason in ((reason,) if reason else ("bad_format", "bad_encoding"))
    assert "prices.csv" in outcome.error
    counts = table_counts(registered)
    assert counts["raw_submissions"] == counts["rejects"] == counts["standardized_reports"] == 0
    (batch,) = batches(registered)
    assert batch["status"] == "failed" and batch["error"] == outcome.error


def test_missing_column_fails_the_file_naming_file_and_column(registered: Engine):
    outcome = import_one(registered, DATA / "missing_column.csv")

    assert (outcome.status, outcome.reason) == ("failed", "missing_column")
    assert "missing_column.csv" in outcome.error
    assert "'region'" in outcome.error and "地区" in outcome.error
    counts = table_counts(registered)
    assert counts["import_batches"] == 1
    assert counts["raw_submissions"] == counts["rejects"] == counts["standardized_reports"] == 0
    (batch,) = batches(registered)
    assert batch["status"] == "failed" and "'region'" in batch["error"]
    assert batch["finished_at"] is not None


def test_a_failed_file_does_not_stop_the_others(registered: Engine, tmp_path: Path):
    summary = import_paths(
        registered,
        [DATA / "missing_column.csv", tmp_path / "absent.csv", DATA / "good.csv"],
        today=TODAY,
    )

    assert [f.status for f in summary.files] == ["failed", "failed", "imported"]
    assert summary.files[1].reason == "missing_file"
    totals = summary.to_dict()
    assert (totals["accepted"], totals["failed"]) == (5, 2)


def test_a_1gb_file_is_refused_before_reading(
    registered: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(1 << 30)  # sparse: 1 GiB on paper, no disk used

    def must_not_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr(importer, "_sha256", must_not_read)
    monkeypatch.setattr(importer, "read_reports", must_not_read)
    outcome = import_one(registered, path)

    assert (outcome.status, outcome.reason) == ("failed", "file_too_large")
    assert "huge.csv" in outcome.error and "STEELSAGE_MAX_IMPORT_BYTES" in outcome.error
    assert table_counts(registered)["import_batches"] == 0
    assert all(v == 0 for v in table_counts(registered).values())


# --------------------------------------------------------------------------- crash halfway


def test_a_crash_halfway_leaves_only_the_failed_batch(
    registered: Engine, monkeypatch: pytest.MonkeyPatch
):
    def crash(self, batch, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer.StandardizeStage, "run", crash)
    started = datetime.now().replace(microsecond=0)
    summary = import_paths(registered, [DATA / "good.csv"], today=TODAY)
    (outcome,) = summary.files
    assert (outcome.status, outcome.reason) == ("failed", "internal_error")
    assert "disk on fire" in outcome.error and "good.csv" in outcome.error

    (batch,) = batches(registered)
    assert batch["status"] == "failed"
    assert "RuntimeError" in batch["error"] and "disk on fire" in batch["error"]
    assert batch["finished_at"] >= started
    counts = table_counts(registered)
    assert counts["raw_submissions"] == counts["rejects"] == counts["standardized_reports"] == 0
    assert counts["flags"] == 0
    assert count(registered, m.StageStat) == 0

    monkeypatch.undo()
    again = import_one(registered, DATA / "good.csv")
    assert again.status == "imported"
    assert (again.accepted, again.duplicates) == (5, 0)
    assert [b["status"] for b in batches(registered)] == ["failed", "complete"]


def test_sources_outside_the_library_are_rejected(engine: Engine):
    """Without a sample library every report's source is unknown (nothing silently kept)."""
    outcome = import_one(engine, DATA / "good.csv")

    assert (outcome.accepted, outcome.rejected) == (0, 5)
    assert {r["reason"] for r in outcome.rejects} == {"unknown_source"}
    assert {r["field"] for r in outcome.rejects} == {"source"}


def test_max_bytes_setting_is_honoured(
    registered: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("STEELSAGE_MAX_IMPORT_BYTES", "100")
    from steelsage.config import get_settings

    get_settings.cache_clear()
    path = write(tmp_path / "small.csv", HEADER + row("S1"))
    assert os.path.getsize(path) > 100
    outcome = import_one(registered, path)
    assert outcome.reason == "file_too_large"


def test_chunked_import_matches_a_single_pass(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    """Big files are verified in source-grouped chunks: same rows, rejects and flags."""
    from steelsage.demo.market import DemoConfig, build_market
    from steelsage.pipeline.library import register_sources
    from steelsage.store import bulk_insert

    market = build_market(
        DemoConfig(end=TODAY, years=0.05, series=["rebar.shanghai", "hrc.shanghai"])
    )
    register_sources(engine, market.sources, who="test")
    with engine.begin() as conn:
        bulk_insert(conn, m.FxRate.__table__, market.fx_rates.select("date", "pair", "rate"))
    reports = market.reports
    doubled = pl.concat([reports, reports.head(3)])  # three in-file duplicates
    single = importer.import_frame(engine, doubled, name="single", keep_standardized=True)
    with engine.begin() as conn:
        for model in (m.Flag, m.StandardizedReport, m.Reject, m.RawSubmission):
            conn.execute(model.__table__.delete())

    with engine.begin() as conn:
        conn.execute(m.ImportBatch.__table__.delete())
    monkeypatch.setattr(importer, "CHUNK_ROWS", 40)
    assert len(importer._source_chunks(doubled)) > 1
    chunked = importer.import_frame(engine, doubled, name="chunked", keep_standardized=True)
    assert (chunked.accepted, chunked.rejected, chunked.flagged, chunked.duplicates) == (
        single.accepted,
        single.rejected,
        single.flagged,
        single.duplicates,
    )
    assert chunked.duplicates >= 3
    assert (
        sorted(chunked.standardized["submission_id"].to_list())
        == sorted(single.standardized["submission_id"].to_list())
        or chunked.standardized.height == single.standardized.height
    )
    assert table_counts(engine)["standardized_reports"] == single.standardized.height


def test_rows_rejected_for_a_fixable_reason_can_be_reprocessed(engine: Engine):
    from steelsage.pipeline.library import register_sources

    from .integration_support import file_sources

    first = import_one(engine, DATA / "good.csv")
    assert (first.accepted, first.rejected) == (0, 5)
    assert importer.reprocess_rejected(engine)["accepted"] == 0  # still no sources

    register_sources(engine, file_sources(), who="test")
    result = importer.reprocess_rejected(engine, reasons=["unknown_source"])
    assert (result["candidates"], result["accepted"], result["still_rejected"]) == (5, 5, 0)
    assert count(engine, m.StandardizedReport) == 5
    assert count(engine, m.Reject) == 5  # the original rejects stay as history
    again = importer.reprocess_rejected(engine)
    assert (again["candidates"], again["accepted"]) == (0, 0)
    assert import_one(engine, DATA / "good.csv").status == "duplicate_file"
