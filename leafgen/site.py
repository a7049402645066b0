"""The download site in output/site/: an index of councils, and one page per council and
leaflet listing every language and format with its size and translation status.

It is written from the manifest alone (so it always matches the files that exist), with
relative links, so it works from file:// and from any static web host that serves output/.
The language and format filter is radio buttons and CSS :has(): no JavaScript needed."""
from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from leafgen.config import ProjectConfig
from leafgen.formats import FORMATS, Format
from leafgen.formats.html import environment
from leafgen.languages import LANGUAGES
from leafgen.output import MANIFEST, file_mark, write_atomic

SITE = "site"

# What a status means, in words a social worker can pass on to a family.
STATUS_WORDS = {
    "source": "Original English",
    "reviewed": "Translation checked by a qualified translator",
    "draft": "Draft translation, not yet checked by a qualified translator",
    "machine": "Machine translation, not yet checked by a qualified translator",
}
WEAKEST_FIRST = ("machine", "draft", "reviewed", "source")


@dataclass(frozen=True)
class Download:
    format: Format
    description: str
    href: str          # relative to the leaflet's page
    media_type: str
    size: str          # "412 KB"


@dataclass(frozen=True)
class LanguageFiles:
    code: str
    native_name: str
    english_name: str
    dir: str
    title: str         # the leaflet's title in this language
    status: str
    status_words: str
    downloads: tuple[Download, ...]
    # "96% translated: 4 parts are shown in English", when any part is not yet translated
    completeness: str = ""
    # what is not made in this language, and why ("Audio (MP3): espeak-ng has no ... voice")
    not_made: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeafletPage:
    authority: str
    leaflet: str
    council: str
    title: str         # in English
    languages: tuple[LanguageFiles, ...]

    @property
    def path(self) -> str:
        return f"{self.authority}/{self.leaflet}/index.html"

    @property
    def formats(self) -> list[Format]:
        used = {d.format.name for lang in self.languages for d in lang.downloads}
        return [f for f in FORMATS.values() if f.name in used]


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{round(size / 1000)} KB"
    return f"{size / 1_000_000:.1f} MB"


def mp3_minutes(mp3: Path | bytes) -> int:
    """An MP3's running time in whole minutes, from its headers (a file is not read whole)."""
    from mutagen.mp3 import MP3, MPEGInfo
    # mutagen declares FileType.info as None in the class body; loading an MP3 sets it
    info = cast(MPEGInfo, MP3(io.BytesIO(mp3) if isinstance(mp3, bytes) else mp3).info)
    seconds: float = info.length
    return max(1, round(seconds / 60))


def pages(out: Path, config: ProjectConfig) -> list[LeafletPage]:
    """Every council and leaflet in the manifest, languages in leafgen's order."""
    try:
        entries = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["artifacts"]
    except (OSError, ValueError, KeyError):
        entries = []
    grouped: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for e in entries:
        if e.get("format") in FORMATS and e.get("lang") in LANGUAGES:
            grouped.setdefault((e["authority"], e["leaflet"]), {}).setdefault(e["lang"], []).append(e)
    order = list(FORMATS)
    result = []
    for (authority, leaflet), by_lang in sorted(grouped.items()):
        languages = []
        for code in (c for c in LANGUAGES if c in by_lang):
            files = sorted(by_lang[code], key=lambda e: order.index(e["format"]))
            lang = LANGUAGES[code]
            status = min((e.get("translation", "draft") for e in files), key=WEAKEST_FIRST.index)
            downloads = []
            for e in files:
                fmt = FORMATS[e["format"]]
                minutes = mp3_minutes(out / e["path"]) if fmt.name == "mp3" else "N"
                downloads.append(Download(fmt, fmt.describe(config, minutes, lang=code),
                                          f"../../../{e['path']}", fmt.media_type,
                                          human_size(e["bytes"])))
            languages.append(LanguageFiles(code, lang.native_name, lang.english_name, lang.dir,
                                           files[0].get("title", leaflet), status,
                                           STATUS_WORDS[status], tuple(downloads),
                                           _completeness(files), _not_made(code, config)))
        english = next((lang.title for lang in languages if lang.code == "en"), leaflet)
        council = next((e["council"] for es in by_lang.values() for e in es if e.get("council")),
                       authority)
        result.append(LeafletPage(authority, leaflet, council, english,
                                  tuple(languages)))
    return result


def _not_made(lang: str, config: ProjectConfig) -> tuple[str, ...]:
    """Each kind of file the language cannot have, with the reason, in plain words."""
    reasons: dict[str, list[str]] = {}
    for fmt in FORMATS.values():
        why = fmt.available and fmt.unavailable_reason(lang)
        if why:
            reasons.setdefault(why, []).append(fmt.short_description(config))
    return tuple(f"{' and '.join(names)}: not made, because {why[0].lower() + why[1:]}"
                 for why, names in reasons.items())


def _completeness(files: list[dict[str, Any]]) -> str:
    """How much of a language's files is translated (they are made from one document)."""
    in_english = max((e.get("parts_in_english", 0) for e in files), default=0)
    if not in_english:
        return ""
    percent = min(e.get("translated_percent", 0) for e in files)
    return (f"{percent}% translated: {in_english} part{'s are' if in_english != 1 else ' is'} "
            "shown in English until translated")


def filter_labels(config: ProjectConfig) -> dict[str, str]:
    """A format's name for the filter: its description without an MP3's running time."""
    return {f.name: f.short_description(config) for f in FORMATS.values()}


def write_site(out: Path, templates: Path, config: ProjectConfig) -> list[Path]:
    """Write the site from the manifest; pages that no longer exist are removed."""
    env = environment(templates)
    site = out / SITE
    leaflet_pages = pages(out, config)
    files = {
        site / "index.html": env.get_template("site/index.html").render(
            pages=leaflet_pages, root=""),
        site / "site.css": (templates / "site" / "site.css").read_text(encoding="utf-8"),
    }
    for page in leaflet_pages:
        files[site / page.path] = env.get_template("site/leaflet.html").render(
            page=page, root="../../", filter_labels=filter_labels(config))
    for path, text in files.items():
        data = text.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)
    for old in site.rglob("*.html") if site.is_dir() else []:
        if old not in files:
            old.unlink()
    for folder in sorted((p for p in site.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            os.rmdir(folder)
    return sorted(files)


def write_site_if_changed(out: Path, templates: Path, config: ProjectConfig,
                          state: Path) -> list[Path]:
    """Write the site unless neither its inputs (the manifest, templates/site, the project's
    options, leafgen itself) nor its files changed since it was last written, as recorded
    in state (this machine's cache). Returns the site's files, as write_site does."""
    key = _site_key(out, templates, config)
    try:
        seen = json.loads(state.read_text(encoding="utf-8"))
        if seen["key"] == key and all(file_mark(out / name) == mark
                                      for name, mark in seen["files"].items()):
            return sorted(out / name for name in seen["files"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    files = write_site(out, templates, config)
    write_atomic(state, json.dumps({"key": key, "files": {
        str(path.relative_to(out)): file_mark(path) for path in files}}).encode())
    return files


def _site_key(out: Path, templates: Path, config: ProjectConfig) -> str:
    h = hashlib.sha256()
    try:
        h.update((out / MANIFEST).read_bytes())
    except OSError:
        h.update(b"no manifest")
    for folder in (templates / SITE, Path(__file__).parent):  # leafgen's code: its words too
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(b"\0" + str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    h.update(config.model_dump_json(exclude={"cache_dir"}).encode())
    return h.hexdigest()
