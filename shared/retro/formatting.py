"""Numbers as the report shows them, in the report's language.

zh uses 万 / 亿 and ¥; en uses K / M / B and the campaign currency's symbol (or its code). Percentages carry
one decimal. A missing or undefined value is "n/a", never "nan" or "inf".
"""

from __future__ import annotations

import difflib
import math

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
    if lang == "zh":
        if a >= 1e8:
            return f"{v / 1e8:.2f}亿"
        if a >= 1e4:
            return f"{v / 1e4:.2f}万"
    else:
        if a >= 1e9:
            return f"{v / 1e9:.2f}B"
        if a >= 1e6:
            return f"{v / 1e6:.2f}M"
        if a >= 1e4:
            return f"{v / 1e3:.1f}K"
    if decimals is None:
        decimals = 0 if v == round(v) else 2
    return f"{v:,.{decimals}f}"


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
