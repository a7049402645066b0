"""Shared helpers: tiny projects from tests/roots/, the CLI, and one real build."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from leafgen.cli import main
from leafgen.project import DEFAULT_TEMPLATES

REPO = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).resolve().parent / "roots"
SEEDS = Path(__file__).resolve().parent / "seeds"  # copied from shared/seeds: the five real leaflets


def make_project(dest: Path, *overlays: str) -> Path:
    """tests/roots/minimal with each named root's files laid over it, plus the real templates."""
    shutil.copytree(ROOTS / "minimal", dest)
    for name in overlays:
        shutil.copytree(ROOTS / name, dest, dirs_exist_ok=True)
    shutil.copytree(DEFAULT_TEMPLATES, dest / "templates")
    return dest


def run(*args: str | Path, jobs: int = 1) -> Result:
    """The CLI in this process; one job, so tests stay quick (parallel builds: test_build)."""
    return CliRunner(env={"LEAFGEN_JOBS": str(jobs)}).invoke(main, [str(a) for a in args])


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own content, built once into a temporary output folder."""
    out = tmp_path_factory.mktemp("output")
    result = run("--project", REPO, "build", "--out", out, jobs=os.cpu_count() or 1)
    assert result.exit_code == 0, result.output
    return out
