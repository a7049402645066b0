"""Word documents: styles, languages, direction, sizes, colours, and a real word
processor (LibreOffice) opening every language."""
from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from leafgen.languages import LANGUAGES
from tests.test_pdf import documents
from leafgen.project import DEFAULT_TEMPLATES

VARIANTS = {"docx": ("child-protection-conference.docx", 14),
            "large-print-docx": ("child-protection-conference.large-print.docx", 18)}
TAGS = {"en": "en-GB", "pa": "pa-IN", "ur": "ur-PK", "ar": "ar-SA", "bn": "bn-BD", "fa": "fa-IR",
        "sq": "sq-AL", "bs": "bs-Latn-BA", "it": "it-IT", "pl": "pl-PL", "ro": "ro-RO",
        "pt": "pt-PT", "es": "es-ES", "cy": "cy-GB", "uk": "uk-UA", "tr": "tr-TR", "gu": "gu-IN",
        "so": "so-SO", "ps": "ps-AF", "ti": "ti-ER"}
COMPLEX = {"pa", "ur", "ar", "bn", "fa", "gu", "ps", "ti"}  # a script font of their own
ALLOWED_STYLES = {"Normal", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Subtitle"}


def path(built: Path, lang: str, variant: str, council: str = "bolton") -> Path:
    return built / council / "child-protection-conference" / lang / VARIANTS[variant][0]


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_on_white(hex_colour: str) -> float:
    return 1.05 / (luminance(hex_colour) + 0.05)


def test_contrast_helper_knows_the_default_blue_fails() -> None:
    assert round(contrast_on_white("4F81BD"), 2) == 4.03  # python-docx's default Heading 2 blue
    assert contrast_on_white("1A1A1A") > 17


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_docx_structure_language_direction_size(built: Path, lang: str, variant: str) -> None:
    d = docx.Document(str(path(built, lang, variant)))
    size = VARIANTS[variant][1]
    doc = documents()["bolton", lang]
    assert d.core_properties.title == f"{doc.title} – Bolton Council"
    assert d.core_properties.author == "Bolton Safeguarding Children Board"
    paragraphs = [p for p in d.paragraphs if p.text.strip()]
    used = {p.style.name for p in paragraphs}
    assert used <= ALLOWED_STYLES and {"Heading 1", "Heading 2", "Heading 3", "List Bullet"} <= used
    levels = [int(p.style.name[-1]) for p in paragraphs if p.style.name.startswith("Heading")]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    rtl = LANGUAGES[lang].dir == "rtl"
    english_notice = doc.notice[1] if doc.notice and lang != "en" else None
    for p in paragraphs:
        ppr = p._p.pPr
        assert ppr is None or ppr.find(qn("w:jc")) is None  # start aligned, never justified
        is_english = p.text == english_notice
        bidi = ppr.find(qn("w:bidi")) if ppr is not None else None
        if rtl and not is_english:
            assert bidi is not None and bidi.get(qn("w:val")) in (None, "1", "true"), p.text
        for run in p.runs:
            rpr = run._r.rPr
            lang_el = rpr.find(qn("w:lang"))
            code = "en" if is_english else lang
            assert lang_el.get(qn("w:val")) == TAGS[code]
            if code in COMPLEX:
                assert lang_el.get(qn("w:bidi")) == TAGS[code]
            assert (rpr.find(qn("w:rtl")) is not None) == (rtl and not is_english)
            assert rpr.find(qn("w:i")) is None
    # Every style in use: sizes for Latin and complex script, no italics, dark colours.
    styles = [d.styles[name] for name in sorted(used | {"Footer"})]
    for style in styles:
        rpr = style.element.rPr
        assert int(rpr.find(qn("w:sz")).get(qn("w:val"))) >= size * 2, style.name
        assert int(rpr.find(qn("w:szCs")).get(qn("w:val"))) >= size * 2, style.name
        assert rpr.find(qn("w:i")).get(qn("w:val")) == "0"
        fonts = rpr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:asciiTheme")) is None and fonts.get(qn("w:cs"))
        assert rpr.find(qn("w:lang")).get(qn("w:val")) == TAGS[lang]
        if style.name.startswith("Heading"):
            assert rpr.find(qn("w:b")) is not None and rpr.find(qn("w:bCs")) is not None
    # The bullet glyph and the footer are at least the body size too.
    for lvl in d.part.numbering_part.element.iter(qn("w:lvl")):
        assert int(lvl.find(qn("w:rPr")).find(qn("w:szCs")).get(qn("w:val"))) >= size * 2
    footer = d.sections[0].footer.paragraphs[0]
    assert footer.style.name == "Footer" and footer._p.find(qn("w:fldSimple")) is not None
    # Every colour anywhere in the document and its styles passes 4.5:1 on white.
    xml = d.element.xml + "".join(s.element.xml for s in styles)
    for colour in re.findall(r'w:color w:val="([0-9A-Fa-f]{6})"', xml):
        assert contrast_on_white(colour) >= 4.5, colour


@pytest.mark.parametrize("lang", ["ur", "ar", "fa"])
def test_contact_details_are_held_left_to_right(built: Path, lang: str) -> None:
    text = "\n".join(p.text for p in docx.Document(str(path(built, lang, "docx"))).paragraphs)
    for number in ["01204 337400", "01204 337479"]:
        assert f"\u200e{number}\u200e" in text


def test_the_same_content_gives_the_same_bytes(built: Path, tmp_path: Path) -> None:
    from leafgen.formats import FORMATS
    doc = documents()["bolton", "ur"]
    data = FORMATS["docx"].render(doc, DEFAULT_TEMPLATES)
    assert data == path(built, "ur", "docx").read_bytes()


def letters(text: str) -> str:
    """Letters and digits only: poppler moves neutral punctuation around in RTL lines."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text)
                   if unicodedata.category(ch)[0] in "LN")


@pytest.fixture(scope="module")
def libreoffice_pdfs(built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every language's DOCX converted to PDF by LibreOffice, as extracted text."""
    out = tmp_path_factory.mktemp("lo")
    texts = {}
    env = {**os.environ, "HOME": str(out)}
    for lang in LANGUAGES:  # one file per call: all share a name
        target = out / lang
        result = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                                 str(target), str(path(built, lang, "docx"))],
                                env=env, capture_output=True, text=True, timeout=180)
        pdf = target / "child-protection-conference.pdf"
        assert result.returncode == 0 and pdf.exists(), result.stderr
        texts[lang] = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                     text=True, check=True).stdout
    return texts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_libreoffice_opens_every_language(libreoffice_pdfs: dict[str, str], lang: str) -> None:
    text = libreoffice_pdfs[lang]
    doc = documents()["bolton", lang]
    flat = letters(text)
    for section in doc.sections:
        assert letters(section.heading) in flat, section.heading
    phones = [v for s in doc.sections for b in s.blocks for c in getattr(b, "contacts", ())
              for v in (p.number for p in c.phones)]
    assert len(phones) >= 5
    for number in phones:
        assert number in text, number
