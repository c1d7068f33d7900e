"""Findings come from rules over targets and benchmarks, with directions from the catalog."""

from pathlib import Path

from retro.findings import evaluate
from retro.params import load_params
from retro.rundir import Recorded

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
    # 95% is short of the target: a miss, however close, not "near"
    assert kinds == {"gmv": "highlight", "orders": "problem", "new_customers": "problem"}
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


def test_custom_rules_from_the_yaml():
    from retro.params import FindingRule

    p = params(
        targets={},
        benchmarks={},
        findings=[
            FindingRule(figure="refund_rate", above=0.10),
            FindingRule(
                figure="view_to_cart",
                segment="warmup",
                below=0.15,
                kind="problem",
                text={"en": "Warm-up carts {value} < {threshold}", "zh": "预热加购 {value} 低于 {threshold}"},
                action={"en": "More cart coupons", "zh": "加购券"},
            ),
            FindingRule(figure="roas", above=3.0, kind="highlight"),
        ],
    )
    found = evaluate(
        [
            Recorded("refund_rate", 0.128, "sales"),
            Recorded("view_to_cart", 0.13, "funnel", segment="warmup"),
            Recorded("view_to_cart", 0.13, "funnel"),  # overall: the rule names the warm-up only
            Recorded("roas", 2.5, "marketing"),  # not above 3.0: no highlight
        ],
        p,
    )
    assert [(f.key, f.segment, f.kind) for f in found] == [
        ("refund_rate", None, "problem"),
        ("view_to_cart", "warmup", "problem"),
    ]
    assert found[0].text == "取消/退款占GMV比例 12.8%，高于 10.0%。" and found[0].action  # the catalog's action
    assert found[1].text == "预热加购 13.0% 低于 15.0%" and found[1].action == "加购券"
    assert found[1].anchor == "finding-view_to_cart-warmup-rule1"


def test_custom_rule_validation(tmp_path):
    import pytest
    import yaml
    from retro.errors import ParamsError

    doc = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    doc["findings"] = [{"figure": "refund_rat", "above": 0.1}, {"figure": "roas"}]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError) as e:
        load_params(path)
    lines = e.value.problems
    assert any("findings[0].figure: unknown figure 'refund_rat' (did you mean 'refund_rate'?)" in x for x in lines)
    assert any("findings[1]: give exactly one of above or below" in x for x in lines)


def test_labels_name_the_campaigns_own_settings():
    """A label never states a default the campaign changed: "Shipped within 72 h" when it ships within 72 h."""
    from retro.catalog import label

    p = params(targets={"ship_48h_rate": 0.9}, benchmarks={})
    p = p.model_copy(update={"settings": p.settings.model_copy(update={"ship_within_hours": 72, "retention_days": 7})})
    assert label("ship_48h_rate", "en", p.settings) == "Shipped within 72 h"
    assert label("retention_30d", "zh", p.settings) == "7日留存率"
    assert label("retention_30d", "en") == "N-day retention"  # a roll-up over campaigns with their own windows
    (found,) = evaluate([Recorded("ship_48h_rate", 0.5, "fulfilment")], p)
    assert "72小时发货率" in found.text and "48" not in found.text  # the demo reports in zh


def test_a_rate_within_noise_of_its_benchmark_is_no_finding():
    p = params(targets={}, benchmarks={"bounce_rate": 0.45})
    noise = [Recorded("bounce_rate", 0.453, "traffic", parts={"bounced": 453, "sessions": 1000})]
    assert evaluate(noise, p) == []  # 45.3% of 1,000 sessions: 45.0% is inside its 95% interval
    clear = [Recorded("bounce_rate", 0.53, "traffic", parts={"bounced": 5300, "sessions": 10000})]
    assert [f.kind for f in evaluate(clear, p)] == ["problem"]


def test_a_segment_under_30_observations_is_flagged_not_ranked():
    p = params(targets={}, benchmarks={"conversion_rate": {"private": 0.12}})
    found = evaluate(
        [Recorded("conversion_rate", 0.05, "funnel", segment="private", parts={"payers": 1, "viewers": 20})], p
    )
    assert [(f.key, f.too_small) for f in found] == [("conversion_rate", True)]


def test_findings_rank_by_money_and_immaterial_ones_drop():
    p = params(
        targets={"roi": 1.0},
        benchmarks={"first_response_p50_seconds": 30, "aov": 100.0, "conversion_rate": 0.05},
    )
    figures = [
        Recorded("gmv", 1_000_000.0, "sales"),
        Recorded("spend", 100_000.0, "marketing"),
        Recorded("roi", 0.82, "marketing"),  # 18% short of 1.0 on ¥100,000 spend: −¥18,000
        Recorded("first_response_p50_seconds", 62.0, "service"),  # twice the benchmark, but no money path
        Recorded("aov", 99.9, "sales"),  # GMV × (1 − 100 / 99.9) ≈ −¥1,001: under 0.5% of GMV
        Recorded("conversion_rate", 0.04, "funnel", parts={"payers": 4000, "viewers": 100_000}),
    ]
    found = evaluate(figures, p)
    # conversion: ¥1,000,000 × (1 − 0.05 / 0.04) = −¥250,000; ROI −¥18,000; then the one without money
    assert [f.key for f in found] == ["conversion_rate", "roi", "first_response_p50_seconds"]
    assert found[0].money == -250_000.0
    assert round(found[1].money) == -18_000
    assert found[2].money is None


def test_a_difference_without_money_must_be_material_relative_to_its_reference():
    p = params(targets={}, benchmarks={"bounce_rate": 0.45, "ship_48h_rate": 0.95, "complaint_rate": 0.01})
    found = evaluate(
        [
            Recorded("bounce_rate", 0.453, "traffic"),  # 0.3 pt on 45%: 0.7% apart
            Recorded("ship_48h_rate", 0.937, "fulfilment"),  # 6.3% late vs 5%: 26% more late
            Recorded("complaint_rate", 0.014, "service"),  # 40% above
        ],
        p,
    )
    assert sorted(f.key for f in found) == ["complaint_rate", "ship_48h_rate"]
