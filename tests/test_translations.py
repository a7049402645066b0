"""The project's own translation memory: complete, honest about review, and shown on outputs."""
from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from leafgen.i18n import read_catalog, state, status_of
from leafgen.inline import RLM
from leafgen.labels import UNREVIEWED_NOTICE
from leafgen.languages import LANGUAGES
from tests.conftest import REPO, SEEDS, run

OTHERS = [code for code in LANGUAGES if code != "en"]
BEDFORDSHIRE_ENGLISH = ("This leaflet tells you about the procedure for Child Protection "
                        "Conferences. If you would like a copy in your own language, please "
                        "write to the address below.")


def po(lang: str):
    return read_catalog(REPO / "translations" / f"{lang}.po", lang)


@pytest.mark.parametrize("lang", OTHERS)
def test_po_file_passes_msgfmt_check(lang: str) -> None:
    subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(REPO / "translations" / f"{lang}.po")],
                   check=True)


def test_status_shows_full_coverage() -> None:
    result = run("--project", REPO, "status", "--json")
    assert result.exit_code == 0, result.output
    for row in json.loads(result.stdout)["languages"]:
        assert row["coverage"] == 1.0, row
        assert row["stale"] == 0 and row["missing"] == 0 and row["machine"] == 0


# The languages Bedfordshire's leaflet (seed 002) prints its one translated sentence in.
SEEDED = ["pa", "ur", "ar", "bn", "fa", "sq", "bs", "it"]


@pytest.mark.parametrize("lang", OTHERS)
def test_only_the_seed_translation_is_reviewed(lang: str) -> None:
    reviewed = [m for m in po(lang) if m.id and status_of(m) == "reviewed"]
    others = {state(m) for m in po(lang) if m.id and m not in reviewed}
    assert others == {"draft"}
    if lang not in SEEDED:  # no qualified translator has seen any of it
        assert reviewed == []
        return
    assert [(m.context, m.id) for m in reviewed] == [("bedfordshire", BEDFORDSHIRE_ENGLISH)]
    seed = next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8")
    assert reviewed[0].string in seed  # printed by the council: a qualified translation


@pytest.mark.parametrize("lang", OTHERS)
def test_translations_keep_contact_details_and_ascii_digits(lang: str) -> None:
    for m in po(lang):
        if not m.id:
            continue
        for detail in re.findall(r"0\d{2,4}(?: \d{3,6}){1,2}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|www\.[\w./-]*\w", m.id):
            assert detail in m.string, (lang, m.id, detail)
        assert not re.search(r"[\u0660-\u0669\u06f0-\u06f9\u09e6-\u09ef\u0a66-\u0a6f]", m.string), \
            (lang, m.string)


@pytest.mark.parametrize("lang", OTHERS)
def test_every_output_says_it_is_a_draft_in_its_language(built: Path, lang: str) -> None:
    notice = po(lang).get(UNREVIEWED_NOTICE).string
    files = sorted(built.glob(f"*/*/{lang}/*.html")) + sorted(built.glob(f"*/*/{lang}/*.txt"))
    assert len(files) == 10  # five councils, html and txt (PDFs: see test_pdf)
    for path in files:
        text = html.unescape(path.read_text(encoding="utf-8").replace(RLM, ""))
        flat = re.sub(r"\s*\n!?\s*", " ", text)
        assert notice in flat and UNREVIEWED_NOTICE in flat, path
    manifest = json.loads((built / "manifest.json").read_text())
    assert {a["translation"] for a in manifest["artifacts"] if a["lang"] == lang} == {"draft"}


@pytest.mark.parametrize("lang", ["ur", "ar", "fa"])
def test_right_to_left_languages_set_direction(built: Path, lang: str) -> None:
    html = (built / f"bolton/child-protection-conference/{lang}/child-protection-conference.html"
            ).read_text(encoding="utf-8")
    assert f'<html lang="{lang}" dir="rtl">' in html
    assert '<bdi dir="ltr" class="nowrap">01204 337400</bdi>' in html
