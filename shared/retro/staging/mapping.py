"""Turning a raw relation into a canonical table: renamed columns, mapped values, canonical types.

The YAML describes the source (``data.tables.<t>``): ``columns`` (canonical name -> source header),
``values`` (source value -> canonical value, per column), ``defaults`` (a constant for a column the source
lacks; it also fills empty values), ``amount_unit`` (fen / cents: money columns are divided by 100),
``timezone`` (of naive timestamps) and ``time_format`` (strptime pattern(s), or ``epoch`` / ``epoch_ms``).

Values are parsed by the engine in one projection per table (DuckDB ``TRY_CAST`` / ``try_strptime``, no
row loops), from text (CSV) or from already-typed columns (Parquet, Excel, databases):

- numbers: currency symbols and thousands separators are dropped (``"¥1,299.00"`` -> 1299.0, ``"(12)"`` ->
  -12); the decimal separator of each text column is read from its values or given as ``decimal``
  (``retro.staging.notation``: ``"1.320,00"`` -> 1320.0); NaN and infinity are not numbers;
- timestamps: ISO (``T`` or space), ``Y/m/d``, ``Y.m.d``, ``Y年m月d日``, ``YmdHMS``, ``d/m/Y`` or ``m/d/Y``
  (the column's values decide which, ``retro.staging.notation``), unix seconds (9-10 digits) or
  milliseconds (12-13 digits), and integers ``20261111`` (``YmdHMS`` too) in typed stores; each value tries
  the formats in turn, so mixed formats in one column parse. Zoned values (``+08:00``, ``Z``) are converted
  to the campaign's time zone; naive ones are taken as ``timezone`` (default: the campaign's) and converted.
  Canonical times are naive local times of the campaign's zone;
- booleans: true/false, t/f, 1/0, y/n, yes/no, 是/否.

A value that does not parse is counted (with up to three examples). In a required column, failures above
1 % of its non-empty values are a hard problem (the data is likely mis-described: wrong column, encoding or
time_format); below that the rows are dropped (soft). In an optional column the value is left empty (soft).
Empty values in a required column drop the row (soft); a column that is empty throughout is a soft problem,
hard when required. Values outside a closed vocabulary (order status, ticket type) follow the same rule as
parse failures; other event types than view / cart / order / pay are kept (the funnel ignores them) and
listed. Problems are returned, not raised, so that all of them are reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..formatting import suggest
from ..params import CampaignParams, TableSource
from ..quality import Problem
from ..schema import EVENT_TYPES, INPUT_TABLES, ORDER_STATUSES, SERVICE_TYPES, TABLES, Column, Table
from .engines import dialect, fetch, is_spark, materialize_sql, view_sql, zoned_columns
from .notation import DAY_FIRST_FORMATS, MONTH_FIRST_FORMATS, number_text, read_notation
from .notation import Column as TextColumn

IBIS_TYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}

# Columns holding money, in any table: divided by 100 when the source's amount_unit is fen or cents.
MONEY_COLUMNS = frozenset(
    {
        "list_amount",
        "discount_amount",
        "paid_amount",
        "freight",
        "unit_price",
        "unit_cost",
        "profit",
        "list_price",
        "spend",
        "attributed_revenue",
        "face_value",
    }
)

# Closed vocabularies: (table, column) -> allowed values, and whether rows outside it are dropped.
VOCABULARIES: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {
    ("orders", "status"): (ORDER_STATUSES, True),
    ("order_lines", "status"): (ORDER_STATUSES, True),
    ("service", "ticket_type"): (SERVICE_TYPES, True),
    ("events", "event_type"): (EVENT_TYPES, False),  # fav, remove_from_cart ... stay, outside the funnel
}

# Status words of shop back ends and marketplace exports, for the example in an unmapped value's fix (the
# YAML still maps them: a guess is never applied silently)
LIKELY_VALUES = {
    "pending": ("待付款", "未付款", "等待买家付款", "待支付", "created", "pending", "unpaid", "awaiting payment"),
    "cancelled": ("已取消", "交易关闭", "取消", "canceled", "cancelled", "unavailable", "closed", "void"),
    "refunded": ("已退款", "退款成功", "退款", "refund", "refunded", "returned"),
    "paid": (
        "已付款",
        "已支付",
        "交易成功",
        "已发货",
        "已完成",
        "待发货",
        "待收货",
        "paid",
        "delivered",
        "shipped",
        "invoiced",
        "approved",
        "processing",
        "completed",
        "complete",
    ),
}


def _likely_value(value, allowed: tuple[str, ...]) -> str:
    """The canonical value a source's word most likely means (for the fix's example), else the first allowed."""
    word = str(value).strip().lower()
    for canonical, words in LIKELY_VALUES.items():
        if canonical in allowed and any(w == word or (len(w) > 1 and w in word) for w in words):
            return canonical
    return allowed[0]


HARD_SHARE = 0.01  # parse failures in a required column above this share of its values stop the run

TRUE_WORDS = ("true", "t", "1", "1.0", "y", "yes", "是", "真", "对")
FALSE_WORDS = ("false", "f", "0", "0.0", "n", "no", "否", "假", "错")

# Naive formats tried in turn after ISO (TRY_CAST); unambiguous ones first, then US month-first.
UNAMBIGUOUS_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S.%f",
)

_BLANKS = " \t\r\n\u3000\ufeff\u00a0"
_ZONED = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
_EPOCH_SECONDS = r"\d{9,10}(\.\d+)?"
_EPOCH_MILLIS = r"\d{12,13}"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # a NUL inside a channel name would make it another channel

PARSE_CODES = {
    "int": "parse_number",
    "float": "parse_number",
    "bool": "parse_bool",
    "timestamp": "parse_time",
    "date": "parse_time",
}
PARSE_WHAT = {
    "int": "not a whole number",
    "float": "not a number",
    "bool": "not true/false",
    "timestamp": "not a date-time",
    "date": "not a date",
}


def canonical_table(name: str) -> Table:
    """The canonical definition of a table name (a mart table or an input-only table)."""
    return TABLES.get(name) or INPUT_TABLES[name]


def _text_value(value) -> str | None:
    """A YAML value (values map target, default) as the text the parser reads."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class _Plan:
    """How one canonical column is produced: its source, the value expression and the parsed expression."""

    col: Column
    source: str | None  # source header, None when absent
    value: str  # SQL over the raw view: mapped value (text or typed)
    parsed: str  # SQL over the value column "v<i>"
    can_fail: bool  # a non-empty value may not parse
    present: bool  # the source provides it (or a default does)
    kind: str = ""  # the family of the value (after mapping): text values are read by retro.staging.notation


def _kind(dtype) -> str:
    """The family of an Ibis data type the parser distinguishes."""
    if dtype.is_string() or dtype.is_null():
        return "string"
    if dtype.is_boolean():
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_floating() or dtype.is_decimal():
        return "float"
    if dtype.is_timestamp():
        return "timestamptz" if dtype.timezone else "timestamp"
    if dtype.is_date():
        return "date"
    return "other"


def _find_header(headers: list[str], wanted: str) -> str | None:
    """The source header matching ``wanted``: exactly, else ignoring case and surrounding blanks."""
    if wanted in headers:
        return wanted
    key = wanted.strip(_BLANKS).lower()
    for h in headers:
        if str(h).strip(_BLANKS).lower() == key:
            return h
    return None


def _headers_hint(headers: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(str(h)) for h in headers[:limit])
    return shown + (f" and {len(headers) - limit} more" if len(headers) > limit else "")


# --- parsing expressions ------------------------------------------------------------------------------------
# ``sql`` is the engine's spelling (retro.engines.DuckDBSql or SparkSql) of the few constructs written by hand.
def _to_local(sql, ts: str, src_zone: str, zone: str) -> str:
    """A naive timestamp taken in ``src_zone`` as naive local time of the campaign's ``zone``."""
    if src_zone == zone:
        return ts
    return sql.convert_naive(ts, src_zone, zone)


def _epoch(sql, num: str, zone: str, unit: str) -> str:
    """Unix seconds / milliseconds (or by magnitude when ``unit`` is 'auto') as campaign local time."""
    auto = f"CASE WHEN abs({num}) >= 1e11 THEN ({num}) / 1e3 ELSE {num} END"
    secs = {"s": num, "ms": f"({num}) / 1e3"}.get(unit, auto)
    # out-of-range numbers give NULL (counted as not parsed), not an engine error
    return f"CASE WHEN abs({secs}) < 1e11 THEN {sql.from_epoch(secs, zone)} END"


def _formats(src: TableSource) -> list[str]:
    fmt = src.time_format
    if fmt is None:
        return []
    return [fmt] if isinstance(fmt, str) else list(fmt)


def _parse_time_text(sql, v: str, src: TableSource, zone: str, src_zone: str, day_first: bool = False) -> str:
    """Text -> naive campaign-local timestamp (NULL when no known format matches)."""
    formats = _formats(src)
    double = f"TRY_CAST({v} AS DOUBLE)"
    if formats and formats[0] in ("epoch", "epoch_ms"):
        return _epoch(sql, double, zone, "s" if formats[0] == "epoch" else "ms")
    zoned_fmts = [f for f in formats if "%z" in f or "%Z" in f]
    naive_fmts = [f for f in formats if f not in zoned_fmts]
    zoned = sql.zoned_cast(v)
    if zoned_fmts:
        zoned = f"COALESCE({sql.strptime(v, zoned_fmts)}, {zoned})"
    naive = [sql.strptime(v, naive_fmts)] if naive_fmts else []
    naive.append(f"TRY_CAST({v} AS TIMESTAMP)")
    naive.append(sql.strptime(v, UNAMBIGUOUS_FORMATS))
    if not formats:
        naive.append(sql.strptime(v, DAY_FIRST_FORMATS if day_first else MONTH_FIRST_FORMATS))
    branches = []
    if not formats:  # unix times written as digits
        branches.append(f"WHEN {sql.full_match(v, _EPOCH_SECONDS)} THEN {_epoch(sql, double, zone, 's')}")
        branches.append(f"WHEN {sql.full_match(v, _EPOCH_MILLIS)} THEN {_epoch(sql, double, zone, 'ms')}")
    branches.append(f"WHEN {sql.search(v, _ZONED)} THEN {sql.local_of_instant(zone, zoned)}")
    local = _to_local(sql, f"COALESCE({', '.join(naive)})", src_zone, zone)
    return f"CASE {' '.join(branches)} ELSE {local} END"


def _parse(
    sql, v: str, kind: str, col: Column, src: TableSource, params: CampaignParams, notation: str | None = None
) -> tuple[str, bool]:
    """SQL turning the value ``v`` (of family ``kind``) into the canonical type, and whether it can fail.

    ``notation``: how the column writes numbers or dates (``retro.staging.notation``): "." or "," the decimal
    separator, "dmy" day-first dates.
    """
    zone = params.campaign.timezone
    src_zone = src.timezone or zone
    target = col.type
    if target == "string":
        if kind == "string":
            return v, False
        if kind == "float":  # ids read as numbers (Excel, pandas): 17850.0 -> '17850'
            return _float_text(sql, v), False
        return sql.text(v), False
    if target in ("float", "int"):
        if kind == "string":
            num, fails = f"TRY_CAST({number_text(sql, v, src.decimal or notation or '.')} AS DOUBLE)", True
        elif kind == "float":  # NaN (pandas' missing value) and infinity are empty
            num, fails = sql.finite(f"CAST({v} AS DOUBLE)"), target == "int"
        elif kind in ("int", "bool"):
            num, fails = f"CAST({v} AS DOUBLE)", False
        else:
            return "NULL", True
        if target == "int":
            if kind == "int":
                return f"CAST({v} AS BIGINT)", False
            return f"CASE WHEN {num} = round({num}) AND abs({num}) < 9e18 THEN CAST({num} AS BIGINT) END", fails
        if col.name in MONEY_COLUMNS and src.amount_unit in ("fen", "cents"):
            num = f"({num}) / 1e2"
        return num, fails
    if target == "bool":
        if kind == "bool":
            return v, False
        if kind in ("int", "float"):
            return f"({v} <> 0)", False
        if kind == "string":
            low = f"lower({v})"
            yes = ", ".join(sql.lit(w) for w in TRUE_WORDS)
            no = ", ".join(sql.lit(w) for w in FALSE_WORDS)
            return f"CASE WHEN {low} IN ({yes}) THEN TRUE WHEN {low} IN ({no}) THEN FALSE END", True
        return "NULL", True
    # timestamp or date
    if kind == "string":
        local_zone = src_zone if target == "timestamp" else zone
        ts, fails = _parse_time_text(sql, v, src, zone, local_zone, notation == "dmy"), True
    elif kind == "timestamptz":
        ts, fails = sql.local_of_instant(zone, v), False
    elif kind == "timestamp":
        ts, fails = _to_local(sql, f"CAST({v} AS TIMESTAMP)", src_zone if target == "timestamp" else zone, zone), False
    elif kind == "date":
        ts, fails = f"CAST({v} AS TIMESTAMP)", False
    elif kind in ("int", "float"):
        unit = {"epoch": "s", "epoch_ms": "ms"}.get(_formats(src)[0] if _formats(src) else "", "auto")
        ts, fails = _epoch(sql, f"CAST({v} AS DOUBLE)", zone, unit), True
        if unit == "auto":  # 20261111 or 20261111203000 is a date written as a number, not 1970's seconds
            ts = _number_date(sql, v, ts, src_zone if target == "timestamp" else zone, zone)
    else:
        return "NULL", True
    return (f"CAST({ts} AS DATE)" if target == "date" else ts), fails


def _number_date(sql, v: str, otherwise: str, src_zone: str, zone: str) -> str:
    """A number that reads as YYYYMMDD or YYYYMMDDHHMMSS as that local time, else ``otherwise``."""
    digits = sql.text(f"CAST({v} AS BIGINT)")
    day = _to_local(sql, sql.strptime(digits, ["%Y%m%d"]), src_zone, zone)
    second = _to_local(sql, sql.strptime(digits, ["%Y%m%d%H%M%S"]), src_zone, zone)
    return (
        f"CASE WHEN {v} BETWEEN 19000101 AND 21001231 THEN {day} "
        f"WHEN {v} BETWEEN 19000101000000 AND 21001231235959 THEN {second} ELSE {otherwise} END"
    )


def _values_case(sql, v: str, mapping: dict) -> str:
    """CASE mapping source values (compared as trimmed text) to canonical text; others kept."""
    whens = []
    for key, target in mapping.items():
        text = _text_value(target)
        whens.append(f"WHEN {sql.lit(_text_value(key))} THEN {'NULL' if text is None else sql.lit(text)}")
    return f"CASE {v} {' '.join(whens)} ELSE {v} END"


def _float_text(sql, v: str) -> str:
    """A float as text, whole numbers without the '.0' (ids and codes read as numbers)."""
    return (
        f"CASE WHEN {v} = round({v}) AND abs({v}) < 1e15 THEN {sql.text(f'CAST({v} AS BIGINT)')} ELSE {sql.text(v)} END"
    )


def _text_of(sql, ref: str, kind: str, trim: str) -> str:
    """A raw column as text, NULL when empty; ``trim``: 'all' blanks (tab, full-width, BOM), 'spaces' or 'none'.

    Text files (every column a string) get the full trim; typed stores (Parquet, databases) only where the
    value is parsed or mapped, and then spaces only: trimming every id of a large typed table costs seconds.
    """
    if kind == "string":
        text = sql.text(ref)
        if trim == "all":  # a text file: control characters inside a value go too (a NUL in "sea\0rch")
            text = sql.trim(sql.replace_all(text, _CONTROL, ""), _BLANKS)
        elif trim == "spaces":
            text = sql.trim(text)
        return f"NULLIF({text}, '')"
    if kind == "float":
        return _float_text(sql, ref)
    return sql.text(ref)


# --- the mapping --------------------------------------------------------------------------------------------
def _key_problems(name: str, table: Table, src: TableSource, label: str) -> list[Problem]:
    """Canonical names in columns / values / defaults that the table does not have (hard)."""
    out = []
    known = table.column_names
    for key in ("columns", "values", "defaults"):
        for col in getattr(src, key):
            if col not in known:
                out.append(
                    Problem(
                        name,
                        col,
                        f"data.tables.{name}.{key} names a column the {name} table does not have{suggest(col, known)}",
                        fix=f"use one of: {', '.join(known)}",
                        source=label,
                        code="unknown_column",
                    )
                )
    return out


def _plan_columns(sql, name, table, raw_schema, src, params, label, zoned=frozenset()):
    """How each canonical column is produced, and the problems of the mapping itself (missing columns).

    ``zoned``: source columns holding instants that the Ibis schema shows as plain timestamps (Spark's).
    """
    headers = list(raw_schema.names)
    textual = all(_kind(t) == "string" for t in raw_schema.types)  # a text file read as strings
    plans, problems = [], []
    for col in table.columns:
        if col.kit:  # the kit sets it while staging; a source's column of that name is not its
            plans.append(_Plan(col, None, "NULL", f"CAST(NULL AS {sql.types[col.type]})", False, False))
            continue
        wanted = src.columns.get(col.name)
        header = _find_header(headers, wanted if wanted is not None else col.name)
        default = _text_value(src.defaults.get(col.name))
        if header is None and wanted is not None:
            problems.append(
                Problem(
                    name,
                    col.name,
                    f"column {wanted!r} named in data.tables.{name}.columns.{col.name} is not in the source",
                    fix=f"use one of the headers present: {_headers_hint(headers)}",
                    source=label,
                    code="missing_column",
                )
            )
            continue
        if header is None and default is None:
            if col.required:
                problems.append(
                    Problem(
                        name,
                        col.name,
                        "required column not found",
                        fix=f"map it under data.tables.{name}.columns (e.g. {col.name}: <your header>); "
                        f"headers present: {_headers_hint(headers)}",
                        source=label,
                        code="missing_column",
                    )
                )
            plans.append(_Plan(col, None, "NULL", f"CAST(NULL AS {sql.types[col.type]})", False, False))
            continue
        if header is None:
            value, kind = sql.lit(default), "string"
        else:
            kind = "timestamptz" if header in zoned else _kind(raw_schema[header])
            value = sql.q(header)
            if kind == "string" or col.name in src.values or default is not None:
                mapped = col.type != "string" or col.name in src.values or (name, col.name) in VOCABULARIES
                trim = "all" if textual else ("spaces" if mapped else "none")
                value, kind = _text_of(sql, value, kind, trim), "string"
        if col.name in src.values:
            value = _values_case(sql, value, src.values[col.name])
        if header is not None and default is not None:
            value = f"COALESCE({value}, {sql.lit(default)})"
        vocab = VOCABULARIES.get((name, col.name))
        if vocab and kind == "string":
            allowed = ", ".join(sql.lit(x) for x in vocab[0])
            value = f"CASE WHEN lower({value}) IN ({allowed}) THEN lower({value}) ELSE {value} END"
        plans.append(_Plan(col, header, value, "", False, True, kind))
        plans[-1].parsed, plans[-1].can_fail = _parse(sql, f"v{len(plans) - 1}", kind, col, src, params)
    return plans, problems


def _read_notation(con, sql, view: str, name: str, plans: list[_Plan], src: TableSource, params, label: str):
    """Re-plan the text columns whose decimal separator or day order their values decide (one pass).

    Returns the problems: a column whose values say both, or nothing where it matters (hard).
    """
    columns = {}
    for i, p in enumerate(plans):
        if p.kind != "string" or not p.present:
            continue
        if p.col.type in ("float", "int") and src.decimal is None:
            whole = p.col.type == "int"
            columns[f"v{i}"] = TextColumn(p.col.name, "number", whole=whole, money=p.col.name in MONEY_COLUMNS)
        elif p.col.type in ("timestamp", "date") and not _formats(src):
            columns[f"v{i}"] = TextColumn(p.col.name, "date")
    if not columns:
        return []
    values = ", ".join(f"{plans[int(v[1:])].value} AS {v}" for v in columns)
    found, problems = read_notation(con, sql, f"(SELECT {values} FROM {sql.q(view)}) AS r", columns, name, label)
    for v, notation in found.items():
        p = plans[int(v[1:])]
        p.parsed, p.can_fail = _parse(sql, v, p.kind, p.col, src, params, notation)
    return problems


def _example_values(con, inner_sql: str, i: int) -> list:
    """Up to three source values of column ``i`` that did not parse, most frequent first."""
    rows = fetch(
        con,
        f"SELECT v{i}, count(*) AS n FROM ({inner_sql}) AS i WHERE v{i} IS NOT NULL AND p{i} IS NULL "
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3",
    )
    return [r[0] for r in rows]


def to_canonical(
    con,
    name: str,
    raw,
    src: TableSource,
    params: CampaignParams,
    source_label: str = "",
    extra: Callable | None = None,
    counted: dict | None = None,
):
    """Rename, map and type ``raw`` into the canonical table ``name``; returns (Ibis table or None, problems).

    None is returned when a hard problem makes the table unusable (a required column missing, too many
    values that do not parse); every problem found is returned either way.

    ``extra(rows)``: named Ibis reductions of the canonical rows that the caller needs next (the checks, the
    profile), computed in the scan that counts the mapped values: an event log read from its files at each
    use then takes one full scan while staging, not three. Their values go into ``counted``, only when
    they hold for the table returned (DuckDB, no value that may fail to parse, no row dropped).
    """
    sql = dialect(con)
    table = canonical_table(name)
    label = source_label
    problems = _key_problems(name, table, src, label)
    plans, found = _plan_columns(sql, name, table, raw.schema(), src, params, label, zoned_columns(con, raw))
    problems.extend(found)
    if any(p.hard for p in problems):
        return None, problems

    q = sql.q
    view = f"__raw_{name}"
    con.create_view(view, raw, overwrite=True)
    problems.extend(_read_notation(con, sql, view, name, plans, src, params, label))
    if any(p.hard for p in problems):
        return None, problems
    values = ", ".join(f"{p.value} AS v{i}" for i, p in enumerate(plans))
    parsed = ", ".join(f"{p.parsed} AS p{i}" for i, p in enumerate(plans))
    inner = f"SELECT *, {parsed} FROM (SELECT {values} FROM {q(view)}) AS r"
    failing = [i for i, p in enumerate(plans) if p.can_fail]
    out_cols = [f"CAST(p{i} AS {sql.types[p.col.type]}) AS {q(p.col.name)}" for i, p in enumerate(plans)]
    if failing or is_spark(con):  # Spark: cached once, so the counts below, the checks and the marts read it
        bits = " + ".join(
            f"(CASE WHEN v{i} IS NOT NULL AND p{i} IS NULL THEN {1 << k} ELSE 0 END)" for k, i in enumerate(failing)
        )
        bits = bits or "0"
        staged = f"__mapped_{name}"
        materialize_sql(con, staged, f"SELECT {', '.join(out_cols)}, {bits} AS __bad FROM ({inner}) AS i")
        base = q(staged)
    else:
        base = f"(SELECT {', '.join(out_cols)} FROM ({inner}) AS i) AS m"

    present = [p for p in plans if p.present]
    more: dict = {}
    if extra is not None and counted is not None and not failing and not is_spark(con):
        rows = view_sql(con, f"__counted_{name}", f"SELECT {', '.join(out_cols)} FROM ({inner}) AS i")
        more = extra(rows)
        own = {"__rows": rows.count()} | {f"__nonnull_{k}": rows[p.col.name].count() for k, p in enumerate(present)}
        values = con.execute(rows.aggregate(**own, **more)).iloc[0].to_dict()
        stats = [int(values[key]) for key in own]
    else:
        aggs = ["count(*)"] + [f"count({q(p.col.name)})" for p in present]
        aggs += [f"count(*) FILTER (WHERE (__bad & {1 << k}) <> 0)" for k in range(len(failing))]
        stats = fetch(con, f"SELECT {', '.join(aggs)} FROM {base}")[0]
    total = stats[0]
    nonnull = dict(zip([p.col.name for p in present], stats[1 : 1 + len(present)], strict=True))
    fails = dict(zip(failing, stats[1 + len(present) :], strict=True))

    drop: list[str] = []  # SQL conditions of rows to drop
    if total:
        for k, i in enumerate(failing):
            n_bad = fails[i]
            if not n_bad:
                continue
            p = plans[i]
            share = n_bad / (n_bad + nonnull[p.col.name])
            hard = p.col.required and share > HARD_SHARE
            if p.col.required and not hard:
                drop.append(f"(__bad & {1 << k}) <> 0")
            problems.append(_parse_problem(name, p, n_bad, share, hard, _example_values(con, inner, i), src, label))
        for p in present:
            n = nonnull[p.col.name]
            bad = fails.get(plans.index(p), 0)
            if n == 0 and not bad:
                problems.append(_empty_problem(name, p, label))
            elif p.col.nullable and n + bad < total:  # kept: a guest order counts in sales
                problems.append(
                    Problem(
                        name,
                        p.col.name,
                        "empty: counted in sales as guest orders, not as any customer's purchase",
                        rows=total - n - bad,
                        hard=False,
                        source=label,
                        code="guest_rows",
                    )
                )
            elif p.col.required and n + bad < total:
                drop.append(f"{q(p.col.name)} IS NULL")
                problems.append(
                    Problem(
                        name,
                        p.col.name,
                        "empty in a required column, rows dropped",
                        rows=total - n - bad,
                        fix=f"fill it in the source, or give data.tables.{name}.defaults.{p.col.name}",
                        hard=False,
                        source=label,
                        code="null_required",
                        args={"table": name, "column": p.col.name},
                    )
                )
        problems.extend(_vocabulary_problems(con, sql, name, base, plans, nonnull, drop, label))

    cols = ", ".join(q(p.col.name) for p in plans)
    where = f" WHERE NOT ({' OR '.join(drop)})" if drop else ""
    # the drop conditions may be NULL (x IS NULL is never NULL, __bad never NULL, vocab test coalesced)
    result = view_sql(con, f"__canonical_{name}", f"SELECT {cols} FROM {base}{where}")
    if any(p.hard for p in problems):
        return None, problems
    if more and not drop:  # the rows counted are the table's
        counted.update({key: values[key] for key in more})
    return result, problems


def _parse_problem(name, p: _Plan, n_bad, share, hard, examples, src: TableSource, label) -> Problem:
    col = p.col
    what = PARSE_WHAT[col.type]
    if hard:
        what += f" in {share:.0%} of its values"
        if col.type in ("timestamp", "date"):
            fix = (
                f"give data.tables.{name}.time_format (e.g. '%d/%m/%Y %H:%M', or epoch), or check that "
                f"columns.{col.name} names the right column"
            )
        else:
            fix = (
                f"check that data.tables.{name}.columns.{col.name} names the right column and the file's "
                "encoding; map words under values"
            )
    else:
        what += ", rows dropped" if col.required else ", left empty"
        fix = (
            f"correct them in the source, or map them under data.tables.{name}.values.{col.name}"
            if col.type in ("bool", "int", "float")
            else f"correct them in the source, or give data.tables.{name}.time_format"
        )
    return Problem(
        name,
        col.name,
        what,
        rows=n_bad,
        examples=examples,
        fix=fix,
        hard=hard,
        source=label,
        code=PARSE_CODES[col.type],
        msg="" if hard else f"parse_{col.type}_{'dropped' if col.required else 'emptied'}",
        args={"table": name, "column": col.name},
    )


def _empty_problem(name, p: _Plan, label) -> Problem:
    col = p.col
    return Problem(
        name,
        col.name,
        "empty in every row" + ("" if col.required else ", ignored"),
        fix=f"check that data.tables.{name}.columns.{col.name} names the right column"
        + ("" if col.required else ", or remove it"),
        hard=col.required,
        source=label,
        code="all_null",
        msg="" if col.required else "all_null_ignored",
        args={"table": name, "column": col.name},
    )


def _vocabulary_problems(con, sql, name, base, plans, nonnull, drop, label) -> list[Problem]:
    """Values outside a closed vocabulary: counted with examples; rows dropped or kept (events)."""
    out = []
    for p in plans:
        vocab = VOCABULARIES.get((name, p.col.name))
        if not vocab or not p.present:
            continue
        allowed, strict = vocab
        col = sql.q(p.col.name)
        cond = f"{col} NOT IN ({', '.join(sql.lit(x) for x in allowed)})"
        rows = fetch(
            con,
            f"SELECT {col}, count(*) AS n FROM {base} WHERE {col} IS NOT NULL AND {cond} GROUP BY 1 ORDER BY n DESC, 1",
        )
        if not rows:
            continue
        n = sum(r[1] for r in rows)
        share = n / max(nonnull[p.col.name], 1)
        hard = strict and share > HARD_SHARE
        if strict and not hard:
            drop.append(f"coalesce({cond}, FALSE)")
        effect = "rows dropped" if strict else "rows kept, outside the funnel"
        out.append(
            Problem(
                name,
                p.col.name,
                f"{len(rows)} value(s) not in {' | '.join(allowed)}"
                + (f" ({share:.0%} of rows)" if hard else f", {effect}"),
                rows=n,
                examples=[r[0] for r in rows[:3]],
                fix=f"map it under data.tables.{name}.values.{p.col.name} (e.g. {rows[0][0]!r}: "
                f"{_likely_value(rows[0][0], allowed)})"
                + ("" if strict else " if it is one of these steps; other events are left out of the funnel"),
                hard=hard,
                source=label,
                code="unmapped_value",
                msg="" if hard else f"unmapped_value_{'dropped' if strict else 'kept'}",
                args={
                    "values": len(rows),
                    "allowed": " | ".join(allowed),
                    "table": name,
                    "column": p.col.name,
                    "example": str(rows[0][0]),
                    "likely": str(_likely_value(rows[0][0], allowed)),
                },
            )
        )
    return out
