"""Whether an executed section notebook, or the exported report, is still current.

A section is re-executed only when something it depends on changed: its notebook, the campaign YAML
(the report title aside, which only the export shows), the kit's code and templates, or the marts (their
manifest fingerprints), and the compared runs' figures and marts when the YAML names comparisons. Sections
that read other sections' figures (the summary, the appendix) also depend on those figures. The report is
re-exported only when a notebook, a status or the YAML changed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from .params import PROJECT_ROOT, CampaignParams
from .sections import LATE

_CODE_SUFFIXES = (".py", ".j2", ".css", ".yaml", ".js")
_CODE_DIRS = (PROJECT_ROOT / "shared" / "retro", PROJECT_ROOT / "shared" / "templates")


@cache
def code_version() -> str:
    """Hash of the kit's code and report templates: a new kit version re-executes every section."""
    h = hashlib.sha256()
    for root in _CODE_DIRS:
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and path.suffix in (".py", ".j2", ".css", ".yaml", ".js")
                and "__pycache__" not in path.parts
            ):
                h.update(str(path.relative_to(PROJECT_ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"


def _params_payload(params: CampaignParams) -> dict:
    data = params.model_dump(mode="json")
    data["campaign"].pop("name", None)  # shown by the export only
    return data


def section_fingerprint(
    name: str, params: CampaignParams, run_dir: Path, notebook: Path, reads_figures: bool = False
) -> str:
    """The inputs of one section's executed notebook, hashed."""
    payload = {
        "notebook": _hash_file(notebook),
        "params": _params_payload(params),
        "code": code_version(),
        "marts": _hash_file(run_dir / "marts" / "manifest.json"),
        "quality": _hash_file(run_dir / "marts" / "quality.json"),
    }
    if params.compare:  # the compared runs' figures, snapshot and marts (retro.comparison)
        from .comparison import inputs_fingerprint

        payload["compare"] = inputs_fingerprint(params)
    if reads_figures:  # the other sections' figures; the late sections' own files are written as they run
        payload["figures"] = {
            p.name: _hash_file(p) for p in sorted((run_dir / "figures").glob("*.json")) if p.stem not in LATE
        }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def report_fingerprint(params: CampaignParams, run_dir: Path, statuses: dict) -> str:
    """The inputs of the exported report: every executed notebook, the statuses and the whole YAML."""
    payload = {
        "notebooks": {p.name: _hash_file(p) for p in sorted((run_dir / "notebooks").glob("*.ipynb"))},
        "statuses": {k: [v.status, v.reason] for k, v in sorted(statuses.items())},
        "params": params.model_dump(mode="json"),
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]
