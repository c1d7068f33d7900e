"""The helper package's stages are layers: a module imports only its own layer or lower ones, and no cycle.

Every import of ``shared/retro/`` is scanned, at the top of a module and inside functions alike. The layers are
the README's "Architecture" table; a new module must be placed in one here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "shared" / "retro"

LAYERS = {
    0: [  # vocabulary: names, rules and formats every stage shares
        "retro.version",
        "retro.paths",
        "retro.errors",
        "retro.schema",
        "retro.catalog",
        "retro.registry",
        "retro.metrics",
        "retro.decompose",
        "retro.significance",
        "retro.forecast",
        "retro.formatting",
        "retro.i18n",
        "retro.quality",
        "retro.evidence",
        "retro.progress",
    ],
    1: ["retro.params"],
    2: ["retro.rundir"],
    3: ["retro.staging", "retro.staging.*"],
    4: ["retro.marts", "retro.marts.*"],
    5: ["retro.validate"],
    6: [
        "retro.context",
        "retro.display",
        "retro.charts",
        "retro.echart",
        "retro.comparison",
        "retro.findings",
        "retro.story",
        "retro.consistency",
        "retro.plugins",
        "retro.sections",
        "retro.sections.*",
    ],
    7: [
        "retro",
        "retro.run",
        "retro.kernels",
        "retro.freshness",
        "retro.report",
        "retro.comparison_report",
        "retro.rollup",
        "retro.scaffold",
        "retro.cli",
    ],
}

# The CLI's deliberate lazy imports: each command imports only what it runs. Nothing else may be listed here.
ALLOWED: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer_of(name: str) -> int:
    for layer, patterns in LAYERS.items():
        for pat in patterns:
            if name == pat or (pat.endswith(".*") and name.startswith(pat[:-1])):
                return layer
    raise AssertionError(f"{name} is in no layer: add it to tests/test_layers.py and the README's Architecture")


def _owner(target: str) -> str | None:
    """The kit module an imported name belongs to (the longest module prefix)."""
    while target and target not in MODULES:
        if "." not in target:
            return None
        target = target.rsplit(".", 1)[0]
    return target or None


def imports_of(name: str) -> set[str]:
    """Kit modules that a module imports, anywhere in its code."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # "from . import x" names the module x; "from .m import f" names m
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in MODULES else stem for a in node.names]
        else:
            continue
        for t in targets:
            owner = _owner(t)
            if owner and owner != name and owner.startswith("retro"):
                found.add(owner)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name)


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a higher layer, one line each."""
    return [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, targets in graph.items()
        for b in sorted(targets)
        if layer_of(b) > layer_of(a) and (a, b) not in ALLOWED
    ]


def test_no_module_imports_a_higher_layer():
    bad = upward(GRAPH)
    assert not bad, "\n".join(bad)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), ignoring the allow-list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if (v, w) in ALLOWED:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    assert cycles(GRAPH) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from ..staging import plan", {"retro.staging.plan"}),
        ("from ..rundir import RunDir", {"retro.rundir"}),
        ("from .. import charts, metrics", {"retro.charts", "retro.metrics"}),
        ("import retro.context", {"retro.context"}),
    ],
)
def test_the_scan_sees_each_import_form(tmp_path, monkeypatch, source, expected):
    """The scanner itself: relative, parent-relative and absolute imports, inside a function too."""
    (tmp_path / "sales.py").write_text(f"def f():\n    {source}\n")
    monkeypatch.setitem(MODULES, "retro.sections.sales", tmp_path / "sales.py")
    assert imports_of("retro.sections.sales") == expected


def test_a_cycle_and_an_upward_import_are_caught():
    """A vocabulary module importing the CLI is reported both as a cycle and as an upward import."""
    graph = {k: set(v) for k, v in GRAPH.items()}
    graph["retro.paths"].add("retro.cli")
    assert any({"retro.paths", "retro.cli"} <= set(c) for c in cycles(graph))
    assert "retro.paths (layer 0) imports retro.cli (layer 7)" in upward(graph)
