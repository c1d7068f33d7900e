"""The headline figures a retrospective reports, each named once: label, unit, direction, definition.

Sections record figures under these keys; the YAML's targets and benchmarks may only name these keys
(a typo is an error, not a silently ignored target); findings and KPI cards read labels and directions
from here. The definition text is what the report's glossary and the docs show.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FigureSpec:
    """What a figure means and how to judge it."""

    key: str
    section: str
    unit: str  # money | count | pct | ratio | seconds | hours | score
    better: str  # higher | lower | neutral
    en: str
    zh: str
    definition: str
    action_en: str = ""
    action_zh: str = ""


def _f(key, section, unit, better, en, zh, definition, action_en="", action_zh=""):
    return FigureSpec(key, section, unit, better, en, zh, definition, action_en, action_zh)


_SPECS = [
    # --- sales -------------------------------------------------------------------------------------
    _f("gmv", "sales", "money", "higher", "GMV", "GMV（成交总额）",
       "Sum of paid_amount of orders placed in the campaign window, including orders later cancelled or "
       "refunded.",
       "Revisit the traffic and conversion plan for the next campaign; the gap is sized in the sales section.",
       "复盘流量与转化计划，缺口大小见销售章节。"),
    _f("net_sales", "sales", "money", "higher", "Net sales", "净销售额",
       "GMV less cancelled and refunded orders (status = paid only).",
       "Cut cancellations and refunds: see the refund reasons in the service section.",
       "减少取消与退款：见客服章节的退款原因。"),
    _f("orders", "sales", "count", "higher", "Orders placed", "下单数",
       "Orders placed in the campaign window, any status.",
       "Widen the top of the funnel: more warm-up traffic and cart reminders before the burst.",
       "扩大漏斗入口：加大预热期引流，并在爆发前做加购提醒。"),
    _f("paid_orders", "sales", "count", "higher", "Paid orders", "支付订单数",
       "Orders placed in the window with status paid (not cancelled, not refunded).",
       "Reduce cancellations and chase unpaid orders; see the funnel and service sections.",
       "减少取消并催付未支付订单，见转化与客服章节。"),
    _f("buyers", "sales", "count", "higher", "Paying buyers", "支付买家数",
       "Distinct users with at least one paid order in the window.",
       "Bring more buyers in: first-order offers for new visitors and reactivation of lapsed customers.",
       "增加买家数：新访客首单权益与沉睡老客召回。"),
    _f("aov", "sales", "money", "higher", "AOV (net sales / paid order)", "笔单价（净销售额/支付订单）",
       "Net sales / paid orders.",
       "Lift basket size with bundles and spend-and-save thresholds just above the current AOV.",
       "用组合装和略高于当前笔单价的满减门槛提升客单。"),
    _f("spend_per_buyer", "sales", "money", "higher", "Spend per buyer", "客单价（净销售额/支付买家）",
       "Net sales / paying buyers (客单价 in most Chinese back ends).",
       "Raise spend per buyer with tiered spend-and-save offers and bundles.",
       "用阶梯满减和组合装提升客单价。"),
    _f("refund_rate", "sales", "pct", "lower", "Cancelled or refunded share of GMV", "取消/退款占GMV比例",
       "GMV of cancelled or refunded orders / GMV.",
       "Review refund reasons in the service section; tighten product descriptions and size guides.",
       "结合客服章节的退款原因，优化商品描述与尺码指引。"),
    _f("presale_share", "sales", "pct", "neutral", "Presale share of net sales", "预售占净销售额比例",
       "Net sales of presale orders / net sales."),
    _f("attach_rate", "sales", "ratio", "higher", "Units per paid order", "连带率（件/单）",
       "Units on paid orders / paid orders.",
       "Add bundles and 'add one more' offers on the product pages with the highest traffic.",
       "在高流量商品页增加组合与加购优惠。"),
    _f("gross_margin", "sales", "pct", "higher", "Gross margin", "毛利率",
       "(Net merchandise sales - cost of goods) / net merchandise sales, paid orders only, lines with a "
       "known unit cost.",
       "Check discount depth on low-margin categories before the next campaign.",
       "下次大促前检查低毛利品类的折扣力度。"),
    _f("gross_profit", "sales", "money", "higher", "Gross profit", "毛利额",
       "Net merchandise sales - cost of goods, paid orders only.",
       "Check discount depth on low-margin categories before the next campaign.",
       "下次大促前检查低毛利品类的折扣力度。"),
    _f("peak_hour_share", "sales", "pct", "neutral", "Share of GMV in the peak hour", "峰值小时GMV占比",
       "GMV in the busiest clock hour / GMV."),
    # --- traffic -----------------------------------------------------------------------------------
    _f("uv", "traffic", "count", "higher", "UV (distinct over campaign)", "访客数UV（活动期去重）",
       "Distinct visitors over the whole campaign window (not a sum of daily UVs).",
       "Book more traffic for the warm-up: UV is the base every later step multiplies.",
       "加大预热期引流：UV是后续各环节的基数。"),
    _f("pv", "traffic", "count", "higher", "Page views", "浏览量PV", "View events in the window.",
       "Book more traffic for the warm-up and the burst.",
       "加大预热期与爆发期引流。"),
    _f("uv_lift", "traffic", "pct", "higher", "Daily UV vs baseline", "日均UV较日常",
       "Average daily UV in the campaign / average daily UV in the baseline period - 1.",
       "Start paid and off-site traffic earlier in the warm-up.",
       "提前在预热期启动付费与站外引流。"),
    _f("offsite_uv_share", "traffic", "pct", "neutral", "Off-site share of UV", "站外流量占比",
       "Distinct visitors whose visits came through off-site channels / campaign UV (a visitor seen in "
       "several channels counts in each, so channel shares can add to more than 100%)."),
    _f("bounce_rate", "traffic", "pct", "lower", "Bounce rate", "跳失率",
       "Sessions with exactly one event / sessions.",
       "Rework the landing pages of the channels with the highest bounce rate.",
       "优化跳失率最高渠道的落地页。"),
    _f("avg_dwell_seconds", "traffic", "seconds", "higher", "Average dwell time per session",
       "平均停留时长（每会话）", "Sum of dwell seconds / sessions.",
       "Improve landing pages and live-stream hooks so visitors stay longer.",
       "优化落地页与直播间承接，延长停留。"),
    _f("uv_value", "traffic", "money", "higher", "UV value (GMV / UV)", "UV价值（GMV/UV）",
       "GMV / campaign UV.",
       "Raise the value of each visit: better product recommendations and bundles.",
       "提升每个访客的价值：优化推荐与组合。"),
    _f("new_visitor_share", "traffic", "pct", "neutral", "New visitors' share of UV", "新访客占比",
       "Distinct new visitors / UV (a new visitor's first visit ever falls in the campaign)."),
    # --- funnel ------------------------------------------------------------------------------------
    _f("view_to_cart", "funnel", "pct", "higher", "View → add-to-cart", "浏览→加购转化率",
       "Distinct visitors who added to cart / distinct visitors who viewed.",
       "Strengthen warm-up incentives to add to cart (deposit perks, cart-only coupons).",
       "加强预热期加购激励（定金膨胀、加购专享券）。"),
    _f("cart_to_order", "funnel", "pct", "higher", "Add-to-cart → order", "加购→下单转化率",
       "Distinct visitors who ordered / distinct visitors who added to cart.",
       "Remind cart holders before the burst and simplify the checkout.",
       "爆发前提醒加购用户，简化下单流程。"),
    _f("order_to_pay", "funnel", "pct", "higher", "Order → payment", "下单→支付转化率",
       "Distinct visitors who paid / distinct visitors who ordered.",
       "Chase unpaid orders and presale balances with timed reminders.",
       "对未支付订单与预售尾款做定时催付。"),
    _f("conversion_rate", "funnel", "pct", "higher", "Conversion rate (view → pay)", "支付转化率（浏览→支付）",
       "Distinct visitors who paid / distinct visitors who viewed.",
       "Match offers to the channel: private-domain visitors need member-only value to convert.",
       "按渠道匹配权益：私域访客需要会员专享权益促成转化。"),
    # --- users -------------------------------------------------------------------------------------
    _f("new_customers", "users", "count", "higher", "New customers", "新客数",
       "Paying buyers with no paid order in the look-back window before the campaign.",
       "Fund first-order offers in the channels that brought the cheapest new customers (see marketing).",
       "在获客成本最低的渠道加大首单权益投入（见营销章节）。"),
    _f("new_customer_gmv_share", "users", "pct", "neutral", "New customers' share of net sales",
       "新客净销售额占比", "Net sales from new customers / net sales."),
    _f("new_visitor_cvr", "users", "pct", "higher", "New visitors' conversion", "新访客支付转化率",
       "Distinct new visitors who paid / distinct new visitors.",
       "Give new visitors a first-order offer and simpler landing pages.",
       "为新访客提供首单权益并简化落地页。"),
    _f("returning_visitor_cvr", "users", "pct", "higher", "Returning visitors' conversion",
       "老访客支付转化率", "Distinct returning visitors who paid / distinct returning visitors.",
       "Remind returning customers of their carts and member benefits.",
       "提醒老客其加购商品与会员权益。"),
    _f("repurchase_rate", "users", "pct", "higher", "Repurchase within the campaign", "活动期复购率",
       "Buyers with two or more paid orders in the window / paying buyers.",
       "Use tail-phase offers aimed at burst buyers to bring them back within the campaign.",
       "在返场期针对爆发期买家推出复购权益。"),
    _f("retention_30d", "users", "pct", "higher", "30-day retention", "30日留存率",
       "Campaign buyers who paid again within N days after the campaign ended / campaign buyers.",
       "Plan a post-campaign replenishment or membership journey for campaign buyers.",
       "为大促买家设计活动后复购与会员旅程。"),
    _f("member_repurchase_rate", "users", "pct", "higher", "Members' repurchase rate", "会员复购率",
       "Member buyers with 2+ paid orders in window and retention period / member buyers.",
       "Review member benefits: members should out-repurchase non-members clearly.",
       "复盘会员权益：会员复购应明显高于非会员。"),
    _f("nonmember_repurchase_rate", "users", "pct", "higher", "Non-members' repurchase rate",
       "非会员复购率", "Non-member buyers with 2+ paid orders in window and retention period / non-member buyers.",
       "Invite campaign buyers into membership with a first repurchase reward.",
       "邀请大促买家入会，并给予首次复购奖励。"),
    _f("lower_tier_share", "users", "pct", "neutral", "Lower-tier cities' share of buyers", "下沉市场买家占比",
       "Buyers in tier-3 and lower cities / buyers with a known tier."),
    # --- marketing ---------------------------------------------------------------------------------
    _f("spend", "marketing", "money", "neutral", "Marketing spend", "营销投入", "Sum of spend in the window."),
    _f("roas", "marketing", "ratio", "higher", "ROAS", "ROAS（广告支出回报）",
       "Attributed revenue / spend.",
       "Move budget from the lowest-ROAS placements to the highest, within their volume limits.",
       "把预算从ROAS最低的投放转向最高的投放（注意量级上限）。"),
    _f("roi", "marketing", "ratio", "higher", "ROI", "投入产出比ROI",
       "(Attributed revenue - spend - cost of goods, where known) / spend.",
       "Cut or renegotiate the channels whose ROI is below 1.",
       "削减或重新议价ROI低于1的渠道。"),
    _f("cac", "marketing", "money", "lower", "CAC", "获客成本CAC",
       "Spend / new paying customers.",
       "Shift acquisition spend to the channel with the lowest CAC.",
       "把拉新预算转向获客成本最低的渠道。"),
    _f("ctr", "marketing", "pct", "higher", "CTR", "点击率CTR", "Clicks / impressions.",
       "Refresh creatives on the placements with the lowest CTR.",
       "更换点击率最低投放位的素材。"),
    _f("ad_cvr", "marketing", "pct", "higher", "Ad conversion (orders / clicks)", "广告转化率（订单/点击）",
       "Attributed orders / clicks.",
       "Check landing pages and offers of the placements that click but do not convert.",
       "检查有点击无转化投放的落地页与权益。"),
    _f("coupon_redemption_rate", "marketing", "pct", "higher", "Coupon redemption rate", "优惠券核销率",
       "Coupons redeemed / coupons issued.",
       "Issue fewer, better-targeted coupons; unredeemed coupons still train buyers to wait.",
       "精准发券，减少无效发放。"),
    _f("coupon_cost", "marketing", "money", "neutral", "Coupon cost", "优惠券成本",
       "Face value × coupons redeemed."),
    _f("top_kol_share", "marketing", "pct", "lower", "Top KOL's share of off-site sales", "头部达人站外销售占比",
       "Attributed revenue of the largest KOL / attributed revenue of all KOL placements.",
       "Spread off-site spend over more mid-tier KOLs to reduce dependence on one.",
       "把站外预算分散到更多腰部达人，降低对单一达人的依赖。"),
    _f("budget_utilisation", "marketing", "pct", "neutral", "Spend vs budget", "预算执行率",
       "Spend / budget (channels with a budget in the YAML)."),
    # --- fulfilment --------------------------------------------------------------------------------
    _f("ship_48h_rate", "fulfilment", "pct", "higher", "Shipped within 48 h", "48小时发货率",
       "Paid or refunded campaign orders shipped within 48 h of payment (presale: the balance payment) / those due "
       "to ship (orders refunded before shipping and orders not yet 48 h old at the data's end are left out).",
       "Pre-pack presale orders and add warehouse shifts for burst days 1-2.",
       "预售订单提前打包，爆发期前两天增加仓库班次。"),
    _f("late_delivery_rate", "fulfilment", "pct", "lower", "Late deliveries", "延迟送达率",
       "Delivered orders delivered after the promised time / delivered orders.",
       "Agree capacity with carriers for remote regions before the burst.",
       "爆发期前与承运商锁定偏远地区运力。"),
    _f("avg_delivery_hours", "fulfilment", "hours", "lower", "Average hours payment → delivery",
       "平均送达时长（小时）", "Mean hours from payment to delivery, delivered orders.",
       "Pre-position stock in regional warehouses for the slowest regions.",
       "在送达最慢的地区前置库存到区域仓。"),
    _f("stockout_skus", "fulfilment", "count", "lower", "SKUs that sold out", "售罄SKU数",
       "SKUs whose stock on hand reached 0 during the campaign.",
       "Raise safety stock for top sellers and pre-book replenishment for burst day 2.",
       "提高爆款安全库存，并预约爆发期第二天的补货。"),
    _f("lost_sales_estimate", "fulfilment", "money", "lower", "Estimated sales lost to stock-outs",
       "缺货损失销售额（估）",
       "Hours out of stock × the SKU's average hourly net sales while in stock during the campaign.",
       "Raise safety stock for top sellers and pre-book replenishment for burst day 2.",
       "提高爆款安全库存，并预约爆发期第二天的补货。"),
    _f("replenishment_lag_hours", "fulfilment", "hours", "lower", "Replenishment lag", "补货时滞（小时）",
       "Hours from a SKU selling out to its next replenishment, averaged over sell-outs.",
       "Set replenishment triggers before stock reaches zero, not after.",
       "在库存归零前触发补货，而不是售罄后。"),
    _f("sell_through", "fulfilment", "pct", "higher", "Sell-through", "售罄率（动销）",
       "Units sold in the window / (opening stock + units received).",
       "Cut orders of slow movers and plan clearance for the tail phase.",
       "减少滞销品备货，并在返场期安排清仓。"),
    # --- service -----------------------------------------------------------------------------------
    _f("contacts", "service", "count", "neutral", "Service contacts", "客服咨询量", "Tickets created in the window."),
    _f("contacts_lift", "service", "pct", "neutral", "Daily contacts vs baseline", "日均咨询量较日常",
       "Average daily tickets in the campaign / average daily tickets in the baseline - 1."),
    _f("first_response_p50_seconds", "service", "seconds", "lower", "First response, median",
       "首次响应时长中位数", "Median first-response seconds over tickets in the window.",
       "Staff up and pre-write answers to the top consult reasons before the burst.",
       "爆发前增配客服并准备高频问题的标准答复。"),
    _f("first_response_p90_seconds", "service", "seconds", "lower", "First response, P90",
       "首次响应时长P90", "90th percentile of first-response seconds.",
       "Staff up and pre-write answers to the top consult reasons before the burst.",
       "爆发前增配客服并准备高频问题的标准答复。"),
    _f("complaint_rate", "service", "pct", "lower", "Complaints per paid order", "客诉率",
       "Complaint tickets / paid orders in the window.",
       "Fix the top complaint reason at its source (listed in the service section).",
       "从源头解决首要客诉原因（见客服章节）。"),
    _f("return_rate", "service", "pct", "lower", "Return requests per paid order", "退货申请率",
       "Return tickets / paid orders in the window.",
       "Fix the top return reason (size, quality or description) at its source.",
       "从源头解决首要退货原因（尺码、质量或描述）。"),
    _f("csat", "service", "score", "higher", "CSAT (stars, 1-5)", "满意度（1-5星）",
       "Mean star rating over rated tickets.",
       "Shorten first responses at peak hours; slow answers drive low ratings.",
       "缩短高峰时段首次响应时长，慢响应拉低评分。"),
    _f("nps", "service", "score", "higher", "NPS", "NPS（净推荐值）",
       "% promoters (9-10) - % detractors (0-6) over answers from the campaign start to N days after its end "
       "(settings.retention_days); unreliable under 30 responses.",
       "Follow up with detractors within a week and fix their most common complaint.",
       "一周内回访贬损者并解决其最常见的问题。"),
]

FIGURES: dict[str, FigureSpec] = {s.key: s for s in _SPECS}


def label(key: str, lang: str) -> str:
    """The figure's display name in the report language."""
    spec = FIGURES[key]
    return spec.zh if lang == "zh" else spec.en
