"""The benchmark's SQL floor (bench/floor.sql) computes exactly the kit's marts on the small demo.

The floor is what the kit's speed is measured against: it only counts if it does the same work, so every mart
the kit builds must come out of the floor, with the same columns and rows, integers equal and floats to 1e-9.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import bench_module

pytestmark = pytest.mark.e2e


floor = bench_module("floor.py")


def kind(t: pa.DataType) -> str:
    """The family of an Arrow type that the comparison distinguishes."""
    for name, test in (
        ("int", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("string", lambda x: pa.types.is_string(x) or pa.types.is_large_string(x) or pa.types.is_string_view(x)),
        ("timestamp", pa.types.is_timestamp),
        ("date", pa.types.is_date),
        ("bool", pa.types.is_boolean),
    ):
        if test(t):
            return name
    return str(t)


def differences(name: str, kit: pa.Table, got: pa.Table) -> list[str]:
    """What differs between the kit's mart and the floor's: columns, types, rows, values (empty when equal)."""
    if sorted(kit.column_names) != sorted(got.column_names):
        return [f"{name}: columns {sorted(kit.column_names)} != {sorted(got.column_names)}"]
    got = got.select(kit.column_names)
    kinds = {c: kind(kit.schema.field(c).type) for c in kit.column_names}
    out = [
        f"{name}.{c}: type {kit.schema.field(c).type} != {got.schema.field(c).type}"
        for c in kit.column_names
        if kind(got.schema.field(c).type) != kinds[c]
    ]
    if out:
        return out
    if kit.num_rows != got.num_rows:
        return [f"{name}: {kit.num_rows} rows != {got.num_rows}"]
    # every column is a sort key, floats last: rows then line up whatever order either side wrote them in
    keys = [c for c in kit.column_names if kinds[c] != "float"] + [c for c in kit.column_names if kinds[c] == "float"]
    a = kit.to_pandas().sort_values(keys, na_position="first", kind="stable").reset_index(drop=True)
    b = got.to_pandas().sort_values(keys, na_position="first", kind="stable").reset_index(drop=True)
    for c in kit.column_names:
        missing_a, missing_b = a[c].isna().to_numpy(), b[c].isna().to_numpy()
        if (missing_a != missing_b).any():
            out.append(f"{name}.{c}: NULLs differ in {int((missing_a != missing_b).sum())} row(s)")
            continue
        x, y = a[c][~missing_a], b[c][~missing_b]
        if kinds[c] == "float":
            same = np.isclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=0)
        else:
            same = (x.to_numpy() == y.to_numpy()) if len(x) else np.array([], bool)
        if not same.all():
            i = int(np.argmin(same))
            out.append(f"{name}.{c}: {int((~same).sum())} value(s) differ, e.g. {x.iloc[i]!r} != {y.iloc[i]!r}")
    return out


@pytest.fixture(scope="module")
def marts(built):
    """The kit's marts (from its run folder) and the floor's, on the same small demo."""
    _, params_file, _, run_dir, result = built
    assert result.returncode == 0, result.stderr
    folder = run_dir / "marts"
    names = sorted(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    kit = {n: pq.read_table(folder / f"{n}.parquet") for n in names}
    _, got = floor.run(params_file)
    return kit, got


def test_the_floor_builds_every_mart_the_kit_builds(marts):
    kit, got = marts
    assert len(kit) >= 40, sorted(kit)  # the whole report: a build that lost marts would make this test easy
    assert sorted(got) == sorted(kit)


def test_every_floor_mart_equals_the_kits(marts):
    kit, got = marts
    problems = [p for name in sorted(kit) for p in differences(name, kit[name], got.get(name, pa.table({})))]
    assert not problems, "\n".join(problems)


def test_the_comparison_sees_a_wrong_figure(marts):
    kit, _ = marts
    t = kit["sales_by_period"]
    i = t.column_names.index("buyers")
    wrong = t.set_column(i, "buyers", pa.array([v + 1 for v in t["buyers"].to_pylist()], pa.int64()))
    assert differences("sales_by_period", t, wrong)
    i = t.column_names.index("net_sales")
    off = t.set_column(i, "net_sales", pa.array([v * (1 + 1e-7) for v in t["net_sales"].to_pylist()]))
    assert differences("sales_by_period", t, off)
    hole = t.set_column(i, "net_sales", pa.array([None, *t["net_sales"].to_pylist()[1:]], pa.float64()))
    assert differences("sales_by_period", t, hole)
    i = t.column_names.index("orders")
    as_float = t.set_column(i, "orders", t["orders"].cast(pa.float64()))  # a HUGEINT sum would come back so
    assert differences("sales_by_period", t, as_float)
    assert differences("sales_by_period", t, t.drop_columns(["days"]))
    assert not differences("sales_by_period", t, t.take(list(reversed(range(t.num_rows)))))


def test_timing_only_returns_the_seconds(demo):
    _, params_file, _ = demo
    seconds, got = floor.run(params_file, fetch=False)
    assert seconds > 0 and got == {}


def test_variables_follow_the_yaml():
    doc = {
        "phases": [{"name": "warm'up", "start": "2026-11-01", "end": "2026-11-02"}],
        "settings": {"retention_days": 14, "offsite_channels": []},
    }
    v = floor.variables(doc)
    assert v["phases"] == "[{'name': 'warm''up', 'first_day': DATE '2026-11-01', 'last_day': DATE '2026-11-02'}]"
    assert v["baseline_start"] == "CAST(NULL AS DATE)"
    assert v["retention_days"] == "14" and v["rfm_lookback_days"] == "365"
    assert v["offsite_channels"] == "CAST([] AS VARCHAR[])"
