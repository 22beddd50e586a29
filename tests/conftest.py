from __future__ import annotations

import pathlib
import sys

import pytest

# Cache bytecode while testing, even where the environment sets PYTHONDONTWRITEBYTECODE=1 (this machine
# does): otherwise every run recompiles evigrade and re-rewrites the asserts of ~200 test modules in each
# xdist worker (~5 s each), and every subprocess test recompiles evigrade from source (~0.5 s of CPU each).
# Python checks each .pyc against its source, so a cache is never stale; __pycache__ is git-ignored.
sys.dont_write_bytecode = False  # (before any test module or evigrade is imported)

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "reference" / "golden"


@pytest.fixture
def golden_dir() -> pathlib.Path:
    return GOLDEN
