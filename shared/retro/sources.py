"""Where each canonical table's data lives, and loading it into the engine under canonical names.

The demo campaign's data is generated on first use under ``data/demo/<size>-seed<seed>/``. Files are read
by the engine (DuckDB through Ibis), never whole into pandas; each table is read once per build and
materialised with canonical column names and types, so mart code sees one shape whatever the source.
"""

from __future__ import annotations

import glob
import hashlib
import json
from pathlib import Path

from .errors import DataError
from .params import PROJECT_ROOT, CampaignParams
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


def available_tables(params: CampaignParams) -> set[str]:
    """Canonical tables the YAML provides (all of them for the demo)."""
    if params.data.demo is not None:
        return set(TABLES) | set(params.data.tables)
    return set(params.data.tables)


def table_files(params: CampaignParams) -> dict[str, list[Path]]:
    """The files behind each provided table; raises DataError naming every table whose files are missing."""
    files: dict[str, list[Path]] = {}
    problems = []
    if params.data.demo is not None:
        root = demo_dir(params)
        for name in TABLES:
            files[name] = sorted((root / name).glob("*.parquet"))
    for name, src in params.data.tables.items():
        patterns = [src.path] if isinstance(src.path, str) else src.path
        found: list[Path] = []
        for pattern in patterns:
            resolved = params.resolve(pattern)
            matches = sorted(Path(p) for p in glob.glob(str(resolved), recursive=True))
            if resolved.is_dir():
                matches = sorted(resolved.rglob("*.parquet")) or sorted(resolved.glob("*.csv"))
            if not matches:
                problems.append(f"data.tables.{name}.path: no file matches {pattern!r}")
            found.extend(m for m in matches if m.is_file())
        files[name] = found
    if problems:
        raise DataError(problems)
    return files


def fingerprint_files(paths: list[Path]) -> str:
    """Identity of a table's files: path, size and modification time (cheap; content hashing is a later step)."""
    h = hashlib.sha256()
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def connect(params: CampaignParams, temp_dir: Path | None = None):
    """An in-process DuckDB connection through Ibis with the YAML's memory and thread limits."""
    import ibis

    con = ibis.duckdb.connect()
    if params.engine.memory_limit:
        con.raw_sql(f"SET memory_limit = '{params.engine.memory_limit}'")
    if params.engine.threads:
        con.raw_sql(f"SET threads = {int(params.engine.threads)}")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.raw_sql(f"SET temp_directory = '{temp_dir}'")
    return con


def _format_of(name: str, params: CampaignParams, paths: list[Path]) -> str:
    src = params.data.tables.get(name)
    if src is not None and src.format != "auto":
        return src.format
    return "csv" if paths and paths[0].suffix.lower() in (".csv", ".tsv", ".txt") else "parquet"


def stage_tables(con, params: CampaignParams, names: set[str], files: dict[str, list[Path]]) -> dict:
    """Read each named table once into the engine with canonical names and types; returns Ibis tables."""
    import ibis

    staged = {}
    for name in sorted(names):
        paths = files.get(name) or []
        if not paths:
            continue
        strs = [str(p) for p in paths]
        raw = (
            con.read_csv(strs, table_name=f"raw_{name}")
            if _format_of(name, params, paths) == "csv"
            else con.read_parquet(strs, table_name=f"raw_{name}")
        )
        mapping = params.data.tables[name].columns if name in params.data.tables else {}
        cols = {}
        problems = []
        for col in TABLES[name].columns:
            source = mapping.get(col.name, col.name)
            if source in raw.columns:
                cols[col.name] = raw[source].cast(IBIS_TYPES[col.type])
            elif col.required:
                problems.append(
                    f"{name}: required column {col.name!r} not found"
                    f"{f' (mapped from {source!r})' if source != col.name else ''}; "
                    f"columns present: {', '.join(raw.columns)}"
                )
            else:
                cols[col.name] = ibis.null(IBIS_TYPES[col.type])
        if problems:
            raise DataError(problems)
        staged[name] = con.create_table(name, raw.select(**cols), temp=True)
    return staged


def describe_demo(params: CampaignParams) -> dict:
    """Row counts and settings of the generated demo data (from its _demo.json)."""
    path = demo_dir(params) / "_demo.json"
    return json.loads(path.read_text()) if path.is_file() else {}
