"""Errors of the text-to-SQL path, each with a machine-readable code and zh/en text."""

from __future__ import annotations


class SqlQueryError(Exception):
    """A generated query could not be answered. ``code`` is machine-readable; the two
    messages say what went wrong and what to write instead."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh


class UnsafeSQLError(SqlQueryError):
    """The query was refused: it is not one read-only SELECT over the allowed views, or it
    ran too long, or it tried to write."""
