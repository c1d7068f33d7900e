"""Whether a difference is a finding: material in money and outside noise.

A rate that differs from its benchmark, its comparison campaign or another segment is a finding only when the
difference is larger than chance would give at the volumes behind it: a Wilson interval for one rate against a
fixed reference, a two-proportion z-test for two measured rates (statsmodels). A segment with fewer than
``MIN_OBSERVATIONS`` observations is too small to rank and is flagged instead. Money effects below a share of
GMV (``settings.materiality``) are not findings either.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_OBSERVATIONS = 30
ALPHA = 0.05  # two-sided: a 95% interval


@dataclass(frozen=True)
class Verdict:
    """Whether a rate differs from its reference beyond noise, with the interval or p-value behind it."""

    significant: bool
    too_small: bool
    low: float | None = None
    high: float | None = None
    p_value: float | None = None


def wilson(successes: float, n: float, alpha: float = ALPHA) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion; None without observations."""
    if not n or n <= 0:
        return None
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(min(successes, n), n, alpha=alpha, method="wilson")
    return float(low), float(high)


def against_reference(successes: float, n: float, reference: float, alpha: float = ALPHA) -> Verdict:
    """One measured rate against a fixed number (a benchmark): significant when outside the Wilson interval."""
    if not n or n < MIN_OBSERVATIONS:
        return Verdict(False, True)
    low, high = wilson(successes, n, alpha)
    return Verdict(not (low <= reference <= high), False, low, high)


def two_rates(x1: float, n1: float, x2: float, n2: float, alpha: float = ALPHA) -> Verdict:
    """Two measured rates (two segments, or this campaign and the last): a two-sided two-proportion z-test."""
    if not n1 or not n2 or min(n1, n2) < MIN_OBSERVATIONS:
        return Verdict(False, True)
    if x1 == x2 == 0 or (x1 == n1 and x2 == n2):
        return Verdict(False, False, p_value=1.0)
    from statsmodels.stats.proportion import proportions_ztest

    _, p = proportions_ztest([min(x1, n1), min(x2, n2)], [n1, n2])
    return Verdict(bool(p < alpha), False, p_value=float(p))
