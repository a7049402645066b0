"""The bilingual edition (PDF and DOCX): every section in the family's language, then in
English, each tagged with its own language; the contact details printed once."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import html5lib
import pikepdf
import pytest
from docx.oxml.ns import qn

from leafgen.formats import RenderContext
from leafgen.formats.html import bilingual_page
from leafgen.languages import LANGUAGES
from leafgen.model import DocContacts, Document
from tests.conftest import REPO, run
from tests.test_pdf import BLOCKS, documents, fold, joined
from leafgen.project import DEFAULT_TEMPLATES

TRANSLATED = [code for code in LANGUAGES if code != "en"]
FOLDER = Path("bolton") / "child-protection-conference"


def edition(built: Path, lang: str, kind: str) -> Path:
    return built / FOLDER / lang / f"child-protection-conference.bilingual.{kind}"


def doc_of(lang: str) -> Document:
    doc = documents()["bolton", lang]
    assert isinstance(doc, Document) and doc.english is not None
    return doc


def page_text(doc: Document) -> str:
    """What the bilingual print page shows, every text in order (as test_pdf's source_text)."""
    body = html5lib.parse(bilingual_page(doc, RenderContext(DEFAULT_TEMPLATES), ""),
                          namespaceHTMLElements=False).find("body")
    for el in body.iter():
        if el.tag in BLOCKS:
            el.text = "\n" + ("• " if el.tag == "li" else "") + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    return fold("".join(body.itertext()))


def structure(path: Path) -> list[tuple[str | None, str]]:
    """(language, ActualText) of each structure element with text, in reading order; the
    language is the nearest /Lang on the way down from the root."""
    out: list[tuple[str | None, str]] = []
    with pikepdf.open(path) as pdf:
        def walk(elem: pikepdf.Object, lang: str | None) -> None:
            lang = str(elem.Lang) if "/Lang" in elem else lang
            if "/ActualText" in elem:
                out.append((lang, str(elem.ActualText)))
                return
            kids = elem.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids else []):
                if isinstance(kid, pikepdf.Dictionary):
                    walk(kid, lang)
        walk(pdf.Root.StructTreeRoot, None)
    return out


def phones(doc: Document) -> list[str]:
    return [p.number for s in doc.sections for b in s.blocks if isinstance(b, DocContacts)
            for c in b.contacts for p in c.phones]


def test_every_translation_has_both_editions_and_english_none(built: Path) -> None:
    for lang in TRANSLATED:
        assert edition(built, lang, "pdf").stat().st_size > 10_000, lang
        assert edition(built, lang, "docx").stat().st_size > 10_000, lang
    assert not list((built / FOLDER / "en").glob("*.bilingual.*"))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_pdf_structure_text_is_the_page_and_english_is_tagged_english(built: Path, lang: str) -> None:
    """What a screen reader gets is exactly the page; every English section's text is in
    elements tagged en-GB, and no text of the family's language is."""
    doc = doc_of(lang)
    english = doc.english
    assert english is not None
    path = edition(built, lang, "pdf")
    assert joined([text for _, text in structure(path)]) == page_text(doc)
    tagged = fold(" ".join(text for code, text in structure(path) if code == "en-GB"))
    for section in english.sections:
        assert fold(section.heading) in tagged
        for block in section.blocks:
            for text in english.texts_of(block):
                if not isinstance(block, DocContacts):
                    assert fold(text) in tagged, text
    untagged = [text for code, text in structure(path) if code is None]
    for section in doc.sections:
        if not doc.untranslated(section.heading) and section.heading != english.sections[0].heading:
            assert any(fold(section.heading) in fold(t) for t in untagged), section.heading
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == lang and pdf.open_metadata().get("pdfuaid:part") == "1"
        titles = []

        def collect(items: list[pikepdf.OutlineItem]) -> None:
            for item in items:
                titles.append(fold(str(item.title)))
                collect(item.children)
        with pdf.open_outline() as outline:
            collect(outline.root)
    for a, b in zip(doc.sections, english.sections):
        assert fold(a.heading) in titles and fold(b.heading) in titles


@pytest.mark.parametrize("lang", ["ur", "ar", "pl", "cy"])
def test_each_phone_number_is_printed_once_and_whole(built: Path, lang: str) -> None:
    doc = doc_of(lang)
    text = " ".join(t for _, t in structure(edition(built, lang, "pdf")))
    extracted = subprocess.run(["pdftotext", "-enc", "UTF-8", str(edition(built, lang, "pdf")), "-"],
                               capture_output=True, text=True, check=True).stdout
    for number in set(phones(doc)):
        assert text.count(number) == phones(doc).count(number), number
        assert extracted.count(number) == phones(doc).count(number), number


@pytest.mark.parametrize("lang", TRANSLATED)
def test_docx_each_paragraph_has_its_own_language_and_direction(built: Path, lang: str) -> None:
    doc = doc_of(lang)
    english = doc.english
    assert english is not None
    d = docx.Document(str(edition(built, lang, "docx")))
    headings = [p for p in d.paragraphs if p.style.name == "Heading 2"]
    assert [p.text for p in headings] == [h for a, b in zip(doc.sections, english.sections)
                                          for h in (a.heading, b.heading)]
    rtl = LANGUAGES[lang].dir == "rtl"
    for n, p in enumerate(headings):
        in_english = n % 2 == 1 or doc.untranslated(p.text)
        langs = {r._r.rPr.find(qn("w:lang")).get(qn("w:val")) for r in p.runs}
        assert langs == {"en-GB" if in_english else LANGUAGES[lang].tag}, (p.text, langs)
        bidi = p._p.pPr.find(qn("w:bidi"))
        if rtl:  # the styles are right to left: English paragraphs say they are not
            assert bidi is not None and bidi.get(qn("w:val")) == ("0" if in_english else None)
    body = "\n".join(p.text for p in d.paragraphs)
    for number in set(phones(doc)):
        assert body.count(number) == phones(doc).count(number), number


def test_libreoffice_opens_the_bilingual_word_documents(built: Path, tmp_path: Path) -> None:
    files = [edition(built, lang, "docx") for lang in ("ur", "cy", "pl")]
    for f, lang in zip(files, ("ur", "cy", "pl")):
        (tmp_path / f"{lang}.docx").write_bytes(f.read_bytes())
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    *[str(tmp_path / f"{lang}.docx") for lang in ("ur", "cy", "pl")]],
                   check=True, capture_output=True, timeout=300,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    for lang in ("ur", "cy", "pl"):
        doc = doc_of(lang)
        english = doc.english
        assert english is not None
        text = subprocess.run(["pdftotext", str(tmp_path / f"{lang}.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        letters = re.sub(r"\W", "", text)
        for a, b in zip(doc.sections, english.sections):
            assert re.sub(r"\W", "", b.heading) in letters
            if lang != "ur":  # Urdu's letters come out of LibreOffice's PDF in visual order
                assert re.sub(r"\W", "", a.heading) in letters


def test_a_pack_of_english_and_a_translation_has_one_bilingual_edition(tmp_path: Path) -> None:
    import zipfile
    out = tmp_path / "p.zip"
    result = run("--project", REPO, "pack", "--authority", "bolton", "--leaflet",
                 "child-protection-conference", "--lang", "en", "--lang", "pl",
                 "--format", "bilingual-docx", "--format", "txt", "-o", out)
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert "pl/child-protection-conference.bilingual.docx" in names
    assert not any(n.startswith("en/") and "bilingual" in n for n in names)
    readme = zipfile.ZipFile(out).read("README-pl.txt").decode()
    assert "Dwujęzyczny dokument Word: Polski i angielski" in readme


def test_list_and_site_name_the_new_editions(built: Path) -> None:
    listed = run("--project", REPO, "list").output
    assert "bilingual-pdf" in listed and "epub" in listed and "bilingual-docx" in listed
    site = (built / "site" / FOLDER / "index.html").read_text(encoding="utf-8")
    assert "Talking book (EPUB), text and audio together" in site
    assert "E-book (EPUB), text only" in site  # Somali, Pashto and Tigrinya have no voice
    assert "Bilingual PDF, in Polski and English" in site
    assert "Bilingual Word document, in Cymraeg and English" in site
