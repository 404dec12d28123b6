"""Packaging (issue 16): one version, an SPDX licence with its file, the rendering
libraries pinned at the versions the recordings were made with."""
from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

import vgtui

ROOT = Path(__file__).resolve().parents[2]
tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_one_version_source(run_cli):
    data = _project()
    assert "version" not in data["project"] and "version" in data["project"]["dynamic"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "vgtui.__version__"}
    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"vgtui {vgtui.__version__}"


def test_spdx_licence_and_its_file():
    data = _project()
    assert data["project"]["license"] == "MIT"
    assert data["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert not any(c.startswith("License ::") for c in data["project"]["classifiers"])
    requires = data["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77
               for r in requires)  # the first setuptools that reads license = "MIT"


def test_python_versions_in_classifiers():
    classifiers = _project()["project"]["classifiers"]
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers


def test_rendering_libraries_pinned_at_the_installed_versions():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "constraints.txt").read_text(),
                           re.M))
    for name in ("textual", "rich", "torch"):
        assert name in pins, name
    for name in ("textual", "rich"):
        assert version(name) == pins[name], (
            f"{name} {version(name)} is installed but constraints.txt pins {pins[name]}: "
            "re-record the snapshots and goldens with the new version, then move the pin")


def test_web_extra_declared():
    extras = _project()["project"]["optional-dependencies"]
    assert any(r.startswith("textual-serve") for r in extras["web"])
