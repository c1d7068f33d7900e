"""Tiny deterministic data sets in the shapes analysts bring, for the example YAMLs under params/examples/.

Four shapes, each written in its real-world layout so the YAML mapping (not code) has to describe it:

- ``online_retail``: an order-line CSV like the public UCI "Online Retail" set (InvoiceNo, StockCode,
  Description, Quantity, InvoiceDate as ``m/d/Y H:M``, UnitPrice, CustomerID with blanks, Country), with
  "C"-prefixed cancellation invoices carrying negative quantities and POST postage lines;
- ``superstore``: an Excel order-line table like Tableau's "Sample - Superstore" (Order ID, Order Date, Ship
  Date, Ship Mode, Customer ID, Segment, Region, Category, Sub-Category, Product ID, Product Name, Sales,
  Quantity, Discount, Profit), dates as real Excel dates;
- ``taobao``: a behaviour log like Alibaba's Taobao user-behaviour set (user_id, item_id, category_id,
  behavior_type pv / cart / fav / buy, timestamp in unix seconds of Asia/Shanghai days);
- ``marketplace``: a multi-table export like the public Olist set: orders with one customer id per order
  and an estimated delivery date, order items (price, freight), order payments (several per order),
  customers (the person behind each customer id), products with a Portuguese category, a translation.

Every date falls inside the example campaign's calendar (its baseline and phases), read from the YAML, so
the data and the YAML cannot drift apart. ``python -m retro.staging.samples`` rewrites all of them.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..params import CampaignParams, load_params
from ..paths import PROJECT_ROOT

EXAMPLES_DIR = PROJECT_ROOT / "params" / "examples"
EXAMPLES = ("online_retail", "superstore", "taobao", "marketplace")


def campaign_days(params: CampaignParams) -> list[tuple[date, str]]:
    """Each day of the baseline and the phases with its period name, in order."""
    days = []
    periods = ([("baseline", params.baseline)] if params.baseline else []) + [(p.name, p) for p in params.phases]
    for name, period in periods:
        d = period.start
        while d <= period.end:
            days.append((d, name))
            d += timedelta(days=1)
    return days


# Per period, how busy a day is compared with a baseline day.
LIFT = {"baseline": 1.0, "warmup": 1.3, "burst": 3.0, "tail": 1.4}


def _at(d: date, rng: random.Random, start_hour: int = 7, end_hour: int = 23) -> datetime:
    return datetime.combine(d, time(rng.randrange(start_hour, end_hour), rng.randrange(60)))


# --- Online Retail -------------------------------------------------------------------------------------------
RETAIL_PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75),
    ("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 3.39),
    ("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 3.39),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25),
    ("22633", "HAND WARMER UNION JACK", 1.85),
    ("22632", "HAND WARMER RED POLKA DOT", 1.85),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("22745", "POPPY'S PLAYHOUSE BEDROOM", 2.10),
    ("22748", "POPPY'S PLAYHOUSE KITCHEN", 2.10),
    ("22749", "FELTCRAFT PRINCESS CHARLOTTE DOLL", 3.75),
    ("22310", "IVORY KNITTED MUG COSY", 1.65),
    ("84969", "BOX OF 6 ASSORTED COLOUR TEASPOONS", 4.25),
    ("22623", "BOX OF VINTAGE JIGSAW BLOCKS", 4.95),
    ("22622", "BOX OF VINTAGE ALPHABET BLOCKS", 9.95),
    ("21754", "HOME BUILDING BLOCK WORD", 5.95),
    ("21755", "LOVE BUILDING BLOCK WORD", 5.95),
    ("21777", "RECIPE BOX WITH METAL HEART", 7.95),
    ("48187", "DOORMAT NEW ENGLAND", 7.95),
    ("22960", "JAM MAKING SET WITH JARS", 4.25),
    ("22913", "RED COAT RACK PARIS FASHION", 4.95),
    ("22912", "YELLOW COAT RACK PARIS FASHION", 4.95),
    ("22914", "BLUE COAT RACK PARIS FASHION", 4.95),
    ("21756", "BATH BUILDING BLOCK WORD", 5.95),
    ("22728", "ALARM CLOCK BAKELIKE PINK", 3.75),
    ("22727", "ALARM CLOCK BAKELIKE RED", 3.75),
    ("22726", "ALARM CLOCK BAKELIKE GREEN", 3.75),
    ("16016", "LARGE CHINESE STYLE SCISSOR", 0.85),
    ("21724", "PANDA AND BUNNIES STICKER SHEET", 0.85),
    ("23084", "RABBIT NIGHT LIGHT", 2.08),
    ("23355", "HOT WATER BOTTLE KEEP CALM", 4.95),
    ("22086", "PAPER CHAIN KIT 50'S CHRISTMAS", 2.95),
    ("22910", "PAPER CHAIN KIT VINTAGE CHRISTMAS", 2.95),
    ("23301", "GARDENERS KNEELING PAD KEEP CALM", 1.65),
]
RETAIL_COUNTRIES = ["United Kingdom"] * 17 + ["Germany", "France", "EIRE", "Netherlands", "Spain"]


def write_online_retail(params: CampaignParams, out: Path, seed: int = 7) -> Path:
    """An Online Retail-style CSV: invoices of 1-7 lines, cancellations as 'C' invoices, postage lines."""
    rng = random.Random(seed)
    customers = [str(12346 + 7 * i) for i in range(140)]
    country_of = {c: rng.choice(RETAIL_COUNTRIES) for c in customers}
    rows, invoice, history = [], 536365, []
    for d, period in campaign_days(params):
        for _ in range(round(6 * LIFT[period] * rng.uniform(0.8, 1.2))):
            invoice += 1
            when = _at(d, rng, 7, 20)
            anonymous = rng.random() < 0.15
            customer = "" if anonymous else rng.choice(customers)
            country = "United Kingdom" if anonymous else country_of[customer]
            lines = []
            for sku, name, price in rng.sample(RETAIL_PRODUCTS, rng.randint(1, 7)):
                qty = rng.choice([1, 2, 3, 4, 6, 6, 12, 12, 24])
                lines.append((sku, name, qty, price))
            if country != "United Kingdom":
                lines.append(("POST", "POSTAGE", rng.choice([1, 2]), 18.0 if country != "EIRE" else 28.0))
            for sku, name, qty, price in lines:
                rows.append([str(invoice), sku, name, qty, when, price, customer, country])
            if customer:
                history.append((invoice, when, customer, country, lines))
            # a few invoices are cancelled (part of them) a day or two later
            if customer and rng.random() < 0.05:
                cancel_day = when + timedelta(days=rng.choice([0, 1, 2]), hours=rng.randint(1, 3))
                if cancel_day.date() <= params.end:
                    invoice += 1
                    for sku, name, qty, price in lines[: rng.randint(1, len(lines))]:
                        rows.append([f"C{invoice}", sku, name, -qty, cancel_day, price, customer, country])
    rng.shuffle(rows)
    rows.sort(key=lambda r: (r[4], r[0]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
        )
        for inv, sku, name, qty, when, price, customer, country in rows:
            stamp = f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}"
            w.writerow([inv, sku, name, qty, stamp, f"{price:g}", customer, country])
    return out


# --- Superstore ----------------------------------------------------------------------------------------------
SUPERSTORE_PRODUCTS = [
    # (Product ID, Category, Sub-Category, Product Name, list price, cost share)
    ("FUR-BO-10001798", "Furniture", "Bookcases", "Bush Somerset Collection Bookcase", 261.96, 0.80),
    ("FUR-CH-10000454", "Furniture", "Chairs", "Hon Deluxe Fabric Upholstered Stacking Chairs", 243.98, 0.70),
    ("FUR-TA-10000577", "Furniture", "Tables", "Bretford CR4500 Series Slim Rectangular Table", 319.19, 0.95),
    ("FUR-FU-10001487", "Furniture", "Furnishings", "Eldon Expressions Wood and Plastic Desk Accessories", 16.02, 0.70),
    ("OFF-LA-10000240", "Office Supplies", "Labels", "Self-Adhesive Address Labels for Typewriters", 7.31, 0.53),
    ("OFF-ST-10000760", "Office Supplies", "Storage", "Eldon Fold 'N Roll Cart System", 11.18, 0.75),
    ("OFF-AR-10002833", "Office Supplies", "Art", "Newell 322", 3.28, 0.72),
    (
        "OFF-BI-10003910",
        "Office Supplies",
        "Binders",
        "DXL Angle-View Binders with Locking Rings by Samsill",
        6.49,
        0.66,
    ),
    (
        "OFF-AP-10002892",
        "Office Supplies",
        "Appliances",
        "Belkin F9H710-06 7 Outlet SurgeMaster Surge Protector",
        38.22,
        0.73,
    ),
    ("OFF-PA-10002365", "Office Supplies", "Paper", "Xerox 1967", 5.18, 0.52),
    ("OFF-EN-10001509", "Office Supplies", "Envelopes", "Poly String Tie Envelopes", 1.63, 0.55),
    ("TEC-PH-10002275", "Technology", "Phones", "Mitel 5320 IP Phone VoIP phone", 303.92, 0.85),
    ("TEC-AC-10002167", "Technology", "Accessories", "Imation 8gb Micro Traveldrive USB 2.0 Flash Drive", 22.50, 0.60),
    ("TEC-MA-10000822", "Technology", "Machines", "Lexmark MX611dhe Monochrome Laser Printer", 599.99, 0.88),
    ("TEC-CO-10004722", "Technology", "Copiers", "Canon imageCLASS 2200 Advanced Copier", 699.99, 0.70),
]
SHIP_MODES = [("Standard Class", 4, 7, 6), ("Second Class", 2, 4, 2), ("First Class", 1, 3, 1), ("Same Day", 0, 0, 1)]
SEGMENTS = ["Consumer", "Consumer", "Corporate", "Home Office"]
REGIONS = {"West": "California", "East": "New York", "Central": "Texas", "South": "Florida"}


def write_superstore(params: CampaignParams, out: Path, seed: int = 11) -> Path:
    """A Superstore-style workbook (sheet 'Orders'): one row per order line, dates as Excel dates."""
    import pandas as pd

    rng = random.Random(seed)
    customers = [
        f"{a}{b}-{10000 + 15 * i}"
        for i, (a, b) in enumerate(zip("ABCDEFGHJKLMNPRSTVW" * 8, "GHKMBRTS" * 19, strict=False))
    ]
    customers = customers[:120]
    home = {c: (rng.choice(SEGMENTS), rng.choice(list(REGIONS))) for c in customers}
    rows, number = [], 100000
    for d, period in campaign_days(params):
        for _ in range(round(4 * LIFT[period] * rng.uniform(0.7, 1.3))):
            number += rng.randint(1, 40)
            customer = rng.choice(customers)
            segment, region = home[customer]
            mode, lo, hi, _ = rng.choices(SHIP_MODES, weights=[m[3] for m in SHIP_MODES])[0]
            ship = d + timedelta(days=rng.randint(lo, hi))
            discount = rng.choice([0, 0, 0, 0.1, 0.2, 0.2, 0.3] if period == "burst" else [0, 0, 0, 0, 0.2])
            for pid, cat, sub, name, price, cost in rng.sample(SUPERSTORE_PRODUCTS, rng.randint(1, 4)):
                qty = rng.randint(1, 7)
                sales = round(price * qty * (1 - discount), 4)
                profit = round(sales - price * cost * qty, 4)
                rows.append(
                    {
                        "Row ID": len(rows) + 1,
                        "Order ID": f"US-{d.year}-{number}",
                        "Order Date": pd.Timestamp(d),
                        "Ship Date": pd.Timestamp(ship),
                        "Ship Mode": mode,
                        "Customer ID": customer,
                        "Segment": segment,
                        "Country": "United States",
                        "State": REGIONS[region],
                        "Region": region,
                        "Product ID": pid,
                        "Category": cat,
                        "Sub-Category": sub,
                        "Product Name": name,
                        "Sales": sales,
                        "Quantity": qty,
                        "Discount": discount,
                        "Profit": profit,
                    }
                )
    out.parent.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows)
    with pd.ExcelWriter(out, engine="openpyxl") as xl:
        df.to_excel(xl, sheet_name="Orders", index=False)
    return out


# --- Taobao user behaviour ------------------------------------------------------------------------------------
def write_taobao(params: CampaignParams, out: Path, seed: int = 3) -> Path:
    """A Taobao-style behaviour CSV: pv / cart / fav / buy per user and item, unix seconds (Asia/Shanghai)."""
    rng = random.Random(seed)
    zone = ZoneInfo("Asia/Shanghai")
    users = [1000000 + 37 * i for i in range(260)]
    items = [(2000000 + 113 * i, 4000000 + 7 * (i % 12)) for i in range(150)]
    rows = []
    for d, period in campaign_days(params):
        active = rng.sample(users, min(len(users), round(22 * LIFT[period] * rng.uniform(0.8, 1.2))))
        for user in active:
            t = datetime.combine(d, time(rng.randrange(8, 23), rng.randrange(60)), tzinfo=zone)
            for _ in range(rng.choice([1, 1, 2])):  # visits that day, more than 30 minutes apart
                for _ in range(rng.randint(1, 6)):
                    item, category = rng.choice(items)
                    rows.append((user, item, category, "pv", t))
                    t += timedelta(seconds=rng.randint(10, 240))
                    r = rng.random()
                    buy_rate = {"burst": 0.10, "warmup": 0.03}.get(period, 0.05)
                    if r < 0.08:
                        rows.append((user, item, category, "fav", t))
                    elif r < 0.22:
                        rows.append((user, item, category, "cart", t))
                        t += timedelta(seconds=rng.randint(10, 300))
                        if rng.random() < buy_rate / 0.14 * 0.6:
                            rows.append((user, item, category, "buy", t))
                t += timedelta(minutes=rng.randint(45, 150))
                if t.date() != d:
                    break
    rows = [r for r in rows if r[4].date() <= params.end]
    rows.sort(key=lambda r: (r[4], r[0]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "item_id", "category_id", "behavior_type", "timestamp"])
        for user, item, category, kind, t in rows:
            w.writerow([user, item, category, kind, int(t.timestamp())])
    return out


# --- Olist-style marketplace export -----------------------------------------------------------------------------
MARKET_CATEGORIES = [
    ("beleza_saude", "health_beauty"),
    ("cama_mesa_banho", "bed_bath_table"),
    ("esporte_lazer", "sports_leisure"),
    ("informatica_acessorios", "computers_accessories"),
    ("moveis_decoracao", "furniture_decor"),
    ("utilidades_domesticas", "housewares"),
    ("relogios_presentes", "watches_gifts"),
    ("brinquedos", "toys"),
]
MARKET_STATES = ["SP", "SP", "SP", "RJ", "RJ", "MG", "MG", "RS", "PR", "BA", "SC", "PE"]
STATE_TRANSIT_DAYS = {"SP": 3, "RJ": 5, "MG": 5, "RS": 7, "PR": 6, "BA": 9, "SC": 7, "PE": 11}


def _hexid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _stamp(t: datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


def write_marketplace(params: CampaignParams, folder: Path, seed: int = 5) -> list[Path]:
    """The six CSVs of an Olist-style export; every id is a hex string, as Olist's are."""
    rng = random.Random(seed)
    persons = [(_hexid(rng), rng.choice(MARKET_STATES)) for _ in range(220)]
    products = [(_hexid(rng), rng.choice(MARKET_CATEGORIES)[0], round(rng.uniform(15, 400), 2)) for _ in range(60)]
    orders, items, payments, customers = [], [], [], []
    for d, period in campaign_days(params):
        for _ in range(round(9 * LIFT[period] * rng.uniform(0.8, 1.2))):
            oid, cid = _hexid(rng), _hexid(rng)  # a new customer id per order, the person behind it repeats
            person, state = rng.choice(persons)
            customers.append((cid, person, state))
            bought = _at(d, rng, 0, 24)
            r = rng.random()
            status = "delivered" if r < 0.90 else "canceled" if r < 0.94 else "shipped" if r < 0.97 else "created"
            approved = None if status == "created" else bought + timedelta(minutes=rng.randint(5, 600))
            carrier = delivered = None
            if status in ("delivered", "shipped"):
                carrier = approved + timedelta(hours=rng.randint(12, 96))
            if status == "delivered":
                delivered = carrier + timedelta(
                    days=STATE_TRANSIT_DAYS[state] + rng.randint(-2, 5), hours=rng.randint(0, 12)
                )
            promise = datetime.combine(bought.date() + timedelta(days=STATE_TRANSIT_DAYS[state] + 8), time())
            orders.append((oid, cid, status, bought, approved, carrier, delivered, promise))
            total = 0.0
            for n in range(1, rng.choice([1, 1, 1, 2, 3]) + 1):
                sku, _, price = rng.choice(products)
                freight = round(rng.uniform(8, 40), 2)
                items.append((oid, n, sku, _stamp(approved or bought), price, freight))
                total += price + freight
            if status == "created":  # a boleto issued and never paid: the payment row exists all the same
                payments.append((oid, 1, "boleto", 1, round(total, 2)))
            else:
                voucher = round(min(total, rng.choice([0, 0, 0, 10, 20, 30])), 2)
                if voucher:
                    payments.append((oid, 1, "voucher", 1, voucher))
                payments.append(
                    (oid, 2 if voucher else 1, "credit_card", rng.choice([1, 2, 3, 10]), round(total - voucher, 2))
                )
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "orders.csv": (
            [
                "order_id",
                "customer_id",
                "order_status",
                "order_purchase_timestamp",
                "order_approved_at",
                "order_delivered_carrier_date",
                "order_delivered_customer_date",
                "order_estimated_delivery_date",
            ],
            [(o, c, s, *map(_stamp, times)) for o, c, s, *times in orders],
        ),
        "order_items.csv": (
            ["order_id", "order_item_id", "product_id", "shipping_limit_date", "price", "freight_value"],
            [(o, n, sku, when, f"{p:.2f}", f"{f:.2f}") for o, n, sku, when, p, f in items],
        ),
        "order_payments.csv": (
            ["order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"],
            [(o, k, kind, inst, f"{v:.2f}") for o, k, kind, inst, v in payments],
        ),
        "customers.csv": (["customer_id", "customer_unique_id", "customer_state"], customers),
        "products.csv": (["product_id", "product_category_name"], [(sku, cat) for sku, cat, _ in products]),
        "category_translation.csv": (["product_category_name", "product_category_name_english"], MARKET_CATEGORIES),
    }
    written = []
    for file, (header, rows) in tables.items():
        path = folder / file
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        written.append(path)
    return written


WRITERS = {"online_retail": write_online_retail, "superstore": write_superstore, "taobao": write_taobao}
FOLDER_WRITERS = {"marketplace": write_marketplace}  # examples of several files: one folder each


def write_example(name: str, folder: Path = EXAMPLES_DIR) -> list[Path]:
    """Write the sample data of one example YAML to the paths its data.tables name."""
    params = load_params(folder / f"{name}.yaml")
    if name in FOLDER_WRITERS:
        (src, *_) = params.data.tables.values()
        return FOLDER_WRITERS[name](params, params.resolve(src.path).parent)
    written = []
    for src in params.data.tables.values():
        written.append(WRITERS[name](params, params.resolve(src.path)))
    return written


def main() -> None:
    """Rewrite the sample data of every example (``python -m retro.staging.samples``)."""
    import click

    for name in EXAMPLES:
        for path in write_example(name):
            click.echo(f"wrote {path.relative_to(PROJECT_ROOT)} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
