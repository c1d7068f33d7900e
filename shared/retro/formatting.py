"""Numbers as the report shows them, in the report's language.

zh uses 万 / 亿 and ¥; en uses K / M / B and the campaign currency's symbol (or its code). Percentages carry
one decimal. A missing or undefined value is "n/a", never "nan" or "inf".
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
NA = "n/a"


def is_missing(value) -> bool:
    """True for None, NaN, inf and pandas' NA: values a ratio could not be computed for."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def number(value, lang: str, decimals: int | None = None) -> str:
    """A plain quantity, abbreviated for large values (1.23万 / 12.3K)."""
    if is_missing(value):
        return NA
    v = float(value)
    a = abs(v)
    scale = _scale_of(a, lang)
    if scale.divisor != 1:
        return scaled(v, scale)
    if decimals is None:
        decimals = 0 if v == round(v) else 2
    return f"{v:,.{decimals}f}"


def count(value, lang: str) -> str:
    """A count (or an average of counts): whole numbers, one decimal only under 10 (1.3 items, 723 orders)."""
    if is_missing(value):
        return NA
    v = float(value)
    return number(v, lang, decimals=0 if abs(v) >= 10 or v == round(v) else 1)


@dataclass(frozen=True)
class Scale:
    """One unit and precision shared by a table column or a chart axis: 万 with 2 decimals, K with 1."""

    divisor: float = 1.0
    suffix: str = ""
    decimals: int = 0


# (from this magnitude, divisor, suffix, decimals), largest first
_SCALES = {
    "zh": ((1e8, 1e8, "亿", 2), (1e4, 1e4, "万", 2)),
    "en": ((1e9, 1e9, "B", 2), (1e6, 1e6, "M", 2), (1e4, 1e3, "K", 1)),
}


def _scale_of(magnitude: float, lang: str) -> Scale:
    for start, divisor, suffix, decimals in _SCALES["zh" if lang == "zh" else "en"]:
        if magnitude >= start:
            return Scale(divisor, suffix, decimals)
    return Scale()


def scale_for(values, unit: str, lang: str) -> Scale:
    """The unit a column or axis of money or counts is shown in, from the magnitude of its typical value.

    The median of the non-zero values decides (a total row or one outlier does not turn every row into
    0.00M); unscaled money keeps cents below 10 000, unscaled counts are whole numbers.
    """
    finite = sorted(abs(float(v)) for v in values if not is_missing(v) and float(v) != 0)
    if not finite:
        return Scale(decimals=2 if unit == "money" else 0)
    n = len(finite)
    typical = finite[n // 2] if n % 2 else (finite[n // 2 - 1] + finite[n // 2]) / 2
    scale = _scale_of(typical, lang)
    if scale.divisor != 1:
        return scale
    if unit == "money":
        return Scale(decimals=2)
    whole = all(v == round(v) for v in finite)
    return Scale(decimals=0 if whole or typical >= 10 else 1)


def scaled(v: float, scale: Scale) -> str:
    """``v`` in a column's or axis's unit, thousands separated: 1,240.24万, 3.77万, 0.38万."""
    return f"{v / scale.divisor:,.{scale.decimals}f}{scale.suffix}"


def in_scale(value, unit: str, scale: Scale, currency: str = "CNY") -> str:
    """A money amount or count in a shared scale (``scale_for``): every row of a column reads alike."""
    if is_missing(value):
        return NA
    v = float(value)
    if unit != "money":
        return scaled(v, scale)
    sign = "-" if v < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{scaled(abs(v), scale)}"


def money(value, lang: str, currency: str = "CNY") -> str:
    """A money amount with the currency symbol: ¥123.45万, $1.23M, ¥532.10."""
    if is_missing(value):
        return NA
    v = float(value)
    sign = "-" if v < 0 else ""
    sym = SYMBOLS.get(currency, currency + " ")
    body = number(abs(v), lang, decimals=2 if abs(v) < 1e4 else None)
    return f"{sign}{sym}{body}"


def pct(value, decimals: int = 1, signed: bool = False) -> str:
    """A share or rate as a percentage with one decimal: 0.1234 -> 12.3%."""
    if is_missing(value):
        return NA
    shown = round(float(value) * 100, decimals) + 0.0  # + 0.0: a change that rounds to zero is +0.0%, not -0.0%
    return f"{shown:+.{decimals}f}%" if signed else f"{shown:.{decimals}f}%"


def duration(seconds, lang: str) -> str:
    """Seconds as s / min / h, whichever reads best."""
    if is_missing(seconds):
        return NA
    s = float(seconds)
    if s < 120:
        return f"{s:.0f}秒" if lang == "zh" else f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f}分钟" if lang == "zh" else f"{s / 60:.1f} min"
    return f"{s / 3600:.1f}小时" if lang == "zh" else f"{s / 3600:.1f} h"


def hours(value, lang: str) -> str:
    """Hours with one decimal."""
    if is_missing(value):
        return NA
    return f"{float(value):.1f}小时" if lang == "zh" else f"{float(value):.1f} h"


def points(value, lang: str) -> str:
    """A difference between two rates in percentage points: 0.021 -> +2.1 pt (zh: +2.1个百分点)."""
    if is_missing(value):
        return NA
    shown = round(float(value) * 100, 1) + 0.0  # never "-0.0"
    return f"{shown:+.1f}" + ("个百分点" if lang == "zh" else " pt")


def value(v, unit: str, lang: str, currency: str = "CNY") -> str:
    """Format a value by unit: money, count, pct, change (signed pct), pp (points), diff (signed), ratio, ..."""
    if unit == "change":
        return pct(v, signed=True)
    if unit == "pp":
        return points(v, lang)
    if unit == "diff":
        return NA if is_missing(v) else f"{round(float(v), 1) + 0.0:+.1f}"
    if unit == "money":
        return money(v, lang, currency)
    if unit == "pct":
        return pct(v)
    if unit == "seconds":
        return duration(v, lang)
    if unit == "hours":
        return hours(v, lang)
    if unit == "ratio":
        return NA if is_missing(v) else f"{float(v):.2f}"
    if unit == "score":
        return NA if is_missing(v) else f"{float(v):.1f}"
    if unit == "count":
        return count(v, lang)
    return number(v, lang)


# --- message text ----------------------------------------------------------------------------------
def short(value, limit: int = 40) -> str:
    """A value as text, cut to ``limit`` characters with an ellipsis: examples in one-line messages."""
    s = str(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def suggest(word: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing: the tail of an "unknown" message."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
