"""Turning a raw relation into a canonical table: renamed columns, parsed values, canonical types.

Each column the YAML maps (or that already has the canonical name) is cast to its canonical type; optional
columns the source lacks become typed nulls. Problems are returned, not raised, so that all of them can
be reported together.
"""

from __future__ import annotations

from .params import CampaignParams, TableSource
from .quality import Problem
from .schema import INPUT_TABLES, TABLES

IBIS_TYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}


def canonical_table(name: str):
    """The canonical definition of a table name (a mart table or an input-only table)."""
    return TABLES.get(name) or INPUT_TABLES[name]


def to_canonical(con, name: str, raw, src: TableSource, params: CampaignParams, source_label: str = ""):
    """Rename and type ``raw`` into the canonical table ``name``; returns (Ibis table, problems)."""
    import ibis

    mapping = src.columns
    cols, problems = {}, []
    for col in canonical_table(name).columns:
        source = mapping.get(col.name, col.name)
        if source in raw.columns:
            cols[col.name] = raw[source].cast(IBIS_TYPES[col.type])
        elif col.required:
            hint = f" (mapped from {source!r})" if source != col.name else ""
            problems.append(
                Problem(
                    name,
                    col.name,
                    f"required column not found{hint}",
                    fix=f"map it under data.tables.{name}.columns; columns present: " + ", ".join(raw.columns),
                    source=source_label,
                    code="missing_column",
                )
            )
        else:
            cols[col.name] = ibis.null(IBIS_TYPES[col.type])
    if problems:
        return None, problems
    return raw.select(**cols), problems
