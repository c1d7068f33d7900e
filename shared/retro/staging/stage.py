"""Where each canonical table's data lives, and loading it into the engine under canonical names.

The demo campaign's data is generated on first use under ``data/demo/<size>-seed<seed>/``. Staging runs
four steps per build: ``readers`` (the source as a raw relation, read by the engine, never whole into
pandas), ``mapping`` (canonical names, values and types), ``derive`` (tables the data implies) and
``validate`` (checks across tables). Each table is read once and materialised, so mart code sees one shape
whatever the source.

On Spark (``engine.kind: spark``) the same four steps run in Spark for Parquet files, remote paths and
catalogue tables; sources Spark does not read the way the kit does (CSV in GBK, Excel, databases) are read
and mapped here by DuckDB and shipped to Spark, up to ``engines.LOCAL_ROWS_LIMIT`` rows each.
"""

from __future__ import annotations

from ..errors import DataError
from ..params import CampaignParams, TableSource
from ..quality import Problem
from .plan import TablePlan

# What one value of a staged copy takes in the engine's memory, at most (DuckDB keeps a copy uncompressed:
# 12.5 bytes a value over the medium benchmark's tables, strings included)
COPY_BYTES_PER_VALUE = 16


def stage_tables(
    con, params: CampaignParams, plan: TablePlan | None = None, stage=None, profile: dict | None = None
) -> tuple[dict, list[Problem]]:
    """Read every provided table once, map it to canonical form, derive what the data implies, check it.

    Returns the staged Ibis tables and the soft problems; raises DataError listing every hard problem
    (nothing has been written anywhere by then). ``stage``: a ``retro.progress.Stage`` told of each table.
    ``profile``: filled with the staged tables' profile (``profile.profile_tables``) when given.

    A table read from its files at each use (``_scan_again``: the event log) has its checks' and profile's
    counts made in the scan that counts its mapped values: one full scan while staging, not three.
    """
    step = stage.step if stage is not None else (lambda _label: None)
    done = stage.done if stage is not None else (lambda _label="": None)
    from ..schema import TABLES
    from . import checks, dedupe, derive, engines, lookups, mapping, readers
    from .profile import profile_aggregates, profile_tables

    plan = plan or TablePlan.of(params)

    lines: list[str] = []
    problems: list[Problem] = []
    canonical = {}
    counted: dict[str, dict] = {}  # table -> the checks' and the profile's counts made with the mapping's
    local = None  # on Spark: the DuckDB connection reading the sources Spark does not read itself
    try:
        labels = plan.labels()
        for name, src in sorted(plan.sources.items()):
            label = labels[name]
            target = con
            step(f"{name} ({label})")
            try:
                if engines.is_spark(con) and not readers.read_by_spark(name, src, params):
                    local = local or engines.duckdb_connect(params.engine)
                    target = local
                raw = readers.read_source(target, name, src, params)
                raw, found = dedupe.dedupe(raw, name, src, dedupe.source_key(name, src), f"data.tables.{name}", label)
                problems.extend(found)
                if src.lookups:
                    raw, found = lookups.join_lookups(
                        target, name, raw, src, params, lambda c, n, lk: readers.read_source(c, n, lk, params)
                    )
                    problems.extend(found)
            except DataError as e:
                lines.extend(e.problems)
                done(name)
                continue
            again = not engines.is_spark(con) and _scan_again(name, src, params)

            def extra(rows, name=name):
                out = {f"check__{k}": v for k, v in checks.check_aggregates(rows, name, params).items()}
                return out | {f"profile__{k}": v for k, v in profile_aggregates(rows, name).items()}

            fused = counted.setdefault(name, {}) if again and name in TABLES else None
            table, found = mapping.to_canonical(target, name, raw, src, params, label, extra, fused)
            problems.extend(found)
            if table is not None:
                try:
                    if engines.is_spark(con):  # a view over the cached mapped table: no second copy
                        canonical[name] = table if target is con else _ship(con, name, target, table, src, label)
                    elif again:
                        canonical[name] = con.create_view(name, table, overwrite=True)
                    else:
                        canonical[name] = engines.materialize(con, name, table)
                except DataError as e:
                    lines.extend(e.problems)
                except Exception as e:  # noqa: BLE001 - a bad row deep in a large file surfaces only here
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    lines.append(f"{name} ({label}): cannot be read: {first}")
            done(name)
    finally:
        if local is not None:
            local.disconnect()
    step("derived tables")
    tables, found = derive.derive_tables(con, canonical, params)
    problems.extend(found)
    # counts made before derive hold for the tables it left as they were
    counted = {n: values for n, values in counted.items() if values and tables.get(n) is canonical.get(n)}

    def part(prefix: str) -> dict[str, dict]:
        return {
            n: {k.removeprefix(prefix): v for k, v in c.items() if k.startswith(prefix)} for n, c in counted.items()
        }

    # the tables that staged are checked even when another one did not: every problem in one pass
    step("checks")
    problems.extend(checks.check_tables(con, tables, params, plan, part("check__")))
    hard = lines + [p.line() for p in problems if p.hard]
    if hard:
        raise DataError(hard)
    if profile is not None:
        profile.update(profile_tables(con, tables, part("profile__")))
    return tables, [p for p in problems if not p.hard]


def _scan_again(name: str, src: TableSource, params: CampaignParams) -> bool:
    """Whether the engine should read a mapped table from its files at each use instead of copying it.

    A copy is read fastest by the many marts that use it, but a copy of a log of a hundred million events
    outgrows any memory limit and spills gigabytes to disk. So Parquet sources (columnar: a scan reads only
    the columns a query needs) are scanned where they are when their files are larger than an eighth of the
    engine's memory limit or their copy would fill half of it (``COPY_BYTES_PER_VALUE`` per row and column:
    Parquet compresses order lines a dozen times, 321 MB of them were 4.7 GB in memory), and so is a Parquet
    event log of any size: the marts read it through one shared reduction (``marts.visits``) and a few
    scans, fewer reads than a copy costs to write (33 M events: 7 s); everything else (smaller files, text,
    spreadsheets, databases) is read once and kept.
    """
    from . import engines, readers
    from .mapping import canonical_table

    if readers.is_database(src):
        return False
    files = readers.resolve_files(name, src, params)
    if readers.file_format(src, files) != "parquet":
        return False
    if name == "events":
        return True
    limit = engines.memory_bytes(params.engine.memory_limit)
    if sum(f.stat().st_size for f in files) > limit / 8:  # files only: ``resolve_files`` expands a folder
        return True
    return _parquet_rows(files) * len(canonical_table(name).columns) * COPY_BYTES_PER_VALUE > limit / 2


def _parquet_rows(parts) -> int:
    """Rows of Parquet files from their footers (nothing else is read); files that are not Parquet count 0."""
    import pyarrow.parquet as pq

    rows = 0
    for f in parts:
        try:
            rows += pq.ParquetFile(f).metadata.num_rows
        except Exception:  # noqa: BLE001 - not Parquet (a _SUCCESS marker) or unreadable: the read reports it
            continue
    return rows


def _ship(con, name: str, local, table, src: TableSource, label: str):
    """A table read and mapped on this machine (``local`` DuckDB), sent to Spark; refused when too large."""
    from .engines import local_rows_limit, ship_arrow

    limit = local_rows_limit()
    rows = int(local.execute(table.count()))
    if rows > limit:
        fmt = "database" if src.url or src.format in ("duckdb", "sql") else "file"
        raise DataError(
            f"{name} ({label}): {rows:,} rows from a {fmt} source are too many to read on this machine "
            f"and send to Spark (limit {limit:,}); fix: store it as Parquet where the cluster reads it "
            f"(data.tables.{name}.path) or as a catalogue table (data.tables.{name}.table)"
        )
    return ship_arrow(con, name, local.to_pyarrow(table))
