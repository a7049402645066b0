"""`leafgen new DIR`: a new content project that builds, as it is, with the installed package.

The files come from leafgen/scaffold/, shipped as package data: an installed leafgen has
no repository whose folders it could copy. They are the shared leaflet (this repository's
own, kept equal to it by a test), one example council whose every fact is obviously made
up (Ofcom's drama phone numbers, example.org), leafgen.yaml with each setting explained,
a README and a CI workflow. What the installed package can derive is written rather than
shipped, so that it cannot go stale: the JSON Schemas (from the model, for the files'
`$schema` lines) and translations/leafgen.pot (from the content, for translators).
No templates/ folder: a project uses the package's templates until it adds its own."""
from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

SCAFFOLD = Path(__file__).parent / "scaffold"
# In the README and the CI workflow: where pip installs leafgen from. leafgen is not on
# PyPI, so unless this leafgen was installed from a git repository (which pip records),
# the project's owner must say where; the workflow stops with that message until then.
PLACEHOLDER = "leafgen @ git+https://github.com/YOUR-ORGANISATION/leafgen"
WITH_REQUIREMENT = ("README.md", ".github/workflows/leafgen.yml")

# Each top-level item of a new project, in the order made, with what it holds: one
# progress line each. translations/ and schema/ are written, not copied (see above).
ITEMS = {
    "README.md": "how to build, add a council and change the templates",
    "leafgen.yaml": "the settings, each explained",
    "leaflets": "the shared leaflet child-protection-conference",
    "authorities": "example.yaml: Example Council, made-up facts to replace with your own",
    "translations": "leafgen.pot: every English text, for translators; English only so far",
    "schema": "JSON Schemas, so that editors complete and check the YAML files",
    ".github": "CI workflow: validate, build, keep output/ as an artifact",
    ".gitignore": "output/, .cache/ and .venv/ are made, not kept",
}


class NewError(Exception):
    """Why a project cannot be made there: one line for the user."""


def create(dest: Path, say: Callable[[str], None]) -> None:
    """Make the project in dest (a new or empty folder), saying one line per item."""
    if dest.exists() and not dest.is_dir():
        raise NewError(f"{dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()):
        raise NewError(f"{dest} is not empty: leafgen new makes a project in a new or empty "
                       "folder, and changes no file that is already there")
    requirement = package_requirement()
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for name, what in ITEMS.items():
            if name == "translations":
                _write_template(dest)
            elif name == "schema":
                _write_schemas(dest / "schema")
            elif (SCAFFOLD / name).is_dir():
                shutil.copytree(SCAFFOLD / name, dest / name, copy_function=shutil.copyfile,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copyfile(SCAFFOLD / name, dest / name)
            if name == ".github" and requirement == PLACEHOLDER:
                what += "; set LEAFGEN in it to where CI installs leafgen from"
            say(f"created {dest / name}{'/' if (dest / name).is_dir() else ''} ({what})")
        for name in WITH_REQUIREMENT:
            path = dest / name
            path.write_text(path.read_text(encoding="utf-8").replace(PLACEHOLDER, requirement),
                            encoding="utf-8")
    except OSError as e:
        raise NewError(f"cannot write {e.filename or dest}: {e.strerror or e}") from None


def _write_schemas(folder: Path) -> None:
    from leafgen.schema import schema_texts
    folder.mkdir()
    for name, text in schema_texts().items():
        (folder / name).write_text(text, encoding="utf-8")


def _write_template(root: Path) -> None:
    """translations/leafgen.pot, as `leafgen extract` writes it, but no <lang>.po: extract
    writes one for every language leafgen offers, and each language with one is built.
    A new project starts in English; a language is added with its translation."""
    from leafgen.i18n import POT, po_bytes
    from leafgen.translate import current_template
    (root / "translations").mkdir()
    (root / "translations" / POT).write_bytes(po_bytes(current_template(root)))


def package_requirement() -> str:
    """Where CI can install this leafgen from, as a pip requirement."""
    try:
        recorded = importlib.metadata.distribution("leafgen").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        recorded = None
    return requirement_from(recorded)


def requirement_from(direct_url: str | None) -> str:
    """The requirement pip's record of an install (PEP 610 direct_url.json) points to:
    the git repository and commit, or the archive, when it was installed from one on the
    web; else PLACEHOLDER (installed from a folder, or editable: nothing CI can reach)."""
    try:
        info = json.loads(direct_url) if direct_url else {}
    except ValueError:
        return PLACEHOLDER
    url = info.get("url") if isinstance(info, dict) else None
    if not isinstance(url, str) or not url.startswith("https://"):
        return PLACEHOLDER
    parts = urlsplit(url)
    if parts.username or parts.password or any(c in url for c in ' "\n'):
        return PLACEHOLDER  # a credential (never written to a file) or a broken record
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id")
        return f"leafgen @ git+{url}" + (f"@{commit}" if isinstance(commit, str) else "")
    if isinstance(info.get("archive_info"), dict):
        return f"leafgen @ {url}"
    return PLACEHOLDER
