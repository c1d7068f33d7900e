"""The profile of the staged tables: how many rows give each column a fact reads (``retro.evidence``).

One aggregate query per table, run by the engine (DuckDB or Spark) right after staging, so what the report
may say is decided by the data the marts were built from. Derived rows count like given ones: an order
table derived from order lines has order times when the lines have them.
"""

from __future__ import annotations

from ..evidence import columns_to_profile


def profile_tables(con, tables: dict) -> dict[str, dict[str, dict[str, int]]]:
    """``{table: {column: {kind: rows}}}`` for the columns the facts read, over the staged tables."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for name, columns in sorted(columns_to_profile().items()):
        t = tables.get(name)
        if t is None:
            continue
        present = {c: kinds for c, kinds in columns.items() if c in t.columns}
        aggs = {}
        for col, kinds in present.items():
            c = t[col]
            if "known" in kinds:
                aggs[f"{col}__known"] = c.count()
            if "timed" in kinds:
                aggs[f"{col}__timed"] = c.count(where=(c.hour() != 0) | (c.minute() != 0) | (c.second() != 0))
            if "minutes" in kinds:
                aggs[f"{col}__minutes"] = c.count(where=(c.minute() != 0) | (c.second() != 0))
        if not aggs:
            continue
        row = con.execute(t.aggregate(**aggs)).iloc[0]
        table = out.setdefault(name, {})
        for key, value in row.items():
            col, kind = key.rsplit("__", 1)
            table.setdefault(col, {})[kind] = int(value or 0)
    return out
