"""Mapping raw sources onto canonical tables: renames, value maps, parsing in the engine, problems.

Raw tables are built as text (as CSV arrives) or typed (as Parquet / Excel / databases arrive); every
expected value is computed by hand in the comments.
"""

from datetime import date, datetime

import ibis
import pandas as pd
import pytest
from retro.params import CampaignParams, TableSource
from retro.staging.mapping import to_canonical

PARAMS = CampaignParams.model_validate(
    {
        "campaign": {"id": "m", "name": "Mapping", "timezone": "Asia/Shanghai"},
        "phases": [{"name": "burst", "start": "2026-11-11", "end": "2026-11-11"}],
        "data": {"tables": {"orders": {"path": "orders.csv"}}},
    }
)

ORDER_HEADERS = {
    "order_id": "订单号",
    "user_id": "买家",
    "order_time": "下单时间",
    "status": "订单状态",
    "channel": "渠道",
    "paid_amount": "支付金额",
}


@pytest.fixture
def con():
    c = ibis.duckdb.connect()
    yield c
    c.disconnect()


def canon(con, name, df, **src):
    """(DataFrame or None, problems) of mapping ``df`` as the source of table ``name``."""
    raw = ibis.memtable(df)
    table, problems = to_canonical(con, name, raw, TableSource(path="x.csv", **src), PARAMS, "x.csv")
    return (None if table is None else table.execute()), problems


def orders_text(n=3, **overrides):
    """n text rows with Chinese headers; overrides replace whole columns (lists)."""
    cols = {
        "订单号": [f"o{i}" for i in range(n)],
        "买家": [f"u{i}" for i in range(n)],
        "下单时间": ["2026-11-11 10:00:00"] * n,
        "订单状态": ["已付款"] * n,
        "渠道": ["search"] * n,
        "支付金额": ["100"] * n,
    }
    cols.update(overrides)
    return pd.DataFrame(cols, dtype=object)


STATUS = {"已付款": "paid", "已退款": "refunded", "已取消": "cancelled"}


def by_code(problems, code):
    return [p for p in problems if p.code == code]


def test_chinese_headers_values_and_amounts(con):
    df = orders_text(
        4,
        订单状态=["已付款", "已退款", "已取消", "已付款"],
        支付金额=["¥1,299.00", "$12", "(5.50)", " 1 000 "],
    )
    out, problems = canon(con, "orders", df, columns=ORDER_HEADERS, values={"status": STATUS})
    assert problems == []
    assert list(out["status"]) == ["paid", "refunded", "cancelled", "paid"]
    # currency symbols and thousands separators dropped; accounting parentheses are negative
    assert list(out["paid_amount"]) == [1299.0, 12.0, -5.5, 1000.0]
    assert list(out["order_id"]) == ["o0", "o1", "o2", "o3"]
    assert out["pay_time"].isna().all() and out["is_presale"].isna().all()  # optional, absent: typed nulls


def test_fen_divides_money_columns_only(con):
    df = pd.DataFrame(
        {"order_id": ["a"], "sku": ["s"], "quantity": ["3"], "unit_price": ["12900"], "paid_amount": ["38700"]},
        dtype=object,
    )
    out, problems = canon(con, "order_items", df, amount_unit="fen")
    assert problems == []
    assert out.loc[0, "unit_price"] == 129.0 and out.loc[0, "paid_amount"] == 387.0
    assert out.loc[0, "quantity"] == 3  # not money


def test_naive_times_take_the_source_zone(con):
    df = orders_text(2, 下单时间=["2026-11-11 00:05", "2026-11-10T16:05:00"])
    out, _ = canon(con, "orders", df, columns=ORDER_HEADERS, values={"status": STATUS})
    # no source zone: taken as the campaign's (Asia/Shanghai), unchanged
    assert list(out["order_time"]) == [pd.Timestamp("2026-11-11 00:05"), pd.Timestamp("2026-11-10 16:05")]
    out, _ = canon(con, "orders", df, columns=ORDER_HEADERS, values={"status": STATUS}, timezone="UTC")
    # UTC source: +8 hours into campaign local time
    assert list(out["order_time"]) == [pd.Timestamp("2026-11-11 08:05"), pd.Timestamp("2026-11-11 00:05")]


def test_zoned_times_are_converted_to_the_campaign_zone(con):
    df = orders_text(3, 下单时间=["2026-11-10T16:05:00Z", "2026-11-11 00:05:00+08:00", "2026-11-10T11:05:00-05:00"])
    # the source zone applies to naive values only: zoned ones keep their own offset
    out, problems = canon(con, "orders", df, columns=ORDER_HEADERS, values={"status": STATUS}, timezone="UTC")
    assert problems == []
    assert set(out["order_time"]) == {pd.Timestamp("2026-11-11 00:05")}


def test_mixed_date_formats_in_one_column(con):
    texts = [
        "2026-11-11 09:30:00",
        "2026-11-11T09:30",
        "2026/11/11 09:30",
        "2026/11/11 09:30:00",
        "2026年11月11日 09:30",
        "11/11/2026 9:30",  # US month first
        "20261111093000",
        "1794360600",  # unix seconds: 2026-11-11 01:30 UTC = 09:30 in Shanghai
        "1794360600000",  # unix milliseconds
    ]
    out, problems = canon(
        con, "orders", orders_text(len(texts), 下单时间=texts), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    assert problems == []
    assert set(out["order_time"]) == {pd.Timestamp("2026-11-11 09:30")}


def test_explicit_time_format_and_epoch(con):
    df = orders_text(2, 下单时间=["13/11/2026 08:00", "2026-11-12 08:00"])
    out, problems = canon(
        con, "orders", df, columns=ORDER_HEADERS, values={"status": STATUS}, time_format="%d/%m/%Y %H:%M"
    )
    assert problems == []
    # day first as told; ISO still understood
    assert list(out["order_time"]) == [pd.Timestamp("2026-11-13 08:00"), pd.Timestamp("2026-11-12 08:00")]
    df = orders_text(1, 下单时间=["1794360600"])
    out, _ = canon(con, "orders", df, columns=ORDER_HEADERS, values={"status": STATUS}, time_format="epoch")
    assert out.loc[0, "order_time"] == pd.Timestamp("2026-11-11 09:30")


def test_typed_columns_pass_through(con):
    df = pd.DataFrame(
        {
            "order_id": [1001.0, 1002.0],  # ids read as numbers by Excel: no '.0'
            "user_id": [17850, 17851],
            "order_time": pd.to_datetime(["2026-11-10 16:05", "2026-11-11 01:00"]).tz_localize("UTC"),
            "status": ["paid", "Paid"],  # case folded onto the vocabulary
            "channel": ["app", "app"],
            "paid_amount": [12, 13],
            "is_presale": [True, False],
        }
    )
    out, problems = canon(con, "orders", df)
    assert problems == []
    assert list(out["order_id"]) == ["1001", "1002"] and list(out["user_id"]) == ["17850", "17851"]
    assert list(out["order_time"]) == [pd.Timestamp("2026-11-11 00:05"), pd.Timestamp("2026-11-11 09:00")]
    assert list(out["paid_amount"]) == [12.0, 13.0] and list(out["status"]) == ["paid", "paid"]
    assert list(out["is_presale"]) == [True, False]


def test_typed_epoch_and_naive_timestamps(con):
    df = pd.DataFrame(
        {
            "visitor_id": ["v1", "v2"],
            "event_time": [1794360600, 1794360600000],  # seconds, milliseconds (by magnitude)
            "channel": ["app", "app"],
            "event_type": ["view", "view"],
        }
    )
    out, problems = canon(con, "events", df)
    assert problems == []
    assert set(out["event_time"]) == {pd.Timestamp("2026-11-11 09:30")}
    df = df.assign(event_time=pd.to_datetime(["2026-11-11 01:30", "2026-11-11 01:30"]))
    out, _ = canon(con, "events", df, timezone="UTC")  # naive typed, source in UTC: +8 h
    assert set(out["event_time"]) == {pd.Timestamp("2026-11-11 09:30")}


def test_booleans_and_dates(con):
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e", "f"],
            "is_member": ["是", "否", "Y", "n", "1", "false"],
            "registered_at": ["2026-01-02", "2026/1/2", "2026年1月2日", "2026-01-02 23:00", "1/20/2026", None],
        },
        dtype=object,
    )
    out, problems = canon(con, "users", df)
    assert problems == []
    assert list(out["is_member"]) == [True, False, True, False, True, False]
    assert list(out["registered_at"].iloc[:3]) == [pd.Timestamp("2026-01-02")] * 3
    df = pd.DataFrame({"date": ["2026-11-11", "11/22/2026"], "channel": ["a", "b"], "spend": ["1", "2"]}, dtype=object)
    out, _ = canon(con, "marketing", df)
    assert [d.date() for d in pd.to_datetime(out["date"])] == [date(2026, 11, 11), date(2026, 11, 22)]
    # 11/12/2026 alone reads as 11 December or 12 November: refused, not guessed
    df = df.assign(date=["2026-11-11", "11/12/2026"])
    out, problems = canon(con, "marketing", df)
    assert out is None and [p.code for p in problems] == ["ambiguous_date_order"]


def test_unmapped_status_few_rows_dropped(con):
    statuses = ["已付款"] * 199 + ["待付款"]
    out, problems = canon(
        con, "orders", orders_text(200, 订单状态=statuses), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    assert len(out) == 199
    (p,) = problems
    assert p.code == "unmapped_value" and not p.hard and p.rows == 1 and p.examples == ["待付款"]
    assert "data.tables.orders.values.status" in p.fix and "rows dropped" in p.line()


def test_unmapped_status_many_rows_is_hard(con):
    out, problems = canon(con, "orders", orders_text(10), columns=ORDER_HEADERS)  # no values map
    assert out is None
    (p,) = problems
    assert p.hard and p.code == "unmapped_value" and p.rows == 10 and p.examples == ["已付款"]
    assert p.line() == (
        "orders.status (x.csv): 1 value(s) not in paid | cancelled | refunded | pending (100% of rows): 10 rows "
        "(e.g. '已付款'); fix: map it under data.tables.orders.values.status (e.g. '已付款': paid)"
    )


def test_other_event_types_stay(con):
    df = pd.DataFrame(
        {
            "user_id": ["u1"] * 5,
            "behavior_type": ["pv", "fav", "cart", "buy", "fav"],
            "timestamp": ["1794360600"] * 5,
        },
        dtype=object,
    )
    out, problems = canon(
        con,
        "events",
        df,
        columns={"visitor_id": "user_id", "event_type": "behavior_type", "event_time": "timestamp"},
        values={"event_type": {"pv": "view", "buy": "pay"}},
        defaults={"channel": "app"},
    )
    assert list(out["event_type"]) == ["view", "fav", "cart", "pay", "fav"]
    assert set(out["channel"]) == {"app"}
    (p,) = problems
    assert not p.hard and p.rows == 2 and p.examples == ["fav"] and "kept" in p.what


def test_parse_failures_at_most_one_percent_drop_rows(con):
    amounts = ["10"] * 199 + ["abc"]
    out, problems = canon(
        con, "orders", orders_text(200, 支付金额=amounts), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    assert len(out) == 199 and out["paid_amount"].sum() == 1990
    (p,) = problems
    assert (p.code, p.hard, p.rows, p.examples) == ("parse_number", False, 1, ["abc"])
    assert "rows dropped" in p.what


def test_parse_failures_above_one_percent_are_hard(con):
    # GBK bytes read as UTF-8 turn amounts into mojibake: 3 of 10 values do not parse
    times = ["2026-11-11 10:00"] * 7 + ["2026-11-32 10:00", "yesterday", "yesterday"]
    out, problems = canon(
        con, "orders", orders_text(10, 下单时间=times), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    assert out is None
    (p,) = problems
    assert p.hard and p.code == "parse_time" and p.rows == 3
    assert p.examples == ["yesterday", "2026-11-32 10:00"]  # most frequent first
    assert "30% of its values" in p.what and "time_format" in p.fix


def test_optional_column_failure_left_empty(con):
    df = orders_text(3).assign(优惠=["5", "n/a", None])
    out, problems = canon(
        con, "orders", df, columns={**ORDER_HEADERS, "discount_amount": "优惠"}, values={"status": STATUS}
    )
    assert len(out) == 3 and out["discount_amount"].tolist()[0] == 5.0 and out["discount_amount"].isna().sum() == 2
    (p,) = problems
    assert not p.hard and p.code == "parse_number" and p.rows == 1 and "left empty" in p.what


def test_all_null_columns(con):
    df = orders_text(3).assign(省份=[None, " ", ""])
    out, problems = canon(con, "orders", df, columns={**ORDER_HEADERS, "province": "省份"}, values={"status": STATUS})
    (p,) = problems
    assert out is not None and p.code == "all_null" and not p.hard
    out, problems = canon(
        con, "orders", orders_text(3, 渠道=[None, None, None]), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    (p,) = problems
    assert out is None and p.code == "all_null" and p.hard


def test_required_empty_values_drop_rows(con):
    out, problems = canon(
        con, "orders", orders_text(3, 渠道=["search", "", None]), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    assert list(out["order_id"]) == ["o0"]
    (p,) = problems
    assert p.code == "null_required" and p.rows == 2 and not p.hard


def test_an_order_without_a_customer_is_a_guest_order(con):
    """A guest checkout has no buyer id: the order stays (it is the campaign's sales), and the appendix says so."""
    out, problems = canon(
        con, "orders", orders_text(3, 买家=["u1", "", None]), columns=ORDER_HEADERS, values={"status": STATUS}
    )
    assert list(out["order_id"]) == ["o0", "o1", "o2"] and out["user_id"].isna().sum() == 2
    (p,) = problems
    assert p.code == "guest_rows" and p.rows == 2 and not p.hard and "guest" in p.what


def test_missing_required_column_names_headers(con):
    df = orders_text(2).drop(columns=["支付金额"])
    out, problems = canon(
        con,
        "orders",
        df,
        columns={k: v for k, v in ORDER_HEADERS.items() if k != "paid_amount"},
        values={"status": STATUS},
    )
    assert out is None
    (p,) = problems
    assert p.hard and p.code == "missing_column" and p.column == "paid_amount"
    assert "data.tables.orders.columns" in p.fix and "'订单号'" in p.fix and "'渠道'" in p.fix


def test_mapped_header_not_in_source(con):
    out, problems = canon(
        con, "orders", orders_text(2), columns={**ORDER_HEADERS, "paid_amount": "实付"}, values={"status": STATUS}
    )
    (p,) = problems
    assert out is None and p.hard and "'实付'" in p.what and "'支付金额'" in p.fix


def test_defaults_and_unknown_keys(con):
    df = orders_text(2, 渠道=["live", None])
    out, problems = canon(
        con,
        "orders",
        df,
        columns=ORDER_HEADERS,
        values={"status": STATUS},
        defaults={"channel": "other", "is_presale": False},
    )
    assert problems == [] and list(out["channel"]) == ["live", "other"] and list(out["is_presale"]) == [False] * 2
    out, problems = canon(con, "orders", orders_text(2), columns={**ORDER_HEADERS, "paid_amout": "x"})
    assert out is None and any("did you mean 'paid_amount'" in p.what for p in problems)


def test_headers_match_ignoring_case_and_blanks(con):
    df = pd.DataFrame(
        {
            " Order_ID ": ["a"],
            "USER_ID": ["u"],
            "Order_Time": ["2026-11-11"],
            "status": ["paid"],
            "channel": ["x"],
            "paid_amount": ["1"],
        },
        dtype=object,
    )
    out, problems = canon(con, "orders", df)
    assert problems == [] and out.loc[0, "order_time"] == datetime(2026, 11, 11)
