"""Every format handles every kind of block: a kind a format does not know fails the
render instead of silently vanishing from that format."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from leafgen import spoken
from leafgen.pipeline import load_documents
from leafgen.formats import FORMATS, audio, html
from leafgen.model import DocParagraph, Document
from tests.conftest import make_project


@dataclasses.dataclass(frozen=True)
class DocMap:
    """A block kind no format knows (yet)."""
    caption: str


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("blocks") / "project")


@pytest.fixture(scope="module")
def document(project: Path) -> Document:
    return next(d for d in load_documents(project) if d.lang == "en")


def with_block(doc: Document, block: object) -> Document:
    """The document with one more block at the end of its first section."""
    first = doc.sections[0]
    grown = dataclasses.replace(first, blocks=(*first.blocks, block))
    return dataclasses.replace(doc, sections=(grown, *doc.sections[1:]))


# Every renderer whose walk over the blocks is checked; the PDF lays out the HTML page,
# and MP3 speaks spoken.chapters (both below).
RENDERED = ["txt", "docx", "large-print-docx", "brf", "pef", "html", "pdf"]


@pytest.mark.parametrize("name", RENDERED)
def test_an_unknown_block_fails_the_render(project: Path, document: Document, name: str) -> None:
    fmt = FORMATS[name]
    fmt.render(document, project / "templates")  # the document itself renders
    with pytest.raises(AssertionError):
        fmt.render(with_block(document, DocMap("Where the conference is held")),
                   project / "templates")


def test_an_unknown_block_fails_the_spoken_script_and_the_audio(document: Document) -> None:
    spoken.script_text(document)
    odd = with_block(document, DocMap("Where the conference is held"))
    with pytest.raises(AssertionError):
        spoken.script_text(odd)
    with pytest.raises(AssertionError):  # before a word is synthesised
        audio._render(odd, lambda utterance: b"")


def test_the_page_template_fails_on_a_kind_it_has_no_branch_for(
        project: Path, document: Document, monkeypatch: pytest.MonkeyPatch) -> None:
    """html._block_kind names every kind; templates/html/leaflet.html must have a branch
    for each name it gives."""
    extra = DocParagraph("Where the conference is held")
    kind = html._block_kind
    monkeypatch.setattr(html, "_block_kind", lambda b: "map" if b is extra else kind(b))
    with pytest.raises(AssertionError, match="no branch for a 'map' block"):
        FORMATS["html"].render(with_block(document, extra), project / "templates")
