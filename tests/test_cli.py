"""The retro command's own behaviour (run, check and the report are covered by the end-to-end tests)."""

from pathlib import Path

from retro.cli import lab_command
from retro.context import LAB_PARAMS_ENV, campaign_file, open_section
from retro.paths import PROJECT_ROOT


def test_lab_opens_the_notebooks_on_the_given_campaign(tmp_path):
    yaml_file = tmp_path / "x.yaml"
    argv, env = lab_command(yaml_file, port=8899)
    assert argv[1:3] == ["-m", "jupyterlab"]
    assert f"--notebook-dir={PROJECT_ROOT / 'notebooks'}" in argv and "--port=8899" in argv
    assert env[LAB_PARAMS_ENV] == str(yaml_file.resolve())


def test_notebooks_left_at_none_read_the_lab_campaign_else_the_demo(monkeypatch, tiny):
    import pandas as pd

    monkeypatch.delenv(LAB_PARAMS_ENV, raising=False)
    assert campaign_file(None) == PROJECT_ROOT / "params" / "demo_double11.yaml"
    assert campaign_file("given.yaml") == Path("given.yaml")
    camp = tiny(
        {
            "orders": pd.DataFrame(
                {
                    "order_id": ["o1"],
                    "user_id": ["u1"],
                    "order_time": [pd.Timestamp("2026-11-01 10:00")],
                    "status": ["paid"],
                    "channel": ["search"],
                    "paid_amount": [10.0],
                }
            )
        },
        {"sections": ["goals", "summary"]},
    )
    monkeypatch.setenv(LAB_PARAMS_ENV, str(camp.params_file))
    ctx = open_section("goals", None, camp.run_dir)
    assert ctx.params.campaign.id == "tiny"


def test_lab_passes_jupyter_options_through_and_allows_root(monkeypatch, tmp_path):
    """`retro lab x.yaml --no-browser --ip=0.0.0.0` reaches JupyterLab as typed (the launcher is stubbed)."""
    import os

    from click.testing import CliRunner
    from retro import cli

    yaml_file = PROJECT_ROOT / "params" / "demo_double11.yaml"
    launched = {}
    monkeypatch.setattr(os, "execvpe", lambda path, argv, env: launched.update(argv=argv, env=env))
    r = CliRunner().invoke(cli.main, ["lab", str(yaml_file), "--no-browser", "--ip=0.0.0.0", "--port", "9999"])
    assert r.exit_code == 0, r.output
    argv = launched["argv"]
    assert argv[1:3] == ["-m", "jupyterlab"] and "--no-browser" in argv and "--ip=0.0.0.0" in argv
    assert "--port=9999" in argv and launched["env"][LAB_PARAMS_ENV] == str(yaml_file.resolve())
    assert ("--allow-root" in argv) == (os.geteuid() == 0)  # Jupyter refuses root without it
    assert "--allow-root" in lab_command(yaml_file, root=True)[0]
    assert "--allow-root" not in lab_command(yaml_file, root=False)[0]


def test_help_lists_each_command_with_its_whole_description():
    from click.testing import CliRunner
    from retro import cli

    out = CliRunner().invoke(cli.main, ["--help"]).output
    assert "..." not in out.split("Commands:")[1]
    flat = " ".join(out.split())
    for name, cmd in cli.main.commands.items():
        assert " ".join(cmd.get_short_help_str(limit=1000).split()) in flat, name


def test_compare_by_yaml_names_the_folder_to_use_when_it_was_run_elsewhere(tmp_path, monkeypatch):
    """A campaign run only with --output has nothing in outputs/<id>/: the message says to name that folder."""
    import yaml
    from click.testing import CliRunner
    from retro import cli

    monkeypatch.setattr("retro.rundir.OUTPUTS", tmp_path / "outputs")
    doc = yaml.safe_load((PROJECT_ROOT / "params" / "demo_double11.yaml").read_text(encoding="utf-8"))
    doc["campaign"]["id"] = "elsewhere_only"
    path = tmp_path / "elsewhere.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(cli.main, ["compare", str(path), str(tmp_path / "other")])
    assert r.exit_code == 2
    assert "no finished run in" in r.output and "made with --output" in r.output
