"""How a text column writes its numbers and dates, read from its values: the decimal separator, the day order.

``1.320,00`` is 1320 in Germany and Brazil and ``05/11/2026`` is the 5th of November in most of the world: a
parser that assumes one convention silently multiplies amounts by 100 or moves orders out of the campaign.
So each text column is read as its own values say, in one pass over the source:

- numbers: a value decides the decimal separator when only one reading is possible (``120,00``, ``1,5``,
  ``1.320,00`` and ``1.234.567`` say comma; ``1.5``, ``1,320.00`` and ``1,234,567`` say point); ``1,320``
  and ``1.320`` (one separator, three digits after it) decide nothing. A column whose values say both, or
  only undecided values in a money column, is refused: the YAML's ``decimal`` settles it. A whole-number
  column reads an undecided separator as grouping (1.2 is no count of items).
- dates written day, month, year in any order of the first two (``05/11/2026``, ``05.11.2026``,
  ``05-11-2026``): a first number above 12 says day first, a second above 12 says month first; both in one
  column, or neither (every such date reads both ways), is refused: ``time_format`` settles it.

With ``decimal`` or ``time_format`` given, the values are read that way and nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..quality import Problem
from .engines import fetch

# currency symbols, units and spaces around a number (thousands separators are handled apart)
NUMBER_NOISE = r"[\s\x{00A0}\x{202F}'¥￥$€£₩]|元|RMB|CNY|USD|EUR|GBP|HKD"
_SIGN = r"[-+]?"
COMMA_DECIMAL = _SIGN + r"(\d{1,3}(\.\d{3})+,\d*|\d+,(\d{1,2}|\d{4,})|\d{4,},\d+|0,\d+|\d{1,3}(\.\d{3}){2,})"
POINT_DECIMAL = _SIGN + r"(\d{1,3}(,\d{3})+\.\d*|\d+\.(\d{1,2}|\d{4,})|\d{4,}\.\d+|0\.\d+|\d{1,3}(,\d{3}){2,})"
UNDECIDED_COMMA = _SIGN + r"[1-9]\d{0,2},\d{3}"
UNDECIDED_POINT = _SIGN + r"[1-9]\d{0,2}\.\d{3}"
GROUPED_COMMA = _SIGN + r"\d{1,3}(,\d{3})+(\.\d*)?"  # 1,234,567.89
GROUPED_POINT = _SIGN + r"\d{1,3}(\.\d{3})+(,\d*)?"  # 1.234.567,89
NUMERIC = _SIGN + r"(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?"  # what is left must be a plain number

_DMY = r"[/.-]"
DAY_FIRST = r"(1[3-9]|2\d|3[01])" + _DMY + r"(0?[1-9]|1[0-2])" + _DMY + r"\d{4}"
MONTH_FIRST = r"(0?[1-9]|1[0-2])" + _DMY + r"(1[3-9]|2\d|3[01])" + _DMY + r"\d{4}"
EITHER_ORDER = r"(0?[1-9]|1[0-2])" + _DMY + r"(0?[1-9]|1[0-2])" + _DMY + r"\d{4}"
_TIMES = (" %H:%M:%S", " %H:%M", "")
DAY_FIRST_FORMATS = tuple(f"%d{s}%m{s}%Y{t}" for s in "/.-" for t in _TIMES)
MONTH_FIRST_FORMATS = tuple(f"%m{s}%d{s}%Y{t}" for s in "/.-" for t in _TIMES)


@dataclass(frozen=True)
class Column:
    """A text column to read: its canonical name, whether it holds money or whole numbers, and its kind."""

    name: str
    kind: str  # "number" or "date"
    whole: bool = False  # an int column: an undecided separator is grouping
    money: bool = False


def number_text(sql, v: str, decimal: str) -> str:
    """SQL: the text ``v`` as a plain number's text ("-1320.5"), NULL where it is not written as one.

    ``(12)`` is -12 (accounting); currency symbols, units and spaces are dropped; separators are read by
    ``decimal``; NaN, infinity and anything else that is not digits is NULL (counted as not a number).
    """
    neg = sql.replace_all(v, r"^\((.*)\)$", r"-\1")
    n = sql.replace_all(neg, NUMBER_NOISE, "")
    if decimal == ",":
        plain = (
            f"CASE WHEN NOT {sql.search(n, '[.]')} THEN replace({n}, ',', '.') "
            f"WHEN {sql.full_match(n, GROUPED_POINT)} THEN replace(replace({n}, '.', ''), ',', '.') END"
        )
    else:
        plain = (
            f"CASE WHEN NOT {sql.search(n, ',')} THEN {n} "
            f"WHEN {sql.full_match(n, GROUPED_COMMA)} THEN replace({n}, ',', '') END"
        )
    return f"CASE WHEN {sql.full_match(plain, NUMERIC)} THEN {plain} END"


def read_notation(con, sql, relation: str, columns: dict[str, Column], table: str, label: str):
    """Each column's convention from its values, in one pass: ({value column: '.'|','|'dmy'|'mdy'}, problems).

    ``relation`` is SQL over which ``columns`` (keyed by their value column, e.g. "v3") are text.
    """
    if not columns:
        return {}, []
    aggs = []
    for v, c in columns.items():
        n = sql.replace_all(sql.replace_all(v, r"^\((.*)\)$", r"-\1"), NUMBER_NOISE, "")
        tests = (
            [COMMA_DECIMAL, POINT_DECIMAL, UNDECIDED_COMMA, UNDECIDED_POINT]
            if c.kind == "number"
            else [DAY_FIRST, MONTH_FIRST, EITHER_ORDER, None]
        )
        for pattern in tests:
            if pattern is None:
                aggs += ["0", "NULL"]
                continue
            if c.kind == "number":
                cond = sql.full_match(n, pattern)
            else:
                cond = sql.search(v, "^" + pattern)
                if pattern is EITHER_ORDER:  # 11/11/2026 reads the same both ways
                    first = f"TRY_CAST(regexp_extract({v}, {sql.lit('^([0-9]{1,2})')}, 1) AS INT)"
                    second = f"TRY_CAST(regexp_extract({v}, {sql.lit('^[0-9]{1,2}[/.-]([0-9]{1,2})')}, 1) AS INT)"
                    cond = f"({cond} AND {first} <> {second})"
            aggs += [f"count(*) FILTER (WHERE {cond})", f"min({v}) FILTER (WHERE {cond})"]
    row = fetch(con, f"SELECT {', '.join(aggs)} FROM {relation}")[0]
    found, undecided = {}, {}
    for k, (v, c) in enumerate(columns.items()):
        counts = row[k * 8 : k * 8 + 8]
        where = f"data.tables.{table}"
        choice, problem = _decimal(c, *counts, where) if c.kind == "number" else _day_order(c, *counts[:6], where)
        if choice:
            found[v] = choice
        elif problem:
            undecided[v] = problem
    problems = []
    for v, (what, rows, examples, fix, code) in undecided.items():
        # one export writes every column one way: a column that cannot tell takes what its table's others say
        said = {found[o] for o in found if columns[o].kind == columns[v].kind}
        if code.startswith("ambiguous") and len(said) == 1:
            found[v] = said.pop()
            continue
        problems.append(Problem(table, columns[v].name, what, rows, examples, fix, hard=True, source=label, code=code))
    return found, problems


def _decimal(c: Column, comma, ex_comma, point, ex_point, und_comma, ex_uc, und_point, ex_up, where):
    """The column's decimal separator, or the problem (what, rows, examples, fix, code) of a column that cannot tell."""
    fix = f"set {where}.decimal: ',' (1.320,50) or '.' (1,320.50)"
    if comma and point:
        what = f"mixes decimal commas ({comma} values) and decimal points ({point} values)"
        fix += ", and correct the values written the other way"
        return None, (what, comma + point, [ex_comma, ex_point], fix, "mixed_decimal")
    if comma:
        return ",", None
    if point:
        return ".", None
    if not (und_comma or und_point):
        return None, None
    if c.whole and not (und_comma and und_point):
        return ("." if und_comma else ","), None  # 1,320 items: grouping, whichever mark it is
    example = ex_uc or ex_up
    whole, _, part = re.sub(r"[^\d.,]", "", example).replace(",", ".").partition(".")
    what = (
        f"numbers with one separator and three digits after it read two ways ({example!r} is {whole}{part} or "
        f"{whole}.{part.rstrip('0') or '0'}), and no value shows which mark is the decimal separator"
    )
    examples = [x for x in (ex_uc, ex_up) if x]
    return None, (what, (und_comma or 0) + (und_point or 0), examples, fix, "ambiguous_decimal")


def _day_order(c: Column, day_first, ex_day, month_first, ex_month, either, ex_either, where):
    """The column's day order ("dmy" or "mdy"), or the problem of a column that cannot tell."""
    fix = f"give {where}.time_format (e.g. '%d/%m/%Y %H:%M' day first, '%m/%d/%Y %H:%M' month first)"
    if day_first and month_first:
        what = f"mixes day-first ({day_first} values) and month-first ({month_first} values) dates"
        fix += ", and correct the values written the other way"
        return None, (what, day_first + month_first, [ex_day, ex_month], fix, "mixed_date_order")
    if day_first:
        return "dmy", None
    if month_first:
        return "mdy", None
    if either:
        what = "dates read as day/month or as month/day, and no value has a day above 12 to tell which"
        return None, (what, either, [ex_either], fix, "ambiguous_date_order")
    return None, None
