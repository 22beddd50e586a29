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
_REL = Path("shared") / "evidence" / "dry-needling-neck-shoulder"
# next to the checkout (../shared) or, for a git worktree, further up (as the build script looks for it)
SHARED = next((p / _REL for p in ROOT.parents if (p / _REL).is_dir()), ROOT.parent / _REL)
SUPPLEMENT = ROOT / "scripts" / "evidence_supplement"
TABLES = ("studies.csv", "results.csv", "reviews.csv", "safety.csv", "claims.csv")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared evidence folder not present")
def test_build_script_reproduces_bundled_tables(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_bundled_pack.py"), str(SHARED), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (bundled_pack_path() / name).read_bytes(), name


def _rows(name: str, folder: Path | None = None) -> list[dict[str, str]]:
    import csv

    with open((folder or bundled_pack_path()) / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_number_has_provenance():
    for name, keys in (("results.csv", ("outcomes.csv O",)),
                       ("reviews.csv", ("pooled.csv P", "evidence_supplement/pooled.csv X")),
                       ("safety.csv", ("safety.csv S",)), ("claims.csv", ("mechanisms.csv M",))):
        rows = _rows(name)
        assert rows
        for r in rows:
            assert r["source_row"].startswith(keys) and r["source"].strip(), (name, r)


def test_supplement_rows_are_curated_with_their_pages():
    """Every supplementary review row names its citation and the page(s) read, reaches the pack once,
    and keeps its printed numbers (no conversion)."""
    supp = _rows("pooled.csv", SUPPLEMENT)
    assert [r["row_id"] for r in supp] == [f"X{i:03d}" for i in range(1, len(supp) + 1)]
    assert all(r["review_citation"].strip() and r["source_url"].startswith("http") for r in supp)
    by_id = {r["review_row_id"]: r for r in _rows("reviews.csv")}
    for r in supp:
        got = by_id[r["row_id"]]
        assert got["source_row"] == f"evidence_supplement/pooled.csv {r['row_id']}" and got["source"] == r["source_url"]
        assert got["estimate"] == r["estimate"] and got["ci_low"] == r["ci_lower"] and got["ci_high"] == r["ci_upper"]
    # Tough 2009 and its 2011 update: needling vs placebo, with the review's own I2 and counts
    assert (by_id["X001"]["estimate"], by_id["X001"]["i2"], by_id["X001"]["k"], by_id["X001"]["participants"]) == (
        "14.9", "88", "4", "134")
    assert (by_id["X004"]["measure"], by_id["X004"]["estimate"], by_id["X004"]["i2"], by_id["X004"]["k"]) == (
        "MD", "16.67", "82.6", "6")
    assert {by_id[i]["comparison"] for i in ("X001", "X004", "X007", "X008")} == {"sham"}


def test_label_fixes_and_comparison_kind():
    rv = {r["review_row_id"]: r for r in _rows("reviews.csv")}
    # Navarro-Santana 2020 pooled sham/placebo/waiting list AND other forms of dry needling
    assert {rv[i]["comparison"] for i in ("P001", "P002", "P005")} == {"sham_or_control"}
    assert {rv[i]["comparison_kind"] for i in ("P001", "P002", "P005")} == {"partly_between_forms"}
    assert "other form of DN" in rv["P001"]["comparison_as_stated"]
    # Liu 2015 / Gattie 2017 / Espejo-Antunez 2017 pooled sham with no-treatment controls only
    assert {rv[i]["comparison"] for i in ("P022", "P023", "P061", "P071")} == {"sham_or_no_treatment"}
    # Xu 2023 compared dry needling with ischaemic compression, not manual therapy in general
    assert {rv[i]["comparison"] for i in ("P051", "P052", "P053", "P054")} == {"ischemic_compression"}
    # JMMT2021_DNvsTPMT is Lew 2021 (J Man Manip Ther 29:136-146); provenance kept
    assert {rv[i]["review_id"] for i in ("P066", "P067", "P068")} == {"Lew2021"}
    assert rv["P066"]["citation"].startswith("Lew J") and "29(3):136-146" in rv["P066"]["citation"]
    assert rv["P066"]["source_row"] == "pooled.csv P066" and rv["P066"]["k_scope"] == "review_total"
    assert not any(r["review_id"] == "JMMT2021_DNvsTPMT" for r in rv.values())
    # between-forms rows are marked wherever the comparison group says so
    for name in ("reviews.csv", "results.csv"):
        for r in _rows(name):
            if r["comparison"] == "dn_variant":
                assert r["comparison_kind"] == "between_forms", r
            elif r["comparison"] == "dn_in_all_arms":
                assert r["comparison_kind"] == "intervention_in_all_arms", r
            else:
                assert r["comparison_kind"] in ("comparative", "partly_between_forms"), r
    res = {r["result_id"]: r for r in _rows("results.csv")}
    assert res["O061"]["comparison_kind"] == "between_forms"  # Calvo-Lobo 2017: active + latent vs active TrPs only
    assert res["O075"]["comparison_kind"] == "partly_between_forms"  # Itoh 2007: sham and other needling arms
    assert {res[i]["comparison"] for i in ("O023", "O025", "O044", "O105")} == {"ischemic_compression"}


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
