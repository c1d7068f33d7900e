"""Campaign against campaign: phase-day alignment, changes, `compare:` in the YAML and `retro compare`.

Small cases are computed by hand; the end-to-end ones compare the demo run with a "last year" run made from it
(its GMV scaled by 0.8, so the change is exactly +25%; its NPS dropped, so that change is n/a; its calendar a
year earlier with a warm-up two days shorter, so phase-day alignment differs from calendar alignment).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import DEMO_YAML, retro
from retro import comparison, freshness, rundir
from retro.comparison import align_daily, delta, phase_days, relative_change
from retro.context import Recorded, SectionContext
from retro.errors import ParamsError, RetroError
from retro.findings import comparison_findings
from retro.params import load_params
from retro.paths import shown
from retro.run import NOTEBOOK_DIR
from retro.rundir import load_run
from retro.sections import SECTIONS
from retro.validate import check_campaign, check_comparisons

PHASES_2026 = [
    {"name": "warmup", "start": "2026-11-01", "end": "2026-11-02"},
    {"name": "burst", "start": "2026-11-03", "end": "2026-11-03"},
    {"name": "tail", "start": "2026-11-04", "end": "2026-11-04"},
]
PHASES_2025 = [  # a three-day warm-up and a two-day tail
    {"name": "warmup", "start": "2025-10-30", "end": "2025-11-01"},
    {"name": "burst", "start": "2025-11-02", "end": "2025-11-02"},
    {"name": "tail", "start": "2025-11-03", "end": "2025-11-04"},
]


def fake_run(folder: Path, figures: list[Recorded], name="Double 11 2025", currency="CNY", phases=None) -> Path:
    """A finished run folder as `retro run` leaves it: figures per section and the campaign snapshot."""
    (folder / "figures").mkdir(parents=True)
    by_section: dict[str, list] = {}
    for f in figures:
        by_section.setdefault(f.section, []).append(f.__dict__)
    for section, recs in by_section.items():
        (folder / "figures" / f"{section}.json").write_text(json.dumps(recs))
    snap = {"id": "d11_2025", "name": name, "language": "en", "currency": currency, "phases": phases or PHASES_2025}
    (folder / "campaign.json").write_text(json.dumps(snap))
    return folder


def campaign_yaml(tmp_path: Path, compare: list, language="en") -> Path:
    doc = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    doc["campaign"]["language"] = language
    doc["compare"] = compare
    path = tmp_path / "this.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


# --- alignment and change, by hand ---------------------------------------------------------------------
def test_daily_values_align_by_phase_day_not_by_date():
    this = pd.DataFrame(
        {"day": ["2026-10-01", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"], "gmv": [9, 10, 11, 30, 12]}
    )
    last = pd.DataFrame(
        {"day": ["2025-10-30", "2025-10-31", "2025-11-01", "2025-11-02", "2025-11-03", "2025-11-04"],
         "gmv": [1, 2, 3, 20, 5, 4]}
    )  # fmt: skip
    assert phase_days(this, PHASES_2026)["phase_day"].tolist() == [1, 2, 1, 1]  # the baseline day is left out
    a = align_daily([("this", this, PHASES_2026, "gmv"), ("last", last, PHASES_2025, "gmv")])
    assert list(zip(a["phase"], a["phase_day"], strict=True)) == [
        ("warmup", 1), ("warmup", 2), ("warmup", 3), ("burst", 1), ("tail", 1), ("tail", 2)
    ]  # fmt: skip
    assert a["slot"].tolist() == [0, 1, 2, 3, 4, 5]
    # burst day 1 lines up with burst day 1 although the calendars differ by a day within the phase
    assert a["this"].tolist()[:2] + a["this"].tolist()[3:5] == [10, 11, 30, 12]
    assert a["last"].tolist() == [1, 2, 3, 20, 5, 4]
    # a day this campaign does not have is a gap, never 0
    assert pd.isna(a.loc[2, "this"]) and pd.isna(a.loc[5, "this"])


def test_changes_relative_in_points_and_n_a_never_zero():
    assert delta("gmv", 125, 100) == (0.25, "change")
    assert delta("gmv", 125, None) == (None, "change")  # missing in the comparison
    assert delta("gmv", 125, 0) == (None, "change")  # zero base
    assert delta("gmv", 125, 100, same_currency=False) == (None, "change")  # CNY against USD
    d, unit = delta("refund_rate", 0.12, 0.10)
    assert unit == "pp" and d == pytest.approx(0.02)
    d, unit = delta("nps", 20.0, 25.5)
    assert unit == "diff" and d == pytest.approx(-5.5)
    assert relative_change(0.1, -0.2) == pytest.approx(1.5)  # ROI from -0.2 to 0.1 is an improvement
    assert delta("orders", 90, 100) == (pytest.approx(-0.1), "change")


def test_findings_name_the_largest_changes_for_better_and_worse(tmp_path):
    last = load_run(
        fake_run(
            tmp_path / "last",
            [
                Recorded("aov", 460.0, "sales"),
                Recorded("refund_rate", 0.10, "sales"),
                Recorded("orders", 100.0, "sales"),
                Recorded("presale_share", 0.2, "sales"),
                Recorded("buyers", 0.0, "sales"),
            ],
        )
    )
    this = [
        Recorded("aov", 561.2, "sales"),  # +22%: a highlight
        Recorded("refund_rate", 0.13, "sales"),  # +30% relative, lower is better: a problem
        Recorded("orders", 105.0, "sales"),  # +5%: too small to mention
        Recorded("presale_share", 0.4, "sales"),  # neutral: never a finding
        Recorded("buyers", 50.0, "sales"),  # zero base: no change to state
        Recorded("gmv", 1000.0, "sales"),  # missing last year
    ]
    found = comparison_findings(this, [last], "en", "CNY")
    assert [(f.kind, f.key) for f in found] == [("problem", "refund_rate"), ("highlight", "aov")]
    assert found[1].text == "AOV (net sales / paid order) +22.0% vs Double 11 2025 (¥561.20 vs ¥460.00)"
    assert found[0].text.startswith("Cancelled or refunded share of GMV +3.0 pt vs Double 11 2025 (13.0% vs 10.0%)")
    assert found[0].action and found[0].anchor == "finding-refund_rate-overall-vs0"


# --- the YAML ----------------------------------------------------------------------------------------------
def compare_problems(params) -> list[str]:
    """What `retro run` and `retro check` refuse of the YAML's comparisons, before reading any data."""
    return check_comparisons(params, shown(params.source))


def test_compare_key_errors_name_the_key(tmp_path, monkeypatch):
    monkeypatch.setattr(rundir, "OUTPUTS", tmp_path / "project" / "outputs")  # default run folders of YAMLs
    ok = fake_run(tmp_path / "ok", [Recorded("gmv", 1.0, "sales")])
    (tmp_path / "empty").mkdir()
    no_snapshot = fake_run(tmp_path / "old", [Recorded("gmv", 1.0, "sales")])
    (no_snapshot / "campaign.json").unlink()
    never = tmp_path / "never.yaml"
    never.write_text("campaign: {id: never_run, name: Never}\n", encoding="utf-8")
    cases = [
        ({"run": "ok", "params": "never.yaml"}, "compare[0]: give exactly one of params"),
        ({"label": "x"}, "compare[0]: give exactly one of params"),
        ({"run": "nowhere"}, "compare[0].run: nowhere: run folder not found"),
        ({"run": "empty"}, "compare[0].run: empty: no recorded figures"),
        ({"run": "old"}, "compare[0].run: old: no campaign.json"),
        ({"params": "missing.yaml"}, "compare[0].params: missing.yaml: file not found"),
        ({"params": "never.yaml"}, "compare[0].params: never.yaml has not been run: run `retro run never.yaml`"),
        ({"run": str(rundir.OUTPUTS / "demo_double11")}, "compare[0]: this is the campaign's own run"),
    ]
    for entry, expected in cases:  # the YAML's own keys when it loads, the runs they name before a run
        try:
            problems = compare_problems(load_params(campaign_yaml(tmp_path, [entry])))
        except ParamsError as e:
            problems = e.problems
        (line,) = problems
        assert expected in line and line.startswith(str(tmp_path / "this.yaml")), line
    # two comparisons both defaulting to the run's campaign name
    twice = load_params(campaign_yaml(tmp_path, [{"run": "ok"}, {"run": str(ok)}]))
    assert compare_problems(twice) == [f"{tmp_path / 'this.yaml'}: compare: label 'Double 11 2025' is used twice; "
                                       "give each comparison its own label"]  # fmt: skip
    with pytest.raises(RetroError) as e:  # the pre-run check refuses it, with whatever else it finds
        check_campaign(load_params(campaign_yaml(tmp_path, [{"run": "nowhere"}])))
    assert any("compare[0].run: nowhere: run folder not found" in line for line in e.value.problems)
    # a campaign YAML that has run is read from its default run folder outputs/<id>/
    fake_run(tmp_path / "project" / "outputs" / "never_run", [Recorded("gmv", 1.0, "sales")], name="Never")
    params = load_params(campaign_yaml(tmp_path, [{"params": "never.yaml"}]))
    (run,) = rundir.load_comparisons(params)
    assert run.label == "Never" and run.figure("gmv") == 1.0


def test_figures_table_gains_the_comparison_value_and_change(tmp_path):
    fake_run(
        tmp_path / "last",
        [Recorded("gmv", 100.0, "sales"), Recorded("aov", 0.0, "sales"), Recorded("refund_rate", 0.10, "sales")],
    )
    params = load_params(campaign_yaml(tmp_path, [{"label": "D11 2025", "run": "last"}]))
    ctx = SectionContext(SECTIONS["sales"], params, tmp_path / "run")
    table = ctx.figures_table({"gmv": 125.0, "aov": 50.0, "refund_rate": 0.12, "orders": 10}, "Sales")
    assert table.df[["compare0", "change0"]].values.tolist() == [
        ["¥100.00", "+25.0%"],
        ["¥0.00", "n/a"],  # zero base
        ["10.0%", "+2.0 pt"],
        ["n/a", "n/a"],  # not recorded last year: n/a, not 0
    ]
    html = table._repr_html_()
    assert ">D11 2025</th>" in html and ">vs D11 2025</th>" in html


def test_a_section_reruns_when_the_comparisons_figures_change(tmp_path):
    last = fake_run(tmp_path / "last", [Recorded("gmv", 100.0, "sales")])
    params = load_params(campaign_yaml(tmp_path, [{"run": "last"}]))
    nb = NOTEBOOK_DIR / SECTIONS["sales"].notebook

    def fingerprint():
        return freshness.section_fingerprint("sales", params, tmp_path / "run", nb)

    before = fingerprint()
    assert fingerprint() == before
    (last / "figures" / "sales.json").write_text(json.dumps([Recorded("gmv", 90.0, "sales").__dict__]))
    assert fingerprint() != before


# --- end to end on the demo run --------------------------------------------------------------------------
def make_last_year(run_dir: Path, dest: Path) -> Path:
    """The built demo run a year earlier: GMV x 0.8, no NPS, a warm-up two days shorter; figures and marts only."""
    (dest / "figures").mkdir(parents=True)
    for path in (run_dir / "figures").glob("*.json"):
        recs = [r for r in json.loads(path.read_text(encoding="utf-8")) if r["key"] != "nps"]
        for r in recs:
            if r["key"] == "gmv" and r["value"] is not None:
                r["value"] *= 0.8
        (dest / "figures" / path.name).write_text(json.dumps(recs))
    snap = json.loads((run_dir / "campaign.json").read_text(encoding="utf-8"))

    def year_earlier(day: str, later: int = 0) -> str:
        return (date.fromisoformat(day) - timedelta(days=364 - later)).isoformat()

    phases = [{**p, "start": year_earlier(p["start"]), "end": year_earlier(p["end"])} for p in snap["phases"]]
    phases[0]["start"] = year_earlier(snap["phases"][0]["start"], later=2)
    snap.update(id="d11_2025", name="Double 11 2025", phases=phases, baseline=None)
    (dest / "campaign.json").write_text(json.dumps(snap, ensure_ascii=False))
    (dest / "marts").mkdir()
    for name in ("sales_daily", "traffic_daily"):
        m = pd.read_parquet(run_dir / "marts" / f"{name}.parquet")
        m["day"] = pd.to_datetime(m["day"]) - pd.Timedelta(days=364)
        m.to_parquet(dest / "marts" / f"{name}.parquet")
    return dest


@pytest.fixture(scope="module")
def last_year(built, tmp_path_factory):
    *_, run_dir, r = built
    assert r.returncode == 0, r.stderr
    return make_last_year(run_dir, tmp_path_factory.mktemp("cmp") / "last_year")


@pytest.mark.e2e
def test_run_leaves_a_campaign_snapshot(built):
    _, params_file, *_, run_dir, _ = built
    snap = json.loads((run_dir / "campaign.json").read_text(encoding="utf-8"))
    p = load_params(params_file)
    assert snap["id"] == "demo_double11" and snap["name"] == p.campaign.name and snap["currency"] == "CNY"
    assert snap["phases"][1] == {"name": "burst", "start": "2026-11-11", "end": "2026-11-13"}


@pytest.mark.e2e
def test_cards_findings_and_daily_chart_show_last_year(built, last_year, tmp_path):
    from retro.findings import campaign_findings
    from retro.sections import sales, summary

    root, params_file, *_, run_dir, _ = built
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    doc["compare"] = [{"run": str(last_year)}]
    path = root / "campaign_vs_last_year.yaml"  # beside the demo YAML: same data, same marts
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    params = load_params(path)
    cards = summary.kpi_cards(SectionContext(SECTIONS["summary"], params, run_dir)).cards
    by_label = {c["label"]: c["lines"] for c in cards}
    assert any(line.startswith("较Double 11 2025 +25.0%") for line in by_label["GMV（成交总额）"])
    assert any(line.startswith("较Double 11 2025 n/a") for line in by_label["NPS（净推荐值）"])
    found = [f for f in campaign_findings(SectionContext(SECTIONS["summary"], params, run_dir)) if f.versus == 0]
    assert [(f.kind, f.key) for f in found] == [("highlight", "gmv")]  # nothing else changed
    assert found[0].text.startswith("GMV（成交总额）较Double 11 2025 +25.0%")

    ctx = SectionContext(SECTIONS["sales"], params, run_dir)
    assert sales.daily_chart(ctx).title.startswith("每日GMV与净销售额（CNY）对比Double 11 2025")
    this = pd.read_parquet(run_dir / "marts" / "sales_daily.parquet")
    a = align_daily(
        [("this", this, comparison.phases_of(params), "gmv"), ("last", *_last(last_year, "sales_daily"), "gmv")]
    )
    warm = a[a["phase"] == "warmup"].set_index("phase_day")
    day = pd.to_datetime(this["day"])
    assert warm.loc[1, "last"] == this.loc[day == pd.Timestamp("2026-11-06"), "gmv"].item()  # its day 1: our day 3
    assert pd.isna(warm.loc[6, "last"]) and pd.isna(warm.loc[7, "last"])  # its warm-up has 5 days
    burst = a[a["phase"] == "burst"]
    assert burst["this"].tolist() == burst["last"].tolist()


def _last(run: Path, mart: str):
    return pd.read_parquet(run / "marts" / f"{mart}.parquet"), json.loads((run / "campaign.json").read_text())["phases"]


@pytest.mark.e2e
def test_retro_compare_builds_one_page_without_raw_data(built, last_year, tmp_path):
    root, _, data, run_dir, _ = built
    away = root / "data-moved-away"
    data.rename(away)  # the raw data is gone: only figures and marts are read
    try:
        r = retro("compare", run_dir, last_year, "--output", tmp_path / "out")
    finally:
        away.rename(data)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "双11大促 2026（演示数据） 对比 Double 11 2025" in html
    row = html[html.index(">GMV（成交总额）</td>") :].split("</tr>")[0]
    assert "+25.0%" in row
    nps = html[html.index(">NPS（净推荐值）</td>") :].split("</tr>")[0]
    assert nps.count("n/a") == 2  # last year's value and the change
    assert html.count("data:image/png;base64,") == 3  # GMV, net sales and UV by phase day
    content = re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # ECharts' code names the SVG namespace
    assert "http://" not in content and "https://" not in content and str(root) not in html

    bad = retro("compare", tmp_path / "nowhere", last_year)
    assert bad.returncode == 2 and bad.stderr.strip() == f"error: {tmp_path / 'nowhere'}: run folder not found"


@pytest.mark.e2e
def test_run_with_compare_shows_it_on_the_pages(built, last_year, tmp_path):
    root, params_file, _, run_dir, _ = built
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    doc["compare"] = [{"label": "D11 2025", "run": str(last_year)}]
    path = root / "campaign_compare_run.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    r = retro("run", path, "--output", copy, "--only", "sales,funnel", "--jobs", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    sales_page = (copy / "report" / SECTIONS["sales"].page).read_text(encoding="utf-8")
    assert ">较D11 2025</th>" in sales_page and "GMV（成交总额）较D11 2025 +25.0%" in sales_page
    # the funnel's whole-campaign rates too (last year's copy has the same rates: +0.0 points)
    funnel_page = re.sub(r"<[^>]+>", " ", (copy / "report" / SECTIONS["funnel"].page).read_text(encoding="utf-8"))
    assert re.search(r"浏览→加购转化率\s+(\d+\.\d%)\s+\1\s+\+0\.0个百分点", funnel_page)
    index = (copy / "report" / "index.html").read_text(encoding="utf-8")
    assert "较D11 2025 +25.0%" in index
