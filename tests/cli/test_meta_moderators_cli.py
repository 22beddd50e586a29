"""`evigrade meta --subgroup/--mods/--leave-one-out/--bias`: JSON equals metafor, errors exit 3."""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cli_helpers import runner_for

# REML through the CLI runs with the statistics core's default convergence threshold (1e-10, not the
# 1e-12 of the goldens), so derived p-values can differ by ~1e-9 relative; 1e-7 is still 10x
# tighter than the project bar of 1e-6.
RTOL = 1e-7
ATOL = 1e-12


@pytest.fixture
def run(monkeypatch, capsys):
    """Run the real ``main(argv)`` with only this command registered (isolates other commands)."""
    return runner_for(monkeypatch, capsys, "meta")


@pytest.fixture
def bcg(golden_dir, tmp_path):
    g = json.loads((golden_dir / "bias_moderators.json").read_text(encoding="utf-8"))
    d = g["datasets"]["bcg"]
    lines = ["study,yi,vi,ablat,alloc"]
    for i in range(len(d["yi"])):
        lines.append(f'"{d["study"][i]}",{d["yi"][i]!r},{d["vi"][i]!r},{d["ablat"][i]},{d["alloc"][i]}')
    p = tmp_path / "bcg.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, g


def _f(x):
    return np.nan if x is None else float(x)


def test_subgroup_and_mods_json_match_metafor(run, bcg):
    p, g = bcg
    rc, out, err = run("meta", str(p), "--measure", "RR", "--subgroup", "alloc", "--mods", "ablat,alloc", "--json")
    assert rc == 0, err
    got = json.loads(out)
    assert set(got) == {"meta", "subgroups", "meta_regression"}
    assert got["meta"]["k"] == 13 and got["meta"]["method"] == "REML"
    sg = next(c for c in g["subgroups"] if c["method"] == "REML" and c["test"] == "knha")
    assert [x["level"] for x in got["subgroups"]["groups"]] == sg["groups"]
    assert_allclose([x["estimate"] for x in got["subgroups"]["groups"]], sg["estimate"], rtol=RTOL, atol=ATOL)
    assert_allclose([x["ci_low"] for x in got["subgroups"]["groups"]], sg["ci_lb"], rtol=RTOL, atol=ATOL)
    assert_allclose([got["subgroups"]["q_between"], got["subgroups"]["q_between_pvalue"]],
                    [sg["q_between"], sg["q_between_pvalue"]], rtol=RTOL)
    mr = next(c for c in g["metareg"] if c["mods"] == "ablat_alloc" and c["method"] == "REML" and c["test"] == "knha")
    coefs = got["meta_regression"]["coefficients"]
    assert [c["name"] for c in coefs] == ["intrcpt", "ablat", "alloc[random]", "alloc[systematic]"]
    assert_allclose([c["estimate"] for c in coefs], mr["coef"], rtol=RTOL, atol=ATOL)
    assert_allclose([c["pval"] for c in coefs], mr["pval"], rtol=RTOL, atol=ATOL)
    assert_allclose([got["meta_regression"]["qm"], got["meta_regression"]["qm_pvalue"], got["meta_regression"]["tau2"],
                     got["meta_regression"]["r2"]], [mr["qm"], mr["qm_pvalue"], mr["tau2"], mr["r2"]], rtol=RTOL)


def test_leave_one_out_and_bias_json(run, bcg, golden_dir):
    p, _ = bcg
    rc, out, err = run("meta", str(p), "--measure", "RR", "--leave-one-out", "--bias", "--json")
    assert rc == 0, err
    got = json.loads(out)
    sens = json.loads((golden_dir / "bias_sensitivity.json").read_text(encoding="utf-8"))
    l1o = next(c for c in sens["leave1out"] if c["dataset"] == "bcg" and c["method"] == "REML" and c["test"] == "knha")
    assert_allclose([r["estimate"] for r in got["leave_one_out"]["omitted"]], l1o["estimate"], rtol=RTOL)
    assert_allclose([r["tau2"] for r in got["leave_one_out"]["omitted"]], l1o["tau2"], rtol=RTOL)
    small = json.loads((golden_dir / "bias_smallstudy.json").read_text(encoding="utf-8"))
    eg = next(c for c in small["regtest"] if c["dataset"] == "bcg" and c["model"] == "lm" and c["predictor"] == "sei")
    ss = got["small_study"]
    assert ss["assessable"] is True
    assert_allclose([ss["egger"]["stat"], ss["pval"]], [eg["zval"], eg["pval"]], rtol=1e-10)
    rk = next(c for c in small["ranktest"] if c["dataset"] == "bcg")
    assert_allclose([ss["ranktest"]["tau"], ss["ranktest"]["pval"]], [rk["tau"], rk["pval"]], rtol=1e-10)
    tf = next(c for c in small["trimfill"] if c["dataset"] == "bcg" and c["method"] == "REML"
              and c["estimator"] == "L0" and c["side"] == "auto")
    assert ss["trimfill"]["k0"] == tf["k0"] and ss["trimfill"]["side"] == tf["side_used"]
    assert_allclose(ss["trimfill"]["adjusted"]["estimate"], tf["estimate"], rtol=RTOL)


def test_plain_json_is_unchanged_without_the_options(run, bcg):
    p, _ = bcg
    rc, out, _ = run("meta", str(p), "--measure", "RR", "--json")
    assert rc == 0 and "meta" not in json.loads(out) and json.loads(out)["k"] == 13


def test_text_output_has_the_sections(run, bcg):
    p, _ = bcg
    rc, out, err = run("meta", str(p), "--measure", "RR", "--subgroup", "alloc", "--mods", "ablat", "--leave-one-out",
                       "--bias", "--no-color")
    assert rc == 0, err
    for text in ("Subgroups by alloc", "Test for subgroup differences", "Meta-regression", "Test of moderators",
                 "Leave-one-out", "without Aronson 1948", "Egger's test", "Trim-and-fill"):
        assert text in out


def test_bad_moderator_inputs_exit_3_with_one_line(run, bcg, tmp_path):
    p, _ = bcg
    rc, out, err = run("meta", str(p), "--measure", "RR", "--subgroup", "nosuch")
    assert rc == 3 and err.count("\n") == 1 and "column nosuch" in err and "fix:" in err and "Traceback" not in err
    one = tmp_path / "one.csv"
    text = p.read_text(encoding="utf-8").replace("alternate", "random").replace("systematic", "random")
    one.write_text(text, encoding="utf-8")
    rc, out, err = run("meta", str(one), "--measure", "RR", "--subgroup", "alloc")
    assert rc == 3 and err.count("\n") == 1 and "only one level" in err
    rc, out, err = run("meta", str(one), "--measure", "RR", "--mods", "alloc")
    assert rc == 3 and "only one level" in err


def test_missing_moderator_cells_become_notes(run, bcg, tmp_path):
    p, _ = bcg
    lines = p.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[3] = ""  # Aronson 1948 without ablat
    lines[1] = ",".join(cells)
    q = tmp_path / "missing.csv"
    q.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, out, err = run("meta", str(q), "--measure", "RR", "--mods", "ablat", "--json")
    assert rc == 0, err
    mr = json.loads(out)["meta_regression"]
    assert mr["k"] == 12 and mr["excluded"] == ["Aronson 1948"]
    assert any(n["code"] == "missing_moderator" and n["study"] == "Aronson 1948" for n in mr["notes"])


def test_bias_with_few_studies_is_not_assessable(run, bcg, tmp_path):
    p, _ = bcg
    lines = p.read_text(encoding="utf-8").splitlines()[:8]
    q = tmp_path / "few.csv"
    q.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, out, err = run("meta", str(q), "--measure", "RR", "--bias", "--json")
    assert rc == 0, err
    ss = json.loads(out)["small_study"]
    assert ss["assessable"] is False and ss["pval"] is None and ss["notes"][0]["code"] == "not_assessable"
