"""Setup: the locks decide every version, `make build` stays lean, a changed lock
reinstalls, and the CI example runs what the Makefile offers."""
from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

REQ = REPO / "requirements"
REQUIREMENT = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) \\$", re.M)


def pins(path: Path) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version
            for name, version in REQUIREMENT.findall(path.read_text())}


def canonical(requirement: str) -> str:
    return re.split(r"[ ;<>=!~\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@pytest.mark.parametrize("lock", ["build.txt", "test.txt", "torch-cpu.lock"])
def test_every_locked_package_has_an_exact_version_and_a_hash(lock: str) -> None:
    text = (REQ / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z])", text[re.search(r"^[A-Za-z]", text, re.M).start():])
    assert entries
    for entry in entries:
        assert REQUIREMENT.match(entry), f"not an exact pin: {entry.splitlines()[0]}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.splitlines()[0]


def test_build_lock_holds_the_runtime_and_no_test_or_translation_tools() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    build = pins(REQ / "build.txt")
    for requirement in project["dependencies"]:
        assert canonical(requirement) in build, requirement
    for heavy in ["torch", "argostranslate", "pytest", "selenium", "hypothesis"]:
        assert heavy not in build


def test_test_lock_adds_tools_and_keeps_every_runtime_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    build, test = pins(REQ / "build.txt"), pins(REQ / "test.txt")
    for extra in ["test", "mt"]:
        for requirement in project["optional-dependencies"][extra]:
            assert canonical(requirement) in test, requirement
    # one runtime for both: what is tested is what is built
    assert {name: test[name] for name in build if name in test} == \
        {name: build[name] for name in build if name in test}
    assert set(build) - {"setuptools"} <= set(test)
    assert test["torch"].endswith("+cpu")  # never the CUDA build from PyPI
    assert (REQ / "torch-cpu.lock").read_text().strip() in (REQ / "test.txt").read_text()


def test_npm_tools_are_locked_with_integrity() -> None:
    import json
    lock = json.loads((REPO / "package-lock.json").read_text())
    wanted = json.loads((REPO / "package.json").read_text())["devDependencies"]
    for name, version in wanted.items():
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version and entry["integrity"].startswith("sha512-")


def _dry_run(root: Path, target: str) -> str:
    return subprocess.run(["make", "-n", target], cwd=root, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def makefile_copy(tmp_path: Path) -> Path:
    for name in ["Makefile", "pyproject.toml", "package.json", "package-lock.json"]:
        shutil.copy(REPO / name, tmp_path / name)
    for folder in ["requirements", "apt"]:
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_make_build_installs_from_the_build_lock_only(makefile_copy: Path) -> None:
    plan = _dry_run(makefile_copy, "build")
    assert "--require-hashes --no-deps -r requirements/build.txt" in plan
    assert "ensure-apt apt/build.txt" in plan
    for other in ["requirements/test.txt", "torch", "apt/test.txt", "npm"]:
        assert other not in plan
    plan = _dry_run(makefile_copy, "test")
    for step in ["-r requirements/build.txt", "-r requirements/torch-cpu.lock",
                 "-r requirements/test.txt", "ensure-apt apt/test.txt", "npm ci"]:
        assert step in plan


def test_a_changed_lock_reinstalls(makefile_copy: Path) -> None:
    stamp = re.search(r"touch (\.venv/\.build-\w+)", _dry_run(makefile_copy, "setup")).group(1)
    (makefile_copy / stamp).parent.mkdir()
    (makefile_copy / stamp).touch()
    assert "pip" not in _dry_run(makefile_copy, "setup")  # installed: nothing to do
    with (makefile_copy / "requirements" / "build.txt").open("a") as f:
        f.write("# refreshed\n")
    assert "-r requirements/build.txt" in _dry_run(makefile_copy, "setup")


def test_ci_example_installs_per_job_and_has_a_weekly_canary(makefile_copy: Path) -> None:
    workflow = yaml.safe_load((REPO / "examples" / "github-publish.yml").read_text())
    jobs = workflow["jobs"]

    def commands(job: str) -> str:
        return "\n".join(step.get("run", "") for step in jobs[job]["steps"])

    assert "make test\n" in commands("test") + "\n"
    for job in ["build", "publish"]:
        assert "make setup" in commands(job) and "make test" not in commands(job)
    assert workflow[True]["schedule"][0]["cron"]  # yaml reads the key `on` as True
    assert "make test-latest" in commands("canary")
    assert jobs["canary"]["if"] == "github.event_name != 'push'"
    for job in jobs.values():  # Debian's nodejs has no npm: the test lists bring it
        assert job["container"] == "debian:bookworm"
    assert "npm" in (REPO / "apt" / "test.txt").read_text().split()
    # every make target the workflow names exists
    named = "\n".join(commands(j) for j in jobs)
    targets = set(re.findall(r"(?:^|&& )\s*make ([\w-]+)", named, re.M))
    assert targets == {"test", "setup", "test-latest"}
    for target in targets:
        _dry_run(makefile_copy, target)
