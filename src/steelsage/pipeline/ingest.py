"""Stage 3, collection and ingestion: read a price-report file into the import frame.

Formats: CSV/TXT (comma, tab, semicolon or pipe separated), Excel (xlsx/xls via
calamine), JSON (an array of objects or ``{"reports": [...]}``) and JSON Lines. Text is
decoded as UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030. Every value stays
text exactly as received (stripped); typing happens in verification. A file that cannot be
used at all raises :class:`ImportFileError`; a bad row becomes a reject with its row number.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from steelsage.pipeline import reasons

VALUE_COLUMNS: tuple[str, ...] = (
    "report_id",
    "source",
    "product",
    "spec",
    "region",
    "price",
    "low",
    "high",
    "unit",
    "tax_basis",
    "weight_basis",
    "delivery",
    "volume",
    "data_type",
    "time",
)
IMPORT_COLUMNS: tuple[str, ...] = ("row_number", "row_hash", *VALUE_COLUMNS)
IMPORT_SCHEMA: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    **{c: pl.Utf8() for c in ("row_hash", *VALUE_COLUMNS)},
}
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "field": pl.Utf8(),
    "reason": pl.Utf8(),
    "message": pl.Utf8(),
    "raw": pl.Utf8(),
}
REQUIRED_COLUMNS: tuple[str, ...] = ("source", "product", "region", "unit", "data_type", "time")

# The Chinese header shown to people for each canonical column.
COLUMN_ZH: dict[str, str] = {
    "report_id": "来源单号",
    "source": "来源",
    "product": "品种",
    "spec": "规格",
    "region": "地区",
    "price": "价格",
    "low": "最低价",
    "high": "最高价",
    "unit": "单位",
    "tax_basis": "含税",
    "weight_basis": "计重方式",
    "delivery": "交货方式",
    "volume": "数量(吨)",
    "data_type": "类型",
    "time": "时间",
}

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "report_id": ("report_id", "id", "ref", "reference", "来源单号", "单号", "报价单号", "编号"),
    "source": ("source", "source_code", "来源", "报价来源", "来源代码"),
    "product": ("product", "product_code", "品种", "品名", "产品"),
    "spec": ("spec", "specs", "specification", "规格", "规格型号", "材质规格"),
    "region": ("region", "region_code", "city", "market", "地区", "城市", "区域", "市场"),
    "price": ("price", "value", "价格", "报价", "单价"),
    "low": ("low", "price_low", "min", "最低价", "低价"),
    "high": ("high", "price_high", "max", "最高价", "高价"),
    "unit": ("unit", "单位", "计价单位", "价格单位"),
    "tax_basis": ("tax_basis", "tax", "vat", "含税", "税", "含税方式", "是否含税"),
    "weight_basis": ("weight_basis", "weighing", "计重方式", "计重", "计量方式"),
    "delivery": ("delivery", "delivery_term", "incoterm", "交货方式", "交货", "交货条款"),
    "volume": ("volume", "volume_t", "qty", "quantity", "tonnage", "数量", "成交量", "吨数"),
    "data_type": ("data_type", "type", "price_type", "类型", "数据类型", "价格类型", "报价类型"),
    "time": ("time", "date", "datetime", "timestamp", "report_time", "时间", "日期", "报价时间"),
}

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP/XLSX"),
    (b"\xd0\xcf\x11\xe0", "OLE/XLS"),
    (b"\x1f\x8b", "GZIP"),
    (b"7z\xbc\xaf", "7Z"),
    (b"Rar!", "RAR"),
)
_REPORT_SHEETS = ("reports", "报价")
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
# Bytes that occur in UTF-8 / GB18030 text; anything else is a control byte.
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100)) + b"\t\n\r"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_SEPARATORS = (",", "\t", ";", "|")
MAX_ROW_CHARS = 8192  # docs/import-format.md: longer rows are `row_too_long`
_MAX_QUOTED_LINES = 50  # a quoted field may span lines; beyond this the quote is unbalanced
_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


class ImportFileError(Exception):
    """A whole file that cannot be imported. ``reason`` is a reject code."""

    def __init__(
        self, file: str | Path, reason: str, message: str, *, columns: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.file = str(file)
        self.reason = reason
        self.message = message
        self.columns = columns or []  # for missing_column: every missing canonical column


@dataclass
class FileRead:
    frame: pl.DataFrame  # IMPORT_COLUMNS (no batch_id)
    rejects: pl.DataFrame  # REJECT_SCHEMA
    format: str
    encoding: str | None
    sha256: str
    size_bytes: int
    ignored_columns: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


def canonical_column(header: str) -> str | None:
    """The canonical import column for a header cell (English/Chinese, any case/spacing)."""
    key = _norm_header(header)
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    bare = re.sub(r"\(.*\)$", "", key)  # "数量(吨)", "价格(元/吨)"
    return _ALIAS_INDEX.get(bare)


def read_reports(path: Path, *, max_bytes: int, encoding: str | None = None) -> FileRead:
    """Read one report file into the import frame; see the module docstring.

    ``encoding`` forces a text encoding (else it is detected). Raises ImportFileError for
    a file that is too large, undecodable, unparseable or missing a required column.
    """
    path = Path(path)
    name = path.name
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(
            name,
            "bad_format",
            f"{name}：不支持的文件类型 '{path.suffix}'，请使用 CSV、Excel、JSON 或 JSONL"
            f" / {name}: unsupported file type '{path.suffix}'; use CSV, Excel, JSON or JSONL",
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportFileError(
            name,
            "file_too_large",
            f"{name}：文件大小 {size} 字节超过上限 {max_bytes} 字节，请拆分后再导入"
            f" / {name}: {size} bytes is over the {max_bytes}-byte limit; split the file",
        )
    data = path.read_bytes()
    # The file digest runs beside the parsing (hashlib releases the GIL on large inputs).
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest_job = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        frame, rejects, enc, ignored = _parse(name, fmt, path, data, encoding)
        digest = digest_job.result()
    counters = {
        "rows": frame.height,
        "rejected": rejects.height,
        "ignored_columns": len(ignored),
    }
    return FileRead(frame, rejects, fmt, enc, digest, size, ignored, counters)


def _parse(
    name: str, fmt: str, path: Path, data: bytes, encoding: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, str | None, list[str]]:
    """(import frame, rejects, encoding, ignored columns) of one file's bytes."""
    if fmt in ("xlsx", "xls"):
        rows, ignored = _map_excel(name, _read_excel(path, data))
        rejects, enc = _empty_rejects(), None
    elif fmt == "csv":
        _refuse_binary(name, data)
        rows, rejects, ignored, enc = _read_csv(name, data, encoding)
    else:
        _refuse_binary(name, data)
        text, enc, bad_lines = _decode(name, data, encoding)
        if bad_lines and fmt == "json":
            raise ImportFileError(
                name,
                "bad_encoding",
                f"{name}：第{bad_lines[0] + 1}行无法按 UTF-8 或 GBK 解码"
                f" / {name}: line {bad_lines[0] + 1} is neither UTF-8 nor GBK",
            )
        rows, rejects, ignored = _read_json(name, text, lines=fmt == "jsonl")
        if bad_lines:
            rejects = _add_encoding_rejects(rejects, data, bad_lines, csv_numbering=False)
    return _finish(rows), rejects, enc, ignored


# --------------------------------------------------------------------------- headers


def _norm_header(header: str) -> str:
    h = header.replace("\ufeff", "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-.]+", "", h)


_ALIAS_INDEX: dict[str, str] = {
    _norm_header(alias): canon for canon, aliases in _HEADER_ALIASES.items() for alias in aliases
}


def _map_header(file: str, header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index → canonical name; raises for a missing required column."""
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for i, cell in enumerate(header):
        canon = canonical_column(cell or "")
        if canon is None or canon in mapping.values():
            if (cell or "").strip():
                ignored.append(cell.strip())
            continue
        mapping[i] = canon
    present = set(mapping.values())
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if "price" not in present and not {"low", "high"} <= present:
        missing.append("price")
    if missing:
        col = missing[0]
        expected = ", ".join(f"{c}({COLUMN_ZH[c]})" for c in (*REQUIRED_COLUMNS, "price"))
        raise ImportFileError(
            file,
            "missing_column",
            f"{file}：缺少列 '{col}'（{COLUMN_ZH[col]}）——表头应包含 {expected}"
            f"（价格也可用 最低价+最高价） / {file}: missing column '{col}' ({COLUMN_ZH[col]})"
            f" — expected header {expected} (or low+high instead of price); found "
            f"{[h for h in header if h]}",
            columns=missing,
        )
    return mapping, ignored


# --------------------------------------------------------------------------- decoding


def _refuse_binary(file: str, data: bytes) -> None:
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            raise ImportFileError(
                file,
                "bad_format",
                f"{file}：这是 {kind} 二进制文件，不是文本报价文件"
                f" / {file}: this is a {kind} binary file, not a text report file",
            )


def _decode(file: str, data: bytes, declared: str | None) -> tuple[str, str, list[int]]:
    """(text, encoding, undecodable line numbers). Lines that decode in neither UTF-8 nor
    GB18030 are blanked (numbering kept) and reported, so one bad row does not sink a file."""
    if declared:
        try:
            return data.decode(declared), declared, []
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError(
                file,
                "bad_encoding",
                f"{file}：按指定编码 {declared} 无法解码（{exc}），请不指定编码以自动识别"
                f" / {file}: cannot be decoded as {declared} ({exc}); omit the encoding"
                " to detect it",
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            pass
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        name = "utf-8" if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf") else enc
        return text, name, []
    return _decode_lines(file, data)


def _decode_lines(file: str, data: bytes) -> tuple[str, str, list[int]]:
    out: list[str] = []
    bad: list[int] = []
    for no, raw in enumerate(data.split(b"\n")):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                out.append(raw.decode(enc))
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("")
            bad.append(no)
    n_lines = sum(1 for line in data.split(b"\n") if line.strip())
    if 0 in bad or len(bad) >= n_lines - 1:
        raise ImportFileError(
            file,
            "bad_encoding",
            f"{file}：无法识别文本编码（UTF-8 与 GBK/GB18030 均无法解码），请另存为 UTF-8"
            f" / {file}: the text is neither UTF-8 nor GBK/GB18030; save it as UTF-8",
        )
    return "\n".join(out), "mixed", bad


def _refuse_garbage(file: str, data: bytes) -> None:
    sample = data[:4096]
    if sample and len(sample.translate(None, _TEXT_BYTES)) > 0.1 * len(sample):
        raise ImportFileError(
            file,
            "bad_format",
            f"{file}：内容是二进制数据，不是文本报价文件"
            f" / {file}: the content is binary data, not a text report file",
        )


# --------------------------------------------------------------------------- CSV


def _read_csv(
    file: str, data: bytes, declared: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], str]:
    """(rows, rejects, ignored columns, encoding). Clean files take the Polars fast path;
    ragged, badly quoted or partly undecodable ones are parsed line by line."""
    if not data.strip():
        return _empty_rows(), _empty_rejects(), [], "utf-8"
    utf8, enc, bad_lines, lines = _csv_utf8(file, data, declared)
    _refuse_garbage(file, utf8)
    if lines is None and not bad_lines and not _has_control(utf8):
        lines = _polars_lines(utf8)
    if lines is None:
        text_lines = [ln.removesuffix("\r") for ln in utf8.decode("utf-8").split("\n")]
        header_line = text_lines[0]
    else:
        lines = lines.fill_null("")
        if b"\r" in utf8:  # CRLF line ends (stripping copies every line)
            lines = lines.str.strip_suffix("\r")
        header_line = lines[0]
    sep = max(_SEPARATORS, key=header_line.count)
    header = next(csv.reader([header_line], delimiter=sep))
    mapping, ignored = _map_header(file, header)
    blank = None
    if lines is not None:
        body = pl.DataFrame({"line": lines.slice(1)})
        blank = body.select(pl.col("line").str.contains(r"^\s*$")).to_series()
    if blank is not None and blank.all():
        return _empty_rows(), _empty_rejects(), ignored, enc  # header only
    if lines is not None and _fast_path_ok(lines, sep, len(header), blank):
        return _csv_fast(utf8, sep, header, mapping), _empty_rejects(), ignored, enc
    if lines is not None:
        text_lines = lines.to_list()
    rows, rejects = _csv_slow(text_lines, sep, header, mapping)
    if bad_lines:
        rejects = _add_encoding_rejects(rejects, data, bad_lines, csv_numbering=True)
    return rows, rejects, ignored, enc


def _csv_utf8(
    file: str, data: bytes, declared: str | None
) -> tuple[bytes, str, list[int], pl.Series | None]:
    """(UTF-8 bytes without BOM, encoding, undecodable line numbers, lines if read).

    UTF-8 is validated by Polars while it splits the lines (no Python decode on the fast
    path); anything else goes through :func:`_decode`.
    """
    plain_utf8 = declared is None and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if plain_utf8 and not _has_control(data):
        bom = data.startswith(b"\xef\xbb\xbf")
        body = data[3:] if bom else data
        lines = _polars_lines(body)
        if lines is not None:
            return body, "utf-8-sig" if bom else "utf-8", [], lines
    text, enc, bad_lines = _decode(file, data, declared)
    return text.lstrip("\ufeff").encode("utf-8"), enc, bad_lines, None


def _polars_lines(data: bytes) -> pl.Series | None:
    """The physical lines (blank lines kept as null), or None when not valid UTF-8."""
    try:
        return pl.read_csv(
            data,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            new_columns=["line"],
            infer_schema=False,
            truncate_ragged_lines=True,
        ).to_series()
    except pl.exceptions.ComputeError:
        return None


def _has_control(data: bytes) -> bool:
    return bool(data.translate(None, _TEXT_BYTES))


def _fast_path_ok(lines: pl.Series, sep: str, width: int, blank: pl.Series) -> bool:
    """True when every non-blank line has ``width`` fields and quotes are balanced per line.

    ``blank`` marks the whitespace-only lines of ``lines[1:]``. The checks are frame
    expressions, which run on the thread pool (Series string methods use one core).
    """
    body = pl.DataFrame({"line": lines.slice(1)})
    line = pl.col("line")
    if body.select((line.str.len_chars() > MAX_ROW_CHARS).any()).item():
        return False
    quotes = body.select(line.str.count_matches('"', literal=True)).to_series()
    if (quotes % 2 == 1).any():
        return False
    if (quotes > 0).any():  # separators inside quoted fields do not count
        line = line.str.replace_all(r'"(?:[^"]|"")*"', "")
    counts = body.select(line.str.count_matches(re.escape(sep)) + 1).to_series()
    return bool(((counts == width) | blank).all())


def _csv_fast(data: bytes, sep: str, header: list[str], mapping: dict[int, str]) -> pl.DataFrame:
    raw_names = [f"c{i}" for i in range(len(header))]
    df = pl.read_csv(
        data,
        separator=sep,
        has_header=False,
        skip_rows=1,
        new_columns=raw_names,
        infer_schema=False,
    )
    df = df.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))
    df = df.select("row_number", *(pl.col(raw_names[i]).alias(c) for i, c in mapping.items()))
    return df


def _csv_slow(
    lines: list[str], sep: str, header: list[str], mapping: dict[int, str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Row-by-row parse that survives ragged rows, stray quotes and control bytes."""
    width = len(header)
    cols: dict[str, list[Any]] = {c: [] for c in ("row_number", *mapping.values())}
    rejects: list[dict[str, Any]] = []
    i = 1
    while i < len(lines):
        row_no, line = i, lines[i]
        nxt = i + 1
        if not line.strip():
            i = nxt
            continue
        if line.count('"') % 2 == 1:
            joined = _join_quoted(lines, i, sep, width)
            if joined is None:
                rejects.append(
                    _reject(
                        row_no,
                        None,
                        "bad_format",
                        {"_line": line},
                        "未闭合的引号",
                        "unbalanced quote",
                    )
                )
                i = nxt
                continue
            line, nxt = joined
        i = nxt
        if len(line) > MAX_ROW_CHARS:
            rejects.append(
                _reject(
                    row_no,
                    None,
                    "row_too_long",
                    {"_line": line[:200] + "…"},
                    f"{len(line)} 个字符，上限 {MAX_ROW_CHARS}",
                    f"{len(line)} characters, limit {MAX_ROW_CHARS}",
                )
            )
            continue
        if _CONTROL.search(line):
            rejects.append(
                _reject(
                    row_no, None, "bad_encoding", {"_line": line}, "含控制字符", "control bytes"
                )
            )
            continue
        try:
            fields = next(csv.reader([line], delimiter=sep, strict=True))
        except csv.Error as exc:
            rejects.append(_reject(row_no, None, "bad_format", {"_line": line}, str(exc), str(exc)))
            continue
        raw = dict(zip(header, fields, strict=False))
        if len(fields) > width:
            raw["_extra"] = fields[width:]
            rejects.append(
                _reject(
                    row_no,
                    None,
                    "row_too_long",
                    raw,
                    f"{len(fields)} 个字段，表头 {width} 个",
                    f"{len(fields)} fields, header has {width}",
                )
            )
            continue
        if len(fields) < width:
            first_missing = header[len(fields)]
            rejects.append(
                _reject(
                    row_no,
                    first_missing,
                    "missing_field",
                    raw,
                    f"只有 {len(fields)} 个字段，表头 {width} 个",
                    f"only {len(fields)} fields, header has {width}",
                )
            )
            continue
        cols["row_number"].append(row_no)
        for idx, canon in mapping.items():
            cols[canon].append(fields[idx])
    frame = pl.DataFrame(cols, schema={c: IMPORT_SCHEMA[c] for c in cols})
    return frame, _rejects_frame(rejects)


def _join_quoted(lines: list[str], i: int, sep: str, width: int) -> tuple[str, int] | None:
    """A quoted field spanning lines: (record text, next line index), or None if unbalanced.

    Lines are joined only while that yields one clean record of ``width`` fields, so a stray
    quote costs its own row and never swallows the rows after it.
    """
    buf, j = lines[i], i + 1
    while j < len(lines) and j - i < _MAX_QUOTED_LINES and buf.count('"') % 2 == 1:
        buf, j = buf + "\n" + lines[j], j + 1
    if buf.count('"') % 2 == 1 or _CONTROL.search(buf):
        return None
    try:
        fields = next(csv.reader([buf], delimiter=sep, strict=True))
    except csv.Error:
        return None
    return (buf, j) if len(fields) == width else None


# --------------------------------------------------------------------------- Excel


def _read_excel(path: Path, data: bytes) -> pl.DataFrame:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
        pick = next((n for n in names if n.strip().lower() in _REPORT_SHEETS), 0)
        sheet = reader.load_sheet(pick, header_row=None, dtypes="string")
        return sheet.to_polars()
    except Exception as exc:  # fastexcel raises its own error hierarchy
        raise ImportFileError(
            path.name,
            "bad_format",
            f"{path.name}：无法读取 Excel 文件（{exc}）"
            f" / {path.name}: cannot read the Excel file ({exc})",
        ) from None


def _map_excel(file: str, grid: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """First row is the header; row_number counts data rows from 1 (sheet row − 1)."""
    if grid.height == 0:
        return _empty_rows(), []
    header = [str(v) if v is not None else "" for v in grid.row(0)]
    mapping, ignored = _map_header(file, header)
    body = grid.slice(1).with_row_index("row_number", offset=1)
    names = grid.columns
    # A date cell renders as "2026-11-24 00:00:00"; keep just the date so the row reads (and
    # hashes) like the same row typed into a CSV file.
    out = body.select(
        pl.col("row_number").cast(pl.Int64),
        *(
            pl.col(names[i]).cast(pl.Utf8).str.replace(_MIDNIGHT, "$1").alias(c)
            for i, c in mapping.items()
        ),
    )
    return out, ignored


# --------------------------------------------------------------------------- JSON


def _read_json(
    file: str, text: str, *, lines: bool
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    rejects: list[dict[str, Any]] = []
    items: list[tuple[int, Any]] = []
    if lines:
        for no, line in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append((no, json.loads(line)))
            except json.JSONDecodeError as exc:
                rejects.append(
                    _reject(
                        no,
                        None,
                        "bad_format",
                        {"_line": line},
                        f"JSON 格式错误：{exc.msg}，第{exc.colno}列",
                        f"invalid JSON: {exc.msg} at column {exc.colno}",
                    )
                )
        if rejects and not items:
            raise ImportFileError(
                file,
                "bad_format",
                f"{file}：没有一行是有效的 JSON / {file}: no line is valid JSON",
            )
    else:
        body = text.lstrip("\ufeff")
        if not body.strip():
            return _empty_rows(), _empty_rejects(), []
        try:
            doc = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                file,
                "bad_format",
                f"{file}：第{exc.lineno}行第{exc.colno}列 JSON 格式错误：{exc.msg}"
                f" / {file}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            ) from None
        if isinstance(doc, dict) and isinstance(doc.get("reports"), list):
            doc = doc["reports"]
        if not isinstance(doc, list):
            raise ImportFileError(
                file,
                "bad_format",
                f'{file}：应为报价对象数组或 {{"reports": [...]}}'
                f' / {file}: expected an array of report objects or {{"reports": [...]}}',
            )
        items = list(enumerate(doc, start=1))
    keys: dict[str, None] = {}
    for _, obj in items:
        if isinstance(obj, dict):
            keys.update(dict.fromkeys(obj))
    header = list(keys)
    if not items:
        return _empty_rows(), _rejects_frame(rejects), []
    mapping, ignored = _map_header(file, header)
    key_of = {canon: header[i] for i, canon in mapping.items()}
    cols: dict[str, list[Any]] = {c: [] for c in ("row_number", *key_of)}
    for no, obj in items:
        if not isinstance(obj, dict):
            rejects.append(
                _reject(
                    no,
                    None,
                    "bad_format",
                    {"_value": obj},
                    "不是 JSON 对象",
                    "is not a JSON object",
                )
            )
            continue
        cols["row_number"].append(no)
        for canon, key in key_of.items():
            cols[canon].append(_json_text(obj.get(key)))
    frame = pl.DataFrame(cols, schema={c: IMPORT_SCHEMA[c] for c in cols})
    return frame, _rejects_frame(rejects), ignored


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --------------------------------------------------------------------------- common


def _finish(rows: pl.DataFrame) -> pl.DataFrame:
    """Strip values, empty → null, drop blank rows, add missing columns and the row hash."""
    present = [c for c in VALUE_COLUMNS if c in rows.columns]
    # Stripping copies every value; a column with no edge whitespace keeps its values
    # (``\s`` and strip_chars() agree on every code point: Unicode White_Space).
    edges = [pl.col(c).str.contains(r"^\s|\s$").any().alias(c) for c in present]
    padded = rows.select(edges).row(0, named=True) if present else {}
    frame = rows.with_columns(
        [
            (pl.col(c).str.strip_chars() if padded[c] else pl.col(c)).replace("", None)
            for c in present
        ]
        + [pl.lit(None, dtype=pl.Utf8).alias(c) for c in VALUE_COLUMNS if c not in present]
    )
    frame = frame.filter(~pl.all_horizontal(pl.col(list(VALUE_COLUMNS)).is_null()))
    return add_row_hash(frame).select(IMPORT_COLUMNS).cast(IMPORT_SCHEMA)


_HASH_SLICE = 100_000


def add_row_hash(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``row_hash``: sha1 hex of the value columns (null → '') joined with U+001F.

    Columns of :data:`VALUE_COLUMNS` absent from ``frame`` count as empty, so an in-memory
    frame hashes like the same rows read from a file.
    """
    parts = [
        pl.col(c).cast(pl.Utf8).fill_null("") if c in frame.columns else pl.lit("")
        for c in VALUE_COLUMNS
    ]
    joined = frame.select(pl.concat_str(parts, separator="\x1f").cast(pl.Binary)).to_series()
    # In slices, so a million rows never exist as Python objects at once.
    hashes = [
        pl.Series(
            [hashlib.sha1(v).hexdigest() for v in joined.slice(i, _HASH_SLICE).to_list()],
            dtype=pl.Utf8,
        )
        for i in range(0, max(joined.len(), 1), _HASH_SLICE)
    ]
    return frame.with_columns(pl.concat(hashes).alias("row_hash"))


def _add_encoding_rejects(
    rejects: pl.DataFrame, data: bytes, bad_lines: list[int], *, csv_numbering: bool
) -> pl.DataFrame:
    raw_lines = data.split(b"\n")
    rows = []
    for idx in bad_lines:
        row_no = idx if csv_numbering else idx + 1  # CSV: header is line 0; JSONL: 1-based
        shown = raw_lines[idx].rstrip(b"\r").decode("utf-8", errors="backslashreplace")
        rows.append(
            _reject(
                row_no,
                None,
                "bad_encoding",
                {"_line": shown},
                "UTF-8 与 GBK 均无法解码",
                "neither UTF-8 nor GBK",
            )
        )
    return pl.concat([rejects, _rejects_frame(rows)]).sort("row_number")


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=IMPORT_SCHEMA)


def _empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_SCHEMA)


def _reject(
    row: int, field_name: str | None, code: str, raw: dict[str, Any], zh: str, en: str
) -> dict[str, Any]:
    return {
        "row_number": row,
        "field": field_name,
        "reason": code,
        "message": reasons.message(code, row=row, field=field_name, detail_zh=zh, detail_en=en),
        "raw": json.dumps(raw, ensure_ascii=False, default=str),
    }


def _rejects_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=REJECT_SCHEMA) if rows else _empty_rejects()
