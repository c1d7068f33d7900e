"""Findings come from rules over targets and benchmarks, with directions from the catalog."""

from pathlib import Path

from retro.context import Recorded
from retro.findings import evaluate
from retro.params import load_params

DEMO = Path(__file__).resolve().parents[1] / "params" / "demo_double11.yaml"


def params(**update):
    return load_params(DEMO).model_copy(update=update)


def test_target_met_missed_and_near():
    p = params(targets={"gmv": 100.0, "orders": 100.0, "new_customers": 100.0}, benchmarks={})
    found = evaluate(
        [
            Recorded("gmv", 105.0, "sales"),
            Recorded("orders", 80.0, "sales"),
            Recorded("new_customers", 95.0, "users"),
        ],
        p,
    )
    kinds = {f.key: f.kind for f in found}
    assert kinds == {"gmv": "highlight", "orders": "problem"}  # 95% is between poor (90%) and good (100%)
    problem = found[0]
    assert problem.key == "orders" and "80.0%" in problem.text and problem.action


def test_lower_is_better_benchmark_and_segments():
    p = params(targets={}, benchmarks={"bounce_rate": 0.45, "view_to_cart": {"warmup": 0.18}})
    found = evaluate(
        [
            Recorded("bounce_rate", 0.50, "traffic"),
            Recorded("view_to_cart", 0.121, "funnel", segment="warmup"),
            Recorded("view_to_cart", 0.30, "funnel", segment="burst"),  # no benchmark for burst
        ],
        p,
    )
    assert [(f.key, f.segment, f.kind) for f in found] == [
        ("view_to_cart", "warmup", "problem"),
        ("bounce_rate", None, "problem"),
    ]
    assert "12.1%" in found[0].text and "18.0%" in found[0].text and "预热期" in found[0].text
    assert found[0].href == "03_funnel.html#finding-view_to_cart-warmup"


def test_missing_values_make_no_finding():
    p = params(targets={"roi": 3.0}, benchmarks={"roas": 4.0})
    assert evaluate([Recorded("roi", None, "marketing"), Recorded("roas", None, "marketing")], p) == []
