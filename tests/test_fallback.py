"""Translations never block publishing: a text with no current translation is shown in
English, marked as not yet translated in the document's language, in every format; the
completeness is told; strict projects keep all-or-nothing."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import docx
import louis
import pytest
from babel.messages.catalog import Catalog as PoFile
from lxml import html as lxml_html

from leafgen.formats import FORMATS
from leafgen.formats.braille import BLANK, ENGLISH_GRADE_1, Translator, layout_pages
from leafgen.formats import RenderContext
from leafgen.i18n import read_catalog, state, updated
from leafgen.labels import UNTRANSLATED_MARK
from leafgen.model import Document
from leafgen.pipeline import Project, Selection
from leafgen.spoken import chapters
from tests.conftest import REPO, make_project, run
from tests.test_i18n import fill
from tests.test_pdf import fold, structure_text
from leafgen.project import DEFAULT_TEMPLATES

OLD = "Ask your social worker."
NEW = "Ask your social worker or the conference chair."
MARK = "UR: " + UNTRANSLATED_MARK  # how fill() translates the mark


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """A project fully translated into Urdu (as drafts), then one shared sentence changed."""
    project = make_project(tmp_path / "p")
    assert run("--project", project, "extract").exit_code == 0
    fill(project, "ur", "draft")
    _edit(project / "leaflets/demo/leaflet.yaml", OLD, NEW)
    return project


def _doc(project: Path, lang: str = "ur", authority: str = "testshire") -> Document:
    docs = Project(project).documents(Selection((authority,), ("demo",), (lang,)))
    return docs[0]


# ---- the memory: missing is missing, stale is a changed sentence ---------------------

def _catalog(*entries: tuple[str, str | None, str]) -> PoFile:
    po = PoFile(locale="ur")
    for msgid, ctx, msgstr in entries:
        po.add(msgid, msgstr, context=ctx, user_comments=["status: draft"] if msgstr else [])
    return po


def test_a_new_councils_text_is_missing_not_stale() -> None:
    old = _catalog(("Telephone", None, "ٹیلیفون"),
                   ("We meet at the town hall.", "bolton", "ہم ٹاؤن ہال میں ملتے ہیں۔"))
    pot = _catalog(("Telephone", None, ""), ("We meet at the town hall.", "bolton", ""),
                   ("We meet at the town hall each week.", "newtown", ""),
                   ("Telephone", "newtown", ""))
    po = updated(old, pot, "ur")
    # similar English in another council's text is not this text's old version
    assert state(po.get("We meet at the town hall each week.", context="newtown")) == "missing"
    # the very same English is translated the same: copied, as a draft at most
    same = po.get("Telephone", context="newtown")
    assert (same.string, state(same)) == ("ٹیلیفون", "draft")
    assert not same.fuzzy and not same.previous_id


def test_a_changed_sentence_is_stale_with_its_previous_english() -> None:
    old = _catalog(("We meet at the town hall.", "bolton", "ہم ٹاؤن ہال میں ملتے ہیں۔"))
    pot = _catalog(("We meet at the town hall each week.", "bolton", ""))
    po = updated(old, pot, "ur")
    message = po.get("We meet at the town hall each week.", context="bolton")
    assert state(message) == "stale"
    assert message.previous_id == ["We meet at the town hall."]
    assert not po.obsolete  # the old entry became the stale one


def test_filling_one_language_never_fills_another() -> None:
    pot = _catalog(("Telephone", "newtown", ""))
    ur = updated(_catalog(("Telephone", None, "ٹیلیفون")), pot, "ur")
    it = updated(None, pot, "it")
    assert ur.get("Telephone", context="newtown").string == "ٹیلیفون"
    assert not it.get("Telephone", context="newtown").string


# ---- the document: English in place, marked, completeness told -----------------------

def test_changed_sentence_shows_new_english_not_the_old_translation(changed: Path) -> None:
    doc = _doc(changed)
    texts = [t for s in doc.sections for b in s.blocks for t in doc.texts_of(b)]
    assert NEW in texts and "UR: " + OLD not in texts
    assert doc.untranslated(NEW) and not doc.untranslated("UR: First point")
    done, total = doc.completeness
    assert total - done == 1 and doc.percent_translated == 100 * done // total < 100
    assert doc.notice is not None
    assert f"UR: {{percent}}% translated".replace("{percent}", str(doc.percent_translated)) \
        in doc.notice[0]
    assert f"{doc.percent_translated}% translated: 1 of {total} parts are shown in English." \
        in doc.notice[1]


def test_a_complete_reviewed_translation_has_no_notice(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    run("--project", project, "extract")
    fill(project, "ur", "reviewed")
    doc = _doc(project)
    assert doc.notice is None and doc.in_english == frozenset()
    assert doc.completeness == (doc.completeness[1], doc.completeness[1])


def test_a_missing_fact_marks_the_text_that_holds_it(tmp_path: Path) -> None:
    """The chair's title is filled into translated sentences: while it has no translation
    those sentences hold English words, and are marked too."""
    project = make_project(tmp_path / "p")
    run("--project", project, "extract")
    fill(project, "ur", "draft")
    _edit(project / "authorities/testshire.yaml", "independent chair", "conference chair")
    doc = _doc(project)
    held = next(t for s in doc.sections for b in s.blocks for t in doc.texts_of(b)
                if "conference chair" in t)
    assert held.startswith("UR: ") and doc.untranslated(held)


def _render(doc: Document, fmt: str) -> bytes:
    return FORMATS[fmt].render(doc, DEFAULT_TEMPLATES)


def test_every_format_marks_the_english(changed: Path, tmp_path: Path) -> None:
    doc = _doc(changed)
    # text: the mark on its own line just before the English
    txt = _render(doc, "txt").decode("utf-8").replace("\u200f", "")
    lines = [line for line in txt.splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith("Ask your social worker or"))
    assert lines[at - 1] == f"[{MARK}]"
    assert txt.count(f"[{MARK}]") == 1

    # HTML (and so the PDF): a note before the paragraph, which is in English, left to right
    page = lxml_html.fromstring(_render(doc, "html"))
    notes = page.xpath('//p[@class="untranslated"]')
    assert [n.text_content() for n in notes] == [MARK]
    english = notes[0].getnext()
    assert (english.text_content(), english.get("lang"), english.get("dir")) == (NEW, "en", "ltr")
    assert page.xpath('//p[text()="UR: First point"] | //li[text()="UR: First point"]')[0].get("lang") is None

    # PDF: the note, then the English, in what a screen reader gets (ActualText, in order)
    pdf = tmp_path / "ur.pdf"
    pdf.write_bytes(_render(doc, "pdf"))
    said = structure_text(pdf)
    assert said.index(fold(MARK)) < said.index(fold(NEW))

    # DOCX: a boxed note, then a paragraph whose runs are English and left to right
    d = docx.Document(io.BytesIO(_render(doc, "docx")))
    paras = d.paragraphs
    i = next(n for n, p in enumerate(paras) if p.text == MARK)
    assert paras[i]._p.pPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr") is not None
    nxt = paras[i + 1]
    assert nxt.text == NEW
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    assert {r._r.rPr.find(f"{w}lang").get(f"{w}val") for r in nxt.runs} == {"en-GB"}
    assert nxt._p.pPr.find(f"{w}bidi").get(f"{w}val") == "0"

    # audio: the note in Urdu, then the English spoken by the English voice
    said = [u for c in chapters(doc) for u in c.utterances]
    i = next(n for n, u in enumerate(said) if u.text == MARK)
    assert (said[i].lang, said[i + 1].text, said[i + 1].lang) == (None, NEW, "en")


def test_braille_back_translates_to_the_english_and_the_mark(changed: Path) -> None:
    doc = _doc(changed)
    pages = layout_pages(doc, RenderContext(DEFAULT_TEMPLATES, {"grade": 2}))
    lines = [line for page in pages for line in page[1:]]  # not the page numbers
    english = ["unicode.dis", ENGLISH_GRADE_1]
    back = " ".join(louis.backTranslateString(english, line) for line in lines)
    assert NEW.lower() in " ".join(back.lower().split())
    mark = Translator("ur", 2, DEFAULT_TEMPLATES)(MARK)  # in the document's braille
    assert any(line.startswith(BLANK * 4 + mark.split(BLANK)[0] + BLANK) for line in lines)


def test_build_anyway_then_strict_stops_with_one_line_per_entry(changed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--project", changed, "build", "--lang", "ur", "--format", "txt", "--out", out)
    assert result.exit_code == 0, result.output
    assert "ur: 1 text shown in English, marked as not yet translated" in result.output
    manifest = json.loads((out / "manifest.json").read_text())["artifacts"]
    entry = next(e for e in manifest if e["lang"] == "ur")
    assert entry["parts_in_english"] == 1 and 0 < entry["translated_percent"] < 100
    strict = run("--project", changed, "build", "--lang", "ur", "--format", "txt", "--strict",
                 "--out", tmp_path / "strict")
    assert strict.exit_code == 1
    errors = [line for line in strict.output.splitlines() if ": error: " in line]
    assert len(errors) == 1
    assert re.fullmatch(r"translations/ur\.po:\d+: error: stale translation: the English changed "
                        rf"to '{re.escape(NEW)}'; update the translation and remove the fuzzy flag "
                        r"\(or run leafgen translate\)", errors[0])
    assert not (tmp_path / "strict").exists()


def test_strict_from_the_project_options(changed: Path, tmp_path: Path) -> None:
    (changed / "leafgen.yaml").write_text("translations: strict\n")
    result = run("--project", changed, "validate")
    assert result.exit_code == 1 and "stale translation" in result.output


def test_validate_warns_per_language_and_council_at_the_yaml_line(changed: Path) -> None:
    _edit(changed / "authorities/testshire.yaml", "independent chair", "conference chair")
    result = run("--project", changed, "validate")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "ur (Urdu), council testshire: 1 part shown in English until translated " \
           "(0 missing, 1 stale)" in lines
    assert "ur (Urdu), text shared by every council: 1 part shown in English until translated " \
           "(0 missing, 1 stale)" in lines
    line = next(n for n, text in enumerate((changed / "leaflets/demo/leaflet.yaml")
                                             .read_text().splitlines(), 1) if NEW in text)
    assert any(re.fullmatch(rf"  leaflets/demo/leaflet\.yaml:{line}: warning: stale translation "
                            r"at translations/ur\.po:\d+ \(the English changed since\): 'Ask.*'", x)
               for x in lines)
    assert any(re.fullmatch(r"  authorities/testshire\.yaml:4: warning: stale translation at "
                            r"translations/ur\.po:\d+ \(the English changed since\): "
                            "'conference chair'", x) for x in lines)
    # a language nobody has started is all missing, listed the same way
    assert any(x.startswith("ar (Arabic), text shared by every council: ") for x in lines)
    assert lines[-1].startswith("ok: ") and "texts shown in English until translated" in lines[-1]


def test_status_shows_each_documents_completeness(changed: Path) -> None:
    report = json.loads(run("--project", changed, "status", "--json").stdout)
    ur = next(d for d in report["documents"] if d["lang"] == "ur")
    assert ur["parts"] - ur["translated"] == 1 and ur["percent"] < 100
    table = run("--project", changed, "status").stdout
    assert re.search(rf"testshire/demo .*\b{ur['percent']}%", table)


def test_site_shows_completeness(changed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("--project", changed, "build", "--lang", "ur", "--lang", "en", "--format", "txt",
               "--out", out).exit_code == 0
    page = (out / "site/testshire/demo/index.html").read_text()
    assert re.search(r"\d+% translated: 1 part is shown in English until translated", page)


def test_the_mp3_speaks_the_english_with_the_english_voice(changed: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Each utterance's voice as the renderer asks espeak-ng for it (the real engine runs)."""
    from leafgen.formats import audio
    voices: dict[str, str] = {}
    real = audio._synthesise

    def recording(text: str, voice: str, wpm: int) -> bytes:
        voices[text] = voice
        return real(text, voice, wpm)

    monkeypatch.setattr(audio, "_synthesise", recording)
    doc = _doc(changed)
    mp3 = audio.render(doc, RenderContext(DEFAULT_TEMPLATES, {"cache": str(tmp_path / "cache")}))
    assert mp3[:3] == b"ID3"
    assert voices[NEW] == audio.voice_of("en") != audio.voice_of("ur")
    assert voices[MARK] == voices["UR: First point"] == audio.voice_of("ur")
