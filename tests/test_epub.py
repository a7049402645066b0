"""EPUB 3 talking books: the field's own checkers (EPUBCheck, Ace by DAISY) on a sample,
and on every book the overlay's pairing of text and speech, read back from the files."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from mutagen.mp3 import MP3

from leafgen.languages import LANGUAGES
from tests.conftest import REPO, make_project, run
from tests.test_audio import _phonemes
from tests.test_pdf import documents, fold

XHTML, SMIL, OPF = "{http://www.w3.org/1999/xhtml}", "{http://www.w3.org/ns/SMIL}", "{http://www.idpf.org/2007/opf}"
EPUBCHECK = Path("/usr/share/java/epubcheck.jar")
ACE = REPO / "node_modules" / ".bin" / "ace-puppeteer"
# English; right to left with parts in English (draft); Welsh; no voice; Gujarati's script
SAMPLE = [("bolton", "en"), ("bolton", "ur"), ("barnet", "cy"), ("bolton", "so"), ("east-sussex", "gu")]
FRAME_S = 576 / 22050  # one MP3 frame: mutagen's length of a file without a Xing header is
                       # its size over the bitrate, which can be a frame off


def epub_path(built: Path, council: str, lang: str) -> Path:
    return built / council / "child-protection-conference" / lang / "child-protection-conference.epub"


def books(built: Path) -> list[Path]:
    return sorted(built.glob("*/child-protection-conference/*/*.epub"))


def read(book: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(book.read_bytes()))


def parse(z: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(z.read(name))


def text_of(element: ElementTree.Element) -> str:
    return fold("".join(element.itertext()))


def heard_text(element: ElementTree.Element) -> str:
    """The element's text but for what only screen readers get (a blank's "Left blank"),
    which the recording does not say."""
    parts = [element.text or ""]
    for child in element:
        if "visually-hidden" not in child.attrib.get("class", ""):
            parts.append(heard_text(child))
        parts.append(child.tail or "")
    return fold("".join(parts))


def test_every_language_has_a_book_and_those_without_a_voice_have_no_speech(built: Path) -> None:
    found = {(p.parts[-4], p.parts[-2]) for p in books(built)}
    councils = {p.name for p in built.iterdir() if (p / "child-protection-conference").is_dir()}
    assert found == {(c, lang) for c in councils for lang in LANGUAGES}
    for book in books(built):
        names = read(book).namelist()
        voiced = LANGUAGES[book.parts[-2]].voice is not None
        assert ("EPUB/content.smil" in names) == voiced, book
        assert any(n.endswith(".mp3") for n in names) == voiced, book


@pytest.mark.parametrize("council,lang", SAMPLE)
def test_epubcheck_finds_nothing(built: Path, council: str, lang: str) -> None:
    done = subprocess.run(["java", "-jar", str(EPUBCHECK), str(epub_path(built, council, lang))],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 fatals / 0 errors / 0 warnings" in done.stdout, done.stdout


@pytest.mark.parametrize("council,lang", SAMPLE)
def test_ace_by_daisy_finds_no_violation(built: Path, tmp_path: Path, council: str, lang: str) -> None:
    """Ace runs its checks (axe-core's among them) in Debian's chromium; no browser is
    downloaded."""
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": "/usr/bin/chromium"}
    done = subprocess.run([str(ACE), "-s", "-o", str(tmp_path / "ace"),
                           str(epub_path(built, council, lang))], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "ace" / "report.json").read_text(encoding="utf-8"))
    violations = [(a["earl:testSubject"]["url"], b["earl:test"]["dct:title"])
                  for a in report["assertions"] for b in a.get("assertions", [])
                  if b["earl:result"]["earl:outcome"] != "pass"]
    assert violations == [] and report["earl:result"]["earl:outcome"] == "pass", violations
    assert "content.xhtml" in {a["earl:testSubject"]["url"] for a in report["assertions"]}
    metadata = report["a11y-metadata"]
    assert metadata["empty"] == []
    assert {"schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
            "schema:accessibilityHazard", "schema:accessibilitySummary",
            "dcterms:conformsTo"} <= set(metadata["present"])


def overlay_pairs(z: zipfile.ZipFile) -> list[tuple[str, str, float, float]]:
    """(element id, audio file, begin s, end s) of every <par>, in order."""
    def seconds(value: str) -> float:
        assert value.endswith("s"), value
        return float(value[:-1])
    pairs = []
    for par in parse(z, "EPUB/content.smil").iter(f"{SMIL}par"):
        text, audio = par.find(f"{SMIL}text"), par.find(f"{SMIL}audio")
        assert text is not None and audio is not None
        page, _, element = text.attrib["src"].partition("#")
        assert page == "content.xhtml"
        pairs.append((element, audio.attrib["src"], seconds(audio.attrib["clipBegin"]),
                      seconds(audio.attrib["clipEnd"])))
    return pairs


def test_every_clip_lies_within_its_audio_in_order_and_names_a_real_element(built: Path) -> None:
    for book in books(built):
        if LANGUAGES[book.parts[-2]].voice is None:
            continue
        z = read(book)
        page = parse(z, "EPUB/content.xhtml")
        ids = {e.attrib["id"] for e in page.iter() if "id" in e.attrib}
        pairs = overlay_pairs(z)
        assert len(pairs) > 50, book
        lengths = {name: MP3(io.BytesIO(z.read(f"EPUB/{name}"))).info.length
                   for name in {audio for _, audio, _, _ in pairs}}
        last_end: dict[str, float] = {}
        for element, audio, begin, end in pairs:
            assert element in ids, (book, element)
            assert last_end.get(audio, 0.0) <= begin < end <= lengths[audio] + FRAME_S, (book, element)
            last_end[audio] = end
        # every spoken element of the page is in the overlay, once
        assert len({p[0] for p in pairs}) == len(pairs)


@pytest.mark.parametrize("lang", ["en", "pl", "ur"])
def test_each_clip_lasts_as_long_as_the_text_it_highlights(built: Path, lang: str) -> None:
    """Pairing checked against the speech itself: each clip's length per phoneme of its
    element's text (espeak-ng's count of the written text) is like the others'; text and
    audio shifted by one element, or a clip of the wrong utterance, would break it."""
    z = read(epub_path(built, "bolton", lang))
    page = parse(z, "EPUB/content.xhtml")
    by_id = {e.attrib["id"]: e for e in page.iter() if "id" in e.attrib}
    # short ones vary; espeak-ng reads a written phone number or email unlike the speech,
    # which says it digit by digit and symbol by symbol
    pairs = [p for p in overlay_pairs(z) if len(heard_text(by_id[p[0]])) >= 40
             and not re.search(r"[0-9@]|www", heard_text(by_id[p[0]]))]
    voice = LANGUAGES[lang].voice
    assert voice is not None
    rates = [(end - begin) / _phonemes([heard_text(by_id[element])], voice)
             for element, _, begin, end in pairs]
    median = sorted(rates)[len(rates) // 2]
    outside = [(p[0], r) for p, r in zip(pairs, rates) if not 0.6 * median <= r <= 1.6 * median]
    assert len(outside) <= len(rates) // 20, (median, outside)


@pytest.mark.parametrize("lang", ["en", "ur", "so"])
def test_the_book_says_what_the_web_page_says(built: Path, lang: str) -> None:
    """Every heading and paragraph of the HTML edition is in the book, in order."""
    html = (built / "bolton/child-protection-conference" / lang /
            "child-protection-conference.html").read_text(encoding="utf-8")
    import html5lib
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    main = tree.find(".//main")
    assert main is not None
    wanted = [text_of(e) for e in main.iter() if e.tag in ("h2", "p", "li")]
    page = parse(read(epub_path(built, "bolton", lang)), "EPUB/content.xhtml")
    body = page.find(f"{XHTML}body/{XHTML}main")
    assert body is not None
    got = [text_of(e) for e in body.iter() if e.tag in (f"{XHTML}h2", f"{XHTML}p", f"{XHTML}li")]
    assert [w for w in wanted if w in got] == wanted


def test_parts_in_english_are_marked_tagged_and_spoken(tmp_path: Path) -> None:
    """A shared sentence changed: in Urdu it is shown (and spoken) in English, marked."""
    from leafgen.pipeline import Project, Selection
    from tests.test_journeys import LEAFLET, NEW_SENTENCE, SENTENCE, replace_in
    project = tmp_path / "p"
    for name in ("leaflets", "authorities", "translations"):
        shutil.copytree(REPO / name, project / name)
    (REPO / ".cache").mkdir(exist_ok=True)
    (project / ".cache").symlink_to(REPO / ".cache")  # the suite's speech
    replace_in(project / LEAFLET, SENTENCE, NEW_SENTENCE)
    result = run("--project", project, "build", "--format", "epub", "--lang", "ur",
                 "--authority", "bolton", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    [doc] = Project(project).documents(Selection(("bolton",), (), ("ur",)))
    assert any(NEW_SENTENCE in text for text in doc.in_english) and doc.notice
    z = read(epub_path(tmp_path / "o", "bolton", "ur"))
    page = parse(z, "EPUB/content.xhtml")
    spoken = {p[0] for p in overlay_pairs(z)}
    notes = [e for e in page.iter() if e.attrib.get("class") == "untranslated"]
    assert notes and all(e.attrib["id"] in spoken for e in notes)
    assert all(text_of(e) == doc.label("Not yet translated: this part is in English.") for e in notes)
    english = [e for e in page.iter() if e.attrib.get("lang") == "en"]
    assert any(NEW_SENTENCE in text_of(e) and e.attrib["id"] in spoken for e in english)
    assert all(e.attrib["dir"] == "ltr" for e in english)
    notice = next(e for e in page.iter() if e.attrib.get("class") == "notice")
    assert fold(doc.notice[0]) in text_of(notice) and fold(doc.notice[1]) in text_of(notice)


def test_the_package_says_what_the_book_is(built: Path) -> None:
    for (council, lang), voiced in [(("bolton", "en"), True), (("bolton", "so"), False)]:
        z = read(epub_path(built, council, lang))
        assert z.namelist()[0] == "mimetype" and z.read("mimetype") == b"application/epub+zip"
        assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf = parse(z, "EPUB/package.opf")
        meta: dict[str, list[str]] = {}
        for m in opf.iter(f"{OPF}meta"):
            if "refines" not in m.attrib:
                meta.setdefault(m.attrib["property"], []).append(m.text or "")
        modes = ["textual", "auditory"] if voiced else ["textual"]
        assert meta["schema:accessMode"] == modes and meta["schema:accessModeSufficient"] == modes
        assert ("synchronizedAudioText" in meta["schema:accessibilityFeature"]) == voiced
        assert meta["schema:accessibilityHazard"] == ["none"]
        assert meta["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
        summary = meta["schema:accessibilitySummary"][0]
        assert summary and (lang == "en" or not re.search("e-book", summary))  # in the language
        if voiced:
            assert meta["media:active-class"] == ["-epub-media-overlay-active"]
            assert "-epub-media-overlay-active" in z.read("EPUB/book.css").decode()
            total = sum(MP3(io.BytesIO(z.read(n))).info.length for n in z.namelist() if n.endswith(".mp3"))
            h, m, s = meta["media:duration"][0].split(":")
            assert abs(int(h) * 3600 + int(m) * 60 + float(s) - total) < 0.5


def test_the_book_reuses_the_mp3s_speech(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built after the MP3, the book synthesises nothing: every piece is in the cache."""
    from leafgen.formats import audio
    project = make_project(tmp_path / "p")
    (project / "leafgen.yaml").write_text("cache_dir: speech-cache\n")
    out = tmp_path / "o"
    assert run("--project", project, "build", "--format", "mp3", "--out", out).exit_code == 0
    calls = []
    real = audio._synthesise

    def counting(text: str, voice: str, wpm: int) -> bytes:
        calls.append(text)
        return real(text, voice, wpm)

    monkeypatch.setattr(audio, "_synthesise", counting)
    assert run("--project", project, "build", "--format", "epub", "--out", out).exit_code == 0
    # only the title page's lines, which the MP3 says differently ("This is the audio version of...")
    doc_title_lines = 3
    assert len(calls) <= doc_title_lines, calls
