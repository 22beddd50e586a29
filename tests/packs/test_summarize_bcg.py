"""Arm-level binary data through summarize: the bcg test pack (metadat::dat.bcg; Colditz 1994) pooled
as a log risk ratio equals R metafor (tests/reference/golden/packs_bcg.json)."""
from __future__ import annotations

import json
import math
from pathlib import Path

from numpy.testing import assert_allclose

from evigrade.packs import load_pack, summarize

PACK = Path(__file__).parent / "data" / "bcg"
GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_bcg.json").read_text())
RTOL = 1e-9  # observed ~1e-15; see test_summarize_normand.py for why 1e-9


def test_bcg_risk_ratio_equals_metafor():
    (f,) = summarize(load_pack(PACK)).findings
    assert (f.status, f.basis, f.measure, f.k, f.participants) == ("pooled", "trials", "RR", 13, GOLDEN["participants"])
    for key in ("estimate", "ci_low", "ci_high"):  # exp of the log-scale results
        assert_allclose(getattr(f, key), GOLDEN[key], rtol=RTOL, err_msg=key)
    assert_allclose(f.meta.estimate, GOLDEN["estimate_log"], rtol=RTOL)
    assert_allclose([math.exp(f.meta.pi_low), math.exp(f.meta.pi_high)], [GOLDEN["pi_low"], GOLDEN["pi_high"]], rtol=RTOL)
    assert_allclose(f.meta.tau2, GOLDEN["tau2"], rtol=1e-9)
    assert_allclose([t.yi for t in f.trials], GOLDEN["yi"], rtol=1e-12)
    assert_allclose([t.vi for t in f.trials], GOLDEN["vi"], rtol=1e-12)
    # each trial's own RR is shown on the ratio scale
    t1 = f.trials[0]
    assert_allclose(t1.estimate, (4 / 123) / (11 / 139), rtol=1e-12)
    assert any(n.code == "log_scale" for n in f.notes)
    d = f.to_dict()
    assert_allclose([d["pi_low"], d["pi_high"]], [GOLDEN["pi_low"], GOLDEN["pi_high"]], rtol=RTOL)
