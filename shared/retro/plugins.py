"""Plug-in sections: a project's own report sections, added without editing the kit.

A plug-in is a module ``shared/plugins/<name>.py`` and its notebook pair ``notebooks/NN_<name>.ipynb`` (+ .py
twin); ``retro section new`` writes all three. The module declares ``SECTION`` (name, number, titles, tables)
and optionally ``FIGURES`` as plain literals. The kit reads those from the file *without running it* whenever
``retro.sections`` is imported, in every process (the CLI, each notebook kernel): the runner, the navigation,
the overview, ``--only``, the YAML's ``sections`` and targets, and the summary's findings all know the section.
Reading instead of importing keeps a plug-in's code out of the kit's own import (no import cycles, no cost
for commands that never touch it).

The rest of the module is ordinary code, imported by ``load`` as ``retro.sections.<name>``: marts (``@mart``),
labels (``register``), the functions its notebook calls and, like the kit's section modules, ``totals(ctx)``
for the goals section. The run loads it before building marts; its notebook loads it first thing.
A broken plug-in is skipped with one line naming its file (``problems()``); the rest of the report builds.
"""

from __future__ import annotations

import ast
import importlib
import re
import traceback
import types
from pathlib import Path

from .catalog import DIRECTIONS, FIGURES, UNITS, FigureSpec, register_figures
from .errors import RetroError
from .paths import PROJECT_ROOT
from .schema import TABLES

PLUGIN_DIR = PROJECT_ROOT / "shared" / "plugins"
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
FIRST_NUMBER = 10  # the kit's sections are 00-09
NAME = re.compile(r"^[a-z][a-z_]{1,39}$")  # a page name the report's links understand: NN_name.html
FIGURE_KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")

_SECTION_KEYS = {"name", "number", "en", "zh", "requires", "optional"}
_FIGURE_KEYS = {"key", "unit", "better", "en", "zh", "definition", "action_en", "action_zh"}
_PROBLEMS: list[str] = []
_FILES: dict[str, Path] = {}


class PluginError(RetroError):
    """A plug-in module or notebook that the kit cannot use; the message names the file."""


def shown(path: Path) -> str:
    """A path as the user sees it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _literals(tree: ast.Module) -> dict[str, ast.expr]:
    """Top-level ``NAME = <expr>`` assignments of a module, by name."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out[node.target.id] = node.value
    return out


def _tables(where: str, value) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of table names")
    unknown = [v for v in value if v not in TABLES]
    if unknown:
        raise ValueError(f"{where}: unknown table {unknown[0]!r}; tables are {', '.join(TABLES)}")
    return tuple(value)


def read_plugin(path: Path, notebook_dir: Path, taken: dict, taken_figures: dict):
    """The Section and FigureSpecs a plug-in file declares, checked; raises PluginError naming the file.

    ``taken`` maps section names to sections already declared (the kit's and earlier plug-ins').
    """
    where = shown(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as e:
        raise PluginError(f"{where}: line {e.lineno}: syntax error: {e.msg}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PluginError(f"{where}: cannot read it ({e})") from None
    assigned = _literals(tree)
    if "SECTION" not in assigned:
        raise PluginError(f"{where}: no SECTION = {{...}} declaration (retro section new writes one)")
    try:
        decl = ast.literal_eval(assigned["SECTION"])
        figures = ast.literal_eval(assigned["FIGURES"]) if "FIGURES" in assigned else []
    except (ValueError, TypeError, SyntaxError):
        raise PluginError(f"{where}: SECTION and FIGURES must be plain literals (no names or calls)") from None
    try:
        section = _section(decl, path, taken)
        specs = [_figure(f, i, section.name, taken_figures) for i, f in enumerate(_list(figures))]
    except ValueError as e:
        raise PluginError(f"{where}: {e}") from None
    notebook = notebook_dir / section.notebook
    if not notebook.is_file():
        raise PluginError(f"{where}: its notebook {shown(notebook)} is missing")
    return section, specs


def _list(value) -> list:
    if not isinstance(value, (list, tuple)):
        raise ValueError("FIGURES must be a list of {...} entries")
    return list(value)


def _section(decl, path: Path, taken: dict):
    from .sections import Section

    if not isinstance(decl, dict):
        raise ValueError("SECTION must be a {...} mapping")
    unknown = sorted(set(decl) - _SECTION_KEYS)
    missing = sorted({"name", "number", "en", "zh"} - set(decl))
    if unknown or missing:
        raise ValueError(f"SECTION: unknown key {unknown[0]!r}" if unknown else f"SECTION: missing {missing[0]!r}")
    name, number = decl["name"], decl["number"]
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"SECTION name {name!r}: use 2-40 lowercase letters and underscores")
    if name != path.stem:
        raise ValueError(f"SECTION name {name!r} differs from the file name {path.name!r}")
    if name in taken:
        owner = taken[name].plugin
        raise ValueError(f"section name {name!r} is already taken by {shown(owner) if owner else 'the kit'}")
    if not isinstance(number, int) or isinstance(number, bool) or not FIRST_NUMBER <= number <= 99:
        raise ValueError(f"SECTION number {number!r}: use a whole number from {FIRST_NUMBER} to 99")
    clash = next((s for s in taken.values() if s.number == number), None)
    if clash is not None:
        raise ValueError(f"SECTION number {number} is already used by {shown(clash.plugin)}")
    for lang in ("en", "zh"):
        if not isinstance(decl[lang], str) or not decl[lang].strip():
            raise ValueError(f"SECTION {lang}: the {lang} title must be a non-empty text")
    requires = _tables("SECTION requires", decl.get("requires", []))
    optional = _tables("SECTION optional", decl.get("optional", []))
    return Section(name, number, decl["en"].strip(), decl["zh"].strip(), requires, optional, plugin=path)


def _figure(entry, i: int, section: str, taken_figures: dict) -> FigureSpec:
    where = f"FIGURES[{i}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a {{...}} mapping")
    unknown = sorted(set(entry) - _FIGURE_KEYS)
    missing = sorted({"key", "unit", "better", "en", "zh", "definition"} - set(entry))
    if unknown or missing:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}" if unknown else f"{where}: missing {missing[0]!r}")
    key = entry["key"]
    if not isinstance(key, str) or not FIGURE_KEY.match(key):
        raise ValueError(f"{where} key {key!r}: use lowercase letters, digits and underscores")
    if key in taken_figures:
        raise ValueError(f"{where} key {key!r} is already defined by section {taken_figures[key].section!r}")
    if entry["unit"] not in UNITS:
        raise ValueError(f"{where} unit {entry['unit']!r}: use one of {', '.join(UNITS)}")
    if entry["better"] not in DIRECTIONS:
        raise ValueError(f"{where} better {entry['better']!r}: use one of {', '.join(DIRECTIONS)}")
    texts = {k: entry.get(k, "") for k in ("en", "zh", "definition", "action_en", "action_zh")}
    if not all(isinstance(v, str) for v in texts.values()):
        raise ValueError(f"{where}: titles, definition and actions must be texts")
    return FigureSpec(key, section, entry["unit"], entry["better"], **texts)


def discover(kit: dict, plugin_dir: Path | None = None, notebook_dir: Path | None = None) -> list:
    """Read every plug-in of the project, register its figures and return its Sections in number order.

    Called once, by ``retro.sections`` at import. A plug-in that cannot be used is skipped and its problem
    kept for ``problems()``.
    """
    plugin_dir = plugin_dir or PLUGIN_DIR
    notebook_dir = notebook_dir or NOTEBOOK_DIR
    taken, found = dict(kit), []
    for path in sorted(plugin_dir.glob("*.py")) if plugin_dir.is_dir() else []:
        if path.name.startswith("_"):
            continue
        try:
            section, specs = read_plugin(path, notebook_dir, taken, FIGURES)
            register_figures(specs)
        except PluginError as e:
            _PROBLEMS.append(f"{e.problems[0]} (plug-in skipped)")
            continue
        taken[section.name] = section
        _FILES[section.name] = path
        found.append(section)
    return sorted(found, key=lambda s: s.number)


def problems() -> list[str]:
    """One line per plug-in that was skipped, naming its file."""
    return list(_PROBLEMS)


def load(name: str) -> types.ModuleType:
    """Import a plug-in's module as ``retro.sections.<name>`` (once per process), registering its marts and labels.

    ``retro.sections`` lists the plug-in folder in its package path, so the module is also what the kit's
    goals section finds when it asks a figure's section for its ``totals``. The section's notebook calls this
    before ``open_section`` so that its marts are registered when they are built there; a failure is one line
    naming the file.
    """
    if name not in _FILES:
        raise RetroError(f"no plug-in section {name!r} (plug-ins live in {shown(PLUGIN_DIR)}/<name>.py)")
    try:
        return importlib.import_module(f"retro.sections.{name}")
    except Exception as e:  # noqa: BLE001 - any failure of the user's module becomes one line naming it
        path = _FILES[name]
        frames = [f for f in traceback.extract_tb(e.__traceback__) if Path(f.filename) == path]
        line = f"line {frames[-1].lineno}: " if frames else ""
        raise PluginError(f"{shown(path)}: {line}{type(e).__name__}: {e}") from None


def load_all(names: list[str]) -> dict[str, str]:
    """Load the given plug-ins; a failure is returned by name (its notebook fails with the same reason)."""
    failed = {}
    for name in names:
        try:
            load(name)
        except RetroError as e:
            failed[name] = e.problems[0]
    return failed
