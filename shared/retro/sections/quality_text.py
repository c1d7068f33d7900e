"""The data check's findings in the report's language, for the data-quality appendix.

Staging writes each soft problem in English for the command line (``Problem.line``) and records its message
key and the values it names (``Problem.message``, ``Problem.args``). The appendix of an en report shows the
English as the command line printed it; a zh report shows the text below, filled with the same values.
Config keys (``data.tables.orders.columns``) appear only in the fix column: the appendix's "how to change
this" place. A message without a zh text here is a bug (a test builds every example in zh and looks for
English).
"""

from __future__ import annotations

from ..i18n import column_name, has, table_names, tr
from ..quality import Problem
from ..schema import TABLES

_SAME_FIX_WINDOW = "如属预期无需处理；否则检查参数文件中的活动阶段"
_ORPHAN_FIX = "按相同日期导出订单及其明细，并检查两边的订单号写法一致（前导零、“.0”后缀）"
_CREDIT = (
    "所冲销的原发票在导出数据中无法识别：已排除在订单之外；被冲销的发票仍计为已支付，因此活动净销售额最多可能"
    "高估 {from_start}（活动首日及以后的贷项凭证）"
)
_PARSE_FIX_NUMBER = "在源数据中更正，或在 data.tables.{table}.values.{column} 下映射"
_PARSE_FIX_TIME = "在源数据中更正，或给出 data.tables.{table}.time_format"

# message -> (what was found, how to fix), zh
ZH: dict[str, tuple[str, str]] = {
    # derivations
    "derived_users": ("由首单推导，每位客户一行（无会员或注册数据）", ""),
    "derived_shipments": ("由订单行的发货日期推导，每单一行（没有承诺送达时间，无法判断是否延迟）", ""),
    "derived_orders": ("由订单行推导（{lines} 行），每单一行", ""),
    "derived_products": ("由订单行推导，每个SKU一行", ""),
    "cancelled_orders": ("已取消订单（状态列），金额 {value}", ""),
    "credit_notes": ("贷项凭证（以“{prefix}”开头或数量全为负的发票），金额 {value}；" + _CREDIT, ""),
    "credit_notes_negative": ("贷项凭证（数量全为负的订单），金额 {value}；" + _CREDIT, ""),
    "negative_lines": ("非取消订单中数量为负的订单行，已保留并相互冲抵", ""),
    "guest_orders": ("无客户ID的订单（金额 {value}）计入销售，但不算作任何买家的购买", ""),
    "no_pay_time": (
        "数据中没有支付时间：未取消的订单按下单时间计为已支付",
        "如导出数据含支付时间，在 data.tables.order_lines.columns 下映射 pay_time",
    ),
    "no_channel": (
        "没有渠道：订单归入渠道“（未知）”",
        "在 data.tables.order_lines.defaults.channel 给出渠道（如 online），或映射 channel",
    ),
    "non_merchandise": (
        "非商品SKU（运费、手续费、调整项）未计入商品排名",
        "在 data.tables.order_lines.non_merchandise 下列出这些SKU",
    ),
    "no_category": (
        "没有品类：这些SKU归入“（未知）”",
        "在 data.tables.order_lines.columns 下映射 category，或单独提供商品表",
    ),
    "derived_order_step": (
        "行为日志有支付事件而没有下单事件：在每个支付事件的时间补了一个下单步骤，因此漏斗的下单与支付两步相等",
        "",
    ),
    "derived_sessions": (
        "没有会话ID：按 {gap} 分钟无操作规则从行为事件推导出 {sessions} 个会话",
        "如导出数据有会话ID，映射 session_id；无操作间隔在 settings.session_gap_minutes 中修改",
    ),
    "hour_resolution": (
        "时间仅精确到小时：每位访客的每个活跃小时记为一个会话，因此会话数、跳出率和会话深度为近似值（流量页已注明）",
        "如源数据有分钟或秒，导出到分秒；或提供会话ID",
    ),
    # checks over the staged tables
    "empty_table": ("没有数据行：此表不计入任何指标", "检查导出文件"),
    "negative_amount": ("金额为负，按原值计入", "如这些行是退款或冲正，删除它们并将原订单标记为已退款"),
    "negative_spend": ("投入为负，按原值计入", "检查导出文件：投入不能为负"),
    "negative_quantity": (
        "数量为负，按原值计入：销量、商品成本和毛利均按此抵减",
        "如这些行是退货，删除它们并将其订单标记为已退款",
    ),
    "large_amount": (
        "单行金额超过 {limit}，按原值计入",
        "检查 data.tables.{table}.amount_unit（分还是元？）以及映射为 {amount} 的字段",
    ),
    "zero_spend": (
        "活动期没有投入：ROI、ROAS 和获客成本显示为 n/a",
        "如投入在其他字段，在 data.tables.marketing.columns 下映射",
    ),
    "no_campaign_rows": (
        "活动期（{start} 至 {end}）没有数据行；数据时间范围为 {first} 至 {last}",
        "检查参数文件中的活动阶段，以及时间字段的格式与时区；此表的活动期指标显示为 0 或 n/a",
    ),
    "empty_phase": ("{phase}（{start} 至 {end}）没有数据行", "检查导出是否覆盖每个阶段；该阶段的指标显示为 0"),
    "empty_baseline": (
        "日常基准期（{start} 至 {end}）没有数据行：与日常的对比显示为 n/a",
        "同时导出基准期的数据，或在参数文件中删除 baseline",
    ),
    "ignored_after_follow_up": ("{day} 之后（复购跟踪期结束后）的行，未计入", _SAME_FIX_WINDOW),
    "ignored_outside_campaign": ("活动期（{start} 至 {end}）以外的行，未计入", _SAME_FIX_WINDOW),
    "ignored_outside_campaign_and_baseline": (
        "活动期（{start} 至 {end}）和日常基准期（{base_start} 至 {base_end}）以外的行，未计入",
        _SAME_FIX_WINDOW,
    ),
    "ignored_after_campaign": ("活动结束（{end}）之后的行，未计入", _SAME_FIX_WINDOW),
    "orphan_lines": ("没有对应订单的订单行，未计入品类和商品销售", _ORPHAN_FIX),
    "orphan_shipments": ("没有对应订单的物流记录，未计入", _ORPHAN_FIX),
    "orphan_shipments_all": ("没有任何物流记录能对应到订单", _ORPHAN_FIX),
    "unknown_sku": ("商品表中没有的SKU，归入品类“（未知）”", "把这些SKU补充到商品表"),
    # mapping
    "guest_rows": ("为空：作为游客订单计入销售，不算作任何客户的购买", ""),
    "null_required": (
        "必填字段为空，相关行已删除",
        "在源数据中补全，或在 data.tables.{table}.defaults.{column} 给出默认值",
    ),
    "all_null_ignored": (
        "所有行均为空，已忽略",
        "检查 data.tables.{table}.columns.{column} 是否指向正确的字段，或删除该映射",
    ),
    "parse_int_dropped": ("不是整数，相关行已删除", _PARSE_FIX_NUMBER),
    "parse_int_emptied": ("不是整数，已置为空", _PARSE_FIX_NUMBER),
    "parse_float_dropped": ("不是数字，相关行已删除", _PARSE_FIX_NUMBER),
    "parse_float_emptied": ("不是数字，已置为空", _PARSE_FIX_NUMBER),
    "parse_bool_dropped": ("不是是/否值，相关行已删除", _PARSE_FIX_NUMBER),
    "parse_bool_emptied": ("不是是/否值，已置为空", _PARSE_FIX_NUMBER),
    "parse_timestamp_dropped": ("不是日期时间，相关行已删除", _PARSE_FIX_TIME),
    "parse_timestamp_emptied": ("不是日期时间，已置为空", _PARSE_FIX_TIME),
    "parse_date_dropped": ("不是日期，相关行已删除", _PARSE_FIX_TIME),
    "parse_date_emptied": ("不是日期，已置为空", _PARSE_FIX_TIME),
    "unmapped_value_dropped": (
        "{values} 个取值无法识别，相关行已删除",
        "在 data.tables.{table}.values.{column} 下映射为 {allowed} 之一（如 '{example}': {likely}）",
    ),
    "unmapped_value_kept": (
        "{values} 个取值不属于漏斗步骤，行已保留但不计入漏斗",
        "如属于某个漏斗步骤，在 data.tables.{table}.values.{column} 下映射为 {allowed} 之一"
        "（如 '{example}': {likely}）；其他事件不计入漏斗",
    ),
    "deduplicated_exact": ("与另一行各列完全相同的行，已删除", "如属预期无需处理；否则从 {where} 中删除 dedupe"),
    "deduplicated_last": (
        "与另一行键值相同的行，已删除（按“{by}”保留最新一行）",
        "如属预期无需处理；否则从 {where} 中删除 dedupe",
    ),
    "deduplicated_first": (
        "与另一行键值相同的行，已删除（按“{by}”保留最早一行）",
        "如属预期无需处理；否则从 {where} 中删除 dedupe",
    ),
}

_FALLBACK = ("数据检查发现的问题（详见 retro check 的输出）", "")


def has_text(problem: Problem) -> bool:
    """Whether the appendix can say ``problem`` in zh (every soft problem should)."""
    return problem.message in ZH


def what(problem: Problem, lang: str) -> str:
    """What was found, in the report's language."""
    if lang != "zh":
        return problem.what
    return _fill(ZH.get(problem.message, _FALLBACK)[0], problem, lang)


def fix(problem: Problem, lang: str) -> str:
    """How to fix it, in the report's language (config keys stay: this is the how-to-change-this column)."""
    if lang != "zh":
        return problem.fix
    return _fill(ZH.get(problem.message, _FALLBACK)[1], problem, lang)


def where(problem: Problem, lang: str) -> tuple[str, str]:
    """(table with its source file, column) as the reader names them."""
    table = table_names([problem.table], lang)
    if problem.source:
        # a derived table's source is another table (users from orders): named as a table too
        source = table_names([problem.source], lang) if problem.source in TABLES else problem.source
        table += f"（{source}）" if lang == "zh" else f" ({source})"
    return table, column_name(problem.column, lang) if problem.column else ""


def _fill(text: str, problem: Problem, lang: str) -> str:
    args = dict(problem.args)
    if "phase" in args and has(f"phase.{args['phase']}"):
        args["phase"] = tr(f"phase.{args['phase']}", lang)
    try:
        return text.format(**args)
    except (KeyError, IndexError, ValueError):  # a record from an older kit without the values: say it plainly
        return _FALLBACK[0]
