"""`leafgen preview`: a page on this computer showing one council's leaflet while its text
is being written. It watches the content, the options and the templates, and the page
updates itself a moment after a file is saved. A file that cannot be read shows its
problems (file:line, as `leafgen validate` prints them) instead of the leaflet, until it
is fixed.

Standard library only (http.server, threads, polling, Server-Sent Events): nothing more
to install. Nothing is written to disk: what the page shows is made in memory, for the
files as they are now, and forgotten when they change."""
from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import stat
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qs, urlsplit

import click
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateSyntaxError

from leafgen import plain
from leafgen.errors import ContentError, Problems
from leafgen.formats import FORMATS
from leafgen.i18n import translated_languages
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.model import Document
from leafgen.pipeline import Project, Selection, choose
from leafgen.pool import end_with_parent
from leafgen.project import DEFAULT_TEMPLATES, templates_folder

HOST = "127.0.0.1"  # only this computer: drafts are not for anyone else on the network
POLL = 0.2          # seconds between looks at the files (a save shows in about half a second)
# Counting every language's translation takes seconds of work, which would slow the page
# being waited for: it starts once the files have been left alone this long.
QUIET = 1.0         # seconds
KEEP_ALIVE = 15     # seconds: a comment on each event stream, so a closed tab's thread ends
PDFS = ("pdf", "large-print-pdf")  # the print editions the page links to, made when asked
WATCHED = ("leaflets", "authorities", "translations")  # besides leafgen.yaml and the templates

T = TypeVar("T")


def stamps(root: Path) -> dict[str, tuple[int, int, int]]:
    """Modification time, size and inode of every file the leaflet depends on (an editor
    that saves by renaming a new file over the old one changes the inode). Hidden files
    and backups~ are left out: editors rewrite their swap files while one types."""
    found = {}
    for folder in [root / name for name in WATCHED] + [templates_folder(root)]:
        for path in folder.rglob("*"):
            if any(p.startswith(".") for p in path.relative_to(folder).parts) or \
                    path.name.endswith(("~", ".swp")):
                continue
            found[str(path)] = path
    found[str(root / "leafgen.yaml")] = root / "leafgen.yaml"
    result = {}
    for name, path in found.items():
        try:
            st = path.stat()
        except OSError:  # deleted meanwhile, or never there (leafgen.yaml is optional)
            continue
        if stat.S_ISREG(st.st_mode):
            result[name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return result


@dataclass(frozen=True)
class Built:
    """The leaflet in one language, merged as `leafgen build` merges it."""
    doc: Document
    project: Project


@dataclass(frozen=True)
class Choice:
    """A language in the page's switcher."""
    code: str
    native: str
    english: str
    dir: str
    state: str  # "source", "97% translated", "has problems"; "" while being counted


class Preview:
    """What the watcher, the counter and the page's requests share. Each change seen in
    the files makes a new version; what was made for a version is kept until the next."""

    def __init__(self, root: Path, authority: str, leaflet: str, lang: str,
                 counter: Counter) -> None:
        self.root, self.authority, self.leaflet, self.lang = root, authority, leaflet, lang
        self.counter = counter
        self.changed = threading.Condition()  # notified on a new version or a new count
        self.version = 0
        self.counted = -1                     # the version the switcher's figures are of
        self.shown = lang                     # the language a page was last asked for in
        self.completeness: dict[str, str] = {}
        # One load or render at a time: they would only share the CPU (and Jinja and
        # WeasyPrint are not made to render in several threads at once).
        self._work = threading.RLock()
        self._made: dict[tuple[Any, ...], Any] = {}

    def _kept(self, version: int, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        with self._work:
            for old in [k for k in self._made if k[0] < self.version]:
                del self._made[old]
            if (version, *key) not in self._made:
                self._made[(version, *key)] = make()
            made: T = self._made[(version, *key)]
            return made

    def built(self, version: int, lang: str) -> Built | list[str]:
        return self._kept(version, ("doc", lang),
                          lambda: load(self.root, self.authority, self.leaflet, lang))

    def file(self, version: int, lang: str, fmt: str) -> bytes | list[str]:
        """The leaflet in a format, rendered as `leafgen build` renders it, or the problems."""
        def render() -> bytes | list[str]:
            built = self.built(version, lang)
            if isinstance(built, list):
                return built
            project = built.project
            try:
                return FORMATS[fmt].render(built.doc, project.templates, project.config)
            except Exception as e:  # as the build does: one broken format is reported, not raised
                return [render_problem(e, built, fmt)]
        return self._kept(version, ("file", lang, fmt), render)

    def warnings(self, version: int, built: Built) -> list[plain.Finding]:
        """`leafgen check`'s warnings for this council's leaflet (English only)."""
        return self._kept(version, ("check",),
                          lambda: plain.findings(plain.written_texts([built.doc])))

    def choices(self) -> list[Choice]:
        with self.changed:
            states = dict(self.completeness)
        return [Choice(code, LANGUAGES[code].native_name, LANGUAGES[code].english_name,
                       LANGUAGES[code].dir, states.get(code, ""))
                for code in translated_languages(self.root)]

    def prepare(self, version: int) -> None:
        """Make what the page will ask for, in the language last looked at, while the
        browser is still hearing of the change and reloading."""
        lang = self.shown
        built = self.built(version, lang)
        if isinstance(built, Built):
            self.file(version, lang, "html")
            if lang == SOURCE_LANGUAGE:
                self.warnings(version, built)

    def watch(self) -> None:
        """Look at the files' stamps every POLL seconds; any change makes a new version."""
        seen = stamps(self.root)
        self.prepare(0)  # the first page too (and textstat's first use takes seconds)
        while True:
            time.sleep(POLL)
            now = stamps(self.root)
            if now != seen:
                seen = now
                with self.changed:
                    self.version += 1
                    version = self.version
                    self.changed.notify_all()
                try:
                    self.prepare(version)
                except Exception:  # a fault of leafgen's (the page will say so): keep watching
                    traceback.print_exc()

    def count(self) -> None:
        """Keep the switcher's figures current, counted in a process of their own: seconds
        of work, which in this one would hold up the page being waited for after a save."""
        done = -1
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.version != done)
                version = self.version
            time.sleep(QUIET)
            if self.version != version:
                continue  # saved again meanwhile
            states = self.counter.count(self.root, self.authority, self.leaflet)
            if self.version == version:
                with self.changed:
                    self.completeness, self.counted = states, version
                    self.changed.notify_all()
                done = version


def load(root: Path, authority: str, leaflet: str, lang: str) -> Built | list[str]:
    """The council's leaflet in a language, or the problems that stop it, one a line."""
    project = Project(root)
    try:
        docs = project.documents(Selection((authority,), (leaflet,), (lang,)))
    except ContentError as e:
        return [str(p) for p in e.problems]
    except click.ClickException as e:  # a council, leaflet or language gone
        return [e.format_message()]
    return Built(docs[0], project) if docs else ["the leaflet could not be made"]


def completeness(root: Path, authority: str, leaflet: str) -> dict[str, str]:
    """How much of the council's leaflet each language has translated: the figure `leafgen
    status` gives per council and leaflet (Document.percent_translated). One language at a
    time, so that one broken translation file leaves the others' figures."""
    states = {}
    for lang in translated_languages(root):
        built = load(root, authority, leaflet, lang)
        percent = built.doc.percent_translated if isinstance(built, Built) else None
        states[lang] = ("has problems" if isinstance(built, list) else
                        "source" if percent is None else f"{percent}% translated")
    return states


def _counting(conn: Connection, parent: int) -> None:
    """The counting process: answers each (root, authority, leaflet) with completeness()."""
    end_with_parent(parent)  # it ends with the preview, however that ends
    os.nice(10)  # background work: the page being waited for, and the browser, come first
    while True:
        conn.send(completeness(*conn.recv()))


class Counter:
    """The process that counts. Made by run() before any thread is started, so that it
    can be forked (nothing to import again), and with Ctrl-C ignored: the terminal sends
    Ctrl-C to every process of the command, and the preview's own ending is the only
    one to see. A daemon: Python ends it when the preview ends."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, theirs = context.Pipe()
        before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the new process
        try:
            context.Process(target=_counting, args=(theirs, os.getpid()), daemon=True).start()
        finally:
            signal.signal(signal.SIGINT, before)

    def count(self, root: Path, authority: str, leaflet: str) -> dict[str, str]:
        """Each language's figure; none once the process has died (out of memory?)."""
        try:
            self._conn.send((root, authority, leaflet))
            states: dict[str, str] = self._conn.recv()
            return states
        except (EOFError, OSError):
            return {}


def render_problem(e: Exception, built: Built, fmt: str) -> str:
    """A failed render as a problem line: at the template's line for an error in a
    template (Jinja puts template lines in its tracebacks), else where `leafgen build`
    puts it: the source of the text it failed on, or the file it was making."""
    templates, doc = str(built.project.templates), built.doc
    at: tuple[str, int] | None = None  # a template's file and line
    message = f"{type(e).__name__}: {e}"
    if isinstance(e, TemplateSyntaxError) and e.filename:
        at, message = (e.filename, e.lineno), f"{type(e).__name__}: {e.message}"
    else:
        for frame, line in traceback.walk_tb(e.__traceback__):
            if frame.f_code.co_filename.startswith(templates):
                at = (frame.f_code.co_filename, line)
    if at:
        where = f"{Problems(built.project.root).display(at[0])}:{at[1]}"
    else:
        text = getattr(e, "text", None)
        where = (doc.source_of(text) if isinstance(text, str) else None) or "/".join(
            [doc.authority_id, doc.leaflet_id, doc.lang, FORMATS[fmt].file_name(doc.leaflet_id)])
    return f"{where}: error: {fmt} failed: {message}"


# The page is leafgen's own, not the project's: a project's copy of the templates (made
# before the preview existed) need not have it.
PAGES = Environment(loader=FileSystemLoader(DEFAULT_TEMPLATES / "preview"), autoescape=True,
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a tab's open event stream never holds up Ctrl-C
    preview: Preview

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a closed tab is no error
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "leafgen-preview"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal keeps its one line

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        # A web page elsewhere can give its own name the address 127.0.0.1 (DNS rebinding)
        # and read what it reaches: only this computer's names are answered.
        if self.headers.get("Host") not in (f"{HOST}:{port}", f"localhost:{port}"):
            return self.send(400, "text/plain; charset=utf-8", b"unknown host\n")
        preview = self.server.preview
        url = urlsplit(self.path)
        lang = parse_qs(url.query).get("lang", [preview.lang])[0]
        if lang not in translated_languages(preview.root):
            return self.send(404, "text/plain; charset=utf-8", f"no language '{lang}'\n".encode())
        with preview.changed:
            version = preview.version  # one version for everything this answer shows
        try:
            if url.path == "/":
                self.page(version, lang)
            elif url.path == "/languages":  # the switcher alone, when the figures change
                module = PAGES.get_template("languages.html").module
                switcher = module.switcher  # type: ignore[attr-defined]
                self.send_html(switcher(preview.choices(), lang))
            elif url.path == "/leaflet.html":
                self.leaflet(version, lang, "html")
            elif url.path.startswith("/file/") and url.path[6:] in PDFS:
                self.leaflet(version, lang, url.path[6:])
            elif url.path == "/events":
                self.events()
            else:
                self.send(404, "text/plain; charset=utf-8", b"not found\n")
        except ConnectionError:  # the browser went away (a tab closed, a page reloaded)
            pass
        except Exception:  # a fault in leafgen itself, not in the content: say so, both places
            traceback.print_exc()
            self.send(500, "text/plain; charset=utf-8", b"leafgen failed (a bug, not your "
                      b"content): see the terminal, and please report it\n")

    def page(self, version: int, lang: str) -> None:
        preview = self.server.preview
        preview.shown = lang
        built = preview.built(version, lang)
        problems = built if isinstance(built, list) else None
        if isinstance(built, Built):
            rendered = preview.file(version, lang, "html")
            problems = rendered if isinstance(rendered, list) else None
        with preview.changed:
            counted = preview.counted
        config = Project(preview.root).config
        nonce = secrets.token_urlsafe(16)
        body = PAGES.get_template("page.html").render(
            preview=preview, lang=lang, version=version, counted=counted, nonce=nonce,
            plain=plain,
            doc=built.doc if isinstance(built, Built) else None, problems=problems,
            warnings=preview.warnings(version, built)
            if isinstance(built, Built) and lang == SOURCE_LANGUAGE and not problems else None,
            choices=preview.choices(), language=LANGUAGES[lang],
            pdfs=[(name, FORMATS[name].describe(config)) for name in PDFS])
        self.send_html(body, {"Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; connect-src 'self'; "
            "style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'")})

    def leaflet(self, version: int, lang: str, fmt: str) -> None:
        preview = self.server.preview
        made = preview.file(version, lang, fmt)
        if isinstance(made, list):
            return self.send(409, "text/plain; charset=utf-8", "\n".join(made).encode() + b"\n")
        if fmt == "html":  # the build's page is standalone: it may fetch nothing at all
            return self.send(200, "text/html; charset=utf-8", made, {
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                           "frame-ancestors 'self'"})
        name = FORMATS[fmt].file_name(preview.leaflet)  # the name the build gives it
        self.send(200, FORMATS[fmt].media_type, made,
                  {"Content-Disposition": f'inline; filename="{name}"'})

    def events(self) -> None:
        """Server-Sent Events: "change" with each new version of the files, "languages"
        with each new count. Both are sent at once on connecting, so a page made just
        before a change still hears of it."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        preview, seen = self.server.preview, (-1, -1)
        while True:
            with preview.changed:
                preview.changed.wait_for(lambda: (preview.version, preview.counted) != seen,
                                         timeout=KEEP_ALIVE)
                now = (preview.version, preview.counted)
            message = "".join(f"event: {name}\ndata: {new}\n\n" for name, new, old in
                              [("change", now[0], seen[0]), ("languages", now[1], seen[1])]
                              if new != old)
            self.wfile.write((message or ": still here\n\n").encode())
            seen = now

    def send_html(self, body: str, headers: dict[str, str] | None = None) -> None:
        self.send(200, "text/html; charset=utf-8", body.encode(), headers)

    def send(self, status: int, media_type: str, body: bytes,
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # always the files as they are now
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def run(root: Path, authority: str, leaflet: str | None, lang: str, port: int) -> None:
    """Serve the preview on 127.0.0.1 until Ctrl-C; first print its address, one line."""
    project = Project(root)
    [authority] = choose("authority", (authority,), project.authorities)
    if not project.leaflets:
        raise click.ClickException("no leaflets in leaflets/ (use --project DIR)")
    leaflet = choose("leaflet", (leaflet,) if leaflet else (), project.leaflets)[0]
    [lang] = choose("language", (lang,), project.languages, known=list(LANGUAGES))
    preview = Preview(root, authority, leaflet, lang, Counter())  # before the server and threads
    try:
        server = Server((HOST, port), Handler)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {HOST}:{port} ({e.strerror}); "
                                   "choose another --port, or --port 0 for any free one") from None
    server.preview = preview
    for work in (preview.watch, preview.count):
        threading.Thread(target=work, daemon=True).start()
    click.echo(f"preview: http://{HOST}:{server.server_address[1]}/")  # click.echo flushes
    try:
        server.serve_forever(poll_interval=POLL)
    except KeyboardInterrupt:  # Ctrl-C: the way to stop it, so no traceback
        pass
    finally:
        server.server_close()
