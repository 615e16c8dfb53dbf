"""Imports run one way: the contract in pyproject.toml holds, and breaks on a planted cycle.

`lint-imports` (import-linter) checks the real tree in scripts/test.sh; these
tests show that the contract would catch what it is there to catch.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("intake", "parsers", "notifier", "review", "devtools")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(PROJECT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(root: Path, module: str, line: str) -> None:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")


def test_the_tree_as_it_is_keeps_the_contract(tree_copy):
    done = lint_imports(tree_copy)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_cycle_inside_a_package_breaks_the_contract(tree_copy):
    # rows is read by assemble; rows reading assemble back closes a loop.
    plant(tree_copy, "parsers.text.rows", "from parsers.text import assemble")
    done = lint_imports(tree_copy)
    assert done.returncode != 0
    assert "No import cycles inside any package BROKEN" in done.stdout


def test_the_core_reaching_up_into_the_worker_breaks_the_contract(tree_copy):
    plant(tree_copy, "intake.core.statuses", "import intake.worker.pipeline")
    done = lint_imports(tree_copy)
    assert done.returncode != 0
    assert "intake.core is not allowed to import intake.worker" in done.stdout


def test_the_service_importing_the_dev_tools_breaks_the_contract(tree_copy):
    plant(tree_copy, "intake.worker.record", "import devtools.samples.forms")
    done = lint_imports(tree_copy)
    assert done.returncode != 0
    assert "is not allowed to import devtools" in done.stdout
