"""`leafgen serve`: the form, its errors and its result, in a real browser with axe-core;
a keyboard-only journey to a personalised zip; CSRF, limits, "busy", and no personal data
left on disk or in the server's log."""
from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from leafgen.serve import MAX_POST, create_app
from tests.browser import axe_violations, chrome, described
from tests.conftest import REPO
from tests.test_pack import files_containing, pdf_text, places_personal_data_could_go

LEAFLET = "child-protection-conference"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The real `leafgen serve` command on 127.0.0.1, its output kept in a log file."""

    def __init__(self, log: Path, max_renders: int = 2, wrapper: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.wrapped = bool(wrapper)
        self.process = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "leafgen", "--project", str(REPO), "serve", "--port",
             str(self.port), "--max-renders", str(max_renders)],
            stdout=log.open("wb"), stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(log.read_text())

    def children(self, pid: int | None = None) -> set[int]:
        found = set()
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                if f"PPid:\t{pid or self.process.pid}\n" in status.read_text():
                    found.add(int(status.parent.name))
            except OSError:
                pass
        return found

    def stop(self) -> None:
        """Stop it as a service manager would (SIGTERM); its render workers must end too.
        (Under a wrapper such as strace, the server is the wrapper's child.)"""
        served = self.process.pid if not self.wrapped else min(self.children())
        workers = self.children(served)
        os.kill(served, signal.SIGTERM)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in workers if running(pid)]
        assert not left, f"render workers {left} outlived the server"


def running(pid: int) -> bool:
    """Alive and not a zombie (a process that ends while it is looked at has ended)."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built: Path) -> Iterator[Server]:
    # `built` first: it fills the speech cache, so packs with audio are warm
    s = Server(tmp_path_factory.mktemp("serve") / "server.log")
    yield s
    s.stop()


@pytest.fixture()
def client():  # type: ignore[no-untyped-def]
    app = create_app(REPO, max_renders=1)
    yield app.test_client()
    app.extensions["leafgen_pool"].shutdown()


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


FORM = {"authority": "barnet", "leaflet": LEAFLET, "lang": ["en"], "format": ["txt"]}


def test_form_lists_choices_and_sets_safe_headers(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "London Borough of Barnet" in html
    assert '<span lang="ur" dir="rtl">اردو</span> (Urdu)' in html
    assert r.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert 'method="post"' in html and token(html)


def test_app_pages_are_strict_html_with_one_h1_and_landmarks(client) -> None:  # type: ignore[no-untyped-def]
    from tests.test_site import check_structure
    form = client.get("/")
    check_structure(form.data, "form")
    t = token(form.get_data(as_text=True))
    check_structure(client.post("/pack", data={"csrf_token": t}).data, "error")
    check_structure(client.post("/pack", data={**FORM, "csrf_token": t}).data, "result")
    check_structure(client.get("/nowhere").data, "404")


def test_posts_without_a_csrf_token_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/")
    r = client.post("/pack", data=FORM)
    assert r.status_code == 400 and "Please send the form again" in r.get_data(as_text=True)
    r = client.post("/pack", data={**FORM, "csrf_token": "forged"})
    assert r.status_code == 400


def test_invalid_choices_come_back_with_every_problem(client) -> None:  # type: ignore[no-untyped-def]
    t = token(client.get("/").get_data(as_text=True))
    r = client.post("/pack", data={"csrf_token": t, "authority": "nowhere", "leaflet": LEAFLET,
                                   "lang": ["sq"], "format": ["brf"],
                                   "social_worker_phone": "12", "chair_name": "a\u202eb"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "There is a problem" in html
    assert "Unknown council &#39;nowhere&#39;" in html
    assert "cannot be made in Albanian" in html
    assert 'id="social_worker_phone-error"' in html and 'aria-invalid="true"' in html
    assert "Must not contain control or text-direction characters" in html
    assert 'value="12"' in html  # what was typed is kept in the form for correcting


def test_typed_markup_is_escaped_and_ids_cannot_name_paths(client) -> None:  # type: ignore[no-untyped-def]
    import html5lib
    t = token(client.get("/").get_data(as_text=True))
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    r = client.post("/pack", data={"csrf_token": t, "authority": "../../etc/passwd",
                                   "leaflet": "/etc/hosts", "lang": ["../en"], "format": ["txt"],
                                   "social_worker_name": evil, "chair_phone": evil})
    assert r.status_code == 400
    doc = html5lib.parse(r.data, namespaceHTMLElements=False)
    assert not doc.findall(".//script") and not doc.findall(".//img")
    assert not [e for e in doc.iter() if any(a.startswith("on") for a in e.attrib)]
    assert doc.find(".//input[@id='social_worker_name']").get("value") == evil  # kept as text
    html = r.get_data(as_text=True)
    for refused in ("Unknown council &#39;../../etc/passwd&#39;", "Unknown leaflet &#39;/etc/hosts&#39;",
                    "Unknown language &#39;../en&#39;"):
        assert refused in html
    # The same name, accepted, is text in every file of the pack (html escapes it).
    r = client.post("/pack", data={**FORM, "format": ["html"], "csrf_token": t,
                                   "social_worker_name": evil})
    download = re.search(r'name="token" value="([^"]+)"', r.get_data(as_text=True)).group(1)
    z = zipfile.ZipFile(io.BytesIO(client.post(
        "/download", data={"csrf_token": t, "token": download}).data))
    page = html5lib.parse(z.read(f"en/{LEAFLET}.html"), namespaceHTMLElements=False)
    assert not page.findall(".//script") and not page.findall(".//img")
    assert evil in "".join(page.find(".//body").itertext())


def test_oversized_and_malformed_posts_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    t = token(client.get("/").get_data(as_text=True))
    r = client.post("/pack", data={**FORM, "csrf_token": t, "chair_name": "x" * (MAX_POST + 1)})
    assert r.status_code == 413 and "Too much text" in r.get_data(as_text=True)
    r = client.post("/pack", data=b"\xff\x00garbage", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert client.get("/pack").status_code == 405
    assert client.post("/download", data={"csrf_token": t, "token": "nope"}).status_code == 410


def test_a_pack_is_downloaded_once(client) -> None:  # type: ignore[no-untyped-def]
    t = token(client.get("/").get_data(as_text=True))
    r = client.post("/pack", data={**FORM, "csrf_token": t, "social_worker_name": "Kim Lee"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Your pack is ready" in html and "Kim Lee" not in html
    download = re.search(r'name="token" value="([^"]+)"', html).group(1)
    r = client.post("/download", data={"csrf_token": t, "token": download})
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "barnet-child-protection-conference-pack.zip" in r.headers["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(r.data))
    assert sorted(z.namelist()) == ["README-en.txt", f"en/{LEAFLET}.txt"]
    assert "Kim Lee" in z.read(f"en/{LEAFLET}.txt").decode()
    assert client.post("/download", data={"csrf_token": t, "token": download}).status_code == 410


def wait_for_title(driver, title: str, seconds: float = 120) -> str:  # type: ignore[no-untyped-def]
    """The main text of the page once its title is `title` (or whatever came instead)."""
    deadline = time.monotonic() + seconds
    while driver.title != title and time.monotonic() < deadline:
        time.sleep(0.1)
    return driver.find_element(By.TAG_NAME, "main").text


def test_form_error_and_result_pages_pass_axe(server: Server) -> None:
    driver = chrome()
    try:
        failures = []
        for width in (1000, 320):
            driver.set_window_size(width, 900)
            driver.get(server.url + "/")
            failures += [f"form {width}px:\n" + described(v) for v in [axe_violations(driver)] if v]
            driver.find_element(By.ID, "social_worker_phone").send_keys("123")
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            assert "There is a problem" in wait_for_title(driver, "Error: Make a family pack")
            failures += [f"error {width}px:\n" + described(v) for v in [axe_violations(driver)] if v]
            driver.find_element(By.ID, "social_worker_phone").clear()
            driver.find_element(By.CSS_SELECTOR, "label[for='lang-en']").click()
            driver.find_element(By.CSS_SELECTOR, "label[for='format-txt']").click()
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            main = wait_for_title(driver, "Your pack is ready")
            assert main.startswith("Your pack is ready"), main
            failures += [f"result {width}px:\n" + described(v) for v in [axe_violations(driver)] if v]
            scroll, inner = driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner
        assert not failures, "\n".join(failures)
    finally:
        driver.quit()


def test_keyboard_only_journey_gives_the_personalised_zip(server: Server, tmp_path: Path) -> None:
    marker = f"Quinn{uuid.uuid4().hex[:10]}"
    since = time.time() - 1
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = chrome(downloads=downloads)
    try:
        driver.get(server.url + "/")

        def tab_to(element_id: str) -> None:
            for _ in range(60):
                driver.switch_to.active_element.send_keys(Keys.TAB)
                if driver.switch_to.active_element.get_attribute("id") == element_id:
                    return
            raise AssertionError(f"Tab never reached #{element_id}")

        def press(key: str) -> None:
            driver.switch_to.active_element.send_keys(key)

        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # the skip link first
        assert driver.switch_to.active_element.get_attribute("class") == "skip"
        tab_to("authority")
        press("London Borough of Barnet")  # typing selects in a native select
        tab_to("lang-ur")
        press(Keys.SPACE)
        tab_to("lang-en")
        press(Keys.SPACE)
        tab_to("format-large-print-pdf")
        press(Keys.SPACE)
        tab_to("format-mp3")
        press(Keys.SPACE)
        tab_to("social_worker_name")
        press(f"Ann {marker}")
        tab_to("social_worker_phone")
        press("07700 900456")
        tab_to("conference_place")
        press("Room 5")
        press(Keys.ENTER)
        main = wait_for_title(driver, "Your pack is ready")
        assert main.startswith("Your pack is ready"), main
        assert marker not in driver.page_source
        button = driver.find_element(By.CSS_SELECTOR, "form[action='/download'] button")
        for _ in range(30):
            driver.switch_to.active_element.send_keys(Keys.TAB)
            if driver.switch_to.active_element == button:
                break
        assert driver.switch_to.active_element == button
        press(Keys.ENTER)
        deadline = time.monotonic() + 60
        while not list(downloads.glob("*.zip")) and time.monotonic() < deadline:
            time.sleep(0.2)
        [zip_path] = list(downloads.glob("*.zip"))
        assert zip_path.name == "barnet-child-protection-conference-pack.zip"
    finally:
        driver.quit()
    z = zipfile.ZipFile(zip_path)
    assert sorted(z.namelist()) == sorted([
        "README-en.txt", "README-ur.txt", f"en/{LEAFLET}.large-print.pdf", f"en/{LEAFLET}.mp3",
        f"ur/{LEAFLET}.large-print.pdf", f"ur/{LEAFLET}.mp3"])
    for lang in ("en", "ur"):
        text = pdf_text(z.read(f"{lang}/{LEAFLET}.large-print.pdf"), tmp_path)
        assert f"Ann {marker}" in text and "07700 900456" in text and "Room 5" in text
    leaks = files_containing(marker, places_personal_data_could_go(), since,
                             skip={zip_path, tmp_path / "x.pdf"})
    assert leaks == []
    assert marker not in server.log.read_text(errors="replace")


def _rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (the render workers), in KB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if status.parent.name == str(pid) or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total


def test_fifty_concurrent_packs_get_a_pack_or_a_clear_busy(tmp_path: Path, built: Path) -> None:
    """A bounded load on 127.0.0.1: 50 requests at once, each GET the form then POST a pack;
    2 renders at a time; everything answered within the time limit, no errors."""
    import http.cookiejar
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    s = Server(tmp_path / "server.log", max_renders=2)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_kb(s.process.pid))
            time.sleep(0.1)

    def one(n: int) -> tuple[int, str, str | None]:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = opener.open(s.url + "/", timeout=60).read().decode()
        body = urllib.parse.urlencode({"csrf_token": token(form), "authority": "bolton",
                                       "leaflet": LEAFLET, "lang": "en", "format": "pdf",
                                       "social_worker_name": f"Load {n}"}).encode()
        try:
            r = opener.open(s.url + "/pack", data=body, timeout=120)
            return r.status, r.read().decode(), None
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("Retry-After")

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    deadline = time.monotonic() + 30
    while len(s.children()) < 2 and time.monotonic() < deadline:  # workers start with the server
        time.sleep(0.1)
    assert len(s.children()) >= 2
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(one, range(50)))
    finally:
        done.set()
        s.stop()
    elapsed = time.monotonic() - started
    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 2 and statuses.count(503) >= 1, statuses
    for status, html, retry in results:
        if status == 200:
            assert "Your pack is ready" in html
        else:
            assert "Busy: please try again" in html and retry == "30"
    assert elapsed < 120
    assert peak[0] < 3_000_000, f"server and workers used {peak[0] / 1000:.0f} MB"
    log = s.log.read_text(errors="replace")
    assert "Traceback" not in log and "Load 1" not in log
    print(f"50 requests in {elapsed:.1f} s: {statuses.count(200)} packs, "
          f"{statuses.count(503)} busy; peak memory {peak[0] / 1000:.0f} MB")


def test_only_this_computers_names_are_answered(client) -> None:  # type: ignore[no-untyped-def]
    """DNS rebinding: a page on evil.example that resolves its name to 127.0.0.1 reaches
    the app with Host: evil.example; it gets a refusal, not the form."""
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "evil.example:8080"}).status_code == 400
    for host in ("127.0.0.1:8080", "localhost:8080", "localhost"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    refused = client.get("/", headers={"Host": "evil.example"})
    assert refused.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]


@pytest.mark.parametrize("field, value, message", [
    ("chair_name", "Ann\u2028Chair's telephone: 0800 000 0000", "must not contain control"),
    ("chair_name", "Ann \ue000", "must not contain control"),
    ("chair_name", "Ann \U000e0041", "must not contain control"),
    ("chair_name", "Ann \ufdd0", "must not contain control"),
    ("conference_place", "Room\t2", "must not contain control"),
    ("social_worker_phone", "07700 9\u09ea0123", "digits 0 to 9"),
    ("social_worker_phone", "\uff10\uff17700 900123", "digits 0 to 9"),
    ("chair_phone", "0161 \u0664\u0669\u0666 0000", "digits 0 to 9"),
])
def test_typed_fields_are_as_strict_as_content(client, field: str, value: str,  # type: ignore[no-untyped-def]
                                               message: str) -> None:
    t = token(client.get("/").get_data(as_text=True))
    r = client.post("/pack", data={**FORM, "csrf_token": t, "social_worker_name": "Kept Name",
                                   field: value})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html.lower()
    summary = re.findall(r'<li><a href="#[^"]+">(.*?)</a></li>', html)
    assert summary and not any(value in line for line in summary)  # the
    # refusal names the field, never the value (the field keeps what was typed, to be mended)
    assert 'value="Kept Name"' in html  # the rest of the form is kept


def test_invalid_utf8_is_a_field_error_and_the_form_is_kept(client) -> None:  # type: ignore[no-untyped-def]
    t = token(client.get("/").get_data(as_text=True))
    body = (f"authority=barnet&leaflet={LEAFLET}&lang=en&format=txt&csrf_token={t}"
            "&social_worker_name=Kept+Name&chair_name=Ann%FF%FE").encode()
    r = client.post("/pack", data=body, content_type="application/x-www-form-urlencoded")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "is not valid text: it was not sent as utf-8" in html.lower()
    assert 'value="Kept Name"' in html and "%FF" not in html


def test_the_app_survives_a_dead_worker_and_recycles_after_details(tmp_path: Path) -> None:
    """A killed render worker costs one pack at most; after a pack with a family's
    details the workers that saw them are replaced."""
    app = create_app(REPO, max_renders=1)
    pool = app.extensions["leafgen_pool"]
    client = app.test_client()
    try:
        pool.start()
        first = set(pool._executor._processes)  # type: ignore[union-attr]
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        t = token(client.get("/").get_data(as_text=True))
        r = client.post("/pack", data={**FORM, "csrf_token": t})
        assert r.status_code == 200, r.get_data(as_text=True)
        before = set(pool._executor._processes)  # type: ignore[union-attr]
        assert not before & first
        r = client.post("/pack", data={**FORM, "csrf_token": t, "chair_name": "Ann Chair"})
        assert r.status_code == 200
        deadline = time.monotonic() + 30
        while pool._executor is not None and time.monotonic() < deadline:  # recycled
            time.sleep(0.1)
        assert pool._executor is None
        r = client.post("/pack", data={**FORM, "csrf_token": t})
        assert r.status_code == 200
        assert not before & set(pool._executor._processes)  # type: ignore[union-attr]
    finally:
        pool.shutdown()


def test_a_web_pack_with_details_writes_nothing_and_errors_keep_their_headers(
        tmp_path: Path, built: Path) -> None:
    """The real server under strace: a pack with every family detail, in mp3, docx, PDF
    and braille, made and downloaded (a response of several MB, which waitress would
    spool to a temporary file by default), writes no file at all; and a form too large
    for the app gets its own page and headers."""
    from http.cookiejar import CookieJar
    from urllib.error import HTTPError
    from urllib.parse import urlencode
    from urllib.request import HTTPCookieProcessor, build_opener

    from tests.test_pack import WATCHED, written_files
    trace = tmp_path / "strace.log"
    server = Server(tmp_path / "server.log", max_renders=1,
                    wrapper=("strace", "-f", "-qq", "-o", str(trace), "-e", WATCHED))
    try:
        browser = build_opener(HTTPCookieProcessor(CookieJar()))
        t = token(browser.open(server.url + "/", timeout=60).read().decode())
        fields = {"social_worker_name": "Sam Webwatch", "social_worker_phone": "07700 900123",
                  "chair_name": "Ali Chair", "chair_phone": "0161 496 0000",
                  "conference_date": "Tuesday 3 March", "conference_place": "Room 2, Town Hall"}
        form = [("csrf_token", t), ("authority", "barnet"), ("leaflet", LEAFLET),
                ("lang", "en"), ("lang", "ur"), *[("format", f) for f in
                                                  ("mp3", "docx", "large-print-pdf", "brf")],
                *fields.items()]
        result = browser.open(server.url + "/pack", urlencode(form).encode(), timeout=600).read().decode()
        download = re.search(r'name="token" value="([^"]+)"', result).group(1)
        data = browser.open(server.url + "/download",
                            urlencode({"csrf_token": t, "token": download}).encode(), timeout=60).read()
        assert len(data) > 2_000_000
        z = zipfile.ZipFile(io.BytesIO(data))
        assert "Sam Webwatch" in "\n".join(p.text for p in __import__("docx").Document(
            io.BytesIO(z.read(f"en/{LEAFLET}.docx"))).paragraphs)
        with pytest.raises(HTTPError) as big:
            browser.open(server.url + "/pack", urlencode(
                [*form, ("chair_name", "x" * (2 * MAX_POST))]).encode(), timeout=60)
        assert big.value.code == 413 and "Too much text" in big.value.read().decode()
        assert "frame-ancestors 'none'" in big.value.headers["Content-Security-Policy"]
    finally:
        server.stop()
    assert written_files(trace) == set()


def test_waitress_own_errors_carry_the_headers(tmp_path: Path) -> None:
    """A malformed request line, and a body far beyond the form's limit, are answered by
    waitress, not the app: with the same security headers."""
    server = Server(tmp_path / "server.log", max_renders=1)
    try:
        answers = []
        for request in (b"NOT A REQUEST\r\n\r\n",
                        b"POST /pack HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                        b"application/x-www-form-urlencoded\r\nContent-Length: "
                        + str(2 ** 30).encode() + b"\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
                s.sendall(request)
                answers.append(s.recv(65536).decode("latin-1"))
        assert answers[0].startswith("HTTP/1.0 400") or answers[0].startswith("HTTP/1.1 400")
        assert " 413 " in answers[1].split("\r\n")[0]
        for answer in answers:
            head = answer.split("\r\n\r\n")[0]
            assert "Cache-Control: no-store" in head
            assert "frame-ancestors 'none'" in head and "X-Content-Type-Options: nosniff" in head
    finally:
        server.stop()
