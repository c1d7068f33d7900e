"""The SQL floor of the benchmark (issue #18): ``bench/floor.sql`` run on an in-process DuckDB, timed.

The kit's speed is measured against one hand-written SQL script computing the same marts from the same Parquet
inputs, so this runner imports nothing of the kit: it reads the campaign YAML with plain ``yaml``, makes one
view per input table, sets the campaign's parameters as SQL variables and runs the script. The time counts
reading the Parquet files (the kit pays it too), not fetching the results.

Module: ``run(params_file) -> (seconds, {mart: pyarrow.Table})``. Script:
``python bench/floor.py --params FILE [--memory-limit 4GB] [--temp-dir DIR]`` prints the seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

SQL = Path(__file__).with_name("floor.sql")
TABLES = (
    "orders",
    "order_items",
    "products",
    "events",
    "marketing",
    "coupons",
    "inventory",
    "shipments",
    "service",
    "nps",
    "users",
)
# Optional columns the script reads that a source may leave out (the demo's orders have no freight): a typed
# NULL column, as the kit's staging gives them.
OPTIONAL = {
    "orders": {
        "pay_time": "TIMESTAMP",
        "is_presale": "BOOLEAN",
        "freight": "DOUBLE",
        "province": "VARCHAR",
        "city_tier": "VARCHAR",
        "coupon_id": "VARCHAR",
    },
    "order_items": {"unit_cost": "DOUBLE"},
    "products": {"name": "VARCHAR", "launch_date": "DATE", "unit_cost": "DOUBLE", "is_merchandise": "BOOLEAN"},
    "events": {"user_id": "VARCHAR", "session_id": "VARCHAR", "dwell_seconds": "DOUBLE"},
    "marketing": {
        "placement": "VARCHAR",
        "is_kol": "BOOLEAN",
        "impressions": "BIGINT",
        "clicks": "BIGINT",
        "attributed_orders": "BIGINT",
        "attributed_revenue": "DOUBLE",
    },
    "coupons": {"coupon_type": "VARCHAR", "redeemed": "BIGINT"},
    "inventory": {"replenished": "BIGINT"},
    "shipments": {
        "shipped_time": "TIMESTAMP",
        "delivered_time": "TIMESTAMP",
        "region": "VARCHAR",
        "promised_hours": "DOUBLE",
        "promised_time": "TIMESTAMP",
    },
    "service": {"first_response_seconds": "DOUBLE", "reason": "VARCHAR", "satisfaction": "DOUBLE"},
    "users": {"is_member": "BOOLEAN", "city_tier": "VARCHAR"},
}
# The settings the marts read, with the values a YAML without them gets.
SETTINGS = {
    "new_customer_lookback_days": 365,
    "retention_days": 30,
    "rfm_lookback_days": 365,
    "ship_within_hours": 48.0,
    "offsite_channels": ["offsite"],
}
DEFAULT_MEMORY_LIMIT = "4GB"  # the kit's engine default, so both run under the same limit


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _day(value) -> str:
    if value is None:
        return "CAST(NULL AS DATE)"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"DATE '{day.isoformat()}'"


def variables(doc: dict) -> dict[str, str]:
    """The SQL literal of every variable the script reads, from the campaign YAML."""
    phases = doc["phases"]
    baseline = doc.get("baseline") or {}
    settings = {**SETTINGS, **(doc.get("settings") or {})}
    structs = ", ".join(
        f"{{'name': {_text(ph['name'])}, 'first_day': {_day(ph['start'])}, 'last_day': {_day(ph['end'])}}}"
        for ph in phases
    )
    channels = ", ".join(_text(c) for c in settings["offsite_channels"])
    return {
        "phases": f"[{structs}]",
        "campaign_start": _day(phases[0]["start"]),
        "campaign_end": _day(phases[-1]["end"]),
        "baseline_start": _day(baseline.get("start")),
        "baseline_end": _day(baseline.get("end")),
        "new_customer_lookback_days": str(int(settings["new_customer_lookback_days"])),
        "retention_days": str(int(settings["retention_days"])),
        "rfm_lookback_days": str(int(settings["rfm_lookback_days"])),
        "ship_within_hours": f"CAST({float(settings['ship_within_hours'])!r} AS DOUBLE)",
        "offsite_channels": f"CAST([{channels}] AS VARCHAR[])",
    }


def _files(doc: dict, base: Path, name: str) -> str:
    """The ``read_parquet`` argument of a table: its YAML path(s), relative to the YAML, a folder as its Parquet."""
    paths = doc["data"]["tables"][name]["path"]
    out = []
    for p in [paths] if isinstance(paths, str) else paths:
        path = Path(p).expanduser()
        path = path if path.is_absolute() else base / path
        out.append(str(path / "**" / "*.parquet") if path.is_dir() else str(path))
    return "[" + ", ".join(_text(p) for p in out) + "]"


def _create_view(con, name: str, files: str) -> None:
    scan = f"read_parquet({files})"
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    missing = [f"CAST(NULL AS {kind}) AS {col}" for col, kind in OPTIONAL.get(name, {}).items() if col not in present]
    con.execute(f"CREATE VIEW {name} AS SELECT *{''.join(', ' + m for m in missing)} FROM {scan}")


def run(
    params_file: str | Path,
    memory_limit: str | None = None,
    temp_dir: str | Path | None = None,
    fetch: bool = True,
) -> tuple[float, dict]:
    """Run the floor on a campaign; return (seconds, {mart name: pyarrow.Table}), an empty dict when not ``fetch``.

    ``memory_limit``: DuckDB's (default: the YAML's engine.memory_limit, else the kit's 4GB); ``temp_dir``: where
    it spills (default: a temporary folder, removed after). The seconds run from connecting to the last mart
    created: views, Parquet reads and the script.
    """
    params_file = Path(params_file).resolve()
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    engine = doc.get("engine") or {}
    limit = memory_limit or engine.get("memory_limit") or DEFAULT_MEMORY_LIMIT
    script = SQL.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="floor-spill-") as spill:  # not DuckDB's default: .tmp/ in the cwd
        t0 = time.perf_counter()
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = {_text(limit)}")
            if engine.get("threads"):
                con.execute(f"SET threads = {int(engine['threads'])}")
            con.execute(f"SET temp_directory = {_text(temp_dir or spill)}")
            for name in TABLES:
                _create_view(con, name, _files(doc, params_file.parent, name))
            for name, literal in variables(doc).items():
                con.execute(f"SET VARIABLE {name} = {literal}")
            con.execute(script)
            seconds = time.perf_counter() - t0
            marts = {}
            if fetch:
                names = con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary ORDER BY 1"
                ).fetchall()
                marts = {name: con.table(name).to_arrow_table() for (name,) in names}
            return seconds, marts
        finally:
            con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, help="campaign YAML (data.tables.<name>.path: Parquet)")
    parser.add_argument("--memory-limit", help="DuckDB memory limit (default: the YAML's, else 4GB)")
    parser.add_argument("--temp-dir", help="where DuckDB spills (default: a temporary folder)")
    args = parser.parse_args(argv)
    seconds, _ = run(args.params, args.memory_limit, args.temp_dir, fetch=False)
    print(f"{seconds:.3f}")


if __name__ == "__main__":
    main()
