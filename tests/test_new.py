"""`leafgen new DIR`: a project that builds, as it is, with the installed package."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from leafgen.formats import FORMATS
from leafgen.new import ITEMS, PLACEHOLDER, SCAFFOLD, requirement_from
from tests.conftest import REPO

LEAFGEN = Path(sys.prefix) / "bin" / "leafgen"
needs_cli = pytest.mark.skipif(not LEAFGEN.exists(), reason="needs the suite's virtualenv")
LEAFLET = "leaflets/child-protection-conference/leaflet.yaml"


def leafgen(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LEAFGEN), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "LEAFGEN_JOBS": "2"})


@needs_cli
def test_new_then_validate_and_build_inside_it(tmp_path: Path) -> None:
    """The issue's done-when: `leafgen new /tmp/x && cd /tmp/x && leafgen build`."""
    made = leafgen("new", "x", cwd=tmp_path)
    assert made.returncode == 0 and made.stderr == "", made.stderr
    project = tmp_path / "x"
    assert [line.split(" (")[0] for line in made.stdout.splitlines()] == [
        f"created x/{name}{'/' if (project / name).is_dir() else ''}" for name in ITEMS]
    assert sorted(p.name for p in project.iterdir()) == sorted(ITEMS)
    assert not (project / "templates").exists()  # the package's templates, until it adds its own
    assert sorted(p.name for p in (project / "translations").iterdir()) == ["leafgen.pot"]

    validate = leafgen("validate", cwd=project)
    assert validate.returncode == 0, validate.stderr
    assert validate.stdout.startswith("ok: 1 documents (1 authorities, 1 leaflets, 1 languages)")
    build = leafgen("build", cwd=project)
    assert build.returncode == 0, build.stdout + build.stderr
    out = project / "output"
    artifacts = json.loads((out / "manifest.json").read_text())["artifacts"]
    expected = {f.name for f in FORMATS.values()
                if f.available and f.applies_to("en") and not f.unavailable_reason("en")}
    assert {"mp3", "epub", "pdf", "brf"} <= expected
    assert sorted(e["format"] for e in artifacts) == sorted(expected)  # each once
    for entry in artifacts:
        assert (entry["authority"], entry["leaflet"], entry["lang"]) == (
            "example", "child-protection-conference", "en")
        assert entry["council"] == "Example Council" and entry["translation"] == "source"
        data = (out / entry["path"]).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert (out / "site/index.html").is_file()
    html = (out / "example/child-protection-conference/en/child-protection-conference.html"
            ).read_text()
    assert "Example Council" in html and "01632 960456" in html  # the example's facts, merged
    assert f"{len(expected)} written, 0 unchanged, 0 failed" in build.stdout


@needs_cli
def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine\n")
    refused = leafgen("new", "full", cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "Error: full is not empty: leafgen new makes a project in a new or empty folder, "
        "and changes no file that is already there"]
    assert [p.name for p in full.iterdir()] == ["notes.txt"]  # nothing written
    (tmp_path / "file").write_text("")
    refused = leafgen("new", "file", cwd=tmp_path)
    assert (refused.returncode, refused.stderr) == (1, "Error: file exists and is not a folder\n")


@needs_cli
def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert leafgen("new", "empty", cwd=tmp_path).returncode == 0
    assert (tmp_path / "empty/authorities/example.yaml").is_file()


def apt_build_packages() -> set[str]:
    """apt/build.txt's packages, read as scripts/ensure-apt reads it."""
    lines = (REPO / "apt/build.txt").read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines} - {""}


def test_the_ci_workflow_installs_what_leafgen_needs_then_validates_and_builds() -> None:
    workflow = yaml.safe_load((SCAFFOLD / ".github/workflows/leafgen.yml").read_text())
    assert {"push", "pull_request"} <= set(workflow[True])  # YAML 1.1 reads `on:` as True
    assert workflow["env"]["LEAFGEN"] == PLACEHOLDER
    [job] = workflow["jobs"].values()
    assert job["container"] == "debian:bookworm"  # Python 3.11, as the locks are for
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]
    install = next(run for run in runs if "apt-get install" in run)
    packages = set(install.split("--no-install-recommends")[1].replace("\\", " ").split())
    assert apt_build_packages() | {"python3", "python3-venv", "git"} <= packages
    assert 'pip install --quiet "$LEAFGEN"' in "".join(runs)
    assert runs.index("leafgen validate") < runs.index("leafgen build")
    upload = steps[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "output"


def test_the_new_projects_readme_installs_the_same_packages() -> None:
    readme = (SCAFFOLD / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.startswith("sudo apt-get install"))
    assert apt_build_packages() <= set(line.split())
    assert PLACEHOLDER in readme


def test_the_shared_leaflet_is_this_repositorys() -> None:
    """The scaffold's copy (its own header comment) says what the repository's says."""
    assert yaml.safe_load((SCAFFOLD / LEAFLET).read_text()) == \
        yaml.safe_load((REPO / LEAFLET).read_text())


def test_the_example_councils_facts_are_obviously_examples() -> None:
    text = (SCAFFOLD / "authorities/example.yaml").read_text()
    council = yaml.safe_load(text)
    assert council["name"] == "Example Council"
    phones = [p["number"] for c in council["contacts"] for p in c.get("phones", [])]
    emails = [e for c in council["contacts"] for e in c.get("emails", [])]
    webs = [w for c in council["contacts"] for w in c.get("web", [])]
    assert phones and emails and webs
    # Ofcom keeps 01632 960000 to 960999 for drama: numbers that never ring anyone
    assert all(re.fullmatch(r"01632 960\d{3}", n) for n in phones), phones
    assert all(e.endswith("@example.org") for e in emails)
    assert all(w.startswith("www.example.org/") for w in webs)
    # every number-like or address-like token in the file is one of those
    assert set(re.findall(r"\b0\d{3,4} \d{6}\b", text)) == set(phones)


def test_every_scaffold_file_is_package_data() -> None:
    """What a wheel holds: setuptools globs each package-data pattern with the standard
    glob (recursive), whose * skips names starting with a dot (.github, .gitignore)."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["leafgen"]
    package = REPO / "leafgen"
    shipped = {Path(p) for pattern in patterns
               for p in glob.glob(str(package / pattern), recursive=True) if Path(p).is_file()}
    files = {Path(folder, name) for folder, _, names in os.walk(SCAFFOLD) for name in names
             if "__pycache__" not in folder}
    assert {".gitignore", "leafgen.yml"} <= {f.name for f in files}
    assert files - shipped == set()
    assert {p.name for p in SCAFFOLD.iterdir()} == set(ITEMS) - {"translations", "schema"}


@pytest.mark.parametrize("recorded, requirement", [
    (None, PLACEHOLDER),  # installed from a folder, or by a tool that keeps no record
    ('{"url": "file:///work/leafgen", "dir_info": {"editable": true}}', PLACEHOLDER),
    ('{"url": "https://github.com/council/leafgen", "vcs_info": {"vcs": "git", '
     '"commit_id": "0123abc", "requested_revision": "v0.1.0"}}',
     "leafgen @ git+https://github.com/council/leafgen@0123abc"),
    ('{"url": "https://example.org/leafgen-0.1.0.tar.gz", "archive_info": {}}',
     "leafgen @ https://example.org/leafgen-0.1.0.tar.gz"),
    ('{"url": "https://user:secret@github.com/council/leafgen", "vcs_info": {"vcs": "git"}}',
     PLACEHOLDER),  # a credential is never written into a file
    ("not json", PLACEHOLDER),
])
def test_ci_installs_leafgen_from_where_it_came_from(recorded: str | None,
                                                     requirement: str) -> None:
    assert requirement_from(recorded) == requirement
