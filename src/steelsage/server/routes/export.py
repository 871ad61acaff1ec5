"""DOCX export of one answer or a whole conversation: ``POST /export/docx``.

The browser sends back the Answer JSON it received (text, values, sources); the server lays it
out with python-docx so a user can file or forward it. Only what the caller sent is written —
nothing is looked up again — so the export cannot show numbers the caller was not given.
Input sizes are capped: the document is built in memory.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from steelsage.server.deps import CurrentUser

router = APIRouter(tags=["export"])

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TURNS = 50
EAST_ASIA_FONT = "SimSun"  # 宋体; Word falls back to another CJK font when it is missing
LATIN_FONT = "Calibri"


class ExportValue(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str = Field(max_length=200)
    value: float
    unit: str | None = Field(default=None, max_length=50)
    kind: str | None = Field(default=None, max_length=30)
    series_code: str | None = Field(default=None, max_length=200)
    date: dt.date | None = None
    start: dt.date | None = None
    decimals: int = Field(default=2, ge=0, le=8)


class ExportSource(BaseModel):
    model_config = ConfigDict(extra="ignore")

    series_code: str = Field(max_length=200)
    name: str = Field(default="", max_length=300)
    unit: str | None = Field(default=None, max_length=50)
    start: dt.date | None = None
    end: dt.date | None = None
    method: str | None = Field(default=None, max_length=300)
    version: int | None = None
    published_at: dt.datetime | None = None
    source: str | None = Field(default=None, max_length=300)
    licence: str | None = Field(default=None, max_length=300)


class ExportAnswer(BaseModel):
    """The parts of an :class:`~steelsage.assistant.Answer` a document shows (chart and
    trace are ignored)."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=20_000)
    language: str = Field(default="zh", max_length=5)
    values: list[ExportValue] = Field(default_factory=list, max_length=500)
    sources: list[ExportSource] = Field(default_factory=list, max_length=100)
    verified: bool = False
    assumptions: list[str] = Field(default_factory=list, max_length=20)


class ExportTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str = Field(max_length=2_000)
    answer: ExportAnswer


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str | None = Field(default=None, max_length=200)
    lang: str | None = Field(default=None, pattern="^(zh|en)$")
    turns: list[ExportTurn] = Field(min_length=1, max_length=MAX_TURNS)


@router.post(
    "/export/docx",
    response_class=Response,
    responses={200: {"content": {DOCX_MEDIA_TYPE: {}}, "description": "a .docx file"}},
)
def export_docx(body: ExportRequest, user: CurrentUser) -> Response:
    """One answer or a conversation as a Word document (download)."""
    body = ExportRequest.model_validate(_clean_tree(body.model_dump()))
    lang = body.lang or (body.turns[0].answer.language if body.turns else "zh")
    lang = "en" if lang == "en" else "zh"
    title = body.title or _DEFAULT_TITLE[lang]
    author = getattr(user, "display_name", None) or getattr(user, "username", "")
    data = build_docx(body.turns, title=title, lang=lang, author=str(author or ""))
    filename = safe_filename(title)
    return Response(
        content=data,
        media_type=DOCX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_DEFAULT_TITLE = {"zh": "钢铁智询 问答记录", "en": "steelsage conversation"}
_LABELS = {
    "zh": {
        "question": "问",
        "answer": "答",
        "values": "数据",
        "sources": "来源",
        "label": "项目",
        "value": "数值",
        "unit": "单位",
        "date": "日期",
        "series": "指标代码",
        "name": "名称",
        "version": "版本",
        "method": "方法",
        "dates": "日期范围",
        "verified": "已核验：文中每个数字均可追溯到数据",
        "unverified": "未核验",
        "assumptions": "假设",
        "generated": "生成时间",
    },
    "en": {
        "question": "Q",
        "answer": "A",
        "values": "Values",
        "sources": "Sources",
        "label": "Item",
        "value": "Value",
        "unit": "Unit",
        "date": "Date",
        "series": "Series",
        "name": "Name",
        "version": "Version",
        "method": "Method",
        "dates": "Dates",
        "verified": "Verified: every number in the text traces to data",
        "unverified": "Not verified",
        "assumptions": "Assumptions",
        "generated": "Generated",
    },
}


def safe_filename(title: str, suffix: str = ".docx") -> str:
    """An ASCII file name from a title: no path parts, quotes or control characters."""
    stem = re.sub(r"[^A-Za-z0-9_]+", "-", title).strip("-_")[:60].strip("-_")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    return f"steelsage-{stem + '-' if stem else ''}{stamp}{suffix}"


def build_docx(turns: list[ExportTurn], *, title: str, lang: str = "zh", author: str = "") -> bytes:
    """The document as bytes: a title, then per turn the question, the answer text, a table
    of values and a table of sources."""
    from docx import Document
    from docx.shared import Pt

    labels = _LABELS["en" if lang == "en" else "zh"]
    doc = Document()
    _set_fonts(doc)
    doc.core_properties.title = title
    doc.core_properties.author = author[:100]
    doc.add_heading(title, level=0)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    doc.add_paragraph(f"{labels['generated']}: {stamp}").runs[0].font.size = Pt(9)

    for index, turn in enumerate(turns, start=1):
        doc.add_heading(f"{index}. {labels['question']}: {_clean(turn.question)}", level=2)
        answer = turn.answer
        for line in _clean(answer.text).replace("`", "").splitlines():
            if line.strip():
                doc.add_paragraph(line)
        badge = labels["verified"] if answer.verified else labels["unverified"]
        doc.add_paragraph(("✓ " if answer.verified else "") + badge).runs[0].italic = True
        if answer.assumptions:
            doc.add_paragraph(
                f"{labels['assumptions']}: " + "; ".join(_clean(a) for a in answer.assumptions)
            )
        if answer.values:
            names = {s.series_code: _clean(s.name) for s in answer.sources if s.name}
            doc.add_heading(labels["values"], level=3)
            rows = [
                [
                    _value_label(v, names, lang),
                    _format_number(v),
                    _unit(v.unit, lang),
                    _date_span(v.start, v.date),
                ]
                for v in answer.values
            ]
            _table(doc, [labels["label"], labels["value"], labels["unit"], labels["date"]], rows)
        if answer.sources:
            doc.add_heading(labels["sources"], level=3)
            rows = [
                [
                    s.series_code,
                    _clean(s.name),
                    "" if s.version is None else str(s.version),
                    _clean(s.method or s.source or ""),
                    _date_span(s.start, s.end),
                ]
                for s in answer.sources
            ]
            heads = [
                labels["series"],
                labels["name"],
                labels["version"],
                labels["method"],
                labels["dates"],
            ]
            _table(doc, heads, rows)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _set_fonts(doc: Any) -> None:
    """Latin and East-Asian font on the styles used, so Chinese renders in Word and WPS."""
    from docx.oxml.ns import qn

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Table Grid"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        style.font.name = LATIN_FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)


def _table(doc: Any, heads: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    for cell, head in zip(table.rows[0].cells, heads, strict=True):
        cell.text = _clean(head)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = _clean(text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _clean_tree(value: Any) -> Any:
    """Every string in a JSON-like tree cleaned for Word (control characters cannot be stored)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {k: _clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_tree(v) for v in value]
    return value


def _clean(text: str) -> str:
    """Text Word accepts: XML-illegal control characters removed."""
    return _CONTROL.sub("", text)


_KINDS = {
    "price": ("价格", "price"),
    "value": ("数值", "value"),
    "change": ("涨跌", "change"),
    "pct_change": ("涨跌幅", "% change"),
    "average": ("均值", "average"),
    "high": ("最高", "high"),
    "low": ("最低", "low"),
    "median": ("中位数", "median"),
    "stdev": ("标准差", "std. dev."),
    "spread": ("价差", "spread"),
    "ratio": ("比值", "ratio"),
    "count": ("个数", "count"),
}


def _value_label(value: ExportValue, names: dict[str, str], lang: str) -> str:
    """'上海 螺纹钢 均值' rather than 'rebar.shanghai:average' when the source is known."""
    name = names.get(value.series_code or "")
    kind = _KINDS.get(value.kind or "")
    if name and kind:
        return f"{name} {kind[1] if lang == 'en' else kind[0]}"
    return _clean(value.label)


def _format_number(value: ExportValue) -> str:
    decimals = min(max(value.decimals, 0), 8)
    return f"{value.value:,.{decimals}f}"


def _unit(code: str | None, lang: str) -> str:
    if not code:
        return ""
    from steelsage.catalog import load_catalog

    unit = load_catalog().units.get(code)
    if unit is None:
        return _clean(code)
    return unit.name_en if lang == "en" else unit.name_zh


def _date_span(start: dt.date | None, end: dt.date | None) -> str:
    if start and end and start != end:
        return f"{start.isoformat()} ~ {end.isoformat()}"
    day = end or start
    return day.isoformat() if day else ""
