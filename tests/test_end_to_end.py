"""The whole kit on generated demo data: the CLI builds every page, and the headline numbers it shows equal
numbers this test computes independently from the raw demo tables with pandas."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import retro
from retro import formatting as fmt
from retro.params import load_params
from retro.paths import PROJECT_ROOT
from retro.sections import SECTIONS

pytestmark = pytest.mark.e2e


def raw(data: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(data / table)


def page(run_dir: Path, name: str) -> str:
    return (run_dir / "report" / SECTIONS[name].page).read_text(encoding="utf-8")


def test_run_succeeds_and_reports_progress(built):
    *_, r = built
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for name in SECTIONS:
        assert re.search(rf"^\s+{name}\s+done in \d+\.\d+s$", r.stdout, re.M), f"no progress line for {name}"
    assert r.stdout.strip().splitlines()[-1].startswith("report: ")


def test_every_page_exists_without_errors_code_or_paths(built):
    root, params_file, data, run_dir, _ = built
    report = run_dir / "report"
    for name in SECTIONS:
        html = page(run_dir, name)
        assert 'lang="zh-CN"' in html
        html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)  # the inline CSS names every class
        # and the page's own scripts (ECharts, sorting) are code; the charts' data (JSON) stays and is checked
        html = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
        for bad in (
            "Traceback",
            "section-status",
            "Error",
            "import retro",
            "params_file",
            "open_section",
            str(root),
            str(PROJECT_ROOT),
            "<script src",
            "In&nbsp;[",
            "jp-InputPrompt",
        ):
            assert bad not in html, f"{bad!r} in {name}"
    index = (report / "index.html").read_text(encoding="utf-8")
    for name in SECTIONS:
        assert f'href="{SECTIONS[name].page}"' in index
    names = zipfile.ZipFile(report / "report.zip").namelist()
    assert {f"demo_double11/{SECTIONS[n].page}" for n in SECTIONS} <= set(names)
    assert (report / "report.html").stat().st_size > 0


def test_every_section_page_keeps_its_title(built):
    *_, run_dir, _ = built
    for sec in SECTIONS.values():
        html = (run_dir / "report" / sec.page).read_text(encoding="utf-8")
        assert f"{sec.number:02d} · {sec.title('zh')}" in html and "<h1" in html, sec.page


def test_language_follows_the_yaml(built):
    *_, run_dir, _ = built
    html = page(run_dir, "sales")
    assert "核心指标" in html and "Headline figures" not in html


def test_sales_figures_equal_raw_computation(built):
    _, params_file, data, run_dir, _ = built
    p = load_params(params_file)
    o = raw(data, "orders")
    camp = o[(o.order_time >= pd.Timestamp(p.start)) & (o.order_time < pd.Timestamp(p.end_exclusive))]
    paid = camp[camp.status == "paid"]
    gmv, orders, aov = camp.paid_amount.sum(), len(camp), paid.paid_amount.sum() / len(paid)
    figures = {
        f["key"]: f["value"]
        for f in json.loads((run_dir / "figures" / "sales.json").read_text())
        if f["segment"] is None
    }
    assert figures["gmv"] == pytest.approx(gmv)
    assert figures["orders"] == orders
    assert figures["aov"] == pytest.approx(aov)
    html = page(run_dir, "sales")
    for shown in (fmt.money(gmv, "zh"), fmt.number(orders, "zh"), fmt.money(aov, "zh")):
        assert shown in html


def test_traffic_and_funnel_equal_raw_computation(built):
    _, params_file, data, run_dir, _ = built
    p = load_params(params_file)
    e = raw(data, "events")
    e = e[(e.event_time >= pd.Timestamp(p.start)) & (e.event_time < pd.Timestamp(p.end_exclusive))]
    uv = e.visitor_id.nunique()
    # closed funnel: a visitor counts at a step after reaching every earlier step in the campaign
    reached, steps = None, {}
    for s in ("view", "cart", "order", "pay"):
        who = set(e.loc[e.event_type == s, "visitor_id"])
        reached = who if reached is None else reached & who
        steps[s] = len(reached)
    traffic = {
        f["key"]: f["value"]
        for f in json.loads((run_dir / "figures" / "traffic.json").read_text())
        if f["segment"] is None
    }
    assert traffic["uv"] == uv
    assert fmt.number(uv, "zh") in page(run_dir, "traffic")
    funnel = {
        f["key"]: f["value"]
        for f in json.loads((run_dir / "figures" / "funnel.json").read_text())
        if f["segment"] is None
    }
    expected = {
        "view_to_cart": steps["cart"] / steps["view"],
        "cart_to_order": steps["order"] / steps["cart"],
        "order_to_pay": steps["pay"] / steps["order"],
        "closed_conversion": steps["pay"] / steps["view"],
        # open: every campaign payer, whatever steps they took, over every campaign viewer
        "conversion_rate": len(set(e.loc[e.event_type == "pay", "visitor_id"]))
        / len(set(e.loc[e.event_type == "view", "visitor_id"])),
    }
    html = page(run_dir, "funnel")
    for key, value in expected.items():
        assert funnel[key] == pytest.approx(value), key
        assert fmt.pct(value) in html, key


def test_summary_cites_figures_and_links_resolve(built):
    *_, run_dir, _ = built
    report = run_dir / "report"
    index = (report / "index.html").read_text(encoding="utf-8")
    assert "kpi-card" in index and "finding-problem" in index
    for href in set(re.findall(r'href="([^"#]+\.html)#([^"]+)"', index)):
        target = (report / href[0]).read_text(encoding="utf-8")
        assert f'id="{href[1]}"' in target, href


def test_only_reruns_chosen_sections_and_keeps_the_rest(built):
    _, params_file, _, run_dir, _ = built
    before = (run_dir / "report" / "02_traffic.html").read_text(encoding="utf-8")
    r = retro("run", params_file, "--output", run_dir, "--only", "sales")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s+sales\s+started", r.stdout, re.M) and not re.search(r"^\s+traffic\s+started", r.stdout, re.M)
    after = (run_dir / "report" / "02_traffic.html").read_text(encoding="utf-8")
    strip = lambda s: re.sub(r"生成于 [0-9: -]+", "", s)  # noqa: E731 - the footer's run time differs
    assert strip(before) == strip(after)


def test_failed_section_does_not_stop_the_others(demo, tmp_path):
    from retro.run import run_campaign

    _, params_file, _ = demo
    notebooks = tmp_path / "notebooks"
    shutil.copytree(PROJECT_ROOT / "notebooks", notebooks)
    nb = json.loads((notebooks / "02_traffic.ipynb").read_text())
    nb["cells"].insert(
        4,
        {
            "id": "broken-on-purpose",
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "# a mistaken column name\nrows = {'uv': 1}\nrows['views']",
        },
    )
    (notebooks / "02_traffic.ipynb").write_text(json.dumps(nb))
    result = run_campaign(
        params_file,
        only=["traffic", "sales"],
        run_dir=tmp_path / "run",
        jobs=2,
        echo=lambda s: None,
        notebook_dir=notebooks,
    )
    assert result.failed == ["traffic"]
    assert result.statuses["sales"].status == "done" and result.statuses["summary"].status == "done"
    html = (tmp_path / "run" / "report" / "02_traffic.html").read_text(encoding="utf-8")
    # the reader is told in the report's language; the exception is for the analyst (CLI, kernels.log)
    assert "本章节生成失败" in html and "kernels.log" in html
    assert "原因：本章节的程序运行出错" in html  # why, in plain words
    assert "views" not in html and "Traceback" not in html
    # the analyst gets the executed notebook, the cell and its line, and the exception (the CLI prints this)
    reason = result.statuses["traffic"].reason
    assert reason.startswith("KeyError: 'views' (notebooks/02_traffic.ipynb of the run folder, cell [")
    assert "`rows['views']`" in reason and str(tmp_path) not in reason
    log = (tmp_path / "run" / "kernels.log").read_text(encoding="utf-8")
    assert "== section traffic failed ==" in log and "KeyError" in log and "\x1b[" not in log
    index = (tmp_path / "run" / "report" / "index.html").read_text(encoding="utf-8")
    assert 'class="st-failed"' in index


def test_missing_table_section_says_so(demo, tmp_path):
    root, params_file, _ = demo
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    del doc["data"]["tables"]["service"]
    doc["sections"] = None
    doc["data"]["tables"] = {k: {"path": str(root / v["path"])} for k, v in doc["data"]["tables"].items()}
    p = tmp_path / "no_service.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = retro("run", p, "--output", tmp_path / "run", "--only", "service")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "run" / "report" / "07_service.html").read_text(encoding="utf-8")
    assert "未生成：本次活动数据未提供客服工单数据。" in html


def test_bad_yaml_changes_nothing_under_outputs(built, tmp_path):
    _, params_file, _, run_dir, _ = built
    stamp = (run_dir / "report" / "index.html").stat().st_mtime_ns
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    doc["phases"][1]["start"] = "2026-11-01"
    bad = params_file.parent / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = retro("run", bad, "--output", run_dir)
    assert r.returncode == 2 and "phase burst starts 2026-11-01" in r.stderr and "Traceback" not in r.stderr
    assert (run_dir / "report" / "index.html").stat().st_mtime_ns == stamp


def test_warm_rerun_executes_nothing(built):
    _, params_file, _, run_dir, _ = built
    r = retro("run", params_file, "--output", run_dir)
    assert r.returncode == 0, r.stderr
    assert "started" not in r.stdout, r.stdout
    assert re.search(r"^\s+report\s+unchanged$", r.stdout, re.M)


def test_a_yaml_value_reruns_only_the_sections_that_read_it(built, tmp_path):
    """A new GMV target re-executes the sales section (which owns GMV), the goals page, the summary and the
    appendix, and nothing else; the engine's memory limit re-executes nothing and rebuilds no mart."""
    root, params_file, _, run_dir, _ = built
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert "sales_daily" in json.loads((copy / "reads" / "sales.json").read_text())

    def run(change) -> set[str]:
        doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
        change(doc)
        p = root / "changed.yaml"  # beside the original: the data paths are relative to it
        p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        r = retro("run", p, "--output", copy)
        assert r.returncode == 0, r.stderr
        assert "built " not in r.stdout, r.stdout  # no mart rebuilt
        return set(re.findall(r"^\s+(\w+)\s+started", r.stdout, re.M))

    target = yaml.safe_load(params_file.read_text(encoding="utf-8"))["targets"]["gmv"] * 2
    assert fmt.money(target, "zh") not in page(copy, "goals")
    assert run(lambda d: d["targets"].update(gmv=target)) == {"goals", "sales", "summary", "quality"}
    assert fmt.money(target, "zh") in page(copy, "goals")  # the goals page shows the new target
    assert run(lambda d: (d["targets"].update(gmv=target), d.update(engine={"memory_limit": "2GB"}))) == set()


def test_editing_one_data_row_changes_the_report(demo, tmp_path):
    """A stale cache is never used: one order's amount changes, the GMV shown changes by exactly that much."""
    root, params_file, data = demo
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    doc["data"]["tables"] = {k: {"path": str(copy / k / "*.parquet")} for k in doc["data"]["tables"]}
    p = tmp_path / "campaign.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    run_dir = tmp_path / "run"
    assert retro("run", p, "--output", run_dir).returncode == 0

    def gmv():
        figs = json.loads((run_dir / "figures" / "sales.json").read_text())
        return next(f["value"] for f in figs if f["key"] == "gmv" and f["segment"] is None)

    before = gmv()
    params = load_params(p)
    orders_file = next((copy / "orders").glob("*.parquet"))
    o = pd.read_parquet(orders_file)
    in_campaign = (o.order_time >= pd.Timestamp(params.start)) & (o.order_time < pd.Timestamp(params.end_exclusive))
    row = o.index[in_campaign][0]
    o.loc[row, "paid_amount"] += 1000.0
    o.to_parquet(orders_file, index=False)
    r = retro("run", p, "--output", run_dir)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s+sales\s+started", r.stdout, re.M)
    assert gmv() == pytest.approx(before + 1000.0)
    assert fmt.money(before + 1000.0, "zh") in page(run_dir, "sales")


def test_the_other_language_is_built_from_the_same_marts_into_its_own_folder(built, tmp_path):
    """YAML `languages: [zh, en]` (and `retro run --lang en`): an English report beside the Chinese one, no mart
    rebuilt, the Chinese report as it was."""
    root, params_file, _, run_dir, _ = built
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    zh_index = (copy / "report" / "index.html").read_bytes()
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    doc["languages"] = ["zh", "en"]
    both = root / "both_languages.yaml"  # beside the original: the data paths are relative to it
    both.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = retro("run", both, "--output", copy, "--jobs", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "built" not in r.stdout and "marts: all " in r.stdout  # the marts are the ones already built
    en = copy / "en"
    assert (en / "marts").resolve() == (copy / "marts").resolve()
    sales = (en / "report" / SECTIONS["sales"].page).read_text(encoding="utf-8")
    assert '<html lang="en"' in sales and "Headline figures" in sales and "核心指标" not in sales
    assert (copy / "report" / "index.html").read_bytes() == zh_index  # the Chinese report is untouched
    again = retro("run", params_file, "--output", copy, "--lang", "en", "--only", "sales")
    assert again.returncode == 0, again.stderr
    assert f"report: {en / 'report' / 'index.html'}" in again.stdout
