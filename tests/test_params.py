"""Campaign YAML validation: each kind of mistake gives one line naming the file and the key path."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from retro.errors import ParamsError
from retro.params import load_params

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "params" / "demo_double11.yaml"


def write(tmp_path, doc, name="c.yaml") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


def demo_doc():
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def problems(tmp_path, doc) -> list[str]:
    with pytest.raises(ParamsError) as e:
        load_params(write(tmp_path, doc))
    return e.value.problems


def test_demo_params_are_valid():
    p = load_params(DEMO)
    assert p.campaign.id == "demo_double11"
    assert [ph.name for ph in p.phases] == ["warmup", "burst", "tail"]
    assert p.start.isoformat() == "2026-11-04" and p.end.isoformat() == "2026-11-18"
    assert p.phase_of(p.start) == "warmup" and p.phase_of(p.end) == "tail"


def test_yaml_syntax_error_names_line(tmp_path):
    (line,) = problems(tmp_path, "campaign:\n  id: x\n  name: [unclosed\n")
    assert line.startswith(str(tmp_path / "c.yaml")) and "line 4" in line and "YAML syntax error" in line


def test_unknown_key_suggests_the_right_one(tmp_path):
    doc = demo_doc()
    doc["targts"] = doc.pop("targets")
    doc["campaign"]["langauge"] = "en"
    lines = problems(tmp_path, doc)
    assert any(line.endswith("targts: unknown key (did you mean 'targets'?)") for line in lines)
    assert any("campaign.langauge: unknown key (did you mean 'language'?)" in line for line in lines)
    assert len(lines) == 2


def test_wrong_types_and_values(tmp_path):
    doc = demo_doc()
    doc["targets"]["gmv"] = "a lot"
    doc["campaign"]["language"] = "fr"
    doc["settings"]["top_n"] = 1
    lines = problems(tmp_path, doc)
    assert any("targets.gmv: Input should be a valid number" in line for line in lines)
    assert any("campaign.language:" in line and "'fr'" in line for line in lines)
    assert any("settings.top_n:" in line and "greater than or equal to 3" in line for line in lines)


def test_burst_before_warmup_is_impossible(tmp_path):
    doc = demo_doc()
    doc["phases"][1]["start"] = "2026-11-01"
    doc["phases"][1]["end"] = "2026-11-02"
    (line,) = problems(tmp_path, doc)
    assert "phase burst starts 2026-11-01, before warmup ends 2026-11-10" in line


def test_end_before_start(tmp_path):
    doc = demo_doc()
    doc["phases"][0]["end"] = "2026-11-01"
    lines = problems(tmp_path, doc)
    assert any("phases[0]" in line and "end 2026-11-01 is before start 2026-11-04" in line for line in lines)


def test_baseline_must_precede_campaign(tmp_path):
    doc = demo_doc()
    doc["baseline"] = {"start": "2026-11-01", "end": "2026-11-05"}
    (line,) = problems(tmp_path, doc)
    assert "baseline ends 2026-11-05, not before the campaign starts 2026-11-04" in line


def test_missing_required_keys(tmp_path):
    doc = demo_doc()
    del doc["campaign"]["id"]
    del doc["data"]
    lines = problems(tmp_path, doc)
    assert any(line.endswith("campaign.id: required key is missing") for line in lines)
    assert any(line.endswith("data: required key is missing") for line in lines)


def test_unknown_figures_tables_and_sections(tmp_path):
    doc = demo_doc()
    doc["targets"]["gvm"] = 1
    doc["sections"] = ["sales", "salse"]
    doc["data"] = {"tables": {"order": {"path": "x.csv"}}}
    lines = problems(tmp_path, doc)
    assert any(
        "targets: Value error" not in line and "unknown figure 'gvm' (did you mean 'gmv'?)" in line for line in lines
    )
    assert any("unknown section 'salse' (did you mean 'sales'?)" in line for line in lines)
    assert any("unknown table 'order' (did you mean 'orders'?)" in line for line in lines)


def test_secrets_cannot_be_written_in_the_yaml(tmp_path):
    doc = demo_doc()
    doc["data"] = {"tables": {"orders": {"path": "o.csv", "password": "hunter2"}}}
    lines = problems(tmp_path, doc)
    assert any("data.tables.orders.password: unknown key" in line for line in lines)
    assert not any("hunter2" in line for line in lines)


def test_time_zone_and_campaign_id(tmp_path):
    doc = demo_doc()
    doc["campaign"]["timezone"] = "Mars/Olympus"
    doc["campaign"]["id"] = "Bad Id!"
    lines = problems(tmp_path, doc)
    assert any("campaign.timezone: unknown time zone 'Mars/Olympus'" in line for line in lines)
    assert any(line.split(": ")[1] == "campaign.id" for line in lines)


def test_not_a_mapping_and_missing_file(tmp_path):
    assert problems(tmp_path, "- a\n- b\n")[0].endswith(
        "expected a mapping of keys (campaign, phases, data, ...), got list"
    )
    with pytest.raises(ParamsError, match="file not found"):
        load_params(tmp_path / "nope.yaml")


def test_cli_check_prints_one_line_per_problem_and_exits_2(tmp_path):
    doc = demo_doc()
    doc["targts"] = doc.pop("targets")
    doc["phases"][2]["name"] = "afterparty"
    p = write(tmp_path, doc)
    r = subprocess.run([sys.executable, "-m", "retro.cli", "check", str(p)], capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert "Traceback" not in r.stderr and r.stdout == ""
