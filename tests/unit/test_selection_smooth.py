"""The smooth selection models' normalising integrals against an independent adaptive quadrature (scipy quad),
and the CLI --selmodel option."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special

from evigrade.cli import main
from evigrade.stats import selection as S

G = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "extras_selmodel.json").read_text())


def _quad_ll(y, v, kind, delta, mu, tau2, step=0.0):
    pmin = S._SMOOTH[kind][3]
    total = 0.0
    for yi, vi in zip(y, v):
        sv, si = np.sqrt(vi), np.sqrt(vi + tau2)

        def f(t, sv=sv, si=si):
            p = np.clip(special.ndtr(-t / sv), pmin, 1 - pmin)
            return S._weight(kind, np.asarray(p), delta, step) * np.exp(-0.5 * ((t - mu) / si) ** 2) / (si * np.sqrt(2 * np.pi))

        pts = sorted(q for q in [0.0, *(sv * np.arange(-8.0, 8.1, 0.5)),
                                 *([sv * special.ndtri(1 - pmin), sv * special.ndtri(pmin)] if pmin > 0 else []),
                                 *([-sv * special.ndtri(step)] if step > 0 else [])]
                     if mu - 30 * si < q < mu + 30 * si)
        a = integrate.quad(f, mu - 30 * si, mu + 30 * si, points=pts, epsabs=0, epsrel=1e-13, limit=2000)[0]
        p_obs = np.clip(special.ndtr(-yi / sv), pmin, 1 - pmin)
        total += float(np.log(S._weight(kind, np.asarray(p_obs), delta, step)) - 0.5 * ((yi - mu) / si) ** 2
                       - np.log(si * np.sqrt(2 * np.pi)) - np.log(a))
    return total


@pytest.mark.parametrize("dataset", ["hackshaw1998", "molloy2014", "egger2001"])
@pytest.mark.parametrize(("kind", "delta", "step"), [
    ("beta", [0.3, 2.5], 0.0), ("beta", [1.7, 1.1], 0.0), ("halfnorm", [20.0], 0.0), ("negexp", [60.0], 0.0),
    ("halfnorm", [3.0], 0.025)])
@pytest.mark.parametrize("tau2", [0.0, 0.1])
def test_loglik_matches_adaptive_quadrature(dataset, kind, delta, step, tau2):
    d = G["datasets"][dataset]
    y, v = np.asarray(d["yi"]), np.asarray(d["vi"])
    mu = float(np.mean(y))
    ours = S._make_ll_smooth(y, v, kind, step, "greater")(mu, tau2, np.asarray(delta, float))
    assert ours == pytest.approx(_quad_ll(y, v, kind, np.asarray(delta, float), mu, tau2, step), rel=1e-11, abs=1e-9)


def test_cli_selmodel(tmp_path, capsys):
    d = G["datasets"]["hackshaw1998"]
    p = tmp_path / "h.csv"
    p.write_text("study,yi,vi\n" + "".join(f"S{i},{y!r},{v!r}\n" for i, (y, v) in enumerate(zip(d["yi"], d["vi"]))),
                 encoding="utf-8")
    rc = main(["meta", str(p), "--measure", "GEN", "--method", "ML", "--test", "z", "--selmodel", "step",
               "--steps", "0.025,1", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    sm = json.loads(out)["selection_model"]
    case = next(c for c in G["stepfun"] if c["dataset"] == "hackshaw1998" and c["steps"] == [0.025, 1])
    assert sm["type"] == "stepfun"
    assert sm["estimate"] == pytest.approx(case["beta"], rel=1e-6)
    rc = main(["meta", str(p), "--measure", "GEN", "--selmodel", "logistic"])
    out, err = capsys.readouterr()
    assert rc == 3 and "--selmodel" in err and out == ""
