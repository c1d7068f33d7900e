"""The bad-input corpus: every broken input an analyst is likely to bring, and the exact line it must produce.

Each folder under ``tests/corpus/`` is one case:

- ``campaign.yaml``: the campaign as the analyst wrote it (``$PG_URL`` is replaced by the test server's URL);
- ``data/...``: files that replace the base campaign's (``write_base`` writes a valid base of small CSVs into
  ``data/`` first, so a case only carries what it breaks);
- ``expected.yaml``: ``about`` (what the case checks, one line), ``command`` (check by default, or run),
  ``exit`` (exit code), ``stderr`` (every line on stderr, exactly), ``warnings`` (every ``warning:`` line on
  stdout, exactly; ``[]`` when none), ``notes`` (every ``note:`` line but the sections' "no data" ones:
  what an export does by design, such as a derived table or rows outside the campaign); optionally ``staged``
  (values as the marts read them after parsing, per table and key), ``make`` (a generator below, for data too
  large or binary to keep in the folder), ``env`` (environment variables), ``needs: postgres``, ``e2e: true``
  (a full ``retro run`` executing notebooks), ``assert`` (a named extra check below) and ``xfail`` (why the
  kit does not pass it yet).

Every case also checks: no traceback or internal error, no secret from ``env`` in any message, and nothing
written: ``retro check`` leaves the case folder unchanged, a refused ``retro run`` creates no output folder.
Checks run in-process (fast); only the e2e cases start ``retro run`` as a subprocess.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pg_server import pg_server  # noqa: F401  (the fixture, for the database cases)
from retro.cli import main

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())

# --- the valid base campaign ---------------------------------------------------------------------------
# Demo calendar: baseline Oct 14-27, warm-up Nov 4-10, burst Nov 11-13, tail Nov 14-18.

ORDERS = """\
order_id,user_id,order_time,pay_time,status,channel,paid_amount
B001,u1,2026-10-15 10:00:00,2026-10-15 10:01:00,paid,search,120.00
B002,u2,2026-10-20 21:00:00,2026-10-20 21:02:00,paid,live,80.00
W001,u1,2026-11-05 09:00:00,2026-11-05 09:03:00,paid,search,200.00
W002,u3,2026-11-08 20:15:00,2026-11-08 20:16:00,paid,live,160.00
W003,u4,2026-11-08 12:00:00,,cancelled,search,99.00
U001,u2,2026-11-11 00:05:00,2026-11-11 00:06:00,paid,live,320.00
U002,u5,2026-11-11 00:20:00,2026-11-11 00:21:00,paid,search,260.00
U003,u6,2026-11-11 14:00:00,2026-11-11 14:05:00,refunded,private,180.00
U004,u3,2026-11-13 22:30:00,2026-11-13 22:31:00,paid,search,90.00
T001,u7,2026-11-15 11:00:00,2026-11-15 11:02:00,paid,private,60.00
T002,u1,2026-11-18 23:00:00,2026-11-18 23:01:00,paid,search,140.00
"""

ORDER_ITEMS = """\
order_id,sku,quantity,unit_price,paid_amount
B001,S1,1,120.00,120.00
B002,S2,1,80.00,80.00
W001,S1,1,120.00,110.00
W001,S3,1,90.00,90.00
W002,S2,2,80.00,160.00
W003,S4,1,99.00,99.00
U001,S1,2,120.00,220.00
U001,S3,1,100.00,100.00
U002,S2,2,80.00,150.00
U002,S4,1,110.00,110.00
U003,S3,2,90.00,180.00
U004,S2,1,80.00,80.00
U004,POST,1,10.00,10.00
T001,S4,1,60.00,60.00
T002,S1,1,140.00,140.00
"""

PRODUCTS = """\
sku,name,category,unit_cost,is_merchandise
S1,Face cream,skin,40.00,true
S2,Serum,skin,30.00,true
S3,Lipstick,makeup,25.00,true
S4,Sheet mask,face,20.00,true
POST,Postage,fee,0.00,false
"""

MARKETING = """\
date,channel,spend,impressions,clicks,attributed_orders,attributed_revenue
2026-11-04,search,500.00,10000,300,2,300.00
2026-11-11,live,800.00,20000,500,3,600.00
2026-11-14,private,100.00,2000,50,1,60.00
"""


def events_csv() -> str:
    """view -> cart -> order -> pay before each paid order (minutes apart), plus browsers who never buy."""
    rows = ["visitor_id,user_id,event_time,channel,event_type,session_id"]
    for line in ORDERS.splitlines()[1:]:
        oid, user, when, _pay, status, channel, _amount = line.split(",")
        hh, mm = int(when[11:13]), int(when[14:16])
        steps = ("view", "cart", "order", "pay") if status == "paid" else ("view", "cart", "order")
        for k, step in enumerate(steps):
            minute = hh * 60 + mm - 3 + k  # every order is placed after 00:03
            at = f"{when[:10]} {minute // 60:02d}:{minute % 60:02d}:00"
            rows.append(f"v_{user},{user},{at},{channel},{step},s_{oid}")
    for day in ("2026-10-16", "2026-11-06", "2026-11-12", "2026-11-16"):
        v = f"v_x{day[-2:]}"
        rows += [f"{v},,{day} 15:00:00,offsite,view,s_{v}", f"{v},,{day} 15:01:00,offsite,cart,s_{v}"]
    return "\n".join(rows) + "\n"


BASE = {
    "orders.csv": ORDERS,
    "order_items.csv": ORDER_ITEMS,
    "products.csv": PRODUCTS,
    "events.csv": events_csv(),
    "marketing.csv": MARKETING,
}


def write_base(root: Path) -> None:
    """The base campaign's data files under ``root/data`` (cases replace some of them)."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, text in BASE.items():
        (data / name).write_text(text, encoding="utf-8")


# --- generators for data kept out of the folders -------------------------------------------------------


def make_gbk_orders(root: Path) -> None:
    """orders.csv with Chinese channel names, saved in GBK (as Excel on a Chinese Windows saves it)."""
    text = ORDERS.replace(",search,", ",搜索,").replace(",live,", ",直播,").replace(",private,", ",私域,")
    (root / "data" / "orders.csv").write_bytes(text.encode("gbk"))


def make_ten_thousand_categories(root: Path) -> None:
    """10 000 products, each its own category, each sold once in the burst."""
    n = 10_000
    products = ["sku,name,category,unit_cost"] + [f"K{i:05d},Item {i},cat-{i:05d},1.00,true" for i in range(n)]
    orders = [ORDERS.strip()] + [
        f"K{i:05d},k{i % 500},2026-11-12 {10 + i // 1000:02d}:{(i // 20) % 60:02d}:00,"
        f"2026-11-12 {10 + i // 1000:02d}:{(i // 20) % 60:02d}:30,paid,search,{5 + i % 97}.00"
        for i in range(n)
    ]
    items = [ORDER_ITEMS.strip()] + [f"K{i:05d},K{i:05d},1,{5 + i % 97}.00,{5 + i % 97}.00" for i in range(n)]
    data = root / "data"
    (data / "products.csv").write_text(PRODUCTS + "\n".join(products[1:]) + "\n", encoding="utf-8")
    (data / "orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    (data / "order_items.csv").write_text("\n".join(items) + "\n", encoding="utf-8")


def make_excel_orders(root: Path) -> None:
    """orders as an Excel workbook whose only sheet is called 订单."""
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO(ORDERS), dtype=str)
    with pd.ExcelWriter(root / "data" / "orders.xlsx") as xl:
        df.to_excel(xl, sheet_name="订单", index=False)


def make_corrupt_parquet(root: Path) -> None:
    """A file named .parquet that is not Parquet (a failed download)."""
    (root / "data" / "orders.parquet").write_bytes(b"<html>404 Not Found</html>\n")


def _orders_frame():
    import io

    import pandas as pd

    return pd.read_csv(io.StringIO(ORDERS), dtype=str)


def make_parquet_int_dates(root: Path) -> None:
    """orders.parquet whose times are integers: order_time 20261111 (a date), pay_time 20261111000600."""
    df = _orders_frame()
    df["order_time"] = df["order_time"].str[:10].str.replace("-", "").astype("int64")
    digits = df["pay_time"].str.replace(r"[- :]", "", regex=True)
    df["pay_time"] = digits.where(digits.str.len() > 0).astype("Int64")
    df["paid_amount"] = df["paid_amount"].astype(float)
    df.to_parquet(root / "data" / "orders.parquet", index=False)


def make_parquet_nan_amounts(root: Path) -> None:
    """orders.parquet with float amounts, one NaN (pandas' missing value) and one infinity."""
    df = _orders_frame()
    df["paid_amount"] = df["paid_amount"].astype(float)
    df.loc[df["order_id"] == "U002", "paid_amount"] = float("nan")
    df.loc[df["order_id"] == "T001", "paid_amount"] = float("inf")
    df.to_parquet(root / "data" / "orders.parquet", index=False)


def make_nul_in_channel(root: Path) -> None:
    """orders.csv where one channel value carries a NUL byte and a tab inside it ("sea\\0rch")."""
    text = ORDERS.replace(
        "U002,u5,2026-11-11 00:20:00,2026-11-11 00:21:00,paid,search",
        "U002,u5,2026-11-11 00:20:00,2026-11-11 00:21:00,paid,sea\x00rch",
    )
    text = text.replace(
        "T002,u1,2026-11-18 23:00:00,2026-11-18 23:01:00,paid,search",
        "T002,u1,2026-11-18 23:00:00,2026-11-18 23:01:00,paid,search\x07",
    )
    (root / "data" / "orders.csv").write_bytes(text.encode("utf-8"))


def _extra_orders(n: int) -> list[str]:
    return [f"X{i:05d},u{i % 50},2026-11-12 10:00:00,2026-11-12 10:01:00,paid,search,10.00" for i in range(n)]


def make_late_ragged_row(root: Path) -> None:
    """6 000 more orders; the 4 501st of them has an extra field (past the rows a sniffer samples)."""
    extra = _extra_orders(6000)
    extra[4500] += ",9"
    (root / "data" / "orders.csv").write_text(ORDERS + "\n".join(extra) + "\n", encoding="utf-8")


def make_over_long_line(root: Path) -> None:
    """A channel value of 3 million characters on line 6 (a broken export glued a blob into one row)."""
    rows = ORDERS.splitlines()
    rows.insert(5, "W099,u9,2026-11-05 09:00:00,2026-11-05 09:03:00,paid," + "x" * 3_000_000 + ",1.00")
    (root / "data" / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def make_bom_then_gbk(root: Path) -> None:
    """orders.csv in GBK with Chinese headers and channels, behind a UTF-8 byte-order mark (a tool added it)."""
    text = ORDERS.replace("order_id,user_id,order_time", "订单号,user_id,order_time").replace(",live,", ",直播,")
    (root / "data" / "orders.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("gbk"))


def make_excel_repeated_header(root: Path) -> None:
    """orders.xlsx whose sheet has two 支付金额 columns (the paid and the refunded amount, both so named)."""
    import pandas as pd

    df = _orders_frame().rename(columns={"paid_amount": "支付金额"})
    df.insert(len(df.columns), "支付金额 ", "0")
    with pd.ExcelWriter(root / "data" / "orders.xlsx") as xl:
        df.to_excel(xl, sheet_name="订单", index=False)


def make_parquet_epoch_seconds(root: Path) -> None:
    """orders.parquet whose order_time is unix seconds as integers (1794360600): still read as an instant."""
    import pandas as pd

    df = _orders_frame()
    local = pd.to_datetime(df["order_time"]).dt.tz_localize("Asia/Shanghai")
    df["order_time"] = (local.dt.tz_convert("UTC") - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    df["order_time"] = df["order_time"].astype("int64")
    df["paid_amount"] = df["paid_amount"].astype(float)
    df.to_parquet(root / "data" / "orders.parquet", index=False)


def make_parquet_events(root: Path) -> None:
    """events.parquet from the case's events.csv, typed as a warehouse writes it: a log the kit reads from its
    files at each use, whose checks are counted in the mapping's own scan."""
    import pandas as pd

    df = pd.read_csv(root / "data" / "events.csv", dtype=str, keep_default_na=False)
    df = df.replace("", None)
    df["event_time"] = pd.to_datetime(df["event_time"])
    df.to_parquet(root / "data" / "events.parquet", index=False)
    (root / "data" / "events.csv").unlink()


MAKERS = {
    "parquet_events": make_parquet_events,
    "parquet_epoch_seconds": make_parquet_epoch_seconds,
    "excel_repeated_header": make_excel_repeated_header,
    "late_ragged_row": make_late_ragged_row,
    "over_long_line": make_over_long_line,
    "bom_then_gbk": make_bom_then_gbk,
    "parquet_int_dates": make_parquet_int_dates,
    "parquet_nan_amounts": make_parquet_nan_amounts,
    "nul_in_channel": make_nul_in_channel,
    "gbk_orders": make_gbk_orders,
    "ten_thousand_categories": make_ten_thousand_categories,
    "excel_orders": make_excel_orders,
    "corrupt_parquet": make_corrupt_parquet,
}


# --- extra checks on a case's outputs ------------------------------------------------------------------


def assert_roi_reads_na(root: Path) -> None:
    """Zero spend: ROI and ROAS read n/a on the marketing section, never inf or 0."""
    from retro.context import SectionContext
    from retro.marts.build import build_marts
    from retro.params import load_params
    from retro.sections import SECTIONS, marketing

    params = load_params(root / "campaign.yaml")
    run = root / "run"
    build_marts(params, run)
    ctx = SectionContext(SECTIONS["marketing"], params, run)
    table = marketing.kpi_table(ctx)
    assert "inf" not in table._repr_html_()
    assert ctx.figure("roi") is None and ctx.figure("roas") is None
    shown = dict(zip(table.df["figure"], table.df["value"], strict=True))
    assert shown["ROI"] == "n/a" and shown["ROAS"] == "n/a", shown


def assert_payload_escaped(root: Path) -> None:
    """The category name's markup shows as text on the sales page and in the appendix, never as markup."""
    report = root / "run" / "report"
    sales = (report / "01_sales.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in sales or "&lt;script&gt;" in sales
    for page in report.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text, page.name


def assert_top_n_plus_other(root: Path) -> None:
    """10 000 categories: the sales page's category tables hold at most top_n + 1 rows ("Other (n)")."""
    import json

    nb = json.loads((root / "run" / "notebooks" / "01_sales.ipynb").read_text(encoding="utf-8"))
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] for o in c.get("outputs", []))
    top_n = yaml.safe_load((root / "campaign.yaml").read_text(encoding="utf-8"))["settings"]["top_n"]
    tables = re.findall(r"<table class=\"retro-table\">.*?</table>", html, flags=re.S)
    tables = [t for t in tables if 'scope="col">Category</th>' in t]
    assert len(tables) >= 2  # the SKU ranking and the margin table by category
    for t in tables:
        assert t.count("<tr>") - 1 <= top_n + 1, "a table lists more than top_n + 1 rows"
    assert re.search(r"Other \(\d{4,}\)", html), "the rest of the categories is summed into 'Other (n)'"


def assert_sales_section_renders(root: Path) -> None:
    """Every table and chart of the sales section renders on the case's data."""
    from retro.context import SectionContext
    from retro.marts.build import build_marts
    from retro.params import load_params
    from retro.sections import SECTIONS, sales

    params = load_params(root / "campaign.yaml")
    build_marts(params, root / "run")
    ctx = SectionContext(SECTIONS["sales"], params, root / "run")
    for name in ("kpi_table", "gross_vs_net", "daily_chart", "hourly_chart", "category_chart", "margin_table"):
        shown = getattr(sales, name)(ctx)
        assert shown._repr_html_(), name


ASSERTS = {
    "sales_section_renders": assert_sales_section_renders,
    "roi_reads_na": assert_roi_reads_na,
    "payload_escaped": assert_payload_escaped,
    "top_n_plus_other": assert_top_n_plus_other,
}


# --- running a case ------------------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def prepare(case: str, root: Path, expected: dict, request) -> None:
    """The base data, then the case's files over it, then its generator; $PG_URL filled in."""
    write_base(root)
    src = CORPUS / case
    for p in src.rglob("*"):
        if p.is_file() and p.name != "expected.yaml":
            dest = root / p.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
    if expected.get("make"):
        MAKERS[expected["make"]](root)
    if expected.get("needs") == "postgres":
        server = request.getfixturevalue("pg_server")
        server.execute("DROP TABLE IF EXISTS orders; CREATE TABLE orders (order_id text, paid_amount numeric)")
        text = (root / "campaign.yaml").read_text(encoding="utf-8")
        (root / "campaign.yaml").write_text(text.replace("$PG_URL", server.url()), encoding="utf-8")


def invoke(args: list[str], root: Path, env: dict, subprocess_run: bool) -> tuple[int, str, str]:
    """``retro <args>`` in the case folder: in-process for speed, as a subprocess for full runs."""
    if subprocess_run:
        r = subprocess.run(
            [sys.executable, "-m", "retro.cli", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, **env},
        )
        return r.returncode, r.stdout, r.stderr
    old = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=True)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _params() -> list:
    out = []
    for case_name in CASES:
        expected = yaml.safe_load((CORPUS / case_name / "expected.yaml").read_text(encoding="utf-8"))
        marks = [pytest.mark.e2e] if expected.get("e2e") else []
        if expected.get("xfail"):
            marks.append(pytest.mark.xfail(reason=expected["xfail"], strict=True))
        out.append(pytest.param(case_name, marks=marks, id=case_name))
    return out


@pytest.mark.parametrize("case", _params())
def test_case(case, tmp_path, request):
    expected = yaml.safe_load((CORPUS / case / "expected.yaml").read_text(encoding="utf-8"))
    root = tmp_path / case
    prepare(case, root, expected, request)
    command = expected.get("command", "check")
    args = [command, "campaign.yaml"] + (["--output", "outputs/run", "--jobs", "2"] if command == "run" else [])
    before = _snapshot(root)
    env = {str(k): str(v) for k, v in (expected.get("env") or {}).items()}
    code, out, err = invoke(args, root, env, subprocess_run=bool(expected.get("e2e")))

    assert "Traceback" not in out + err and "internal error" not in err, err
    assert not any(secret and secret in out + err for secret in env.values()), "a secret from the environment was shown"
    assert code == expected["exit"], f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert err.splitlines() == expected.get("stderr", []), err
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert warnings == expected.get("warnings", []), out
    notes = [line for line in out.splitlines() if line.startswith("note: ") and not line.startswith("note: section ")]
    assert notes == expected.get("notes", []), out  # what an export does by design: a note, not a warning
    if command == "check":
        assert _snapshot(root) == before, "retro check must not write anything"
    if code != 0:
        assert _snapshot(root) == before, "a refused input must leave nothing behind"
        assert not (root / "outputs").exists()
        assert "ok:" not in out and "report:" not in out
    if command == "run" and code == 0:
        shutil.move(str(root / "outputs" / "run"), str(root / "run"))
    if expected.get("staged"):
        assert_staged(root, expected["staged"])
    if command == "check" and code == 0 and warnings:
        assert_said_in_zh(root)
    if expected.get("assert"):
        ASSERTS[expected["assert"]](root)


def assert_staged(root: Path, wanted: dict) -> None:
    """Values as the marts will read them: ``{table: {key value: {column: value}}}`` (times as text)."""
    import ibis
    from retro.params import load_params
    from retro.schema import TABLES
    from retro.staging.stage import stage_tables

    params = load_params(root / "campaign.yaml")
    con = ibis.duckdb.connect()
    tables, _ = stage_tables(con, params)
    for table, rows in wanted.items():
        key = (TABLES[table].key or (TABLES[table].columns[0].name,))[0]  # order lines: their order's first line
        df = tables[table].execute().set_index(key)
        for k, columns in rows.items():
            for column, value in columns.items():
                got = df.loc[[k], column].iloc[0]
                got = str(got) if hasattr(got, "isoformat") else got
                assert got == value, (table, k, column, got, value)


def assert_said_in_zh(root: Path) -> None:
    """Every warning has its zh text for a zh report's appendix, filled with its values (no fallback)."""
    from retro.params import load_params
    from retro.sections import quality_text
    from retro.validate import check_data

    for p in check_data(load_params(root / "campaign.yaml")):
        assert quality_text.has_text(p), f"no zh text for {p.message!r}: {p.line()}"
        assert "retro check" not in quality_text.what(p, "zh"), f"{p.message!r} misses a value: {p.args}"


def test_corpus_is_large_enough_and_every_case_says_what_it_checks():
    assert len(CASES) >= 40
    for case in CASES:
        expected = yaml.safe_load((CORPUS / case / "expected.yaml").read_text(encoding="utf-8"))
        assert isinstance(expected.get("exit"), int), case
        assert (CORPUS / case / "campaign.yaml").is_file(), case
        assert expected.get("about"), f"{case}: say in one line what the case checks"
