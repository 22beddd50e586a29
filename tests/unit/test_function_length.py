"""Issue 12's quality gate: no function in src/ over 100 lines unless the comment block above it (or above its decorators)
has a ``# long:`` comment saying why (a numeric kernel that follows metafor step by step may be long)."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "evigrade"
MAX_LINES = 100


def _long_functions_without_reason() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            n = (node.end_lineno or node.lineno) - start + 1
            comments, i = [], start - 2  # the comment block right above the function (or its decorators)
            while i >= 0 and lines[i].strip().startswith("#"):
                comments.append(lines[i].strip())
                i -= 1
            if n > MAX_LINES and not any(c.startswith("# long:") for c in comments):
                out.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({n} lines)")
    return out


def test_no_function_over_100_lines_without_its_reason():
    assert _long_functions_without_reason() == []


def test_the_check_sees_a_long_function(tmp_path, monkeypatch):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "m.py").write_text(f"def f():\n{body}\n\n\n# long: a reason\ndef g():\n{body}\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    assert _long_functions_without_reason() == ["m.py:1 f (101 lines)"]
