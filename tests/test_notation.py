"""How a text column writes numbers and dates, read from its values (retro.staging.notation)."""

from __future__ import annotations

import duckdb
import ibis
import pytest
from retro.staging.engines import DuckDBSql
from retro.staging.notation import Column, number_text, read_notation

SQL = DuckDBSql()


def _number(text: str, decimal: str):
    return duckdb.sql(f"SELECT TRY_CAST({number_text(SQL, SQL.lit(text), decimal)} AS DOUBLE)").fetchone()[0]


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [
        ("¥1,299.00", ".", 1299.0),
        ("1,234,567.5", ".", 1234567.5),
        ("(12.50)", ".", -12.5),
        ("120,00", ",", 120.0),
        ("1.320,00", ",", 1320.0),
        ("1.234.567", ",", 1234567.0),
        ("€ 1 299,5", ",", 1299.5),
        ("-7,25", ",", -7.25),
        ("1e3", ".", 1000.0),
    ],
)
def test_numbers_are_read_by_their_decimal_separator(text, decimal, value):
    assert _number(text, decimal) == value


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("NaN", "."),
        ("inf", "."),
        ("-Infinity", ","),
        ("1,2,3", "."),  # not a grouping: commas every three digits only
        ("1,320.50", ","),  # a point inside a decimal-comma column
        ("12.5.3", ","),
        ("abc", "."),
    ],
)
def test_what_is_not_written_as_a_number_is_null(text, decimal):
    assert _number(text, decimal) is None


def _read(values: list[list[str | None]], columns: dict[str, Column]):
    con = ibis.duckdb.connect()
    names = list(columns)
    rows = ", ".join("(" + ", ".join("NULL" if v is None else SQL.lit(v) for v in row) + ")" for row in values)
    relation = f"(VALUES {rows}) AS r({', '.join(names)})"
    return read_notation(con, SQL, relation, columns, "orders", "orders.csv")


def test_a_decimal_comma_anywhere_decides_the_column():
    found, problems = _read([["1.320"], ["120,00"], ["5"]], {"v0": Column("paid_amount", "number", money=True)})
    assert found == {"v0": ","} and problems == []


def test_both_marks_as_decimals_are_refused_with_counts_and_examples():
    found, problems = _read([["1,320.50"], ["120,00"], ["80,00"]], {"v0": Column("paid_amount", "number")})
    assert found == {}
    (p,) = problems
    assert p.hard and p.code == "mixed_decimal" and p.rows == 3
    assert set(p.examples) == {"1,320.50", "120,00"} or set(p.examples) == {"1,320.50", "80,00"}
    assert "data.tables.orders.decimal" in p.fix


def test_undecided_amounts_are_refused_but_counts_read_the_mark_as_grouping():
    found, problems = _read([["1,320"], ["980"]], {"v0": Column("paid_amount", "number", money=True)})
    assert found == {} and [p.code for p in problems] == ["ambiguous_decimal"]
    assert "1320 or 1.32" in problems[0].what
    found, problems = _read([["1.200"], ["7"]], {"v0": Column("quantity", "number", whole=True)})
    assert found == {"v0": ","} and problems == []  # 1.200 items is 1200 (a German export)


def test_an_undecided_column_takes_what_the_other_columns_of_its_table_say():
    columns = {"v0": Column("paid_amount", "number"), "v1": Column("list_amount", "number")}
    found, problems = _read([["1,320", "1.500,50"], ["980", "99,90"]], columns)
    assert found == {"v0": ",", "v1": ","} and problems == []


@pytest.mark.parametrize(
    ("values", "found", "code"),
    [
        (["15/11/2026 10:00", "05/11/2026 09:00"], "dmy", None),
        (["11/15/2026 10:00", "11/05/2026 09:00"], "mdy", None),
        (["15.11.2026", "05.11.2026"], "dmy", None),
        (["05/11/2026 09:00", "06/11/2026"], None, "ambiguous_date_order"),
        (["11/11/2026", "2026-11-12"], None, None),  # reads the same both ways: nothing to decide
        (["15/11/2026", "11/15/2026"], None, "mixed_date_order"),
    ],
)
def test_day_order_is_read_from_days_above_twelve(values, found, code):
    got, problems = _read([[v] for v in values], {"v0": Column("order_time", "date")})
    assert got.get("v0") == found
    assert [p.code for p in problems] == ([code] if code else [])
