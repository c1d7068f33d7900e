"""The same marts on Spark: every mart of the small demo built by DuckDB and by PySpark (local mode) must be
equal (same columns and types, same rows, numbers to 1e-9 relative), and so must the data problems.

The Spark build reads its sources every way the engine supports: Parquet files by Spark, a hive-partitioned
folder (service, by day), a catalogue table (orders, registered in the session) and a GBK CSV with Chinese
headers (marketing) read here by DuckDB and shipped. One local[2] session serves the whole module (the
marts' build reuses it, as it would a notebook's). Skipped only when Java is missing (CI installs
openjdk-17-jre-headless).
"""

import math
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from retro.errors import DataError, ParamsError
from retro.marts.build import build_marts
from retro.params import CampaignParams, Engine, TableSource, load_params
from retro.staging import engines
from retro.staging.mapping import to_canonical
from retro.validate import check_data

HAS_JAVA = shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))
needs_java = pytest.mark.skipif(not HAS_JAVA, reason="Spark needs Java 17: install openjdk-17-jre-headless")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),  # inside pyspark, under pandas 3
]

# settings that suit seconds-long jobs on small data (about half the JVM work here; results do not depend on them):
# no code generation, no adaptive re-planning, the JVM's quick compiler only
FAST = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
}
LOCAL = Engine(kind="spark", master="local[2]", conf=FAST)
MARKETING_HEADERS = {  # canonical -> the CSV's Chinese header
    "date": "日期",
    "channel": "渠道",
    "placement": "投放位",
    "is_kol": "达人",
    "spend": "花费",
    "impressions": "曝光",
    "clicks": "点击",
    "attributed_orders": "成交单数",
    "attributed_revenue": "成交金额",
}


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module (build_marts reuses it and leaves it running)."""
    if not HAS_JAVA:
        pytest.skip("Spark needs Java 17: install openjdk-17-jre-headless")
    session = engines.spark_builder(LOCAL, "retro parity test").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _yaml(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _read_marts(run_dir: Path) -> dict[str, tuple]:
    """Each mart file as (Arrow schema, DataFrame)."""
    out = {}
    for f in sorted((run_dir / "marts").glob("*.parquet")):
        table = pq.read_table(f)
        out[f.stem] = (table.schema, table.to_pandas())
    return out


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), na_position="first", kind="stable").reset_index(drop=True)


def _assert_same(name: str, a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = _sorted(a), _sorted(b)
    assert len(a) == len(b), f"{name}: {len(a)} rows on DuckDB, {len(b)} on Spark"
    for col in a.columns:
        for i, (x, y) in enumerate(zip(a[col], b[col], strict=True)):
            if isinstance(x, float) or isinstance(y, float):
                if pd.isna(x) and pd.isna(y):
                    continue
                assert math.isclose(x, y, rel_tol=1e-9), f"{name}.{col} row {i}: {x!r} on DuckDB, {y!r} on Spark"
            else:
                assert (pd.isna(x) and pd.isna(y)) or x == y, f"{name}.{col} row {i}: {x!r} vs {y!r}"


@pytest.fixture(scope="module")
def sources(demo, tmp_path_factory):
    """The demo's data in the shapes the Spark engine reads, and the YAML (as a dict) for DuckDB."""
    root, params_file, data = demo
    folder = tmp_path_factory.mktemp("spark-sources")
    marketing = pd.read_parquet(data / "marketing")
    marketing.rename(columns=MARKETING_HEADERS).to_csv(folder / "marketing.csv", index=False, encoding="gbk")
    service = pd.read_parquet(data / "service")
    for day, part in service.groupby(service.created_time.dt.date):
        out = folder / "service" / f"day={day}"
        out.mkdir(parents=True)
        part.to_parquet(out / "part-0.parquet", index=False)
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    tables = {name: {"path": str(data / name / "*.parquet")} for name in doc["data"]["tables"]}
    tables["marketing"] = {"path": str(folder / "marketing.csv"), "encoding": "gbk", "columns": MARKETING_HEADERS}
    tables["service"] = {"path": str(folder / "service")}
    doc["data"] = {"tables": tables}
    return folder, doc, data


@needs_java
def test_every_mart_is_the_same_on_spark(spark, sources):
    folder, doc, data = sources
    duck_yaml = _yaml(folder / "duckdb.yaml", doc)
    spark.read.parquet(str(data / "orders")).createOrReplaceTempView("parity_orders")  # a catalogue table
    spark_doc = {
        **doc,
        "engine": {"kind": "spark", "master": "local[2]"},
        "data": {"tables": {**doc["data"]["tables"], "orders": {"table": "parity_orders"}}},
    }
    spark_yaml = _yaml(folder / "spark.yaml", spark_doc)

    duck_manifest = build_marts(load_params(duck_yaml), folder / "run-duckdb")
    spark_manifest = build_marts(load_params(spark_yaml), folder / "run-spark")
    assert spark.sparkContext._jsc is not None  # a session the caller started is left running

    assert sorted(duck_manifest) == sorted(spark_manifest) and len(duck_manifest) >= 30
    assert {m["engine"] for m in spark_manifest.values()} == {"spark"}
    duck, on_spark = _read_marts(folder / "run-duckdb"), _read_marts(folder / "run-spark")
    assert sorted(duck) == sorted(on_spark)
    for name, (schema, frame) in duck.items():
        spark_schema, spark_frame = on_spark[name]
        assert spark_schema == schema, f"{name}: columns or types differ:\n{schema}\n{spark_schema}"
        _assert_same(name, frame, spark_frame)
    # the data-quality appendix reads the same problems (orders is named by its catalogue table on Spark)
    problems = [
        [(p["table"], p["column"], p["what"], p["rows"], p["examples"], p["code"]) for p in json["problems"]]
        for json in (_quality(folder / "run-duckdb"), _quality(folder / "run-spark"))
    ]
    assert problems[0] == problems[1] and problems[0]


def _quality(run_dir: Path) -> dict:
    import json

    return json.loads((run_dir / "marts" / "quality.json").read_text(encoding="utf-8"))


# --- mapping text columns: the hand-written SQL in both dialects ------------------------------------------------
PARAMS = CampaignParams.model_validate(
    {
        "campaign": {"id": "m", "name": "Mapping", "timezone": "Asia/Shanghai"},
        "phases": [{"name": "burst", "start": "2026-11-11", "end": "2026-11-11"}],
        "data": {"tables": {"orders": {"path": "orders.parquet"}}},
    }
)
TIMES = [  # every one is 2026-11-11 09:30 in Shanghai
    "2026-11-11 09:30:00",
    "2026-11-11T09:30",
    "2026/11/11 09:30",
    "2026年11月11日 09:30",
    "11/11/2026 9:30",
    "20261111093000",
    "1794360600",
    "1794360600000",
    "2026-11-11T01:30:00Z",
    "2026-11-10T20:30:00-05:00",
]
AMOUNTS = ["¥1,299.00", "$12", "(5.50)", " 1 000 ", "12 元", "CNY 5", "€7", "0.1", "1,000,000.50", "-3"]


def _both(spark, tmp_path, name: str, df: pd.DataFrame, **src):
    """(table, problem lines) of mapping the Parquet file of ``df`` on DuckDB and on Spark."""
    import ibis

    path = tmp_path / f"{name}.parquet"
    df.to_parquet(path, index=False)
    duck = ibis.duckdb.connect()
    out = []
    for con in (duck, engines.spark_connect(LOCAL)):
        table, problems = to_canonical(con, name, con.read_parquet(path), TableSource(path=str(path), **src), PARAMS)
        out.append((None if table is None else con.to_pyarrow(table).to_pandas(), [p.line() for p in problems]))
    duck.disconnect()
    return out


@needs_java
def test_text_columns_parse_the_same_on_spark(spark, tmp_path):
    n = len(TIMES)
    df = pd.DataFrame(
        {
            "订单号": [f"o{i}" for i in range(n)],
            "买家": ["u"] * n,
            "下单时间": TIMES,
            "状态": ["已付款", "paid", "Paid", "已退款", "cancelled", "paid", "paid", "paid", "paid", "paid"],
            "渠道": ["\tapp", "app　", "app", "app", "app", "app", "app", "app", "app", "app"],
            "金额": AMOUNTS,
            "预售": ["是", "否", "Y", "n", "1", "false", "TRUE", "0", None, "yes"],
        },
        dtype=object,
    )
    columns = {"order_id": "订单号", "user_id": "买家", "order_time": "下单时间", "status": "状态"}
    columns |= {"channel": "渠道", "paid_amount": "金额", "is_presale": "预售"}
    values = {"status": {"已付款": "paid", "已退款": "refunded"}}
    (duck, duck_problems), (spark_out, spark_problems) = _both(
        spark, tmp_path, "orders", df, columns=columns, values=values
    )
    assert duck_problems == spark_problems == []
    assert set(spark_out["order_time"]) == {pd.Timestamp("2026-11-11 09:30")}
    assert list(spark_out["paid_amount"]) == [1299.0, 12.0, -5.5, 1000.0, 12.0, 5.0, 7.0, 0.1, 1000000.5, -3.0]
    assert list(spark_out["status"]) == ["paid", "paid", "paid", "refunded", "cancelled", *["paid"] * 5]
    assert set(spark_out["channel"]) == {"app"}  # tabs and full-width blanks trimmed
    _assert_same("orders", duck, spark_out)

    # day-first format, fen, and a few values that do not parse (under 1 %: rows dropped, with examples)
    m = 200
    df = pd.DataFrame(
        {
            "订单号": [f"o{i}" for i in range(m)],
            "买家": ["u"] * m,
            "下单时间": ["13/11/2026 08:00"] * (m - 2) + ["garbage", "2026-11-12 08:00"],
            "状态": ["paid"] * m,
            "渠道": ["app"] * m,
            "金额": ["abc"] + ["12900"] * (m - 1),
        },
        dtype=object,
    )
    del columns["is_presale"]
    (duck, duck_problems), (spark_out, spark_problems) = _both(
        spark, tmp_path, "orders", df, columns=columns, time_format="%d/%m/%Y %H:%M", amount_unit="fen"
    )
    assert duck_problems == spark_problems and len(spark_problems) == 2
    assert "'garbage'" in spark_problems[0] and "'abc'" in spark_problems[1]
    assert list(spark_out["paid_amount"]) == [129.0] * (m - 2)  # fen -> yuan; the two bad rows dropped
    assert set(spark_out["order_time"]) == {pd.Timestamp("2026-11-13 08:00"), pd.Timestamp("2026-11-12 08:00")}
    _assert_same("orders", duck, spark_out)


@needs_java
def test_zoned_typed_timestamps_are_converted_on_spark(spark, tmp_path):
    df = pd.DataFrame(
        {
            "visitor_id": ["v1", "v2", "v3"],
            # an instant (Parquet timestamp with a zone): Spark's TIMESTAMP, DuckDB's TIMESTAMPTZ
            "event_time": pd.to_datetime(["2026-11-11 01:30", "2026-11-10 16:05", "2026-11-11 15:59"]).tz_localize(
                "UTC"
            ),
            "channel": ["app"] * 3,
            "event_type": ["view", "fav", "pay"],
        }
    )
    (duck, duck_problems), (spark_out, spark_problems) = _both(spark, tmp_path, "events", df)
    assert duck_problems == spark_problems and "'fav'" in spark_problems[0]  # kept, outside the funnel
    assert list(spark_out["event_time"]) == [
        pd.Timestamp("2026-11-11 09:30"),
        pd.Timestamp("2026-11-11 00:05"),
        pd.Timestamp("2026-11-11 23:59"),
    ]
    _assert_same("events", duck, spark_out)


@needs_java
def test_ties_are_broken_the_same_way_on_both_engines(spark):
    import ibis
    from retro.marts import Tables
    from retro.marts.common import campaign_buyers

    at = pd.Timestamp("2026-11-11 10:00")
    orders = pd.DataFrame(
        {  # buyer a: two orders in the same second; the smaller order id (o1, channel y) is the first
            "order_id": ["o2", "o1", "o3"],
            "user_id": ["a", "a", "b"],
            "order_time": [at, at, at],
            "status": ["paid"] * 3,
            "channel": ["x", "y", "x"],
            "paid_amount": [10.0, 20.0, 5.0],
        }
    )
    duck = ibis.duckdb.connect()
    for con in (duck, engines.spark_connect(LOCAL)):
        table = engines.ship_arrow(con, "tie_orders", pa_table(orders))
        buyers = con.execute(campaign_buyers(Tables({"orders": table}, con), PARAMS)).sort_values("user_id")
        assert list(buyers["first_channel"]) == ["y", "x"], con.name
        assert list(buyers["net_sales"]) == [30.0, 5.0]
    duck.disconnect()


def pa_table(df: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False)


@needs_java
def test_a_large_local_source_is_refused_before_shipping(spark, sources, monkeypatch):
    folder, doc, data = sources
    doc = {**doc, "engine": {"kind": "spark"}, "sections": ["marketing"]}
    doc["data"] = {"tables": {k: v for k, v in doc["data"]["tables"].items() if k == "marketing"}}
    monkeypatch.setenv("RETRO_SPARK_LOCAL_ROWS", "100")
    with pytest.raises(DataError) as e:
        check_data(load_params(_yaml(folder / "limit.yaml", doc)))
    (line,) = e.value.problems
    assert line.startswith("marketing (marketing.csv): ") and "too many to read on this machine" in line
    assert "limit 100" in line and "data.tables.marketing.path" in line


# --- the YAML's engine keys ------------------------------------------------------------------------------------
def _params(tmp_path, engine: dict | None = None, tables: dict | None = None) -> Path:
    doc = {
        "campaign": {"id": "e", "name": "Engine"},
        "phases": [{"name": "burst", "start": "2026-11-11", "end": "2026-11-11"}],
        "data": {"tables": tables or {"orders": {"path": "orders.parquet"}}},
    }
    if engine is not None:
        doc["engine"] = engine
    return _yaml(tmp_path / "e.yaml", doc)


@pytest.mark.parametrize(
    ("engine", "tables", "message"),
    [
        ({"master": "local[2]"}, None, "e.yaml: engine: master is a Spark setting: add kind: spark, or remove it"),
        (
            {"kind": "spark", "master": "local[two]"},
            None,
            "e.yaml: engine.master: not a Spark master URL: 'local[two]'",
        ),
        ({"kind": "spark", "conf": {"spark.hadoop.fs.s3a.secret.key": "x"}}, None, "looks like a secret"),
        ({"kind": "flink"}, None, "e.yaml: engine.kind: Input should be 'duckdb' or 'spark', got 'flink'"),
        (None, {"orders": {"table": "db.orders"}}, "data.tables.orders: a catalogue table (table or query, no path)"),
        (None, {"orders": {"path": "s3a://lake/orders/"}}, "data.tables.orders.path: a s3a:// path is read by Spark"),
    ],
)
def test_engine_keys_are_checked(tmp_path, engine, tables, message):
    with pytest.raises(ParamsError) as e:
        load_params(_params(tmp_path, engine, tables))
    assert any(message in line for line in e.value.problems), e.value.problems


def test_spark_keys_and_sources_load(tmp_path):
    engine = {"kind": "spark", "master": "spark://head:7077", "conf": {"spark.executor.memory": "8g", "x.y": 2}}
    tables = {"orders": {"table": "dw.orders"}, "events": {"path": "s3a://lake/events/"}}
    params = load_params(_params(tmp_path, engine, tables))
    assert params.engine.master == "spark://head:7077" and params.engine.conf["x.y"] == 2


def test_strptime_formats_become_spark_patterns():
    assert engines.java_pattern("%Y/%m/%d %H:%M") == "yyyy/M/d H:m"  # one or two digits, as strptime reads
    assert engines.java_pattern("%Y%m%d%H%M%S") == "yyyyMMddHHmmss"  # fields side by side: fixed widths
    assert engines.java_pattern("%Y年%m月%d日") == "yyyy'年'M'月'd'日'"
    assert engines.java_pattern("%d/%m/%YT%H") == "d/M/yyyy'T'H"
