"""Clear print and large print PDF: PDF/UA structure, sizes, fonts, and a text layer
that says exactly what the page shows, in all nine languages."""
from __future__ import annotations

import difflib
import re
import subprocess
import unicodedata
from functools import lru_cache
from pathlib import Path

import html5lib
import pdfplumber
import pikepdf
import pytest

from leafgen.pipeline import load_documents
from leafgen.formats import RenderContext
from leafgen.formats.html import page
from leafgen.inline import tokens
from leafgen.languages import LANGUAGES
from tests.conftest import REPO, make_project, run
from leafgen.project import DEFAULT_TEMPLATES

VARIANTS = {"pdf": ("child-protection-conference.pdf", 14),
            "large-print-pdf": ("child-protection-conference.large-print.pdf", 18)}
RTL = [code for code, lang in LANGUAGES.items() if lang.dir == "rtl"]


@lru_cache(maxsize=1)
def documents() -> dict[tuple[str, str], object]:
    return {(d.authority_id, d.lang): d for d in load_documents(REPO)}


def pdf_path(built: Path, council: str, lang: str, variant: str) -> Path:
    return built / council / "child-protection-conference" / lang / VARIANTS[variant][0]


BLOCKS = {"p", "li", "h1", "h2", "h3", "dt", "dd", "div", "header", "footer", "section", "br",
          "address", "ul", "ol", "dl", "main"}


def fold(text: str) -> str:
    """NFC and whitespace folding; a line break after a hyphen is no space in the text."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    return re.sub(r"(?<=\w-) (?=\w)", "", text)


def source_text(council: str, lang: str) -> str:
    """What the page shows, from the leaflet's print page: every text in order, with
    the list bullets the PDF draws."""
    doc = documents()[council, lang]
    body = html5lib.parse(page(doc, RenderContext(DEFAULT_TEMPLATES), "print", ""),
                          namespaceHTMLElements=False).find("body")
    for el in body.iter():
        if el.tag in BLOCKS:  # blocks are separate lines; inline elements are not
            el.text = "\n" + ("• " if el.tag == "li" else "") + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    return fold("".join(body.itertext()))


def structure_text(path: Path) -> str:
    """The text assistive technology reads: ActualText of the structure elements in order."""
    out: list[str] = []
    with pikepdf.open(path) as pdf:
        def walk(elem: pikepdf.Object) -> None:
            if "/ActualText" in elem:
                out.append(str(elem.ActualText))
                return
            kids = elem.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids else []):
                if isinstance(kid, pikepdf.Dictionary):
                    walk(kid)
        walk(pdf.Root.StructTreeRoot)
    return joined(out)


def joined(pieces: list[str]) -> str:
    """The elements' texts in reading order, as a reader joins them: a space between
    two, except after a line that ends in a hyphen ("ਘੱਟੋ-" + "ਘੱਟ", one word broken at
    its hyphen, as pdftotext joins it too)."""
    text = ""
    for piece in pieces:
        text += ("" if not text or text.endswith("-") and piece[:1].strip() else " ") + piece
    return fold(text)


def extracted_text(path: Path, page_label: str) -> str:
    """What pdftotext (search, copy, many readers) gets, without the page-number artifacts."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    # poppler's own bidi marks, and the isolate around the page number
    text = re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)
    text = re.sub(rf"{re.escape(page_label)} ?\d+|\d+ ?{re.escape(page_label)}", " ", text)
    return fold(text.replace("\f", " "))


def only_line_end_hyphens_dropped(extracted: str, source: str) -> bool:
    """The extracted text is the source but for hyphens pdftotext dropped: it joins a word
    broken after its own hyphen ("oferecer-" + "lhe" -> "oferecerlhe"). Nothing else
    is forgiven."""
    ops = difflib.SequenceMatcher(None, source, extracted, autojunk=False).get_opcodes()
    return all(op == "equal" or (op == "delete" and source[i1:i2] == "-")
               for op, i1, i2, _, _ in ops)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_pdf_ua_structure(built: Path, lang: str, variant: str) -> None:
    with pikepdf.open(pdf_path(built, "bolton", lang, variant)) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfuaid:part") == "1"
        assert str(pdf.Root.Lang) == lang
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title).endswith(" – Bolton Council")
        assert "/StructTreeRoot" in pdf.Root and "/Outlines" in pdf.Root
        assert len(pdf.pages) >= 4 and all(
            [round(float(v)) for v in p.MediaBox] == [0, 0, 595, 842] for p in pdf.pages)
        # Every font embedded, with a ToUnicode map; none italic.
        for p in pdf.pages:
            for font in p.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
                assert "/ToUnicode" in font
                assert "Italic" not in str(font.BaseFont) and "Oblique" not in str(font.BaseFont)
        # Headings never skip a level, and there is one H1.
        tags: list[str] = []

        def walk(elem: pikepdf.Object) -> None:
            tags.append(str(elem.get("/S", "")))
            kids = elem.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids else []):
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    walk(kid)
        walk(pdf.Root.StructTreeRoot.K[0])
        levels = [int(t[2]) for t in tags if re.fullmatch(r"/H\d", t)]
        assert levels.count(1) == 1 and levels[0] == 1
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
        # Page numbers are artifacts; every structure element in the parent tree is reachable.
        assert b"/Artifact" in pdf.pages[0].Contents.read_bytes()
        reachable = set()

        def reach(elem: pikepdf.Object) -> None:
            kids = elem.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids else []):
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.objgen not in reachable:
                    reachable.add(kid.objgen)
                    reach(kid)
        reach(pdf.Root.StructTreeRoot)
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        for refs in list(nums)[1::2]:
            if isinstance(refs, pikepdf.Array):
                assert all(r is None or not isinstance(r, pikepdf.Dictionary) or r.objgen in reachable
                           for r in refs)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("lang", ["en", "ur", "pa", "bn"])
def test_every_glyph_is_at_least_the_body_size(built: Path, lang: str, variant: str) -> None:
    size = VARIANTS[variant][1]
    with pdfplumber.open(pdf_path(built, "bolton", lang, variant)) as pdf:
        for p in pdf.pages:
            sizes = [c["size"] for c in p.chars]
            assert sizes and min(sizes) >= size - 0.01, (p.page_number, min(sizes))
            assert not any("Italic" in c["fontname"] or "Oblique" in c["fontname"] for c in p.chars)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_structure_text_is_exactly_the_source(built: Path, lang: str, variant: str) -> None:
    """What a screen reader gets, in every language (ActualText on each text element)."""
    assert structure_text(pdf_path(built, "bolton", lang, variant)) == source_text("bolton", lang)


# Gujarati: pdftotext reorders its vowel signs (it does not read the runs' ActualText as it
# does for Gurmukhi and Bengali); what screen readers get, the structure text, is exact.
PDFTOTEXT_EXACT = [code for code in LANGUAGES if code not in RTL and code != "gu"]


@pytest.mark.parametrize("lang", PDFTOTEXT_EXACT)
def test_extracted_text_is_exactly_the_source(built: Path, lang: str) -> None:
    """pdftotext gets the exact text, including Gurmukhi and Bengali (marked-content ActualText)."""
    for council in ["bolton", "east-sussex"]:
        doc = documents()[council, lang]
        got = extracted_text(pdf_path(built, council, lang, "pdf"), doc.label("Page"))
        assert only_line_end_hyphens_dropped(got, source_text(council, lang)), (got, source_text(council, lang))


@pytest.mark.parametrize("lang", RTL)
def test_rtl_extraction_keeps_every_phone_number_in_order(built: Path, lang: str) -> None:
    for council in ["bolton", "east-sussex", "bedfordshire", "bath-ne-somerset"]:
        doc = documents()[council, lang]
        text = extracted_text(pdf_path(built, council, lang, "large-print-pdf"), doc.label("Page"))
        phones = {v for kind, v in tokens(source_text(council, lang)) if kind == "phone"}
        assert phones
        for number in phones:
            assert number in text, (council, number)
            assert " ".join(reversed(number.split())) not in text or number.count(" ") == 0


def test_a_missing_font_fails_the_artifact_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leafgen.formats import pdf
    monkeypatch.setattr(pdf, "installed_fonts", lambda: frozenset({"DejaVu Sans"}))
    out = tmp_path / "out"
    result = run("--project", make_project(tmp_path / "p"), "build", "--format", "pdf", "--out", out)
    assert result.exit_code == 1
    assert ("testshire/demo/en/demo.pdf: error: pdf failed: RenderError: font Noto Sans is not "
            "installed (Debian package fonts-noto-core)") in result.stdout
    assert not (out / "testshire/demo/en/demo.pdf").exists()


def test_a_weasyprint_warning_fails_the_artifact(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    css = project / "templates/pdf/print.css"
    css.write_text(css.read_text() + "\np { clip: rect(0 0 0 0); }\n")
    result = run("--project", project, "build", "--format", "large-print-pdf", "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "large-print-pdf failed: RenderError: WeasyPrint: Ignored `clip: rect(0 0 0 0)`" in result.stdout


def test_large_print_size_is_a_project_option(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project / "leafgen.yaml").write_text("large_print_size: 24\n")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--format", "large-print-pdf", "--out", out).exit_code == 0
    with pdfplumber.open(out / "testshire/demo/en/demo.large-print.pdf") as pdf:
        assert min(c["size"] for p in pdf.pages for c in p.chars) >= 24 - 0.01
    (project / "leafgen.yaml").write_text("large_print_size: 30\n")
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    assert "leafgen.yaml:1: error: large_print_size: must be at most 24" \
        in result.stderr


def test_rendering_is_reproducible(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    for n in (1, 2):
        assert run("--project", project, "build", "--format", "pdf", "--out", tmp_path / str(n)).exit_code == 0
    assert (tmp_path / "1/testshire/demo/en/demo.pdf").read_bytes() == \
        (tmp_path / "2/testshire/demo/en/demo.pdf").read_bytes()


@pytest.mark.parametrize("lang", PDFTOTEXT_EXACT)
def test_page_number_reads_label_space_number(built: Path, lang: str) -> None:
    label = documents()["bolton", lang].label("Page")
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf_path(built, "bolton", lang, "pdf")),
                           "-"], capture_output=True, text=True, check=True).stdout
    assert f"\n{label} 2\n" in re.sub("[\u2066-\u2069]", "", text)


def test_urdu_can_print_in_nastaliq_with_exact_text(tmp_path: Path) -> None:
    """urdu_print: nastaliq sets Urdu in Noto Nastaliq Urdu; a screen reader still gets
    exactly the text (each run carries its own), and the pages still number right."""
    from leafgen.config import ProjectConfig
    from leafgen.formats import FORMATS
    doc = documents()["bolton", "ur"]
    path = tmp_path / "ur.pdf"
    path.write_bytes(FORMATS["pdf"].render(doc, DEFAULT_TEMPLATES,
                                           ProjectConfig(urdu_print="nastaliq")))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Nastaliq-Urdu" in fonts and "Naskh" not in fonts
    assert structure_text(path) == source_text("bolton", "ur")
