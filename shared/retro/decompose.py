"""Why a figure moved: an exact additive split of a change into its drivers' contributions (Shapley).

A retrospective's "why" is GMV = visitors × orders per visitor × GMV per order, and the same summed over
channels. Going from a reference (the target, last year, ordinary days) to the actual, each driver's
contribution is its Shapley value: the change it makes when switched from reference to actual, averaged over
every order in which the drivers can be switched. The contributions add up to the whole change exactly,
whatever the size of the change, and stay defined when a factor is zero (a channel new this year), which the
log-mean Divisia index is not. With channels, the drivers are the number of visitor-channels, the channel
mix (each channel's share of them), the orders per visitor within each channel and the GMV per order within
each channel: "mix versus rate". With categories, net merchandise sales = units × category mix (each
category's share of units) × net sales per unit within each category.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import permutations
from math import factorial


def shapley(
    value: Callable[[Mapping[str, object]], float], reference: Mapping[str, object], actual: Mapping[str, object]
) -> dict[str, float]:
    """Each driver's contribution to ``value(actual) - value(reference)``; they sum to it exactly.

    ``value`` computes the figure from one value per driver (a number, or anything the function reads);
    drivers are switched from ``reference`` to ``actual`` in every order, and each one's marginal effects are
    averaged. Exact for any function; cost grows with the factorial of the number of drivers (2–5 here).
    """
    names = list(actual)
    out = dict.fromkeys(names, 0.0)
    for order in permutations(names):
        state = dict(reference)
        before = value(state)
        for name in order:
            state[name] = actual[name]
            after = value(state)
            out[name] += after - before
            before = after
    n = factorial(len(names))
    return {k: v / n for k, v in out.items()}


def product(values: Mapping[str, object]) -> float:
    """The product of the drivers (GMV = visitors × orders per visitor × GMV per order)."""
    out = 1.0
    for v in values.values():
        out *= float(v)
    return out


def funnel_drivers(visitors: float, orders: float, gmv: float) -> dict[str, float] | None:
    """Visitors, orders per visitor and GMV per order, whose product is GMV; None when a part is missing or 0."""
    if not visitors or not orders or gmv is None or visitors < 0 or orders < 0:
        return None
    return {"visitors": float(visitors), "orders_per_visitor": orders / visitors, "gmv_per_order": gmv / orders}


def split_gmv(reference: dict[str, float], actual: dict[str, float]) -> dict[str, float]:
    """Contributions of visitors, orders per visitor and GMV per order to the change in GMV."""
    return shapley(product, reference, actual)


def channel_parts(rows: Sequence[Mapping]) -> dict[str, dict[str, float]] | None:
    """Per-channel drivers from rows of ``channel``, ``visitors``, ``orders``, ``gmv``.

    Returns ``{"visitors": total, "mix": {c: share}, "rate": {c: orders per visitor}, "value": {c: GMV per
    order}}``; None when a channel has orders but no visitors (its orders cannot be put on any visit).
    """
    total = sum(float(r["visitors"] or 0) for r in rows)
    if total <= 0:
        return None
    mix, rate, value = {}, {}, {}
    for r in rows:
        c, v, n, g = r["channel"], float(r["visitors"] or 0), float(r["orders"] or 0), float(r["gmv"] or 0)
        if v == 0 and n > 0:
            return None
        mix[c] = v / total
        rate[c] = n / v if v else 0.0
        value[c] = g / n if n else 0.0
    return {"visitors": total, "mix": mix, "rate": rate, "value": value}


def mixed_total(parts: Mapping[str, object]) -> float:
    """A total from a mix: ``visitors`` (or ``units``) × Σ over segments of the product of the per-segment drivers."""
    total_key = next(k for k, v in parts.items() if not isinstance(v, Mapping))
    per = [v for v in parts.values() if isinstance(v, Mapping)]
    segments = set().union(*per) if per else set()
    out = 0.0
    for c in segments:
        term = parts[total_key]
        for d in per:
            term *= d.get(c, 0.0)
        out += term
    return out


def channel_gmv(parts: Mapping[str, object]) -> float:
    """GMV from channel drivers: Σ over channels of visitors × share × orders per visitor × GMV per order."""
    return mixed_total(parts)


def split_mix(reference: dict, actual: dict) -> dict[str, float]:
    """Contributions of the total, the mix and each per-segment driver to the change of a mixed total.

    A segment present on one side only has share and drivers 0 on the other.
    """
    segments = set().union(*(v for p in (reference, actual) for v in p.values() if isinstance(v, Mapping)))

    def padded(parts: dict) -> dict:
        return {k: ({c: v.get(c, 0.0) for c in segments} if isinstance(v, Mapping) else v) for k, v in parts.items()}

    return shapley(mixed_total, padded(reference), padded(actual))


def category_parts(rows: Sequence[Mapping]) -> dict[str, object] | None:
    """Per-category drivers from rows of ``category``, ``units``, ``net_sales``: units × mix × price per unit."""
    total = sum(float(r["units"] or 0) for r in rows)
    if total <= 0:
        return None
    mix = {r["category"]: float(r["units"] or 0) / total for r in rows}
    price = {r["category"]: (float(r["net_sales"] or 0) / float(r["units"])) if r["units"] else 0.0 for r in rows}
    return {"units": total, "mix": mix, "price": price}


def split_channels(reference: dict, actual: dict) -> dict[str, float]:
    """Contributions of total visitors, channel mix, within-channel rate and within-channel value to ΔGMV."""
    return split_mix(reference, actual)
