"""`leafgen serve`: a small web app on 127.0.0.1 where a social worker chooses a council,
leaflet, languages and formats, may type a family's details, and downloads the pack.

Flask for the app, Flask-WTF for CSRF tokens, waitress to serve it. Personal data:
forms are posted (never in URLs, so never in access logs; nothing is logged anyway),
packs are rendered in worker processes and held in memory only until downloaded or for
PACK_LIFETIME seconds, and every response says "no-store"."""
from __future__ import annotations

import logging
import secrets
import signal
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import FileSystemLoader

from leafgen.errors import ContentError
from leafgen.formats import FORMATS, load_renderers
from leafgen.labels import FIELD_LABELS
from leafgen.languages import LANGUAGES
from leafgen.pipeline import Project
from leafgen.project import templates_folder
from leafgen.model import Document
from leafgen.pack import (PackError, PackRequest, documents, make_pack, render_file,
                          request_from)
from leafgen.pool import Failed, RenderPool, WorkerDied, cost
from leafgen.site import filter_labels

MAX_POST = 16 * 1024          # bytes: the form is a few hundred; anything bigger is refused
PACK_LIFETIME = 600           # seconds a made pack waits in memory for its download
MAX_KEPT = 16                 # packs waiting for download at once (oldest dropped first)
RENDER_TIMEOUT = 300          # seconds one pack may take before the request gives up
MAX_PACK_BYTES = 2 ** 31      # more than any pack (30 files): responses stay in memory

FormValues = dict[str, str | list[str] | None]  # what was typed and chosen, shown again

# On every response: the app's, and the errors waitress answers itself (a malformed
# request, a body far too large), which never reach the app.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self' 'unsafe-inline'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# Plain pages for requests that cannot be answered with the form.
ERROR_PAGES = {
    400: ("The form could not be read", "Go back to the form and send it again."),
    404: ("Page not found", "There is no page here. Start from the form."),
    405: ("Use the form", "This address only accepts the form. Start from the form."),
    413: ("Too much text", "The form sent more than this page accepts. Shorten what you "
          "typed and send it again."),
    500: ("Something went wrong", "The pack could not be made. Try again."),
}


class _WorkerDied(Exception):
    """A pack file's render killed its worker twice (see leafgen.pool)."""


@dataclass
class _Made:
    data: bytes
    name: str
    expires: float


def _render_in_worker(task: tuple[int, tuple[Document, str]], root: Path) -> bytes | Failed:
    """One file of a pack (task: its place in the pack, and what to render), in a worker
    process; a failure comes back as a value (its message names the file, never its text,
    which may hold a family's details)."""
    _, (doc, name) = task
    try:
        return render_file(root, doc, name)
    except PackError as e:
        return Failed("; ".join(message for _, message in e.problems))


# Loaded by each worker before the first family asks (the slowest to load: speech, Word,
# PDF). The pool makes a worker end with the server, however the server ends.
WARM_FORMATS = ("mp3", "docx", "pdf")


def create_app(root: Path, max_renders: int = 2, host: str = "127.0.0.1") -> Flask:
    root = root.resolve()
    app = Flask(__name__, static_folder=None)
    app.jinja_loader = FileSystemLoader(templates_folder(root))
    app.config.update(
        # A page on another site that points its own name at 127.0.0.1 (DNS rebinding)
        # reaches the app with that name as Host: only the names of this computer, and the
        # address it was started on, are answered (Flask answers others 400).
        TRUSTED_HOSTS=sorted({"127.0.0.1", "localhost", "[::1]", host}),
        SECRET_KEY=secrets.token_bytes(32),  # new every start: old forms just ask to resubmit
        MAX_CONTENT_LENGTH=MAX_POST, MAX_FORM_MEMORY_SIZE=MAX_POST, MAX_FORM_PARTS=200,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=3600, WTF_CSRF_SSL_STRICT=False,
    )
    app.logger.setLevel(logging.CRITICAL)  # an error's text could quote what was typed

    @app.before_request
    def read_raw_form() -> None:
        """Which fields were not sent as UTF-8: seen in the raw body, before the form is
        parsed (by the CSRF check, which comes next)."""
        g.not_utf8 = _not_utf8(request.get_data(cache=True)) if request.method == "POST" else set()

    CSRFProtect(app)
    pool = RenderPool[tuple[int, tuple[Document, str]]](max_renders,
                                                         warm=partial(load_renderers, WARM_FORMATS))
    slots = threading.BoundedSemaphore(max_renders)
    made: dict[str, _Made] = {}
    made_lock = threading.Lock()
    app.extensions["leafgen_pool"] = pool

    Key = tuple[str, str, tuple[str, ...], tuple[tuple[str, int, int] | None, ...]]
    loaded: dict[Key, list[Document]] = {}

    def cached_documents(root: Path, req: PackRequest) -> list[Document]:
        """The merged documents (no family details in them), kept while no content file
        changes: loading and merging is a tenth of a warm pack's time."""
        files = [p for folder in ("leaflets", "authorities", "translations")
                 for p in sorted((root / folder).rglob("*"))] + [root / "leafgen.yaml"]
        key = (req.authority, req.leaflet, req.langs, tuple(map(_stat, files)))
        if key not in loaded:
            loaded.clear()  # one entry is enough: families ask for the same few at a time
            loaded[key] = documents(root, req)
        return loaded[key]

    def choices() -> dict[str, Any]:  # the form template's context
        project = Project(root)  # read now: councils, languages and sizes may change
        councils, leaflets = _names(root)
        labels = filter_labels(project.config)
        return {"authorities": councils, "leaflets": leaflets,
                "languages": [LANGUAGES[c] for c in project.languages],
                "formats": [(f.name, labels[f.name]) for f in project.formats],
                "fields": FIELD_LABELS}

    def form(status: int = 200, problems: list[tuple[str, str]] | None = None,
             values: FormValues | None = None) -> Response:
        errors: dict[str, list[str]] = {}
        problems = [(key, text[:1].upper() + text[1:]) for key, text in problems or []]
        for key, message in problems:
            errors.setdefault(key or "form", []).append(message)
        options = choices()
        # where each summary line links: the field, or the first box of a group
        first = {"lang": "lang-" + (options["languages"] or [LANGUAGES["en"]])[0].code,
                 "format": "format-" + options["formats"][0][0], "": "authority"}
        links = [(first.get(key, key), f"{FIELD_LABELS[key]}: {text}" if key in FIELD_LABELS
                  else text) for key, text in problems]
        body = render_template("serve/form.html", root="/", errors=errors, problems=problems,
                               problem_links=links, values=values or {"lang": [], "format": []},
                               **options)
        return Response(body, status, mimetype="text/html")

    def message(status: int, title: str, text: str) -> Response:
        body = render_template("serve/message.html", root="/", title=title, text=text)
        return Response(body, status, mimetype="text/html")

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.get("/")
    def index() -> Response:
        return form()

    @app.get("/site.css")
    def css() -> Response:
        return Response((templates_folder(root) / "site" / "site.css").read_bytes(), mimetype="text/css")

    @app.post("/pack")
    def pack() -> Response:
        not_utf8: set[str] = g.not_utf8
        f = request.form
        authority, leaflet = f.get("authority", ""), f.get("leaflet", "")
        langs, formats = f.getlist("lang"), f.getlist("format")
        family: dict[str, str | None] = {k: "" if k in not_utf8 else f.get(k, "")
                                         for k in FIELD_LABELS}
        values: FormValues = {"authority": authority, "leaflet": leaflet, "lang": langs,
                              "format": formats, **family}
        bad_text = [(k, "is not valid text: it was not sent as UTF-8; type it again")
                    for k in FIELD_LABELS if k in not_utf8]
        try:
            req = request_from(root, authority, leaflet, langs, formats, family)
        except PackError as e:
            return form(400, bad_text + e.problems, values)
        if bad_text:
            return form(400, bad_text, values)
        if not slots.acquire(blocking=False):
            response = message(503, "Busy: please try again",
                               "Other packs are being made right now. Wait a minute, then go back "
                               "and press the button again. Nothing you typed has been kept.")
            response.headers["Retry-After"] = "30"
            return response
        def in_workers(_: object, jobs: list[tuple[Document, str]]) -> list[bytes]:
            """The pack's files side by side in the worker processes, slowest first."""
            done = dict((i, outcome) for (i, _), outcome in pool.run(
                _render_in_worker, list(enumerate(jobs)), (root,), order=lambda t: cost(t[1][1]),
                timeout=RENDER_TIMEOUT))
            outcomes = [done[i] for i in range(len(jobs))]
            if any(isinstance(o, WorkerDied) for o in outcomes):
                raise _WorkerDied()
            problems = [("format", o.message) for o in outcomes if isinstance(o, Failed)]
            if problems:
                raise PackError(problems)
            return [o.data for o in outcomes if not isinstance(o, Failed)]

        personal = bool(req.family.values())
        try:
            outcome = make_pack(root, req, load=cached_documents, render_all=in_workers)
        except (FutureTimeout, _WorkerDied):
            return message(500, "The pack could not be made",
                           "Making the pack took too long or failed. Try fewer formats.")
        except PackError as e:
            return form(400, e.problems, values)
        except ContentError as e:
            return form(500, [("", f"{len(e.problems)} problem(s) in the leaflet content; "
                                   "run 'leafgen validate'")], values)
        finally:
            slots.release()
            if personal:  # the workers saw the details: new ones for the next pack
                threading.Thread(target=pool.recycle, daemon=True).start()
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with made_lock:
            for old in [t for t, m in made.items() if m.expires < now]:
                del made[old]
            while len(made) >= MAX_KEPT:
                del made[next(iter(made))]
            made[token] = _Made(outcome, f"{req.authority}-{req.leaflet}-pack.zip",
                                now + PACK_LIFETIME)
        files = req.files()
        body = render_template("serve/result.html", root="/", token=token, req=req,
                               files=files, languages=LANGUAGES, size=len(outcome),
                               personal=bool(req.family.values()), minutes=PACK_LIFETIME // 60,
                               labels=format_labels(root))
        return Response(body, 200, mimetype="text/html")

    @app.post("/download")
    def download() -> Response:
        token = request.form.get("token", "")
        with made_lock:
            pack = made.pop(token, None)  # one download: then it is gone from memory too
        if pack is None or pack.expires < time.monotonic():
            return message(410, "This pack has gone",
                           "Packs are kept for a few minutes and can be downloaded once. "
                           "Make it again from the form.")
        return Response(pack.data, 200, mimetype="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{pack.name}"'})

    @app.errorhandler(CSRFError)
    def bad_token(e: CSRFError) -> Response:
        return message(400, "Please send the form again",
                       "The form had expired or did not come from this page. Go back to the "
                       "form, reload it, and send it again.")

    for code, (title, text) in ERROR_PAGES.items():
        app.register_error_handler(code, lambda e, c=code, t=title, x=text: message(c, t, x))

    return app


def _not_utf8(body: bytes) -> set[str]:
    """The names of the form's fields whose value is not UTF-8 (Werkzeug would keep such
    a value as its %XX escapes, as if typed): refused as a field error, the rest kept."""
    from urllib.parse import unquote_to_bytes
    bad = set()
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            bad.add(unquote_to_bytes(name).decode("utf-8", "replace"))
    return bad


def _stat(path: Path) -> tuple[str, int, int] | None:
    """What tells that a file changed (None: it is not there)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_mtime_ns, stat.st_size


def format_labels(root: Path) -> dict[str, str]:
    """Each format's short description, with the project's sizes (read now: they may change)."""
    return filter_labels(Project(root).config)


def _names(root: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(id, the name people know it by) for each council and each leaflet, read with
    leafgen's own checked loader (a broken file is shown by its id)."""
    from leafgen.errors import Problems
    from leafgen.project import authority_files, leaflet_files, load_content
    content = load_content(root, Problems(root))
    councils = [(i, content.authorities[i].model.name if i in content.authorities else i)
                for i in authority_files(root)]
    leaflets = [(i, content.leaflets[i].model.title if i in content.leaflets else i)
                for i in leaflet_files(root)]
    return sorted(councils, key=lambda x: x[1]), sorted(leaflets, key=lambda x: x[1])


def _headers_on_waitress_errors() -> None:
    """waitress answers a malformed request or an oversized body with an ErrorTask the
    app never sees: give those responses the same headers."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class HeadedErrorTask(ErrorTask):
        def execute(self) -> None:
            headers: Any = self.response_headers  # a list at run time (stubs say Sequence)
            headers.extend(SECURITY_HEADERS.items())
            super().execute()

    HTTPChannel.error_task_class = HeadedErrorTask


def serve(root: Path, host: str, port: int, max_renders: int) -> None:
    from waitress import serve as run
    _headers_on_waitress_errors()
    app = create_app(root, max_renders, host)
    app.extensions["leafgen_pool"].start()  # start the workers now, not for the first family
    print(f"leafgen serve: http://{host}:{port}/ (Ctrl+C to stop)", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)  # as Ctrl+C: stop the render workers too
    try:  # threads: requests beyond max_renders are answered "busy" at once, not queued
        # The app itself refuses a body over MAX_POST (with its page and headers); waitress
        # only stops what is far beyond it. A response is never spooled to a temporary
        # file (waitress does past outbuf_overflow, 1 MB by default): a pack is sent from
        # memory, which already holds it.
        run(app, host=host, port=port, threads=max_renders + 4,
            max_request_body_size=64 * MAX_POST, inbuf_overflow=64 * MAX_POST,
            outbuf_overflow=MAX_PACK_BYTES, ident="leafgen", clear_untrusted_proxy_headers=True)
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["leafgen_pool"].shutdown(wait=True, cancel_futures=True)
