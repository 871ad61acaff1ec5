"""``catalog_search``: which series the caller can see, found by code, name or alias.

"你们有哪些铁矿数据" must find the ore assessments, the ore index, the port stocks and the World
Bank ore price, so the query is read with the catalog's resolvers first (铁矿 → commodity
iron_ore, 螺纹 → product rebar, 上海 → region shanghai) and, where that says what the user
means, the names of the resolved product or commodity are matched too. Text that resolves to
nothing falls back to a plain substring search over codes and names. Only visible series are
ever listed, and their first/last dates are clipped to the caller's entitlement window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from steelsage.assistant.answer import Value
from steelsage.assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput
from steelsage.catalog import Catalog
from steelsage.store import SeriesInfo

SeriesKind = Literal["assessment", "indicator", "index", "external"]
_KIND_ORDER = {"assessment": 0, "index": 1, "indicator": 2, "external": 3}
# Words that carry no search meaning in "你们有哪些铁矿数据" / "what rebar data do you have".
_FILLER = re.compile(
    r"你们|我们|请问|有没有|有哪些|哪些|什么|数据|价格|行情|序列|指标|品种|的|吗|呢|有|"
    r"\b(?:what|which|do|you|have|has|data|series|prices?|the|any|of|for|is|are|there)\b",
    re.IGNORECASE,
)


class CatalogSearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str | None = Field(
        default=None,
        max_length=200,
        description="Free text: a product, commodity, region, code or name, e.g. '铁矿', "
        "'rebar shanghai', 'inventory' / 自由文本：品种、大类、地区、代码或名称",
    )
    commodity: str | None = Field(
        default=None,
        max_length=60,
        description="Commodity code or name, e.g. 'iron_ore', '铁矿石' / 大类代码或名称",
    )
    kind: SeriesKind | None = Field(
        default=None,
        description="assessment (our prices), indicator (inventories, output…), index, "
        "external (World Bank) / 序列类型：评估价、指标、指数、外部数据",
    )
    limit: int = Field(default=50, ge=1, le=500, description="Most rows returned / 最多返回行数")


@dataclass
class _Resolved:
    """What the query means in catalog terms; every field narrows the search."""

    product: str | None = None
    commodity: str | None = None
    region: str | None = None
    names: list[str] = field(default_factory=list)  # names of the product/commodity meant

    @property
    def anything(self) -> bool:
        return any((self.product, self.commodity, self.region))

    def as_dict(self) -> dict[str, str | None]:
        return {"product": self.product, "commodity": self.commodity, "region": self.region}


def _commodity_of(catalog: Catalog, text: str) -> str | None:
    """A commodity from its code, name or alias, or from its generic product name
    ('铁矿' is an alias of the 62% ore product, whose name is the commodity's: 铁矿石)."""
    if text in catalog.commodities:
        return text
    code = catalog.resolve_commodity(text)
    if code is not None:
        return code
    product = catalog.resolve_product(text)
    if product is not None and _is_generic(catalog, product):
        return catalog.products[product].commodity
    return None


def _is_generic(catalog: Catalog, product_code: str) -> bool:
    """Whether a product stands for its whole commodity (same name: 铁矿石 / iron ore)."""
    p = catalog.products[product_code]
    c = catalog.commodities.get(p.commodity)
    return c is not None and (
        p.name_zh == c.name_zh or p.name_en.casefold() == c.name_en.casefold()
    )


def _resolve(catalog: Catalog, query: str) -> _Resolved:
    product = catalog.resolve_product(query)
    commodity = catalog.resolve_commodity(query)
    region = catalog.resolve_region(query, product)
    if product is not None and _is_generic(catalog, product):
        commodity, product = catalog.products[product].commodity, None
    if product is not None:
        commodity = None  # the product is the narrower of the two
    names: list[str] = []
    if product is not None:
        names = [catalog.products[product].name_zh, catalog.products[product].name_en]
    elif commodity is not None:
        names = [catalog.commodities[commodity].name_zh, catalog.commodities[commodity].name_en]
    return _Resolved(product, commodity, region, names)


def _text(info: SeriesInfo) -> str:
    return f"{info.code}\n{info.name_zh}\n{info.name_en}".casefold()


def _in_commodity(catalog: Catalog, info: SeriesInfo, commodity: str) -> bool:
    if info.commodity == commodity:
        return True
    product = catalog.products.get(info.product or "")
    return product is not None and product.commodity == commodity


def _matches(catalog: Catalog, info: SeriesInfo, query: str, r: _Resolved) -> bool:
    if r.anything:
        structured = (
            (r.product is None or info.product == r.product)
            and (r.commodity is None or _in_commodity(catalog, info, r.commodity))
            and (r.region is None or info.region == r.region)
        )
        if structured:
            return True
        if r.region is None and r.names:  # 铁矿 also finds "62%铁矿石价格指数", "Iron ore, cfr"
            text = _text(info)
            return any(name.casefold() in text for name in r.names)
        return False
    text = _text(info)
    if query.casefold() in text:
        return True
    words = [w for w in re.split(r"[\s,，、/]+", _FILLER.sub(" ", query)) if w]
    return bool(words) and all(w.casefold() in text for w in words)


class CatalogSearch(Tool):
    name = "catalog_search"
    description_en = (
        "Find the series you can query: by product, commodity, region, code or name; "
        "returns codes, names, units, frequency and date coverage."
    )
    description_zh = (
        "查找可查询的数据序列：按品种、大类、地区、代码或名称；"
        "返回代码、名称、单位、频率和起止日期。"
    )
    Input: ClassVar[type[CatalogSearchInput]] = CatalogSearchInput

    def run(self, args: CatalogSearchInput, ctx: ToolContext) -> ToolOutput:
        catalog = ctx.catalog
        commodity = None
        if args.commodity:
            commodity = _commodity_of(catalog, args.commodity.strip())
            if commodity is None:
                raise ToolError(
                    "unknown_commodity",
                    f"no commodity {args.commodity!r}; known: {', '.join(catalog.commodities)}",
                    commodity=args.commodity,
                )
        query = (args.query or "").strip()
        resolved = _resolve(catalog, query) if query else _Resolved()
        hits = [
            info
            for info in ctx.visible()
            if (args.kind is None or info.kind == args.kind)
            and (commodity is None or _in_commodity(catalog, info, commodity))
            and (not query or _matches(catalog, info, query, resolved))
        ]
        hits.sort(key=lambda s: (_KIND_ORDER.get(s.kind, 9), s.code))
        out = ToolOutput(
            values=[Value(label="catalog_search", value=len(hits), kind="count", decimals=0)]
        )
        out.data = {
            "query": args.query,
            "resolved": resolved.as_dict(),
            "total": len(hits),
            "series": [self._row(ctx, info) for info in hits[: args.limit]],
        }
        if len(hits) > args.limit:
            out.notes.append({"code": "truncated", "shown": args.limit, "total": len(hits)})
        if not hits:
            out.notes.append({"code": "no_match", "query": args.query})
            out.data["available"] = self._available(ctx)
        return out

    @staticmethod
    def _row(ctx: ToolContext, info: SeriesInfo) -> dict[str, Any]:
        """One hit; first/last are what this caller may read, not what the store holds."""
        lo, hi = ctx.principal.window(info, ctx.market_today())
        first, last = info.first, info.last
        if lo is not None and first is not None:
            first = max(first, lo)
        if hi is not None and last is not None:
            last = min(last, hi)
        return {
            "code": info.code,
            "name_zh": info.name_zh,
            "name_en": info.name_en,
            "kind": info.kind,
            "unit": info.unit,
            "frequency": info.frequency,
            "first": first.isoformat() if first else None,
            "last": last.isoformat() if last else None,
        }

    @staticmethod
    def _available(ctx: ToolContext) -> list[dict[str, Any]]:
        """What the caller can see, by commodity and kind — for "we have no X, we have …"."""
        counts: dict[tuple[str, str | None], int] = {}
        for info in ctx.visible():
            key = (info.kind, info.commodity)
            counts[key] = counts.get(key, 0) + 1
        out = []
        for (kind, commodity), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            c = ctx.catalog.commodities.get(commodity or "")
            out.append(
                {
                    "kind": kind,
                    "commodity": commodity,
                    "name_zh": c.name_zh if c else None,
                    "name_en": c.name_en if c else None,
                    "count": n,
                }
            )
        return out
