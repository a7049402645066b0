"""README journeys, run as the README tells them, on a copy of a project."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from leafgen.i18n import read_catalog
from leafgen.languages import LANGUAGES, Language
from tests.conftest import REPO, make_project, run
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


# ---- "Change a sentence" and "Add a council", run as README.md writes them ------------

LEAFLET = "leaflets/child-protection-conference/leaflet.yaml"
SENTENCE = "Your views matter."  # a shared sentence every council's leaflet has
NEW_SENTENCE = "Your views matter to everyone at the conference."
LOCAL = ("In Bolton, if your child needs a plan, an outline plan is drawn up at the conference.",
         "In Newtown, if your child needs a plan, a first plan is written at the conference.")


def readme_commands(heading: str) -> list[str]:
    """The lines of the sh block after the README paragraph starting **heading.**"""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(f"**{heading}.**"):]
    block = after[after.index("```sh\n") + 6:]
    return [line for line in block[:block.index("```")].splitlines() if line.strip()]


def copy_of_project(built: Path, dest: Path) -> Path:
    """The repository's content and its make files, with the suite's virtualenv and speech
    cache linked in, and the suite's build of it as output/ (so only what changes builds)."""
    for name in ("leaflets", "authorities", "translations", "schema", "requirements",
                 "apt", "scripts"):
        shutil.copytree(REPO / name, dest / name)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, dest / name)
    (dest / ".venv").symlink_to(Path(sys.prefix))
    (REPO / ".cache").mkdir(exist_ok=True)
    (dest / ".cache").symlink_to(REPO / ".cache")
    shutil.copytree(built, dest / "output", ignore=shutil.ignore_patterns("site"))
    # `make build` must find the environment installed (its stamp matches the locks):
    # otherwise it would reinstall into the suite's own virtualenv from this copy
    ready = subprocess.run(["make", "-q", "setup"], cwd=dest, capture_output=True)
    assert ready.returncode == 0, "the virtualenv was not made by `make` from these locks: run make"
    return dest


def follow(commands: list[str], project: Path, edits: dict[str, Callable[[], None]]) -> list[str]:
    """Run the README's commands in the project; a '# edit FILE: ...' line is the edit
    a person makes there. Returns each command's output."""
    outputs = []
    for line in commands:
        if line.startswith("# edit "):
            edits[line.split()[2].rstrip(":")]()
            continue
        done = subprocess.run(["bash", "-c", line], cwd=project, capture_output=True, text=True,
                              env={**os.environ, "LEAFGEN_JOBS": "2"})
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout + done.stderr)
    return outputs


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def artifacts(out: Path) -> dict[str, dict[str, Any]]:
    return {e["path"]: e for e in json.loads((out / "manifest.json").read_text())["artifacts"]}


@pytest.mark.skipif(not Path(sys.prefix).joinpath("bin/leafgen").exists(),
                    reason="needs the suite's virtualenv")
def test_readme_add_a_council(built: Path, tmp_path: Path) -> None:
    project = copy_of_project(built, tmp_path / "p")
    before = artifacts(built)
    new = project / "authorities/newtown.yaml"

    def edit() -> None:
        replace_in(new, "id: bolton", "id: newtown")
        replace_in(new, 'name: "Bolton Council"', 'name: "Newtown Council"')
        replace_in(new, *LOCAL)  # one local paragraph of its own

    _, validate, build = follow(readme_commands("Add a council"), project,
                             {"authorities/newtown.yaml": edit})
    assert "council newtown: 1 part shown in English until translated (1 missing, 0 stale)" \
        in validate
    after = artifacts(project / "output")
    # every format in every language for the new council...
    langs = {e["lang"] for e in before.values()}
    formats = {e["format"] for e in before.values()}
    mine = {(e["lang"], e["format"]) for e in after.values() if e["authority"] == "newtown"}
    assert mine == {(e["lang"], e["format"]) for e in before.values() if e["authority"] == "bolton"}
    assert {lang for lang, _ in mine} == langs and {f for _, f in mine} == formats
    # ...its paragraph in English, marked, in every other language, and told in figures...
    for lang in langs - {"en"}:
        entry = after[f"newtown/child-protection-conference/{lang}/child-protection-conference.txt"]
        assert entry["parts_in_english"] == 1 and entry["translated_percent"] < 100
        text = " ".join((project / "output" / entry["path"]).read_text().replace("\u200f", "").split())
        mark = read_catalog(REPO / f"translations/{lang}.po", lang).get(
            "Not yet translated: this part is in English.").string
        assert f"[{mark}] {LOCAL[1]}" in text
    # ...and every other council's files are the same, byte for byte, and were not rewritten
    for path, entry in before.items():
        assert after[path]["sha256"] == entry["sha256"], path
    assert f"{len(before)} unchanged" in build


@pytest.mark.skipif(not Path(sys.prefix).joinpath("bin/leafgen").exists(),
                    reason="needs the suite's virtualenv")
def test_readme_change_a_sentence(built: Path, tmp_path: Path) -> None:
    project = copy_of_project(built, tmp_path / "p")
    before = artifacts(built)
    follow(readme_commands("Change a sentence"), project,
           {LEAFLET: lambda: replace_in(project / LEAFLET, SENTENCE, NEW_SENTENCE)})
    after = artifacts(project / "output")
    assert set(after) == set(before)  # every language of every council still builds
    for path, entry in after.items():
        if entry["format"] != "txt":
            continue
        text = " ".join((project / "output" / path).read_text().replace("\u200f", "").split())
        assert NEW_SENTENCE in text, path  # the new English, never the old translation
        if entry["lang"] != "en":
            old = next(m for m in read_catalog(REPO / f"translations/{entry['lang']}.po",
                                               entry["lang"]) if SENTENCE in m.id)
            assert " ".join(old.string.split()) not in text and entry["parts_in_english"] == 1, path
    # strict: stops, one line per entry (the sentence, in each translated language)
    strict = subprocess.run([".venv/bin/leafgen", "build", "--strict"], cwd=project,
                            capture_output=True, text=True)
    errors = [line for line in strict.stderr.splitlines() if ": error: " in line]
    langs = sorted({e["lang"] for e in before.values()} - {"en"})
    assert strict.returncode == 1
    assert sorted(e.split("/")[1].split(".")[0] for e in errors) == langs
    assert all(e.startswith("translations/") and ": error: stale translation: the English "
               "changed to 'You will usually be invited." in e for e in errors), errors


def test_the_readmes_language_table_is_the_registry() -> None:
    """README's table of languages: the registry's, in its order, with what each cannot
    have (braille, audio) as the registry says."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:4] for line in readme.splitlines()
            if line.startswith("| ") and len(line.split("|")) == 5 and line.split("|")[1].strip()
            in LANGUAGES]
    assert [code.strip() for code, _, _ in rows] == list(LANGUAGES)
    for code, name, missing in rows:
        language = LANGUAGES[code.strip()]
        assert name.strip().startswith(language.english_name)
        assert ("braille" in missing) == (language.braille_table is None)
        assert ("audio" in missing) == (language.voice is None)


@pytest.mark.skipif(not Path(sys.prefix).joinpath("bin/leafgen").exists(),
                    reason="needs the suite's virtualenv")
def test_readme_make_a_pack(tmp_path: Path) -> None:
    """The README's pack command, as written, in a copy of the project: the files it
    says, the bilingual edition once (for the translation)."""
    import zipfile
    project = tmp_path / "p"
    for name in ("leaflets", "authorities", "translations"):
        shutil.copytree(REPO / name, project / name)
    (project / ".venv").symlink_to(Path(sys.prefix))
    (REPO / ".cache").mkdir(exist_ok=True)
    (project / ".cache").symlink_to(REPO / ".cache")
    [output] = follow(readme_commands("Make a pack"), project, {})
    assert output.startswith("wrote pack.zip") and len(output.splitlines()) == 1, output
    leaflet = "child-protection-conference"
    names = set(zipfile.ZipFile(project / "pack.zip").namelist())
    assert names == {f"{lang}/{leaflet}{suffix}" for lang in ("ur", "en")
                     for suffix in (".large-print.pdf", ".epub")} | {
        f"ur/{leaflet}.bilingual.pdf", "README-ur.txt", "README-en.txt"}


@pytest.mark.skipif(not Path(sys.prefix).joinpath("bin/leafgen").exists(),
                    reason="needs the suite's virtualenv")
def test_readme_check_the_writing(tmp_path: Path) -> None:
    project = tmp_path / "p"
    for name in ("leaflets", "authorities", "translations"):
        shutil.copytree(REPO / name, project / name)
    (project / ".venv").symlink_to(Path(sys.prefix))
    [output] = follow(readme_commands("Check the writing"), project, {})
    lines = output.splitlines()
    assert any(": warning: " in line for line in lines)
    assert any(line.strip().startswith("leaflets/child-protection-conference/leaflet.yaml")
               and "reading age" in line for line in lines if line.startswith("  "))


@pytest.mark.skipif(not Path(sys.prefix).joinpath("bin/leafgen").exists(),
                    reason="needs the suite's virtualenv")
def test_readme_start_a_new_project(tmp_path: Path) -> None:
    """README "Start a new project", as written, from a folder with the virtualenv (this
    repository's place): the new project validates and builds every format of its
    example council in English (tests/test_new.py checks the files themselves)."""
    here = tmp_path / "here"
    here.mkdir()
    (here / ".venv").symlink_to(Path(sys.prefix))
    commands = readme_commands("Start a new project")
    folder = commands[0].split()[2]  # leafgen new FOLDER
    new, validate, build = follow(commands, here, {})
    project = (here / folder).resolve()
    assert all(line.startswith(f"created {folder}/") for line in new.splitlines()), new
    assert (project / "authorities/example.yaml").is_file()
    assert "ok: 1 documents (1 authorities, 1 leaflets, 1 languages), no errors" in validate
    built = artifacts(project / "output")
    assert {e["authority"] for e in built.values()} == {"example"}
    assert {"html", "pdf", "mp3", "epub", "brf"} <= {e["format"] for e in built.values()}
    assert " 0 failed" in build
