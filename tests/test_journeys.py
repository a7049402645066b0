"""README journeys, run as the README tells them, on a copy of a project."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from leafgen.i18n import read_catalog
from leafgen.languages import LANGUAGES, Language
from tests.conftest import make_project, run
from tests.test_i18n import fill

WELSH = Language("cy", "cy-GB", "Welsh", "Cymraeg", "ltr", "wel", braille_table="cy-leafgen.utb",
                 voice="cel/cy", no_mt_model="Argos Translate has no English to Welsh model")


def test_add_a_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README "Add a language": one registry record (step 1, the code change, made here
    by adding the record in this process), then extract, translate, build and list."""
    project = make_project(tmp_path / "p")
    monkeypatch.setitem(LANGUAGES, "cy", WELSH)
    # liblouis's Welsh table writes @ in 8 dots, which BRF cannot hold: a table of the
    # project's own includes it and writes @ as UEB does
    (project / "templates/braille/cy-leafgen.utb").write_text(
        "# Welsh (liblouis cy-cy-g1.utb) with @ in 6 dots\ninclude cy-cy-g1.utb\nsign @ 4-1\n")
    assert run("--project", project, "extract").exit_code == 0                    # step 2
    po = project / "translations" / "cy.po"
    assert read_catalog(po, "cy").plural_forms == WELSH.plural_forms
    fill(project, "cy", "draft")                                                   # step 3
    out = tmp_path / "out"
    formats = [arg for name in ("txt", "html", "docx", "brf", "mp3") for arg in ("--format", name)]
    result = run("--project", project, "build", "--lang", "cy", *formats, "--out", out)  # step 4
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    built = {e["format"]: e for e in manifest["artifacts"] if e["lang"] == "cy"}
    assert sorted(built) == ["brf", "docx", "html", "mp3", "txt"]
    assert {e["translation"] for e in built.values()} == {"draft"}
    html = (out / built["html"]["path"]).read_text()
    assert '<html lang="cy"' in html and "CY: " in html
    listing = run("--project", project, "list").stdout
    assert "cy  Welsh (Cymraeg): ready" in listing


def test_a_language_without_a_voice_says_why_and_builds_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "p")
    silent = dataclasses.replace(WELSH, voice=None, no_voice="espeak-ng has no voice for it here")
    monkeypatch.setitem(LANGUAGES, "cy", silent)
    assert run("--project", project, "extract").exit_code == 0
    fill(project, "cy", "draft")
    assert "not in cy: espeak-ng has no voice for it here" in run("--project", project, "list").stdout
    result = run("--project", project, "build", "--lang", "cy", "--format", "txt", "--format", "mp3",
                 "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/testshire/demo/cy/demo.txt").exists()
    assert not (tmp_path / "out/testshire/demo/cy/demo.mp3").exists()
