"""The bundled pack is exactly what scripts/build_bundled_pack.py makes from the shared evidence
folder (provenance is reproducible), and it ships as package data."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evigrade.packs import bundled_pack_path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "evidence" / "dry-needling-neck-shoulder"
TABLES = ("studies.csv", "results.csv", "reviews.csv", "safety.csv", "claims.csv")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared evidence folder not present")
def test_build_script_reproduces_bundled_tables(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_bundled_pack.py"), str(SHARED), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (bundled_pack_path() / name).read_bytes(), name


def test_every_number_has_provenance():
    import csv

    for name, key in (("results.csv", "outcomes.csv O"), ("reviews.csv", "pooled.csv P"),
                      ("safety.csv", "safety.csv S"), ("claims.csv", "mechanisms.csv M")):
        with open(bundled_pack_path() / name, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows
        for r in rows:
            assert r["source_row"].startswith(key) and r["source"].strip(), (name, r)


@pytest.mark.slow
def test_package_data_in_built_tree(tmp_path):
    """setuptools build_py (what a wheel contains) carries the bundled pack, and it loads from there."""
    work = tmp_path / "proj"
    (work / "src").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", work)
    if (ROOT / "README.md").exists():
        shutil.copy(ROOT / "README.md", work)
    shutil.copytree(ROOT / "src" / "evigrade", work / "src" / "evigrade",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "built"
    proc = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "build_py", "-d", str(out)],
                          cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    pack = out / "evigrade" / "packs" / "bundled" / "dry-needling-neck-shoulder"
    assert sorted(p.name for p in pack.iterdir()) == sorted(("pack.toml", "README.md") + TABLES)
    code = "import evigrade.packs as p; pk = p.load_pack(); print(p.__file__); print(len(pk.results))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(out), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout and proc.stdout.strip().endswith("132")
