"""The SQL guard: one read-only SELECT over the assistant's views, or a refusal.

A parser alone is no read-only check: ``SELECT pg_sleep(10)`` parses as a SELECT, and
``WITH d AS (DELETE …) SELECT …`` is a SELECT at the top. So :func:`check_sql` walks the
whole tree and accepts only what it knows: every node must be of an allowed kind, every
function on an allow-list, every table one of the views (or a CTE of the query in scope).
What is executed is sqlglot's rendering of the checked tree, never the text we were given.
The database adds its own read-only layer (see :mod:`steelsage.assistant.sql.run`).
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError

from steelsage.assistant.sql.errors import UnsafeSQLError
from steelsage.assistant.sql.semantic import VIEW_NAMES

MAX_SQL_CHARS = 20_000
DEFAULT_LIMIT = 200

_ALLOWED_ZH = (
    "只允许一条只读 SELECT（可用 WITH、UNION、子查询、JOIN、窗口函数），"
    "只能查询视图 v_series 和 v_observations。"
)
_ALLOWED_EN = (
    "Only one read-only SELECT (WITH, UNION, subqueries, JOIN and window functions are "
    "fine) over the views v_series and v_observations is allowed."
)

# sqlglot dialect names by SQLAlchemy dialect name.
_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres"}

# --------------------------------------------------------------------------- allow-lists
# Functions sqlglot parses into typed nodes. Anything else (pg_sleep, load_extension,
# readfile, writefile, pg_read_file, lo_import, randomblob, dblink, current_setting, …)
# is refused, whatever it is called.
_FUNCTIONS: dict[type[exp.Expression], str] = {
    # aggregates and statistics
    exp.Count: "count",
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
    exp.Stddev: "stddev",
    exp.StddevSamp: "stddev_samp",
    exp.StddevPop: "stddev_pop",
    exp.Variance: "variance",
    exp.VariancePop: "var_pop",
    exp.Median: "median",
    exp.PercentileCont: "percentile_cont",
    exp.PercentileDisc: "percentile_disc",
    exp.Corr: "corr",
    exp.CovarSamp: "covar_samp",
    exp.CovarPop: "covar_pop",
    exp.GroupConcat: "group_concat/string_agg",
    # window functions
    exp.RowNumber: "row_number",
    exp.Rank: "rank",
    exp.DenseRank: "dense_rank",
    exp.PercentRank: "percent_rank",
    exp.CumeDist: "cume_dist",
    exp.Ntile: "ntile",
    exp.Lag: "lag",
    exp.Lead: "lead",
    exp.FirstValue: "first_value",
    exp.LastValue: "last_value",
    # scalar maths and logic
    exp.Round: "round",
    exp.Abs: "abs",
    exp.Coalesce: "coalesce/ifnull",
    exp.Nullif: "nullif",
    exp.Cast: "cast",
    exp.Case: "case",
    exp.If: "iif",
    exp.Greatest: "greatest",
    exp.Least: "least",
    exp.Floor: "floor",
    exp.Ceil: "ceil",
    exp.Sqrt: "sqrt",
    exp.Ln: "ln",
    exp.Log: "log",
    exp.Exp: "exp",
    exp.Pow: "power",
    exp.Sign: "sign",
    # dates
    exp.Date: "date",
    exp.TsOrDsToTimestamp: "date",
    exp.TimeToStr: "strftime/to_char",
    exp.DateTrunc: "date_trunc",
    exp.TimestampTrunc: "date_trunc",
    exp.Extract: "extract/date_part",
    exp.CurrentDate: "current_date",
    exp.StrToDate: "to_date",
    # strings
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Length: "length",
    exp.Substring: "substr",
    exp.Trim: "trim",
    exp.Replace: "replace",
    exp.StrPosition: "instr/position",
    exp.SplitPart: "split_part",
    exp.Concat: "concat",
    exp.Left: "left",
    exp.Right: "right",
}
# Functions sqlglot leaves as Anonymous that are harmless on their database.
_ANONYMOUS: dict[str, frozenset[str]] = {
    "sqlite": frozenset({"date", "datetime", "julianday", "total"}),
    "postgres": frozenset({"make_date", "age"}),
}

# Every other kind of node allowed anywhere in the tree (exact types: a subclass of an
# allowed node is not allowed by inheritance).
_NODES: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Select,
        exp.Union,
        exp.Intersect,
        exp.Except,
        exp.Subquery,
        exp.With,
        exp.CTE,
        exp.From,
        exp.Join,
        exp.Where,
        exp.Group,
        exp.Having,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.Offset,
        exp.Fetch,
        exp.LimitOptions,
        exp.Distinct,
        exp.Table,
        exp.TableAlias,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Literal,
        exp.Null,
        exp.Boolean,
        exp.Var,
        exp.Paren,
        exp.Tuple,
        exp.DataType,
        exp.DataTypeParam,
        exp.Interval,
        exp.Window,
        exp.WindowSpec,
        exp.WithinGroup,
        exp.Filter,
        exp.Exists,
        exp.In,
        exp.Between,
        exp.Is,
        exp.Like,
        exp.ILike,
        exp.Escape,
        exp.Any,
        exp.All,
        exp.Not,
        exp.Neg,
        exp.And,
        exp.Or,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.IntDiv,
        exp.Mod,
        exp.DPipe,
    }
)
_DATA_TYPES = frozenset(
    {
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.BOOLEAN,
    }
)

# Statements and clauses that write, lock or change the session, with the refusal code.
_WRITES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Into,
)
_COMMANDS: tuple[type[exp.Expression], ...] = (
    exp.Command,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Set,
    exp.Copy,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Analyze,
)
# Table arguments a plain view reference may carry; anything else (TABLESAMPLE, hints,
# pivots, time travel…) is refused.
_TABLE_ARGS = frozenset({"this", "alias"})


def allowed_function_names(dialect: str | None = None) -> list[str]:
    """The functions a generated query may call on ``dialect`` (any, when None), for prompts
    and error messages."""
    names = set(_FUNCTIONS.values())
    for name, extra in _ANONYMOUS.items():
        if dialect is None or _DIALECTS.get(dialect, dialect) == name:
            names.update(extra)
    return sorted(names)


def sqlglot_dialect(dialect: str) -> str:
    """The sqlglot name of a SQLAlchemy dialect name; refuses the ones we do not support."""
    try:
        return _DIALECTS[dialect]
    except KeyError:
        raise UnsafeSQLError(
            "unsupported_backend",
            f"文本转 SQL 只支持 SQLite 和 PostgreSQL，不支持 {dialect}。",
            f"text-to-SQL supports SQLite and PostgreSQL only, not {dialect}.",
        ) from None


def _refuse(code: str, zh: str, en: str) -> UnsafeSQLError:
    return UnsafeSQLError(code, f"{zh}{_ALLOWED_ZH}", f"{en} {_ALLOWED_EN}")


# --------------------------------------------------------------------------- checks
def _parse(sql: str, dialect: str) -> exp.Expression:
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("empty", "SQL 为空。", "The SQL is empty.")
    if len(sql) > MAX_SQL_CHARS:
        raise _refuse(
            "too_long",
            f"SQL 太长（超过 {MAX_SQL_CHARS} 个字符）。",
            f"The SQL is too long (over {MAX_SQL_CHARS} characters).",
        )
    # Refused, not stripped: a comment can hide text from a reviewer, and tokenizers
    # disagree about where comments end. Strings containing -- or /* are refused too.
    if "--" in sql or "/*" in sql or "*/" in sql:
        raise _refuse(
            "comment",
            "SQL 中不能有注释（-- 或 /* */），字符串里也不要出现这些符号。",
            "SQL must not contain comments (-- or /* */), not even inside strings.",
        )
    # sqlglot logs a warning for statements it can only keep as raw commands (VACUUM,
    # EXPLAIN…); they are refused below, so the warning would only be noise on stderr.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, SqlglotError) as exc:
        raise _refuse(
            "parse_error",
            f"无法解析 SQL：{str(exc).splitlines()[0]}。",
            f"The SQL does not parse: {str(exc).splitlines()[0]}.",
        ) from None
    finally:
        logger.setLevel(level)
    if not statements:
        raise _refuse("empty", "SQL 为空。", "The SQL is empty.")
    if len(statements) > 1:
        raise _refuse(
            "multiple_statements",
            f"只能有一条语句，收到 {len(statements)} 条。",
            f"Exactly one statement is allowed; got {len(statements)}.",
        )
    return statements[0]


def _check_statements(root: exp.Expression) -> None:
    """No write, DDL, session command or locking clause anywhere in the tree."""
    for node in root.walk():
        if isinstance(node, _WRITES):
            what = "SELECT … INTO" if isinstance(node, exp.Into) else node.key.upper()
            raise _refuse(
                "write",
                f"不允许写入或修改结构（{what}）。",
                f"Writes and schema changes are not allowed ({what}).",
            )
        if isinstance(node, _COMMANDS):
            what = node.key.upper()
            if isinstance(node, exp.Command):
                what = str(node.this).upper()
            raise _refuse(
                "command",
                f"不允许数据库命令（{what}）。",
                f"Database commands are not allowed ({what}).",
            )
        if isinstance(node, exp.Lock):
            raise _refuse(
                "lock",
                "不允许 FOR UPDATE / FOR SHARE 等加锁读取。",
                "Locking reads (FOR UPDATE / FOR SHARE) are not allowed.",
            )


def _top_query(root: exp.Expression, sql: str) -> exp.Query:
    while isinstance(root, exp.Subquery) and set(k for k, v in root.args.items() if v) == {"this"}:
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        first = sql.split(maxsplit=1)[0].upper()[:20]
        raise _refuse(
            "not_select",
            f"语句必须是 SELECT，收到的是 {first}。",
            f"The statement must be a SELECT; got {first}.",
        )
    return root


def _key(identifier: exp.Expression | None) -> str:
    """How the database matches a name: PostgreSQL folds unquoted names to lower case and
    keeps quoted ones exactly. Matching names by this key (rather than case-insensitively)
    means ``WITH "SERIES" AS (…) SELECT * FROM series`` does not pass for a CTE reference
    while the database reads the real table; on SQLite (case-insensitive) it only refuses
    more."""
    if not isinstance(identifier, exp.Identifier):
        return ""
    return identifier.this if identifier.quoted else identifier.this.lower()


def _cte_key(cte: exp.CTE) -> str:
    alias = cte.args.get("alias")
    return _key(alias.this if isinstance(alias, exp.TableAlias) else None)


def _cte_names(with_: exp.With | None) -> list[str]:
    if with_ is None:
        return []
    return [_cte_key(cte) for cte in with_.expressions]


def _visible_ctes(node: exp.Expression) -> set[str]:
    """CTE names a table reference at ``node`` can see, following SQL scoping rules: a
    query's CTEs are visible in its body; inside one CTE only the earlier ones (and itself
    when WITH RECURSIVE)."""
    names: set[str] = set()
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            ctes = parent.expressions
            position = next((i for i, cte in enumerate(ctes) if cte is child), -1)
            if position >= 0:
                end = position + 1 if parent.args.get("recursive") else position
                names.update(_cte_key(cte) for cte in ctes[:end])
        else:
            with_ = parent.args.get("with_")
            if isinstance(with_, exp.With) and child is not with_:
                names.update(_cte_names(with_))
        child, parent = parent, parent.parent
    return names


def _check_tables(root: exp.Expression) -> None:
    for with_ in root.find_all(exp.With):
        for name in _cte_names(with_):
            if name.lower() in VIEW_NAMES:
                raise _refuse(
                    "cte_name",
                    f"WITH 子查询不能与视图同名（{name}）。",
                    f"A WITH query must not reuse a view name ({name}).",
                )
    for table in root.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise _refuse(
                "table",
                "FROM 中不能使用表函数。",
                "Table functions are not allowed in FROM.",
            )
        shown = ".".join(p.name for p in table.parts)
        name = _key(table.this)
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse(
                "table",
                f"不允许带库名或模式名的表（{shown}）。",
                f"Qualified table names are not allowed ({shown}).",
            )
        extra = sorted(k for k, v in table.args.items() if v and k not in _TABLE_ARGS)
        if extra:
            raise _refuse(
                "syntax",
                f"视图引用不支持附加子句（{', '.join(extra)}）。",
                f"A view reference cannot carry extra clauses ({', '.join(extra)}).",
            )
        if name in VIEW_NAMES or name in _visible_ctes(table):
            continue
        raise _refuse("table", f"不允许查询 {shown}。", f"Reading {shown} is not allowed.")


def _check_nodes(root: exp.Expression, dialect: str) -> None:
    anonymous = _ANONYMOUS.get(dialect, frozenset())
    for node in root.walk():
        kind = type(node)
        if kind is exp.Anonymous:
            name = node.name.lower()
            if name not in anonymous:
                raise _function_refused(name, dialect)
        elif kind in _FUNCTIONS:
            continue
        elif isinstance(node, exp.Func) and kind not in _NODES:
            raise _function_refused(node.sql_name().lower(), dialect)
        elif kind not in _NODES:
            raise _refuse(
                "syntax",
                f"不支持的 SQL 结构：{node.key.upper()}。",
                f"Unsupported SQL construct: {node.key.upper()}.",
            )
        elif kind is exp.DataType and node.this not in _DATA_TYPES:
            raise _refuse(
                "syntax",
                f"不支持转换为类型 {node.sql(dialect)}。",
                f"Casting to {node.sql(dialect)} is not supported.",
            )


def _function_refused(name: str, dialect: str) -> UnsafeSQLError:
    allowed = ", ".join(allowed_function_names(dialect))
    return UnsafeSQLError(
        "function",
        f"不允许调用函数 {name}()。可用函数：{allowed}。",
        f"Calling {name}() is not allowed. Allowed functions: {allowed}.",
    )


def _cap_limit(query: exp.Query, limit: int) -> None:
    """Add LIMIT ``limit`` or lower a bigger one. FETCH FIRST n becomes LIMIT n; a LIMIT
    that is not a plain number (LIMIT -1, LIMIT ALL, a subquery) becomes the cap."""
    current = query.args.get("limit")
    value = None
    if isinstance(current, exp.Limit):
        value = current.expression
    elif isinstance(current, exp.Fetch):
        value = current.args.get("count")
    wanted = limit
    if isinstance(value, exp.Literal) and value.is_int:
        wanted = min(int(value.name), limit)
    if isinstance(current, exp.Limit) and value == exp.Literal.number(wanted):
        return
    query.set("limit", exp.Limit(expression=exp.Literal.number(wanted)))


def _portable_round(query: exp.Query) -> None:
    """PostgreSQL has no round(double precision, int): cast the argument to NUMERIC, as
    models trained on other databases routinely write round(avg(value), 1)."""
    for node in list(query.find_all(exp.Round)):
        arg = node.this
        if node.args.get("decimals") is None or arg is None:
            continue
        if isinstance(arg, exp.Cast) and arg.to.this == exp.DataType.Type.DECIMAL:
            continue
        node.set("this", exp.cast(arg.copy(), exp.DataType.build("DECIMAL")))


# --------------------------------------------------------------------------- entry point
def check_sql(sql: str, *, dialect: str, limit: int = DEFAULT_LIMIT) -> exp.Query:
    """The parsed, checked query with its LIMIT capped at ``limit``, or UnsafeSQLError.

    ``dialect`` is the database's (``sqlite`` or ``postgresql``, SQLAlchemy's names; the
    sqlglot name ``postgres`` works too). Render the result with :func:`render`.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    read = sqlglot_dialect(dialect)
    root = _parse(sql, read)
    _check_statements(root)
    query = _top_query(root, sql)
    _check_tables(query)
    _check_nodes(query, read)
    _cap_limit(query, limit)
    if read == "postgres":
        _portable_round(query)
    return query


def render(query: exp.Expression, *, dialect: str) -> str:
    """SQL text of a checked (and rewritten) tree. Refuses what sqlglot cannot render
    faithfully in ``dialect`` instead of silently changing the query's meaning."""
    try:
        return query.sql(dialect=sqlglot_dialect(dialect), unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise _refuse(
            "unsupported",
            f"这条 SQL 在当前数据库上无法执行：{str(exc).splitlines()[0]}。",
            f"This SQL cannot run on this database: {str(exc).splitlines()[0]}.",
        ) from None
