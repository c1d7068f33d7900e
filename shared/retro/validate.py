"""Checks of a campaign's data before anything runs: files present, tables a chosen section needs, columns.

Each problem is one line naming the YAML key or table and column. ``retro check`` prints these lines;
``retro run`` stops on them (exit 2) before writing anything under outputs/.
"""

from __future__ import annotations

from .errors import DataError
from .params import CampaignParams
from .schema import TABLES
from .sections import SECTIONS


def table_columns(paths, fmt: str) -> list[str]:
    """Column names of a table's files as the engine reads them (no rows are loaded)."""
    import duckdb

    files = [str(p) for p in paths]
    reader = "read_csv_auto" if fmt == "csv" else "read_parquet"
    con = duckdb.connect()
    try:
        return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}(?)", [files]).fetchall()]
    finally:
        con.close()


def data_problems(params: CampaignParams) -> list[str]:
    """Every problem with the campaign's data sources, one line each (empty when all is well)."""
    from .sources import _format_of, available_tables, table_files

    problems: list[str] = []
    have = available_tables(params)
    shown = params.source.name if params.source else "params"
    if params.sections:
        for name in params.sections:
            for table in SECTIONS[name].requires:
                if table not in have:
                    problems.append(
                        f"{shown}: sections: {name!r} needs table {table!r}, which data.tables does not give"
                    )
    try:
        files = table_files(params)
    except DataError as e:
        return problems + [f"{shown}: {p}" for p in e.problems]
    for name, paths in sorted(files.items()):
        if not paths:
            problems.append(f"{shown}: data: table {name!r} has no data files")
            continue
        mapping = params.data.tables[name].columns if name in params.data.tables else {}
        try:
            present = set(table_columns(paths, _format_of(name, params, paths)))
        except Exception as e:  # noqa: BLE001 - an unreadable file is a user problem
            problems.append(f"{name}: cannot read {paths[0].name}: {str(e).splitlines()[0]}")
            continue
        for col in TABLES[name].required_columns:
            source = mapping.get(col, col)
            if source not in present:
                hint = f" (mapped from {source!r})" if source != col else ""
                problems.append(
                    f"{name}: required column {col!r}{hint} not found in {paths[0].name}; "
                    f"map it under data.tables.{name}.columns"
                )
    return problems


def check_campaign(params: CampaignParams, echo=None) -> None:
    """Generate demo data if needed, then raise DataError listing every data problem."""
    from .sources import ensure_demo_data

    ensure_demo_data(params, echo)
    problems = data_problems(params)
    if problems:
        raise DataError(problems)
