"""The demo generator: schema, determinism, cross-table consistency and the shapes the report relies on."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from retro.params import load_params
from retro.schema import TABLES
from retro.staging.demo import ARROW_TYPES, NOT_EXPORTED, generate_demo

ROOT = Path(__file__).resolve().parents[1]
C0, C1 = "timestamp '2026-11-04'", "timestamp '2026-11-19'"  # campaign window of the demo YAML
B0, B1 = "timestamp '2026-10-14'", "timestamp '2026-10-28'"  # baseline
IN_CAMPAIGN = f"order_time >= {C0} and order_time < {C1}"
IN_BASELINE = f"order_time >= {B0} and order_time < {B1}"
LATE = "(delivered_time > o.pay_time + to_hours(promised_hours::bigint))::int"


@pytest.fixture(scope="module")
def params():
    return load_params(ROOT / "params" / "demo_double11.yaml")


@pytest.fixture(scope="module")
def demo(params, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "small-seed42"
    written = generate_demo(params, out, size="small", seed=42)
    return out, written


@pytest.fixture(scope="module")
def db(demo):
    out, _ = demo
    con = duckdb.connect()
    for name in TABLES:
        con.execute(f"create view {name} as select * from read_parquet('{out / name}/*.parquet')")
    return con


def one(db, sql):
    return db.execute(sql).fetchone()[0]


def rows(db, sql) -> dict:
    return dict(db.execute(sql).fetchall())


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.parquet"))}


# --- layout and schema -------------------------------------------------------------------------------------


def test_every_table_has_a_folder_and_the_schema_columns_and_types(demo):
    out, written = demo
    assert set(written) == set(TABLES)
    for name, table in TABLES.items():
        assert written[name] == out / name
        assert (out / name / "part-00000.parquet").is_file()
        schema = pq.read_schema(out / name / "part-00000.parquet")
        columns = [c for c in table.source_columns if c.name not in NOT_EXPORTED.get(name, ())]
        assert schema.names == [c.name for c in columns], name
        for col in columns:
            assert schema.field(col.name).type == ARROW_TYPES[col.type], (name, col.name)
    assert ARROW_TYPES["timestamp"] == pa.timestamp("us")


def test_retro_check_on_the_demo_warns_of_nothing_in_its_own_data(demo, tmp_path):
    """The shipped demo is what a user tries first: only notes (rows outside the window), never a warning."""
    import yaml
    from click.testing import CliRunner
    from retro.cli import main

    out, _ = demo
    doc = yaml.safe_load((ROOT / "params" / "demo_double11.yaml").read_text(encoding="utf-8"))
    doc.pop("compare", None)
    doc["data"] = {"tables": {name: {"path": str(out / name / "*.parquet")} for name in TABLES}}
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(path)])
    assert r.exit_code == 0, r.output
    assert [line for line in r.output.splitlines() if line.startswith("warning:")] == []
    assert (
        r.output.strip()
        .splitlines()[-1]
        .endswith("sections with data: " + ", ".join(load_params(path).enabled_sections))
    )


def test_demo_json_counts_rows_and_no_temporary_folder_is_left(demo, db):
    out, _ = demo
    info = json.loads((out / "_demo.json").read_text(encoding="utf-8"))
    assert info["size"] == "small" and info["seed"] == 42 and info["seconds"] >= 0
    for name in TABLES:
        assert info["rows"][name] == one(db, f"select count(*) from {name}"), name
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_small_sizes(db):
    assert 10_000 <= one(db, f"select count(*) from orders where {IN_CAMPAIGN}") <= 12_000
    assert 300_000 <= one(db, "select count(*) from events") <= 500_000
    assert one(db, "select count(*) from products") == 200


# --- determinism -------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_files_and_another_seed_differs(params, demo, tmp_path):
    out, _ = demo
    again = tmp_path / "again"
    generate_demo(params, again, size="small", seed=42)
    assert files_of(again) == files_of(out)
    other = tmp_path / "other"
    generate_demo(params, other, size="small", seed=7)
    part = Path("orders") / "part-00000.parquet"
    assert (other / part).read_bytes() != (out / part).read_bytes()


def test_regenerating_replaces_the_folder_and_bad_arguments_fail(params, tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    generate_demo(params, out, size="small", seed=1)
    assert not (out / "stale.txt").exists() and (out / "_demo.json").is_file()
    with pytest.raises(ValueError, match="size"):
        generate_demo(params, tmp_path / "x", size="huge")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


# --- consistency between tables ----------------------------------------------------------------------------


def test_ids_values_and_amounts(db):
    assert one(db, "select count(*) - count(distinct order_id) from orders") == 0
    assert one(db, "select count(*) from orders where not regexp_full_match(order_id, 'O[0-9]{8}')") == 0
    assert one(db, "select count(*) from users where not regexp_full_match(user_id, 'U[0-9]{7}')") == 0
    assert one(db, "select count(*) from orders anti join users using (user_id)") == 0
    assert (
        one(
            db,
            """select count(*) from users u where registered_at > least(
        (select min(order_time) from orders o where o.user_id = u.user_id),
        (select min(event_time) from events e where e.user_id = u.user_id))""",
        )
        == 0
    )
    statuses = one(db, "select list(distinct status order by status) from orders")
    assert statuses == ["cancelled", "paid", "refunded"]
    assert one(db, "select list(distinct channel order by channel) from orders") == [
        "live",
        "offsite",
        "other",
        "private",
        "search",
    ]
    assert (
        one(
            db,
            """select count(*) from orders
                      where abs(list_amount - discount_amount - paid_amount) > 0.001""",
        )
        == 0
    )
    assert one(db, "select count(*) from orders where pay_time < order_time") == 0
    assert 0.85 <= one(db, "select avg((pay_time is null)::int) from orders where status = 'cancelled'") < 1


def test_order_lines_add_up_to_the_order_paid_amount(db):
    assert (
        one(
            db,
            """
        select count(*) from orders o
        join (select order_id, round(sum(paid_amount), 2) lines from order_items group by 1) i
        using (order_id)
        where abs(i.lines - o.paid_amount) > 0.001""",
        )
        == 0
    )
    assert one(db, "select count(*) from orders anti join order_items using (order_id)") == 0
    assert (
        one(
            db,
            """select count(*) from order_items i join products p using (sku)
                      where i.unit_price != p.list_price or i.unit_cost != p.unit_cost""",
        )
        == 0
    )


def test_every_order_in_the_windows_has_order_and_pay_events_by_its_buyer(db):
    windows = f"(({IN_CAMPAIGN}) or ({IN_BASELINE}))"
    assert (
        one(
            db,
            f"""
        select count(*) from orders o where {windows} and not exists (
            select 1 from events e where e.visitor_id = o.user_id and e.event_time = o.order_time
            and e.event_type = 'order' and e.channel = o.channel)""",
        )
        == 0
    )
    assert (
        one(
            db,
            f"""
        select count(*) from orders o where {windows} and pay_time is not null and not exists (
            select 1 from events e where e.visitor_id = o.user_id and e.event_time = o.pay_time
            and e.event_type = 'pay')""",
        )
        == 0
    )
    # each ordered SKU was viewed and added to the cart earlier in the session of the order
    for step in ("view", "cart"):
        assert (
            one(
                db,
                f"""
            with s as (select visitor_id, event_time, session_id from events where event_type = 'order')
            select count(*) from orders o join order_items i using (order_id) join products p using (sku)
            join s on s.visitor_id = o.user_id and s.event_time = o.order_time
            where {IN_CAMPAIGN} and p.is_merchandise and not exists (
                select 1 from events e where e.session_id = s.session_id and e.sku = i.sku
                and e.event_type = '{step}' and e.event_time <= o.order_time)""",
            )
            == 0
        ), step


def test_events_stay_in_the_windows_and_sessions_follow_the_30_minute_rule(db):
    assert (
        one(
            db,
            f"""select count(*) from events where not ((event_time >= {C0} and event_time < {C1})
                       or (event_time >= {B0} and event_time < {B1}))""",
        )
        == 0
    )
    visitors = "select max(n) from (select count(distinct visitor_id) n from events group by session_id)"
    assert one(db, visitors) == 1
    inside, between = db.execute("""
        select max(gap) filter (where same), min(gap) filter (where not same)
        from (select session_id = lag(session_id) over w same,
                     epoch(event_time) - epoch(lag(event_time) over w) gap
              from events
              window w as (partition by visitor_id order by event_time, session_id))""").fetchone()
    assert inside <= 1800 < between
    assert one(db, "select count(*) from events where (dwell_seconds is null) != (event_type != 'view')") == 0
    assert one(db, "select count(*) from events where (user_id is null) != starts_with(visitor_id, 'V')") == 0


def test_coupon_redemptions_match_campaign_orders(db):
    assert one(db, "select count(*) from coupons") == 8
    assert (
        one(
            db,
            f"""select count(*) from coupons c where redeemed != (
                       select count(*) from orders o
                       where o.coupon_id = c.coupon_id and {IN_CAMPAIGN})""",
        )
        == 0
    )
    assert one(db, f"select count(*) from orders where coupon_id is not null and not ({IN_CAMPAIGN})") == 0
    assert one(db, "select min(issued / redeemed) from coupons") >= 5
    share = one(db, f"select avg((coupon_id is not null)::int) from orders where {IN_CAMPAIGN}")
    assert 0.35 <= share <= 0.45


def test_inventory_never_negative_and_the_top_sku_sells_out_on_burst_day_2(demo, db):
    out, _ = demo
    story = json.loads((out / "_demo.json").read_text(encoding="utf-8"))["story"]
    sku = story["top_sku_sold_out"]
    assert one(db, "select min(stock_on_hand) from inventory") >= 0
    assert one(db, "select count(distinct sku) from inventory") == one(
        db, "select count(*) from products where is_merchandise"
    )
    first_zero, back = db.execute(f"""
        select min(snapshot_time) filter (where stock_on_hand = 0),
               min(snapshot_time) filter (where replenished > 0)
        from inventory where sku = '{sku}'""").fetchone()
    assert str(first_zero.date()) == "2026-11-12" and 6 <= first_zero.hour <= 10  # burst day 2, mid-morning
    assert str(first_zero).replace(" ", "T") == story["sellouts"][0]["sold_out_at"]
    assert (back - first_zero).total_seconds() > 24 * 3600
    top5 = [
        r[0]
        for r in db.execute(f"""
        select sku from order_items i join orders using (order_id) where {IN_CAMPAIGN} and status = 'paid'
        group by 1 order by sum(i.paid_amount) desc limit 5""").fetchall()
    ]
    assert sku in top5
    assert (
        one(
            db,
            f"""
        select count(*) from order_items join orders using (order_id) where sku = '{sku}'
        and ((order_time >= '{first_zero}' and order_time < '{back}')
             or (pay_time >= '{first_zero}' and pay_time < '{back}'))""",
        )
        == 0
    )
    # stock moves exactly with the units of paid and refunded orders, by hour of payment
    assert (
        one(
            db,
            f"""
        with sold as (
            select sku, date_trunc('hour', pay_time) + interval 1 hour t, sum(quantity) units
            from order_items join orders using (order_id)
            where status != 'cancelled' and pay_time >= {C0} and pay_time < {C1} group by all),
        inv as (
            select sku, snapshot_time t, stock_on_hand, replenished,
                   lag(stock_on_hand) over (partition by sku order by snapshot_time) prev from inventory)
        select count(*) from inv left join sold using (sku, t)
        where prev is not null and stock_on_hand != prev + replenished - coalesce(units, 0)""",
        )
        == 0
    )
    new_sold_out = one(
        db,
        """select count(distinct sku) from inventory join products using (sku)
                              where stock_on_hand = 0 and launch_date >= date '2026-10-05'""",
    )
    assert 2 <= new_sold_out <= 4


def test_shipments_are_for_paid_or_refunded_orders_only(db):
    assert one(db, "select count(*) - count(distinct order_id) from shipments") == 0
    joined = "select count(*) from shipments join orders using (order_id) where {}"
    assert one(db, joined.format("status = 'cancelled'")) == 0
    assert (
        one(
            db,
            f"""select count(*) from orders anti join shipments using (order_id)
                       where {IN_CAMPAIGN} and status != 'cancelled'""",
        )
        == 0
    )
    assert one(db, joined.format("shipped_time < pay_time")) == 0
    assert one(db, "select count(*) from shipments where delivered_time <= shipped_time") == 0
    assert one(db, "select count(*) from shipments where delivered_time is null") > 0


def test_service_tickets_and_nps_are_well_formed(db):
    assert one(db, "select count(*) from service where resolved_time <= created_time") == 0
    orphans = "select count(*) from service anti join orders using (order_id) where order_id not null"
    assert one(db, orphans) == 0
    assert one(db, "select count(*) from service where satisfaction not between 1 and 5") == 0
    assert 0.5 <= one(db, "select avg((satisfaction is not null)::int) from service") <= 0.7
    assert one(db, "select count(*) from nps where score not between 0 and 10") == 0
    assert 350 <= one(db, "select count(*) from nps") <= 450


def test_the_busiest_hour_is_the_midnight_burst(db):
    hourly = f"""select date_trunc('hour', order_time) from orders where {IN_CAMPAIGN}
                 group by 1 order by {{}} desc"""
    assert str(one(db, hourly.format("sum(paid_amount)"))) == "2026-11-11 00:00:00"
    assert str(one(db, hourly.format("count(*)"))) == "2026-11-11 00:00:00"
    worst = one(
        db,
        f"""
        select min(evening / morning) from (
            select order_time::date, count(*) filter (where hour(order_time) between 19 and 22) evening,
                   count(*) filter (where hour(order_time) between 8 and 11) morning
            from orders where {IN_CAMPAIGN} group by 1)""",
    )
    assert worst > 1


# --- shapes the report is built to find --------------------------------------------------------------------


def test_sales_shapes(db):
    gmv, net, paid = db.execute(f"""
        select sum(paid_amount), sum(paid_amount) filter (where status = 'paid'),
               count(*) filter (where status = 'paid') from orders where {IN_CAMPAIGN}""").fetchone()
    assert 5.5e6 <= gmv <= 6.2e6
    assert 500 <= net / paid <= 560
    presale = one(
        db,
        f"""select sum(paid_amount) filter (where is_presale) / sum(paid_amount)
                          from orders where {IN_CAMPAIGN} and status = 'paid'""",
    )
    assert 0.30 <= presale <= 0.50
    # deposits in the warm-up, balances paid between 00:00 and 02:00 on burst day 1 (or never)
    assert (
        one(
            db,
            """select count(*) from orders where is_presale and (order_time >= '2026-11-11'
                      or pay_time < '2026-11-11' or pay_time >= '2026-11-11 02:00:00')""",
        )
        == 0
    )
    shares = rows(
        db,
        f"""select channel, sum(paid_amount) / sum(sum(paid_amount)) over ()
                          from orders where {IN_CAMPAIGN} group by 1""",
    )
    expected_shares = {"search": 0.35, "live": 0.25, "offsite": 0.20, "private": 0.10, "other": 0.10}
    for channel, expected in expected_shares.items():
        assert abs(shares[channel] - expected) < 0.04, channel
    status = rows(
        db,
        f"""select status, count(*) / sum(count(*)) over ()
                          from orders where {IN_CAMPAIGN} group by 1""",
    )
    assert 0.85 <= status["paid"] <= 0.91 and 0.03 <= status["cancelled"] <= 0.07
    units = """select sum(quantity) / count(distinct order_id) from order_items join orders using (order_id)
                where {}"""
    attach = one(db, units.format(IN_CAMPAIGN)) / one(db, units.format(IN_BASELINE))
    assert 1.2 <= attach <= 1.5
    top10 = one(
        db,
        f"""
        select sum(s) filter (where r <= 10) / sum(s) from (
            select sum(i.paid_amount) s, row_number() over (order by sum(i.paid_amount) desc) r
            from order_items i join orders o using (order_id) join products p using (sku)
            where {IN_CAMPAIGN} and p.is_merchandise group by sku)""",
    )
    assert 0.25 <= top10 <= 0.45
    assert one(db, "select count(*) from products where not is_merchandise") == 1
    assert 0 < one(db, "select avg((sku = 'POSTAGE')::int) from order_items") < 0.02
    margin = rows(db, "select category, 1 - sum(unit_cost) / sum(list_price) from products group by 1")
    assert all(0.35 <= m <= 0.65 for c, m in margin.items() if c != "运费")


def test_traffic_and_funnel_shapes(db):
    camp = f"event_time >= {C0} and event_time < {C1}"
    assert 55_000 <= one(db, f"select count(distinct visitor_id) from events where {camp}") <= 65_000
    daily = """select avg(n) from (select count(distinct visitor_id) n from events where {}
               group by event_time::date)"""
    lift = one(db, daily.format(camp)) / one(db, daily.format(f"event_time >= {B0} and event_time < {B1}"))
    assert 1.5 <= lift <= 3.5
    rate = """select count(distinct visitor_id) filter (where event_type = '{}')
              / count(distinct visitor_id) filter (where event_type = 'view') from events where {}"""
    assert 0.08 <= one(db, rate.format("cart", f"event_time >= {C0} and event_time < '2026-11-11'")) < 0.18
    assert 0.05 <= one(db, rate.format("pay", f"{camp} and channel = 'private'")) < 0.12
    offsite = one(
        db,
        f"""select count(distinct visitor_id) filter (where channel = 'offsite')
                          / count(distinct visitor_id) from events where {camp}""",
    )
    assert 0.30 <= offsite <= 0.40
    bounce = one(db, "select avg((n = 1)::int) from (select count(*) n from events group by session_id)")
    assert 0.40 <= bounce <= 0.50


def test_customer_shapes(db):
    db.execute(f"""
        create or replace temp table buyers as
        select user_id, bool_or(is_member) member, not exists (
            select 1 from orders p where p.user_id = o.user_id and p.status = 'paid'
            and p.order_time >= {C0} - interval 365 day and p.order_time < {C0}) is_new
        from orders o join users using (user_id) where {IN_CAMPAIGN} and status = 'paid' group by user_id""")
    assert 0.25 <= one(db, "select avg(is_new::int) from buyers") <= 0.35
    again = f"""
        select avg(((select count(*) from orders o where o.user_id = b.user_id and o.status = 'paid'
                     and o.order_time >= {C0} and o.order_time < {C1} + interval 30 day) >= 2)::int)
        from buyers b where {{}}"""
    member, other = one(db, again.format("member")), one(db, again.format("not member"))
    assert 0.33 <= member <= 0.47 and 0.13 <= other <= 0.23
    retention = one(
        db,
        f"""
        select avg(exists (select 1 from orders o where o.user_id = b.user_id and o.status = 'paid'
                           and o.order_time >= {C1} and o.order_time < {C1} + interval 30 day)::int)
        from buyers b""",
    )
    assert 0.25 <= retention <= 0.35
    assert 0.27 <= one(db, "select avg(is_member::int) from users") <= 0.33
    assert 0.40 <= one(db, "select avg((city_tier in ('tier3', 'tier4+'))::int) from users") <= 0.50


def test_marketing_shapes(db, params):
    camp = "date >= date '2026-11-04'"
    spend = rows(db, f"select channel, sum(spend) from marketing where {camp} group by 1")
    assert [c for c, s in spend.items() if s > params.budget[c] * 1.05] == ["live"]
    assert all(abs(s / params.budget[c] - 1) < 0.2 for c, s in spend.items())
    roas = rows(
        db,
        f"""select channel, sum(attributed_revenue) / sum(spend) from marketing
                        where {camp} group by 1""",
    )
    assert max(roas, key=roas.get) == "search" and all(2 <= r <= 8 for r in roas.values())
    roi = one(db, f"select (sum(attributed_revenue) - sum(spend)) / sum(spend) from marketing where {camp}")
    assert 2.3 <= roi < 3
    ctr = rows(db, "select channel, sum(clicks) / sum(impressions) from marketing group by 1")
    assert all(0.01 <= r <= 0.05 for r in ctr.values())
    top_kol = one(
        db,
        f"""select max(r) / sum(r) from (select sum(attributed_revenue) r from marketing
                          where {camp} and channel = 'offsite' group by placement)""",
    )
    assert 0.45 <= top_kol <= 0.75
    assert one(db, "select count(distinct placement) from marketing where is_kol") == 15


def test_fulfilment_and_service_shapes(db):
    ship = f"from shipments join orders o using (order_id) where {IN_CAMPAIGN}"
    within = one(db, f"select avg((shipped_time <= o.pay_time + interval 48 hour)::int) {ship}")
    assert 0.85 <= within <= 0.97
    late = rows(db, f"select region, avg({LATE}) {ship} group by 1")
    remote = min(late["西北"], late["西南"], late["东北"])
    assert remote > max(late["华东"], late["华南"], late["华北"], late["华中"])
    worst_day = one(db, f"select o.pay_time::date {ship} group by 1 order by avg({LATE}) desc")
    assert str(worst_day) == "2026-11-12"
    per_day = "select count(*) / {} from service where created_time >= {} and created_time < {}"
    contacts = one(db, per_day.format(15, C0, C1)) / one(db, per_day.format(14, B0, B1))
    assert 3 <= contacts <= 6
    medians = rows(db, "select created_time::date, median(first_response_seconds) from service group by 1")
    base = sorted(v for d, v in medians.items() if str(d) < "2026-10-28")
    assert 8 <= base[len(base) // 2] <= 25
    peak = max(medians, key=medians.get)
    assert str(peak) == "2026-11-11" and 300 <= medians[peak] <= 700
    nps = one(db, "select 100 * (avg((score >= 9)::int) - avg((score <= 6)::int)) from nps")
    assert 10 <= nps <= 30
