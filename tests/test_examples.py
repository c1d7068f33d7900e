"""The example YAMLs under params/examples/: one per real-world shape, each with its tiny generated sample.

``retro check`` passes on each; the committed samples are what ``retro.samples`` generates (so the data and
the YAML calendar cannot drift apart) and stay small; the end-to-end runs build exactly the sections each
shape's data supports, and the others say which table they lack.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import retro
from retro.cli import main
from retro.params import load_params
from retro.sections import SECTIONS
from retro.staging.samples import EXAMPLES, EXAMPLES_DIR, write_example

# per example: sections built, and sections missing with the tables they lack
EXPECTED = {
    "online_retail": (
        {"goals", "sales", "users", "summary"},
        {
            "traffic": "events",
            "funnel": "events",
            "marketing": "marketing",
            "fulfilment": "shipments",
            "service": "service",
        },
    ),
    "superstore": (
        {"goals", "sales", "users", "fulfilment", "summary"},
        {"traffic": "events", "funnel": "events", "marketing": "marketing", "service": "service"},
    ),
    "marketplace": (
        {"goals", "sales", "users", "fulfilment", "summary"},
        {"traffic": "events", "funnel": "events", "marketing": "marketing", "service": "service"},
    ),
    "taobao": (
        {"traffic", "funnel", "summary"},
        {
            "goals": "orders",
            "sales": "orders, order_items, products",
            "users": "orders",
            "marketing": "marketing",
            "fulfilment": "orders, shipments",
            "service": "service",
        },
    ),
}


# per example: the line each derivation must print (a note: a derivation is what such an export needs), and
# what deserves a warning
DERIVED = {
    "online_retail": [
        "warning: orders.status (online_retail.csv): credit notes (invoices starting 'C'",
        "note: products.is_merchandise (online_retail.csv): non-merchandise SKUs",
    ],
    "superstore": ["note: shipments (superstore.xlsx): derived from order_lines' ship dates"],
    "taobao": [
        "note: events.session_id (taobao.csv): no session ids",
        "note: events.event_type (taobao.csv): the log has 'pay' events but no 'order' events: an 'order' step",
    ],
    "marketplace": ["note: users (orders): derived from first orders, one row per customer"],
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_check_passes(name):
    r = CliRunner().invoke(main, ["check", str(EXAMPLES_DIR / f"{name}.yaml")])
    assert r.exit_code == 0, r.output
    assert "error:" not in r.output and r.exception is None
    assert r.stdout.strip().splitlines()[-1].startswith("ok: ")
    for section, tables in EXPECTED[name][1].items():
        assert f"note: section {section} will say it has no data ({tables} not provided)" in r.stdout
    for line in DERIVED[name]:
        assert line in r.stdout
    ok = r.stdout.strip().splitlines()[-1]
    for section in EXPECTED[name][1]:  # a section the lines above said has no data is not listed as built
        assert section not in ok.split("sections with data: ")[1].split(", "), ok


def _committed(name):
    """The committed sample files of one example (a multi-table export has several, lookups included)."""
    params = load_params(EXAMPLES_DIR / f"{name}.yaml")
    paths = {params.resolve(src.path) for src in params.data.tables.values()}
    paths |= {params.resolve(lk.path) for src in params.data.tables.values() for lk in src.lookups}
    return params, sorted(paths)


@pytest.mark.parametrize("name", EXAMPLES)
def test_samples_are_small_and_regenerate_identically(name, tmp_path):
    shutil.copy(EXAMPLES_DIR / f"{name}.yaml", tmp_path / f"{name}.yaml")
    params, committed = _committed(name)
    written = {p.name: p for p in write_example(name, tmp_path)}
    assert sorted(written) == sorted(p.name for p in committed)  # every file the YAML reads, and no other
    assert sum(p.stat().st_size for p in committed) < 300_000
    for path in committed:
        if path.suffix == ".csv":
            assert written[path.name].read_bytes() == path.read_bytes(), path.name
        else:  # a workbook's bytes carry its creation time: compare the cells
            pd.testing.assert_frame_equal(pd.read_excel(written[path.name]), pd.read_excel(path))


@pytest.mark.parametrize("name", EXAMPLES)
def test_sample_dates_fall_in_the_calendar(name):
    params, (path, *_) = _committed(name)
    if name == "online_retail":
        days = pd.to_datetime(pd.read_csv(path)["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.date
    elif name == "superstore":
        days = pd.read_excel(path)["Order Date"].dt.date
    elif name == "marketplace":
        days = pd.to_datetime(pd.read_csv(path.with_name("orders.csv"))["order_purchase_timestamp"]).dt.date
    else:
        stamps = pd.to_datetime(pd.read_csv(path)["timestamp"], unit="s", utc=True)
        days = stamps.dt.tz_convert(params.campaign.timezone).dt.date
    assert days.min() >= params.baseline.start and days.max() <= params.end


@pytest.mark.e2e
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_builds_the_sections_its_data_supports(name, tmp_path):
    run_dir = tmp_path / "run"
    r = retro("run", EXAMPLES_DIR / f"{name}.yaml", "--output", run_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    statuses = json.loads((run_dir / "status.json").read_text())
    done, missing = EXPECTED[name]
    for section in SECTIONS:
        status = statuses[section]
        if section in done:
            assert status["status"] == "done", (section, status)
        elif section in missing:
            assert status["status"] == "missing" and status["reason"] == missing[section], (section, status)
        else:  # sections added later (e.g. the data-quality appendix) must not fail
            assert status["status"] != "failed", (section, status)
    assert Path(run_dir / "report" / "index.html").is_file()
