"""Entitlements inside the SQL: every view reference becomes a filtered subquery.

``FROM v_observations o`` turns into ``FROM (SELECT * FROM v_observations WHERE …) AS o``
where ``…`` keeps only the series the principal may see and, for each, the dates of its
window (history depth, publication delay). The rewrite is done on the sqlglot tree, so a
``WHERE series_code = 'hrc.shanghai'``, a UNION, a subquery or a CTE in the user's query
can only narrow what the filtered views already return. The filter values come from our
catalog and :class:`~steelsage.assistant.principal.Principal`, never from the query text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlglot import exp

from steelsage.assistant.principal import Principal
from steelsage.assistant.sql.semantic import V_OBSERVATIONS, V_SERIES, VIEW_NAMES
from steelsage.store import SeriesInfo

Window = tuple[date | None, date | None]


def _column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _codes_in(column: str, codes: list[str]) -> exp.Expression:
    return exp.In(this=_column(column), expressions=[exp.Literal.string(c) for c in codes])


def _nothing() -> exp.Expression:
    return exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))


def _any_of(conditions: list[exp.Expression]) -> exp.Expression:
    if not conditions:
        return _nothing()
    result = conditions[0]
    for cond in conditions[1:]:
        result = exp.Or(this=result, expression=cond)
    return result


def visible_windows(
    principal: Principal, series: Iterable[SeriesInfo], today: date
) -> dict[str, Window]:
    """Each series the principal may see, with its (earliest, latest) readable dates."""
    return {info.code: principal.window(info, today) for info in series if principal.can_see(info)}


def _series_filter(windows: dict[str, Window]) -> exp.Expression:
    return _codes_in("code", sorted(windows)) if windows else _nothing()


def _observations_filter(windows: dict[str, Window]) -> exp.Expression:
    groups: dict[Window, list[str]] = {}
    for code, window in sorted(windows.items()):
        groups.setdefault(window, []).append(code)
    conditions: list[exp.Expression] = []
    for (earliest, latest), codes in sorted(groups.items(), key=lambda g: g[1][0]):
        cond: exp.Expression = _codes_in("series_code", codes)
        if earliest is not None:
            cond = exp.and_(cond, _column("date") >= exp.Literal.string(earliest.isoformat()))
        if latest is not None:
            cond = exp.and_(cond, _column("date") <= exp.Literal.string(latest.isoformat()))
        conditions.append(exp.Paren(this=cond))
    return _any_of(conditions)


def entitle(
    query: exp.Query, principal: Principal, series: Iterable[SeriesInfo], today: date
) -> exp.Query:
    """A copy of a guarded ``query`` that reads only what ``principal`` may see on ``today``.

    ``query`` must come from :func:`~steelsage.assistant.sql.guard.check_sql`: there every
    table is a view or a CTE, and no CTE is named like a view, so each table named like a
    view is a view reference.
    """
    if principal.unrestricted:
        return query
    windows = visible_windows(principal, series, today)
    filters = {
        V_SERIES.name: _series_filter(windows),
        V_OBSERVATIONS.name: _observations_filter(windows),
    }
    rewritten = query.copy()
    for table in list(rewritten.find_all(exp.Table)):
        name = table.name.lower()
        if name not in VIEW_NAMES:
            continue
        inner = exp.select(exp.Star()).from_(exp.to_table(name)).where(filters[name].copy())
        alias = table.args.get("alias")
        alias = alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(name))
        table.replace(exp.Subquery(this=inner, alias=alias))
    return rewritten
