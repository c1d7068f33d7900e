"""Figures that must agree across sections, checked from the marts on every run.

Each check compares one headline figure with the same figure rebuilt from another mart. The executive summary
shows a failed check as a problem citing both numbers; the data-quality appendix lists every check with its
status. What must agree, and why:

- GMV = sum of GMV by channel = sum of GMV by campaign day: the same orders (placed in the campaign window)
  grouped differently; a difference is a bug in the marts, never in the data.
- Net sales = net sales by category + non-merchandise lines: both count paid campaign orders, the first from
  the order table, the second from its lines (unknown SKUs fall under category "(unknown)", so nothing is
  dropped between them), plus the orders' freight where the export gives it (a fee on no line). They agree when
  each paid order's lines (and freight) add up to its paid amount, as the order_items contract says; a difference
  means orders without lines, lines without an order, or order totals holding amounts that are on no line
  (shipping fees not mapped as freight, order-level discounts). Line amounts are often rounded per line,
  hence a tolerance of 0.5%.
- New + returning customers = paying buyers: the users section splits the buyers the sales section counts
  (a paid order without a user id is a difference).
- Paid orders = pay events: enforced only when the orders were derived from the event log (same data);
  otherwise the two come from different systems (pay events include orders refunded later, and are dated by
  payment, not by order), so the check is informational and shows both numbers without a verdict.
"""

from __future__ import annotations

from . import formatting as fmt
from .context import SectionContext
from .findings import Finding
from .i18n import register, tr
from .quality import Check
from .registry import SECTIONS

QUALITY_SECTION = "quality"

register(
    {
        "quality.check.gmv_by_channel": ("GMV by channel", "分渠道GMV"),
        "quality.check.gmv_by_day": ("GMV by day", "分日GMV"),
        "quality.check.net_sales_by_category": ("Net sales by category", "分品类净销售额"),
        "quality.check.new_plus_returning": ("New + returning customers", "新客+老客"),
        "quality.check.paid_orders_vs_pay_events": ("Paid orders vs pay events", "支付订单与支付事件"),
        "quality.side.gmv": ("GMV (sales)", "GMV（销售）"),
        "quality.side.gmv_channels": ("Sum of GMV by channel", "各渠道GMV之和"),
        "quality.side.gmv_days": ("Sum of GMV by campaign day", "活动期每日GMV之和"),
        "quality.side.net_sales": ("Net sales (sales)", "净销售额（销售）"),
        "quality.side.category_lines": (
            "Net sales by category + non-merchandise lines",
            "各品类净销售额+非商品行",
        ),
        "quality.side.category_lines_freight": (
            "Net sales by category + non-merchandise lines + freight",
            "各品类净销售额+非商品行+运费",
        ),
        "quality.side.buyers": ("Paying buyers (sales)", "支付买家数（销售）"),
        "quality.side.new_returning": ("New + returning customers (users)", "新客+老客（用户）"),
        "quality.side.paid_orders": ("Paid orders (sales)", "支付订单数（销售）"),
        "quality.side.pay_events": ("Pay events (funnel)", "支付事件数（转化）"),
        "quality.check_failed": (
            "Figures disagree: {check}: {left_label} {left} vs {right_label} {right}.",
            "数据不一致：{check}：{left_label} {left}，{right_label} {right}。",
        ),
        "quality.action.gmv_by_channel": (
            "A bug in the kit's sales marts: report it with the campaign YAML.",
            "工具销售数据集存在缺陷：请附活动YAML反馈。",
        ),
        "quality.action.gmv_by_day": (
            "A bug in the kit's sales marts: report it with the campaign YAML.",
            "工具销售数据集存在缺陷：请附活动YAML反馈。",
        ),
        "quality.action.net_sales_by_category": (
            "Check that every paid order has its lines and that line amounts add up to the order's paid amount "
            "(shipping fees and order-level discounts are on no line); category shares use the lines.",
            "检查每笔已支付订单是否都有明细、明细金额之和是否等于订单支付金额（运费与整单优惠不在明细中）；"
            "品类占比按明细计算。",
        ),
        "quality.action.new_plus_returning": (
            "Give every paid order a user id: buyers without one are counted differently by the two sections.",
            "为每笔已支付订单补全用户ID：缺少用户ID的买家在两个章节中计数方式不同。",
        ),
        "quality.action.paid_orders_vs_pay_events": (
            "Check how the event log's pay events were derived from the orders.",
            "检查事件日志中的支付事件如何由订单生成。",
        ),
    }
)

# Unit of each check's two numbers and its relative tolerance.
UNITS = {
    "gmv_by_channel": "money",
    "gmv_by_day": "money",
    "net_sales_by_category": "money",
    "new_plus_returning": "count",
    "paid_orders_vs_pay_events": "count",
}
TOLERANCE = {"net_sales_by_category": 0.005, "new_plus_returning": 0.0, "paid_orders_vs_pay_events": 0.0}


def agree(left: float | None, right: float | None, tolerance: float) -> bool | None:
    """Whether two figures agree within a relative tolerance (None when either is missing)."""
    if fmt.is_missing(left) or fmt.is_missing(right):
        return None
    scale = max(abs(left), abs(right), 1.0)
    return abs(left - right) <= tolerance * scale + 1e-9


def _check(name: str, lang: str, left_key: str, left, right_key: str, right, enforce: bool = True) -> Check:
    tol = TOLERANCE.get(name, 1e-6)
    left = None if fmt.is_missing(left) else float(left)
    right = None if fmt.is_missing(right) else float(right)
    return Check(
        name,
        tr(f"quality.side.{left_key}", lang),
        left,
        tr(f"quality.side.{right_key}", lang),
        right,
        agree(left, right, tol) if enforce else None,
        tol,
    )


def _overall(df, column: str, **where):
    for k, v in where.items():
        df = df[df[k] == v]
    return df[column].sum() if not df.empty else 0


def orders_from_events(ctx: SectionContext) -> bool:
    """Whether the orders were derived from the event log (no orders or order-line source of their own)."""
    from .staging.plan import table_sources

    given = table_sources(ctx.params)
    return "events" in given and "orders" not in given and "order_lines" not in given


def run_checks(ctx: SectionContext) -> list[Check]:
    """Every consistency check whose marts were built, in a fixed order."""
    lang = ctx.lang
    checks: list[Check] = []
    if not ctx.has_mart("sales_by_period"):
        return checks
    period = ctx.mart("sales_by_period")
    gmv = _overall(period, "gmv", period="overall")
    if ctx.has_mart("sales_by_channel"):
        ch = ctx.mart("sales_by_channel")
        checks.append(_check("gmv_by_channel", lang, "gmv", gmv, "gmv_channels", _overall(ch, "gmv", period="overall")))
    if ctx.has_mart("sales_daily"):
        daily = ctx.mart("sales_daily")
        days = daily[daily["period"].isin([ph.name for ph in ctx.params.phases])]
        checks.append(_check("gmv_by_day", lang, "gmv", gmv, "gmv_days", days["gmv"].sum()))
    if ctx.has_mart("sales_by_category") and ctx.has_mart("sales_excluded_lines"):
        lines = ctx.mart("sales_by_category")["net_sales"].sum() + ctx.mart("sales_excluded_lines")["net_sales"].sum()
        net = _overall(period, "net_sales", period="overall")
        freight = _overall(period, "freight", period="overall") if ctx.has("order_freight") else None
        side = "category_lines" if freight is None else "category_lines_freight"
        checks.append(_check("net_sales_by_category", lang, "net_sales", net, side, lines + (freight or 0)))
    if ctx.has_mart("users_new_returning"):
        nr = ctx.mart("users_new_returning")
        nr = nr[(nr["period"] == "overall") & nr["customer_type"].isin(["new", "returning"])]
        buyers = _overall(period, "buyers", period="overall")
        checks.append(_check("new_plus_returning", lang, "buyers", buyers, "new_returning", nr["buyers"].sum()))
    if ctx.has_mart("funnel_steps"):
        f = ctx.mart("funnel_steps")
        pay = _overall(f, "pay_events", channel="all", period="overall")
        paid = _overall(period, "paid_orders", period="overall")
        checks.append(
            _check(
                "paid_orders_vs_pay_events",
                lang,
                "paid_orders",
                paid,
                "pay_events",
                pay,
                enforce=orders_from_events(ctx),
            )
        )
    return checks


def exact(value, unit: str, currency: str = "CNY") -> str:
    """A check's number in full (no 万 / M abbreviation), so a small difference stays visible."""
    if fmt.is_missing(value):
        return fmt.NA
    if unit == "money":
        sym = fmt.SYMBOLS.get(currency, currency + " ")
        return f"{'-' if value < 0 else ''}{sym}{abs(value):,.2f}"
    return f"{value:,.0f}"


def check_findings(ctx: SectionContext, checks: list[Check]) -> list[Finding]:
    """A problem finding per failed check, citing both numbers and linking to the appendix."""
    out = []
    section = QUALITY_SECTION if QUALITY_SECTION in ctx.params.enabled_sections else "sales"
    for c in checks:
        if c.ok is not False:
            continue
        unit = UNITS.get(c.name, "count")
        text = tr(
            "quality.check_failed",
            ctx.lang,
            check=tr(f"quality.check.{c.name}", ctx.lang),
            left_label=c.left_label,
            left=exact(c.left, unit, ctx.currency),
            right_label=c.right_label,
            right=exact(c.right, unit, ctx.currency),
        )
        f = Finding(
            "problem",
            f"check_{c.name}",
            section,
            None,
            c.left,
            c.right,
            text,
            tr(f"quality.action.{c.name}", ctx.lang),
            float("inf"),  # a figure that disagrees with itself comes before any miss against a target
        )
        f.section_title = SECTIONS[section].title(ctx.lang)
        out.append(f)
    return out
