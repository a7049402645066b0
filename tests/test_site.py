"""The download site in output/site/: built with every build, links that resolve to
manifest files, languages in their own script, and WCAG 2.2 AA in a real browser."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import html5lib
import pytest

from leafgen.formats import FORMATS
from leafgen.languages import LANGUAGES
from tests.browser import axe_violations, chrome, described
from tests.conftest import make_project, run

NS = {"h": "http://www.w3.org/1999/xhtml"}


def parse(path: Path):  # type: ignore[no-untyped-def]
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=True)


def site_pages(out: Path) -> list[Path]:
    return sorted((out / "site").rglob("*.html"))


def manifest(out: Path) -> dict[str, dict]:
    return {e["path"]: e for e in json.loads((out / "manifest.json").read_text())["artifacts"]}


def test_site_has_an_index_and_a_page_per_council_and_leaflet(built: Path) -> None:
    entries = manifest(built)
    pairs = {(e["authority"], e["leaflet"]) for e in entries.values()}
    assert len(pairs) == 5
    pages = site_pages(built)
    assert built / "site" / "index.html" in pages
    for authority, leaflet in pairs:
        assert built / "site" / authority / leaflet / "index.html" in pages
    assert len(pages) == len(pairs) + 1


def check_structure(html: bytes, where: str) -> None:
    """Strict HTML, English page language, one h1, no skipped heading level, landmarks."""
    doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(html)
    assert doc.get("lang") == "en", where
    assert len(doc.findall(".//h:h1", NS)) == 1, where
    levels = [int(e.tag[-1]) for e in doc.iter() if e.tag[-2:-1] == "h" and e.tag[-1].isdigit()
              and e.tag.startswith("{http://www.w3.org/1999/xhtml}h")]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), (where, levels)
    for landmark in ("header", "main", "footer"):
        assert len(doc.findall(f".//h:{landmark}", NS)) == 1, (where, landmark)
    assert doc.find(".//h:title", NS).text.strip(), where


def test_site_pages_are_strict_html_with_one_h1_and_landmarks(built: Path) -> None:
    for page in site_pages(built):
        check_structure(page.read_bytes(), str(page))


def test_every_link_resolves_to_a_file_the_manifest_lists(built: Path) -> None:
    entries = manifest(built)
    artifact_links = 0
    for page in site_pages(built):
        for a in parse(page).iterfind(".//h:a", NS):
            href = a.get("href")
            assert href and not urlparse(href).scheme, f"{page}: external or empty link {href!r}"
            target = (page.parent / unquote(href.split("#")[0])).resolve() if href.split("#")[0] \
                else page
            assert target.is_file(), f"{page}: {href} does not exist"
            relative = target.relative_to(built.resolve()).as_posix()
            if not relative.startswith("site/"):
                assert relative in entries, f"{page}: {href} is not in the manifest"
                artifact_links += 1
    assert artifact_links == len(entries)  # every artifact is offered, exactly once


def test_each_download_says_what_it_is(built: Path) -> None:
    page = built / "site" / "bolton" / "child-protection-conference" / "index.html"
    doc = parse(page)
    entries = manifest(built)
    sections = doc.findall(".//h:section[@class='language']", NS)
    assert [s.get("data-lang") for s in sections] == list(LANGUAGES)
    for section in sections:
        lang = section.get("data-lang")
        heading = section.find(".//h:h3/h:span", NS)
        assert heading.get("lang") == lang and heading.text == LANGUAGES[lang].native_name
        assert heading.get("dir") == LANGUAGES[lang].dir
        h3_text = "".join(section.find(".//h:h3", NS).itertext())
        assert LANGUAGES[lang].english_name in h3_text
        status = "".join(next(p for p in section.iterfind(".//h:p", NS)
                              if "status" in (p.get("class") or "")).itertext())
        expected = {"en": "Original English"}.get(lang, "Draft translation, not yet checked")
        assert status.startswith(expected), (lang, status)
        for li in section.iterfind(".//h:li", NS):
            a = li.find("h:a", NS)
            path = (page.parent / a.get("href")).resolve().relative_to(built.resolve()).as_posix()
            entry = entries[path]
            fmt = FORMATS[entry["format"]]
            assert a.get("hreflang") == lang and a.get("type") == fmt.media_type
            size = li.find("h:span[@class='meta']", NS).text
            assert size.split()[-1] in ("bytes", "KB", "MB")
            text = "".join(a.itertext())
            if fmt.name == "large-print-pdf":
                assert text.startswith("Large print PDF, 18 point")
            if fmt.name == "brf":
                assert text.startswith("Braille (BRF, for embossers)")
            if fmt.name == "mp3":  # Bolton's English audio is about 10 minutes (test_audio)
                minutes = int(text.split("about ")[1].split()[0])
                assert 8 <= minutes <= 16, text
    braille_langs = {s.get("data-lang") for s in sections if "brf" in s.get("data-formats").split()}
    # no table (Albanian, Somali...) or only 8-dot ones (Romanian): not offered
    assert braille_langs == {code for code in LANGUAGES if LANGUAGES[code].braille_table}


def test_a_build_of_one_language_keeps_the_others_on_the_site(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    out = tmp_path / "out"
    assert run("--project", project, "build", "--out", out, "--format", "txt").exit_code == 0
    page = next((out / "site").rglob("*/index.html"))
    before = page.read_text()
    assert run("--project", project, "build", "--out", out, "--format", "html").exit_code == 0
    after = page.read_text()
    assert "Text only" in before and "Text only" in after and "Web page (HTML)" in after


def test_text_from_content_is_escaped_on_the_site(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    leaflet = next((project / "leaflets").rglob("leaflet.yaml"))
    text = leaflet.read_text()
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    leaflet.write_text(text.replace(title_line, 'title: "<script>alert(1)</script> & <b>x</b>"'))
    out = tmp_path / "out"
    result = run("--project", project, "build", "--out", out, "--format", "txt")
    assert result.exit_code == 0, result.output
    for page in site_pages(out):
        doc = parse(page)
        assert not doc.findall(".//h:script", NS) and not doc.findall(".//h:b", NS)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in \
        next((out / "site").rglob("*/index.html")).read_text()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    driver = chrome()
    yield driver
    driver.quit()


def test_every_site_page_passes_axe_at_desktop_and_320px(built: Path, browser) -> None:  # type: ignore[no-untyped-def]
    failures = []
    for width in (1000, 320):
        browser.set_window_size(width, 900)
        for page in site_pages(built):
            browser.get(page.as_uri())
            violations = axe_violations(browser)
            if violations:
                failures.append(f"{page} at {width}px:\n{described(violations)}")
            if width == 320:  # reflow: nothing scrolls sideways at 320 CSS px (WCAG 1.4.10)
                scroll, inner = browser.execute_script(
                    "return [document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll <= inner, f"{page}: {scroll}px wide at {inner}px"
    assert not failures, "\n".join(failures)


def test_site_at_200_percent_zoom_still_reflows(built: Path, browser) -> None:  # type: ignore[no-untyped-def]
    browser.set_window_size(1000, 900)
    page = built / "site" / "bolton" / "child-protection-conference" / "index.html"
    browser.get(page.as_uri())
    browser.execute_script("document.body.style.zoom = '200%'")
    scroll, inner = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner


def test_filter_works_without_javascript(built: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    driver = chrome(javascript=False)
    try:
        page = built / "site" / "bolton" / "child-protection-conference" / "index.html"
        driver.get(page.as_uri())

        def shown() -> list[tuple[str, str]]:
            return [(li.find_element(By.XPATH, "ancestor::section").get_attribute("data-lang"),
                     li.get_attribute("data-format"))
                    for li in driver.find_elements(By.CSS_SELECTOR, "li.download") if li.is_displayed()]
        everything = shown()
        assert len(everything) == len(manifest(built)) // 5
        driver.find_element(By.CSS_SELECTOR, "label[for='lang-ur']").click()
        assert {lang for lang, _ in shown()} == {"ur"} and len(shown()) == len(FORMATS)
        driver.find_element(By.CSS_SELECTOR, "label[for='format-mp3']").click()
        assert shown() == [("ur", "mp3")]
        driver.find_element(By.CSS_SELECTOR, "label[for='lang-all']").click()
        assert sorted(shown()) == sorted((lang, "mp3") for lang in LANGUAGES
                                         if LANGUAGES[lang].voice)
        driver.find_element(By.CSS_SELECTOR, "label[for='format-brf']").click()
        visible_sections = [s.get_attribute("data-lang") for s in
                            driver.find_elements(By.CSS_SELECTOR, "section.language") if s.is_displayed()]
        assert sorted(visible_sections) == sorted(c for c in LANGUAGES if LANGUAGES[c].braille_table)
    finally:
        driver.quit()


def test_keyboard_focus_is_visible_on_the_site(built: Path, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.keys import Keys
    browser.set_window_size(1000, 900)
    page = built / "site" / "bolton" / "child-protection-conference" / "index.html"
    browser.get(page.as_uri())
    body = browser.find_element("tag name", "body")
    body.send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "skip" and active.is_displayed()
    for _ in range(4):
        active.send_keys(Keys.TAB)
        active = browser.switch_to.active_element
        outline = browser.execute_script(
            "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth]",
            active)
        assert outline[0] != "none" and outline[1] != "0px", (active.tag_name, outline)


def test_site_after_joining_shards_equals_the_whole_builds(tmp_path: Path) -> None:
    import shutil
    from tests.test_build import TEXT_FORMATS, two_councils
    project = two_councils(tmp_path)
    whole, joined = tmp_path / "whole", tmp_path / "joined"
    assert run("--project", project, "build", *TEXT_FORMATS, "--out", whole).exit_code == 0
    for k in (1, 2):
        shard = tmp_path / f"shard{k}"
        result = run("--project", project, "build", *TEXT_FORMATS, "--shard", f"{k}/2", "--out", shard)
        assert result.exit_code == 0
        shutil.copytree(shard, joined, dirs_exist_ok=True)
    assert run("merge-manifests", tmp_path / "shard1/manifest.json", tmp_path / "shard2/manifest.json",
               "-o", joined / "manifest.json").exit_code == 0
    result = run("--project", project, "site", "--out", joined)
    assert result.exit_code == 0 and "wrote 4 site files" in result.output

    def site(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "site").rglob("*")
                if p.is_file()}
    assert site(joined) == site(whole) and len(site(whole)) == 4


def test_the_site_says_what_a_language_cannot_have_and_why(built: Path) -> None:
    """Somali, Pashto and Tigrinya have no braille table and no voice here: their
    sections say so in plain words, and offer no such download."""
    from leafgen.languages import LANGUAGES
    import html
    page = html.unescape((built / "site" / "bolton" / "child-protection-conference" /
                          "index.html").read_text())
    for code in ("so", "ps", "ti", "sq", "ro"):
        section = page[page.index(f'class="language" data-lang="{code}"'):]
        section = section[:section.index("</section>")]
        language = LANGUAGES[code]
        assert language.no_braille in section and ".brf" not in section
        if language.voice is None:
            assert language.no_voice in section and ".mp3" not in section
    english = page[page.index('class="language" data-lang="en"'):]
    assert "not made" not in english[:english.index("</section>")]
