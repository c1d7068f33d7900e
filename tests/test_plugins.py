"""Plug-in sections: `retro section new` scaffolds one that the run, the navigation, the overview and the
summary pick up without any change to the kit; a broken plug-in is one line naming its file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pandas as pd
import pytest
import yaml
from conftest import retro
from retro import formatting as fmt
from retro.catalog import FIGURES
from retro.errors import RetroError
from retro.params import load_params
from retro.paths import PROJECT_ROOT
from retro.plugins import PluginError, read_plugin
from retro.scaffold import new_section, slug
from retro.sections import _KIT_SECTIONS, SECTIONS


def test_slug_keeps_latin_words_and_spells_chinese_in_pinyin():
    assert slug("Live streaming deep dive") == "live_streaming_deep_dive"
    assert slug("Top 10 KOLs: who sold?") == "top_kols_who_sold"
    assert slug("直播深度分析") == "zhi_bo_shen_du_fen_xi"
    assert slug("！！") == ""
    assert len(slug("word " * 30)) <= 40


def test_scaffold_writes_a_clean_module_and_a_synced_notebook_pair(tmp_path):
    shutil.copytree(PROJECT_ROOT / "notebooks", tmp_path / "notebooks")
    made = new_section("Live streaming deep dive", zh="直播深度分析", requires="events,orders", root=tmp_path)
    assert (made.name, made.number) == ("live_streaming_deep_dive", 10)
    assert str(made.module) == "shared/plugins/live_streaming_deep_dive.py"
    nb_path = tmp_path / made.notebook
    assert nb_path.name == "10_live_streaming_deep_dive.ipynb" and (tmp_path / made.twin).is_file()

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code)
    assert [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert any('open_section("live_streaming_deep_dive"' in "".join(c["source"]) for c in code)
    tags = [c["metadata"].get("tags", []) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert sum("en" in t for t in tags) == sum("zh" in t for t in tags) >= 2
    assert "# 10 · 直播深度分析" in "".join("".join(c["source"]) for c in nb["cells"])

    def cells(n):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in n.cells]

    assert cells(jupytext.read(nb_path)) == cells(jupytext.read(tmp_path / made.twin))

    # the declaration the kit reads without running the file
    section, figures = read_plugin(tmp_path / made.module, tmp_path / "notebooks", dict(_KIT_SECTIONS), FIGURES)
    assert (section.en, section.zh) == ("Live streaming deep dive", "直播深度分析")
    assert section.requires == ("events", "orders")
    assert [f.key for f in figures] == ["live_streaming_deep_dive_rows"]

    # the generated code passes the project's lint, and the next section takes the next number
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)  # its per-folder rules (notebooks/*) apply from there
    ruff = Path(sys.executable).parent / "ruff"
    lint = subprocess.run([ruff, "check", made.module, made.twin], capture_output=True, text=True, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout
    assert new_section("Coupons", requires="coupons", root=tmp_path).number == 11


def test_scaffold_refuses_what_it_cannot_name_or_would_overwrite(tmp_path):
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(RetroError, match="has no Latin letters.*--name"):
        new_section("！！", root=tmp_path)
    made = new_section("直播深度分析", name="live", root=tmp_path)
    section, _ = read_plugin(tmp_path / made.module, tmp_path / "notebooks", dict(_KIT_SECTIONS), FIGURES)
    assert (section.zh, section.en) == ("直播深度分析", "Live")
    with pytest.raises(RetroError, match="already exists.*--force"):
        new_section("Live", root=tmp_path)
    assert new_section("Live", root=tmp_path, force=True).number == made.number
    with pytest.raises(RetroError, match="kit already has a section"):
        new_section("Sales", root=tmp_path)
    with pytest.raises(RetroError, match="unknown table 'livestream'"):
        new_section("Live two", requires="livestream", root=tmp_path)


def test_a_chinese_title_names_its_files_in_pinyin_or_after_its_english_title(tmp_path):
    (tmp_path / "notebooks").mkdir()
    made = new_section("直播深度分析", root=tmp_path)
    assert made.name == "zhi_bo_shen_du_fen_xi" and made.notebook.name.endswith("_zhi_bo_shen_du_fen_xi.ipynb")
    section, _ = read_plugin(tmp_path / made.module, tmp_path / "notebooks", dict(_KIT_SECTIONS), FIGURES)
    assert section.zh == "直播深度分析"
    made = new_section("会员日复盘", en="Member day", root=tmp_path)
    section, _ = read_plugin(tmp_path / made.module, tmp_path / "notebooks", dict(_KIT_SECTIONS), FIGURES)
    assert made.name == "member_day" and (section.zh, section.en) == ("会员日复盘", "Member day")


PLUGIN = 'SECTION = {{"name": "{name}", "number": {number}, "en": "A", "zh": "甲", "requires": ["orders"]}}\n'
FIGURE = '{"key": "gmv", "unit": "count", "better": "up", "en": "", "zh": "", "definition": ""}'


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("broken", "def broken(:\n", "line 1: syntax error"),
        ("calls", "N = 12\n" + PLUGIN.replace("{number}", "N").format(name="calls"), "plain literals"),
        ("sales", PLUGIN.format(name="sales", number=12), "'sales' is already taken by the kit"),
        ("again", PLUGIN.format(name="again", number=10), "number 10 is already used by"),
        ("nonb", PLUGIN.format(name="nonb", number=13), "its notebook notebooks/13_nonb.ipynb is missing"),
        ("wrong", PLUGIN.format(name="other", number=12), "differs from the file name"),
        ("figs", PLUGIN.format(name="figs", number=12) + 'FIGURES = [{"key": "x"}]\n', "FIGURES[0]: missing"),
        ("figs", PLUGIN.format(name="figs", number=12) + f"FIGURES = [{FIGURE}]\n", "'gmv' is already defined"),
    ],
)
def test_a_bad_plugin_is_one_line_naming_its_file(tmp_path, monkeypatch, name, text, problem):
    import retro.paths

    monkeypatch.setattr(retro.paths, "PROJECT_ROOT", tmp_path)  # paths in messages as the user sees them
    plugins, notebooks = tmp_path / "shared" / "plugins", tmp_path / "notebooks"
    plugins.mkdir(parents=True)
    notebooks.mkdir()
    for nb in ("10_first.ipynb", "12_sales.ipynb", "12_calls.ipynb", "12_wrong.ipynb", "12_figs.ipynb"):
        (notebooks / nb).write_text("{}")
    (plugins / "first.py").write_text(PLUGIN.format(name="first", number=10))
    taken = dict(_KIT_SECTIONS)
    taken["first"] = read_plugin(plugins / "first.py", notebooks, taken, FIGURES)[0]
    (plugins / f"{name}.py").write_text(text, encoding="utf-8")
    with pytest.raises(PluginError) as err:
        read_plugin(plugins / f"{name}.py", notebooks, taken, FIGURES)
    assert len(err.value.problems) == 1
    line = err.value.problems[0]
    assert line.startswith(f"shared/plugins/{name}.py: ") and problem in line, line


@pytest.mark.e2e
def test_scaffolded_section_joins_the_run_navigation_overview_and_summary(built, project):
    """Scaffold into a temporary project, re-run only it on a copy of the demo run: its page, its place in the
    navigation and the contents, and its figure in the summary's findings; a broken plug-in beside it is one
    error line and the rest of the report builds."""
    root, params_file, data, run_dir, r = built
    assert r.returncode == 0, r.stderr
    args = ["--name", "live_streaming", "--zh", "直播深度分析", "--requires", "events,orders"]
    made = retro("section", "new", "Live streaming deep dive", *args)
    assert made.returncode == 0, made.stderr
    assert "wrote shared/plugins/live_streaming.py" in made.stdout
    assert "notebooks/10_live_streaming.ipynb" in made.stdout
    (project / "shared" / "plugins" / "broken.py").write_text("SECTION = {\n")

    # the figure by hand: events timed inside the campaign window; a target of twice that is missed at 50%
    p = load_params(params_file)
    events = pd.read_parquet(data / "events")
    in_window = (events.event_time >= pd.Timestamp(p.start)) & (events.event_time < pd.Timestamp(p.end_exclusive))
    expected = int(in_window.sum())
    doc = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    doc["targets"]["live_streaming_rows"] = 2 * expected
    campaign = root / "with_plugin.yaml"  # beside the demo YAML: same relative data paths, so marts stay cached
    campaign.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    run = project / "run"
    shutil.copytree(run_dir, run)

    r = retro("run", campaign, "--output", run, "--only", "live_streaming,goals")
    assert r.returncode == 1, r.stdout + r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith("error: shared/plugins/broken.py: line ") and "(plug-in skipped)" in errors[0]
    assert "1 plug-in section(s) skipped" in errors[-1] and len(errors) == 2 and "Traceback" not in r.stderr
    assert re.search(r"^\s+live_streaming\s+done in", r.stdout, re.M)
    assert not re.search(r"^\s+sales\s+started", r.stdout, re.M)

    report = run / "report"
    page = (report / "10_live_streaming.html").read_text(encoding="utf-8")
    assert "10 · 直播深度分析" in page and fmt.number(expected, "zh") in page and "Traceback" not in page
    index = (report / "index.html").read_text(encoding="utf-8")
    toc = index[index.index('id="contents"') :]
    assert '<a href="10_live_streaming.html">10 · 直播深度分析</a><span class="st-done">' in toc
    assert toc.index("07_service.html") < toc.index("10_live_streaming.html") < toc.index("08_summary.html")
    service = (report / "07_service.html").read_text(encoding="utf-8")
    assert 'class="nav-next" href="10_live_streaming.html">直播深度分析 →' in service
    # the summary (on the overview) cites the plug-in's figure against its target and links to its page
    assert 'href="10_live_streaming.html#finding-live_streaming_rows-overall"' in index
    assert f"{fmt.number(expected, 'zh')}，仅达成目标 {fmt.number(2 * expected, 'zh')} 的 50.0%" in index
    # and the goals section's table shows its actual against the target (from the plug-in's totals)
    goals = re.sub(r"<[^>]+>", " ", (report / "00_goals.html").read_text(encoding="utf-8"))
    assert re.search(rf"活动期 events 表行数（示例）\s+{re.escape(fmt.number(expected, 'zh'))}\s+目标", goals)
    # nothing was written into the real project
    assert not (PROJECT_ROOT / "shared" / "plugins" / "live_streaming.py").exists()
    assert "live_streaming" not in SECTIONS and not list((PROJECT_ROOT / "notebooks").glob("*live_streaming*"))


@pytest.mark.e2e
def test_check_names_a_broken_plugin(demo, project):
    _, params_file, _ = demo
    (project / "shared" / "plugins").mkdir()
    (project / "shared" / "plugins" / "oops.py").write_text('SECTION = {"name": "oops"}\n')
    r = retro("check", params_file)
    assert r.returncode == 2
    assert "error: shared/plugins/oops.py: SECTION: missing 'en' (plug-in skipped)" in r.stderr.splitlines()


def test_goals_shows_a_crashing_plugins_figures_as_missing(monkeypatch, tmp_path):
    """A plug-in whose code fails must not take the goals page down with it (its own page says why)."""
    import retro.context
    from retro import plugins, sections
    from retro.sections import Section, goals

    fake = Section("crashy", 10, "Crashy", "崩溃", (), plugin=tmp_path / "crashy.py")
    monkeypatch.setitem(sections.SECTIONS, "crashy", fake)

    def crash(name):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(plugins, "load", crash)
    assert goals._owner_totals(None, "crashy") == {}
    # the kit's own sections are not silenced: a bug there still surfaces
    monkeypatch.setattr(retro.context.importlib, "import_module", crash)
    with pytest.raises(ZeroDivisionError):
        goals._owner_totals(None, "sales")
