"""The HTML pages: valid, accessible structure, contact links, escaping, no external resources."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import html5lib
import pytest

from leafgen.formats import FORMATS
from leafgen.languages import LANGUAGES
from tests.conftest import make_project, run

NS = {"h": "http://www.w3.org/1999/xhtml"}


def pages(built: Path) -> list[Path]:
    found = sorted(p for p in built.glob("*/*/*/*.html") if p.parts[len(built.parts)] != "site")
    assert len(found) == 5 * len(LANGUAGES)
    return found


def parse(path: Path):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return parser.parse(path.read_bytes())


def test_pages_parse_strictly_with_lang_dir_and_title(built: Path) -> None:
    for page in pages(built):
        root = parse(page)  # strict: any parse error raises
        lang = LANGUAGES[page.parent.name]
        assert root.get("lang") == lang.code
        assert root.get("dir") == lang.dir
        title = root.find(".//h:head/h:title", NS)
        heading = root.find(".//h:h1", NS)
        assert title is not None and title.text.startswith(heading.text + " – ")


def test_one_h1_and_no_skipped_heading_levels(built: Path) -> None:
    for page in pages(built):
        levels = [int(el.tag[-1]) for el in parse(page).iter()
                  if isinstance(el.tag, str) and el.tag.split("}")[-1] in {"h1", "h2", "h3", "h4"}]
        assert levels.count(1) == 1 and levels[0] == 1, page
        for before, after in zip(levels, levels[1:]):
            assert after <= before + 1, f"{page}: h{before} followed by h{after}"


def test_landmarks(built: Path) -> None:
    for page in pages(built):
        body = parse(page).find("h:body", NS)
        for tag in ("header", "nav", "main", "footer"):
            assert len(body.findall(f".//h:{tag}", NS)) == 1, (page, tag)
        for section in body.findall(".//h:main/h:section", NS):
            target = section.get("aria-labelledby")
            assert section.find(f".//*[@id='{target}']", NS) is not None


def test_phone_and_email_links(built: Path) -> None:
    page = built / "bolton/child-protection-conference/en/child-protection-conference.html"
    links = {a.get("href") for a in parse(page).iter("{http://www.w3.org/1999/xhtml}a")}
    assert "tel:+441204337400" in links
    assert "mailto:boltonsafeguardingchildren@bolton.gov.uk" in links
    es = built / "east-sussex/child-protection-conference/en/child-protection-conference.html"
    links = {a.get("href") for a in parse(es).iter("{http://www.w3.org/1999/xhtml}a")}
    assert {"tel:+448088005000", "tel:+448001111", "https://www.nspcc.org.uk"} <= links


def test_no_external_resources(built: Path) -> None:
    for page in pages(built):
        root = parse(page)
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            tag = el.tag.split("}")[-1]
            assert tag not in {"script", "link", "img", "iframe", "object", "embed"}, (page, tag)
            assert el.get("src") is None and el.get("style") is None
        css = root.find(".//h:style", NS).text
        assert "url(" not in css and "@import" not in css


def test_readable_at_320_px(built: Path) -> None:
    """Viewport meta and a narrow-screen rule that stacks the label/value grid."""
    text = pages(built)[0].read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@media (max-width: 30rem)" in text


def test_script_in_content_is_escaped(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    leaflet = project / "leaflets" / "demo" / "leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace(
        "First point", '"<script>alert(1)</script> & <b>bold</b>"'), encoding="utf-8")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--out", out).exit_code == 0
    page = (out / "testshire/demo/en/demo.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    txt = (out / "testshire/demo/en/demo.txt").read_text(encoding="utf-8")
    assert "<script>alert(1)</script> & <b>bold</b>" in txt  # plain text shows text as it is


def test_family_fields_are_labelled_blanks(built: Path) -> None:
    page = built / "barnet/child-protection-conference/en/child-protection-conference.html"
    root = parse(page)
    family = root.findall(".//h:dl[@class='family']", NS)
    labels = [dt.text for dl in family for dt in dl.findall("h:dt", NS)]
    assert "Your social worker's name" in labels
    assert "Name of the Reviewing Officer" in labels


@pytest.mark.parametrize("council,title", [("bedfordshire", "Review Manager"),
                                           ("barnet", "Reviewing Officer")])
def test_chair_title_is_the_councils_own(built: Path, council: str, title: str) -> None:
    text = (built / council / "child-protection-conference/en/child-protection-conference.txt"
            ).read_text(encoding="utf-8")
    assert text.count(title) >= 3
    assert "chairperson" not in text.lower() or council == "barnet"


def test_manifest_lists_every_artifact(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["version"] == 1
    assert sorted((a["authority"], a["lang"], a["format"]) for a in manifest["artifacts"]) == sorted(
        (c, lang, f) for c in ["barnet", "bath-ne-somerset", "bedfordshire", "bolton", "east-sussex"]
        for lang in LANGUAGES for f in FORMATS
        if FORMATS[f].available and FORMATS[f].applies_to(lang) and not FORMATS[f].unavailable_reason(lang))
    for a in manifest["artifacts"]:
        data = (built / a["path"]).read_bytes()
        assert a["bytes"] == len(data) and a["sha256"] == hashlib.sha256(data).hexdigest()
        assert a["translation"] == ("source" if a["lang"] == "en" else "draft")
        assert a["path"] == f"{a['authority']}/{a['leaflet']}/{a['lang']}/{Path(a['path']).name}"
