"""The DuckDB side of retro.engines: staged tables and shared intermediates keep the types Ibis declares."""

import ibis
import pandas as pd
from retro.marts import Tables
from retro.params import Engine
from retro.staging import engines


def test_materialized_tables_keep_declared_types_and_rows():
    con = engines.duckdb_connect(Engine())
    t = ibis.memtable(pd.DataFrame({"k": ["a", "a", "b"], "n": [1, 2, 3], "when": pd.to_datetime(["2026-11-11"] * 3)}))
    expr = t.group_by("k").aggregate(n=t.n.sum(), first=t.when.min(), any_big=(t.n > 2).any())
    kept = engines.materialize(con, "sums", expr)
    # DuckDB alone would store the integer sum as HUGEINT, which reaches the marts as a decimal
    assert kept.schema()["n"] == ibis.dtype("int64")
    assert {c: type(d) for c, d in kept.schema().items()} == {c: type(d) for c, d in expr.schema().items()}
    assert con.execute(kept.order_by("k")).to_dict("list") == {
        "k": ["a", "b"],
        "n": [3, 3],
        "first": [pd.Timestamp("2026-11-11")] * 2,
        "any_big": [False, True],
    }
    # a shared intermediate is kept the same way, built once however many marts ask for it
    tables, builds = Tables({"t": t}, con), []
    first = tables.shared("sums", lambda: builds.append(1) or expr)
    assert tables.shared("sums", lambda: builds.append(1) or expr) is first and builds == [1]
    assert first.schema()["n"] == ibis.dtype("int64") and con.execute(first.count()) == 2
    con.disconnect()
