"""A command loads only what it uses: no scipy.stats (~0.8 s) and no matplotlib on the summarize and batch
paths, no GRADE pipeline for batch, no pandas for summarize/explain.  Each check runs in a fresh interpreter
(a subprocess), since this test process has imported everything already."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy.stats", "matplotlib", "scipy.optimize", "scipy.integrate", "jinja2")


def loaded_after(code: str, watch: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter; the modules of ``watch`` that it loaded."""
    script = (
        "import contextlib, io, json, sys\n"
        + code
        + f"\nprint(json.dumps([m for m in {list(watch)!r} if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_batch_and_summarize_command_paths_loads_no_scipy_stats_or_matplotlib() -> None:
    code = ("from evigrade.cli import build_app\n"
            "build_app(('batch', 'summarize'))\n"
            "import evigrade.batch, evigrade.batch.engine, evigrade.cli.batch, evigrade.cli.summarize\n"
            "import evigrade.pipeline, evigrade.stats, evigrade.report.brief\n")
    assert loaded_after(code, HEAVY) == []


def test_summarize_runs_without_scipy_stats_matplotlib_or_pandas() -> None:
    code = ("from evigrade.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    assert main(['summarize']) == 0\n"
            "assert 'Key messages' in out.getvalue() or len(out.getvalue()) > 200, out.getvalue()\n")
    assert loaded_after(code, HEAVY + ("pandas",)) == []


def test_explain_runs_without_pandas_or_matplotlib() -> None:
    code = ("from evigrade.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    assert main(['explain', 'pain-1']) == 0\n"
            "assert out.getvalue().strip()\n")
    assert loaded_after(code, HEAVY + ("pandas",)) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_batch_runs_without_the_grade_pipeline_or_scipy_stats(tmp_path, fmt) -> None:
    src = tmp_path / "in.csv"
    src.write_text("analysis_id,yi,vi\na,0.1,0.04\na,0.3,0.05\na,0.5,0.03\nb,-0.2,0.1\nb,0.0,0.2\n")
    out = tmp_path / f"out.{fmt}"
    code = ("from evigrade.cli import main\n"
            f"assert main(['batch', {str(src)!r}, '-o', {str(out)!r}, '--quiet']) == 0\n")
    watch = HEAVY + ("evigrade.stats", "evigrade.pipeline", "evigrade.grade", "evigrade.packs", "evigrade.report")
    assert loaded_after(code, watch) == []
    assert out.exists()
