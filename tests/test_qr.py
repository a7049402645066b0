"""From print to every format: with site_url set, the printed editions carry a QR code
that a scanner reads back to the leaflet's page on the site, its address as text, and a
sentence in the leaflet's language; the code is an artifact (PDF) or decorative (DOCX)."""
from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest

from leafgen.config import ProjectConfig
from leafgen.formats import FORMATS
from leafgen.labels import QR_SENTENCE
from leafgen.pipeline import Project
from leafgen.project import DEFAULT_TEMPLATES
from tests.conftest import REPO, make_project, run

SITE = "https://leaflets.example.gov.uk/councils"
PAGE = SITE + "/{authority}/{leaflet}/"


def scanned(png: Path) -> list[str]:
    """What zbarimg reads from an image: the text of every code on it."""
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    return out.stdout.split()


def printed(address: str) -> str:
    return address.split("://", 1)[1]  # browsers add the https://


def last_page_png(pdf: Path, tmp: Path) -> Path:
    pages = len(pikepdf.open(pdf).pages)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(pages), "-l", str(pages), "-singlefile",
                    str(pdf), str(tmp / "last")], check=True)
    return tmp / "last.png"


def pdf_text(pdf: Path) -> str:
    """pdftotext's text, without the direction marks it puts round right-to-left lines."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)


def test_built_pdf_scans_back_to_the_councils_page(tmp_path: Path) -> None:
    """`leafgen build` of a project with site_url: the code on the print PDF's last page
    reads back as the page the site holds for that council and leaflet."""
    project = make_project(tmp_path / "p")
    (project / "leafgen.yaml").write_text(f"site_url: {SITE}\n")
    out = tmp_path / "out"
    result = run("--project", project, "build", "--format", "pdf", "--format", "large-print-pdf",
                 "--format", "docx", "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    pdfs = [a for a in manifest["artifacts"] if a["path"].endswith(".pdf")]
    assert len(pdfs) == 2
    for artifact in pdfs:
        address = PAGE.format(authority=artifact["authority"], leaflet=artifact["leaflet"])
        pdf = out / artifact["path"]
        assert scanned(last_page_png(pdf, tmp_path)) == [address]
        assert printed(address) in "".join(pdf_text(pdf).split())  # wrapped lines joined
        assert QR_SENTENCE in " ".join(pdf_text(pdf).split())
        site_page = out / "site" / artifact["authority"] / artifact["leaflet"] / "index.html"
        assert site_page.exists(), "the code must point to a page the build made"


def test_no_site_url_no_code(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--format", "pdf", "--out", out).exit_code == 0
    [pdf] = out.rglob("*.pdf")
    assert QR_SENTENCE not in " ".join(pdf_text(pdf).split())
    assert scanned(last_page_png(pdf, tmp_path)) == []


@pytest.fixture(scope="module")
def documents() -> dict[str, object]:
    project = Project(REPO)
    return {d.lang: d for d in project.documents() if d.authority_id == "bolton" and d.lang in ("en", "ur", "pl")}


def structure_kinds(pdf: pikepdf.Pdf) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []

    def walk(elem: pikepdf.Object) -> None:
        kids = elem.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/MCR":
                found.append((str(kid.get("/S")), str(kid["/Alt"]) if "/Alt" in kid else None))
                walk(kid)
    walk(pdf.Root.StructTreeRoot)
    return found


@pytest.mark.parametrize("fmt", ["pdf", "large-print-pdf", "bilingual-pdf"])
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_code_is_an_artifact_and_the_address_is_text(documents: dict, fmt: str, lang: str,
                                                     tmp_path: Path) -> None:
    if not FORMATS[fmt].applies_to(lang):
        pytest.skip("no bilingual edition of English")
    doc = documents[lang]
    data = FORMATS[fmt].render(doc, DEFAULT_TEMPLATES, ProjectConfig(site_url=SITE))
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    address = PAGE.format(authority=doc.authority_id, leaflet=doc.leaflet_id)
    assert scanned(last_page_png(path, tmp_path)) == [address]
    with pikepdf.open(path) as pdf:
        # no image is left in the structure without a description: the code is page furniture
        assert all(alt for kind, alt in structure_kinds(pdf) if kind == "/Figure")
        ops = [(str(i.operator), list(i.operands)) for i in pikepdf.parse_content_stream(pdf.pages[-1])]
        artifact_fills, inside = 0, False
        for operator, operands in ops:
            if operator == "BDC" and operands and operands[0] == pikepdf.Name.Artifact:
                inside = True
            elif operator == "EMC":
                inside = False
            elif inside and operator in ("f", "f*", "F", "S", "s", "B", "b", "Do"):  # painting
                artifact_fills += 1
        assert artifact_fills > 0, "the code's drawing is not marked as an artifact"
    sentence = doc.label(QR_SENTENCE)
    assert sentence != QR_SENTENCE or lang == "en", "the sentence is translated"
    assert printed(address) in "".join(pdf_text(path).split())


@pytest.mark.parametrize("fmt", ["docx", "large-print-docx", "bilingual-docx"])
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_word_code_is_decorative_and_scans(documents: dict, fmt: str, lang: str, tmp_path: Path) -> None:
    import docx
    if not FORMATS[fmt].applies_to(lang):
        pytest.skip("no bilingual edition of English")
    doc = documents[lang]
    data = FORMATS[fmt].render(doc, DEFAULT_TEMPLATES, ProjectConfig(site_url=SITE))
    media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
    assert len(media) == 1
    (tmp_path / "code.png").write_bytes(zipfile.ZipFile(io.BytesIO(data)).read(media[0]))
    address = PAGE.format(authority=doc.authority_id, leaflet=doc.leaflet_id)
    assert scanned(tmp_path / "code.png") == [address]
    word = docx.Document(io.BytesIO(data))
    body = word.element.body.xml
    assert "decorative" in body and 'val="1"' in body
    texts = [p.text for p in word.paragraphs]
    assert doc.label(QR_SENTENCE) in texts and printed(address) in texts
    if fmt == "bilingual-docx":
        assert QR_SENTENCE in texts  # and in English


@pytest.mark.parametrize("value", ["javascript:alert(1)", "https://x.org/a b", "file:///etc/passwd"])
def test_bad_site_url_refused_at_its_line(tmp_path: Path, value: str) -> None:
    project = make_project(tmp_path / "p")
    (project / "leafgen.yaml").write_text(f"# where the site lives\nsite_url: '{value}'\n")
    result = run("--project", project, "validate")
    assert result.exit_code != 0
    assert "leafgen.yaml:2:" in result.output and "site_url" in result.output
    assert "Traceback" not in result.output
