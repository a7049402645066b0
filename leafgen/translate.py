"""Keeping the translation memory: extraction, status reports, machine translation."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog as PoFile

from leafgen.errors import Problems
from leafgen.formats import FORMATS
from leafgen.i18n import POT, Counts, count, load_memory, po_bytes, po_path, read_catalog, updated
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.output import write_atomic
from leafgen.pipeline import Project


def current_template(root: Path) -> PoFile:
    """The .pot the current content implies (raises ContentError if content is broken)."""
    return Project(root).template()


def extract(root: Path) -> list[Path]:
    """Write translations/leafgen.pot and bring every language's PO file up to date
    (msgmerge semantics). A file is rewritten only when its content changes."""
    pot = current_template(root)
    folder = root / "translations"
    changed = []
    files = {folder / POT: po_bytes(pot)}
    for lang in LANGUAGES:
        if lang != SOURCE_LANGUAGE:
            path = po_path(root, lang)
            po = read_catalog(path, lang) if path.exists() else None
            files[path] = po_bytes(updated(po, pot, lang))
    for path, data in files.items():
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)
            changed.append(path)
    return changed


def status_report(root: Path) -> dict[str, Any]:  # JSON objects (leafgen status --json)
    """Per language: entry counts by status and which formats can be built; per council,
    leaflet and language: how much of that document is translated (the rest is shown in
    English, marked)."""
    project = Project(root)
    docs = project.documents()
    pot = project.template()
    rows = []
    for lang in LANGUAGES.values():
        if lang.code == SOURCE_LANGUAGE:
            counts = Counts()
        elif po_path(root, lang.code).is_file():
            problems = Problems(root)
            memory = load_memory(root, lang.code, pot, problems)
            counts = count(memory.po) if memory else Counts(missing=len(pot))
        else:
            counts = Counts(missing=len(pot))
        total = counts.total
        done = counts.reviewed + counts.draft + counts.machine
        rows.append({
            "lang": lang.code, "name": lang.english_name, **asdict(counts),
            "coverage": 1.0 if lang.code == SOURCE_LANGUAGE else round(done / total, 4) if total else 0.0,
            "formats": {f.name: f.unavailable_reason(lang.code) or "ok" for f in FORMATS.values()},
        })
    documents = [{"authority": d.authority_id, "leaflet": d.leaflet_id, "lang": d.lang,
                  "translated": d.completeness[0], "parts": d.completeness[1],
                  "percent": d.percent_translated}
                 for d in docs if d.completeness is not None]
    return {"languages": rows, "documents": documents}


def machine_translate(root: Path, lang: str) -> tuple[int, list[str]]:
    """Fill the missing and stale entries of lang's PO file by machine translation,
    status machine. Returns (entries filled, one message per entry that failed)."""
    from leafgen.i18n import english, set_status, state
    from leafgen.mt import MtError, argos_translator, translate_masked

    translate = argos_translator(lang)  # raises MtError saying what to install
    pot = current_template(root)
    path = po_path(root, lang)
    po = updated(read_catalog(path, lang) if path.exists() else None, pot, lang)
    filled, failed = 0, []
    for message in po:
        if not message.id or state(message) not in ("missing", "stale"):
            continue
        try:
            message.string = translate_masked(english(message), translate)
        except MtError as e:
            failed.append(f"{path.relative_to(root)}: error: '{english(message)[:50]}': {e}")
            continue
        message.flags.discard("fuzzy")
        message.previous_id = []
        set_status(message, "machine")
        filled += 1
    write_atomic(path, po_bytes(po))
    return filled, failed
