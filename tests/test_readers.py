"""Sources: every file format and database the YAML can name, read into the engine with the source's headers.

Each test writes a tiny file (or table) by hand and checks the raw relation, or the one-line error.
The PostgreSQL tests run against a real server started by ``pg_server`` (they skip where none can start).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import ibis
import pandas as pd
import pytest
import yaml
from pg_server import pg_server  # noqa: F401  (the fixture)
from retro.errors import DataError
from retro.params import load_params
from retro.staging import readers
from retro.staging.stage import stage_tables

CAMPAIGN = {
    "campaign": {"id": "src", "name": "Sources", "language": "en", "timezone": "Asia/Shanghai"},
    "phases": [
        {"name": "warmup", "start": "2026-11-01", "end": "2026-11-02"},
        {"name": "burst", "start": "2026-11-03", "end": "2026-11-03"},
        {"name": "tail", "start": "2026-11-04", "end": "2026-11-04"},
    ],
}


def make_params(root, tables: dict, **extra):
    path = root / "campaign.yaml"
    doc = {**CAMPAIGN, **extra, "data": {"tables": tables}}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_params(path)


def read(root, src: dict, name: str = "orders") -> pd.DataFrame:
    """The raw relation of one source as a DataFrame (rows in file order)."""
    params = make_params(root, {name: src})
    con = ibis.duckdb.connect()
    return readers.read_source(con, name, params.data.tables[name], params).execute()


def error_of(root, src: dict, name: str = "orders") -> str:
    with pytest.raises(DataError) as e:
        read(root, src, name)
    text = str(e.value)
    assert "Traceback" not in text and str(root) not in text
    return text


ORDERS_CSV = 'order_id,paid_amount,order_time\n007,"¥1,299.00",2026/11/11 10:00\n008,12.5,2026-11-11\n'


# --- CSV / TSV ----------------------------------------------------------------------------------------


def test_csv_columns_all_text(tmp_path):
    (tmp_path / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    df = read(tmp_path, {"path": "orders.csv"})
    assert list(df.columns) == ["order_id", "paid_amount", "order_time"]
    assert df["order_id"].tolist() == ["007", "008"]  # leading zeros kept: read as text
    assert df["paid_amount"].tolist() == ["¥1,299.00", "12.5"]
    assert df["order_time"].tolist() == ["2026/11/11 10:00", "2026-11-11"]


def test_csv_without_a_header_row_names_columns_by_position(tmp_path):
    """``header: false``: the first row is data, columns are "1", "2", ... and map by position."""
    (tmp_path / "orders.csv").write_text(ORDERS_CSV.split("\n", 1)[1], encoding="utf-8")
    df = read(tmp_path, {"path": "orders.csv", "header": False})
    assert list(df.columns) == ["1", "2", "3"]
    assert df["1"].tolist() == ["007", "008"]  # the first row is not taken for a header
    params = make_params(tmp_path, {"orders": {"path": "orders.csv", "header": False, "columns": {"order_id": 1}}})
    assert params.data.tables["orders"].columns == {"order_id": "1"}  # a position may be written as a number


def test_csv_utf8_bom_stripped_from_first_header(tmp_path):
    (tmp_path / "orders.csv").write_bytes(b"\xef\xbb\xbf" + ORDERS_CSV.encode("utf-8"))
    for encoding in ("auto", "utf-8-sig", "utf-8"):
        df = read(tmp_path, {"path": "orders.csv", "encoding": encoding})
        assert list(df.columns)[0] == "order_id"
        assert df["order_id"].tolist() == ["007", "008"]


GBK_TEXT = '订单号,支付金额,订单状态\nA1,"￥1,299.00",已付款\nA2,35,已退款\n'


@pytest.mark.parametrize("encoding", ["auto", "gbk", "gb18030"])
def test_csv_gbk_detected_or_declared(tmp_path, encoding):
    (tmp_path / "orders.csv").write_bytes(GBK_TEXT.encode("gbk"))
    df = read(tmp_path, {"path": "orders.csv", "encoding": encoding})
    assert list(df.columns) == ["订单号", "支付金额", "订单状态"]
    assert df["订单状态"].tolist() == ["已付款", "已退款"]
    assert df["支付金额"].tolist() == ["￥1,299.00", "35"]  # the full-width yen sign of GBK exports


def test_csv_gbk_transcoded_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 7)  # odd size: multi-byte characters split between chunks
    (tmp_path / "orders.csv").write_bytes(GBK_TEXT.encode("gbk"))
    df = read(tmp_path, {"path": "orders.csv"})
    assert df["订单状态"].tolist() == ["已付款", "已退款"]


def test_csv_gbk_declared_utf8_is_one_clear_line(tmp_path):
    (tmp_path / "orders.csv").write_bytes(GBK_TEXT.encode("gbk"))
    text = error_of(tmp_path, {"path": "orders.csv", "encoding": "utf-8"})
    assert text.startswith("orders (orders.csv): not valid UTF-8 (byte 0xb6 on line 1, offset 0)")
    assert "data.tables.orders.encoding: gbk" in text
    assert "\n" not in text


def test_csv_invalid_in_any_encoding_is_reported(tmp_path):
    (tmp_path / "orders.csv").write_bytes(b"a,b\n1,\xff\xff\n")
    text = error_of(tmp_path, {"path": "orders.csv"})
    assert "orders (orders.csv): neither UTF-8 nor GBK/GB18030 text (line 2, offset 6)" in text


def test_tsv_by_extension_and_txt_with_format(tmp_path):
    (tmp_path / "orders.tsv").write_text("order_id\tname\nA1\tx, y\n", encoding="utf-8")
    assert read(tmp_path, {"path": "orders.tsv"})["name"].tolist() == ["x, y"]
    (tmp_path / "orders.txt").write_text("order_id\tname\nA1\tx, y\n", encoding="utf-8")
    assert read(tmp_path, {"path": "orders.txt", "format": "tsv"})["name"].tolist() == ["x, y"]


def test_csv_delimiter_from_yaml_or_sniffed(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id;amount\nA1;1,5\nA2;2,5\n", encoding="utf-8")
    for src in ({"path": "orders.csv", "delimiter": ";"}, {"path": "orders.csv"}):
        assert read(tmp_path, src)["amount"].tolist() == ["1,5", "2,5"]


def test_csv_skip_rows_before_header(tmp_path):
    (tmp_path / "orders.csv").write_text("Export of 2026-11-12\n\norder_id,amount\nA1,3\n", encoding="utf-8")
    df = read(tmp_path, {"path": "orders.csv", "skip_rows": 2})
    assert list(df.columns) == ["order_id", "amount"] and df["amount"].tolist() == ["3"]


def test_csv_daily_files_by_glob_read_as_one_table(tmp_path):
    daily = tmp_path / "daily"
    daily.mkdir()
    (daily / "orders-2026-11-01.csv").write_text("order_id,amount\nA1,1\nA2,2\n", encoding="utf-8")
    (daily / "orders-2026-11-02.csv").write_bytes("order_id,amount\n订单3,3\n".encode("gbk"))  # one GBK day
    (daily / "orders-2026-11-03.csv").write_text("order_id,amount\n", encoding="utf-8")  # a day without orders
    df = read(tmp_path, {"path": "daily/orders-*.csv"})
    assert sorted(df["order_id"]) == ["A1", "A2", "订单3"]
    df = read(tmp_path, {"path": "daily"})  # a folder: its CSV files
    assert len(df) == 3


def test_csv_files_with_different_headers_name_both(tmp_path):
    (tmp_path / "a.csv").write_text("order_id,amount\nA1,1\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("order_id,paid\nA2,2\n", encoding="utf-8")
    text = error_of(tmp_path, {"path": ["a.csv", "b.csv"]})
    assert text.startswith("orders: files have different headers: a.csv and b.csv")
    assert "a.csv has ['amount'], b.csv has ['paid']" in text


def test_csv_header_only_is_zero_rows(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,amount\n", encoding="utf-8")
    df = read(tmp_path, {"path": "orders.csv"})
    assert list(df.columns) == ["order_id", "amount"] and len(df) == 0


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "orders.csv").write_bytes(b"")
    text = error_of(tmp_path, {"path": "orders.csv"})
    assert text.startswith("orders (orders.csv): file is empty (0 bytes); fix:")


def test_skip_rows_past_the_end_is_an_error(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id\nA1\n", encoding="utf-8")
    text = error_of(tmp_path, {"path": "orders.csv", "skip_rows": 5})
    assert "no header row after skipping 5 rows" in text and "data.tables.orders.skip_rows" in text


def test_missing_file_names_the_yaml_key(tmp_path):
    assert error_of(tmp_path, {"path": "nope-*.csv"}) == "data.tables.orders.path: no file matches 'nope-*.csv'"


# --- Excel --------------------------------------------------------------------------------------------


def write_workbook(path):
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"note": ["first sheet"]}).to_excel(xl, sheet_name="说明", index=False)
        title = pd.DataFrame([["订单导出 2026-11-12"], [None]])
        title.to_excel(xl, sheet_name="订单", index=False, header=False)
        rows = pd.DataFrame(
            {
                "订单号": [1001, 1002, 1003],
                "支付金额": [1299.5, 35.0, None],
                "下单时间": [dt.datetime(2026, 11, 11, 0, 5), dt.datetime(2026, 11, 11, 9, 0), None],
                "备注": ["¥1,299.00", 12, None],
                "渠道": ["app", "小程序", "app"],
            }
        )
        rows.to_excel(xl, sheet_name="订单", index=False, startrow=2)


def test_excel_sheet_by_name_with_header_offset(tmp_path):
    write_workbook(tmp_path / "orders.xlsx")
    df = read(tmp_path, {"path": "orders.xlsx", "sheet": "订单", "skip_rows": 2})
    assert list(df.columns) == ["订单号", "支付金额", "下单时间", "备注", "渠道"]
    assert df["订单号"].tolist() == [1001, 1002, 1003]  # numbers stay numbers
    assert df["支付金额"].tolist()[:2] == [1299.5, 35.0] and pd.isna(df["支付金额"].iloc[2])
    assert df["下单时间"].iloc[0] == pd.Timestamp("2026-11-11 00:05")  # real date cells stay dates
    assert df["备注"].tolist()[:2] == ["¥1,299.00", "12"]  # a text column is text, numbers in it too
    assert df["渠道"].tolist() == ["app", "小程序", "app"]


def test_excel_header_only_is_zero_text_rows(tmp_path):
    pd.DataFrame({"订单号": [], "下单时间": []}).to_excel(tmp_path / "orders.xlsx", index=False)
    params = make_params(tmp_path, {"orders": {"path": "orders.xlsx"}})
    table = readers.read_source(ibis.duckdb.connect(), "orders", params.data.tables["orders"], params)
    assert dict(table.schema().items()) == {"订单号": ibis.dtype("string"), "下单时间": ibis.dtype("string")}
    assert table.count().execute() == 0


def test_excel_sheet_by_index(tmp_path):
    write_workbook(tmp_path / "orders.xlsx")
    assert read(tmp_path, {"path": "orders.xlsx"})["note"].tolist() == ["first sheet"]
    assert len(read(tmp_path, {"path": "orders.xlsx", "sheet": 1, "skip_rows": 2})) == 3


def test_excel_unknown_sheet_lists_the_sheets(tmp_path):
    write_workbook(tmp_path / "orders.xlsx")
    text = error_of(tmp_path, {"path": "orders.xlsx", "sheet": "Orders"})
    assert text.startswith("orders (orders.xlsx): has no sheet 'Orders' (sheets: '说明', '订单')")
    assert "data.tables.orders.sheet" in text
    assert "has no sheet number 5" in error_of(tmp_path, {"path": "orders.xlsx", "sheet": 5})


def test_excel_not_a_workbook(tmp_path):
    (tmp_path / "orders.xlsx").write_text("not really", encoding="utf-8")
    assert error_of(tmp_path, {"path": "orders.xlsx"}).startswith("orders (orders.xlsx): not an Excel .xlsx workbook")


# --- Parquet ------------------------------------------------------------------------------------------


def test_parquet_hive_partitioned_folder(tmp_path):
    for month, ids in ((10, ["A1"]), (11, ["B1", "B2"])):
        folder = tmp_path / "orders" / "year=2026" / f"month={month}"
        folder.mkdir(parents=True)
        pd.DataFrame({"order_id": ids, "paid_amount": [1.0] * len(ids)}).to_parquet(folder / "part-0.parquet")
    df = read(tmp_path, {"path": "orders"}).sort_values("order_id")
    assert set(df.columns) == {"order_id", "paid_amount", "year", "month"}
    assert df["month"].tolist() == [10, 11, 11] and df["year"].tolist() == [2026] * 3


def test_parquet_glob_without_partitions(tmp_path):
    for i in range(2):
        pd.DataFrame({"order_id": [f"A{i}"]}).to_parquet(tmp_path / f"orders-{i}.parquet")
    df = read(tmp_path, {"path": "orders-*.parquet"})
    assert list(df.columns) == ["order_id"] and sorted(df["order_id"]) == ["A0", "A1"]


def test_parquet_corrupt_file_is_one_line(tmp_path):
    (tmp_path / "orders.parquet").write_bytes(b"PAR1 not parquet")
    text = error_of(tmp_path, {"path": "orders.parquet"})
    assert text.startswith("orders (orders.parquet): cannot be read:") and "\n" not in text


# --- DuckDB database files ----------------------------------------------------------------------------


@pytest.fixture
def duck_file(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT * FROM (VALUES ('A1', 10.5), ('A2', 20.0)) t(order_id, amount)")
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE TABLE crm.users AS SELECT 'u1' AS user_id")
    con.close()
    return path


def test_duckdb_file_table_query_and_schema(tmp_path, duck_file):
    df = read(tmp_path, {"format": "duckdb", "url": "shop.duckdb", "table": "orders"})
    assert df["amount"].tolist() == [10.5, 20.0]
    df = read(tmp_path, {"url": "shop.duckdb", "query": "SELECT order_id FROM orders WHERE amount > 15"})
    assert df["order_id"].tolist() == ["A2"]
    df = read(tmp_path, {"format": "duckdb", "path": "shop.duckdb", "table": "crm.users"}, name="users")
    assert df["user_id"].tolist() == ["u1"]


def test_duckdb_two_tables_from_one_file(tmp_path, duck_file):
    params = make_params(
        tmp_path,
        {
            "orders": {"url": "shop.duckdb", "table": "orders"},
            "users": {"url": "duckdb:///shop.duckdb", "query": "SELECT * FROM crm.users"},
        },
    )
    con = ibis.duckdb.connect()
    got = {n: readers.read_source(con, n, s, params).count().execute() for n, s in params.data.tables.items()}
    assert got == {"orders": 2, "users": 1}


def test_duckdb_query_names_resolve_in_the_file_not_in_staged_tables(tmp_path, duck_file):
    params = make_params(tmp_path, {"users": {"url": "shop.duckdb", "query": "SELECT count(*) AS n FROM orders"}})
    con = ibis.duckdb.connect()
    con.con.execute("CREATE TEMP TABLE orders AS SELECT 1 AS staged")  # as stage_tables leaves it
    df = readers.read_source(con, "users", params.data.tables["users"], params).execute()
    assert df["n"].tolist() == [2]


def test_duckdb_missing_table_and_bad_query(tmp_path, duck_file):
    text = error_of(tmp_path, {"url": "shop.duckdb", "table": "order"})
    assert text.startswith("orders (shop.duckdb): table 'order' not found in the database (tables: orders, users)")
    text = error_of(tmp_path, {"url": "shop.duckdb", "query": "SELEC 1"})
    assert text.startswith("orders (shop.duckdb): the database rejected the query:") and "\n" not in text
    assert "DuckDB database file not found" in error_of(tmp_path, {"url": "nope.duckdb", "table": "orders"})
    assert "needs a table or a query" in error_of(tmp_path, {"path": "shop.duckdb"})


def test_files_of_different_kinds_in_one_table(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id\nA1\n", encoding="utf-8")
    pd.DataFrame({"order_id": ["A2"]}).to_parquet(tmp_path / "orders.parquet")
    assert "files of different kinds (csv, parquet)" in error_of(tmp_path, {"path": "orders.*"})


# --- PostgreSQL (a real server) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_shop(pg_server):  # noqa: F811
    pg_server.execute(
        """
        DROP SCHEMA IF EXISTS crm CASCADE;
        CREATE SCHEMA crm;
        DROP TABLE IF EXISTS orders;
        CREATE TABLE orders (
            order_id text PRIMARY KEY, paid numeric(12, 2), qty integer, created timestamp,
            paid_at timestamptz, day date, presale boolean, note text);
        INSERT INTO orders VALUES
            ('A1', 1299.00, 2, '2026-11-11 00:05', '2026-11-11 00:06+08', '2026-11-11', true, '已付款'),
            ('A2', 35.50, 1, '2026-11-11 09:00', NULL, '2026-11-11', false, NULL);
        CREATE TABLE crm."Users" (user_id text);
        INSERT INTO crm."Users" VALUES ('u1'), ('u2');
        """
    )
    return pg_server


def pg_source(server, **kw) -> dict:
    return {"format": "sql", "url": server.url(), "password_env": "PG_PASSWORD", **kw}


def test_postgres_table_with_password_from_env(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", pg_shop.password)
    df = read(tmp_path, pg_source(pg_shop, table="orders")).sort_values("order_id")
    assert df["order_id"].tolist() == ["A1", "A2"]
    assert df["paid"].tolist() == [1299.0, 35.5] and df["qty"].tolist() == [2, 1]
    assert df["created"].iloc[0] == pd.Timestamp("2026-11-11 00:05")
    assert df["paid_at"].iloc[0] == pd.Timestamp("2026-11-10 16:06", tz="UTC")  # zoned stays zoned
    assert df["presale"].tolist() == [True, False] and df["note"].tolist()[0] == "已付款"


def test_postgres_query_and_schema_table(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", pg_shop.password)
    df = read(tmp_path, pg_source(pg_shop, query="SELECT order_id, paid * 100 AS fen FROM orders ORDER BY 1"))
    assert df.to_dict("list") == {"order_id": ["A1", "A2"], "fen": [129900.0, 3550.0]}
    df = read(tmp_path, pg_source(pg_shop, table="crm.Users"), name="users")
    assert sorted(df["user_id"]) == ["u1", "u2"]


def test_postgres_streams_in_chunks(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", pg_shop.password)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 3)
    query = "SELECT g AS n, CASE WHEN g > 4 THEN 'x' END AS late FROM generate_series(1, 10) g"
    df = read(tmp_path, pg_source(pg_shop, query=query))
    assert df["n"].tolist() == list(range(1, 11)) and df["late"].tolist()[-1] == "x"


def test_postgres_empty_result_keeps_the_columns(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", pg_shop.password)
    df = read(tmp_path, pg_source(pg_shop, query="SELECT order_id, paid FROM orders WHERE false"))
    assert list(df.columns) == ["order_id", "paid"] and len(df) == 0


def test_postgres_wrong_password_is_one_line_without_the_password(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", "wrong-Secret-123")
    text = error_of(tmp_path, pg_source(pg_shop, table="orders"))
    assert text == "orders: the database refused the login for user 'retro'; fix: check the password in $PG_PASSWORD"
    assert "wrong-Secret-123" not in text and pg_shop.password not in text


def test_postgres_missing_env_var(tmp_path, pg_shop, monkeypatch):
    monkeypatch.delenv("PG_PASSWORD", raising=False)
    text = error_of(tmp_path, pg_source(pg_shop, table="orders"))
    assert text.startswith("orders: environment variable $PG_PASSWORD is not set; fix: export PG_PASSWORD")
    assert "data.tables.orders.password_env" in text


def test_postgres_missing_table_and_bad_query(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", pg_shop.password)
    text = error_of(tmp_path, pg_source(pg_shop, table="order_lines"))
    assert text.startswith("orders: table 'order_lines' not found in the database (tables: orders)")
    text = error_of(tmp_path, pg_source(pg_shop, query="SELECT nope FROM orders"))
    assert text.startswith('orders: the database rejected the query: column "nope" does not exist')
    assert "\n" not in text


def test_postgres_unknown_database(tmp_path, pg_shop, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", pg_shop.password)
    src = {**pg_source(pg_shop, table="orders"), "url": pg_shop.url(database="nope")}
    text = error_of(tmp_path, src)
    assert text.startswith(f"orders: database 'nope' does not exist on 127.0.0.1:{pg_shop.port}")


def test_postgres_connection_refused(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PG_PASSWORD", "x")
    src = {"url": f"postgresql+psycopg2://retro@127.0.0.1:{port}/shop", "password_env": "PG_PASSWORD", "table": "t"}
    text = error_of(tmp_path, src)
    assert text.startswith(f"orders: cannot connect to the database at 127.0.0.1:{port}")


def test_sqlite_through_sqlalchemy(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute("CREATE TABLE orders (order_id TEXT, amount REAL)")
        db.execute("INSERT INTO orders VALUES ('A1', 2.5)")
    df = read(tmp_path, {"url": "sqlite:///shop.db", "table": "orders"})
    assert df.to_dict("list") == {"order_id": ["A1"], "amount": [2.5]}


def test_sqlite_missing_file_is_not_created(tmp_path):
    text = error_of(tmp_path, {"url": "sqlite:///nope.db", "table": "orders"})
    assert text.startswith("orders (nope.db): SQLite database file not found")
    assert not (tmp_path / "nope.db").exists()


def test_sql_column_changing_type_is_an_error(tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.setattr(readers, "CHUNK_ROWS", 2)
    with sqlite3.connect(tmp_path / "shop.db") as db:  # SQLite lets a column hold any type
        db.execute("CREATE TABLE orders (qty)")
        db.executemany("INSERT INTO orders VALUES (?)", [(1,), (2,), (2.5,)])
    text = error_of(tmp_path, {"url": "sqlite:///shop.db", "table": "orders"})
    assert "column 'qty' of table 'orders' changes type after row 2 (first int, then float '2.5')" in text


def test_pg_server_skips_with_a_reason_without_binaries(monkeypatch):
    import pg_server as pg

    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    with pytest.raises(pg.Unavailable, match="initdb/pg_ctl not found"):
        pg.start_server()


# --- fingerprints and the staging pipeline ------------------------------------------------------------


def test_fingerprint_follows_files_and_never_repeats_for_servers(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id\nA1\n", encoding="utf-8")
    src = {"path": "orders.csv"}
    params = make_params(tmp_path, {"orders": src})
    first = readers.source_fingerprint("orders", params.data.tables["orders"], params)
    assert readers.source_fingerprint("orders", params.data.tables["orders"], params) == first
    (tmp_path / "orders.csv").write_text("order_id\nA1\nA2\n", encoding="utf-8")
    assert readers.source_fingerprint("orders", params.data.tables["orders"], params) != first
    params = make_params(tmp_path, {"orders": {"url": "postgresql://retro@127.0.0.1/shop", "table": "orders"}})
    src = params.data.tables["orders"]
    assert readers.source_fingerprint("orders", src, params) != readers.source_fingerprint("orders", src, params)


def test_stage_gbk_orders_with_chinese_headers(tmp_path):
    text = (
        "订单号,买家,下单时间,状态,渠道,实付金额\n"
        "A1,张三,2026-11-01 10:00:00,paid,app,120.5\n"
        "A2,李四,2026-11-03 00:05:00,paid,小程序,99\n"
        "A3,张三,2026-11-04 21:00:00,cancelled,app,10\n"
    )
    (tmp_path / "订单.csv").write_bytes(text.encode("gbk"))
    columns = {
        "order_id": "订单号",
        "user_id": "买家",
        "order_time": "下单时间",
        "status": "状态",
        "channel": "渠道",
        "paid_amount": "实付金额",
    }
    params = make_params(tmp_path, {"orders": {"path": "订单.csv", "columns": columns}}, sections=["goals"])
    con = ibis.duckdb.connect()
    tables, _soft = stage_tables(con, params)
    df = tables["orders"].order_by("order_id").execute()
    assert df["order_id"].tolist() == ["A1", "A2", "A3"]
    assert df["user_id"].tolist() == ["张三", "李四", "张三"]
    assert df["channel"].tolist() == ["app", "小程序", "app"]
    assert df["paid_amount"].tolist() == [120.5, 99.0, 10.0]
    assert df["order_time"].iloc[1] == pd.Timestamp("2026-11-03 00:05")
