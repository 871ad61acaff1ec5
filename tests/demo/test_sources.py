import polars as pl

from steelsage.catalog import Catalog
from steelsage.demo import DemoMarket


def test_source_table(market: DemoMarket, catalog: Catalog) -> None:
    s = market.sources
    assert s.height == 220
    assert s["code"].to_list() == [f"S{i:04d}" for i in range(1, 221)]
    assert s["name"].n_unique() == s.height
    assert s["name"].str.contains(r"[\u4e00-\u9fff]").all()
    assert set(s["type"]) == {"mill", "trader", "end_user", "port_agent", "broker"}
    assert set(s["region_code"]) <= set(catalog.regions)
    assert s["credibility_weight"].is_between(0.5, 1.5).all()
    assert s["reliability"].is_between(0.5, 2.0).all()
    assert s["active"].sum() > 0.9 * s.height


def test_coverage_reaches_each_series_density(market: DemoMarket, std: pl.DataFrame) -> None:
    s = market.sources.filter("active").explode("coverage")
    pool = s.group_by("coverage").len().rename({"coverage": "series_code", "len": "pool"})
    busiest = (
        std.group_by("series_code", "date")
        .len()
        .group_by("series_code")
        .agg(pl.col("len").max().alias("peak"))
    )
    joined = busiest.join(pool, on="series_code")
    assert joined.height == busiest.height
    assert (joined["pool"] >= joined["peak"]).all()
    # reports come only from sources that cover the series, at most once a day per series
    cov = s.select(pl.col("code").alias("source"), pl.col("coverage").alias("series_code"))
    assert std.join(cov, on=["source", "series_code"], how="anti").height == 0
    per_day = std.group_by("series_code", "source", "date").len()
    assert per_day["len"].max() == 1


def test_ore_is_reported_by_port_agents_and_steel_by_traders(
    market: DemoMarket, std: pl.DataFrame
) -> None:
    types = std.join(market.sources.select(pl.col("code").alias("source"), "type"), on="source")
    ore = types.filter(pl.col("series_code") == "pb_fines.qingdao_port")["type"].value_counts()
    steel = types.filter(pl.col("series_code") == "rebar.shanghai")["type"].value_counts()
    top = lambda vc: vc.sort("count", descending=True)["type"][0]  # noqa: E731
    assert top(ore) in ("port_agent", "broker", "trader")
    assert "port_agent" not in steel.sort("count", descending=True)["type"].head(2).to_list()
