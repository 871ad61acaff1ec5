"""Who is asking, and which series they may see.

The user model arrives with the server; tools only need this interface. A
:class:`Principal` holds entitlement packages; each package grants series by commodity,
product, region or kind, with an optional history depth and publication delay. No packages
and ``role == "admin"`` means everything (the local default: :data:`LOCAL_ADMIN`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from steelsage.store import SeriesInfo

Role = Literal["admin", "editor", "analyst", "subscriber"]


class EntitlementError(PermissionError):
    """The principal may not see this series (or this part of it)."""


class Package(BaseModel):
    """One entitlement package. An empty selector set means "any" for that dimension."""

    model_config = ConfigDict(frozen=True)

    name: str
    commodities: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()  # assessment|indicator|index|external
    series: frozenset[str] = frozenset()  # explicit codes, granted whatever the selectors say
    history_days: int | None = None  # how far back from today; None = all history
    delay_days: int = 0  # values newer than today - delay are hidden

    def covers(self, info: SeriesInfo) -> bool:
        if info.code in self.series:
            return True
        checks = (
            (self.commodities, info.commodity),
            (self.products, info.product),
            (self.regions, info.region),
            (self.kinds, info.kind),
        )
        if not any(selector for selector, _ in checks) and self.series:
            return False
        return all(not selector or value in selector for selector, value in checks)


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = "local"
    name: str = "local admin"
    role: Role = "admin"
    packages: tuple[Package, ...] = Field(default_factory=tuple)

    @property
    def unrestricted(self) -> bool:
        return self.role in ("admin", "editor") and not self.packages

    def _packages_for(self, info: SeriesInfo) -> list[Package]:
        return [p for p in self.packages if p.covers(info)]

    def can_see(self, info: SeriesInfo) -> bool:
        return self.unrestricted or bool(self._packages_for(info))

    def window(self, info: SeriesInfo, today: date) -> tuple[date | None, date | None]:
        """The (earliest, latest) dates of ``info`` this principal may read; None = open.

        Raises :class:`EntitlementError` when the series is not in any package. With several
        packages covering the series the most generous window wins.
        """
        if self.unrestricted:
            return None, None
        packages = self._packages_for(info)
        if not packages:
            raise EntitlementError(info.code)
        earliest: date | None = date.max
        latest: date | None = date.min
        for p in packages:
            start = None if p.history_days is None else today - timedelta(days=p.history_days)
            end = today - timedelta(days=p.delay_days) if p.delay_days else None
            earliest = None if earliest is None or start is None else min(earliest, start)
            latest = None if latest is None or end is None else max(latest, end)
        return earliest, latest


LOCAL_ADMIN = Principal()
