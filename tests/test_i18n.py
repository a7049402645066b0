"""The translation memory on a tiny project: extraction, statuses, placeholders,
stale English, notices, right-to-left text."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from leafgen.i18n import read_catalog, po_bytes, set_status
from leafgen.inline import LRI, PDI, RLM
from leafgen.labels import UNREVIEWED_NOTICE
from leafgen.languages import LANGUAGES
from tests.conftest import make_project, run

OTHERS = [code for code in LANGUAGES if code != "en"]


def fill(project: Path, lang: str, status: str = "draft", only: str | None = None) -> None:
    """Translate every entry as '<lang>: <English>' (placeholders kept), with a status."""
    path = project / "translations" / f"{lang}.po"
    po = read_catalog(path, lang)
    for m in po:
        if m.id and (only is None or m.id == only):
            m.string = f"{lang.upper()}: {m.id}"
            set_status(m, status)
    path.write_bytes(po_bytes(po))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = make_project(tmp_path / "p")
    assert run("--project", p, "extract").exit_code == 0
    return p


def test_extract_writes_template_with_locations_and_contexts(project: Path) -> None:
    pot = (project / "translations" / "leafgen.pot").read_text(encoding="utf-8")
    assert '#: leaflets/demo/leaflet.yaml:8\nmsgid "The {{ authority.chair_title }} leads the meeting."' in pot
    assert 'msgctxt "testshire"\nmsgid "independent chair"' in pot
    assert 'msgid "Telephone"' in pot and 'msgid "Contents"' in pot
    # contact details and proper nouns are data, not text
    for data in ["01632 960123", "help@testshire.example.org", "TE1 1ST", "Testshire Council"]:
        assert f'msgid "{data}"' not in pot
    assert sorted(p.name for p in (project / "translations").glob("*.po")) == \
        sorted(f"{lang}.po" for lang in OTHERS)


def test_extract_is_quiet_when_nothing_changed(project: Path) -> None:
    pot = project / "translations" / "leafgen.pot"
    before = pot.stat().st_mtime_ns
    result = run("--project", project, "extract")
    assert "0 files changed" in result.stdout
    assert pot.stat().st_mtime_ns == before


def test_po_files_pass_msgfmt_check(project: Path) -> None:
    for lang in OTHERS:
        fill(project, lang)
        po = project / "translations" / f"{lang}.po"
        subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(po)], check=True)


@pytest.mark.parametrize("lang,header", [
    ("fa", "nplurals=1; plural=0;"),              # as written by Babel before 2.19
    ("it", "nplurals=2; plural=(n != 1);"),       # CLDR 46 gives Italian 3 forms
    ("ur", "nplurals=4; plural=(n==1 ? 0 : n==2 ? 1 : n<5 ? 2 : 3);"),  # no CLDR rule at all
])
def test_a_valid_plural_forms_header_is_accepted_whatever_cldr_says(
        project: Path, tmp_path: Path, lang: str, header: str) -> None:
    """The file is judged as gettext reads it, so a newer Babel (other CLDR tables)
    never turns a valid translation memory into errors."""
    fill(project, lang)
    po = project / "translations" / f"{lang}.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms: ') + len('"Plural-Forms: ')
    end = text.index('\\n"', start)
    po.write_text(text[:start] + header + text[end:], encoding="utf-8")
    subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(po)], check=True)
    result = run("--project", project, "build", "--lang", lang, "--format", "txt",
                 "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_round_trip_builds_every_language_with_a_notice(project: Path, tmp_path: Path) -> None:
    for lang in OTHERS:
        fill(project, lang)
    out = tmp_path / "out"
    result = run("--project", project, "build", "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert {(a["lang"], a["translation"]) for a in manifest["artifacts"]} == \
        {("en", "source")} | {(lang, "draft") for lang in OTHERS}
    for lang in OTHERS:
        html = (out / f"testshire/demo/{lang}/demo.html").read_text(encoding="utf-8")
        txt = (out / f"testshire/demo/{lang}/demo.txt").read_text(encoding="utf-8")
        for text in (html, txt.replace("\n! ", " ")):
            assert f"{lang.upper()}: {UNREVIEWED_NOTICE[:40]}" in text.replace("\u200f", "")
            assert UNREVIEWED_NOTICE[:40] in text
        assert f'<p lang="en" dir="ltr">{UNREVIEWED_NOTICE[:40]}' in html
        # the notice comes before the first section
        assert html.index(UNREVIEWED_NOTICE[:40]) < html.index("<main")
        assert f"{lang.upper()}: The {lang.upper()}: independent chair leads the meeting." in txt
    english = (out / "testshire/demo/en/demo.html").read_text(encoding="utf-8")
    assert UNREVIEWED_NOTICE[:40] not in english


def test_right_to_left_outputs(project: Path, tmp_path: Path) -> None:
    fill(project, "ur")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--lang", "ur", "--out", out).exit_code == 0
    html = (out / "testshire/demo/ur/demo.html").read_text(encoding="utf-8")
    assert '<html lang="ur" dir="rtl">' in html
    assert '<bdi dir="ltr" class="nowrap">0800 123 4567</bdi>' in html
    txt = (out / "testshire/demo/ur/demo.txt").read_text(encoding="utf-8")
    lines = [line for line in txt.splitlines() if line]
    assert all(line.startswith(RLM) for line in lines)
    assert f"{LRI}0800 123 4567{PDI}" in txt and f"{LRI}01632 960123{PDI}" in txt


def test_reviewed_text_needs_no_notice(project: Path, tmp_path: Path) -> None:
    fill(project, "it", status="reviewed")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--lang", "it", "--out", out).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["artifacts"][0]["translation"] == "reviewed"
    assert UNREVIEWED_NOTICE[:40] not in (out / "testshire/demo/it/demo.txt").read_text()


def test_weakest_status_wins(project: Path, tmp_path: Path) -> None:
    fill(project, "it", status="reviewed")
    fill(project, "it", status="machine", only="First point")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--lang", "it", "--out", out).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["artifacts"][0]["translation"] == "machine"


def test_broken_placeholder_is_an_error_at_its_line(project: Path) -> None:
    fill(project, "ur")
    po = project / "translations" / "ur.po"
    text = po.read_text(encoding="utf-8")
    bad = text.replace('msgstr "UR: The {{ authority.chair_title }} leads the meeting."',
                       'msgstr "UR: The {{ authority.chair }} leads the meeting."')
    assert bad != text
    po.write_text(bad, encoding="utf-8")
    line = bad[: bad.index('msgid "The {{ authority.chair_title }}')].count("\n") + 1
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    assert (f"translations/ur.po:{line}: error: placeholders differ from the English: expected "
            "['authority.chair_title'], found ['authority.chair']") in result.stderr


def test_missing_status_is_an_error(project: Path) -> None:
    fill(project, "bs")
    po = project / "translations" / "bs.po"
    po.write_text(po.read_text(encoding="utf-8").replace("# status: draft\n", "", 1), encoding="utf-8")
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    assert "error: entry needs a '# status: ' comment" in result.stderr


def test_changed_english_makes_every_language_stale(project: Path, tmp_path: Path) -> None:
    for lang in OTHERS:
        fill(project, lang)
    leaflet = project / "leaflets/demo/leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace("Ask your social worker.",
                                                   "Ask your social worker or the chair."))
    out = tmp_path / "out"
    result = run("--project", project, "build", "--strict", "--out", out)
    assert result.exit_code == 1
    stale = [line for line in result.stderr.splitlines() if "stale translation" in line]
    assert sorted(line.split(".po:")[0] for line in stale) == \
        sorted(f"translations/{lang}" for lang in OTHERS)
    assert not out.exists()  # strict: nothing built from out-of-date translations
    # after extract, the PO file itself marks the entry fuzzy with the previous English
    run("--project", project, "extract")
    ur = (project / "translations/ur.po").read_text(encoding="utf-8")
    assert '#, fuzzy\n#| msgid "Ask your social worker."\nmsgid "Ask your social worker or the chair."' in ur
    report = json.loads(run("--project", project, "status", "--json").stdout)["languages"]
    assert {r["lang"]: r["stale"] for r in report} == {"en": 0, **{lang: 1 for lang in OTHERS}}
    # not strict: every language builds, the sentence in English (tests/test_fallback.py)
    assert run("--project", project, "build", "--format", "txt", "--out", out).exit_code == 0


def test_missing_translation_names_the_source_line(project: Path) -> None:
    fill(project, "fa")
    leaflet = project / "leaflets/demo/leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace("- First point", "- First point\n          - A brand new point"))
    result = run("--project", project, "validate", "--strict")
    assert ("leaflets/demo/leaflet.yaml:11: error: no fa translation of 'A brand new point' "
            "in translations/fa.po") in result.stderr
    warned = run("--project", project, "validate")
    assert warned.exit_code == 0
    assert "  leaflets/demo/leaflet.yaml:11: warning: no translation yet: 'A brand new point'" \
        in warned.stderr.splitlines()


def test_status_counts(project: Path) -> None:
    fill(project, "ar")
    fill(project, "ar", status="reviewed", only="First point")
    report = {r["lang"]: r for r in json.loads(run("--project", project, "status", "--json").stdout)["languages"]}
    total = report["pa"]["missing"]
    assert total > 10
    assert (report["ar"]["reviewed"], report["ar"]["draft"], report["ar"]["missing"]) == (1, total - 1, 0)
    assert report["ar"]["coverage"] == 1.0 and report["pa"]["coverage"] == 0.0
    assert report["ar"]["formats"]["html"] == "ok"
    table = run("--project", project, "status").stdout
    assert table.splitlines()[0].split() == ["lang", "language", "reviewed", "draft", "machine",
                                             "stale", "missing", "coverage", "formats"]
