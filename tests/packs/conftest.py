from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pack_helpers import NORMAND


@pytest.fixture
def normand_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "normand1999"
    shutil.copytree(NORMAND, dst)
    return dst
