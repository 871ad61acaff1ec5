"""Catalog errors: a broken data file names the file and the entry."""

from __future__ import annotations


class CatalogError(ValueError):
    """A catalog data file is missing, malformed or inconsistent."""

    def __init__(self, file: str, entry: str | None, problem: str) -> None:
        self.file = file
        self.entry = entry
        self.problem = problem
        where = f"{file}, entry {entry!r}" if entry is not None else file
        super().__init__(f"catalog {where}: {problem}")


class UnknownCodeError(KeyError):
    """A code (product, region, series …) that the catalog does not define."""

    def __init__(self, kind: str, code: object, known: list[str] | None = None) -> None:
        self.kind = kind
        self.code = code
        hint = ""
        if known:
            shown = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
            hint = f" (known: {shown})"
        self.message = f"unknown {kind} code {code!r}{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
