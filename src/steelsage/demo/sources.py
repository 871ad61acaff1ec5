"""The demo's panel of price sources: mills, traders, end users, port agents and brokers.

Each source has a home region, a credibility weight (what editors believe, 0.5–1.5) and a
hidden ``reliability`` (noise multiplier, the ground truth that credibility only roughly
tracks). Coverage is drawn per series from compatible sources, local ones first, so that
every series has a pool large enough for its busiest day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from steelsage.demo.universe import SeriesDef, Universe

TYPES = ("mill", "trader", "end_user", "port_agent", "broker")
TYPE_SHARE = (0.15, 0.48, 0.12, 0.10, 0.15)

# How likely a type reports on a commodity group (iron_ore_sea = seaborne CFR China).
AFFINITY: dict[str, dict[str, float]] = {
    "mill": {"steel": 1.0, "iron_ore": 0.5, "iron_ore_sea": 0.8, "raw": 0.9},
    "trader": {"steel": 1.0, "iron_ore": 0.6, "iron_ore_sea": 0.5, "raw": 0.6},
    "end_user": {"steel": 1.0, "iron_ore": 0.02, "iron_ore_sea": 0.02, "raw": 0.1},
    "port_agent": {"steel": 0.02, "iron_ore": 1.0, "iron_ore_sea": 1.0, "raw": 0.3},
    "broker": {"steel": 0.6, "iron_ore": 0.8, "iron_ore_sea": 1.0, "raw": 0.7},
}
SAME_REGION, SAME_MACRO, ELSEWHERE = 8.0, 2.5, 0.4

NAME_CORE = (
    "鑫达", "恒泰", "宏远", "金瑞", "汇通", "华信", "永盛", "兴业", "鼎盛", "中联", "瑞丰", "广源",
    "德润", "宝丰", "新天", "荣昌", "隆鑫", "利达", "泰和", "兆丰", "长江", "东方", "正大", "联创",
)  # fmt: skip
NAME_SUFFIX = {
    "mill": ("钢铁集团", "特钢有限公司", "钢铁股份", "钢厂"),
    "trader": ("钢贸有限公司", "物资贸易", "金属材料公司", "钢材贸易商"),
    "end_user": ("建工集团", "机械制造", "管桩有限公司", "建设工程公司"),
    "port_agent": ("港口物流", "港务代理", "矿业贸易", "国际物流"),
    "broker": ("大宗商品经纪", "期现服务", "供应链管理", "资讯经纪"),
}


def commodity_group(s: SeriesDef, u: Universe) -> str:
    """steel | iron_ore | iron_ore_sea | raw — the affinity column of a series."""
    p = u.products[s.product]
    if p.is_ore:
        return "iron_ore_sea" if s.region == "cfr_china" else "iron_ore"
    return "steel" if p.is_steel else "raw"


def pool_size(density: float, hi: int, n_active: int) -> int:
    """Sources a series needs so its busiest day still draws distinct sources."""
    peak = min(hi, math.ceil(density * 1.45))
    return min(n_active, math.ceil(peak * 1.3) + 2)


def build_sources(
    rng: np.random.Generator,
    n_sources: int,
    series: Sequence[SeriesDef],
    density: np.ndarray,
    hi: int,
    u: Universe,
) -> pl.DataFrame:
    """The source table (one row per source, ``coverage`` a list of series codes)."""
    if n_sources < 10:
        raise ValueError(f"n_sources={n_sources} is too small; use at least 10")
    # Home regions where the markets are: weight regions by how many series they host.
    home_regions = sorted(
        {s.region for s in series if s.region in u.regions and not u.regions[s.region].is_market}
    )
    counts = np.array([sum(s.region == r for s in series) for r in home_regions], float)
    if not home_regions:
        home_regions, counts = ["shanghai"], np.ones(1)
    region = [
        home_regions[i] for i in rng.choice(len(home_regions), n_sources, p=counts / counts.sum())
    ]
    types = [TYPES[i] for i in rng.choice(len(TYPES), n_sources, p=TYPE_SHARE)]
    reliability = np.clip(rng.lognormal(0.0, 0.3, n_sources), 0.6, 1.8)
    mill_bonus = np.array([0.1 if t == "mill" else 0.0 for t in types])
    credibility = np.clip(
        1.0 + 0.8 * (1.0 - reliability) + mill_bonus + rng.normal(0, 0.15, n_sources), 0.5, 1.5
    )
    active = rng.random(n_sources) > 0.03
    active_idx = np.flatnonzero(active)

    macro = np.array([u.regions[r].macro if r in u.regions else "" for r in region])
    coverage: list[list[str]] = [[] for _ in range(n_sources)]
    for k, s in enumerate(series):
        group = commodity_group(s, u)
        w = np.array([AFFINITY[t][group] for t in types])
        if s.region in u.regions and not u.regions[s.region].is_market:
            s_macro = u.regions[s.region].macro
            geo = np.where(
                np.array(region) == s.region,
                SAME_REGION,
                np.where(macro == s_macro, SAME_MACRO, ELSEWHERE),
            )
            w = w * geo
        w = w[active_idx]
        size = pool_size(float(density[k]), hi, len(active_idx))
        for i in rng.choice(active_idx, size=size, replace=False, p=w / w.sum()):
            coverage[i].append(s.code)
    for i in np.flatnonzero(~active):  # dormant sources keep a small historical coverage
        coverage[i] = [
            series[j].code for j in rng.choice(len(series), min(2, len(series)), replace=False)
        ]

    return pl.DataFrame(
        {
            "code": [f"S{i + 1:04d}" for i in range(n_sources)],
            "name": _names(rng, region, types, u),
            "type": types,
            "region_code": region,
            "credibility_weight": np.round(credibility, 2),
            "active": active,
            "coverage": [sorted(c) for c in coverage],
            "reliability": np.round(reliability, 3),
        },
        schema={
            "code": pl.Utf8,
            "name": pl.Utf8,
            "type": pl.Utf8,
            "region_code": pl.Utf8,
            "credibility_weight": pl.Float64,
            "active": pl.Boolean,
            "coverage": pl.List(pl.Utf8),
            "reliability": pl.Float64,
        },
    )


def _names(rng: np.random.Generator, region: list[str], types: list[str], u: Universe) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for r, t in zip(region, types, strict=True):
        city = u.regions[r].short_zh if r in u.regions else ""
        base = city + NAME_CORE[rng.integers(len(NAME_CORE))] + NAME_SUFFIX[t][rng.integers(4)]
        name, k = base, 1
        while name in seen:
            k += 1
            name = f"{base}{k:02d}"
        seen.add(name)
        names.append(name)
    return names
