"""Publishing: versions, corrections, as-of reads, unchanged values, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from steelsage.store import (
    get_observations,
    get_observations_many,
    get_series,
    models,
    publications,
    publish_values,
    upsert_series,
)

V1_AT = datetime(2026, 3, 2, 9, 0)
V2_AT = datetime(2026, 3, 3, 9, 0)
DAYS = [date(2026, 2, 23) + timedelta(days=i) for i in range(5)]


def _register(engine: Engine, *codes: str) -> None:
    with engine.begin() as conn:
        upsert_series(
            conn,
            [
                {"code": c, "kind": "assessment", "name_zh": c, "name_en": c, "unit": "CNY_T_VAT"}
                for c in codes
            ],
        )


def _values(code: str, mids: list[float], days: list[date] = DAYS) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "series_code": [code] * len(mids),
            "date": days[: len(mids)],
            "value": mids,
            "low": [m - 20 for m in mids],
            "high": [m + 20 for m in mids],
            "change": [None] * len(mids),
            "n_sources": [5] * len(mids),
            "fallback": [False] * len(mids),
            "assessment_id": [None] * len(mids),
        },
        schema_overrides={"change": pl.Float64, "assessment_id": pl.Int64},
    )


def _publish(engine: Engine, values: pl.DataFrame, at: datetime, release: str = "r:1", **kw):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return publish_values(
            conn,
            release=release,
            kind=kw.pop("kind", "initial"),
            values=values,
            who="editor",
            now=at,
            **kw,
        )


def test_correction_supersedes_and_as_of_returns_what_was_published(engine: Engine) -> None:
    _register(engine, "rebar.shanghai")
    v1 = _publish(engine, _values("rebar.shanghai", [3500, 3510, 3520, 3530, 3540]), V1_AT)
    assert (v1.version, v1.kind, v1.n_values, v1.n_unchanged) == (1, "initial", 5, 0)

    # The correction re-sends all five days; only two differ.
    corrected = _values("rebar.shanghai", [3500, 3515, 3520, 3530, 3550])
    v2 = _publish(engine, corrected, V2_AT, kind="initial")
    assert (v2.version, v2.kind, v2.n_values, v2.n_unchanged) == (2, "correction", 2, 3)

    now = get_observations(engine, "rebar.shanghai")
    assert now["value"].to_list() == [3500, 3515, 3520, 3530, 3550]
    assert now["version"].to_list() == [1, 2, 1, 1, 2]
    assert now["date"].to_list() == DAYS

    before = get_observations(engine, "rebar.shanghai", as_of=V2_AT - timedelta(seconds=1))
    assert before["value"].to_list() == [3500, 3510, 3520, 3530, 3540]
    assert before["version"].to_list() == [1] * 5
    assert before["published_at"].to_list() == [V1_AT] * 5

    # Exactly at the correction's timestamp the correction is what was published.
    at_v2 = get_observations(engine, "rebar.shanghai", as_of=V2_AT)
    assert at_v2["value"].to_list() == now["value"].to_list()

    # A date means the end of that day.
    assert (
        get_observations(engine, "rebar.shanghai", as_of=V1_AT.date())["version"].to_list()
        == [1] * 5
    )
    assert get_observations(engine, "rebar.shanghai", as_of=V2_AT.date())["value"][1] == 3515

    with engine.connect() as conn:
        obs = models.SeriesObservation.__table__
        total = conn.execute(select(func.count()).select_from(obs)).scalar()
        current = conn.execute(
            select(func.count()).select_from(obs).where(obs.c.superseded_at.is_(None))
        ).scalar()
    assert (total, current) == (7, 5)


def test_as_of_before_any_publication_is_empty(engine: Engine) -> None:
    _register(engine, "hrc.shanghai")
    _publish(engine, _values("hrc.shanghai", [3700, 3710]), V1_AT)
    empty = get_observations(engine, "hrc.shanghai", as_of=V1_AT - timedelta(days=1))
    assert empty.height == 0
    assert empty.columns == [
        "date",
        "value",
        "low",
        "high",
        "change",
        "n_sources",
        "fallback",
        "version",
        "published_at",
    ]
    assert empty.schema["date"] == pl.Date
    assert get_observations(engine, "no.such_series").height == 0


def test_frame_types_and_nulls(engine: Engine) -> None:
    _register(engine, "coke.tangshan")
    values = pl.DataFrame(
        {
            "series_code": ["coke.tangshan"] * 2,
            "date": DAYS[:2],
            "value": [2100.0, 2110.0],
            "fallback": [True, False],
        }
    )
    _publish(engine, values, V1_AT)
    frame = get_observations(engine, "coke.tangshan")
    assert dict(frame.schema) == {
        "date": pl.Date,
        "value": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
        "change": pl.Float64,
        "n_sources": pl.Int64,
        "fallback": pl.Boolean,
        "version": pl.Int64,
        "published_at": pl.Datetime("us"),
    }
    assert frame["low"].null_count() == 2
    assert frame["fallback"].to_list() == [True, False]


def test_resending_identical_values_publishes_nothing_new(engine: Engine) -> None:
    _register(engine, "scrap.zhangjiagang")
    values = _values("scrap.zhangjiagang", [2600, 2610, 2620])
    _publish(engine, values, V1_AT, release="wb", kind="import")
    again = _publish(engine, values, V2_AT, release="wb", kind="import")
    assert (again.version, again.kind, again.n_values, again.n_unchanged) == (2, "import", 0, 3)
    assert get_observations(engine, "scrap.zhangjiagang")["version"].to_list() == [1, 1, 1]
    # A changed low alone is a change; a null low equal to a null low is not.
    changed_low = values.with_columns(
        pl.when(pl.col("date") == DAYS[0]).then(None).otherwise(pl.col("low")).alias("low")
    )
    third = _publish(engine, changed_low, V2_AT + timedelta(hours=1), release="wb", kind="import")
    assert (third.n_values, third.n_unchanged) == (1, 2)
    fourth = _publish(engine, changed_low, V2_AT + timedelta(hours=2), release="wb", kind="import")
    assert (fourth.n_values, fourth.n_unchanged) == (0, 3)


def test_correction_adds_new_dates_and_touches_only_its_keys(engine: Engine) -> None:
    _register(engine, "rebar.beijing", "rebar.tianjin")
    first = pl.concat(
        [_values("rebar.beijing", [3600, 3610, 3620]), _values("rebar.tianjin", [3580, 3590, 3600])]
    )
    _publish(engine, first, V1_AT)
    fix = _values("rebar.beijing", [3615, 3625, 3635], days=DAYS[1:4])
    info = _publish(engine, fix, V2_AT)
    assert (info.n_values, info.n_unchanged) == (3, 0)
    beijing = get_observations(engine, "rebar.beijing")
    assert beijing["value"].to_list() == [3600, 3615, 3625, 3635]
    assert get_observations(engine, "rebar.tianjin")["version"].to_list() == [1, 1, 1]
    meta = get_series(engine, "rebar.beijing")
    assert meta is not None and (meta.first, meta.last) == (DAYS[0], DAYS[3])
    both = get_observations_many(engine, ["rebar.tianjin", "rebar.beijing"], as_of=V1_AT)
    assert both.columns[0] == "series_code"
    assert both.group_by("series_code").len().sort("series_code").rows() == [
        ("rebar.beijing", 3),
        ("rebar.tianjin", 3),
    ]


def test_versions_count_per_release_and_publications_lists_them(engine: Engine) -> None:
    _register(engine, "iron_ore_62.cfr_china")
    _publish(engine, _values("iron_ore_62.cfr_china", [101.5]), V1_AT, release="a:2026-03-02")
    _publish(
        engine,
        _values("iron_ore_62.cfr_china", [102.0], days=DAYS[1:]),
        V1_AT + timedelta(hours=1),
        release="a:2026-03-03",
    )
    _publish(
        engine,
        _values("iron_ore_62.cfr_china", [102.5], days=DAYS[1:]),
        V2_AT,
        release="a:2026-03-03",
    )
    pubs = publications(engine)
    assert [(p.release, p.version, p.kind, p.n_values, p.n_unchanged) for p in pubs] == [
        ("a:2026-03-02", 1, "initial", 1, 0),
        ("a:2026-03-03", 1, "initial", 1, 0),
        ("a:2026-03-03", 2, "correction", 1, 0),
    ]
    assert [p.version for p in publications(engine, "a:2026-03-03")] == [1, 2]
    assert publications(engine, "nothing") == []


def test_aware_timestamps_are_stored_as_utc(engine: Engine) -> None:
    _register(engine, "billet.tangshan")
    beijing = timezone(timedelta(hours=8))
    info = _publish(
        engine, _values("billet.tangshan", [3300]), datetime(2026, 3, 2, 17, 0, tzinfo=beijing)
    )
    assert info.published_at == datetime(2026, 3, 2, 9, 0)
    frame = get_observations(
        engine, "billet.tangshan", as_of=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )
    assert frame.height == 1
    assert (
        get_observations(
            engine, "billet.tangshan", as_of=datetime(2026, 3, 2, 16, 59, tzinfo=beijing)
        ).height
        == 0
    )


def test_two_publications_in_one_transaction(engine: Engine) -> None:
    _register(engine, "gi.shanghai")
    with engine.begin() as conn:
        publish_values(
            conn,
            release="x",
            kind="initial",
            values=_values("gi.shanghai", [4500, 4510]),
            who="e",
            now=V1_AT,
        )
        second = publish_values(
            conn,
            release="x",
            kind="initial",
            values=_values("gi.shanghai", [4505, 4510]),
            who="e",
            now=V2_AT,
        )
    assert (second.version, second.n_values, second.n_unchanged) == (2, 1, 1)
    assert get_observations(engine, "gi.shanghai")["value"].to_list() == [4505, 4510]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (_values("ghost.nowhere", [1.0]), "upsert_series"),
        (pl.concat([_values("plate.shanghai", [1.0]), _values("plate.shanghai", [2.0])]), "repeat"),
        (_values("plate.shanghai", [1.0]).drop("value"), "value"),
        (_values("plate.shanghai", [1.0]).with_columns(extra=pl.lit(1)), "extra"),
        (_values("plate.shanghai", [1.0]).with_columns(value=pl.lit(None, pl.Float64)), "null"),
        (_values("plate.shanghai", [1.0]).with_columns(date=pl.lit("yesterday")), "type"),
        (_values("plate.shanghai", [float("nan")]), "NaN"),
        (_values("plate.shanghai", [1.0]).with_columns(high=pl.lit(float("inf"))), "infinite"),
        (_values("plate.shanghai", [1.0]).clear(), "empty"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    engine: Engine, values: pl.DataFrame, message: str
) -> None:
    _register(engine, "plate.shanghai")
    with pytest.raises(ValueError, match=message), engine.begin() as conn:
        publish_values(conn, release="bad", kind="initial", values=values, who="e", now=V1_AT)
    assert publications(engine) == []
    assert get_observations(engine, "plate.shanghai").height == 0


def test_unknown_kind_is_refused(engine: Engine) -> None:
    _register(engine, "plate.shanghai")
    with pytest.raises(ValueError, match="kind"), engine.begin() as conn:
        publish_values(
            conn, release="x", kind="final", values=_values("plate.shanghai", [1.0]), who="e"
        )


def test_value_inside_a_gap_is_added_without_superseding_neighbours(engine: Engine) -> None:
    _register(engine, "wire_rod.hangzhou")
    edges = _values("wire_rod.hangzhou", [3700, 3740], days=[DAYS[0], DAYS[4]])
    _publish(engine, edges, V1_AT)
    middle = _values("wire_rod.hangzhou", [3720], days=[DAYS[2]])
    info = _publish(engine, middle, V2_AT)
    assert (info.version, info.n_values, info.n_unchanged) == (2, 1, 0)
    frame = get_observations(engine, "wire_rod.hangzhou")
    assert frame.select("date", "value", "version").rows() == [
        (DAYS[0], 3700, 1),
        (DAYS[2], 3720, 2),
        (DAYS[4], 3740, 1),
    ]
    assert get_observations(engine, "wire_rod.hangzhou", as_of=V1_AT).height == 2


def test_publish_many_matches_one_call_per_release(engine: Engine) -> None:
    from steelsage.store import publish_many

    _register(engine, "a.x", "b.x")
    mids = [3000.0, 3010.0, 3020.0, 3030.0, 3040.0]
    frame = pl.concat([_values("a.x", mids), _values("b.x", [m + 5 for m in mids])])
    by_day = [
        (f"d:{d.isoformat()}", frame.filter(pl.col("date") == d), datetime(2026, 3, 2, 9, i))
        for i, d in enumerate(DAYS[:4])
    ]
    with engine.begin() as conn:
        infos = publish_many(conn, by_day, who="editor", note="backfill")
    assert [(i.release, i.version, i.kind, i.n_values) for i in infos] == [
        (f"d:{d.isoformat()}", 1, "initial", 2) for d in DAYS[:4]
    ]
    assert get_observations(engine, "a.x")["value"].to_list() == mids[:4]
    assert get_series(engine, "b.x").last == DAYS[3]
    # A later day goes the fast way; a changed earlier day goes through publish_values.
    changed = frame.filter(pl.col("date") == DAYS[1]).with_columns(pl.col("value") + 50)
    with engine.begin() as conn:
        later = publish_many(
            conn,
            [
                (f"d:{DAYS[4].isoformat()}", frame.filter(pl.col("date") == DAYS[4]), V2_AT),
                (f"d:{DAYS[1].isoformat()}", changed, V2_AT),
            ],
            who="editor",
        )
    assert [(i.version, i.kind, i.n_values) for i in later] == [
        (1, "initial", 2),
        (2, "correction", 2),
    ]
    obs = get_observations(engine, "a.x")
    assert obs["value"].to_list() == [mids[0], mids[1] + 50, *mids[2:]]
    before = get_observations(engine, "a.x", as_of=datetime(2026, 3, 2, 12, 0))
    assert before["value"].to_list() == mids[:4]
