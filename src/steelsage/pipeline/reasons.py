"""Reason-code registry: every machine-readable reject/flag code with its zh and en text.

Codes are stable identifiers stored in the database; the texts are what people read.
``zh``/``en`` are phrased so they read both alone and after a quoted value
("'abc' 不是数字" / "'abc' is not a number").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

Kind = Literal["reject", "flag"]


@dataclass(frozen=True)
class Reason:
    code: str
    kind: Kind
    zh: str
    en: str


def _r(code: str, kind: Kind, zh: str, en: str) -> Reason:
    return Reason(code, kind, zh, en)


_ALL: tuple[Reason, ...] = (
    # --- rejects: the row (or file) cannot be used at all -------------------------------
    _r("missing_column", "reject", "缺少必需的列", "is a required column that is missing"),
    _r(
        "missing_field",
        "reject",
        "必填字段为空或取值无法识别",
        "is a required field that is empty or not recognised",
    ),
    _r("bad_number", "reject", "不是数字", "is not a number"),
    _r("bad_date", "reject", "不是可识别的日期", "is not a recognisable date"),
    _r("unknown_product", "reject", "不是已知品种", "is not a known product"),
    _r("unknown_region", "reject", "不是已知地区", "is not a known region"),
    _r(
        "unknown_source",
        "reject",
        "不是样本库中的有效来源",
        "is not an active source in the sample library",
    ),
    _r("unknown_unit", "reject", "不是已知计价单位", "is not a known price unit"),
    _r("non_positive", "reject", "不是正数", "is not a positive number"),
    _r("low_gt_high", "reject", "最低价高于最高价", "has a low price above the high price"),
    _r(
        "duplicate",
        "reject",
        "与本批次或已导入的报价重复",
        "duplicates a report already in this batch or imported before",
    ),
    _r("future_date", "reject", "是未来日期", "is a date in the future"),
    _r(
        "not_assessed",
        "reject",
        "该品种在该地区没有评估序列",
        "is a product and region pair we do not assess",
    ),
    _r(
        "unit_mismatch",
        "reject",
        "无法换算到该评估的计价单位",
        "is a unit that cannot be converted to the assessment's unit",
    ),
    _r(
        "delivery_mismatch",
        "reject",
        "无法换算到该评估的交货方式（不同市场）",
        "is a delivery term with no spread to the assessment's term (another market)",
    ),
    _r(
        "missing_fx",
        "reject",
        "该日期之前没有可用汇率",
        "has no exchange rate on or before its date",
    ),
    _r(
        "bad_encoding",
        "reject",
        "含有无法识别的编码或二进制字符（请另存为 UTF-8 或 GBK）",
        "contains undecodable text or binary bytes (save it as UTF-8 or GBK)",
    ),
    _r(
        "row_too_long",
        "reject",
        "字段数多于表头或行过长",
        "has more fields than the header or is too long",
    ),
    _r("file_too_large", "reject", "文件超过大小上限", "is larger than the size limit"),
    _r("missing_file", "reject", "文件不存在或不是普通文件", "does not exist or is not a file"),
    _r(
        "internal_error",
        "reject",
        "导入中途出错，未写入任何数据",
        "failed halfway through; nothing was stored",
    ),
    _r("bad_format", "reject", "格式无法解析", "cannot be parsed"),
    # sample library (stage 2)
    _r("duplicate_source", "reject", "来源代码重复", "is a source code listed more than once"),
    _r(
        "bad_source_type",
        "reject",
        "来源类型无效（应为 mill/trader/end_user/port_agent/broker/external）",
        "is not a valid source type (mill/trader/end_user/port_agent/broker/external)",
    ),
    _r(
        "bad_source_weight",
        "reject",
        "可信度权重须在 (0, 3] 之间",
        "is a credibility weight outside (0, 3]",
    ),
    _r(
        "unknown_source_region",
        "reject",
        "来源所在地区不在目录中",
        "is a source region not in the catalog",
    ),
    _r(
        "unknown_series", "reject", "覆盖的序列不在目录中", "is a covered series not in the catalog"
    ),
    # --- flags: row kept but excluded from compilation; editors can override --------------
    _r(
        "out_of_range",
        "flag",
        "超出该品种的合理价格区间",
        "is outside the product's plausible range",
    ),
    _r(
        "mad_outlier",
        "flag",
        "偏离当日中位数过远（稳健 z 值 > 3.5）",
        "is too far from the day's median (modified z > 3.5)",
    ),
    _r(
        "hampel_outlier",
        "flag",
        "偏离该来源自身近期报价过远（Hampel 滤波）",
        "is too far from the source's own recent reports (Hampel filter)",
    ),
    _r(
        "jump_vs_own_history",
        "flag",
        "相对该来源上次报价跳变超过 4%，而市场变动不足 1.5%",
        "jumps more than 4% from the source's previous report while the market moved under 1.5%",
    ),
    _r(
        "jump_vs_market",
        "flag",
        "变动方向或幅度与市场明显不符",
        "moves against or far beyond the market",
    ),
    _r(
        "stale_repeat",
        "flag",
        "连续重复同一报价而市场已变动",
        "repeats the same value while the market moved",
    ),
    _r(
        "cross_sectional",
        "flag",
        "扣除地区价差后偏离同区域同品种中位数超过 3%",
        "deviates more than 3% from the same product's regional median after the regional basis",
    ),
    _r(
        "source_drift",
        "flag",
        "该来源报价持续系统性偏离市场",
        "belongs to a source drifting persistently away from the market",
    ),
    _r(
        "isolation_forest",
        "flag",
        "被孤立森林模型判定为异常",
        "is an anomaly according to the isolation forest",
    ),
    _r(
        "vat_basis_suspect",
        "flag",
        "疑似含税口径错误（相差约 13%）",
        "looks like a VAT basis mistake (about 13% off)",
    ),
    _r(
        "region_suspect",
        "flag",
        "疑似地区填写错误（更接近其他地区价格）",
        "looks like a wrong region (closer to another region's price)",
    ),
    _r(
        "editor_rejected",
        "flag",
        "编辑复核后剔除",
        "was excluded by an editor after review",
    ),
    _r(
        "insufficient_sources",
        "flag",
        "有效来源数不足，采用推算值",
        "has too few distinct sources; a fallback value is used",
    ),
    # market survey (stage 1)
    _r(
        "thin_coverage",
        "flag",
        "覆盖该序列的来源偏少（少于最低要求的两倍）",
        "is covered by few sources (under twice the minimum)",
    ),
    _r(
        "uncovered",
        "flag",
        "覆盖该序列的来源少于最低要求",
        "is covered by fewer sources than the minimum",
    ),
)

REASONS: dict[str, Reason] = {r.code: r for r in _ALL}
REJECT_CODES: frozenset[str] = frozenset(r.code for r in _ALL if r.kind == "reject")
FLAG_CODES: frozenset[str] = frozenset(r.code for r in _ALL if r.kind == "flag")


def get(code: str) -> Reason:
    """The registered reason for ``code``; a KeyError names the known codes otherwise."""
    try:
        return REASONS[code]
    except KeyError:
        raise KeyError(
            f"unknown reason code {code!r}; register it in steelsage.pipeline.reasons "
            f"(known: {', '.join(sorted(REASONS))})"
        ) from None


def text(code: str, lang: str = "zh") -> str:
    """The human text of ``code`` in ``lang`` ('zh' or 'en')."""
    r = get(code)
    return r.en if lang == "en" else r.zh


def is_reject(code: str) -> bool:
    return get(code).kind == "reject"


def is_flag(code: str) -> bool:
    return get(code).kind == "flag"


def message(
    code: str,
    *,
    row: int | None = None,
    field: str | None = None,
    value: object = None,
    detail_zh: str | None = None,
    detail_en: str | None = None,
) -> str:
    """Bilingual message, e.g. "第12行 字段 price：'abc' 不是数字 / row 12 field price: ..."."""
    r = get(code)
    zh, en = _prefix_zh(row, field), _prefix_en(row, field)
    shown = "" if value is None else f"'{value}' "
    zh_text = f"{zh}{shown}{r.zh}" + (f"（{detail_zh}）" if detail_zh else "")
    en_text = f"{en}{shown}{r.en}" + (f" ({detail_en})" if detail_en else "")
    return f"{zh_text} / {en_text}"


def message_expr(
    code: str,
    *,
    field: str | None = None,
    value: pl.Expr | None = None,
    row: pl.Expr | None = None,
    detail_zh: pl.Expr | None = None,
    detail_en: pl.Expr | None = None,
) -> pl.Expr:
    """Vectorised :func:`message`: one bilingual message per row of a frame.

    ``row`` defaults to ``pl.col("row_number")`` when the frame has it; pass
    ``pl.lit(None)`` to leave the row out. Nulls in ``value`` print as ''.
    """
    r = get(code)
    row = pl.col("row_number") if row is None else row
    row_s = row.cast(pl.Utf8)
    fld_zh = f"字段 {field}：" if field else ""
    fld_en = f"field {field}: " if field else ""
    zh_pre = (
        pl.when(row_s.is_null())
        .then(pl.lit(fld_zh))
        .otherwise(pl.concat_str(pl.lit("第"), row_s, pl.lit("行 " + fld_zh if field else "行：")))
    )
    en_pre = (
        pl.when(row_s.is_null())
        .then(pl.lit(fld_en))
        .otherwise(pl.concat_str(pl.lit("row "), row_s, pl.lit(" " + fld_en if field else ": ")))
    )
    shown = (
        pl.lit("")
        if value is None
        else pl.concat_str(pl.lit("'"), value.cast(pl.Utf8).fill_null(""), pl.lit("' "))
    )
    zh_det = (
        pl.lit("") if detail_zh is None else pl.concat_str(pl.lit("（"), detail_zh, pl.lit("）"))
    )
    en_det = (
        pl.lit("") if detail_en is None else pl.concat_str(pl.lit(" ("), detail_en, pl.lit(")"))
    )
    return pl.concat_str(
        zh_pre,
        shown,
        pl.lit(r.zh),
        zh_det.fill_null(""),
        pl.lit(" / "),
        en_pre,
        shown,
        pl.lit(r.en),
        en_det.fill_null(""),
    )


def _prefix_zh(row: int | None, field: str | None) -> str:
    parts = (f"第{row}行" if row is not None else "") + (f" 字段 {field}" if field else "")
    return f"{parts.strip()}：" if parts else ""


def _prefix_en(row: int | None, field: str | None) -> str:
    parts = (f"row {row}" if row is not None else "") + (f" field {field}" if field else "")
    return f"{parts.strip()}: " if parts else ""
