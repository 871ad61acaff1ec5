"""Text normalisation and alias matching shared by all resolvers."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def normalize_text(text: str) -> str:
    """Canonical form for alias lookup.

    Full-width → half-width (NFKC), case-folded, whitespace removed except a single space
    between two ASCII words ("hot rolled coil" stays readable, "上海 市" becomes "上海市").
    """
    tokens = unicodedata.normalize("NFKC", text).casefold().split()
    if not tokens:
        return ""
    parts = [tokens[0]]
    for tok in tokens[1:]:
        if _ascii_alnum(parts[-1][-1]) and _ascii_alnum(tok[0]):
            parts.append(" ")
        parts.append(tok)
    return "".join(parts)


def _clash(a: str, b: str) -> bool:
    """Whether two adjacent characters run together into one word (letter-letter, digit-digit)."""
    if not (a.isascii() and b.isascii()):
        return False
    return (a.isalpha() and b.isalpha()) or (a.isdigit() and b.isdigit())


def find_word(text: str, alias: str, start: int = 0) -> int:
    """Position of ``alias`` in ``text`` at a word boundary, or -1.

    An ASCII alias must not run into neighbouring ASCII letters (or digits into digits), so
    "rb" does not match inside "brbf" and "304" not inside "3040"; Chinese needs no boundary.
    """
    pos = text.find(alias, start)
    while pos >= 0:
        end = pos + len(alias)
        left_ok = pos == 0 or not _clash(text[pos - 1], alias[0])
        right_ok = end == len(text) or not _clash(alias[-1], text[end])
        if left_ok and right_ok:
            return pos
        pos = text.find(alias, pos + 1)
    return -1


@dataclass(frozen=True, slots=True)
class AliasMatch:
    """The alias that matched, where, and the codes it stands for (file order)."""

    alias: str
    start: int
    end: int
    codes: tuple[str, ...]


class AliasIndex:
    """Normalised alias → codes, with exact lookup and longest-contained fallback.

    Single-character aliases (沪, 穗, %) are used for exact matches only: contained in a
    longer text they are too often part of another word.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        exact: dict[str, list[str]] = {}
        raw: dict[str, str] = {}
        for alias, code in pairs:
            key = normalize_text(alias)
            if not key:
                continue
            codes = exact.setdefault(key, [])
            if code not in codes:
                codes.append(code)
            raw.setdefault(alias, code)
        self._exact: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in exact.items()}
        self._raw = raw
        by_len: dict[int, list[str]] = {}
        for key in self._exact:
            if len(key) > 1:
                by_len.setdefault(len(key), []).append(key)
        self._by_len = sorted(by_len.items(), reverse=True)

    def __contains__(self, key: str) -> bool:
        return key in self._exact

    def codes_for(self, key: str) -> tuple[str, ...]:
        """Codes of one normalised alias (exact), empty when unknown."""
        return self._exact.get(key, ())

    def match(self, text: str | None, *, normalized: bool = False) -> AliasMatch | None:
        """Exact alias first, then the longest alias contained in the text (earliest wins ties)."""
        if not text:
            return None
        key = text if normalized else normalize_text(text)
        if not key:
            return None
        codes = self._exact.get(key)
        if codes:
            return AliasMatch(key, 0, len(key), codes)
        for length, aliases in self._by_len:
            if length > len(key):
                continue
            best: AliasMatch | None = None
            for alias in aliases:
                pos = find_word(key, alias)
                if pos >= 0 and (best is None or pos < best.start):
                    best = AliasMatch(alias, pos, pos + length, self._exact[alias])
            if best is not None:
                return best
        return None

    def lookup(self, text: str | None) -> tuple[str, ...]:
        """Candidate codes for free text; empty tuple when nothing matches."""
        m = self.match(text)
        return m.codes if m else ()

    def items(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        """(normalised alias, codes) pairs."""
        return self._exact.items()

    def raw_items(self) -> Iterable[tuple[str, str]]:
        """(alias as written in the data file, first code) pairs."""
        return self._raw.items()
