"""Whether an executed section notebook, or the exported report, is still current.

A section is re-executed only when something it depends on changed: its notebook, the kit's code and
templates, the marts it read when it last ran (their manifest fingerprints; every mart when that is not
known), the campaign YAML less what it does not read, and the compared runs' figures and marts when the
YAML names comparisons. What a section does not read: the report title (only the export shows it), the
engine (the marts' fingerprints cover what it computed), the list of sections, and the targets,
benchmarks, findings rules and budget of figures other sections own; the goals page, the summary and the
appendix read all of those. Sections that read other sections' figures (the summary, the appendix) also
depend on those figures. The report is re-exported only when a notebook, a status or the YAML changed.

Which marts a section read is recorded by its notebook as it runs under ``retro run``
(``<run>/reads/<section>.json``, see ``SectionContext.mart``), so the fingerprint stored after an
execution covers exactly the marts that execution used. Every file named here is one ``retro.rundir`` names.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from .catalog import FIGURES
from .params import CampaignParams
from .paths import PROJECT_ROOT
from .registry import LATE
from .rundir import RunDir, comparison_files, hash_file, hash_json

# sections that show every figure's target or benchmark, or every other section's output
READS_ALL_PARAMS = frozenset({"goals", *LATE})

_CODE_SUFFIXES = (".py", ".j2", ".css", ".yaml", ".js")
_CODE_DIRS = (PROJECT_ROOT / "shared" / "retro", PROJECT_ROOT / "shared" / "templates")


@cache
def code_version() -> str:
    """Hash of the kit's code and report templates: a new kit version re-executes every section."""
    h = hashlib.sha256()
    for root in _CODE_DIRS:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(PROJECT_ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _params_payload(params: CampaignParams, section: str) -> dict:
    """The YAML values ``section`` reads."""
    data = params.model_dump(mode="json")
    data["campaign"].pop("name", None)  # shown by the export only
    data.pop("engine", None)  # where the marts were computed: their fingerprints cover the result
    data.pop("languages", None)  # which other reports the run builds: not this one's input
    if section in READS_ALL_PARAMS:
        return data

    def own(key: str) -> bool:  # a figure of this section, or one the catalog does not know (kept, to be safe)
        return key not in FIGURES or FIGURES[key].section == section

    data["targets"] = {k: v for k, v in data["targets"].items() if own(k)}
    data["benchmarks"] = {k: v for k, v in data["benchmarks"].items() if own(k)}
    data["findings"] = [rule for rule in data["findings"] if own(rule["figure"])]
    data["budget"] = data["budget"] if section == "marketing" else {}
    data.pop("sections", None)
    return data


def _marts_payload(rd: RunDir, section: str):
    """The manifest entries of the marts the section read; the whole manifest when that is not known."""
    reads = rd.read_reads(section)
    if reads is None:
        return hash_file(rd.manifest)
    manifest = rd.read_manifest()
    # a mart that was looked for and is absent is an input too: "-" until it is built
    return {m: (manifest.get(m) or {}).get("fingerprint", "-") for m in sorted(reads)}


def section_fingerprint(
    name: str,
    params: CampaignParams,
    run_dir: Path,
    notebook: Path,
    reads_figures: bool = False,
    notebook_hash: str | None = None,
) -> str:
    """The inputs of one section's executed notebook, hashed.

    ``notebook_hash``: the notebook's hash as it was when its execution started (a fingerprint taken after the
    execution must not take in an edit saved meanwhile).
    """
    rd = RunDir(run_dir)
    payload = {
        "notebook": notebook_hash or hash_file(notebook),
        "params": _params_payload(params, name),
        "code": code_version(),
        "marts": _marts_payload(rd, name),
        "quality": hash_file(rd.quality),
        "profile": hash_file(rd.profile),  # which facts hold: what the section may say
    }
    if params.compare:  # the compared runs' figures, snapshot and marts
        payload["compare"] = comparison_files(params)
    if reads_figures:  # the other sections' figures; the late sections' own files are written as they run
        payload["figures"] = {p.name: hash_file(p) for p in rd.figure_files() if p.stem not in LATE}
    return hash_json(payload)


def report_fingerprint(params: CampaignParams, run_dir: Path, statuses: dict) -> str:
    """The inputs of the exported report: every executed notebook, the statuses and the whole YAML."""
    payload = {
        "notebooks": {p.name: hash_file(p) for p in sorted(RunDir(run_dir).notebooks.glob("*.ipynb"))},
        "statuses": {k: [v.status, v.reason] for k, v in sorted(statuses.items())},
        "params": params.model_dump(mode="json", exclude={"languages"}),  # the other reports are not this one's
        "code": code_version(),
    }
    return hash_json(payload)
