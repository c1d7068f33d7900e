"""Where each canonical table's data lives, and loading it into the engine under canonical names.

The demo campaign's data is generated on first use under ``data/demo/<size>-seed<seed>/``. Staging runs
four steps per build: ``readers`` (the source as a raw relation, read by the engine, never whole into
pandas), ``mapping`` (canonical names, values and types), ``derive`` (tables the data implies) and
``validate`` (checks across tables). Each table is read once and materialised, so mart code sees one shape
whatever the source.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import DataError
from .params import PROJECT_ROOT, CampaignParams, TableSource
from .quality import Problem
from .schema import TABLES

IBIS_TYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}


def demo_dir(params: CampaignParams) -> Path:
    """Folder of the generated demo data for this campaign's size and seed."""
    d = params.data.demo
    return PROJECT_ROOT / "data" / "demo" / f"{d.size}-seed{d.seed}"


def ensure_demo_data(params: CampaignParams, progress=None) -> Path | None:
    """Generate the demo data set if the YAML asks for it and it is not on disk yet."""
    if params.data.demo is None:
        return None
    out = demo_dir(params)
    if not (out / "_demo.json").is_file():
        from .demo import generate_demo

        if progress:
            progress(f"generating demo data ({params.data.demo.size}, seed {params.data.demo.seed}) in {out}")
        generate_demo(params, out, size=params.data.demo.size, seed=params.data.demo.seed, progress=progress)
    return out


def table_sources(params: CampaignParams) -> dict[str, TableSource]:
    """Every provided table's source: the demo's Parquet folders, then the YAML's tables (which win)."""
    out: dict[str, TableSource] = {}
    if params.data.demo is not None:
        root = demo_dir(params)
        for name in TABLES:
            out[name] = TableSource(path=str(root / name / "*.parquet"), format="parquet")
    out.update(params.data.tables)
    return out


def available_tables(params: CampaignParams) -> set[str]:
    """Canonical tables the campaign has: provided by the YAML (all of them for the demo) or derivable."""
    from .derive import derivable

    provided = set(table_sources(params))
    return provided | derivable(provided, params)


def source_label(src: TableSource) -> str:
    """How a problem names its source: the file pattern or the database table, never a password."""
    if src.url or src.format in ("duckdb", "sql"):
        return src.table or "query"
    path = src.path if isinstance(src.path, str) else ", ".join(src.path or [])
    return Path(path).name if path else ""


def table_fingerprints(params: CampaignParams) -> dict[str, str]:
    """Identity of each provided table's data for the mart cache; raises DataError naming every bad source."""
    from .readers import source_fingerprint

    prints, problems = {}, []
    for name, src in sorted(table_sources(params).items()):
        try:
            prints[name] = source_fingerprint(name, src, params)
        except DataError as e:
            problems.extend(e.problems)
    if problems:
        raise DataError(problems)
    return prints


def connect(params: CampaignParams, temp_dir: Path | None = None):
    """An in-process DuckDB connection through Ibis with the YAML's memory and thread limits."""
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{params.engine.memory_limit}'")
    if params.engine.threads:
        con.raw_sql(f"SET threads = {int(params.engine.threads)}")
    if temp_dir is not None:  # where the engine spills when a table or a join outgrows the memory limit
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.raw_sql(f"SET temp_directory = '{temp_dir}'")
    return con


def stage_tables(con, params: CampaignParams) -> tuple[dict, list[Problem]]:
    """Read every provided table once, map it to canonical form, derive what the data implies, check it.

    Returns the staged Ibis tables and the soft problems; raises DataError listing every hard problem
    (nothing has been written anywhere by then).
    """
    from . import derive, mapping, readers, validate

    lines: list[str] = []
    problems: list[Problem] = []
    canonical = {}
    for name, src in sorted(table_sources(params).items()):
        label = source_label(src)
        try:
            raw = readers.read_source(con, name, src, params)
        except DataError as e:
            lines.extend(e.problems)
            continue
        table, found = mapping.to_canonical(con, name, raw, src, params, label)
        problems.extend(found)
        if table is not None:
            try:
                canonical[name] = con.create_table(name, table, temp=True)
            except Exception as e:  # noqa: BLE001 - a bad row deep in a large file surfaces only here
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                lines.append(f"{name} ({label}): cannot be read: {first}")
    tables, found = derive.derive_tables(con, canonical, params)
    problems.extend(found)
    if not lines and not any(p.hard for p in problems):
        problems.extend(validate.check_tables(con, tables, params))
    hard = lines + [p.line() for p in problems if p.hard]
    if hard:
        raise DataError(hard)
    return tables, [p for p in problems if not p.hard]


def describe_demo(params: CampaignParams) -> dict:
    """Row counts and settings of the generated demo data (from its _demo.json)."""
    path = demo_dir(params) / "_demo.json"
    return json.loads(path.read_text()) if path.is_file() else {}
