"""The profile of the staged tables: how many rows give each column a fact reads (``retro.evidence``).

One aggregate query per table, run by the engine (DuckDB or Spark) right after staging, so what the report
may say is decided by the data the marts were built from. Derived rows count like given ones: an order
table derived from order lines has order times when the lines have them.
"""

from __future__ import annotations

from ..evidence import columns_to_profile


def profile_aggregates(t, name: str) -> dict:
    """The profile's one aggregate query of a staged table, as named Ibis reductions (none: not profiled)."""
    columns = columns_to_profile().get(name, {})
    aggs = {}
    for col, kinds in columns.items():
        if col not in t.columns:
            continue
        c = t[col]
        if "known" in kinds:
            aggs[f"{col}__known"] = c.count()
        if "timed" in kinds:
            aggs[f"{col}__timed"] = c.count(where=(c.hour() != 0) | (c.minute() != 0) | (c.second() != 0))
        if "minutes" in kinds:
            aggs[f"{col}__minutes"] = c.count(where=(c.minute() != 0) | (c.second() != 0))
    return aggs


def profile_tables(con, tables: dict, counted: dict | None = None) -> dict[str, dict[str, dict[str, int]]]:
    """``{table: {column: {kind: rows}}}`` for the columns the facts read, over the staged tables.

    ``counted``: {table: the values of its ``profile_aggregates``} already computed in another scan of the
    same rows (the mapping's, for an event log read from its files at each use).
    """
    out: dict[str, dict[str, dict[str, int]]] = {}
    for name in sorted(columns_to_profile()):
        t = tables.get(name)
        if t is None:
            continue
        aggs = profile_aggregates(t, name)
        if not aggs:
            continue
        row = (counted or {}).get(name)
        if row is None:
            row = con.execute(t.aggregate(**aggs)).iloc[0].to_dict()
        table = out.setdefault(name, {})
        for key in aggs:
            col, kind = key.rsplit("__", 1)
            table.setdefault(col, {})[kind] = int(row[key] or 0)
    return out
