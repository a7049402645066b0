"""`leafgen preview` in a real browser: README "Preview as you edit", run as written on a
copy of the repository's content; a broken file's problems and the leaflet's return; the
languages' figures; the plain-English panel; the print PDFs; nothing written; Ctrl-C."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver import Chrome

from leafgen import plain
from leafgen.pipeline import Project, Selection
from tests.browser import chrome
from tests.conftest import REPO, make_project
from tests.test_journeys import readme_commands, replace_in
from tests.test_pack import WATCHED, written_files

pytestmark = pytest.mark.skipif(not Path(sys.prefix).joinpath("bin/leafgen").exists(),
                                reason="needs the suite's virtualenv")

LEAFLET = "leaflets/child-protection-conference/leaflet.yaml"
SENTENCE = "Your views matter."
FRAME_TEXT = ("const f = document.querySelector('iframe');"
              "return f && f.contentDocument && f.contentDocument.body"
              " ? f.contentDocument.body.innerText : '';")
PAGE_TEXT = "return document.body.innerText;"


class Preview:
    """A `leafgen preview` command started in its own process group (as a terminal runs
    it, so Ctrl-C reaches all of it), and the address it printed."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True,
                                        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.fullmatch(r"preview: (http://127\.0\.0\.1:(\d+)/)\n", line)
        assert found, (line, self.process.stderr.read() if self.process.poll() is not None else "")
        self.url, self.port = found.group(1), int(found.group(2))

    def ctrl_c(self) -> tuple[int, str, str]:
        os.killpg(self.process.pid, signal.SIGINT)
        out, err = self.process.communicate(timeout=20)
        return self.process.returncode, out, err

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()


@pytest.fixture(scope="module")
def driver() -> Iterator[Chrome]:
    d = chrome(width=1000, height=900)
    try:
        yield d
    finally:
        d.quit()


def wait_for(driver: Chrome, check: Callable[[], bool], seconds: float = 5) -> float:
    """Seconds until check() holds (the page reloads meanwhile, by itself: a script run
    while it does may fail, and is tried again)."""
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except WebDriverException:
            pass
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds} s; the page says:\n"
                                 + driver.execute_script(PAGE_TEXT)[-2000:])
        time.sleep(0.02)


def frame_text(driver: Chrome) -> str:
    return str(driver.execute_script(FRAME_TEXT))


def page_text(driver: Chrome) -> str:
    return str(driver.execute_script(PAGE_TEXT))


def listening_address(port: int) -> str:
    """The address a socket listens on at this port (Linux: /proc/net/tcp and tcp6)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                return address
    raise AssertionError(f"nothing listens on port {port}")


def get(url: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def content_copy(dest: Path) -> Path:
    """The repository's content, with two translations (enough for the switcher, and
    quick to count), and the suite's virtualenv as .venv/ (the README's commands use it)."""
    for name in ("leaflets", "authorities"):
        shutil.copytree(REPO / name, dest / name)
    (dest / "translations").mkdir()
    for name in ("leafgen.pot", "glossary.yaml", "ur.po", "cy.po"):
        shutil.copy(REPO / "translations" / name, dest / "translations" / name)
    (dest / ".venv").symlink_to(Path(sys.prefix))
    return dest


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).parts[0] == ".venv"}


def test_readme_preview_as_you_edit(driver: Chrome, tmp_path: Path) -> None:
    """The README's command, with --port 0 (any free port) added: the page follows each
    save without being reloaded by the test, shows a broken file's problem at its
    file:line and the leaflet again once fixed; lists the languages with their figures;
    has `leafgen check`'s warnings in English; makes the PDFs; writes nothing; Ctrl-C."""
    project = content_copy(tmp_path / "p")
    [command] = readme_commands("Preview as you edit")
    before = tree(project)
    preview = Preview(shlex.split(command) + ["--port", "0"], project)
    try:
        assert listening_address(preview.port) in ("0100007F", "00000000000000000000FFFF0100007F")
        driver.get(preview.url)
        wait_for(driver, lambda: SENTENCE in frame_text(driver))
        assert "Bolton Council" in frame_text(driver)

        leaflet, latencies = project / LEAFLET, []
        for n in range(3):  # each save shows, without the test reloading the page
            new = f"Your views matter, edit {n}."
            text = leaflet.read_text(encoding="utf-8")
            replace_in(leaflet, SENTENCE if n == 0 else f"Your views matter, edit {n - 1}.", new)
            latencies.append(wait_for(driver, lambda: new in frame_text(driver)))
        print(f"save to page: {', '.join(f'{s:.2f}' for s in latencies)} s")

        bad_indent = text.replace("\n  - id: ", "\n - id: ", 1)
        leaflet.write_text(bad_indent, encoding="utf-8")
        wait_for(driver, lambda: f"{LEAFLET}:" in page_text(driver))
        shown = page_text(driver)
        assert re.search(rf"{re.escape(LEAFLET)}:\d+: error: YAML syntax", shown), shown
        assert "Traceback" not in shown and not driver.execute_script(
            "return document.querySelector('iframe')")
        leaflet.write_text(text.replace("Your views matter, edit 1.", "Fixed again."),
                           encoding="utf-8")
        wait_for(driver, lambda: "Fixed again." in frame_text(driver))

        # the switcher: each language, with the share of this leaflet `leafgen status` gives
        [urdu] = Project(project).documents(Selection(("bolton",), (), ("ur",)))
        assert urdu.percent_translated is not None and urdu.percent_translated < 100  # edited
        wait_for(driver, lambda: f"(Urdu) {urdu.percent_translated}% translated"
                 in page_text(driver), seconds=30)
        assert "English source" in page_text(driver) and "(Welsh) " in page_text(driver)

        # English: `leafgen check`'s warnings for this council's leaflet, in a closed panel
        [english] = Project(project).documents(Selection(("bolton",), (), ("en",)))
        expected = plain.findings(plain.written_texts([english]))
        assert expected and all(f.where.startswith(("authorities/bolton.yaml:", "leaflets/"))
                                for f in expected)
        summary = driver.execute_script("return document.querySelector('#plain summary').innerText")
        assert f"{len(expected)} warnings" in summary
        panel = driver.execute_script("return document.querySelector('#plain').textContent")
        assert all(f"{f.where}: {f.message}" in panel for f in expected)

        # Urdu, chosen on the page: no panel (the checks are of English)
        driver.find_element("css selector", "a[href='/?lang=ur']").click()
        wait_for(driver, lambda: "Bolton" in frame_text(driver)
                 and driver.execute_script("return document.documentElement.lang") == "en"
                 and driver.execute_script(
                     "return document.querySelector('iframe').contentDocument.documentElement.lang")
                 == "ur")
        assert not driver.execute_script("return document.getElementById('plain')")

        # every answer is for the files as they are now; only this computer's names answered
        for path in ("", "leaflet.html?lang=ur", "languages"):
            status, headers, _ = get(preview.url + path)
            assert status == 200 and headers["Cache-Control"] == "no-store", path
        assert get(preview.url, host=f"attacker.example:{preview.port}")[0] == 400

        # the large print PDF, made when asked
        status, headers, body = get(preview.url + "file/large-print-pdf?lang=en")
        assert status == 200 and headers["Content-Type"] == "application/pdf"
        assert body.startswith(b"%PDF-") and headers["Cache-Control"] == "no-store"

        code, out, err = preview.ctrl_c()
        assert (code, out, err) == (0, "", "")
    finally:
        preview.stop()
    after = tree(project)
    assert sorted(after) == sorted(before)  # no output/, no cache: only the edited file changed
    assert {name for name in after if after[name] != before[name]} == {LEAFLET}


def test_problems_in_templates_and_fields_show_until_fixed(driver: Chrome, tmp_path: Path) -> None:
    """A project with its own templates: an error in a template is shown at the
    template's line, an unknown key at its line; each time the leaflet comes back."""
    project = make_project(tmp_path / "p")
    preview = Preview([str(Path(sys.prefix) / "bin/leafgen"), "--project", str(project),
                       "preview", "--authority", "testshire", "--port", "0"], project)
    try:
        driver.get(preview.url)
        wait_for(driver, lambda: "Testshire Council" in frame_text(driver))

        page = project / "templates/html/leaflet.html"
        good = page.read_text(encoding="utf-8")
        lines = good.splitlines(keepends=True)
        page.write_text("".join(lines[:4] + ["{% if %}\n"] + lines[4:]), encoding="utf-8")
        wait_for(driver, lambda: "templates/html/leaflet.html:5: error: html failed: "
                 "TemplateSyntaxError" in page_text(driver))
        page.write_text(good, encoding="utf-8")
        wait_for(driver, lambda: "Testshire Council" in frame_text(driver))

        council = project / "authorities/testshire.yaml"
        replace_in(council, "chair_title:", "chair_tittle:")
        wait_for(driver, lambda: "authorities/testshire.yaml:4: error: unknown key "
                 "'chair_tittle'" in page_text(driver))
        replace_in(council, "chair_tittle:", "chair_title:")
        wait_for(driver, lambda: "Testshire Council" in frame_text(driver))
        assert "Traceback" not in page_text(driver)
        code, out, err = preview.ctrl_c()
        assert (code, out, err) == (0, "", "")
    finally:
        preview.stop()


@pytest.mark.skipif(not shutil.which("strace"), reason="needs strace")
def test_the_preview_writes_no_file(tmp_path: Path) -> None:
    """Watched by strace (the preview and its counting process): a page, a change, its
    languages' figures and a PDF are made in memory; no file is opened for writing."""
    project = content_copy(tmp_path / "p")
    log = tmp_path / "strace.log"
    preview = Preview(["strace", "-f", "-qq", "-o", str(log), "-e", WATCHED,
                       str(Path(sys.prefix) / "bin/leafgen"), "--project", str(project), "preview",
                       "--authority", "barnet", "--port", "0"], project)
    try:
        assert b"Barnet" in get(preview.url + "leaflet.html")[2]
        replace_in(project / LEAFLET, SENTENCE, "Your views matter a lot.")
        deadline = time.monotonic() + 30
        while b"% translated" not in get(preview.url + "languages")[2] \
                or b"a lot." not in get(preview.url + "leaflet.html")[2]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert get(preview.url + "file/pdf?lang=en")[2].startswith(b"%PDF-")
        code, _, err = preview.ctrl_c()
        assert code == 0 and err == ""
    finally:
        preview.stop()
    assert written_files(log) == set()
