"""The builder: selection, manifest, atomic writes, quiet rebuilds, light start-up."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, make_project, run


TEXT_FORMATS = ("--format", "html", "--format", "txt")  # quick to build; PDFs have their own tests


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_rebuild_writes_nothing_when_nothing_changed(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    first = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert "2 written, 0 unchanged, 0 failed" in first.stdout
    page = out / "testshire/demo/en/demo.html"
    stamp = page.stat().st_mtime_ns
    second = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert "0 written, 2 unchanged, 0 failed" in second.stdout
    assert page.stat().st_mtime_ns == stamp


def test_a_changed_sentence_rewrites_only_what_changed(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    leaflet = project / "leaflets/demo/leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace("First point", "A new first point"))
    result = run("--project", project, "build", "--format", "txt", "--out", out)
    assert "1 written, 0 unchanged" in result.stdout
    assert "A new first point" in (out / "testshire/demo/en/demo.txt").read_text()
    # the html built before is still listed: the manifest lists every artifact that exists
    assert {a["format"] for a in manifest(out)["artifacts"]} == {"html", "txt"}


def test_manifest_drops_files_that_vanished(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    (out / "testshire/demo/en/demo.html").unlink()
    run("--project", project, "build", "--format", "txt", "--out", out)
    assert [a["format"] for a in manifest(out)["artifacts"]] == ["txt"]


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == \
        ["demo.html", "demo.txt", "manifest.json"]


def test_selection(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--project", REPO, "build", "--authority", "barnet", "--format", "txt",
                 "--lang", "en", "--leaflet", "child-protection-conference", "--out", out)
    assert result.exit_code == 0, result.output
    assert [a["path"] for a in manifest(out)["artifacts"]] == \
        ["barnet/child-protection-conference/en/child-protection-conference.txt"]
    assert "wrote barnet/child-protection-conference/en/child-protection-conference.txt" \
        in result.stdout  # not a terminal: one line per artifact


def test_help_imports_no_heavy_library() -> None:
    code = ("import sys; from click.testing import CliRunner; from leafgen.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in ('jinja2', 'pydantic', 'yaml', 'markupsafe') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_list_names_everything() -> None:
    result = run("--project", REPO, "list")
    assert result.exit_code == 0
    assert "bolton" in result.stdout and "child-protection-conference" in result.stdout
    for fmt in ["html", "txt", "pdf", "large-print-pdf", "docx", "large-print-docx", "brf",
                "pef", "mp3"]:
        assert f"  {fmt} " in result.stdout
    for code in ["en", "pa", "ur", "ar", "bn", "fa", "sq", "bs", "it"]:
        assert f"  {code}  " in result.stdout


def test_entry_scripts_are_thin_and_work(tmp_path: Path) -> None:
    for script in ("cli.py", "build.py"):
        assert len((REPO / script).read_text().splitlines()) < 10
    out = subprocess.run([sys.executable, str(REPO / "build.py"), "--help"], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0 and "--authority" in out.stdout


def test_committed_schemas_match_the_model() -> None:
    from leafgen.schema import schema_texts
    for name, text in schema_texts().items():
        assert (REPO / "schema" / name).read_text() == text, \
            f"schema/{name} is stale: run python -m leafgen.schema"
