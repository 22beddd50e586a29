"""The README's first Python example runs as printed, and says what it claims: the typed summary's page,
and the fuller page `evigrade report` writes (with the brief)."""
from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _first_python_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^```python\n(.*?)^```$", text, re.S | re.M)
    assert m, "the README has no Python example"
    return m.group(1)


@pytest.mark.slow  # runs the whole chain on the bundled pack twice (about 5 s)
def test_the_readme_python_example_runs_as_printed():
    ns: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(_first_python_block(), "README.md", "exec"), ns)  # noqa: S102 - the README's own code
    graded, html, page, res = ns["graded"], ns["html"], ns["page"], ns["res"]
    assert out.getvalue().strip() == graded.key_messages[0].headline
    assert isinstance(html, str) and isinstance(page, str)
    assert html.startswith("<!DOCTYPE html>") and page.startswith("<!DOCTYPE html>")
    assert 'id="brief"' in page and 'id="brief"' not in html  # the report's page adds the brief
    assert res.estimate is not None and res.ci_low < res.estimate < res.ci_high
