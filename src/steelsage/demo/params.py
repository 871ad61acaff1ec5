"""Load the demo market's parameters (``market.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=1)
def load_params() -> dict[str, Any]:
    """The parsed ``market.yaml`` shipped with the package (cached; treat as read-only)."""
    text = resources.files("steelsage.demo").joinpath("market.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)
