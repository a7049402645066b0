"""A round trip with a translation agency: request (PO and XLIFF) -> answers -> import ->
the translation in the outputs, its translator recorded; bad answers refused, by entry."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from translate.storage import po as tt_po
from translate.storage import xliff

from leafgen.i18n import read_catalog, status_of
from tests.conftest import make_project, run
from tests.test_i18n import fill

NEW = "- First point\n          - Ring 0800 123 4567 before 5 pm on day 2."
NEW_TEXT = "Ring 0800 123 4567 before 5 pm on day 2."
URDU = "دن 2 کو شام 5 بجے سے پہلے 0800 123 4567 پر فون کریں۔"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Urdu fully drafted, then a new shared text and a changed council text."""
    p = make_project(tmp_path / "p")
    run("--project", p, "extract")
    fill(p, "ur", "draft")
    leaflet = p / "leaflets/demo/leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace("- First point", NEW))
    council = p / "authorities/testshire.yaml"
    council.write_text(council.read_text().replace("independent chair", "conference chair"))
    return p


def _answer(request: Path, answers: dict[str, str]) -> None:
    """What the agency does: fill each target (and clear the fuzzy mark of a stale one)."""
    store = tt_po.pofile.parsefile(str(request)) if request.suffix == ".po" \
        else xliff.xlifffile.parsefile(str(request))
    for unit in store.units:
        if not unit.isheader() and str(unit.source) in answers:
            unit.target = answers[str(unit.source)]
            unit.markfuzzy(False)
    request.write_bytes(bytes(store))


@pytest.mark.parametrize("suffix", [".po", ".xlf"])
def test_request_then_import_ends_in_the_outputs(project: Path, tmp_path: Path, suffix: str) -> None:
    request = tmp_path / f"ur{suffix}"
    result = run("--project", project, "translation-request", "--lang", "ur", "-o", request)
    assert result.exit_code == 0, result.output
    assert "2 texts to translate into ur" in result.stdout
    data = request.read_text(encoding="utf-8")
    # only what needs work, each with its context
    assert NEW_TEXT in data and "conference chair" in data and "Ask your social worker." not in data
    assert "Section: What this is" in data and "Before it: First point" in data
    assert "After it: Call 0800 123 4567 any time." in data
    assert "English at leaflets/demo/leaflet.yaml:11" in data
    assert "Only in the leaflets of the council 'testshire'" in data
    _answer(request, {NEW_TEXT: URDU, "conference chair": "کانفرنس چیئر"})
    imported = run("--project", project, "translation-import", request,
                   "--translator", "Amina Qureshi", "--reviewed")
    assert imported.exit_code == 0, imported.output
    po = read_catalog(project / "translations/ur.po", "ur")
    entry = po.get(NEW_TEXT)
    assert entry.string == URDU and status_of(entry) == "reviewed" and not entry.fuzzy
    assert f"translated by Amina Qureshi on {date.today().isoformat()}" in entry.user_comments
    chair = po.get("conference chair", context="testshire")
    assert chair.string == "کانفرنس چیئر" and not chair.fuzzy and not chair.previous_id
    out = tmp_path / "out"
    assert run("--project", project, "build", "--lang", "ur", "--format", "txt", "--out", out).exit_code == 0
    text = re.sub("[\u200f\u2066\u2069]", "", (out / "testshire/demo/ur/demo.txt").read_text())
    assert URDU in " ".join(text.split()) and "کانفرنس چیئر" in text
    assert "Not yet translated" not in text and "UR: Not yet translated" not in text
    assert "ur (Urdu)" not in run("--project", project, "validate").stderr  # nothing left to do


@pytest.mark.parametrize("bad, why", [
    ("دن 2 کو شام 5 بجے سے پہلے 0800 123 4568 پر فون کریں۔", "phones differ"),
    ("دن 3 کو شام 5 بجے سے پہلے 0800 123 4567 پر فون کریں۔", "numbers differ"),
])
def test_import_refuses_changed_protected_values_naming_the_entry(
        project: Path, tmp_path: Path, bad: str, why: str) -> None:
    request = tmp_path / "ur.po"
    run("--project", project, "translation-request", "--lang", "ur", "-o", request)
    _answer(request, {NEW_TEXT: bad, "conference chair": "کانفرنس چیئر"})
    before = (project / "translations/ur.po").read_bytes()
    result = run("--project", project, "translation-import", request, "--translator", "X")
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(request.read_text().splitlines(), 1)
                if text == f'msgid "{NEW_TEXT}"')
    assert f"{request}:{line}: error: {why} from the English" in result.output
    assert "nothing was imported" in result.output
    assert (project / "translations/ur.po").read_bytes() == before  # all or nothing


def test_unicode_digits_are_the_same_number(project: Path, tmp_path: Path) -> None:
    request = tmp_path / "ur.po"
    run("--project", project, "translation-request", "--lang", "ur", "-o", request)
    _answer(request, {NEW_TEXT: "دن ۲ کو شام ۵ بجے سے پہلے 0800 123 4567 پر فون کریں۔"})
    result = run("--project", project, "translation-import", request, "--translator", "X")
    assert result.exit_code == 0, result.output
    assert status_of(read_catalog(project / "translations/ur.po", "ur").get(NEW_TEXT)) == "draft"


def test_request_names_a_wrong_suffix(project: Path, tmp_path: Path) -> None:
    result = run("--project", project, "translation-request", "--lang", "ur", "-o", tmp_path / "x.txt")
    assert result.exit_code == 1 and "name the file .po or .xlf" in result.output
