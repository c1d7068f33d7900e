-- The SQL floor of the benchmark (issue #18): every mart the campaign report reads, in one hand-written DuckDB
-- script. No kit code: the kit's speed is measured against this, on the same data, so the figures are exactly
-- the kit's (exact distinct counts, the same tie-breaks) and the work is what an analyst would write by hand.
--
-- Inputs: views named like the canonical tables (orders, order_items, products, events, marketing, coupons,
-- inventory, shipments, service, nps, users) over the staged Parquet files, with canonical columns and naive
-- local times (bench/floor.py creates them; an optional column a source leaves out is a typed NULL there).
-- The data is taken as clean and canonical, as the demo's is: no value mapping, no dropped rows, and an event log
-- with its own 'order' steps (the kit adds order steps only to a log that has none).
--
-- Parameters, set with SET VARIABLE by floor.py from the campaign YAML:
--   phases              LIST(STRUCT(name VARCHAR, first_day DATE, last_day DATE)), in calendar order
--   campaign_start      DATE: first day of the first phase;  campaign_end: DATE, last day of the last phase
--   baseline_start, baseline_end   DATE, both NULL without a baseline
--   new_customer_lookback_days, retention_days, rfm_lookback_days   INTEGER
--   ship_within_hours   DOUBLE;  offsite_channels   VARCHAR[]
--
-- Conventions (the kit's): periods are whole calendar days, a phase's or the baseline's; 'overall' is the whole
-- campaign (every phase, never the baseline); channel 'all' pools every channel. Every mart the kit builds is
-- computed here.
--
-- Plan: the event log is scanned once, into one row per visitor, channel, day and session (event_cells), from
-- which every traffic, funnel and visitor mart counts; the orders of the periods are kept in memory
-- (period_orders) for the order marts, and the whole order history is scanned for what only it can say (the
-- forecast's daily history, each customer's facts); the other inputs are read once each. Intermediates are
-- temp tables, dropped as soon as their last reader has run, so the event marts have the memory.

-- === calendar =================================================================================================
CREATE OR REPLACE TEMP MACRO in_campaign(t) AS
    t >= getvariable('campaign_start') AND t < getvariable('campaign_end') + 1;
CREATE OR REPLACE TEMP MACRO hours_between(later, earlier) AS (epoch(later) - epoch(earlier)) / 3600.0;
CREATE OR REPLACE TEMP MACRO site(channel) AS
    CASE WHEN list_contains(getvariable('offsite_channels'), channel) THEN 'offsite' ELSE 'onsite' END;
-- the periods a row counts in: its own and, unless it is the baseline, the whole campaign
CREATE OR REPLACE TEMP MACRO with_overall(period) AS
    CASE WHEN period = 'baseline' THEN [period] ELSE [period, 'overall'] END;

CREATE OR REPLACE TEMP TABLE periods AS
SELECT ph.name AS period, ph.first_day, ph.last_day FROM (SELECT unnest(getvariable('phases')) AS ph)
UNION ALL
SELECT 'baseline', getvariable('baseline_start'), getvariable('baseline_end')
WHERE getvariable('baseline_start') IS NOT NULL;

-- one row per day of a phase or of the baseline: the campaign YAML's checks make the phases follow each other
-- without a gap and the baseline end before them, so a day has at most one period
CREATE OR REPLACE TEMP TABLE calendar AS
SELECT
    CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day,
    period,
    period <> 'baseline' AS in_campaign
FROM periods;

CREATE OR REPLACE TEMP TABLE period_days AS
SELECT period, CAST(last_day - first_day + 1 AS BIGINT) AS days FROM periods
UNION ALL
SELECT 'overall', CAST(getvariable('campaign_end') - getvariable('campaign_start') + 1 AS BIGINT);

-- === orders ===================================================================================================
-- the forecast's history and the customer facts read every order, straight from the file; the other order marts
-- read the orders of the periods (the campaign and the baseline), kept in memory
CREATE OR REPLACE TABLE goals_daily_history AS
SELECT
    CAST(order_time AS DATE) AS day,
    sum(paid_amount) AS gmv,
    count(*) AS orders,
    sum(paid_amount) FILTER (status = 'paid') AS net_sales
FROM orders
GROUP BY ALL
ORDER BY day;

CREATE OR REPLACE TABLE users_history AS
SELECT min(order_time) AS first_order_time, max(order_time) AS last_order_time, count(*) AS orders FROM orders;

CREATE OR REPLACE TEMP TABLE period_orders AS
SELECT
    o.order_id, o.user_id, o.order_time, o.pay_time, o.status, o.channel, o.paid_amount, o.is_presale, o.freight,
    o.province, o.city_tier, o.coupon_id,
    o.status = 'paid' AS paid,
    c.day,
    c.period,
    c.in_campaign
FROM orders AS o
JOIN calendar AS c ON c.day = CAST(o.order_time AS DATE)
WHERE o.order_time >= coalesce(getvariable('baseline_start'), getvariable('campaign_start'))
    AND o.order_time < getvariable('campaign_end') + 1;

-- the sales parts at every level the order marts show, in one pass
CREATE OR REPLACE TEMP TABLE sales_levels AS
SELECT
    CASE
        WHEN GROUPING(day) = 0 THEN 'day'
        WHEN GROUPING(hour) = 0 THEN 'hour'
        WHEN GROUPING(province) = 0 THEN 'province'
        WHEN GROUPING(channel) = 0 AND GROUPING(period) = 0 THEN 'channel x period'
        WHEN GROUPING(channel) = 0 THEN 'channel'
        WHEN GROUPING(period) = 0 THEN 'period'
        ELSE 'campaign'
    END AS level,
    day, hour, province, channel, period, in_campaign,
    count(*) AS orders,
    sum(paid_amount) AS gmv,
    count(*) FILTER (paid) AS paid_orders,
    sum(paid_amount) FILTER (paid) AS net_sales,
    sum(paid_amount) FILTER (paid AND coalesce(is_presale, FALSE)) AS presale_net_sales,
    sum(paid_amount) FILTER (status IN ('cancelled', 'refunded')) AS lost_gmv,
    count(*) FILTER (status = 'pending') AS pending_orders,
    sum(paid_amount) FILTER (status = 'pending') AS pending_gmv,
    sum(freight) FILTER (paid) AS freight,
    count(DISTINCT user_id) FILTER (paid) AS buyers
FROM (
    SELECT * REPLACE (coalesce(province, '(unknown)') AS province), date_trunc('hour', order_time) AS hour
    FROM period_orders
)
GROUP BY GROUPING SETS (
    (day, period),
    (period),
    (in_campaign),
    (in_campaign, channel, period),
    (in_campaign, channel),
    (in_campaign, hour),
    (in_campaign, province)
);

CREATE OR REPLACE TABLE sales_daily AS
SELECT day, period, * EXCLUDE (level, day, hour, province, channel, period, in_campaign)
FROM sales_levels
WHERE level = 'day'
ORDER BY day;

CREATE OR REPLACE TABLE sales_by_period AS
SELECT
    coalesce(s.period, 'overall') AS period,
    s.* EXCLUDE (level, day, hour, province, channel, period, in_campaign),
    d.days
FROM sales_levels AS s
LEFT JOIN period_days AS d ON d.period = coalesce(s.period, 'overall')
WHERE s.level = 'period' OR (s.level = 'campaign' AND s.in_campaign);

CREATE OR REPLACE TABLE sales_hourly AS
SELECT hour, * EXCLUDE (level, day, hour, province, channel, period, in_campaign)
FROM sales_levels
WHERE level = 'hour' AND in_campaign
ORDER BY hour;

CREATE OR REPLACE TABLE sales_by_channel AS
SELECT
    channel,
    coalesce(period, 'overall') AS period,
    * EXCLUDE (level, day, hour, province, channel, period, in_campaign)
FROM sales_levels
WHERE level IN ('channel x period', 'channel') AND in_campaign
ORDER BY channel, period;

CREATE OR REPLACE TABLE sales_by_province AS
SELECT province, * EXCLUDE (level, day, hour, province, channel, period, in_campaign)
FROM sales_levels
WHERE level = 'province' AND in_campaign
ORDER BY net_sales DESC, province;

CREATE OR REPLACE TABLE marketing_channel_gmv AS
SELECT channel, orders, gmv, paid_orders, coalesce(net_sales, 0.0) AS net_sales
FROM sales_levels
WHERE level = 'channel' AND in_campaign
ORDER BY gmv DESC;

CREATE OR REPLACE TABLE service_paid_orders AS
SELECT coalesce(s.period, 'overall') AS period, s.paid_orders, d.days
FROM sales_levels AS s
LEFT JOIN period_days AS d ON d.period = coalesce(s.period, 'overall')
WHERE s.level = 'period' OR (s.level = 'campaign' AND s.in_campaign);
DROP TABLE sales_levels;

-- GMV for UV value: periods include the baseline, 'overall' is the phases' days
CREATE OR REPLACE TABLE traffic_gmv AS
SELECT
    CASE WHEN GROUPING(channel) = 1 THEN 'all' ELSE channel END AS channel,
    period,
    sum(paid_amount) AS gmv,
    count(*) AS orders
FROM (SELECT channel, paid_amount, unnest(with_overall(period)) AS period FROM period_orders)
GROUP BY GROUPING SETS ((channel, period), (period))
ORDER BY channel, period;

-- === customers ================================================================================================
-- what each user's paid orders say across the history: paid before the campaign, in the new-customer look-back,
-- the next order after it, the RFM window and the repeat-purchase window (the campaign and the retention days)
CREATE OR REPLACE TEMP TABLE customers AS
SELECT
    user_id,
    bool_or(order_time < getvariable('campaign_start')) AS paid_before,
    bool_or(order_time >= getvariable('campaign_start') - getvariable('new_customer_lookback_days')
        AND order_time < getvariable('campaign_start')) AS paid_in_lookback,
    min(order_time) FILTER (order_time >= getvariable('campaign_end') + 1) AS next_order_time,
    count(*) FILTER (in_rfm) AS rfm_orders,
    sum(paid_amount) FILTER (in_rfm) AS rfm_sales,
    CAST(max(order_time) FILTER (in_rfm) AS DATE) AS rfm_last_day,
    count(*) FILTER (in_repeat_window) AS window_orders,
    sum(paid_amount) FILTER (in_repeat_window) AS window_sales
FROM (
    SELECT
        user_id, order_time, paid_amount,
        order_time >= getvariable('campaign_end') + 1 - getvariable('rfm_lookback_days')
            AND order_time < getvariable('campaign_end') + 1 AS in_rfm,
        order_time >= getvariable('campaign_start')
            AND order_time < getvariable('campaign_end') + getvariable('retention_days') + 1 AS in_repeat_window
    FROM orders
    WHERE status = 'paid' AND user_id IS NOT NULL
)
GROUP BY user_id;

-- one row per campaign buyer, and one for the guests' orders (null user id: sales, no buyer), with the user's
-- membership and city tier
CREATE OR REPLACE TEMP TABLE campaign_customers AS
SELECT c.*, u.is_member, u.city_tier AS user_city_tier
FROM (
    SELECT
        user_id,
        count(*) AS paid_orders,
        sum(paid_amount) AS net_sales,
        min(order_time) AS first_order_time,
        arg_min(channel, (order_time, order_id)) AS first_channel,  -- placed in the same second: the smaller id
        arg_min(city_tier, (order_time, order_id)) FILTER (city_tier IS NOT NULL) AS first_city_tier
    FROM period_orders
    WHERE paid AND in_campaign
    GROUP BY user_id
) AS c
LEFT JOIN users AS u ON u.user_id = c.user_id;

-- campaign buyers: new when no paid order in the look-back before the campaign
CREATE OR REPLACE TEMP TABLE buyers AS
SELECT
    b.user_id, b.paid_orders, b.net_sales, b.first_order_time, b.first_channel, b.is_member,
    NOT h.paid_in_lookback AS is_new,
    CASE WHEN h.paid_in_lookback THEN 'returning' ELSE 'new' END AS customer_type,
    c.period AS cohort,
    h.next_order_time,
    h.window_orders,
    h.window_sales
FROM campaign_customers AS b
JOIN customers AS h ON h.user_id = b.user_id
JOIN calendar AS c ON c.day = CAST(b.first_order_time AS DATE);

CREATE OR REPLACE TABLE users_acquisition AS
SELECT
    cohort AS first_phase,
    first_channel,
    customer_type,
    count(*) AS buyers,
    CAST(sum(paid_orders) AS BIGINT) AS paid_orders,
    sum(net_sales) AS net_sales
FROM buyers
GROUP BY ALL
ORDER BY ALL;

CREATE OR REPLACE TABLE marketing_new_customers AS
SELECT first_channel AS channel, count(*) AS buyers, count(*) FILTER (is_new) AS new_customers
FROM buyers
GROUP BY first_channel
ORDER BY channel;

CREATE OR REPLACE TABLE users_new_returning AS
WITH campaign_orders AS (
    SELECT o.user_id, o.period, o.paid_amount, coalesce(b.customer_type, 'guest') AS customer_type
    FROM period_orders AS o
    LEFT JOIN buyers AS b ON b.user_id = o.user_id
    WHERE o.paid AND o.in_campaign
),
per_customer AS (  -- one row per customer (the guests together) and phase, and over the campaign
    SELECT user_id, customer_type, period, count(*) AS n, sum(paid_amount) AS sales
    FROM (SELECT * EXCLUDE (period), unnest(with_overall(period)) AS period FROM campaign_orders)
    GROUP BY user_id, customer_type, period
)
SELECT
    period,
    CASE WHEN GROUPING(customer_type) = 1 THEN 'all' ELSE customer_type END AS customer_type,
    count(user_id) AS buyers,
    count(*) FILTER (n >= 2 AND user_id IS NOT NULL) AS repeat_buyers,
    CAST(sum(n) AS BIGINT) AS paid_orders,
    sum(sales) AS net_sales
FROM per_customer
GROUP BY GROUPING SETS ((period, customer_type), (period))
ORDER BY period, customer_type;

CREATE OR REPLACE TABLE users_retention AS
WITH windows AS (SELECT DISTINCT unnest([7, 14, 30, getvariable('retention_days')]) AS window_days)
SELECT
    CASE WHEN GROUPING(cohort) = 1 THEN 'overall' ELSE cohort END AS cohort,
    CASE WHEN GROUPING(customer_type) = 1 THEN 'all' ELSE customer_type END AS customer_type,
    count(*) AS buyers,
    CAST(window_days AS BIGINT) AS window_days,
    count(*) FILTER (next_order_time < getvariable('campaign_end') + 1 + window_days) AS retained,
    CAST(getvariable('campaign_end') + 1 + window_days AS TIMESTAMP) AS window_end
FROM buyers
CROSS JOIN windows
GROUP BY GROUPING SETS (
    (cohort, customer_type, window_days), (cohort, window_days), (customer_type, window_days), (window_days)
)
ORDER BY cohort, customer_type, window_days;

CREATE OR REPLACE TABLE users_rfm AS
SELECT
    user_id,
    rfm_orders AS frequency,
    rfm_sales AS monetary,
    date_diff('day', rfm_last_day, getvariable('campaign_end')) AS recency_days
FROM customers
WHERE rfm_orders > 0
ORDER BY user_id;

CREATE OR REPLACE TABLE users_membership AS
SELECT
    CASE WHEN is_member THEN 'member' WHEN NOT is_member THEN 'non_member' ELSE 'unknown' END AS member_status,
    count(*) AS buyers,
    count(*) FILTER (window_orders >= 2) AS repeat_buyers,
    CAST(sum(window_orders) AS BIGINT) AS paid_orders,
    sum(window_sales) AS net_sales
FROM buyers
GROUP BY ALL
ORDER BY member_status;

-- the tier of the first paid campaign order that has one, else the user's (guests: one row, no buyer)
CREATE OR REPLACE TABLE users_city_tier AS
SELECT
    coalesce(first_city_tier, user_city_tier, 'unknown') AS city_tier,
    count(user_id) AS buyers,
    sum(net_sales) AS net_sales
FROM campaign_customers
GROUP BY ALL
ORDER BY city_tier;
DROP TABLE buyers;
DROP TABLE campaign_customers;

-- === order lines of the periods' paid orders, with their product ============================================
CREATE OR REPLACE TEMP TABLE paid_lines AS
SELECT
    i.order_id, i.sku, i.quantity, i.unit_price, i.paid_amount,
    coalesce(i.unit_cost, p.unit_cost) AS unit_cost,
    p.name, coalesce(p.category, '(unknown)') AS category, p.launch_date,
    coalesce(p.is_merchandise, TRUE) AS is_merchandise,
    o.in_campaign,
    CASE WHEN o.in_campaign THEN 'campaign' ELSE 'baseline' END AS basket_period
FROM order_items AS i
JOIN period_orders AS o ON o.order_id = i.order_id AND o.paid
LEFT JOIN products AS p ON p.sku = i.sku;

CREATE OR REPLACE TEMP TABLE product_levels AS
SELECT
    CASE WHEN GROUPING(sku) = 0 THEN 'sku' WHEN GROUPING(category) = 0 THEN 'category' ELSE 'all' END AS level,
    sku, name, category, launch_date,
    count(*) AS lines,
    count(DISTINCT order_id) AS orders,
    CAST(sum(quantity) AS BIGINT) AS units,
    sum(paid_amount) AS net_sales,
    sum(quantity * unit_price) AS list_value,
    sum(paid_amount) FILTER (unit_cost IS NOT NULL) AS costed_sales,
    sum(quantity * unit_cost) FILTER (unit_cost IS NOT NULL) AS cogs
FROM paid_lines
WHERE in_campaign AND is_merchandise
GROUP BY GROUPING SETS ((sku, name, category, launch_date), (category), ());

CREATE OR REPLACE TABLE sales_by_category AS
SELECT category, lines, orders, units, net_sales, list_value, costed_sales, cogs
FROM product_levels
WHERE level = 'category'
ORDER BY net_sales DESC;

CREATE OR REPLACE TABLE sales_by_sku AS
SELECT sku, name, category, launch_date, lines, orders, units, net_sales, list_value, costed_sales, cogs
FROM product_levels
WHERE level = 'sku'
ORDER BY net_sales DESC, sku;

CREATE OR REPLACE TABLE marketing_cogs AS
SELECT net_sales, costed_sales, cogs FROM product_levels WHERE level = 'all';
DROP TABLE product_levels;

CREATE OR REPLACE TABLE sales_excluded_lines AS
SELECT sku, category, count(*) AS lines, sum(paid_amount) AS net_sales
FROM paid_lines
WHERE in_campaign AND NOT is_merchandise
GROUP BY sku, category;

CREATE OR REPLACE TABLE sales_basket AS
SELECT
    basket_period AS period,
    count(DISTINCT order_id) AS orders,
    CAST(sum(quantity) AS BIGINT) AS units,
    count(*) AS lines
FROM paid_lines
GROUP BY basket_period;

-- === marketing ================================================================================================
CREATE OR REPLACE TEMP TABLE campaign_marketing AS
SELECT m.*, c.period
FROM marketing AS m
JOIN calendar AS c ON c.day = m.date AND c.in_campaign;

CREATE OR REPLACE TABLE marketing_by_channel AS
SELECT
    channel,
    period,
    sum(spend) AS spend,
    CAST(sum(impressions) AS BIGINT) AS impressions,
    CAST(sum(clicks) AS BIGINT) AS clicks,
    CAST(sum(attributed_orders) AS BIGINT) AS attributed_orders,
    sum(attributed_revenue) AS attributed_revenue,
    count(spend) AS rows
FROM campaign_marketing
GROUP BY channel, period
ORDER BY channel, period;

CREATE OR REPLACE TABLE marketing_kol AS
SELECT
    channel,
    coalesce(placement, '(unnamed)') AS placement,
    sum(spend) AS spend,
    CAST(sum(impressions) AS BIGINT) AS impressions,
    CAST(sum(clicks) AS BIGINT) AS clicks,
    CAST(sum(attributed_orders) AS BIGINT) AS attributed_orders,
    sum(attributed_revenue) AS attributed_revenue,
    count(spend) AS rows
FROM campaign_marketing
WHERE coalesce(is_kol, FALSE)
GROUP BY ALL
ORDER BY attributed_revenue DESC, placement;
DROP TABLE campaign_marketing;

-- redeemed: the coupon table's count, else the paid campaign orders carrying the coupon
CREATE OR REPLACE TABLE marketing_coupons AS
WITH uses AS (
    SELECT coupon_id, count(*) AS order_uses
    FROM period_orders
    WHERE paid AND in_campaign AND coupon_id IS NOT NULL
    GROUP BY coupon_id
),
c AS (
    SELECT
        c.coupon_id,
        coalesce(c.coupon_type, 'unknown') AS coupon_type,
        c.issued,
        c.face_value,
        coalesce(c.redeemed, u.order_uses, 0) AS redeemed,
        c.redeemed IS NULL AS from_orders,
        u.order_uses
    FROM coupons AS c
    LEFT JOIN uses AS u ON u.coupon_id = c.coupon_id
)
SELECT
    coupon_type,
    count(coupon_id) AS coupons,
    CAST(sum(issued) AS BIGINT) AS issued,
    CAST(sum(issued) AS BIGINT) AS issued_known,  -- with the orders at hand every coupon's redemptions are known
    CAST(sum(redeemed) AS BIGINT) AS redeemed,
    sum(face_value * redeemed) AS cost,
    count(*) FILTER (from_orders) AS counted_from_orders,
    CAST(sum(order_uses) AS BIGINT) AS order_uses
FROM c
GROUP BY coupon_type
ORDER BY coupon_type;

-- === fulfilment ===============================================================================================
-- orders due to ship: paid or refunded campaign orders with a pay time, that have a shipment or, paid, should
CREATE OR REPLACE TEMP TABLE due_orders AS
WITH shipping_data AS (  -- the data's end: its last shipment; whether any shipment names a region
    SELECT max(shipped_time) AS data_end, count(region) > 0 AS region_known FROM shipments
),
j AS (
    SELECT
        o.order_id, o.pay_time, o.paid, o.province,
        s.order_id IS NOT NULL AS has_shipment,
        s.shipped_time, s.delivered_time, s.region,
        hours_between(s.shipped_time, o.pay_time) AS ship_hours,
        hours_between(s.delivered_time, o.pay_time) AS delivery_hours,
        -- the promise in hours from payment, else a promised date (a time of midnight: by that day's end)
        coalesce(
            CAST(s.promised_hours AS DOUBLE),
            hours_between(s.promised_time, o.pay_time)
            + CASE
                WHEN hour(s.promised_time) = 0 AND minute(s.promised_time) = 0 AND second(s.promised_time) = 0
                THEN 24.0 ELSE 0.0
            END
        ) AS promise_hours,
        -- not yet due: unshipped, and the deadline falls after the last shipment in the data
        s.shipped_time IS NULL AND coalesce(
            o.pay_time + to_seconds(CAST(round(getvariable('ship_within_hours') * 3600) AS BIGINT)) > d.data_end,
            FALSE
        ) AS not_yet_due,
        d.region_known
    FROM period_orders AS o
    LEFT JOIN shipments AS s ON s.order_id = o.order_id
    CROSS JOIN shipping_data AS d
    WHERE o.in_campaign AND o.status IN ('paid', 'refunded') AND o.pay_time IS NOT NULL
)
SELECT
    j.order_id,
    CAST(j.pay_time AS DATE) AS pay_day,
    coalesce(c.period, 'after') AS period,
    coalesce(CASE WHEN j.region_known THEN j.region ELSE j.province END, '(unknown)') AS region,
    NOT j.not_yet_due AS due,
    j.shipped_time IS NOT NULL AS shipped,
    j.delivered_time IS NOT NULL AS delivered,
    coalesce(j.ship_hours <= getvariable('ship_within_hours'), FALSE) AS in_time,
    j.ship_hours,
    j.delivery_hours,
    j.promise_hours,
    coalesce(j.delivery_hours > j.promise_hours, FALSE) AS late
FROM j
LEFT JOIN calendar AS c ON c.day = CAST(j.pay_time AS DATE)
WHERE j.has_shipment OR j.paid;
DROP TABLE period_orders;

CREATE OR REPLACE TABLE fulfilment_daily AS
SELECT
    pay_day,
    period,
    count(*) FILTER (due) AS due_orders,
    count(*) FILTER (due AND in_time) AS shipped_in_time,
    count(*) FILTER (due AND shipped) AS shipped,
    count(*) FILTER (due AND NOT shipped) AS unshipped,
    count(*) FILTER (NOT due) AS not_yet_due,
    sum(ship_hours) FILTER (due AND shipped) AS ship_hours_sum,
    count(*) FILTER (due AND delivered) AS delivered,
    sum(delivery_hours) FILTER (due AND delivered) AS delivery_hours_sum,
    count(*) FILTER (due AND delivered AND promise_hours IS NOT NULL) AS promise_known,
    count(*) FILTER (due AND delivered AND promise_hours IS NOT NULL AND late) AS late
FROM due_orders
GROUP BY pay_day, period
ORDER BY pay_day;

CREATE OR REPLACE TABLE fulfilment_delivery_by_region AS
SELECT
    CASE WHEN GROUPING(region) = 1 THEN 'overall' ELSE region END AS region,
    count(*) AS delivered,
    sum(delivery_hours) AS delivery_hours_sum,
    quantile_cont(delivery_hours, 0.5) AS delivery_p50_hours,
    quantile_cont(delivery_hours, 0.9) AS delivery_p90_hours,
    count(promise_hours) AS promise_known,
    count(*) FILTER (promise_hours IS NOT NULL AND late) AS late
FROM due_orders
WHERE due AND delivered
GROUP BY GROUPING SETS ((region), ())
ORDER BY delivered DESC;
DROP TABLE due_orders;

-- stock: a snapshot holds until the SKU's next one (the last for an hour), cut at the campaign's end
CREATE OR REPLACE TABLE fulfilment_stock AS
WITH snapshots AS (
    SELECT
        sku, snapshot_time, stock_on_hand, coalesce(replenished, 0) AS replenished,
        lead(snapshot_time) OVER (PARTITION BY sku ORDER BY snapshot_time) AS next_time
    FROM inventory
),
campaign_snapshots AS (
    SELECT
        *,
        hours_between(
            least(
                coalesce(next_time, snapshot_time + INTERVAL 1 HOUR),
                CAST(getvariable('campaign_end') + 1 AS TIMESTAMP)
            ),
            snapshot_time
        ) AS span,
        stock_on_hand <= 0 AS sold_out
    FROM snapshots
    WHERE in_campaign(snapshot_time)
),
per_sku AS (  -- ties in time (duplicate snapshots) go to the smaller value
    SELECT
        sku,
        arg_min(stock_on_hand, (snapshot_time, stock_on_hand)) AS opening_stock,
        -- receipts recorded at the opening snapshot arrived before the campaign
        CAST(sum(replenished) - arg_min(replenished, (snapshot_time, replenished)) AS BIGINT) AS received,
        arg_max(stock_on_hand, (snapshot_time, stock_on_hand)) AS closing_stock,
        coalesce(sum(span) FILTER (NOT sold_out), 0.0) AS hours_in_stock,
        coalesce(sum(span) FILTER (sold_out), 0.0) AS hours_out_of_stock,
        min(snapshot_time) FILTER (sold_out) AS sellout_time
    FROM campaign_snapshots
    GROUP BY sku
),
restocks AS (  -- the first receipt after the sell-out, until the data ends
    SELECT p.sku, min(s.snapshot_time) AS restock_time
    FROM per_sku AS p
    JOIN snapshots AS s ON s.sku = p.sku AND s.replenished > 0 AND s.snapshot_time > p.sellout_time
    GROUP BY p.sku
),
sold AS (
    SELECT sku, CAST(sum(quantity) AS BIGINT) AS units_sold, sum(paid_amount) AS net_sales
    FROM paid_lines
    WHERE in_campaign
    GROUP BY sku
)
SELECT
    g.sku,
    p.name,
    g.opening_stock,
    g.received,
    g.closing_stock,
    coalesce(s.units_sold, 0) AS units_sold,
    coalesce(s.net_sales, 0.0) AS net_sales,
    g.hours_in_stock,
    g.hours_out_of_stock,
    g.sellout_time,
    r.restock_time,
    hours_between(g.sellout_time, CAST(getvariable('campaign_start') AS TIMESTAMP)) AS hours_from_start,
    hours_between(
        g.sellout_time, (SELECT CAST(first_day AS TIMESTAMP) FROM periods WHERE period = 'burst')
    ) AS hours_from_burst_start,
    hours_between(r.restock_time, g.sellout_time) AS replenishment_lag_hours
FROM per_sku AS g
LEFT JOIN restocks AS r ON r.sku = g.sku
LEFT JOIN sold AS s ON s.sku = g.sku
LEFT JOIN products AS p ON p.sku = g.sku
ORDER BY g.sku;
DROP TABLE paid_lines;

CREATE OR REPLACE TABLE fulfilment_sellouts AS
SELECT * FROM fulfilment_stock WHERE sellout_time IS NOT NULL ORDER BY sellout_time, sku;

-- === service ==================================================================================================
CREATE OR REPLACE TEMP TABLE tickets AS
SELECT
    s.ticket_id, s.ticket_type, s.reason, s.first_response_seconds, s.satisfaction,
    CAST(s.created_time AS DATE) AS day,
    c.period,
    c.in_campaign
FROM service AS s
JOIN calendar AS c ON c.day = CAST(s.created_time AS DATE);

-- response percentiles are exact within each row's own group: per day, per period, the whole campaign
CREATE OR REPLACE TEMP TABLE ticket_levels AS
SELECT
    CASE WHEN GROUPING(day) = 0 THEN 'day' WHEN GROUPING(period) = 0 THEN 'period' ELSE 'campaign' END AS level,
    day, period, in_campaign,
    count(*) AS tickets,
    count(*) FILTER (ticket_type = 'consult') AS consults,
    count(*) FILTER (ticket_type = 'complaint') AS complaints,
    count(*) FILTER (ticket_type = 'return') AS returns,
    count(first_response_seconds) AS responded,
    sum(first_response_seconds) AS response_seconds_sum,
    quantile_cont(first_response_seconds, 0.5) AS response_p50_seconds,
    quantile_cont(first_response_seconds, 0.9) AS response_p90_seconds,
    count(satisfaction) AS rated,
    sum(satisfaction) AS stars_sum
FROM tickets
GROUP BY GROUPING SETS ((day, period), (period), (in_campaign));

CREATE OR REPLACE TABLE service_by_period AS
SELECT coalesce(t.period, 'overall') AS period, t.* EXCLUDE (level, day, period, in_campaign), d.days
FROM ticket_levels AS t
LEFT JOIN period_days AS d ON d.period = coalesce(t.period, 'overall')
WHERE t.level = 'period' OR (t.level = 'campaign' AND t.in_campaign);

CREATE OR REPLACE TABLE service_daily AS
SELECT day, period, * EXCLUDE (level, day, period, in_campaign)
FROM ticket_levels
WHERE level = 'day'
ORDER BY day;
DROP TABLE ticket_levels;

CREATE OR REPLACE TABLE service_reasons AS
SELECT ticket_type, coalesce(reason, '(not given)') AS reason, count(*) AS tickets
FROM tickets
WHERE in_campaign
GROUP BY ALL
ORDER BY ticket_type, tickets DESC, reason;
DROP TABLE tickets;

-- NPS: the phases, the baseline and the retention_days after the campaign ('after'); 'overall' spans all but
-- the baseline
CREATE OR REPLACE TABLE service_nps AS
WITH answers AS (
    SELECT
        n.score,
        coalesce(
            c.period,
            CASE
                WHEN n.survey_time >= getvariable('campaign_end') + 1
                    AND n.survey_time < getvariable('campaign_end') + getvariable('retention_days') + 1
                THEN 'after'
            END
        ) AS period,
        n.survey_time >= getvariable('campaign_start')
        AND n.survey_time < getvariable('campaign_end') + getvariable('retention_days') + 1 AS in_overall
    FROM nps AS n
    LEFT JOIN calendar AS c ON c.day = CAST(n.survey_time AS DATE)
    WHERE n.score IS NOT NULL
)
SELECT CASE WHEN GROUPING(period) = 1 THEN 'overall' ELSE period END AS period, score, count(*) AS responses
FROM answers
GROUP BY GROUPING SETS ((period, score), (in_overall, score))
HAVING (GROUPING(period) = 0 AND period IS NOT NULL) OR (GROUPING(in_overall) = 0 AND in_overall)
ORDER BY period, score;

-- === events ===================================================================================================
-- Per-visitor reductions are plain GROUP BYs (DuckDB spills those to disk when they outgrow the memory limit);
-- GROUPING SETS only where the groups are few.

-- the one scan of the event log: one row per visitor, user id, channel, day and session. steps holds the funnel
-- steps the row has, one bit each: view 1, cart 2, order 4, pay 8 (so steps & 3 = 3 reads "viewed and carted")
CREATE OR REPLACE TEMP TABLE event_cells AS
SELECT
    visitor_id, user_id, channel, CAST(event_time AS DATE) AS day, session_id,
    count(*) FILTER (event_type = 'view') AS pv,
    count(*) AS events,
    count(*) FILTER (event_type = 'pay') AS pay_events,
    bit_or(CASE event_type WHEN 'view' THEN 1 WHEN 'cart' THEN 2 WHEN 'order' THEN 4 WHEN 'pay' THEN 8 ELSE 0 END)
        AS steps,
    min(event_time) AS first_time,
    max(event_time) AS last_time,
    sum(dwell_seconds) AS dwell_seconds,
    count(*) FILTER (dwell_seconds IS NULL) AS no_dwell
FROM events
GROUP BY ALL;

CREATE OR REPLACE TABLE traffic_coverage AS
SELECT
    min(first_time) AS first_event_time,
    max(last_time) AS last_event_time,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(coalesce(sum(events) FILTER (session_id IS NULL), 0) AS BIGINT) AS null_session_events,
    CAST(sum(no_dwell) AS BIGINT) AS null_dwell_events,
    TRUE AS orders_checked
FROM event_cells;

-- UV per day: one row per visitor and day in a channel, and pooled over the channels
CREATE OR REPLACE TABLE traffic_daily AS
WITH per_visitor AS (
    SELECT day, channel, sum(pv) AS pv, sum(events) AS events FROM event_cells GROUP BY visitor_id, day, channel
    UNION ALL
    SELECT day, 'all', sum(pv), sum(events) FROM event_cells GROUP BY visitor_id, day
)
SELECT
    v.day,
    c.period,
    v.channel,
    CAST(sum(v.pv) AS BIGINT) AS pv,
    count(*) AS uv,
    CAST(sum(v.events) AS BIGINT) AS events
FROM per_visitor AS v
JOIN calendar AS c ON c.day = v.day
GROUP BY v.day, c.period, v.channel
ORDER BY v.day, v.channel;

-- a session is its session_id, else the visitor's day; it belongs to the channel and period of its first event
CREATE OR REPLACE TABLE traffic_sessions AS
WITH sessions AS (
    SELECT
        min(e.first_time) AS start,
        arg_min(e.channel, (e.first_time, e.channel)) AS channel,  -- events in the same second: the first by name
        sum(e.events) AS events,
        sum(e.dwell_seconds) AS dwell,
        e.session_id IS NULL AS derived,
        coalesce(starts_with(e.session_id, '~'), FALSE) AS by_rule  -- cut by the kit's inactivity rule
    FROM event_cells AS e
    JOIN calendar AS c ON c.day = e.day
    GROUP BY
        e.session_id,
        CASE WHEN e.session_id IS NULL THEN e.visitor_id END,
        CASE WHEN e.session_id IS NULL THEN e.day END
)
SELECT
    CASE WHEN GROUPING(channel) = 1 THEN 'all' ELSE channel END AS channel,
    period,
    count(*) AS sessions,
    count(*) FILTER (events = 1) AS bounced_sessions,
    sum(dwell) AS dwell_seconds,
    count(*) FILTER (derived) AS derived_sessions,
    count(*) FILTER (by_rule) AS rule_sessions
FROM (
    SELECT s.channel, s.events, s.dwell, s.derived, s.by_rule, unnest(with_overall(c.period)) AS period
    FROM sessions AS s
    JOIN calendar AS c ON c.day = CAST(s.start AS DATE)
)
GROUP BY GROUPING SETS ((channel, period), (period))
ORDER BY channel, period;

-- campaign visitors (the user id when known) and those who paid, per phase and overall; returning: a paid order
-- in the new-customer look-back
CREATE OR REPLACE TABLE users_visitor_conversion AS
WITH per_visitor AS (
    SELECT vid, period, bool_or(paid) AS paid
    FROM (
        SELECT
            coalesce(e.user_id, e.visitor_id) AS vid,
            e.steps & 8 = 8 AS paid,
            unnest(with_overall(c.period)) AS period
        FROM event_cells AS e
        JOIN calendar AS c ON c.day = e.day AND c.in_campaign
    )
    GROUP BY vid, period
)
SELECT
    p.period,
    CASE WHEN GROUPING(visitor_type) = 1 THEN 'all' ELSE visitor_type END AS visitor_type,
    count(*) AS visitors,
    count(*) FILTER (p.paid) AS paying_visitors
FROM (
    SELECT p.*, CASE WHEN coalesce(c.paid_in_lookback, FALSE) THEN 'returning' ELSE 'new' END AS visitor_type
    FROM per_visitor AS p
    LEFT JOIN customers AS c ON c.user_id = p.vid
) AS p
GROUP BY GROUPING SETS ((p.period, visitor_type), (p.period))
ORDER BY period, visitor_type;

-- new visitor: first seen inside the campaign, and neither the visitor id nor its user id paid before it
CREATE OR REPLACE TEMP TABLE visitors AS
SELECT
    v.visitor_id,
    in_campaign(v.first_seen) AND NOT coalesce(by_visitor.paid_before, FALSE)
    AND NOT coalesce(by_user.paid_before, FALSE) AS is_new
FROM (
    SELECT visitor_id, min(first_time) AS first_seen, max(user_id) AS user_id FROM event_cells GROUP BY visitor_id
) AS v
LEFT JOIN customers AS by_visitor ON by_visitor.user_id = v.visitor_id
LEFT JOIN customers AS by_user ON by_user.user_id = v.user_id;
DROP TABLE customers;

-- one row per visitor, channel and period (the phases and the baseline)
CREATE OR REPLACE TEMP TABLE visitor_periods AS
SELECT
    e.visitor_id,
    e.channel,
    c.period,
    v.is_new,
    CAST(sum(e.pv) AS BIGINT) AS pv,
    CAST(sum(e.events) AS BIGINT) AS events,
    CAST(sum(e.pay_events) AS BIGINT) AS pay_events,
    bit_or(e.steps) AS steps
FROM event_cells AS e
JOIN calendar AS c ON c.day = e.day
JOIN visitors AS v ON v.visitor_id = e.visitor_id
GROUP BY ALL;
DROP TABLE visitors;
DROP TABLE event_cells;

-- distinct visitors at every level a traffic or funnel mart shows: per channel, site or all channels, by period
-- and over the phases ('overall'). Each visitor is reduced to one row per level first, so counting rows counts
-- distinct visitors; the funnel is closed (a step counts only with every earlier one)
CREATE OR REPLACE TEMP TABLE visitor_counts AS
WITH per_visitor AS (
    SELECT 'channel' AS level, channel AS key, period, is_new, pv, events, pay_events, steps
    FROM visitor_periods
    UNION ALL
    SELECT 'channel', channel, 'overall', is_new, sum(pv), sum(events), sum(pay_events), bit_or(steps)
    FROM visitor_periods WHERE period <> 'baseline' GROUP BY visitor_id, channel, is_new
    UNION ALL
    SELECT 'site', site(channel), period, is_new, sum(pv), sum(events), sum(pay_events), bit_or(steps)
    FROM visitor_periods GROUP BY visitor_id, site(channel), period, is_new
    UNION ALL
    SELECT 'site', site(channel), 'overall', is_new, sum(pv), sum(events), sum(pay_events), bit_or(steps)
    FROM visitor_periods WHERE period <> 'baseline' GROUP BY visitor_id, site(channel), is_new
    UNION ALL
    SELECT 'all', 'all', period, is_new, sum(pv), sum(events), sum(pay_events), bit_or(steps)
    FROM visitor_periods GROUP BY visitor_id, period, is_new
    UNION ALL
    SELECT 'all', 'all', 'overall', is_new, sum(pv), sum(events), sum(pay_events), bit_or(steps)
    FROM visitor_periods WHERE period <> 'baseline' GROUP BY visitor_id, is_new
)
SELECT
    level,
    key,
    period,
    CAST(sum(pv) AS BIGINT) AS pv,
    count(*) AS uv,
    count(*) FILTER (is_new) AS new_uv,
    CAST(sum(events) AS BIGINT) AS events,
    count(*) FILTER (steps > 0) AS visitors,
    count(*) FILTER (steps & 1 = 1) AS "view",
    count(*) FILTER (steps & 3 = 3) AS cart,
    count(*) FILTER (steps & 7 = 7) AS "order",
    count(*) FILTER (steps & 15 = 15) AS pay,
    count(*) FILTER (steps & 8 = 8) AS payers,
    CAST(sum(pay_events) FILTER (steps > 0) AS BIGINT) AS pay_events
FROM per_visitor
GROUP BY level, key, period;
DROP TABLE visitor_periods;

CREATE OR REPLACE TABLE traffic_by_channel AS
SELECT key AS channel, period, pv, uv, new_uv, events
FROM visitor_counts
WHERE level IN ('channel', 'all')
ORDER BY channel, period;

CREATE OR REPLACE TABLE traffic_by_site AS
SELECT key AS site, period, pv, uv
FROM visitor_counts
WHERE level IN ('site', 'all')
ORDER BY site, period;

CREATE OR REPLACE TABLE funnel_steps AS
SELECT key AS channel, period, visitors, "view", cart, "order", pay, payers, pay_events
FROM visitor_counts
WHERE level IN ('channel', 'all') AND period <> 'baseline' AND visitors > 0
ORDER BY channel, period;
DROP TABLE visitor_counts;

-- === done: the calendar goes (every other intermediate went as soon as it was used) ===========================
DROP TABLE period_days;
DROP TABLE calendar;
DROP TABLE periods;
DROP MACRO with_overall;
DROP MACRO site;
DROP MACRO hours_between;
DROP MACRO in_campaign;
