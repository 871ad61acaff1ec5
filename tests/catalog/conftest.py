from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from steelsage.catalog import DATA_DIR, Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped catalog data files."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target
