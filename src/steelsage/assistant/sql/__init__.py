"""Text-to-SQL for the long tail (only with a language model configured).

A model writes one SELECT over two documented read-only views (:mod:`.semantic`); the guard
refuses anything else (:mod:`.guard`); the query is rewritten to what the caller may see
(:mod:`.entitle`) and run on a read-only connection with a time limit (:mod:`.run`);
:class:`SqlQueryTool` exposes it as the ``sql_query`` tool.
"""

from steelsage.assistant.sql.errors import SqlQueryError, UnsafeSQLError
from steelsage.assistant.sql.guard import allowed_function_names, check_sql, render
from steelsage.assistant.sql.run import SqlResult, readonly_connection, run_sql
from steelsage.assistant.sql.semantic import VIEWS, describe
from steelsage.assistant.sql.tool import SqlQueryTool

__all__ = [
    "VIEWS",
    "SqlQueryError",
    "SqlQueryTool",
    "SqlResult",
    "UnsafeSQLError",
    "allowed_function_names",
    "check_sql",
    "describe",
    "readonly_connection",
    "render",
    "run_sql",
]
