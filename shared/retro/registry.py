"""The report's sections, the kit's and the project's plug-ins, known without importing any section module.

The runner, the navigation, the YAML's checks and the summary all read ``SECTIONS``, so a section is added in
one place. A plug-in is a module ``shared/plugins/<name>.py`` with its notebook pair
``notebooks/NN_<name>.ipynb``; it declares ``SECTION`` (name, number, titles, tables) and optionally ``FIGURES``
as plain literals, which this module reads from the file *without running it* (``ast.literal_eval``), so every
process (the CLI, each kernel) knows the plug-in sections and their figures, and the plug-ins' code stays out
of the kit's import. Plug-ins are numbered from 10 and placed before the executive summary and the appendix.
A plug-in that cannot be used is skipped with one line naming its file (``problems()``). Importing a plug-in's
code is ``retro.plugins.load``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .catalog import DIRECTIONS, FIGURES, UNITS, FigureSpec, register_figures
from .errors import RetroError
from .paths import NOTEBOOK_DIR, PLUGIN_DIR, shown
from .schema import TABLES


@dataclass(frozen=True)
class Section:
    """One report section and the canonical tables it cannot run without."""

    name: str
    number: int
    en: str
    zh: str
    requires: tuple[str, ...]
    optional: tuple[str, ...] = ()
    plugin: Path | None = None  # the plug-in module that declares it; None for the kit's own sections

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.name}.ipynb"

    @property
    def page(self) -> str:
        return f"{self.number:02d}_{self.name}.html"

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


_KIT_SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("goals", 0, "Goals and attainment", "目标达成", ("orders",), ("events", "marketing")),
        Section("sales", 1, "Sales", "销售", ("orders", "order_items", "products")),
        Section("traffic", 2, "Traffic", "流量", ("events",), ("orders",)),
        Section("funnel", 3, "Conversion funnel", "转化漏斗", ("events",)),
        Section("users", 4, "Users and retention", "用户与留存", ("orders",), ("users", "events")),
        Section(
            "marketing",
            5,
            "Marketing and ROI",
            "营销与ROI",
            ("marketing",),
            ("orders", "coupons", "order_items"),
        ),
        Section(
            "fulfilment",
            6,
            "Fulfilment and supply",
            "履约与供应链",
            ("orders", "shipments"),
            ("inventory", "order_items"),
        ),
        Section("service", 7, "Customer service", "客服与售后", ("service",), ("orders", "nps")),
        Section("summary", 8, "Executive summary", "总结", ()),
        Section("quality", 9, "Data quality appendix", "附录：数据质量", ()),
    )
}

SUMMARY = "summary"
QUALITY = "quality"
# Sections that read what the others produced (figures, marts, quality.json); run after them, each on its own.
LATE = (SUMMARY, QUALITY)


FIRST_NUMBER = 10  # the kit's sections are 00-09
NAME = re.compile(r"^[a-z][a-z_]{1,39}$")  # a page name the report's links understand: NN_name.html
FIGURE_KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")

_SECTION_KEYS = {"name", "number", "en", "zh", "requires", "optional"}
_FIGURE_KEYS = {"key", "unit", "better", "en", "zh", "definition", "action_en", "action_zh"}
_PROBLEMS: list[str] = []
_FILES: dict[str, Path] = {}


class PluginError(RetroError):
    """A plug-in module or notebook that the kit cannot use; the message names the file."""


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

    Called once, when this module is imported. A plug-in that cannot be used is skipped and its problem
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


def _with_plugins(kit: dict[str, Section]) -> dict[str, Section]:
    """The kit's sections with the project's plug-in sections inserted before the late ones."""
    plugins = discover(kit)
    ordered = [s for s in kit.values() if s.name not in LATE] + plugins + [kit[n] for n in LATE]
    return {s.name: s for s in ordered}


SECTIONS: dict[str, Section] = _with_plugins(_KIT_SECTIONS)


def section_names() -> list[str]:
    """All section names in report order."""
    return list(SECTIONS)


def plugin_file(name: str) -> Path | None:
    """The module file of a plug-in section that was read without problems (None: no such plug-in)."""
    return _FILES.get(name)
