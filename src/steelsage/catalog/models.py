"""Typed catalog entries (pydantic v2, strict: no silent coercion, no unknown fields)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SpecValue = str | float
"""A spec attribute value: a grade word ("HRB400E") or a number (20, 4.75, 61.5)."""

MacroRegion = Literal["华东", "华北", "华南", "中南", "西南", "西北", "东北"]
SpecKind = Literal[
    "bar",
    "flat",
    "h_beam",
    "angle",
    "strip",
    "billet",
    "welded_pipe",
    "seamless_pipe",
    "ore",
    "coal",
    "grade",
    "fesi",
]
Name = Annotated[str, Field(min_length=1)]


class _Entry(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Commodity(_Entry):
    code: Name
    name_zh: Name
    name_en: Name
    kind: Literal["finished_steel", "raw_material"]


class SpecRule(_Entry):
    """One spec differential.

    ``{attribute, value, diff}``: a report at ``value`` is worth ``diff`` more than one at
    the base value (numeric values of one attribute form an interpolated schedule).
    ``{attribute, per_unit}``: a linear premium per unit above the base value.
    """

    attribute: Name
    value: SpecValue | None = None
    diff: float | None = None
    per_unit: float | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SpecRule:
        point = self.value is not None and self.diff is not None
        linear = self.per_unit is not None and self.value is None and self.diff is None
        if point == linear:
            raise ValueError(
                f"rule for {self.attribute!r} needs either value+diff or per_unit alone"
            )
        return self

    @property
    def is_linear(self) -> bool:
        return self.per_unit is not None


class Product(_Entry):
    code: Name
    name_zh: Name
    name_en: Name
    commodity: Name
    unit: Name
    delivery: Name
    spec_kind: SpecKind
    base_spec: dict[str, SpecValue]
    spec_label_zh: Name
    spec_label_en: Name
    weight_basis: Literal["actual", "theoretical"] | None
    weight_basis_factor: Annotated[float, Field(gt=0.8, le=1.0)] | None
    plausible_range: Annotated[tuple[float, float], Field(strict=False)]
    aliases: list[Name]
    spec_aliases: dict[str, dict[str, str]] = Field(default_factory=dict)
    spec_differentials: list[SpecRule] = Field(default_factory=list)
    fe_pct: Annotated[float, Field(gt=0, lt=100)] | None = None
    moisture_pct: Annotated[float, Field(ge=0, lt=30)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        low, high = self.plausible_range
        if not 0 < low < high:
            raise ValueError(f"plausible_range must satisfy 0 < low < high, got {low}, {high}")
        if (self.weight_basis_factor is None) != (self.weight_basis is None):
            raise ValueError("weight_basis and weight_basis_factor must be set together")
        for rule in self.spec_differentials:
            base = self.base_spec.get(rule.attribute)
            if rule.is_linear and not isinstance(base, float):
                raise ValueError(
                    f"linear rule on {rule.attribute!r} needs a numeric base_spec value"
                )
            if (
                not rule.is_linear
                and base is not None
                and isinstance(base, float) != isinstance(rule.value, float)
            ):
                raise ValueError(
                    f"rule value {rule.value!r} for {rule.attribute!r} must have the same "
                    f"type as the base value {base!r}"
                )
        return self

    @property
    def is_ore(self) -> bool:
        return self.spec_kind == "ore"


class Region(_Entry):
    code: Name
    kind: Literal["city", "port", "market", "national"]
    name_zh: Name
    name_en: Name
    province: str | None
    macro_region: MacroRegion | None
    aliases: list[Name]

    @model_validator(mode="after")
    def _located(self) -> Region:
        if self.kind in ("city", "port") and (self.province is None or self.macro_region is None):
            raise ValueError(f"a {self.kind} needs province and macro_region")
        return self


class Unit(_Entry):
    code: Name
    name_zh: Name
    name_en: Name
    kind: Literal["price", "quantity", "ratio", "margin", "index"]
    currency: Literal["CNY", "USD"] | None
    per: Literal["t", "wmt", "dmt", "kt"] | None
    vat: Literal["incl", "excl", "n/a"]
    scale: Annotated[float, Field(gt=0)]
    aliases: list[Name]


class Term(_Entry):
    """A vocabulary entry with aliases: tax basis, weight basis or delivery term."""

    code: Name
    name_zh: Name
    name_en: Name
    aliases: list[Name]


class DeliveryTerm(Term):
    pass


class DataType(Term):
    rank: Annotated[int, Field(ge=1)]


class DeliveryLevels(_Entry):
    """Cost of each delivery term relative to the group's reference term."""

    commodity: Name
    reference: Name
    levels: dict[str, float]

    @model_validator(mode="after")
    def _reference_is_zero(self) -> DeliveryLevels:
        if self.levels.get(self.reference) != 0:
            raise ValueError(f"levels must contain the reference term {self.reference!r} at 0")
        return self


class ScopeLabel(_Entry):
    name_zh: Name
    name_en: Name


class Indicator(_Entry):
    code: Name
    name_zh: Name
    name_en: Name
    unit: Name
    frequency: Literal["daily", "weekly", "monthly"]
    method_zh: Name
    method_en: Name
    scopes: list[Name] = Field(min_length=1)
    scope_labels: dict[str, ScopeLabel] = Field(default_factory=dict)

    def series_codes(self) -> list[str]:
        return [f"{self.code}.{scope}" for scope in self.scopes]


class AssessmentEntry(_Entry):
    """An assessment as written in assessments.yaml (defaults not yet filled in)."""

    code: Name
    min_sources: Annotated[int, Field(ge=1)]
    benchmark: bool = False
    unit: str | None = None
    delivery: str | None = None
    base_spec: dict[str, SpecValue] | None = None
    inputs: list[Name] | None = None


class AssessmentDef(_Entry):
    """An assessment series: product × region with its basis and minimum-data rule."""

    code: Name
    product: Name
    region: Name
    unit: Name
    delivery: Name
    base_spec: dict[str, SpecValue]
    min_sources: Annotated[int, Field(ge=1)]
    benchmark: bool
    inputs: list[Name]
    weight_basis: Literal["actual", "theoretical"] | None

    @property
    def series_code(self) -> str:
        return self.code
