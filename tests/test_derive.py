"""Derived tables: orders, items, products, users and shipments from order lines; sessions and order steps
from event logs. Every expected number is computed by hand in the comments."""

import ibis
import pandas as pd
import pytest
from retro.params import CampaignParams
from retro.staging.checks import is_exclusion
from retro.staging.derive import derive_tables, sessionize
from retro.staging.mapping import to_canonical
from retro.staging.plan import derivable, sources_of


def make_params(tables: dict, **settings) -> CampaignParams:
    return CampaignParams.model_validate(
        {
            "campaign": {"id": "d", "name": "Derive", "timezone": "Europe/London"},
            "phases": [{"name": "burst", "start": "2026-11-27", "end": "2026-11-30"}],
            "data": {"tables": tables},
            "settings": settings,
        }
    )


@pytest.fixture
def con():
    c = ibis.duckdb.connect()
    yield c
    c.disconnect()


def stage(con, params, frames: dict):
    """Map each frame as its table's source, then derive; returns (DataFrames by table, problems)."""
    tables, problems = {}, []
    for name, df in frames.items():
        t, found = to_canonical(con, name, ibis.memtable(df), params.data.tables[name], params, f"{name}.csv")
        assert t is not None, [p.line() for p in found]
        problems += found
        tables[name] = con.create_table(name, t, temp=True, overwrite=True)
    tables, found = derive_tables(con, tables, params)
    return {k: v.execute() for k, v in tables.items()}, problems + found


RETAIL = {
    "path": "retail.csv",
    "columns": {
        "order_id": "InvoiceNo",
        "sku": "StockCode",
        "name": "Description",
        "quantity": "Quantity",
        "order_time": "InvoiceDate",
        "unit_price": "UnitPrice",
        "user_id": "CustomerID",
        "province": "Country",
    },
    "time_format": "%m/%d/%Y %H:%M",
    "status_rule": "invoice_prefix",
    "defaults": {"channel": "online"},
}


def retail_lines():
    rows = [
        # invoice, sku, description, qty, date, price, customer, country
        ("536365", "85123A", "HEART HOLDER", "6", "11/27/2026 8:26", "2.55", "17850", "France"),
        ("536365", "POST", "POSTAGE", "1", "11/27/2026 8:26", "18", "17850", "France"),
        ("C536379", "85123A", "HEART HOLDER", "-2", "11/28/2026 9:00", "2.55", "17850", "France"),
        ("536380", "22633", "HAND WARMER", "3", "11/29/2026 10:00", "1.85", "", "United Kingdom"),
        ("536381", "22633", "HAND WARMER", "4", "11/29/2026 11:00", "1.85", "13047", "United Kingdom"),
        ("536381", "22633", "HAND WARMER", "-1", "11/29/2026 11:00", "1.85", "13047", "United Kingdom"),
        ("536390", "22633", "HAND WARMER", "2", "11/30/2026 11:00", "2.10", "17850", "Germany"),
    ]
    cols = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def one(df, **where):
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    assert mask.sum() == 1, where
    return df[mask].iloc[0]


def test_a_credit_note_before_the_campaign_cannot_overstate_its_net_sales(con):
    """The caveat names the credit notes dated from the campaign's first day on, not those of the whole file."""
    lines = retail_lines()
    lines.loc[lines.InvoiceNo == "C536379", "InvoiceDate"] = "11/20/2026 9:00"  # a week before the campaign
    _, problems = stage(con, make_params({"order_lines": RETAIL}), {"order_lines": lines})
    (status,) = [p for p in problems if p.code == "credit_notes"]
    assert "worth 5.10" in status.what and "overstated by up to 0.00" in status.what


def test_a_products_name_is_its_most_frequent_description(con):
    """Stock notes ("damaged", "?") beside the real name do not win because they sort last; ties go to the latest."""
    rows = [
        ("1", "A1", "HEART HOLDER", "1", "11/27/2026 8:00"),
        ("2", "A1", "HEART HOLDER", "1", "11/27/2026 9:00"),
        ("3", "A1", "wet damaged", "1", "11/28/2026 9:00"),  # later, but once: not the name
        ("4", "B2", "OLD NAME", "1", "11/27/2026 9:00"),
        ("5", "B2", "NEW NAME", "1", "11/29/2026 9:00"),  # one line each: the latest wins
        ("6", "C3", "", "1", "11/29/2026 9:00"),
        ("7", "C3", "MUG", "1", "11/28/2026 9:00"),  # an empty description is no name
    ]
    lines = pd.DataFrame(
        [(inv, sku, name, qty, when, "1.00", "17850", "France") for inv, sku, name, qty, when in rows],
        columns=[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ],
        dtype=object,
    )
    t, _ = stage(con, make_params({"order_lines": RETAIL}), {"order_lines": lines})
    names = t["products"].set_index("sku")["name"].to_dict()
    assert names == {"A1": "HEART HOLDER", "B2": "NEW NAME", "C3": "MUG"}


def test_derivable_tables():
    p = make_params({"order_lines": RETAIL})
    assert derivable({"order_lines"}, p) == {"orders", "order_items", "products", "users"}
    assert derivable({"order_lines", "products"}, p) == {"orders", "order_items", "users"}
    ship = make_params({"order_lines": {**RETAIL, "columns": {**RETAIL["columns"], "shipped_time": "Ship Date"}}})
    assert "shipments" in derivable({"order_lines"}, ship)
    assert derivable({"orders", "events"}, p) == {"users"}  # from first orders when no users table is given
    assert derivable({"orders", "users"}, p) == set()


def test_sources_of_a_staged_table():
    """What a mart's cache key covers when it reads a table: the sources that table is made from."""
    p = make_params({"order_lines": RETAIL})
    assert sources_of("orders", {"order_lines", "events"}, p) == {"order_lines"}
    assert sources_of("users", {"orders", "events"}, p) == {"orders"}
    assert sources_of("users", {"orders", "users"}, p) == {"users"}
    assert sources_of("events", {"orders", "events"}, p) == {"events"}
    assert sources_of("shipments", {"order_lines"}, p) is None  # the lines carry no ship date here


def test_online_retail_orders(con):
    p = make_params({"order_lines": RETAIL})
    t, problems = stage(con, p, {"order_lines": retail_lines()})
    assert set(t) == {"orders", "order_items", "products", "users"}
    o = t["orders"]
    first = one(o, order_id="536365")
    # 6 x 2.55 + 1 x 18 = 33.30, paid when placed (no pay time in the export)
    assert first["paid_amount"] == pytest.approx(33.30) and first["list_amount"] == pytest.approx(33.30)
    assert first["status"] == "paid" and first["pay_time"] == first["order_time"] == pd.Timestamp("2026-11-27 08:26")
    assert first["channel"] == "online" and first["province"] == "France" and first["user_id"] == "17850"
    # the 'C' invoice is a credit note (2 x 2.55 = 5.10) reversing an invoice the export does not name:
    # left out, so it is neither an order of its own nor counted in GMV a second time
    assert "C536379" not in set(o["order_id"])
    # guest invoice: no user; the return line nets inside its order: (4 - 1) x 1.85 = 5.55
    assert pd.isna(one(o, order_id="536380")["user_id"])
    assert one(o, order_id="536381")["paid_amount"] == pytest.approx(5.55)
    assert len(o) == 4

    items = t["order_items"]
    assert "C536379" not in set(items["order_id"])
    assert sorted(items[items.order_id == "536381"]["quantity"]) == [-1, 4]
    assert items["paid_amount"].sum() == pytest.approx(33.30 + 5.55 + 5.55 + 4.20)

    prods = t["products"]
    assert not one(prods, sku="POST")["is_merchandise"] and one(prods, sku="22633")["is_merchandise"]
    assert one(prods, sku="22633")["list_price"] == pytest.approx(2.10)  # the highest price seen
    assert set(prods["category"]) == {"(unknown)"}

    users = t["users"].set_index("user_id")
    assert set(users.index) == {"17850", "13047"}
    assert users.loc["17850", "province"] == "France"  # from the first order, not the later German one

    derived = {(p.table, p.column): p for p in problems if p.code == "derived"}
    assert all(not p.hard for p in problems)
    assert derived[("orders", None)].rows == 4
    (status,) = [p for p in problems if p.code == "credit_notes"]  # left out: the appendix counts it as excluded
    assert status.rows == 1 and "credit notes" in status.what and "overstated by up to 5.10" in status.what
    assert is_exclusion(status) and not any(is_exclusion(p) for p in derived.values())
    assert derived[("orders", "user_id")].rows == 1 and "5.55" in derived[("orders", "user_id")].what
    assert derived[("order_items", "quantity")].rows == 1  # the return line kept in 536381
    assert derived[("products", "is_merchandise")].examples == ["POST"]
    assert derived[("users", None)].rows == 2


def test_negative_quantity_rule_and_custom_non_merchandise(con):
    src = {**RETAIL, "status_rule": "negative_quantity", "non_merchandise": ["22633"]}
    t, _ = stage(con, make_params({"order_lines": src}), {"order_lines": retail_lines()})
    o = t["orders"].set_index("order_id")
    assert "C536379" not in o.index  # all its lines are negative: a credit note, left out
    assert o.loc["536381", "status"] == "paid"  # one negative line among positive ones
    prods = t["products"].set_index("sku")
    assert not prods.loc["22633", "is_merchandise"] and prods.loc["POST", "is_merchandise"]


def test_status_column_per_order(con):
    src = {
        "path": "lines.csv",
        "columns": {"paid_amount": "amount"},
        "values": {"status": {"已付款": "paid", "已退款": "refunded", "已取消": "cancelled"}},
    }
    df = pd.DataFrame(
        {
            "order_id": ["a", "a", "b", "b", "c"],
            "order_time": ["2026-11-28 10:00"] * 5,
            "sku": ["x", "y", "x", "y", "x"],
            "quantity": ["1"] * 5,
            "amount": ["10", "20", "10", "20", "7"],
            "status": ["已付款", "已退款", "已退款", "已取消", None],
            "channel": ["app"] * 5,
        },
        dtype=object,
    )
    t, _ = stage(con, make_params({"order_lines": src}), {"order_lines": df})
    o = t["orders"].set_index("order_id")
    # a: any paid line -> paid; b: refunded before cancelled; c: no status -> paid
    assert list(o.loc[["a", "b", "c"], "status"]) == ["paid", "refunded", "paid"]
    assert o.loc["a", "paid_amount"] == 30 and o.loc["b", "pay_time"] == pd.Timestamp("2026-11-28 10:00")
    # neither unit price nor discount: list amount unknown, the line's unit price is what was paid per unit
    assert pd.isna(o.loc["a", "list_amount"]) and pd.isna(o.loc["a", "discount_amount"])
    assert one(t["order_items"], order_id="a", sku="y")["unit_price"] == 20


def test_superstore_shape(con):
    src = {
        "path": "superstore.xlsx",
        "columns": {
            "order_id": "Order ID",
            "order_time": "Order Date",
            "shipped_time": "Ship Date",
            "carrier": "Ship Mode",
            "user_id": "Customer ID",
            "region": "Region",
            "sku": "Product ID",
            "category": "Sub-Category",
            "paid_amount": "Sales",
            "quantity": "Quantity",
            "discount_rate": "Discount",
            "profit": "Profit",
            "channel": "Segment",
        },
    }
    df = pd.DataFrame(
        {
            "Order ID": ["CA-1", "CA-1", "CA-2"],
            "Order Date": pd.to_datetime(["2026-11-27", "2026-11-27", "2026-11-28"]),
            "Ship Date": pd.to_datetime(["2026-11-30", "2026-11-30", "2026-11-28"]),
            "Ship Mode": ["Standard Class", "Standard Class", "Same Day"],
            "Customer ID": ["CG-12520", "CG-12520", "DV-13045"],
            "Region": ["South", "South", "West"],
            "Product ID": ["FUR-BO-1", "OFF-LA-2", "FUR-BO-1"],
            "Sub-Category": ["Bookcases", "Labels", "Bookcases"],
            "Sales": [160.0, 14.62, 80.0],
            "Quantity": [2, 2, 1],
            "Discount": [0.2, 0.0, 0.2],
            "Profit": [20.0, 6.87, 10.0],
            "Segment": ["Consumer", "Consumer", "Corporate"],
        }
    )
    t, problems = stage(con, make_params({"order_lines": src}), {"order_lines": df})
    assert set(t) == {"orders", "order_items", "products", "users", "shipments"}
    o = t["orders"].set_index("order_id")
    # list amount: 160 / (1 - 0.2) + 14.62 = 214.62; discount 214.62 - 174.62 = 40
    assert o.loc["CA-1", "paid_amount"] == pytest.approx(174.62)
    assert o.loc["CA-1", "list_amount"] == pytest.approx(214.62)
    assert o.loc["CA-1", "discount_amount"] == pytest.approx(40.0)
    items = t["order_items"]
    book = one(items, order_id="CA-1", sku="FUR-BO-1")
    # unit price 200 / 2 = 100 (list); unit cost (160 - 20) / 2 = 70
    assert book["unit_price"] == pytest.approx(100.0) and book["unit_cost"] == pytest.approx(70.0)
    prods = t["products"].set_index("sku")
    # unit cost weighted by units: (70 x 2 + 70 x 1) / 3 = 70
    assert prods.loc["FUR-BO-1", "unit_cost"] == pytest.approx(70.0)
    assert prods.loc["OFF-LA-2", "category"] == "Labels"
    ship = t["shipments"].set_index("order_id")
    assert ship.loc["CA-1", "shipped_time"] == pd.Timestamp("2026-11-30") and ship.loc["CA-2", "carrier"] == "Same Day"
    assert ship["promised_hours"].isna().all()
    assert any(p.table == "shipments" and p.code == "derived" for p in problems)


def test_lines_without_any_amount_are_hard(con):
    src = {"path": "lines.csv"}
    df = pd.DataFrame(
        {"order_id": ["a"], "order_time": ["2026-11-28 10:00"], "sku": ["x"], "quantity": ["1"]}, dtype=object
    )
    t, problems = stage(con, make_params({"order_lines": src}), {"order_lines": df})
    (hard,) = [p for p in problems if p.hard]
    assert hard.table == "order_lines" and "paid_amount or unit_price" in hard.fix
    assert "orders" not in t


EVENTS = {"path": "events.csv", "defaults": {"channel": "app"}}


def events_frame(rows):
    return pd.DataFrame(rows, columns=["visitor_id", "event_time", "event_type"], dtype=object)


def test_sessions_by_inactivity(con):
    rows = [
        ("v1", "2026-11-28 10:00", "view"),
        ("v1", "2026-11-28 10:20", "view"),  # 20 min later: same session
        ("v1", "2026-11-28 11:00", "view"),  # 40 min later: a new session
        ("v1", "2026-11-28 11:00", "cart"),  # same instant: same session
        ("v2", "2026-11-28 10:10", "view"),
    ]
    t, problems = stage(con, make_params({"events": EVENTS}), {"events": events_frame(rows)})
    e = t["events"].sort_values(["visitor_id", "event_time", "event_type"])
    assert list(e["session_id"]) == ["~v1|1", "~v1|1", "~v1|2", "~v1|2", "~v2|1"]
    (p,) = [p for p in problems if p.code == "derived"]
    assert p.column == "session_id" and p.rows == 5 and "3 sessions" in p.what
    # a 60-minute rule joins them
    t, _ = stage(con, make_params({"events": EVENTS}, session_gap_minutes=60), {"events": events_frame(rows)})
    assert t["events"]["session_id"].nunique() == 2


def test_existing_session_ids_are_kept(con):
    e = ibis.memtable(
        pd.DataFrame(
            {
                "visitor_id": ["v1", "v1"],
                "event_time": pd.to_datetime(["2026-11-28 10:00", "2026-11-28 12:00"]),
                "session_id": ["s9", None],
            }
        )
    )
    out = con.execute(sessionize(e, 30)).sort_values("event_time")
    assert list(out["session_id"]) == ["s9", "~v1|2"]


def test_pay_without_order_gets_an_order_step(con):
    src = {**EVENTS, "values": {"event_type": {"pv": "view", "buy": "pay"}}}
    rows = [("v1", "2026-11-28 10:00", "pv"), ("v1", "2026-11-28 10:05", "buy"), ("v2", "2026-11-28 10:00", "fav")]
    t, problems = stage(con, make_params({"events": src}), {"events": events_frame(rows)})
    e = t["events"]
    orders = e[e.event_type == "order"]
    assert len(e) == 4 and len(orders) == 1 and orders.iloc[0]["event_time"] == pd.Timestamp("2026-11-28 10:05")
    assert list(orders["session_id"]) == list(e[e.event_type == "pay"]["session_id"])
    step = [p for p in problems if p.code == "derived" and p.column == "event_type"]
    assert len(step) == 1 and step[0].rows == 1 and not step[0].hard


def test_logs_with_order_events_are_left_alone(con):
    rows = [("v1", "2026-11-28 10:00", "view"), ("v1", "2026-11-28 10:05", "order"), ("v1", "2026-11-28 10:06", "pay")]
    df = events_frame(rows).assign(session_id=["s1"] * 3)
    t, problems = stage(con, make_params({"events": EVENTS}), {"events": df})
    assert len(t["events"]) == 3 and set(t["events"]["session_id"]) == {"s1"}
    assert [p for p in problems if p.code == "derived"] == []
