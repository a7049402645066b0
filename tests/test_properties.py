"""Property tests (hypothesis): generated documents through the plain-text, braille and
spoken renderers, generated content through the real loader and merge, and arbitrary
bytes through the YAML loader. No crash; the invariants hold for every example."""
from __future__ import annotations

import re
import shutil
import string
import tempfile
from pathlib import Path

import louis
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafgen.pipeline import load_documents
from leafgen.errors import ContentError
from leafgen.formats import RenderContext
from leafgen.formats import txt
from leafgen.formats.braille import render_brf, table_for
from leafgen.inline import LRI, PDI, RLM
from leafgen.labels import LABELS
from leafgen.load import unsafe_character
from leafgen.model import (Contact, DocBullets, DocContacts, DocFamilyField, DocFamilyFields,
                           DocParagraph, DocSection, Document, Phone)
from leafgen.spoken import ENGLISH_DIGITS, say_phone, script_text
from tests.conftest import REPO, ROOTS, make_project
from tests.test_braille import joined, to_unicode
from leafgen.project import DEFAULT_TEMPLATES

TEMPLATES = DEFAULT_TEMPLATES
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- generated documents ---------------------------------------------------------------

# Words of letters only (so every digit in an output comes from a phone number), never a
# digit's spoken name (so every spoken digit comes from a phone number too).
words = st.text(string.ascii_letters, min_size=1, max_size=14).filter(
    lambda w: w.lower() not in ENGLISH_DIGITS + ["zero"])


@st.composite
def phones(draw: st.DrawFn) -> str:
    """A UK number as printed: "0800 1111", "01632 960123", "0808 800 5000"."""
    digits = st.text("0123456789", min_size=3, max_size=6)
    groups = draw(st.lists(digits, min_size=1, max_size=2))
    return "0" + draw(st.text("0123456789", min_size=2, max_size=4)) + " " + " ".join(groups)


class Numbers:
    """Collects the phone numbers drawn, in the order the document holds them."""

    def __init__(self) -> None:
        self.all: list[str] = []


@st.composite
def sentence(draw: st.DrawFn, numbers: Numbers | None = None, max_words: int = 10) -> str:
    """Words and (when numbers is given) phone numbers; a number is followed by a comma,
    as in running text, so two numbers never read as one."""
    parts = []
    for _ in range(draw(st.integers(1, max_words))):
        if numbers is not None and draw(st.integers(0, 5)) == 0:
            number = draw(phones())
            numbers.all.append(number)
            parts.append(number + ",")
        else:
            parts.append(draw(words) + draw(st.sampled_from(["", "", "", ".", ",", ":", "?"])))
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn, rtl: bool = False) -> tuple[Document, dict[str, list[str]]]:
    """A document, and its phone numbers in order by where they stand:
    'authority' (its name), 'title', 'subtitle', 'body' (sections), 'end' (organisation)."""
    found: dict[str, list[str]] = {}

    def part(name: str, strategy_of) -> object:  # type: ignore[no-untyped-def]
        numbers = Numbers()
        value = draw(strategy_of(numbers))
        found.setdefault(name, []).extend(numbers.all)
        return value

    authority = part("authority", lambda n: sentence(n, 4))
    title = part("title", lambda n: sentence(n, 6))
    subtitle = part("subtitle", lambda n: sentence(n, 6))
    sections = []
    for s in range(draw(st.integers(1, 4))):
        heading = part("body", lambda n: sentence(n, 6))
        blocks: list[object] = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["paragraph", "bullets", "contacts", "family"]))
            if kind == "paragraph":
                blocks.append(DocParagraph(part("body", lambda n: sentence(n, 40))))
            elif kind == "bullets":
                items = [part("body", lambda n: sentence(n, 15))
                         for _ in range(draw(st.integers(1, 4)))]
                blocks.append(DocBullets(tuple(items)))
            elif kind == "contacts":
                cards = [part("body", lambda n, i=i: contact_card(n, f"{s}-{i}"))
                         for i in range(draw(st.integers(1, 2)))]
                blocks.append(DocContacts(tuple(cards)))
            else:
                value = draw(st.none() | phones())
                if value:
                    found.setdefault("body", []).append(value)
                blocks.append(DocFamilyFields((
                    DocFamilyField("social_worker_name", "Your social worker's name", None),
                    DocFamilyField("social_worker_phone", "Your social worker's telephone number",
                                   value))))
        sections.append(DocSection(f"s{s}", heading, tuple(blocks)))
    organisation = part("end", lambda n: sentence(n, 4))
    alternative = Contact(id="alt", name="Alternative formats", phones=[Phone(number="0800 1111")])
    doc = Document(authority_id="testshire", leaflet_id="demo", lang="ur" if rtl else "en",
                   dir="rtl" if rtl else "ltr", title=title, subtitle=subtitle,
                   authority_name=authority, organisation=organisation, sections=tuple(sections),
                   alternative_formats=alternative, labels={label: label for label in LABELS})
    return doc, found


@st.composite
def contact_card(draw: st.DrawFn, numbers: Numbers, cid: str) -> Contact:
    """A contact card; its numbers are added in the order every format shows the card
    (Document.contact_fields): name, description, listed phones, then opening hours."""
    inner = Numbers()
    name = draw(sentence(inner, 4))
    before = list(inner.all)
    description = draw(st.none() | sentence(inner, 8))
    after_description = list(inner.all)
    listed = draw(st.lists(phones(), max_size=2))
    hours = draw(st.none() | sentence(inner, 5))
    word = draw(words).lower()
    numbers.all += after_description + listed + inner.all[len(after_description):]
    assert before == inner.all[:len(before)]
    return Contact(id=f"c{cid}", name=name, description=description,
                   address=draw(st.lists(sentence(None, 4), max_size=3)),
                   phones=[Phone(label=draw(sentence(None, 2)), number=p) for p in listed],
                   emails=[f"{word}@{word}.example.org"], web=[f"www.{word}.example.org/help"],
                   hours=hours, areas=draw(st.lists(sentence(None, 2), max_size=2)))


def printed_order(found: dict[str, list[str]]) -> list[str]:
    """The numbers in the order print, text and braille show them."""
    return [n for part in ("authority", "title", "subtitle", "body", "end") for n in found.get(part, [])]


def in_order(needles: list[str], haystack: str) -> bool:
    """Does haystack hold every needle, each after the one before?"""
    at = 0
    for needle in needles:
        at = haystack.find(needle, at)
        if at < 0:
            return False
        at += len(needle)
    return True


# ---- plain text ---------------------------------------------------------------------

@FAST
@given(documents(), st.booleans())
def test_txt_keeps_every_number_whole_and_in_order(generated, rtl: bool) -> None:  # type: ignore[no-untyped-def]
    doc, found = generated
    if rtl:
        doc = Document(**{**doc.__dict__, "lang": "ur", "dir": "rtl"})
    text = txt.render(doc, RenderContext(TEMPLATES)).decode("utf-8")
    plain = text.replace(RLM, "").replace(LRI, "").replace(PDI, "")
    numbers = printed_order(found)
    assert in_order(numbers, plain)  # whole: a number broken over two lines is not found
    for line in plain.split("\n"):
        assert len(line) <= txt.WIDTH, line
    if rtl:  # every line starts right-to-left and every number is isolated left-to-right
        assert all(line.startswith(RLM) for line in text.split("\n") if line)
        for number in set(numbers):
            assert LRI + number + PDI in text


# ---- braille ------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from([1, 2]), st.integers(20, 42), st.integers(10, 30))
def test_braille_fits_the_page_and_back_translates_every_number(
        generated, grade: int, cells: int, lines: int) -> None:  # type: ignore[no-untyped-def]
    doc, found = generated
    ctx = RenderContext(TEMPLATES, {"grade": grade, "cells": cells, "lines": lines})
    pages = [page.split("\r\n")[:-1] for page in render_brf(doc, ctx).decode("ascii").split("\f")]
    for page in pages:
        assert 2 <= len(page) <= lines
        assert all(len(line) <= cells for line in page)
    assert [int(louis.backTranslateString(table_for("en", grade, TEMPLATES),
                                          to_unicode(page[0].strip()))) for page in pages] == \
        list(range(1, len(pages) + 1))  # each page numbered, at the right of its first line
    body = joined([to_unicode(line) for page in pages for line in page[1:]], cells)
    back = louis.backTranslateString(table_for("en", grade, TEMPLATES), body)
    numbers = printed_order(found)
    assert in_order(numbers, back), back
    # words are letters only: every digit braille carries is a phone number's
    assert re.sub(r"\D", "", back) == "".join(re.sub(r"\D", "", n) for n in numbers)


# ---- the spoken script ---------------------------------------------------------------

SPOKEN_COUNTS = re.compile(r"^(It lasts about \d+ minutes\.|It has \d+ sections:)$", re.M)


@FAST
@given(documents())
def test_spoken_script_reads_every_number_digit_by_digit_in_order(generated) -> None:  # type: ignore[no-untyped-def]
    """The script says the title, the council and every section: each number in them is
    read digit by digit ("oh eight oh oh, one one one one"), never as a quantity. (The
    subtitle and the publisher are not spoken: the audio opens with title and council.)"""
    doc, found = generated
    script = script_text(doc, minutes=3)
    spoken = [say_phone(n, "en") for part in ("title", "authority", "body") for n in found.get(part, [])]
    assert in_order(spoken, script)
    assert not re.search(r"\d", SPOKEN_COUNTS.sub("", script)), script


# ---- content through the real loader and merge ---------------------------------------

# Text a council might write: any letter, mark, number, punctuation or symbol of any
# script, and spaces; no braces (content templates) and nothing load.py refuses.
any_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"),
                                 blacklist_characters="{}"), min_size=1, max_size=80).filter(
    lambda t: unsafe_character(t) is None and t.strip() == t and t.strip())
slugs = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


@st.composite
def content(draw: st.DrawFn) -> tuple[dict, dict, list[str]]:
    """A leaflet and an authority (as YAML data) and the section ids the merged document
    must have, in order: shared sections, with the council's own one added after its anchor."""
    ids = draw(st.lists(slugs, min_size=1, max_size=4, unique=True).filter(
        lambda ids: "local" not in ids))
    sections = [{"id": i, "heading": draw(any_text),
                 "blocks": draw(st.lists(st.one_of(
                     any_text.map(lambda t: {"paragraph": t}),
                     st.lists(any_text, min_size=1, max_size=3).map(lambda b: {"bullets": b})),
                     min_size=1, max_size=3))} for i in ids]
    leaflet = {"id": "demo", "title": draw(any_text), "subtitle": draw(any_text),
               "sections": sections,
               "other_formats": {"heading": draw(any_text), "paragraph": draw(any_text)}}
    number = draw(phones())
    anchor = draw(st.sampled_from(ids))
    authority = {"id": "testshire", "name": draw(any_text), "organisation": draw(any_text),
                 "chair_title": draw(any_text),
                 "contacts": [{"id": "office", "name": draw(any_text), "phones": [{"number": number}]}],
                 "alternative_formats": "office",
                 "sections": [{"id": "local", "action": "add", "after": anchor,
                               "heading": draw(any_text), "blocks": [{"contacts": ["office"]}]}]}
    order = list(ids)
    order.insert(ids.index(anchor) + 1, "local")
    return leaflet, authority, order + ["other-formats"]


@pytest.fixture(scope="module")
def scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="leafgen-properties-"))
    yield make_project(folder / "p")  # type: ignore[misc]
    shutil.rmtree(folder)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content())
def test_generated_content_round_trips_through_yaml_and_merge(scratch: Path, generated) -> None:  # type: ignore[no-untyped-def]
    leaflet, authority, order = generated
    for path, data in [(scratch / "leaflets/demo/leaflet.yaml", leaflet),
                       (scratch / "authorities/testshire.yaml", authority)]:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    [doc] = load_documents(scratch)
    assert [s.id for s in doc.sections] == order
    shared = {s["id"]: s for s in leaflet["sections"]}
    for section in doc.sections:
        if section.id in shared:
            assert section.heading == shared[section.id]["heading"]
            texts = [b.text if isinstance(b, DocParagraph) else list(b.items) for b in section.blocks]
            assert texts == [b.get("paragraph", b.get("bullets")) for b in shared[section.id]["blocks"]]
    assert (doc.title, doc.authority_name) == (leaflet["title"], authority["name"])
    number = authority["contacts"][0]["phones"][0]["number"]
    assert number in txt.render(doc, RenderContext(TEMPLATES)).decode("utf-8")


# ---- the YAML loader on anything ------------------------------------------------------

MINIMAL = (ROOTS / "minimal" / "authorities" / "testshire.yaml").read_bytes()
YAML_BITS = st.sampled_from([": ", "- ", "[", "]", "{", "}", "&a ", "*a", "!!", "? ", "|\n", ">\n",
                             "'", '"', "#", "\n", "\n  ", "\t", "---\n", "...", "<<: ", "{{ ", " }}",
                             "%", "@", "`", "\\u202e", "\\0", "\u202e", "\x00", "\x85", "\ufeff",
                             "1e400", "0x1F", "2024-13-45", "~", "null", "yes", "\u0627", "\U0001F600"])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """The minimal authority file with a few cuts and insertions of YAML's own syntax,
    odd values and odd characters: most examples are nearly valid, so they reach deep."""
    data = MINIMAL
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 8))
        insert = draw(st.one_of(YAML_BITS.map(str.encode), st.binary(max_size=6),
                                st.text(max_size=6).map(str.encode)))
        data = data[:at] + insert + data[at + cut:]
    return data


def _check_loader(project: Path, data: bytes) -> None:
    (project / "authorities/testshire.yaml").write_bytes(data)
    try:
        docs = load_documents(project)
    except ContentError as e:
        assert e.problems
        for problem in e.problems:
            assert problem.line >= 1 or problem.path.endswith(".py"), problem
            assert not Path(problem.path).is_absolute(), problem  # named inside the project
            assert unsafe_character(problem.message) is None, problem  # safe on a terminal
        return
    assert len(docs) == 1 and docs[0].authority_id == "testshire"


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.one_of(mutated(), st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_bytes_give_a_model_or_problems_with_lines(scratch: Path, data: bytes) -> None:
    shutil.copy(ROOTS / "minimal" / "leaflets/demo/leaflet.yaml", scratch / "leaflets/demo/leaflet.yaml")
    _check_loader(scratch, data)
