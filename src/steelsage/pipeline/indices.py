"""Index definitions (``catalog/data/indices.yaml``): loaded, validated, typed.

``load_index_defs()`` returns one :class:`IndexDef` per index with its base date and value,
components and weights, and the method text. Any problem in the file raises
:class:`IndexDefinitionError` naming the index and the field to fix.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

if TYPE_CHECKING:
    from steelsage.catalog import Catalog

WEIGHT_TOLERANCE = 1e-6


class IndexDefinitionError(ValueError):
    """indices.yaml is missing, malformed or inconsistent with the catalog."""


class IndexComponent(BaseModel):
    """One series, or the national average of a product (optionally over some regions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str | None = None
    series: str | None = None
    regions: tuple[str, ...] | None = None
    weight: Annotated[float, Field(gt=0, le=1)]

    @model_validator(mode="after")
    def _one_target(self) -> IndexComponent:
        if (self.product is None) == (self.series is None):
            raise ValueError("give exactly one of 'product' or 'series'")
        if self.series is not None and self.regions is not None:
            raise ValueError("'regions' only applies to a 'product' component")
        return self

    @property
    def key(self) -> str:
        """The series code, or the product code for a national average."""
        return self.series or str(self.product)


class IndexDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(pattern=r"^idx\.[a-z0-9_]+$")]
    name_zh: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]
    base_date: date | None = None
    base_value: Annotated[float, Field(gt=0)] = 100.0
    unit: str = "INDEX"
    method_zh: Annotated[str, Field(min_length=1)]
    method_en: Annotated[str, Field(min_length=1)]
    components: Annotated[tuple[IndexComponent, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _weights(self) -> IndexDef:
        keys = [c.key for c in self.components]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"components listed twice: {dup}")
        total = sum(c.weight for c in self.components)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"component weights must sum to 1, they sum to {total:.6g}")
        return self

    @property
    def method(self) -> str:
        return f"{self.method_zh} / {self.method_en}"

    @property
    def weights(self) -> dict[str, float]:
        return {c.key: c.weight for c in self.components}


def _default_path() -> Path:
    return Path(str(resources.files("steelsage.catalog").joinpath("data/indices.yaml")))


def load_index_defs(
    path: Path | str | None = None, *, catalog: Catalog | None = None
) -> list[IndexDef]:
    """The index definitions of ``path`` (default: the packaged indices.yaml).

    With ``catalog``, every component's product or series must exist in it.
    """
    defs = list(_load(str(path or _default_path())))
    if catalog is not None:
        _check_catalog(defs, catalog, str(path or "indices.yaml"))
    return defs


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[IndexDef, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise IndexDefinitionError(f"无法读取指数定义 / cannot read {path}: {exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IndexDefinitionError(f"{path} 不是有效的 YAML / is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("indices"), dict):
        raise IndexDefinitionError(
            f"{path}: 顶层需要 'indices:' 映射 / expected a top-level 'indices:' mapping "
            "of index code → definition"
        )
    out = []
    for code, body in doc["indices"].items():
        if not isinstance(body, dict):
            raise IndexDefinitionError(f"{path}: {code}: 定义应为映射 / must be a mapping")
        try:
            out.append(IndexDef.model_validate({"code": code, **body}))
        except ValidationError as exc:
            raise IndexDefinitionError(f"{path}: {code}: {_explain(exc)}") from None
    if not out:
        raise IndexDefinitionError(f"{path}: 没有定义任何指数 / defines no index")
    return tuple(out)


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err["loc"]) or "definition"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _check_catalog(defs: list[IndexDef], catalog: Catalog, path: str) -> None:
    problems = []
    for d in defs:
        for comp in d.components:
            if comp.series and comp.series not in catalog.assessments:
                problems.append(f"{d.code}: series {comp.series!r} is not an assessment series")
            if comp.product and comp.product not in catalog.products:
                problems.append(f"{d.code}: product {comp.product!r} is not in the catalog")
            for region in comp.regions or ():
                code = f"{comp.product}.{region}"
                if code not in catalog.assessments:
                    problems.append(f"{d.code}: {code!r} is not an assessment series")
    if problems:
        raise IndexDefinitionError(
            f"{path} 与目录不一致 / does not match the catalog: " + "; ".join(problems)
        )
