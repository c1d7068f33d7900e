"""Baseline (b) of the benchmark does the kit's work: the pandas port builds every mart the kit builds, equal.

The port (bench/nokit/marts.py) is called per section on the small demo and each of its marts is compared
with the kit's Parquet file of the same name: same columns in the same order, same rows once sorted by the
mart's key columns, integers equal, floats to 1e-9 relative, nulls in the same places. A kit mart the port
does not build fails the test, so nothing is skipped silently. The demo is clean (no guest orders, no missing
session ids, ...), so the same comparison runs again on two messy copies of it, where the SQL rules the port
spells out for pandas (null sums, null group keys, joins on null) and what staging derives actually matter.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bench_module

pytestmark = pytest.mark.e2e

# integer columns that identify a row (all other key columns are text, dates or times)
INT_KEYS = {"service_nps": ["score"], "users_retention": ["window_days"]}


def load(name: str):
    return bench_module(f"nokit/{name}.py")


def kind(s: pd.Series) -> str:
    """What a column holds, whatever its pandas dtype: int, float, bool, time or text (dates included)."""
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "time"
    values = s.dropna()
    if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
        return "bool"
    return "text"


def keys_of(name: str, df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if kind(df[c]) in ("text", "time", "bool")] + INT_KEYS.get(name, [])


def assert_same(name: str, kit: pd.DataFrame, port: pd.DataFrame) -> None:
    """Equal marts: columns, row count, then column by column after sorting both by the key columns."""
    assert list(port.columns) == list(kit.columns), f"{name}: columns differ"
    assert len(port) == len(kit), f"{name}: {len(port)} rows, the kit has {len(kit)}"
    keys = keys_of(name, kit)
    if keys:
        assert not kit.duplicated(keys).any(), f"{name}: {keys} do not identify a row"
        kit = kit.sort_values(keys, na_position="last", ignore_index=True)
        port = port.sort_values(keys, na_position="last", ignore_index=True)
    else:
        assert len(kit) == 1, f"{name}: no key columns and {len(kit)} rows"
    for col in kit.columns:
        a, b = kit[col], port[col]
        what = f"{name}.{col}"
        if kind(a) != "float" or a.isna().any() or b.isna().any():  # a column the kit holds: the port's is alike
            assert kind(b) == kind(a) or (kind(a) == "float" and kind(b) == "int"), f"{what}: {b.dtype} vs {a.dtype}"
        assert (a.isna().to_numpy() == b.isna().to_numpy()).all(), f"{what}: nulls in other places"
        a, b = a[a.notna()], b[b.notna()]
        if kind(a) == "float":
            assert np.allclose(b.astype("float64"), a.astype("float64"), rtol=1e-9, atol=1e-9), what
        elif kind(a) == "int":
            assert (b.astype("int64").to_numpy() == a.astype("int64").to_numpy()).all(), what
        elif kind(a) == "time":
            assert (pd.to_datetime(b).to_numpy() == pd.to_datetime(a).to_numpy()).all(), what
        else:
            assert [str(v) for v in b] == [str(v) for v in a], what


@pytest.fixture(scope="module")
def port(built):
    """Every section's marts from the port, on the demo the kit ran on; and the seconds each section took."""
    root, params_file, data, run_dir, result = built
    assert result.returncode == 0, result.stderr
    marts = load("marts")
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    out, seconds = {}, {}
    for section in marts.SECTIONS:
        t0 = time.perf_counter()
        found = getattr(marts, section)(data, params)
        seconds[section] = time.perf_counter() - t0
        assert not set(found) & set(out), f"{section}: a mart another section built"
        out |= {name: (section, df) for name, df in found.items()}
    return out, seconds, run_dir


def kit_marts(run_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in sorted((run_dir / "marts").glob("*.parquet"))}


def test_port_builds_every_kit_mart(port):
    out, _, run_dir = port
    kit = kit_marts(run_dir)
    assert len(kit) >= 40  # the demo gives every table: every mart is built
    assert sorted(out) == sorted(kit)


def test_port_marts_equal_the_kits(port):
    out, _, run_dir = port
    kit = kit_marts(run_dir)
    failed = []
    for name in sorted(kit):
        try:
            assert_same(name, kit[name], out[name][1])
        except AssertionError as e:
            failed.append(str(e))
    assert not failed, "\n".join(failed)


def test_each_mart_comes_from_its_kit_section(port):
    """The port's sections are the kit's: each mart comes from the section the kit files it under."""
    out, _, run_dir = port
    manifest = json.loads((run_dir / "marts" / "manifest.json").read_text())
    assert {name: section for name, (section, _) in out.items()} == {n: m["section"] for n, m in manifest.items()}


def test_assert_same_catches_a_difference(port):
    """The comparison fails on a changed value, a null moved, a missing row or a column renamed."""
    out, _, run_dir = port
    kit = kit_marts(run_dir)["sales_by_period"]
    changed = kit.copy()
    changed.loc[0, "gmv"] *= 1 + 1e-6
    nulled = kit.copy()
    nulled.loc[0, "buyers"] = np.nan
    for bad in (changed, nulled, kit.iloc[1:], kit.rename(columns={"gmv": "GMV"})):
        with pytest.raises(AssertionError):
            assert_same("sales_by_period", kit, bad)


def test_charts_drawn_per_section(port, tmp_path, built):
    _, params_file, *_ = built
    out, _, _ = port
    marts = load("marts")
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    for section in marts.SECTIONS:
        own = {name: df for name, (s, df) in out.items() if s == section}
        paths = marts.charts(section, own, tmp_path, params)
        assert len(paths) == len(marts.CHARTS[section]), section
        assert all(p.stat().st_size > 5000 for p in paths), section


def messy_copy(data: Path, root: Path, no_sessions: bool) -> Path:
    """The demo with what real exports have: guests, pending orders, nulls in optional columns, unknown SKUs.

    ``no_sessions``: an event log without session ids (the kit cuts sessions by the inactivity rule); else one
    with some ids missing and no 'order' events (the kit adds an 'order' step per 'pay').
    """
    rng = np.random.default_rng(3)
    tables = {}
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        df = pd.read_parquet(folder)

        def some(share):
            return rng.random(len(df)) < share  # noqa: B023 - the frame of this iteration

        match folder.name:
            case "orders":
                df.loc[some(0.05), "user_id"] = None
                df.loc[some(0.02), "status"] = "pending"
                df["freight"] = np.where(some(0.5), 8.0, np.nan)
                df["is_presale"] = df.is_presale.astype(object).where(~some(0.1), None)
                df.loc[some(0.05), "province"] = None
                df.loc[some(0.05), "city_tier"] = None
            case "events" if no_sessions:
                df = df.drop(columns="session_id")
            case "events":
                df = df[df.event_type != "order"].reset_index(drop=True)
                df.loc[some(0.3), "session_id"] = None
            case "shipments":
                df["region"] = None  # the buyer's province stands in
                df["promised_time"] = (df.shipped_time.dt.normalize() + pd.Timedelta(days=3)).where(some(0.5))
                df.loc[some(0.3), "promised_hours"] = np.nan
            case "service":
                df.loc[some(0.2), "reason"] = None
                df.loc[some(0.1), "first_response_seconds"] = np.nan
            case "users":
                df["is_member"] = df.is_member.astype(object).where(~some(0.2), None)
                df.loc[some(0.2), "city_tier"] = None
            case "products":
                df["is_merchandise"] = df.is_merchandise.astype(object).where(~some(0.1), None)
                df = df.iloc[3:]  # lines of SKUs the products table lacks
            case "coupons":
                df["redeemed"] = df.redeemed.astype("Int64").where(~some(0.5), pd.NA)  # counted from orders
            case "marketing":
                df["is_kol"] = df.is_kol.astype(object).where(~some(0.1), None)
                df.loc[some(0.1), "placement"] = None
            case "inventory":
                df["replenished"] = df.replenished.astype("Int64").where(~some(0.05), pd.NA)
        (root / "data" / folder.name).mkdir(parents=True)
        df.to_parquet(root / "data" / folder.name / "part-0.parquet", index=False)
        tables[folder.name] = {"path": f"data/{folder.name}/*.parquet"}
    doc = yaml.safe_load((Path(__file__).resolve().parents[1] / "params" / "demo_double11.yaml").read_text("utf-8"))
    doc.pop("compare", None)
    doc["data"] = {"tables": tables}
    params_file = root / "campaign.yaml"
    params_file.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return params_file


@pytest.mark.parametrize("no_sessions", [False, True], ids=["pay-only-log", "no-session-ids"])
def test_port_equals_the_kit_on_messy_data(demo, tmp_path, no_sessions):
    from retro.marts.build import build_marts
    from retro.params import load_params

    _, _, data = demo
    params_file = messy_copy(data, tmp_path, no_sessions)
    build_marts(load_params(params_file), tmp_path / "run")
    kit = kit_marts(tmp_path / "run")
    marts = load("marts")
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    out = {}
    for section in marts.SECTIONS:
        out |= getattr(marts, section)(tmp_path / "data", params)
    assert sorted(out) == sorted(kit)
    for name in sorted(kit):
        assert_same(name, kit[name], out[name])
    sessions = out["traffic_sessions"].set_index(["channel", "period"]).loc[("all", "overall")]
    assert sessions["rule_sessions" if no_sessions else "derived_sessions"] > 0  # the messy branch was taken
    guests = out["users_new_returning"].query("customer_type == 'guest'")
    assert len(guests) and (guests.buyers == 0).all() and (guests.paid_orders > 0).all()


def test_run_nokit_end_to_end(built, tmp_path):
    """Eight notebooks executed by papermill and exported to HTML, with their marts and figures."""
    _, params_file, *_ = built
    run = load("run")
    seconds, rss = run.run_nokit(params_file, tmp_path / "nokit")
    assert seconds > 0 and rss > 50 * 2**20
    pages = sorted(p.name for p in (tmp_path / "nokit" / "notebooks").glob("*.html"))
    assert pages == [f"{i:02d}_{s}.html" for i, s in enumerate(run.SECTIONS)]
    assert all("<img" in (tmp_path / "nokit" / "notebooks" / p).read_text(encoding="utf-8") for p in pages)
    assert len(list((tmp_path / "nokit" / "marts").glob("*.parquet"))) >= 40
