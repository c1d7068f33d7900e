"""Report text in zh and en: labels for channels, phases and shared words, and sentence templates.

Section modules keep their own labels next to the code that uses them and add them with ``register``;
a key is defined once. ``tr`` falls back to the key itself so a missing label is visible, not a crash.
"""

from __future__ import annotations

_MESSAGES: dict[str, tuple[str, str]] = {}

UNKNOWN = "(unknown)"  # the marts' value for a row without a category, region or channel; shown as tr("unknown")


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add (en, zh) labels; a key defined twice with different text is a bug."""
    for key, pair in messages.items():
        if key in _MESSAGES and _MESSAGES[key] != tuple(pair):
            raise ValueError(f"label {key!r} defined twice with different text")
        _MESSAGES[key] = tuple(pair)


def tr(key: str, lang: str, **values) -> str:
    """The label or sentence for ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    pair = _MESSAGES.get(key)
    if pair is None:
        text = key
    else:
        text = pair[1] if lang == "zh" else pair[0]
    return text.format(**values) if values else text


def sentences(parts, lang: str) -> str:
    """Sentences run on as one note: zh sentences end in "。" and join with nothing, en ones with a space."""
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def has(key: str) -> bool:
    """Whether a label exists for ``key``."""
    return key in _MESSAGES


def table_names(names, lang: str) -> str:
    """Canonical tables as a reader names them: en keeps the names (they match the YAML), zh says 订单、物流."""
    names = [n for n in names if n]
    if lang != "zh":
        return ", ".join(names)
    return "、".join(tr(f"table.{n}", lang) if has(f"table.{n}") else n for n in names)


def column_name(name: str, lang: str) -> str:
    """A canonical column as a reader names it (zh: 支付时间); en keeps the name the YAML uses."""
    return tr(f"column.{name}", lang) if lang == "zh" and has(f"column.{name}") else name


def label_values(values, prefix: str, lang: str) -> list[str]:
    """Translate codes such as channel or phase names (``channel.search``), keeping unknown ones as they are."""
    return [tr(f"{prefix}.{v}", lang) if has(f"{prefix}.{v}") else str(v) for v in values]


register(
    {
        # channels (canonical codes in the data) and phases
        "channel.search": ("Search", "搜索"),
        "channel.live": ("Livestream", "直播"),
        "channel.offsite": ("Off-site / KOL", "站外/达人"),
        "channel.private": ("Private domain", "私域"),
        "channel.other": ("Other", "其他"),
        "phase.warmup": ("Warm-up", "预热期"),
        "phase.burst": ("Burst", "爆发期"),
        "phase.tail": ("Tail", "返场期"),
        "phase.baseline": ("Baseline", "日常"),
        "phase.overall": ("Whole campaign", "全周期"),
        "segment.overall": ("Overall", "整体"),
        "status.paid": ("Paid", "已支付"),
        "status.cancelled": ("Cancelled", "已取消"),
        "status.refunded": ("Refunded", "已退款"),
        "status.pending": ("Unpaid (pending)", "待付款"),
        # shared words
        "unknown": ("(unknown)", "（未知）"),
        "other": ("Other", "其他"),
        "date": ("Date", "日期"),
        "hour": ("Hour", "小时"),
        "day": ("Day", "日"),
        "channel": ("Channel", "渠道"),
        "phase": ("Phase", "阶段"),
        "category": ("Category", "品类"),
        "sku": ("SKU", "SKU"),
        "region": ("Region", "地区"),
        "value": ("Value", "数值"),
        "target": ("Target", "目标"),
        "benchmark": ("Benchmark", "基准"),
        "attainment": ("Attainment", "达成率"),
        "actual": ("Actual", "实际"),
        "figure": ("Figure", "指标"),
        "share": ("Share", "占比"),
        "count": ("Count", "数量"),
        "vs_baseline": ("vs baseline", "较日常"),
        "definition": ("Definition", "定义"),
        "n_a_note": (
            "n/a: the figure cannot be computed (its denominator is zero or missing).",
            "n/a：分母为零或缺失，无法计算。",
        ),
        # canonical tables and columns as a zh reader names them (en keeps the YAML's names)
        "table.orders": ("orders", "订单"),
        "table.order_items": ("order_items", "订单明细"),
        "table.products": ("products", "商品"),
        "table.events": ("events", "行为日志"),
        "table.marketing": ("marketing", "营销投放"),
        "table.coupons": ("coupons", "优惠券"),
        "table.inventory": ("inventory", "库存"),
        "table.shipments": ("shipments", "物流"),
        "table.service": ("service", "客服工单"),
        "table.nps": ("nps", "NPS调研"),
        "table.users": ("users", "用户"),
        "table.order_lines": ("order_lines", "订单行"),
        "column.order_id": ("order_id", "订单号"),
        "column.user_id": ("user_id", "客户ID"),
        "column.order_time": ("order_time", "下单时间"),
        "column.pay_time": ("pay_time", "支付时间"),
        "column.status": ("status", "订单状态"),
        "column.channel": ("channel", "渠道"),
        "column.list_amount": ("list_amount", "原价金额"),
        "column.discount_amount": ("discount_amount", "优惠金额"),
        "column.paid_amount": ("paid_amount", "实付金额"),
        "column.freight": ("freight", "运费"),
        "column.is_presale": ("is_presale", "预售标记"),
        "column.province": ("province", "省份"),
        "column.city_tier": ("city_tier", "城市等级"),
        "column.coupon_id": ("coupon_id", "优惠券ID"),
        "column.sku": ("sku", "SKU"),
        "column.quantity": ("quantity", "数量"),
        "column.unit_price": ("unit_price", "单价"),
        "column.unit_cost": ("unit_cost", "单位成本"),
        "column.name": ("name", "商品名称"),
        "column.category": ("category", "品类"),
        "column.brand": ("brand", "品牌"),
        "column.launch_date": ("launch_date", "上市日期"),
        "column.list_price": ("list_price", "标价"),
        "column.is_merchandise": ("is_merchandise", "商品标记"),
        "column.visitor_id": ("visitor_id", "访客ID"),
        "column.event_time": ("event_time", "事件时间"),
        "column.event_type": ("event_type", "事件类型"),
        "column.session_id": ("session_id", "会话ID"),
        "column.dwell_seconds": ("dwell_seconds", "停留秒数"),
        "column.is_derived": ("is_derived", "推导标记"),
        "column.date": ("date", "日期"),
        "column.placement": ("placement", "投放位"),
        "column.is_kol": ("is_kol", "达人标记"),
        "column.spend": ("spend", "投入"),
        "column.impressions": ("impressions", "曝光量"),
        "column.clicks": ("clicks", "点击量"),
        "column.attributed_orders": ("attributed_orders", "归因订单数"),
        "column.attributed_revenue": ("attributed_revenue", "归因销售额"),
        "column.coupon_type": ("coupon_type", "券类型"),
        "column.face_value": ("face_value", "面额"),
        "column.issued": ("issued", "发放量"),
        "column.redeemed": ("redeemed", "核销量"),
        "column.snapshot_time": ("snapshot_time", "快照时间"),
        "column.stock_on_hand": ("stock_on_hand", "库存量"),
        "column.replenished": ("replenished", "补货标记"),
        "column.shipped_time": ("shipped_time", "发货时间"),
        "column.delivered_time": ("delivered_time", "送达时间"),
        "column.carrier": ("carrier", "承运商"),
        "column.region": ("region", "地区"),
        "column.promised_hours": ("promised_hours", "承诺时效（小时）"),
        "column.promised_time": ("promised_time", "承诺送达时间"),
        "column.ticket_id": ("ticket_id", "工单号"),
        "column.created_time": ("created_time", "创建时间"),
        "column.first_response_seconds": ("first_response_seconds", "首次响应秒数"),
        "column.resolved_time": ("resolved_time", "解决时间"),
        "column.ticket_type": ("ticket_type", "工单类型"),
        "column.reason": ("reason", "原因"),
        "column.satisfaction": ("satisfaction", "满意度"),
        "column.respondent_id": ("respondent_id", "答卷人ID"),
        "column.survey_time": ("survey_time", "调研时间"),
        "column.score": ("score", "评分"),
        "column.registered_at": ("registered_at", "注册时间"),
        "column.is_member": ("is_member", "会员标记"),
        "column.profit": ("profit", "利润"),
        "column.discount_rate": ("discount_rate", "折扣率"),
        # section states
        "section.failed": ("This section could not be built.", "本章节生成失败。"),
        "section.missing_data": (
            "Not built: the campaign's data has no {tables} table.",
            "未生成：本次活动数据未提供{tables}数据。",
        ),
        "section.no_findings": (
            "No finding in this section crossed a target or benchmark.",
            "本章节没有触及目标或基准的结论。",
        ),
        # findings
        "finding.highlight": ("Highlight", "亮点"),
        "finding.problem": ("Problem", "问题"),
        "finding.action": ("Action", "建议"),
        "finding.money_cost": ("Money effect", "金额影响"),
        "notes.title": ("The team's notes", "团队记录"),
        "moment.coincides": ("It coincides with {labels}.", "恰逢{labels}。"),
        "finding.target_met": (
            "{label} {value} reached {attainment} of the {target} target.",
            "{label} {value}，达成目标 {target} 的 {attainment}。",
        ),
        "finding.target_missed": (
            "{label} {value} reached only {attainment} of the {target} target.",
            "{label} {value}，仅达成目标 {target} 的 {attainment}。",
        ),
        "finding.better_than_benchmark": (
            "{label}{segment} {value} beats the {reference} benchmark.",
            "{label}{segment} {value}，优于基准 {reference}。",
        ),
        "finding.worse_than_benchmark": (
            "{label}{segment} {value} is worse than the {reference} benchmark.",
            "{label}{segment} {value}，差于基准 {reference}。",
        ),
        "finding.rule_above": (
            "{label}{segment} {value} is above {threshold}.",
            "{label}{segment} {value}，高于 {threshold}。",
        ),
        "finding.rule_below": (
            "{label}{segment} {value} is below {threshold}.",
            "{label}{segment} {value}，低于 {threshold}。",
        ),
        "finding.see_section": ("see {section}", "见{section}"),
    }
)
