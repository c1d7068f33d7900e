"""``retro section new``: write a plug-in section (module + notebook pair) that runs as it stands.

The module goes to ``shared/plugins/<name>.py`` and the notebook to ``notebooks/NN_<name>.ipynb`` with its
percent-format twin; nothing in the kit changes (see retro.plugins for how the kit finds them). The example
they hold, rows of the first required table per phase, is real: it builds a mart, shows a table and records
a figure, so the section appears in the next run, and the analyst replaces the example with the analysis.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .errors import RetroError
from .paths import PROJECT_ROOT, twin_of
from .registry import FIRST_NUMBER, NAME
from .schema import TABLES

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# names the notebook's own variables use: a plug-in module bound to one of them would shadow it
_RESERVED = ("retro", "plugins", "ctx", "params_file", "run_dir")
_IMPORTS = "from retro.i18n import label_values, register\nfrom retro.marts import mart"


@dataclass
class Scaffold:
    """What ``new_section`` wrote (paths relative to the project root)."""

    name: str
    number: int
    module: Path
    notebook: Path
    twin: Path


def slug(title: str) -> str:
    """A section name from a title: lowercase Latin letters and underscores, at most 40 characters.

    Chinese characters are spelled in pinyin (直播深度分析 -> zhi_bo_shen_du_fen_xi), so a Chinese title names
    its files without --name.
    """
    if _CJK.search(title):
        from pypinyin import lazy_pinyin

        title = " ".join(lazy_pinyin(title))
    words = re.findall(r"[a-z]+", title.lower())
    out = ""
    for w in words:
        if len(out) + len(w) + (1 if out else 0) > 40:
            break
        out = f"{out}_{w}" if out else w
    return out


def _time_column(table: str) -> tuple[str, str] | None:
    """The table's required time column and its type, for the example's split by phase."""
    for col in TABLES[table].columns:
        if col.required and col.type in ("timestamp", "date"):
            return col.name, col.type
    return None


def _requires(text: str | None) -> list[str]:
    names = [t.strip() for t in (text or "orders").split(",") if t.strip()]
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        raise RetroError(f"--requires: unknown table {unknown[0]!r}; tables are {', '.join(TABLES)}")
    if not names:
        raise RetroError("--requires: name at least one table, e.g. --requires orders")
    return list(dict.fromkeys(names))


def _next_number(notebook_dir: Path, name: str) -> int:
    """The plug-in's existing number (when overwriting), else the first free one from 10."""
    used = {}
    for p in notebook_dir.glob("[0-9][0-9]_*.ipynb"):
        used[p.stem[3:]] = int(p.stem[:2])
    if name in used:
        return used[name]
    number = max([FIRST_NUMBER - 1, *used.values()]) + 1
    if number > 99:
        raise RetroError(f"{notebook_dir}: no section number left (sections are numbered 00-99)")
    return number


def new_section(
    title: str,
    *,
    name: str | None = None,
    en: str | None = None,
    zh: str | None = None,
    requires: str | None = None,
    force: bool = False,
    root: Path | None = None,
) -> Scaffold:
    """Write the plug-in module and the notebook pair for a new section; raise RetroError on a bad request."""
    from .sections import _KIT_SECTIONS

    root = Path(root or PROJECT_ROOT)
    title = title.strip()
    if not title:
        raise RetroError('section title is empty: retro section new "Live streaming deep dive"')
    name = name or slug(en or "") or slug(title)  # the English title names the files when given
    if not name:
        raise RetroError(
            f"section title {title!r} has no Latin letters to name its files: add --name, e.g. --name live_streaming"
        )
    if not NAME.match(name) or keyword.iskeyword(name) or name in _RESERVED:
        raise RetroError(f"--name {name!r}: use 2-40 lowercase letters and underscores (not {', '.join(_RESERVED)})")
    if name in _KIT_SECTIONS:
        raise RetroError(f"--name {name!r}: the kit already has a section of that name; choose another")
    if _CJK.search(title):
        zh, en = zh or title, en or name.replace("_", " ").capitalize()
    else:
        en, zh = en or title, zh or title
    tables = _requires(requires)
    notebook_dir = root / "notebooks"
    number = _next_number(notebook_dir, name)
    module = root / "shared" / "plugins" / f"{name}.py"
    notebook = notebook_dir / f"{number:02d}_{name}.ipynb"
    twin = twin_of(notebook)
    existing = [p for p in (module, notebook, twin) if p.exists()]
    if existing and not force:
        raise RetroError(
            f"{', '.join(str(p.relative_to(root)) for p in existing)}: already exists (use --force to overwrite)"
        )
    values = _values(name, number, en, zh, tables)
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(Template(MODULE).substitute(values), encoding="utf-8")
    _write_notebook(Template(NOTEBOOK).substitute(values), notebook, twin)
    return Scaffold(name, number, module.relative_to(root), notebook.relative_to(root), twin.relative_to(root))


def _values(name: str, number: int, en: str, zh: str, tables: list[str]) -> dict:
    timed = next((t for t in tables if _time_column(t)), None)
    table = timed or tables[0]
    if timed:
        col, kind = _time_column(table)
        when = f"rows.{col}" + ('.cast("timestamp")' if kind == "date" else "")
        body = (
            f"    rows = rows.mutate(period=phase_of({when}, p))\n"
            "    rows = rows.filter(rows.period.notnull())\n"
            '    return rows.group_by("period").aggregate(rows=rows.count())'
        )
        imports = _IMPORTS + "\nfrom retro.marts.common import phase_of"
        what_en, what_zh = f"{table} rows in the campaign", f"活动期 {table} 表行数"
        definition = f"Rows of {table} with {col} in the campaign window (the scaffold's example)."
    else:
        body = '    return rows.aggregate(rows=rows.count()).mutate(period=ibis.literal("overall"))'
        imports = "import ibis\n" + _IMPORTS
        what_en, what_zh = f"{table} rows", f"{table} 表行数"
        definition = f"Rows of {table}, which has no time column (the scaffold's example)."
    return {
        "name": name,
        "number": number,
        "nn": f"{number:02d}",
        "en": en,
        "zh": zh,
        "en_repr": _literal(en),
        "zh_repr": _literal(zh),
        "requires": _literal(tables),
        "table": table,
        "figure": f"{name}_rows",
        "figure_en": _literal(f"{what_en} (example)"),
        "figure_zh": _literal(f"{what_zh}（示例）"),
        "definition": _literal(definition),
        "mart_body": body,
        "imports": imports,
    }


def _literal(value) -> str:
    """A Python literal in double quotes (JSON's string syntax is Python's), non-ASCII kept readable."""
    return json.dumps(value, ensure_ascii=False)


def _write_notebook(text: str, notebook: Path, twin: Path) -> None:
    """The notebook and its percent-format twin, written by jupytext so that the pair is in sync."""
    import jupytext

    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
    notebook.parent.mkdir(parents=True, exist_ok=True)
    twin.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, notebook, fmt="ipynb")
    jupytext.write(nb, twin, fmt="py:percent")


MODULE = '''\
"""Plug-in section "$name" of this project, scaffolded by `retro section new`.

The kit reads SECTION and FIGURES from this file without running it, so keep them plain literals. The rest is
ordinary code: marts registered with @mart (built and cached with the kit's own, from the canonical tables),
labels in both languages, and the functions the section's notebook calls, one per cell:
notebooks/${nn}_$name.ipynb (and its .py twin). The example counts rows of the $table table per phase;
replace it with your analysis, keeping its shape.
"""

from __future__ import annotations

$imports

SECTION = {
    "name": "$name",
    "number": $number,  # its place after the kit's sections, and its file names: ${nn}_<name>
    "en": $en_repr,
    "zh": $zh_repr,
    "requires": $requires,  # canonical tables (retro/schema.py) it cannot run without
    "optional": [],  # tables it reads when the campaign provides them
}

# Headline figures the section records with ctx.record: the YAML's targets, benchmarks and findings rules and the
# executive summary treat them like the kit's own. unit: money | count | pct | ratio | seconds | hours | score;
# better: higher | lower | neutral.
FIGURES = [
    {
        "key": "$figure",
        "unit": "count",
        "better": "neutral",
        "en": $figure_en,
        "zh": $figure_zh,
        "definition": $definition,
    },
]

register(
    {
        "$name.example_title": (
            "Rows of $table per phase (example: replace it)",
            "分阶段 $table 表行数（示例，请替换）",
        ),
        "$name.col.period": ("Phase", "阶段"),
        "$name.col.rows": ("Rows", "行数"),
    }
)


@mart(
    "${name}_by_phase",
    section="$name",
    needs=("$table",),
)
def example_by_phase(t, p):
    """Example mart: rows of $table per phase and in the baseline (marts hold parts; ratios come later)."""
    rows = t.$table
$mart_body


def totals(ctx):
    """Whole-campaign figures from the marts, not recorded: the goals section reads them for targets."""
    df = ctx.mart("${name}_by_phase")
    return {"$figure": df.loc[df["period"] != "baseline", "rows"].sum()}


def example_table(ctx):
    """Example: the mart as a table; the campaign's rows are recorded as this section's headline figure."""
    ctx.record("$figure", totals(ctx)["$figure"])
    df = ctx.mart("${name}_by_phase")
    order = {"baseline": 0, "warmup": 1, "burst": 2, "tail": 3}
    df = df.sort_values("period", key=lambda s: s.map(order)).reset_index(drop=True)
    df["period"] = label_values(df["period"], "phase", ctx.lang)
    labels = {c: ctx.tr(f"$name.col.{c}") for c in df.columns}
    title = ctx.tr("$name.example_title")
    return ctx.table(df, {"rows": "count"}, labels=labels, title=title)
'''

NOTEBOOK = """\
# %% [markdown] tags=["en"]
# # $nn · $en
# What this section answers, in one line (edit this cell and its Chinese twin).

# %% [markdown] tags=["zh"]
# # $nn · $zh
# 本章回答什么问题，一句话（请修改本单元格及其英文版本）。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro import plugins

# the plug-in's marts, labels and functions: shared/plugins/$name.py
$name = plugins.load("$name")
ctx = retro.open_section("$name", params_file, run_dir)

# %% [markdown] tags=["en"]
# ## Example: $table rows per phase
# Replace with your analysis: a heading, then one call per code cell to a function of
# shared/plugins/$name.py.

# %% [markdown] tags=["zh"]
# ## 示例：分阶段 $table 表行数
# 替换为你的分析：一个标题，接一个代码单元格，调用
# shared/plugins/$name.py 中的函数。

# %%
$name.example_table(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
"""
