"""Reading a table's source into the engine as a raw relation, with the source's own column names.

Files are read by DuckDB (Parquet, CSV); nothing is loaded whole into pandas. This is the seam where
encodings, Excel, hive-partitioned folders and databases are handled.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path

from .errors import DataError
from .params import CampaignParams, TableSource


def resolve_files(name: str, src: TableSource, params: CampaignParams) -> list[Path]:
    """The files behind a file source (a file, a glob or a folder); raises DataError when none match."""
    patterns = [src.path] if isinstance(src.path, str) else list(src.path or [])
    found: list[Path] = []
    for pattern in patterns:
        resolved = params.resolve(pattern)
        if resolved.is_dir():
            matches = sorted(resolved.rglob("*.parquet")) or sorted(resolved.glob("*.csv"))
        else:
            matches = sorted(Path(p) for p in glob.glob(str(resolved), recursive=True))
        if not matches:
            raise DataError(f"data.tables.{name}.path: no file matches {pattern!r}")
        found.extend(m for m in matches if m.is_file())
    return found


def source_fingerprint(name: str, src: TableSource, params: CampaignParams) -> str:
    """Identity of a source's data for the mart cache: path, size and modification time of its files."""
    h = hashlib.sha256()
    for p in resolve_files(name, src, params):
        st = p.stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def file_format(src: TableSource, paths: list[Path]) -> str:
    """The source's format, from the YAML or the files' extension."""
    if src.format != "auto":
        return src.format
    return "csv" if paths and paths[0].suffix.lower() in (".csv", ".tsv", ".txt") else "parquet"


def read_source(con, name: str, src: TableSource, params: CampaignParams):
    """The source as an Ibis table with its own column names (read by the engine)."""
    paths = [str(p) for p in resolve_files(name, src, params)]
    if file_format(src, [Path(p) for p in paths]) == "csv":
        return con.read_csv(paths, table_name=f"raw_{name}")
    return con.read_parquet(paths, table_name=f"raw_{name}")
