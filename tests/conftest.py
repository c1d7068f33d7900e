"""Shared test helpers: a tiny campaign built from hand-made DataFrames, so every mart and section can
be checked against numbers computed by hand."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from retro.context import SectionContext
from retro.marts.build import build_marts
from retro.params import load_params
from retro.paths import PROJECT_ROOT
from retro.sections import SECTIONS

# A short calendar: baseline Oct 1-2, warm-up Nov 1-2, burst Nov 3, tail Nov 4.
TINY_YAML = {
    "campaign": {"id": "tiny", "name": "Tiny test campaign", "language": "en", "currency": "CNY"},
    "phases": [
        {"name": "warmup", "start": "2026-11-01", "end": "2026-11-02"},
        {"name": "burst", "start": "2026-11-03", "end": "2026-11-03"},
        {"name": "tail", "start": "2026-11-04", "end": "2026-11-04"},
    ],
    "baseline": {"start": "2026-10-01", "end": "2026-10-02"},
    "settings": {"new_customer_lookback_days": 365, "retention_days": 30, "top_n": 3},
}


class TinyCampaign:
    """A campaign whose tables are the given DataFrames; ``ctx(section)`` opens a section on it."""

    def __init__(self, root: Path, frames: dict[str, pd.DataFrame], overrides: dict | None = None):
        self.root = root
        doc = {**TINY_YAML, **(overrides or {})}
        tables = {}
        for name, df in frames.items():
            folder = root / "data" / name
            folder.mkdir(parents=True, exist_ok=True)
            df.to_parquet(folder / "part-0.parquet", index=False)
            tables[name] = {"path": f"data/{name}/*.parquet"}
        doc["data"] = {"tables": tables}
        self.params_file = root / "tiny.yaml"
        self.params_file.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        self.params = load_params(self.params_file)
        self.run_dir = root / "run"
        build_marts(self.params, self.run_dir)

    def mart(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.run_dir / "marts" / f"{name}.parquet")

    def ctx(self, section: str) -> SectionContext:
        return SectionContext(SECTIONS[section], self.params, self.run_dir)


@pytest.fixture
def tiny(tmp_path):
    """Factory: ``tiny({'orders': df, ...}, overrides)`` builds the marts of a hand-made campaign."""

    def make(frames: dict[str, pd.DataFrame], overrides: dict | None = None) -> TinyCampaign:
        return TinyCampaign(tmp_path, frames, overrides)

    return make


def ts(text: str) -> pd.Timestamp:
    """A naive local timestamp from 'YYYY-MM-DD HH:MM'."""
    return pd.Timestamp(text)


# --- the demo campaign built once per test session, shared by the end-to-end and browser tests -------------
DEMO_YAML = PROJECT_ROOT / "params" / "demo_double11.yaml"


def retro(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "retro.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=900,
    )


def bench_module(path: str):
    """A module of ``bench/`` by its path there (bench/ is no package: its scripts import no kit code)."""
    import importlib.util

    file = PROJECT_ROOT / "bench" / path
    spec = importlib.util.spec_from_file_location(f"bench_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """Small demo data in a temp folder and a campaign YAML (zh) pointing at it."""
    root = tmp_path_factory.mktemp("e2e")
    data = root / "data"
    r = retro("demo", "--size", "small", "--seed", "7", "--out", data)
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    doc.pop("compare", None)  # a campaign on its own: the comparison tests build their own last year
    doc["data"] = {
        "tables": {
            name: {"path": f"data/{name}/*.parquet"}
            for name in (
                "orders",
                "order_items",
                "products",
                "events",
                "marketing",
                "coupons",
                "inventory",
                "shipments",
                "service",
                "nps",
                "users",
            )
        }
    }
    params_file = root / "campaign.yaml"
    params_file.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root, params_file, data


@pytest.fixture(scope="session")
def built(demo):
    root, params_file, data = demo
    run_dir = root / "run"
    r = retro("run", params_file, "--output", run_dir, "--jobs", "2")
    return root, params_file, data, run_dir, r


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A temporary project folder (kit and templates linked, notebooks copied) for `retro` subprocesses.

    RETRO_PROJECT_ROOT points there, so scaffolded plug-ins and default outputs never land in the real tree.
    """
    root = tmp_path / "project"
    (root / "shared").mkdir(parents=True)
    for sub in ("retro", "templates"):
        (root / "shared" / sub).symlink_to(PROJECT_ROOT / "shared" / sub)
    shutil.copytree(PROJECT_ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setenv("RETRO_PROJECT_ROOT", str(root))
    return root
