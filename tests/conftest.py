from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "reference" / "golden"


@pytest.fixture
def golden_dir() -> pathlib.Path:
    return GOLDEN
