"""The semantic layer: the two read-only views a language model may query, as data.

The views are created by migration ``0002_assistant_views``; this module says what each
column means (zh and en) so a model can write correct SQL, and :func:`describe` renders
it as prompt text with the rules the guard enforces and a few worked examples. A test
checks that these columns are exactly the views' columns on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class ViewColumn:
    name: str
    type: str  # text|date|number|integer|boolean|timestamp
    zh: str
    en: str


@dataclass(frozen=True)
class View:
    name: str
    zh: str
    en: str
    columns: tuple[ViewColumn, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


V_SERIES = View(
    name="v_series",
    zh="序列目录：每条价格评估、指标、指数或外部数据序列一行。",
    en="Series catalog: one row per price assessment, indicator, index or external series.",
    columns=(
        ViewColumn(
            "code",
            "text",
            "序列代码，如 rebar.shanghai（上海螺纹钢）、hrc.shanghai（上海热卷）",
            "series code, e.g. rebar.shanghai (Shanghai rebar), hrc.shanghai (Shanghai HRC)",
        ),
        ViewColumn(
            "kind",
            "text",
            "类型：assessment 价格评估 | indicator 指标 | index 指数 | external 外部数据",
            "kind: assessment (price) | indicator | index | external (e.g. World Bank)",
        ),
        ViewColumn("name_zh", "text", "中文名称", "Chinese name"),
        ViewColumn("name_en", "text", "英文名称", "English name"),
        ViewColumn(
            "commodity",
            "text",
            "商品大类，如 steel_long 长材、steel_flat 板材、iron_ore 铁矿；可为空",
            "commodity group, e.g. steel_long, steel_flat, iron_ore; may be NULL",
        ),
        ViewColumn(
            "product",
            "text",
            "品种代码，如 rebar 螺纹钢、hrc 热卷、wire_rod 线材；可为空",
            "product code, e.g. rebar, hrc, wire_rod; may be NULL",
        ),
        ViewColumn(
            "region",
            "text",
            "地区代码：城市（shanghai）、港口、national 全国、world 全球",
            "region code: a city (shanghai), a port, national, world",
        ),
        ViewColumn(
            "unit",
            "text",
            "单位，如 CNY_T_VAT 元/吨（含税）、T_10K 万吨、$/bbl",
            "unit, e.g. CNY_T_VAT (yuan per tonne incl. VAT), T_10K (10k tonnes), $/bbl",
        ),
        ViewColumn(
            "frequency",
            "text",
            "频率：daily 日度、weekly 周度、monthly 月度",
            "frequency: daily, weekly, monthly",
        ),
        ViewColumn("method", "text", "评估或统计方法说明", "assessment or compilation method"),
        ViewColumn("first_date", "date", "第一个有数据的日期", "first date with a value"),
        ViewColumn("last_date", "date", "最后一个有数据的日期", "last date with a value"),
    ),
)

V_OBSERVATIONS = View(
    name="v_observations",
    zh="已发布的数值（仅当前版本，更正后的旧值不出现）：每个序列每个日期一行。",
    en="Published values, current version only (corrected values replace old ones): "
    "one row per series and date.",
    columns=(
        ViewColumn(
            "series_code",
            "text",
            "序列代码，对应 v_series.code",
            "series code, joins v_series.code",
        ),
        ViewColumn("date", "date", "数据日期", "date of the value"),
        ViewColumn(
            "value",
            "number",
            "数值：价格评估为中间价（单位见 v_series.unit）",
            "the value: the mid price for assessments (unit in v_series.unit)",
        ),
        ViewColumn("low", "number", "区间低值（仅价格评估）", "low of the range (assessments)"),
        ViewColumn("high", "number", "区间高值（仅价格评估）", "high of the range (assessments)"),
        ViewColumn(
            "change",
            "number",
            "较上一发布日的涨跌",
            "change against the previous published date",
        ),
        ViewColumn(
            "n_sources", "integer", "参与评估的数据来源数", "number of sources in the assessment"
        ),
        ViewColumn(
            "fallback",
            "boolean",
            "数据不足时沿用规则得出的值（是/否）",
            "whether the minimum-data fallback rule produced the value",
        ),
        ViewColumn("version", "integer", "发布版本号（更正后递增）", "publication version"),
        ViewColumn("published_at", "timestamp", "发布时间（UTC）", "publication time (UTC)"),
    ),
)

VIEWS: dict[str, View] = {v.name: v for v in (V_SERIES, V_OBSERVATIONS)}
VIEW_NAMES: frozenset[str] = frozenset(VIEWS)


@dataclass(frozen=True)
class Example:
    zh: str
    en: str
    sqlite: str
    postgresql: str

    def sql(self, dialect: str) -> str:
        return self.postgresql if dialect == "postgresql" else self.sqlite


_LATEST_REBAR_BY_CITY = (
    "SELECT s.region, o.date, o.value FROM v_observations o "
    "JOIN v_series s ON s.code = o.series_code "
    "WHERE s.product = 'rebar' AND s.kind = 'assessment' "
    "AND o.date = (SELECT max(o2.date) FROM v_observations o2 "
    "WHERE o2.series_code = o.series_code) "
    "ORDER BY o.value"
)

EXAMPLES: tuple[Example, ...] = (
    Example(
        zh="上海螺纹钢最近10个数据日的价格",
        en="Shanghai rebar prices on the last 10 dates",
        sqlite="SELECT date, value, low, high FROM v_observations "
        "WHERE series_code = 'rebar.shanghai' ORDER BY date DESC LIMIT 10",
        postgresql="SELECT date, value, low, high FROM v_observations "
        "WHERE series_code = 'rebar.shanghai' ORDER BY date DESC LIMIT 10",
    ),
    Example(
        zh="各城市螺纹钢最新价格，从低到高",
        en="Latest rebar price in each city, lowest first",
        sqlite=_LATEST_REBAR_BY_CITY,
        postgresql=_LATEST_REBAR_BY_CITY,
    ),
    Example(
        zh="2026年上海热卷每月均价",
        en="Monthly average of Shanghai HRC in 2026",
        sqlite="SELECT strftime('%Y-%m', date) AS month, round(avg(value), 1) AS avg_value "
        "FROM v_observations WHERE series_code = 'hrc.shanghai' "
        "AND date >= '2026-01-01' AND date < '2027-01-01' GROUP BY month ORDER BY month",
        postgresql="SELECT to_char(date, 'YYYY-MM') AS month, round(avg(value), 1) AS avg_value "
        "FROM v_observations WHERE series_code = 'hrc.shanghai' "
        "AND date >= '2026-01-01' AND date < '2027-01-01' GROUP BY month ORDER BY month",
    ),
)

_DIALECT_NOTES: dict[str, dict[str, str]] = {
    "sqlite": {
        "zh": "数据库是 SQLite：日期是 'YYYY-MM-DD' 文本，可直接比较；按月用 "
        "strftime('%Y-%m', date)；日期运算用 date('2026-11-24', '-7 days')。",
        "en": "The database is SQLite: dates are 'YYYY-MM-DD' text and compare as such; "
        "group by month with strftime('%Y-%m', date); date arithmetic with "
        "date('2026-11-24', '-7 days').",
    },
    "postgresql": {
        "zh": "数据库是 PostgreSQL：日期可与 'YYYY-MM-DD' 字符串比较；按月用 "
        "date_trunc('month', date) 或 to_char(date, 'YYYY-MM')。",
        "en": "The database is PostgreSQL: dates compare with 'YYYY-MM-DD' strings; group by "
        "month with date_trunc('month', date) or to_char(date, 'YYYY-MM').",
    },
}

_RULES = {
    "zh": (
        "规则：只写一条只读 SELECT（可用 WITH、UNION、子查询、JOIN、窗口函数），"
        "只查询上面两个视图；不要写注释；最多返回 {limit} 行（超出部分会被截断）；"
        "你只能看到有权限的序列和日期。"
    ),
    "en": (
        "Rules: write exactly one read-only SELECT (WITH, UNION, subqueries, JOIN and window "
        "functions are fine) over the two views above only; no comments; at most {limit} rows "
        "come back (more are cut off); you only see the series and dates you are entitled to."
    ),
}


def describe(lang: Lang | str = "zh", dialect: str = "sqlite", *, limit: int = 200) -> str:
    """The semantic layer as prompt text for a language model, in ``lang`` (zh or en)."""
    from steelsage.assistant.sql.guard import allowed_function_names

    en = lang == "en"
    key = "en" if en else "zh"
    lines: list[str] = []
    for view in VIEWS.values():
        lines.append(f"VIEW {view.name}: {view.en if en else view.zh}")
        for col in view.columns:
            lines.append(f"  - {col.name} ({col.type}): {col.en if en else col.zh}")
        lines.append("")
    lines.append(_RULES[key].format(limit=limit))
    functions = ", ".join(allowed_function_names(dialect))
    lines.append(("Allowed functions: " if en else "可用函数：") + functions)
    notes = _DIALECT_NOTES.get(dialect, _DIALECT_NOTES["sqlite"])
    lines.append(notes[key])
    lines.append("")
    lines.append("Examples:" if en else "示例：")
    for ex in EXAMPLES:
        lines.append(("Q: " if en else "问：") + (ex.en if en else ex.zh))
        lines.append("SQL: " + ex.sql(dialect))
    return "\n".join(lines)
