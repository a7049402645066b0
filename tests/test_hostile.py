"""A corpus of hostile and broken inputs, each run through the real CLI on a copy of
tests/roots/minimal (with a Urdu translation where the case needs one).

Refused input: `leafgen validate` and `leafgen build` both exit 1, name the offending
file:line, print no traceback and no huge line, and leave output/ (which holds a
previous good build) byte for byte as it was.
Render-time failures (braille cannot write a character, a template asks for a URL): the
build exits 1 naming file:line; what it lists in the manifest is complete and true.
Markup in any text field: the build succeeds and the page shows the text, escaped."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import html5lib
import pytest

from leafgen.i18n import po_bytes, read_catalog, set_status
from tests.conftest import ROOTS, make_project, run

A = "authorities/testshire.yaml"
LF = "leaflets/demo/leaflet.yaml"
PO = "translations/ur.po"
CFG = "leafgen.yaml"
TEXT = ("--format", "txt", "--format", "html")


# ---- projects -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two good projects, each with output/ built: English only, and English + Urdu."""
    base = tmp_path_factory.mktemp("hostile-templates")
    english = make_project(base / "en")
    urdu = make_project(base / "ur")
    translate_urdu(urdu)
    for project in (english, urdu):
        result = run("--project", project, "build", *TEXT)
        assert result.exit_code == 0, result.output
    return {"en": english, "ur": urdu}


def translate_urdu(project: Path) -> None:
    """Extract, keep Urdu only, and translate every entry as 'UR: <English>' (draft),
    including entries whose English changed since the last time."""
    assert run("--project", project, "extract").exit_code == 0
    for path in (project / "translations").glob("*.po"):
        if path.name != "ur.po":
            path.unlink()
    po = read_catalog(project / PO, "ur")
    for message in po:
        if message.id:
            message.string = f"UR: {message.id}"
            message.flags.discard("fuzzy")
            message.previous_id = []
            set_status(message, "draft")
    (project / PO).write_bytes(po_bytes(po))


def copy_of(templates: dict[str, Path], tmp_path: Path, translated: bool) -> Path:
    project = tmp_path / "p"
    shutil.copytree(templates["ur" if translated else "en"], project, symlinks=True)
    return project


def snapshot(folder: Path) -> dict[str, bytes] | None:
    """Every file under folder (names and bytes), or None if there is no folder."""
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def assert_clean_failure(result, where: str, says: str) -> None:  # type: ignore[no-untyped-def]
    """Exit 1 through click (never an uncaught exception), file:line named, short lines."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if f"{where}: error: " in line]
    assert lines, f"no error at {where}:\n{result.output[:3000]}"
    assert any(says in line for line in lines), f"{says!r} not in:\n" + "\n".join(lines)
    # a message quotes what it must, clipped: never a megabyte of the input
    assert max(len(line) for line in result.output.splitlines()) < 400


def assert_manifest_true(out: Path) -> dict[str, dict]:
    """The manifest is valid JSON and every file it lists is complete (size and digest)."""
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["artifacts"]
    for entry in listed:
        data = (out / entry["path"]).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert not list(out.rglob(".*.tmp"))
    return {entry["path"]: entry for entry in listed}


# ---- editing helpers ----------------------------------------------------------------

def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        file = project / path
        text = file.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}: the case would test nothing"
        file.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")
    return apply


def edit_bytes(path: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        file = project / path
        data = file.read_bytes()
        assert old in data
        file.write_bytes(data.replace(old, new, 1))
    return apply


def write(path: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        file = project / path
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            file.write_text(content, encoding="utf-8")
    return apply


def append(path: str, extra: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        with (project / path).open("a", encoding="utf-8") as f:
            f.write(extra)
    return apply


def po_line(project: Path, needle: str) -> int:
    lines = (project / PO).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def outside_copy(project: Path, name: str, source: str) -> Path:
    """A copy of one of the project's files, or folders, outside the project."""
    target = project.parent / "elsewhere" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if (project / source).is_dir():
        shutil.copytree(project / source, target)
    else:
        shutil.copy(project / source, target)
    return target


def link_file_outside(path: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        target = outside_copy(project, Path(path).name, path)
        (project / path).unlink()
        (project / path).symlink_to(target)
    return apply


def link_folder_outside(folder: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        target = outside_copy(project, Path(folder).name, folder)
        shutil.rmtree(project / folder)
        (project / folder).symlink_to(target, target_is_directory=True)
    return apply


def both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        for step in steps:
            step(project)
    return apply


# ---- refused input ------------------------------------------------------------------

@dataclass(frozen=True)
class At:
    """The line of a file holding needle, found after the case's edit (PO files are
    written by the code under test, so their line numbers are not written here)."""
    path: str
    needle: str
    last: bool = False

    def __call__(self, project: Path) -> str:
        lines = (project / self.path).read_bytes().decode("utf-8", "replace").split("\n")
        found = [n for n, line in enumerate(lines, 1) if self.needle in line]
        assert found, f"{self.needle!r} not in {self.path}"
        return f"{self.path}:{found[-1] if self.last else found[0]}"


@dataclass(frozen=True)
class Refused:
    category: str
    setup: Callable[[Path], None]
    where: str | At  # file:line that the message must name
    says: str        # part of the message
    translated: bool = False


def q(text: str) -> str:
    """text as a YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=True)


PARAGRAPH = "paragraph: Ask your social worker."  # leaflet.yaml line 15


def paragraph(text: str) -> Callable[[Path], None]:
    return edit(LF, PARAGRAPH, "paragraph: " + q(text))


def po_string(text: str) -> str:
    """text as a PO string: quotes and backslashes escaped, every other character raw."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def msgstr(english: str, translation: str) -> Callable[[Path], None]:
    """Replace the Urdu translation of english (fill() wrote 'UR: <english>')."""
    return edit(PO, f'msgstr "UR: {english}"', "msgstr " + po_string(translation))


LAUGHS = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9 if i else ["lol"] * 9) + "]\n"
                 for i in range(9))
BIG = "# " + "x" * 1_100_000 + "\n"
DEEP = "[" * 5000 + "]" * 5000

REFUSED: dict[str, Refused] = {
    # YAML syntax
    "syntax/unclosed-flow-sequence": Refused(
        "syntax", edit(LF, "chair_phone]", "chair_phone"), f"{LF}:17",
        "(while parsing a flow sequence at line 16)"),
    "syntax/unclosed-quote": Refused(  # found at the next quote; says where the mapping began
        "syntax", edit(LF, 'leads the meeting."', "leads the meeting."), f"{LF}:11",
        "(while parsing a block mapping at line 8)"),
    "syntax/tab-indent": Refused(
        "syntax", edit(LF, "    heading: What this is", "\theading: What this is"), f"{LF}:6",
        "found character '\\t' that cannot start any token"),
    "syntax/two-documents": Refused(
        "syntax", append(A, "---\nid: other\n"), f"{A}:21", "but found another document"),
    "syntax/comments-only": Refused("syntax", write(A, "# nothing\n"), f"{A}:1", "file is empty"),
    "syntax/flow-mapping-key": Refused(
        "syntax", append(A, "? [a, b]\n: c\n"), f"{A}:21", "keys must be plain names"),
    # wrong types
    "type/number-for-text": Refused(
        "type", edit(A, "name: Testshire Council", "name: 12345"), f"{A}:2",
        "name: must be text, not 12345"),
    "type/list-for-id": Refused(
        "type", edit(A, "alternative_formats: office", "alternative_formats: [office]"), f"{A}:13",
        "alternative_formats: must be text"),
    "type/text-for-list": Refused(
        "type", edit(LF, "family_fields: [social_worker_name, chair_phone]",
                     "family_fields: social_worker_name"), f"{LF}:16", "must be a list (lines starting with '- ')"),
    "type/date": Refused(
        "type", edit(A, "chair_title: independent chair", "chair_title: 2024-01-31"), f"{A}:4",
        "not datetime.date(2024, 1, 31)"),
    "type/impossible-date": Refused(
        "type", edit(A, "chair_title: independent chair", "chair_title: 2024-13-45"), f"{A}:4",
        "cannot read the value '2024-13-45' (month must be in 1..12); put text in quotes"),
    "type/yes-is-a-boolean": Refused(
        "type", edit(LF, "title: Demo leaflet", "title: yes"), f"{LF}:2", "not True"),
    "type/null": Refused("type", edit(LF, "title: Demo leaflet", "title: ~"), f"{LF}:2", "not None"),
    "type/5000-digit-number": Refused(
        "type", edit(A, "name: Testshire Council", "name: " + "1" * 5000), f"{A}:2",
        "cannot read the value '1111"),
    "type/unknown-family-field": Refused(
        "type", edit(LF, "chair_phone]", "home_address]"), f"{LF}:16", "must be one of: "),
    # unknown keys
    "unknown/top-level": Refused("unknown", append(A, "mayor: Someone\n"), f"{A}:21",
                                 "unknown key 'mayor'"),
    "unknown/in-contact": Refused(
        "unknown", edit(A, "    web: [", "    fax: 01632 960000\n    web: ["), f"{A}:12",
        "unknown key 'fax' in contacts[0]"),
    "unknown/two-block-kinds": Refused(
        "unknown", edit(LF, "      - " + PARAGRAPH, "      - " + PARAGRAPH + "\n        bullets: [x]"),
        f"{LF}:16", "unknown key 'bullets' in sections[1].blocks[0]"),
    "unknown/long-key": Refused(  # "? key" then ": value": named at the value's line
        "unknown", append(A, "? " + "k" * 100_000 + "\n: 1\n"), f"{A}:22", "unknown key 'kkk"),
    # duplicate keys and ids
    "duplicate/key-in-leaflet": Refused("duplicate", append(LF, "title: Again\n"), f"{LF}:20",
                                        "duplicate key 'title'"),
    "duplicate/nested-key": Refused(
        "duplicate", edit(A, "    name: Testshire Office", "    name: Testshire Office\n    name: X"),
        f"{A}:8", "duplicate key 'name'"),
    "duplicate/section-id": Refused(
        "duplicate", edit(LF, "  - id: help", "  - id: intro"), f"{LF}:12",
        "duplicate section id 'intro'"),
    "duplicate/closing-section-id": Refused(
        "duplicate", edit(LF, "  - id: help", "  - id: other-formats"), f"{LF}:12",
        "section id 'other-formats' is kept for the closing section"),
    "duplicate/contact-id": Refused(
        "duplicate", edit(A, "alternative_formats:", "  - id: office\n    name: Again\n"
                          "alternative_formats:"), f"{A}:13", "duplicate contact id 'office'"),
    "duplicate/po-entry": Refused(
        "duplicate", append(PO, '\n# status: draft\nmsgid "First point"\nmsgstr "UR: again"\n'),
        At(PO, 'msgid "First point"', last=True), "entry 'First point' is given twice (first at line",
        translated=True),
    # aliases, anchors, merge keys, tags
    "alias/billion-laughs": Refused(
        "alias", write(LF, LAUGHS + (ROOTS / "minimal" / LF).read_text()), f"{LF}:2",
        "YAML aliases (*name) are not allowed"),
    "alias/one-alias": Refused(
        "alias", both(edit(A, "name: Testshire Office", "name: &n Testshire Office"),
                      edit(A, "organisation: Testshire Safeguarding Partnership", "organisation: *n")),
        f"{A}:3", "YAML aliases (*name) are not allowed"),
    "alias/merge-key": Refused(
        "alias", edit(A, "    name: Testshire Office", "    <<: {name: Testshire Office}"), f"{A}:7",
        "YAML merge keys (<<) are not allowed"),
    "tag/python-object": Refused(
        "tag", edit(A, "name: Testshire Council", "name: !!python/object/apply:os.system ['true']"),
        f"{A}:2", "YAML tags (tag:yaml.org,2002:python/object/apply:os.system) are not allowed"),
    "tag/int-of-text": Refused(
        "tag", edit(A, "name: Testshire Council", "name: !!int abc"), f"{A}:2", "YAML tags"),
    "tag/custom-on-mapping": Refused(
        "tag", edit(LF, "other_formats:", "other_formats: !include"), f"{LF}:17",
        "YAML tags (!include) are not allowed"),
    # size
    "size/over-1-MB": Refused("size", append(LF, BIG), f"{LF}:1",
                              "file is over 1,000,000 bytes, the limit"),
    "size/long-title": Refused("size", edit(LF, "title: Demo leaflet", "title: " + "T" * 5000),
                               f"{LF}:2", "at most 200 characters"),
    "size/long-paragraph": Refused("size", paragraph("word " * 1000), f"{LF}:15",
                                   "at most 4000 characters"),
    "size/long-phone-number": Refused(
        "size", edit(A, "- number: 01632 960123", "- number: 01632 " + "9" * 100_000), f"{A}:10",
        "is not a UK phone number"),
    "size/deep-nesting": Refused("size", append(A, f"x: {DEEP}\n"), f"{A}:21",
                                 "nested more than 32 levels deep"),
    # encoding
    "encoding/invalid-utf8": Refused(
        "encoding", edit_bytes(LF, b"Getting help", b"Getting \xc3\x28help"), f"{LF}:13",
        "file is not valid UTF-8"),
    "encoding/overlong-utf8": Refused(
        "encoding", edit_bytes(A, b"Testtown", b"Test\xc0\xaftown"), f"{A}:8", "not valid UTF-8"),
    "encoding/utf16": Refused(
        "encoding", lambda p: (p / A).write_bytes((p / A).read_text().encode("utf-16")), f"{A}:1",
        "file is not valid UTF-8"),
    "encoding/nul-byte": Refused(
        "encoding", edit(LF, "First point", "First\x00point"), f"{LF}:10", "file contains a NUL byte"),
    "encoding/nul-escape": Refused("encoding", paragraph("Ask\x00 your"), f"{LF}:15",
                                   "text contains U+0000"),
    # control characters
    "control/c0-raw": Refused(
        "control", edit(A, "Testshire Council", "Test\x01shire Council"), f"{A}:2",
        "file contains U+0001 (a control character)"),
    "control/escape-sequence": Refused(
        "control", edit(LF, "title: Demo leaflet", "title: " + q("Demo \x1b[31mleaflet")), f"{LF}:2",
        "text contains U+001B (a control character)"),
    "control/c1-raw": Refused("control", edit(LF, "First point", "First\x9bpoint"), f"{LF}:10",
                              "file contains U+009B"),
    "control/delete": Refused("control", edit(A, "Testshire Office", "Testshire\x7fOffice"), f"{A}:7",
                              "U+007F"),
    "control/carriage-return-escape": Refused("control", paragraph("Ask\rus"), f"{LF}:15",
                                              "text contains U+000D"),
    "control/line-separator": Refused("control", edit(A, "Testshire Council", "Test\u2028shire"),
                                      f"{A}:2", "U+2028 (LINE SEPARATOR)"),
    "control/private-use": Refused("control", edit(LF, "First point", "First \ue000 point"),
                                   f"{LF}:10", "U+E000 (a private-use character)"),
    "control/surrogate-escape": Refused(
        "control", edit(A, "name: Testshire Council", 'name: "Test\\uD800shire"'), f"{A}:2",
        "U+D800 (a surrogate)"),
    "control/noncharacter": Refused("control", paragraph("Ask \ufffe us"), f"{LF}:15",
                                    "U+FFFE (a noncharacter)"),
    # bidirectional controls: each can make a number or an address display reversed
    "bidi/rlo-in-contact-name": Refused(
        "bidi", edit(A, "name: Testshire Office", "name: Testshire \u202eOffice"), f"{A}:7",
        "U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control"),
    "bidi/lro-before-phone": Refused(
        "bidi", edit(LF, "Call 0800 123 4567", "Call \u202d0800 123 4567"), f"{LF}:11",
        "U+202D LEFT-TO-RIGHT OVERRIDE"),
    "bidi/escaped-rlo": Refused(
        "bidi", edit(LF, '"Call 0800 123 4567 any time."', '"Call \\u202E0800 123 4567 any time."'),
        f"{LF}:11", "text contains U+202E"),
    "bidi/lre-in-title": Refused("bidi", edit(LF, "Demo leaflet", "Demo \u202aleaflet"), f"{LF}:2",
                                 "U+202A LEFT-TO-RIGHT EMBEDDING"),
    "bidi/rle-in-heading": Refused("bidi", edit(LF, "What this is", "What \u202bthis is"), f"{LF}:6",
                                   "U+202B"),
    "bidi/pdf-in-address": Refused("bidi", edit(A, "1 High Street", "1 High\u202c Street"), f"{A}:8",
                                   "U+202C POP DIRECTIONAL FORMATTING"),
    "bidi/lri-in-paragraph": Refused("bidi", edit(LF, "Ask your social", "Ask \u2066your social"),
                                     f"{LF}:15", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    "bidi/rli-in-authority-name": Refused(
        "bidi", edit(A, "Testshire Council", "Testshire \u2067Council"), f"{A}:2",
        "U+2067 RIGHT-TO-LEFT ISOLATE"),
    "bidi/fsi-in-bullet": Refused("bidi", edit(LF, "First point", "First \u2068point"), f"{LF}:10",
                                  "U+2068 FIRST STRONG ISOLATE"),
    "bidi/pdi-in-hours": Refused(
        "bidi", edit(A, "    web: [", "    hours: Monday\u2069 to Friday\n    web: ["), f"{A}:12",
        "U+2069 POP DIRECTIONAL ISOLATE"),
    "bidi/escaped-in-key": Refused("bidi", append(A, '"ma\\u202Eyor": x\n'), f"{A}:21",
                                   "text contains U+202E"),
    "bidi/rlo-in-po-msgstr": Refused(
        "bidi", msgstr("Call 0800 123 4567 any time.", "UR: \u202e0800 123 4567"), At(PO, "UR: \u202e"),
        "U+202E RIGHT-TO-LEFT OVERRIDE", translated=True),
    "bidi/rli-in-po-msgstr": Refused(
        "bidi", msgstr("Getting help", "UR: \u2067Getting help"), At(PO, "UR: \u2067"),
        "U+2067 RIGHT-TO-LEFT ISOLATE", translated=True),
    # Jinja in content: expressions naming a council's fact, nothing else
    "jinja/dunder-class": Refused("jinja", paragraph("{{ authority.__class__ }}"), f"{LF}:15",
                                  "there is no fact '__class__'"),
    "jinja/mro": Refused("jinja", paragraph("{{ ''.__class__.__mro__ }}"), f"{LF}:15",
                         "found const"),
    "jinja/include": Refused("jinja", paragraph("{% include 'leaflet.yaml' %}"), f"{LF}:15",
                             "found include"),
    "jinja/import": Refused("jinja", paragraph("{% import 'leaflet.yaml' as x %}"), f"{LF}:15",
                            "found import"),
    "jinja/for-loop": Refused("jinja", paragraph("{% for i in range(99999999) %}x{% endfor %}"),
                              f"{LF}:15", "found for"),
    "jinja/set": Refused("jinja", paragraph("{% set x = 1 %}"), f"{LF}:15", "found assign"),
    "jinja/cycler": Refused("jinja", paragraph("{{ cycler }}"), f"{LF}:15", "unknown name 'cycler'"),
    "jinja/self": Refused("jinja", edit(A, "heading: Local offices", "heading: '{{ self }}'"),
                          f"{A}:18", "unknown name 'self'"),
    "jinja/filter": Refused("jinja", paragraph("{{ authority.name | upper }}"), f"{LF}:15",
                            "found filter"),
    "jinja/call": Refused("jinja", paragraph("{{ authority.name.upper() }}"), f"{LF}:15",
                          "found call"),
    "jinja/method-object": Refused("jinja", paragraph("{{ authority.name.upper }}"), f"{LF}:15",
                                   "there is no fact 'upper'"),
    "jinja/dict-method": Refused("jinja", paragraph("{{ authority.items }}"), f"{LF}:15",
                                 "there is no fact 'items'"),
    "jinja/whole-dict": Refused("jinja", paragraph("{{ authority }}"), f"{LF}:15",
                                "names a group of facts"),
    "jinja/deep-brackets": Refused(
        "jinja", paragraph("{{ " + "(" * 1300 + "authority.name" + ")" * 1300 + " }}"), f"{LF}:15",
        "expression nested too deeply"),
    "jinja/syntax": Refused("jinja", paragraph("{{ authority.name"), f"{LF}:15", "template syntax"),
    "jinja/unknown-fact": Refused("jinja", paragraph("{{ authority.mayor }}"), f"{LF}:15",
                                  "there is no fact 'mayor'"),
    "jinja/include-in-po": Refused(
        "jinja", msgstr("First point", "UR: {% include 'ur.po' %}"), At(PO, 'msgid "First point"'),
        "found include",
        translated=True),
    "jinja/attribute-in-po": Refused(
        "jinja", msgstr("The {{ authority.chair_title }} leads the meeting.",
                        "UR: {{ authority.chair_title.__class__ }}"), At(PO, 'msgid "The {{'),
        "placeholders differ from the English", translated=True),
    # web addresses must be web addresses
    "url/javascript-web-address": Refused(
        "url", edit(A, "web: [www.testshire.example.org/help]", "web: ['javascript:alert(1)']"),
        f"{A}:12", "is not a web address"),
    "url/file-web-address": Refused(
        "url", edit(A, "web: [www.testshire.example.org/help]", "web: ['file:///etc/passwd']"),
        f"{A}:12", "is not a web address"),
    "url/data-web-address": Refused(
        "url", edit(A, "web: [www.testshire.example.org/help]",
                    "web: ['data:text/html;base64,PHNjcmlwdD4=']"), f"{A}:12", "is not a web address"),
    "url/local-port-web-address": Refused(
        "url", edit(A, "web: [www.testshire.example.org/help]", "web: ['http://127.0.0.1:9/x']"),
        f"{A}:12", "is not a web address"),
    "url/javascript-email": Refused(
        "url", edit(A, "emails: [help@testshire.example.org]", "emails: ['javascript:alert(1)//@x.org']"),
        f"{A}:11", "is not an email address"),
    # path traversal: ids name files and folders; links must not leave the project
    "path/authority-id": Refused("path", edit(A, "id: testshire", "id: ../../etc/passwd"), f"{A}:1",
                                 "is not an id"),
    "path/contact-id": Refused("path", edit(A, "- id: office", "- id: ../office"), f"{A}:6",
                               "is not an id"),
    "path/section-id": Refused("path", edit(LF, "- id: intro", "- id: ../../intro"), f"{LF}:5",
                               "is not an id"),
    "path/absolute-reference": Refused(
        "path", edit(A, "alternative_formats: office", "alternative_formats: /etc/passwd"), f"{A}:13",
        "is not an id"),
    "path/anchor-section": Refused("path", edit(A, "after: intro", "after: ../intro"), f"{A}:17",
                                   "is not an id"),
    "path/leaflet-folder-name": Refused(
        "path", lambda p: (p / "leaflets/demo").rename(p / "leaflets/De mo"),
        "leaflets/De mo/leaflet.yaml:1", "'De mo' is not a valid id"),
    "path/linked-authority-file": Refused(
        "path", link_file_outside(A), f"{A}:1", "is a symbolic link pointing outside its folder"),
    "path/link-to-etc": Refused(
        "path", lambda p: (p / "authorities/hostname.yaml").symlink_to("/etc/hostname"),
        "authorities/hostname.yaml:1", "is a symbolic link pointing outside its folder"),
    "path/linked-leaflet-folder": Refused(
        "path", link_folder_outside("leaflets/demo"), f"{LF}:1",
        "is reached through a symbolic link to a folder outside the project"),
    "path/linked-authorities-folder": Refused(
        "path", link_folder_outside("authorities"), f"{A}:1",
        "is reached through a symbolic link to a folder outside the project"),
    "path/linked-po-file": Refused(
        "path", link_file_outside(PO), f"{PO}:1", "is a symbolic link pointing outside its folder",
        translated=True),
    "path/linked-translations-folder": Refused(
        "path", link_folder_outside("translations"), f"{PO}:1",
        "is reached through a symbolic link to a folder outside the project", translated=True),
    "path/linked-config": Refused(
        "path", both(write(CFG, "braille_grade: 1\n"), link_file_outside(CFG)), f"{CFG}:1",
        "is a symbolic link pointing outside its folder"),
    "path/cache-dir-absolute": Refused("path", write(CFG, "cache_dir: /tmp/elsewhere\n"), f"{CFG}:1",
                                       "cache_dir must be a folder inside the project"),
    "path/cache-dir-parent": Refused("path", write(CFG, "cache_dir: ../../elsewhere\n"), f"{CFG}:1",
                                     "cache_dir must be a folder inside the project"),
    "path/folder-named-like-yaml": Refused(
        "path", lambda p: (p / "authorities/other.yaml").mkdir(), "authorities/other.yaml:1",
        "is not a regular file"),
    "path/fifo-named-like-yaml": Refused(
        "path", lambda p: os.mkfifo(p / "authorities/other.yaml"), "authorities/other.yaml:1",
        "is not a regular file"),
    # translation files
    "po/placeholder-dropped": Refused(
        "po", msgstr("The {{ authority.chair_title }} leads the meeting.", "UR: leads the meeting"),
        At(PO, 'msgid "The {{'), "placeholders differ from the English: expected ['authority.chair_title'], "
        "found none", translated=True),
    "po/placeholder-renamed": Refused(
        "po", msgstr("The {{ authority.chair_title }} leads the meeting.", "UR: {{ authority.mayor }}"),
        At(PO, 'msgid "The {{'), "found ['authority.mayor']", translated=True),
    "po/label-field-dropped": Refused(
        "po", msgstr("It lasts about {minutes} minutes.", "UR: It lasts a while."),
        At(PO, 'msgid "It lasts about'), "expected ['{minutes}']", translated=True),
    "po/label-format-spec": Refused(
        "po", msgstr("It lasts about {minutes} minutes.", "UR: {minutes} {minutes:>999999999}"),
        At(PO, 'msgid "It lasts about'), "with no format, conversion or attribute", translated=True),
    "po/label-attribute": Refused(
        "po", msgstr("It lasts about {minutes} minutes.", "UR: {minutes} {minutes.__class__}"),
        At(PO, 'msgid "It lasts about'), "with no format, conversion or attribute", translated=True),
    "po/label-lone-brace": Refused(
        "po", msgstr("It lasts about {minutes} minutes.", "UR: {minutes} }{"),
        At(PO, 'msgid "It lasts about'), "with no format, conversion or attribute", translated=True),
    "po/plural-forms-garbage": Refused(
        "po", edit(PO, "nplurals=2; plural=(n != 1);", "nplurals=banana; plural=(n;"), At(PO, '"Plural-Forms:'),
        "Plural-Forms header is not valid", translated=True),
    "po/plural-forms-code": Refused(
        "po", edit(PO, "plural=(n != 1);", "plural=__import__('os').system('true');"), At(PO, '"Plural-Forms:'),
        "Plural-Forms header is not valid", translated=True),
    "po/plural-forms-form-out-of-range": Refused(
        "po", edit(PO, "nplurals=2; plural=(n != 1);", "nplurals=2; plural=(n==1 ? 0 : n==2 ? 1 : 2);"),
        At(PO, '"Plural-Forms:'), "for n=0 the plural expression gives form 2, but nplurals=2 allows "
        "0 to 1", translated=True),
    "po/plural-forms-none": Refused(
        "po", edit(PO, "nplurals=2; plural=(n != 1);", "nplurals=0; plural=0;"),
        At(PO, '"Plural-Forms:'), "nplurals must be 1 to 6, not 0", translated=True),
    "po/plural-entry-forms-short": Refused(
        "po", append(PO, '\n# status: draft\nmsgid "one day"\nmsgid_plural "{n} days"\n'
                         'msgstr[0] "UR: day"\n'),
        At(PO, 'msgid "one day"'), "entry has 1 plural form (msgstr[0] to msgstr[N]), but the "
        "Plural-Forms header says nplurals=2", translated=True),
    "po/charset-latin-1": Refused(
        "po", both(edit(PO, "charset=utf-8", "charset=ISO-8859-1"),
                   lambda p: (p / PO).write_bytes((p / PO).read_text().encode("latin-1", "replace"))),
        At(PO, '"Content-Type:'), "charset must be UTF-8, not ISO-8859-1", translated=True),
    "po/invalid-utf8": Refused(
        "po", edit_bytes(PO, b"UR: First point", b"UR: First \xff point"), At(PO, 'msgstr "UR: First'),
        "file is not valid UTF-8", translated=True),
    "po/unquoted-msgstr": Refused(
        "po", edit(PO, 'msgstr "UR: First point"', "msgstr UR: First point"), At(PO, "msgstr UR: First"),
        "PO syntax", translated=True),
    "po/unterminated-string": Refused(
        "po", edit(PO, 'msgstr "UR: First point"', 'msgstr "UR: First point'), At(PO, 'msgstr "UR: First'),
        "PO syntax", translated=True),
    "po/msgstr-without-msgid": Refused(
        "po", edit(PO, 'msgid "First point"\n', ""), At(PO, 'msgstr "UR: First'), "msgstr without a msgid",
        translated=True),
    "po/garbage-line": Refused(
        "po", edit(PO, 'msgid "First point"', 'rm -rf /\nmsgid "First point"'), At(PO, "rm -rf /"),
        "PO syntax", translated=True),
    "po/nul": Refused("po", msgstr("First point", "UR: First\x00point"), At(PO, 'msgstr "UR: First'),
                      "file contains a NUL byte", translated=True),
    "po/escaped-carriage-return": Refused(
        "po", edit(PO, 'msgstr "UR: First point"', 'msgstr "UR: First\\rpoint"'), At(PO, 'msgid "First point"'),
        "translation contains U+000D", translated=True),
    "po/private-use": Refused("po", msgstr("First point", "UR: \U000f0000"), At(PO, "UR: \U000f0000"),
                              "U+F0000 (a private-use character)", translated=True),
    "po/unknown-status": Refused(
        "po", edit(PO, "# status: draft\n#: leaflets/demo/leaflet.yaml:10",
                   "# status: perfect\n#: leaflets/demo/leaflet.yaml:10"), At(PO, 'msgid "First point"'),
        "(found 'perfect')", translated=True),
    "po/over-10-MB": Refused("po", append(PO, "#" + "x" * 10_000_000 + "\n"), f"{PO}:1",
                             "file is over 10,000,000 bytes", translated=True),
}


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail, rather than hang, if the code under test blocks (a FIFO read)."""
    def expired(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_with_file_line_and_output_unchanged(templates: dict[str, Path], tmp_path: Path,
                                                     name: str) -> None:
    case = REFUSED[name]
    project = copy_of(templates, tmp_path, case.translated)
    before = snapshot(project / "output")
    assert before and "manifest.json" in before  # a previous good build
    case.setup(project)
    where = case.where if isinstance(case.where, str) else case.where(project)
    with deadline(60):
        for command in (["validate"], ["build", *TEXT]):
            assert_clean_failure(run("--project", project, *command), where, case.says)
    assert snapshot(project / "output") == before


@pytest.mark.parametrize("name", ["bidi/rlo-in-contact-name", "jinja/include", "po/nul",
                                  "path/linked-leaflet-folder"])
def test_refused_before_anything_is_made(templates: dict[str, Path], tmp_path: Path,
                                         name: str) -> None:
    """With no previous build, a refused build creates no output folder at all."""
    case = REFUSED[name]
    project = copy_of(templates, tmp_path, case.translated)
    shutil.rmtree(project / "output")
    case.setup(project)
    where = case.where if isinstance(case.where, str) else case.where(project)
    assert_clean_failure(run("--project", project, "build", *TEXT), where, case.says)
    assert not (project / "output").exists()


def test_every_problem_in_one_run_from_a_real_process(templates: dict[str, Path],
                                                      tmp_path: Path) -> None:
    """The installed command, not CliRunner: several hostile edits at once, each reported
    at its line on stderr, exit status 1, no traceback."""
    project = copy_of(templates, tmp_path, translated=True)
    for name in ["bidi/rlo-in-contact-name", "duplicate/section-id", "path/cache-dir-parent"]:
        REFUSED[name].setup(project)
    proc = subprocess.run([sys.executable, "-m", "leafgen", "--project", str(project), "validate"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line.split(": error: ")[0] for line in proc.stderr.splitlines() if ": error: " in line]
    assert errors == [f"{A}:7", f"{CFG}:1", f"{LF}:12"]
    assert proc.stderr.rstrip().endswith("3 errors; nothing was written.")


def test_allowed_direction_marks(templates: dict[str, Path], tmp_path: Path) -> None:
    """LRM, RLM and ALM only nudge neutral characters and cannot reverse a run: they stay,
    in YAML and in a translation, and reach the output."""
    project = copy_of(templates, tmp_path, translated=True)
    edit(LF, "First point", "First\u200e point\u200f")(project)
    translate_urdu(project)
    msgstr("Getting help", "UR: \u061cGetting\u200f help")(project)
    result = run("--project", project, "build", *TEXT)
    assert result.exit_code == 0, result.output
    assert "First\u200e point\u200f" in (project / "output/testshire/demo/en/demo.txt").read_text()
    assert "\u061cGetting\u200f help" in (project / "output/testshire/demo/ur/demo.html").read_text()


# ---- render-time failures -------------------------------------------------------------

def test_emoji_braille_fails_at_its_source_line_other_outputs_complete(
        templates: dict[str, Path], tmp_path: Path) -> None:
    """An emoji has no braille in any table: BRF and PEF fail, naming the character and the
    line it came from (the English YAML, or the Urdu PO entry). Text and the web page keep
    it (a reader's font shows it); the audio says its name (espeak-ng: 'grinning face').
    The braille built before stays on disk, no longer listed: the manifest lists only
    files that match the current content."""
    project = copy_of(templates, tmp_path, translated=True)
    (project / CFG).write_text("cache_dir: cache\n")
    braille = ("--format", "brf", "--format", "pef")
    assert run("--project", project, "build", *TEXT, *braille).exit_code == 0
    before = snapshot(project / "output")
    edit(LF, "Ask your social worker.", "Ask your social worker \U0001F600.")(project)
    translate_urdu(project)
    msgstr("First point", "UR: \U0001F600 First point")(project)
    en_line = 15
    ur_line = po_line(project, "UR: \U0001F600 First point")
    result = run("--project", project, "build", *TEXT, *braille, "--format", "mp3")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for lang, source in [("en", f"{LF}:{en_line}"), ("ur", f"{PO}:{ur_line}")]:
        for fmt in ("brf", "pef"):
            line = next(l for l in result.output.splitlines()
                        if l.startswith(f"testshire/demo/{lang}/demo.{fmt}: error: "))
            assert "U+1F600" in line and line.endswith(f"[source: {source}]"), line
    listed = assert_manifest_true(project / "output")
    assert sorted(listed) == sorted(f"testshire/demo/{lang}/demo.{fmt}" for lang in ("en", "ur")
                                    for fmt in ("txt", "html", "mp3"))
    for lang in ("en", "ur"):
        assert "\U0001F600" in (project / f"output/testshire/demo/{lang}/demo.txt").read_text()
        assert "\U0001F600" in (project / f"output/testshire/demo/{lang}/demo.html").read_text()
        brf = f"testshire/demo/{lang}/demo.brf"
        assert (project / "output" / brf).read_bytes() == before[brf]  # untouched, unlisted


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, Callable[[], bool]]]:
    """A TCP port on 127.0.0.1, and a check that nothing connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)

    def contacted() -> bool:
        try:
            sock.accept()[0].close()
            return True
        except BlockingIOError:
            return False
    try:
        yield sock.getsockname()[1], contacted
    finally:
        sock.close()


PDF_URLS = {
    # name: (template file, text added at its start (or end), text the message names)
    "css-file-url": ("templates/pdf/print.css", "body {{ background: url(file:///etc/passwd) }}\n",
                     "file:///etc/passwd"),
    "css-http-url": ("templates/pdf/print.css",
                     "body {{ background: url(http://127.0.0.1:{port}/x.png) }}\n", "http://127.0.0.1"),
    "css-import": ("templates/pdf/print.css", "@import url(http://127.0.0.1:{port}/x.css);\n",
                   "http://127.0.0.1"),
    "css-data-url": ("templates/pdf/print.css",
                     "body {{ background: url(data:image/png;base64,iVBORw0KGgo=) }}\n", "data:image/png"),
    "css-relative-escape": ("templates/pdf/print.css",
                            "body {{ background: url(../../../../../../etc/passwd) }}\n", "etc/passwd"),
    "css-font-face": ("templates/pdf/print.css",
                      "@font-face {{ font-family: X; src: url(http://127.0.0.1:{port}/f.woff) }}\n"
                      "html {{ font-family: X }}\n", "http://127.0.0.1"),
    "html-img": ("templates/html/leaflet.html", '<img src="http://127.0.0.1:{port}/x.png" alt="">\n',
                 "http://127.0.0.1"),
    "html-stylesheet": ("templates/html/leaflet.html",
                        '<link rel="stylesheet" href="file:///etc/ssl/openssl.cnf">\n', "file:///etc/ssl"),
}


@pytest.fixture(scope="module")
def pdf_project(templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("pdf") / "p"
    shutil.copytree(templates["en"], project)
    assert run("--project", project, "build", "--format", "pdf").exit_code == 0
    return project


@pytest.mark.parametrize("name", list(PDF_URLS))
def test_pdf_fetches_nothing(pdf_project: Path, tmp_path: Path, name: str) -> None:
    """WeasyPrint is given a fetcher that refuses every URL; the failure names the
    template line that asked for it, and no connection is made."""
    project = tmp_path / "p"
    shutil.copytree(pdf_project, project)
    before = snapshot(project / "output")
    path, rule, says = PDF_URLS[name]
    with listener() as (port, contacted):
        template = project / path
        text = template.read_text()
        if path.endswith(".html"):  # just inside <body>
            text = text.replace("<body>\n", "<body>\n" + rule.format(port=port), 1)
        else:
            text = rule.format(port=port) + text
        template.write_text(text)
        line = text[:text.index(rule.format(port=port))].count("\n") + 1
        result = run("--project", project, "build", "--format", "pdf")
        assert not contacted()
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    message = next(l for l in result.output.splitlines() if ": error: " in l)
    assert f"{path}:{line}: refused to fetch" in message and says in message, message
    listed = assert_manifest_true(project / "output")
    assert "testshire/demo/en/demo.pdf" not in listed  # dropped before the render, not re-added
    assert snapshot(project / "output")["testshire/demo/en/demo.pdf"] == before[
        "testshire/demo/en/demo.pdf"]


WEB_PAGE_URLS = {
    "css-url": ("templates/html/leaflet.css", "body { background: url(http://127.0.0.1:9/x.png) }\n"),
    "css-data-url": ("templates/html/leaflet.css", "li { list-style: url(data:image/png;base64,AA==) }\n"),
    "css-import": ("templates/html/leaflet.css", "@import 'file:///etc/passwd';\n"),
    "html-img": ("templates/html/leaflet.html", '<img src="file:///etc/passwd" alt="">\n'),
    "html-stylesheet": ("templates/html/leaflet.html", '<link rel="stylesheet" href="http://127.0.0.1:9/">\n'),
}


@pytest.mark.parametrize("name", list(WEB_PAGE_URLS))
def test_web_page_is_standalone(templates: dict[str, Path], tmp_path: Path, name: str) -> None:
    """The web page must not make a reader's browser fetch anything: a template asking
    for a URL fails the page, naming the template line; the text file is still made."""
    project = copy_of(templates, tmp_path, translated=False)
    before = snapshot(project / "output")
    path, rule = WEB_PAGE_URLS[name]
    template = project / path
    text = template.read_text()
    text = text.replace("<body>\n", "<body>\n" + rule, 1) if path.endswith(".html") else text + rule
    template.write_text(text)
    line = text[:text.index(rule)].count("\n") + 1
    result = run("--project", project, "build", *TEXT)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    message = next(l for l in result.output.splitlines() if ": error: " in l)
    assert message.startswith("testshire/demo/en/demo.html: error: html failed: ")
    assert f"{path}:{line}: " in message and "would fetch a resource" in message
    listed = assert_manifest_true(project / "output")
    assert "testshire/demo/en/demo.html" not in listed
    assert listed["testshire/demo/en/demo.txt"]["sha256"] == hashlib.sha256(
        before["testshire/demo/en/demo.txt"]).hexdigest()


def test_urls_in_content_text_are_text_and_fetch_nothing(templates: dict[str, Path],
                                                         tmp_path: Path) -> None:
    """file:, data: and http: URLs in a paragraph are words: the page links a web address
    only (never file:, data: or javascript:), and the PDF fetches none of them."""
    project = copy_of(templates, tmp_path, translated=False)
    with listener() as (port, contacted):
        paragraph(f"See file:///etc/passwd, data:text/html,<b>x</b>, javascript:alert(1) and "
                  f"http://127.0.0.1:{port}/x.png here.")(project)
        result = run("--project", project, "build", *TEXT, "--format", "pdf")
        assert not contacted()
    assert result.exit_code == 0, result.output
    page = parse_page(project / "output/testshire/demo/en/demo.html")
    assert_no_active_content(page)
    hrefs = [a.get("href") for a in page.iter(f"{NS}a")]
    assert "http://127.0.0.1" in hrefs  # linked, not fetched
    assert not [h for h in hrefs if h.startswith(("file:", "data:", "javascript:"))]
    assert "See file:///etc/passwd, data:text/html,<b>x</b>, javascript:alert(1)" in text_of(page)


# ---- markup in text fields ------------------------------------------------------------

NS = "{http://www.w3.org/1999/xhtml}"
MARKUP = ('<script>alert(1)</script> "><img src=x onerror=alert(2)> '
          '<a href="javascript:alert(3)">x</a> </title></style><svg onload=alert(4)>')

# name: (file, old, new); new holds MARKUP as a YAML double-quoted scalar, or a PO string
FIELDS = {
    "title": (LF, "title: Demo leaflet", f"title: {q(MARKUP)}"),
    "subtitle": (LF, "subtitle: For tests", f"subtitle: {q(MARKUP)}"),
    "heading": (LF, "heading: What this is", f"heading: {q(MARKUP)}"),
    "paragraph": (LF, PARAGRAPH, f"paragraph: {q(MARKUP)}"),
    "bullet": (LF, "- First point", f"- {q(MARKUP)}"),
    "closing-heading": (LF, "heading: Other formats", f"heading: {q(MARKUP)}"),
    "authority-name": (A, "name: Testshire Council", f"name: {q(MARKUP)}"),
    "organisation": (A, "organisation: Testshire Safeguarding Partnership", f"organisation: {q(MARKUP)}"),
    "chair-title-fact": (A, "chair_title: independent chair", f"chair_title: {q(MARKUP)}"),
    "contact-name": (A, "name: Testshire Office", f"name: {q(MARKUP)}"),
    "contact-description": (A, "    name: Testshire Office", f"    name: Testshire Office\n"
                            f"    description: {q(MARKUP)}"),
    "contact-hours": (A, "    name: Testshire Office", f"    name: Testshire Office\n"
                      f"    hours: {q(MARKUP)}"),
    "contact-areas": (A, "    name: Testshire Office", f"    name: Testshire Office\n"
                      f"    areas: [{q(MARKUP)}]"),
    "address-line": (A, "address: [1 High Street,", f"address: [{q(MARKUP)},"),
    "phone-label": (A, "- number: 01632 960123", f"- label: {q(MARKUP)}\n        number: 01632 960123"),
    "local-heading": (A, "heading: Local offices", f"heading: {q(MARKUP)}"),
    "po-msgstr": (PO, 'msgstr "UR: First point"', "msgstr " + po_string("UR: " + MARKUP)),
    "po-heading": (PO, 'msgstr "UR: Getting help"', "msgstr " + po_string("UR: " + MARKUP)),
}


def parse_page(path: Path):  # type: ignore[no-untyped-def]
    return html5lib.parse(path.read_bytes(), treebuilder="etree", namespaceHTMLElements=True)


def text_of(page) -> str:  # type: ignore[no-untyped-def]
    body = page.find(f"{NS}body")
    return " ".join("".join(body.itertext()).split())


def assert_no_active_content(page) -> None:  # type: ignore[no-untyped-def]
    for el in page.iter():
        tag = el.tag.split("}")[-1] if isinstance(el.tag, str) else ""
        assert tag not in ("script", "img", "svg", "iframe", "object", "embed"), tag
        for attribute, value in el.attrib.items():
            assert not attribute.lower().startswith("on"), (tag, attribute)
            if attribute in ("href", "src", "action"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), value


@pytest.mark.parametrize("field", list(FIELDS))
def test_markup_in_every_text_field_is_shown_as_text(templates: dict[str, Path], tmp_path: Path,
                                                     field: str) -> None:
    path, old, new = FIELDS[field]
    project = copy_of(templates, tmp_path, translated=path == PO)
    edit(path, old, new)(project)
    lang = "ur" if path == PO else "en"
    result = run("--project", project, "build", *TEXT)
    assert result.exit_code == 0, result.output
    page = parse_page(project / f"output/testshire/demo/{lang}/demo.html")
    assert_no_active_content(page)
    shown = text_of(page) + " " + (page.findtext(f"{NS}head/{NS}title") or "")
    assert " ".join(MARKUP.split()) in shown  # the reader sees exactly what was written
    raw = (project / f"output/testshire/demo/{lang}/demo.html").read_text()
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<script>alert(1)</script>" in (project / f"output/testshire/demo/{lang}/demo.txt").read_text()
