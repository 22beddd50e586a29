"""Evidence fixtures shared by the claims tests in this folder: the bundled pack's stored snapshot and the
BCG test pack (each loaded once per module, as before)."""
from __future__ import annotations

import pathlib

import pytest

from evigrade.claims import Evidence, load_evidence
from evigrade.claims.evidence import evidence_from_pack

HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def snap() -> Evidence:
    """The bundled pack's evidence as stored in bundled_evidence_snapshot.json (what the labels were written against)."""
    return load_evidence(HERE / "bundled_evidence_snapshot.json")


@pytest.fixture(scope="module")
def bcg() -> Evidence:
    """The BCG test pack's evidence (tests/packs/data/bcg, metadat's dat.bcg)."""
    return evidence_from_pack(HERE.parent / "packs" / "data" / "bcg")
