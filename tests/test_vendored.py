"""Vendored assets (shared/templates/echarts): the pinned file, its checksum and its licence travel together."""

from __future__ import annotations

import hashlib

from retro.paths import TEMPLATES

ECHARTS = TEMPLATES / "echarts"


def _pins() -> dict[str, str]:
    lines = (ECHARTS / "VERSION").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


def test_echarts_is_the_pinned_build_with_its_checksum():
    pins = _pins()
    bundle = ECHARTS / pins["file"].rsplit("/", 1)[-1]
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == pins["sha256"], f"{bundle.name} changed without VERSION"
    assert f"/echarts-{pins['version']}.tgz" in pins["source"]
    assert f'version="{pins["version"]}"' in bundle.read_text(encoding="utf-8")  # the build says its version


def test_echarts_ships_with_its_licence_and_notice():
    assert "Apache License" in (ECHARTS / "LICENSE").read_text(encoding="utf-8")
    assert "Apache ECharts" in (ECHARTS / "NOTICE").read_text(encoding="utf-8")
