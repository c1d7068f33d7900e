"""A zh report is in Chinese: no English word a reader sees outside data values, product names and the
appendix's "how to change this" column and settings table.

Every example (built in zh) and the demo are read page by page as a browser shows them (scripts and styles
left out). A word in Latin letters passes when it is a data value (it appears in a string of a mart or of the
data check's examples: product names, SKUs, categories, provinces, channels), a file name of the sources, the
campaign's name, a figure's acronym (GMV, ROI, UV, …) or, on the appendix only, part of a config key or a
command. Anything else is English the kit wrote into a zh page.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import retro
from retro.i18n import has
from retro.params import load_params
from retro.rundir import RunDir
from retro.schema import INPUT_TABLES, TABLES
from retro.sections import quality_text
from retro.staging.samples import EXAMPLES, EXAMPLES_DIR

# figures' acronyms and units as Chinese back ends write them too
ACRONYMS = {"GMV", "ROI", "ROAS", "UV", "PV", "SKU", "CAC", "CTR", "NPS", "CSAT", "RFM", "ID", "KOL", "ETS", "n", "a"}
CURRENCIES = {"CNY", "BRL", "GBP", "USD", "EUR"}
WORD = re.compile(r"\b[A-Za-z][A-Za-z']*\b")  # not inside an id or hash (640c2f89837a)
# on the appendix: config keys, placeholders in them and the commands that apply a change
CONFIG = re.compile(r"\b(?:settings|data)\.[\w.\[\]<>]+|\bretro (?:run|check)\b|\bkernels\.log\b|'[^']*'|“[^”]*”")
# ... and the YAML's vocabulary a fix names: canonical columns and values, the settings and dedupe keys
VOCABULARY = {c.name for t in {**TABLES, **INPUT_TABLES}.values() for c in t.columns} | {
    "settings",
    "dedupe",
    "view",
    "cart",
    "order",
    "pay",
    "paid",
    "cancelled",
    "refunded",
    "pending",
    "online",
}


CHART_TEXT = {"name", "formatter", "f", "xf", "retroLabels", "data"}  # what an interactive chart shows


def _chart_texts(node, key: str = "") -> list[str]:
    """The texts an interactive chart draws or shows on hover: names, labels, categories, tooltip values."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in _chart_texts(v, k)]
    if isinstance(node, list):
        return [t for v in node for t in _chart_texts(v, key)]
    return [node] if isinstance(node, str) and key in CHART_TEXT and node.strip() else []


class _Text(HTMLParser):
    """The visible text of a page, one string per text node; a chart's texts from its inline option."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.chart = False
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
            self.chart = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
            self.chart = False

    def handle_data(self, data):
        if self.chart:
            self.parts.extend(t.strip() for t in _chart_texts(json.loads(data)))
        elif not self.skip and data.strip():
            self.parts.append(data.strip())


def _visible(page: Path) -> list[str]:
    p = _Text()
    p.feed(page.read_text(encoding="utf-8"))
    return p.parts


def _data_words(run_dir: Path, params) -> set[str]:
    """Every Latin word inside the run's data values, source file names and the campaign name."""
    text = [params.campaign.name, params.source.name if params.source else ""]
    for f in (run_dir / "marts").glob("*.parquet"):
        df = pd.read_parquet(f)
        for c in df.columns:
            values = df[c].dropna().unique()[:5000]
            text.extend(v for v in values if isinstance(v, str))
    problems, _ = RunDir(run_dir).read_quality()
    for p in problems:
        text.extend(str(x) for x in p.examples)
        text.append(p.source)
    return {w for t in text for w in WORD.findall(t)}


def _english(run_dir: Path, params) -> list[str]:
    allowed = ACRONYMS | CURRENCIES | _data_words(run_dir, params)
    found = []
    pages = sorted((run_dir / "report").glob("*.html"))
    # report.html is every page in one file: its appendix strings are those of the appendix page
    in_appendix = {s for page in pages if page.name.startswith("09_") for s in _visible(page)}
    for page in pages:
        for s in _visible(page):
            appendix = page.name.startswith("09_") or (page.name == "report.html" and s in in_appendix)
            text = CONFIG.sub(" ", s) if appendix else s
            words = [w for w in WORD.findall(text) if w not in allowed and not (appendix and w in VOCABULARY)]
            if words:
                found.append(f"{page.name}: {' '.join(words)}  <- {s[:120]!r}")
    return found


def _zh_copy(name: str, tmp_path: Path) -> Path:
    """The example's YAML in zh, beside a link to the examples' data (its paths are relative to it)."""
    doc = yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    doc["campaign"]["language"] = "zh"
    (tmp_path / "data").symlink_to(EXAMPLES_DIR / "data", target_is_directory=True)
    out = tmp_path / f"{name}_zh.yaml"
    out.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("name", EXAMPLES)
def test_a_zh_example_report_shows_no_english(name, tmp_path):
    yaml_file = _zh_copy(name, tmp_path)
    run_dir = tmp_path / "run"
    r = retro("run", yaml_file, "--output", run_dir, "--jobs", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    problems, _ = RunDir(run_dir).read_quality()
    assert [p.message for p in problems if not quality_text.has_text(p)] == []
    found = _english(run_dir, load_params(yaml_file))
    assert found == [], "\n".join(found)


@pytest.mark.e2e
def test_the_zh_demo_report_shows_no_english(built):
    root, params_file, data, run_dir, r = built
    assert r.returncode == 0, r.stdout + r.stderr
    assert _english(run_dir, load_params(params_file)) == []


def test_the_checker_finds_english_on_a_zh_page(tmp_path):
    """The check above can fail: an English note on a page is reported, a product name is not."""
    (tmp_path / "report").mkdir()
    (tmp_path / "marts").mkdir()
    pd.DataFrame({"name": ["Face cream"]}).to_parquet(tmp_path / "marts" / "sales_sku.parquet")
    (tmp_path / "report" / "01_sales.html").write_text(
        "<p>净销售额前10的SKU</p><td>Face cream</td><p>rows outside the campaign, not counted</p>"
        "<script>var x = 'english in a script';</script>",
        encoding="utf-8",
    )
    params = load_params(EXAMPLES_DIR / "taobao.yaml")
    found = _english(tmp_path, params)
    assert len(found) == 1 and "rows outside the campaign" in found[0]


def test_every_canonical_table_and_column_has_a_zh_name():
    """The appendix names tables and columns as a zh reader does (订单 · 支付时间), never by the YAML's names."""
    names = {**TABLES, **INPUT_TABLES}
    assert [t for t in names if not has(f"table.{t}")] == []
    assert sorted({c.name for t in names.values() for c in t.columns if not has(f"column.{c.name}")}) == []


def test_a_soft_problem_reads_in_zh_with_its_values():
    """A data-check finding in a zh appendix: Chinese text, the values it names, the config key kept in the fix."""
    from retro.quality import Problem

    p = Problem(
        "service",
        "created_time",
        "rows outside the campaign (2026-11-04 to 2026-11-18), not counted",
        rows=3,
        fix="none needed if expected; otherwise check the phases in the YAML",
        hard=False,
        source="service.csv",
        code="ignored_rows",
        msg="ignored_outside_campaign",
        args={"start": "2026-11-04", "end": "2026-11-18"},
    )
    assert quality_text.what(p, "zh") == "活动期（2026-11-04 至 2026-11-18）以外的行，未计入"
    assert quality_text.where(p, "zh") == ("客服工单（service.csv）", "创建时间")
    assert quality_text.what(p, "en") == p.what and quality_text.fix(p, "en") == p.fix
    old = Problem("orders", None, "something new", hard=False, code="a_check_without_zh_text")
    assert not quality_text.has_text(old) and "retro check" in quality_text.what(old, "zh")


def test_examples_list_matches_the_folder():
    """Every example YAML is read by the zh test (a new one is not skipped)."""
    assert sorted(EXAMPLES) == sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))


def test_the_appendix_row_counts_share_one_unit():
    """The rows column never mixes 1.08万 and 3; a problem that counts no rows is blank."""
    from retro.sections.quality import _row_counts

    assert _row_counts([10800, 3, None], "zh") == ["10,800", "3", ""]
    assert _row_counts([10800, 52000, 3], "zh") == ["1.08万", "5.20万", "0.00万"]
