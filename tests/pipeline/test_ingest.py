"""Stage 3 file reading: formats, encodings, headers and every kind of broken file."""

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from steelsage.pipeline.ingest import (
    IMPORT_COLUMNS,
    ImportFileError,
    add_row_hash,
    canonical_column,
    read_reports,
)

MB = 1 << 20
HEADER = (
    "report_id,source,product,spec,region,price,low,high,unit,tax_basis,weight_basis,delivery,"
    "volume,data_type,time"
)
ROW = "R1,sh_trader_01,螺纹钢,HRB400E Φ20,上海,3650,,,元/吨,含税,过磅,出库,300,成交,2026-11-24"


def read(path: Path, **kw) -> object:
    return read_reports(path, max_bytes=kw.pop("max_bytes", 10 * MB), **kw)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_bytes(content)
    return p


def values(frame: pl.DataFrame) -> list[tuple]:
    return frame.drop("row_number").rows()


# ----------------------------------------------------------------------- good files


def test_good_csv_utf8(data_dir: Path) -> None:
    r = read(data_dir / "good.csv")
    assert r.format == "csv" and r.encoding == "utf-8"
    assert r.frame.columns == list(IMPORT_COLUMNS)
    assert r.frame.schema["row_number"] == pl.Int64
    assert all(r.frame.schema[c] == pl.Utf8 for c in IMPORT_COLUMNS[1:])
    assert r.frame["row_number"].to_list() == [1, 2, 3, 4, 5]
    assert r.rejects.height == 0
    first = r.frame.row(0, named=True)
    assert first["product"] == "螺纹钢" and first["price"] == "3650" and first["low"] is None
    assert r.frame["price"][3] == "3,300"  # numbers stay text until verification
    assert r.sha256 == hashlib.sha256((data_dir / "good.csv").read_bytes()).hexdigest()
    assert r.size_bytes == (data_dir / "good.csv").stat().st_size


def test_gbk_with_chinese_headers_reads_like_utf8(data_dir: Path) -> None:
    utf8 = read(data_dir / "good.csv")
    gbk = read(data_dir / "good_gbk.csv")
    assert gbk.encoding == "gb18030"
    assert gbk.frame.equals(utf8.frame)  # same values → same row hashes, CRLF stripped


def test_bom_is_detected_and_dropped(data_dir: Path, tmp_path: Path) -> None:
    raw = (data_dir / "good.csv").read_bytes()
    r = read(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + raw))
    assert r.encoding == "utf-8-sig"
    assert r.frame.equals(read(data_dir / "good.csv").frame)


def test_utf16_with_bom(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "good.csv").read_text(encoding="utf-8")
    r = read(write(tmp_path, "u16.csv", text.encode("utf-16")))
    assert r.encoding == "utf-16"
    assert r.frame.equals(read(data_dir / "good.csv").frame)


def test_wrong_declared_encoding_is_refused(data_dir: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read(data_dir / "good_gbk.csv", encoding="utf-8")
    assert err.value.reason == "bad_encoding"
    assert err.value.file == "good_gbk.csv"
    assert "utf-8" in err.value.message


def test_declared_encoding_is_used(data_dir: Path) -> None:
    r = read(data_dir / "good_gbk.csv", encoding="gbk")
    assert r.encoding == "gbk" and r.frame.height == 5


def test_one_undecodable_line_is_rejected_others_read(tmp_path: Path) -> None:
    gbk_row = ROW.replace("R1", "R2").encode("gbk")
    data = (HEADER + "\n" + ROW + "\n").encode() + gbk_row + b"\n" + b"R3,\xff\xfe\xfa,x\n"
    r = read(write(tmp_path, "mixed.csv", data))
    assert r.encoding == "mixed"
    assert r.frame["report_id"].to_list() == ["R1", "R2"]
    assert r.frame["product"].to_list() == ["螺纹钢", "螺纹钢"]
    assert r.rejects.select("row_number", "reason").rows() == [(3, "bad_encoding")]


def test_undecodable_file_is_refused(tmp_path: Path) -> None:
    data = b"\xff\xfa\xfb" * 50 + b"\n" + b"\xfa\xfa\xfd" * 50 + b"\n"
    with pytest.raises(ImportFileError) as err:
        read(write(tmp_path, "junk.csv", data))
    assert err.value.reason == "bad_encoding" and "junk.csv" in err.value.message


def test_json_array_and_reports_object(data_dir: Path, tmp_path: Path) -> None:
    obj = read(data_dir / "good.json")
    assert obj.format == "json"
    reports = json.loads((data_dir / "good.json").read_text(encoding="utf-8"))["reports"]
    arr = read(write(tmp_path, "arr.json", json.dumps(reports, ensure_ascii=False)))
    assert obj.frame.equals(arr.frame)
    # numbers become text as written; the rows hash like the CSV rows
    assert obj.frame.equals(read(data_dir / "good.csv").frame)


def test_jsonl(data_dir: Path) -> None:
    r = read(data_dir / "good.jsonl")
    assert r.format == "jsonl"
    assert r.frame.equals(read(data_dir / "good.csv").frame)


def test_excel_with_dates_numbers_and_report_sheet(tmp_path: Path, make_xlsx) -> None:
    path = make_xlsx(
        tmp_path / "r.xlsx",
        header=["来源单号", "来源", "品种", "地区", "价格", "单位", "类型", "日期", "备注"],
        rows=[
            ["X1", "sh_trader_01", "螺纹钢", "上海", 3650, "元/吨", "成交", datetime(2026, 11, 24)],
            [],  # a blank row in the sheet
            ["X2", "sh_mill_02", "热卷", "上海", 3425.5, "元/吨", "卖价", "2026/11/24"],
        ],
        extra_sheet_first=True,
    )
    r = read(path)
    assert r.format == "xlsx" and r.encoding is None
    assert r.ignored_columns == ["备注"]
    assert r.frame["row_number"].to_list() == [1, 3]  # sheet rows 2 and 4
    assert r.frame["price"].to_list() == ["3650", "3425.5"]
    assert r.frame["time"][0] == "2026-11-24"  # a date cell, written as ISO
    assert r.frame["time"][1] == "2026/11/24"


def test_corrupt_excel_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read(write(tmp_path, "broken.xlsx", b"PK\x03\x04 this is not a workbook"))
    assert err.value.reason == "bad_format"


# ----------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "canon"),
    [
        (" Report ID ", "report_id"),
        ("DATA TYPE", "data_type"),
        ("Data_Type", "data_type"),
        ("数量(吨)", "volume"),
        ("数量（吨）", "volume"),
        ("含税", "tax_basis"),
        ("税", "tax_basis"),
        ("日期", "time"),
        ("时间", "time"),
        ("来源单号", "report_id"),
        ("价格(元/吨)", "price"),
        ("\ufeffsource", "source"),
        ("备注", None),
    ],
)
def test_header_aliases(header: str, canon: str | None) -> None:
    assert canonical_column(header) == canon


def test_missing_column_names_it_in_both_languages(data_dir: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read(data_dir / "missing_column.csv")
    e = err.value
    assert e.reason == "missing_column" and e.file == "missing_column.csv"
    assert "missing column 'region' (地区)" in e.message
    assert "缺少列 'region'" in e.message
    assert e.columns == ["region"]


def test_missing_price_and_range(tmp_path: Path) -> None:
    path = write(tmp_path, "np.csv", "source,product,region,unit,data_type,time,low\n")
    with pytest.raises(ImportFileError, match="'price'"):
        read(path)


def test_low_high_without_price_is_enough(tmp_path: Path) -> None:
    content = (
        "source,product,region,unit,data_type,time,low,high\n"
        "s,rebar,上海,元/吨,成交,2026-11-24,1,2\n"
    )
    r = read(write(tmp_path, "lh.csv", content))
    assert r.frame.select("low", "high", "price").row(0) == ("1", "2", None)


def test_unknown_columns_are_ignored_and_listed(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "good.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",comment"] + [line + ",hello" for line in text[1:]]
    r = read(write(tmp_path, "extra.csv", "\n".join(text)))
    assert r.ignored_columns == ["comment"] and r.counters["ignored_columns"] == 1
    assert r.frame.equals(read(data_dir / "good.csv").frame)


# ----------------------------------------------------------------------- broken CSV


def test_ragged_rows_are_rejected_with_row_numbers(data_dir: Path) -> None:
    r = read(data_dir / "bad_ragged.csv")
    assert r.frame["row_number"].to_list() == [1, 4]
    assert r.frame["report_id"].to_list() == ["SH-1124-001", "SH-1124-002"]
    rej = r.rejects.select("row_number", "reason", "field").rows()
    assert rej == [(2, "row_too_long", None), (3, "missing_field", "spec")]
    raw = json.loads(r.rejects["raw"][0])
    assert raw["report_id"] == "SH-1124-003" and raw["_extra"] == ["surplus"]
    assert r.rejects["message"][0].startswith("第2行")


def test_slow_path_rows_equal_fast_path_rows(data_dir: Path, tmp_path: Path) -> None:
    good = read(data_dir / "good.csv")
    text = (data_dir / "good.csv").read_text(encoding="utf-8") + "a,b,c\n"
    slow = read(write(tmp_path, "ragged_tail.csv", text))
    assert slow.frame.equals(good.frame)
    assert slow.rejects.select("row_number", "reason").rows() == [(6, "missing_field")]


def test_unbalanced_quote_costs_only_its_row(tmp_path: Path) -> None:
    rows = [HEADER, ROW, '"' + ROW.replace("R1", "R2"), ROW.replace("R1", "R3")]
    r = read(write(tmp_path, "q.csv", "\n".join(rows)))
    assert r.frame["report_id"].to_list() == ["R1", "R3"]
    assert r.frame["row_number"].to_list() == [1, 3]
    assert r.rejects.select("row_number", "reason").rows() == [(2, "bad_format")]


def test_quoted_field_with_newline_and_comma(tmp_path: Path) -> None:
    row = ROW.replace("HRB400E Φ20", '"HRB400E,\nΦ20"')
    r = read(write(tmp_path, "ml.csv", f"{HEADER}\n{row}\n{ROW.replace('R1', 'R2')}\n"))
    assert r.rejects.height == 0
    assert r.frame["spec"].to_list() == ["HRB400E,\nΦ20", "HRB400E Φ20"]


def test_nul_bytes_reject_the_row(tmp_path: Path) -> None:
    bad = ROW.replace("R1", "R2").replace("3650", "36\x0050")
    data = f"{HEADER}\n{ROW}\n{bad}\n"
    r = read(write(tmp_path, "nul.csv", data))
    assert r.frame["report_id"].to_list() == ["R1"]
    assert r.rejects.select("row_number", "reason").rows() == [(2, "bad_encoding")]


def test_overlong_row(tmp_path: Path) -> None:
    long_row = ROW.replace("HRB400E Φ20", "x" * 9000)
    r = read(write(tmp_path, "long.csv", f"{HEADER}\n{long_row}\n{ROW}\n"))
    assert r.rejects.select("row_number", "reason").rows() == [(1, "row_too_long")]
    assert r.frame["row_number"].to_list() == [2]


def test_blank_lines_keep_numbering(tmp_path: Path) -> None:
    r = read(write(tmp_path, "b.csv", f"{HEADER}\n{ROW}\n\n  \n{ROW.replace('R1', 'R2')}\n\n"))
    assert r.frame["row_number"].to_list() == [1, 4]


def test_tab_separated_txt_and_stripping(tmp_path: Path) -> None:
    lines = [
        HEADER.replace(",", "\t"),
        "  R1 \t s1\t螺纹钢\t\t 上海\t3650\t\t\t元/吨\t\t\t\t\t成交\t2026-11-24",
    ]
    r = read(write(tmp_path, "t.txt", "\n".join(lines)))
    row = r.frame.row(0, named=True)
    assert (row["report_id"], row["source"], row["region"], row["spec"]) == (
        "R1",
        "s1",
        "上海",
        None,
    )


def test_png_renamed_csv(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read(write(tmp_path, "chart.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4))
    assert err.value.reason == "bad_format" and "PNG" in err.value.message


def test_random_binary_garbage(tmp_path: Path) -> None:
    data = random.Random(7).randbytes(4096)
    with pytest.raises(ImportFileError) as err:
        read(write(tmp_path, "noise.csv", data))
    assert err.value.reason in {"bad_encoding", "bad_format", "missing_column"}


def test_zero_byte_file(tmp_path: Path) -> None:
    for name in ("empty.csv", "empty.json", "empty.jsonl"):
        r = read(write(tmp_path, name, b""))
        assert r.frame.height == 0 and r.rejects.height == 0
        assert r.frame.columns == list(IMPORT_COLUMNS)


def test_header_only(tmp_path: Path) -> None:
    r = read(write(tmp_path, "h.csv", HEADER + "\n"))
    assert r.frame.height == 0 and r.rejects.height == 0


def test_oversized_file_refused_before_reading(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Path) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", boom)
    with pytest.raises(ImportFileError) as err:
        read(data_dir / "good.csv", max_bytes=100)
    assert err.value.reason == "file_too_large"
    assert "100" in err.value.message


def test_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read(write(tmp_path, "r.pdf", b"%PDF-1.4"))
    assert err.value.reason == "bad_format"


# ----------------------------------------------------------------------- broken JSON


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read(write(tmp_path, "bad.json", '[\n {"source": "a",\n  "price" 3650}\n]'))
    assert err.value.reason == "bad_format"
    assert "line 3 column 11" in err.value.message and "第3行第11列" in err.value.message


def test_json_must_be_list_of_objects(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError):
        read(write(tmp_path, "obj.json", '{"source": "a"}'))
    rows = [
        json.loads(
            Path(__file__)
            .with_name("data")
            .joinpath("good.jsonl")
            .read_text(encoding="utf-8")
            .splitlines()[0]
        ),
        42,
    ]
    r = read(write(tmp_path, "mixed.json", json.dumps(rows)))
    assert r.frame.height == 1
    assert r.rejects.select("row_number", "reason").rows() == [(2, "bad_format")]


def test_jsonl_bad_line_is_rejected(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "good.jsonl").read_text(encoding="utf-8").splitlines()
    lines.insert(1, '{"source": "x", oops}')
    r = read(write(tmp_path, "b.jsonl", "\n".join(lines)))
    assert r.frame["row_number"].to_list() == [1, 3, 4, 5, 6]
    assert r.rejects.select("row_number", "reason").rows() == [(2, "bad_format")]
    with pytest.raises(ImportFileError):
        read(write(tmp_path, "all_bad.jsonl", "nope\n{also not\n"))


def test_json_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, "m.json", json.dumps([{"source": "a", "product": "rebar"}]))
    with pytest.raises(ImportFileError) as err:
        read(path)
    assert err.value.reason == "missing_column"


# ----------------------------------------------------------------------- row hash, speed


def test_row_hash_is_sha1_of_normalised_values(data_dir: Path) -> None:
    r = read(data_dir / "good.csv")
    row = r.frame.row(0, named=True)
    content = "\x1f".join(row[c] or "" for c in IMPORT_COLUMNS[2:])
    assert row["row_hash"] == hashlib.sha1(content.encode()).hexdigest()
    assert r.frame["row_hash"].n_unique() == r.frame.height
    # an in-memory frame with the same values (missing columns = empty) hashes the same
    single = r.frame.filter(pl.col("low").is_null() & pl.col("high").is_null())
    mem = add_row_hash(single.drop("row_hash", "low", "high"))
    assert mem["row_hash"].to_list() == single["row_hash"].to_list()
    changed = add_row_hash(single.with_columns(pl.lit("3651").alias("price")))
    assert not set(changed["row_hash"]) & set(single["row_hash"])


def test_100k_rows_fast(tmp_path: Path) -> None:
    rng = random.Random(1)
    lines = [HEADER] + [
        f"R{i},s{i % 50},螺纹钢,HRB400E Φ20,上海,{rng.randint(3000, 4000)},,,元/吨,含税,过磅,"
        f'出库,{rng.randint(1, 900)},成交,"2026-11-24"'
        for i in range(100_000)
    ]
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    t0 = time.perf_counter()
    r = read(path, max_bytes=100 * MB)
    elapsed = time.perf_counter() - t0
    assert r.frame.height == 100_000 and r.rejects.height == 0
    assert r.frame["row_number"][-1] == 100_000 and r.frame["time"][0] == "2026-11-24"
    assert elapsed < 3.0, f"100k rows took {elapsed:.2f}s"


def test_edge_whitespace_is_stripped_in_any_column(tmp_path: Path) -> None:
    # Full-width and no-break spaces count as whitespace, as str.strip() has it.
    padded = ROW.replace("R1", "\u3000R1\u00a0", 1)
    r = read(write(tmp_path, "w.csv", f"{HEADER}\n{padded}\n{ROW.replace('R1', 'R2')}\n"))
    assert r.frame["report_id"].to_list() == ["R1", "R2"]
    assert r.frame.row(0, named=True)["source"] == r.frame.row(1, named=True)["source"]
