"""The package layering of DESIGN.md section 2, checked statically on the source (every import, lazy ones
inside functions included):

    errors/_validate -> effects -> stats -> grade -> language -> report/plots -> cli

- no subpackage imports a later layer (known violations are listed in KNOWN_VIOLATIONS; the list may only
  shrink: an entry whose import no longer exists fails the test, so it gets removed);
- the graph of subpackages has no import cycle;
- only the presentation layers import matplotlib, jinja2, typer or rich.
"""
from __future__ import annotations

import ast
import functools
import pathlib
from collections import defaultdict

PKG = pathlib.Path(__file__).resolve().parents[2] / "src" / "evigrade"

# Layer of every top-level module or subpackage of evigrade ("__init__" is evigrade/__init__.py). A unit may
# import units of its own layer or of earlier layers. A new module must be placed here.
LAYERS: dict[str, int] = {
    # 0: foundations that import nothing of evigrade above them
    "__init__": 0, "errors": 0, "_validate": 0, "_access": 0, "_csvtext": 0, "results": 0,
    "_options": 0, "_io": 0, "_format": 0, "notes": 0, "_escape": 0, "_dist": 0, "_special": 0, "_convergence": 0,
    # 1..5: the numerical and judgement chain
    "effects": 1,
    "stats": 2,
    "batch": 3, "packs": 3,  # packs: the pack format (and the thin packs.summarize wrapper)
    "interop": 3,  # readers of other tools' files (RevMan), checked against effects and stats
    "frame": 3,  # pandas wrappers over effects.escalc and stats.meta_analysis
    "grade": 4,
    "language": 5,
    "pipeline": 6,  # owns the chain pack -> findings -> graded findings -> summary
    # 7..: presentation
    "report": 7, "plots": 7, "claims": 7,
    "cli": 8,
    "__main__": 9,
}

# (importer, imported) -> why it is tolerated for now. May only shrink.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    ("grade", "language"): "grade.integrate/families write the plain-language statement while grading; "
                           "the pipeline should call language after grade",
    # From the pipeline branch (issue 12): thin compatibility wrappers packs.summarize and grade.apply call
    # the pipeline lazily. Stale (and must be removed) once the wrappers go.
    ("packs", "pipeline"): "packs.summarize is a thin wrapper over the pipeline",
    ("grade", "pipeline"): "grade.apply is a thin wrapper over the pipeline",
}

PRESENTATION_LIBS = ("matplotlib", "jinja2", "typer", "rich")
# units allowed to import PRESENTATION_LIBS (all others, stats and grade above all, never do)
PRESENTATION_UNITS = {"report", "plots", "claims", "cli", "__main__"}


def _unit(module: str) -> str:
    """evigrade.stats.fit -> stats; evigrade.__version__ (a name in evigrade/__init__) -> __init__."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    head = parts[1]
    if (PKG / head).is_dir() or (PKG / f"{head}.py").is_file():
        return head
    return "__init__"


@functools.cache  # parsed once for all the tests here
def _imports() -> tuple[tuple[str, str, str, int], ...]:
    """(importing unit, imported module, file, line) for every import statement in the package."""
    out = []
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            pkg = parts
        else:
            pkg = parts[:-1]
        me = _unit(".".join(parts))
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(pkg[: len(pkg) - node.level + 1])
                    mod = f"{base}.{node.module}" if node.module else base
                else:
                    mod = node.module or ""
                # `from . import x` / `from evigrade import x`: x may be a submodule
                names = [f"{mod}.{a.name}" for a in node.names] if not node.module else [mod]
            else:
                continue
            for name in names:
                out.append((me, name, str(f.relative_to(PKG)), node.lineno))
    return tuple(out)


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for me, name, where, line in _imports():
        if name == "evigrade" or name.startswith("evigrade."):
            other = _unit(name)
            if other != me:
                edges[(me, other)].append(f"{where}:{line}")
    return edges


def test_every_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in PKG.iterdir()
             if (p.is_file() and p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").exists())}
    missing = sorted(units - set(LAYERS))
    assert not missing, f"place these evigrade modules in LAYERS (tests/unit/test_layering.py): {missing}"


def test_no_unit_imports_a_later_layer():
    edges = _edges()
    # (a unit missing from LAYERS fails test_every_unit_has_a_layer)
    bad = {e: w for e, w in edges.items()
           if e[0] in LAYERS and e[1] in LAYERS and LAYERS[e[1]] > LAYERS[e[0]] and e not in KNOWN_VIOLATIONS}
    assert not bad, "imports of a later layer (DESIGN.md section 2):\n" + "\n".join(
        f"{a} -> {b}: {', '.join(w)}" for (a, b), w in sorted(bad.items()))


def test_known_violations_are_still_needed():
    """The exemption list only shrinks: an exempted import that is gone must leave the list."""
    edges = _edges()
    stale = [e for e in KNOWN_VIOLATIONS if e not in edges and all(u in _existing_units() for u in e)]
    assert not stale, f"remove from KNOWN_VIOLATIONS (no longer imported): {stale}"


def _existing_units() -> set[str]:
    return {p.stem if p.is_file() else p.name for p in PKG.iterdir()} | {"__init__"}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        path.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                return path[path.index(v):] + [v]
            if v not in state and (found := visit(v)):
                return found
        path.pop()
        state[u] = 2
        return None

    for u in sorted(graph):
        if u not in state and (found := visit(u)):
            return found
    return None


def test_no_import_cycle_between_units():
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in _edges():
        if (a, b) not in KNOWN_VIOLATIONS:
            graph[a].add(b)
    cycle = _find_cycle(graph)
    assert cycle is None, f"import cycle between evigrade units: {' -> '.join(cycle or [])}"


def test_only_presentation_layers_import_presentation_libraries():
    bad = [f"{where}:{line} imports {name}" for me, name, where, line in _imports()
           if me not in PRESENTATION_UNITS and name.split(".")[0] in PRESENTATION_LIBS]
    assert not bad, "stats, grade and the other library layers never import matplotlib, jinja2, typer or rich:\n" \
        + "\n".join(bad)


def test_the_checker_sees_lazy_and_relative_imports():
    """Guard the checker itself: known imports of each kind are found."""
    edges = _edges()
    assert ("stats", "effects") in edges  # relative, module level
    assert ("__main__", "cli") in edges  # absolute
    assert ("report", "__init__") in edges  # `from .. import __version__`
    assert any(me == "plots" and name.startswith("matplotlib") for me, name, *_ in _imports())  # lazy import
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
