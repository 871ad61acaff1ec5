"""The parser's vocabulary: catalog names and aliases plus the assistant's own word lists.

Everything is compiled once into a few regular expressions (longest alternative first), so
scanning a question costs a handful of regex passes, not one lookup per alias.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

import yaml

from steelsage.catalog import Catalog, load_catalog

if TYPE_CHECKING:
    from steelsage.assistant.naming import Namer

EntityKind = Literal[
    "product",
    "region",
    "indicator",
    "external",
    "spread",
    "commodity",
    "unsupported",
    "generic",
]
# When one surface form belongs to several kinds, the first kind in this order wins.
_KIND_PRIORITY: tuple[EntityKind, ...] = (
    "spread",
    "indicator",
    "product",
    "external",
    "region",
    "commodity",
    "unsupported",
    "generic",
)
WORD_CLASSES = (
    "change",
    "pct",
    "rank_low",
    "rank_high",
    "rank_top",
    "rank_marker",
    "average",
    "high",
    "low",
    "median",
    "stdev",
    "trend",
    "compare",
    "spread",
    "ratio",
    "catalog",
    "price",
    "followup",
    "vague",
    "forecast",
    "report",
    "out_of_scope",
    "injection",
)


def normalize_question(text: str) -> str:
    """NFKC (full-width → half-width) and case-folded; spacing kept so spans stay meaningful."""
    return unicodedata.normalize("NFKC", text).casefold()


def _is_latin(term: str) -> bool:
    return all(ch.isascii() for ch in term)


def _pattern(terms: list[str]) -> re.Pattern[str]:
    """One alternation, longest first; Latin-script terms only at word boundaries."""
    parts = []
    for term in sorted(set(terms), key=lambda t: (-len(t), t)):
        escaped = re.escape(term)
        if _is_latin(term) and term[:1].isalnum():
            escaped = rf"(?<![a-z0-9]){escaped}"
        if _is_latin(term) and term[-1:].isalnum():
            escaped = rf"{escaped}(?![a-z0-9])"
        parts.append(escaped)
    return re.compile("|".join(parts) if parts else r"(?!x)x")


@dataclass(frozen=True)
class Spread:
    a: str
    b: str
    op: Literal["minus", "ratio"]
    term: str


@dataclass(frozen=True)
class Entity:
    kind: EntityKind
    code: str
    text: str
    span: tuple[int, int]


@dataclass
class Lexicon:
    catalog: Catalog
    terms: dict[str, list[tuple[EntityKind, str]]]
    entity_re: re.Pattern[str]
    word_res: dict[str, re.Pattern[str]]
    spreads: dict[str, Spread]
    indicator_default_scope: dict[str, str]
    product_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # World Bank series' names: the first Chinese and the first Latin alias of each.
    external_names: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @cached_property
    def namer(self) -> Namer:
        """Names of series, products, regions, units and methods for answers."""
        from steelsage.assistant.naming import Namer

        return Namer(self)

    @cached_property
    def protected_terms(self) -> list[str]:
        """Names whose digits are not figures ("62%铁矿", "Q235B", "45港", "CC BY 4.0"),
        longest first: the verifier masks them before reading numbers."""
        from steelsage.assistant.naming import UNIT_AND_METHOD_WORDS

        catalog = self.catalog
        names: list[str | None] = list(UNIT_AND_METHOD_WORDS)
        for p in catalog.products.values():
            names += [p.name_zh, p.name_en, p.spec_label_zh, p.spec_label_en, *p.aliases]
        for ind in catalog.indicators.values():
            names += [ind.name_zh, ind.name_en]
        words = {w for w in names if w and any(c.isdigit() for c in w)}
        return sorted(words, key=len, reverse=True)

    def entities(self, text: str) -> list[Entity]:
        """Catalog entities in a normalised question, left to right, longest match first."""
        found: list[Entity] = []
        for m in self.entity_re.finditer(text):
            options = self.terms[m.group(0)]
            kind, code = min(options, key=lambda kc: _KIND_PRIORITY.index(kc[0]))
            found.append(Entity(kind, code, m.group(0), m.span()))
        return found

    def regions_for(self, text: str, product: str | None) -> str | None:
        """A region word resolved with its product context (青岛: port for ore)."""
        return self.catalog.resolve_region(text, product)

    def has(self, word_class: str, text: str) -> bool:
        return self.word_res[word_class].search(text) is not None

    def find(self, word_class: str, text: str) -> list[re.Match[str]]:
        return list(self.word_res[word_class].finditer(text))


def _load_yaml() -> dict:
    raw = resources.files("steelsage.assistant").joinpath("data/lexicon.yaml").read_text("utf-8")
    return yaml.safe_load(raw)


def build_lexicon(catalog: Catalog) -> Lexicon:
    data = _load_yaml()
    terms: dict[str, list[tuple[EntityKind, str]]] = {}

    def add(term: str, kind: EntityKind, code: str) -> None:
        key = normalize_question(str(term)).strip()
        if key and (kind, code) not in terms.setdefault(key, []):
            terms[key].append((kind, code))

    for code, p in catalog.products.items():
        for term in (p.name_zh, p.name_en, *p.aliases):
            add(term, "product", code)
    for code, r in catalog.regions.items():
        if r.kind == "national":
            continue
        for term in (r.name_zh, r.name_en, *r.aliases):
            add(term, "region", code)
    for code, c in catalog.commodities.items():
        for term in (c.name_zh, c.name_en, *getattr(c, "aliases", [])):
            add(term, "commodity", code)
    for code, ind in catalog.indicators.items():
        add(ind.name_zh, "indicator", code)
        add(ind.name_en, "indicator", code)
    for code, words in data["indicators"].items():
        if code not in catalog.indicators:
            raise ValueError(f"lexicon.yaml: unknown indicator {code!r}")
        for term in words:
            add(term, "indicator", code)
    for code, words in data["external"].items():
        for term in words:
            add(term, "external", code)
    spreads: dict[str, Spread] = {}
    for entry in data["spreads"]:
        for term in entry["terms"]:
            key = normalize_question(term)
            spreads[key] = Spread(entry["a"], entry["b"], entry["op"], term)
            add(term, "spread", key)
    for term in data["unsupported"]:
        add(term, "unsupported", normalize_question(term))
    for term in data["words"]["generic_product"]:
        add(term, "generic", "generic")

    word_lists = dict(data["words"])
    word_lists["out_of_scope"] = data["out_of_scope"]
    word_lists["forecast"] = data["forecast"]
    word_lists["report"] = data["report"]
    word_lists["injection"] = data["injection"]
    word_res = {
        name: _pattern([normalize_question(w) for w in word_lists[name]]) for name in WORD_CLASSES
    }
    return Lexicon(
        catalog=catalog,
        terms=terms,
        entity_re=_pattern(list(terms)),
        word_res=word_res,
        spreads=spreads,
        indicator_default_scope=dict(data.get("indicator_default_scope", {})),
        product_names={c: (p.name_zh, p.name_en) for c, p in catalog.products.items()},
        external_names={
            code: (
                next((t for t in terms if any("\u4e00" <= c <= "\u9fff" for c in t)), None),
                next((t for t in terms if t.isascii()), None),
            )
            for code, terms in data["external"].items()
        },
    )


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return build_lexicon(load_catalog())
