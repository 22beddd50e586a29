"""evigrade._special: scipy.special's ufuncs without scipy.special's __init__ (import-time cost, issue 18).

Each check runs in a fresh interpreter, since the point is what a new process imports."""
from __future__ import annotations

import subprocess
import sys
import textwrap

# the ufuncs evigrade calls through _special (_dist, effects.escalc, batch.engine)
NAMES = ("ndtr", "ndtri", "stdtr", "stdtrit", "chdtr", "chdtrc", "chdtri", "gammaincinv", "fdtr", "fdtrc",
         "betaincinv", "bdtrc", "gammaln")


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_ufuncs_load_without_scipy_special_and_are_its_own_objects():
    out = _run(f"""
        import sys
        from evigrade._special import ufuncs
        print(ufuncs.__name__)
        print("scipy.special" in sys.modules, "scipy._lib._array_api" in sys.modules)
        import scipy.special
        print(all(getattr(scipy.special, n) is getattr(ufuncs, n) for n in {NAMES!r}))
        print(scipy.special._ufuncs is ufuncs, callable(scipy.special.logsumexp))
        import scipy.stats
        print(repr(float(scipy.stats.t.isf(0.025, 7))), repr(float(-ufuncs.stdtrit(7, 0.025))))
    """)
    name, before, same, whole, isf = out.splitlines()
    assert name == "scipy.special._ufuncs"
    assert before == "False False"  # neither scipy.special's __init__ nor its array-API layer ran
    assert same == "True"  # the very objects scipy.special exports: bit-identical results
    assert whole == "True True"  # the real package imports afterwards, complete, around the same module
    a, b = isf.split()
    assert a == b


def test_with_scipy_special_already_imported_it_is_the_package():
    out = _run("""
        import scipy.special
        from evigrade._special import ufuncs
        print(ufuncs is scipy.special)
    """)
    assert out.strip() == "True"


def test_summarize_does_not_import_scipy_special_init():
    # `evigrade summarize` starting cold: scipy.special's __init__ costs ~0.3 s of CPU (twice `import numpy`);
    # the command needs only its ufuncs (stats.glmm, pubbias and selection, which import it, load lazily)
    out = _run("""
        import io, sys, contextlib
        from evigrade.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["summarize"])
        print(rc, sorted(m for m in ("scipy.special", "scipy._lib._array_api", "scipy.stats") if m in sys.modules))
    """)
    assert out.strip() == "0 []"


def test_the_lazy_stats_names_resolve():
    out = _run("""
        import sys
        import evigrade.stats as s
        print("evigrade.stats.glmm" in sys.modules)
        from evigrade.stats import rma_glmm, selection_model, fsn, GLMM_MODELS
        from evigrade.stats.glmm import rma_glmm as direct
        print(rma_glmm is direct, callable(selection_model), callable(fsn), len(GLMM_MODELS) > 0)
        print(all(hasattr(s, n) for n in s.__all__), "rma_glmm" in dir(s))
    """)
    assert out.splitlines() == ["False", "True True True True", "True True"]
