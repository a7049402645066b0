"""Find and validate a content project's leaflets and authorities."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar, get_args

from pydantic import BaseModel, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from leafgen.errors import Problems
from leafgen.load import Loc, Source, YamlError, clip, load_yaml
from leafgen import model
from leafgen.model import BLOCK_KINDS, Authority, DocLogo, Leaflet

M = TypeVar("M", bound=BaseModel)
Identified = TypeVar("Identified", Leaflet, Authority)  # a model with an id, named by its file
ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
OTHER_FORMATS_ID = "other-formats"  # the closing section every leaflet ends with (merge.py)
DEFAULT_TEMPLATES = Path(__file__).parent / "templates"  # shipped with the package


def templates_folder(root: Path) -> Path:
    """The project's own templates/ folder if it has one (a copy of the defaults, changed
    to the council's taste), else the package's defaults."""
    own = root / "templates"
    return own if own.is_dir() else DEFAULT_TEMPLATES


@dataclass(frozen=True)
class Loaded(Generic[M]):
    model: M
    source: Source


@dataclass
class Content:
    """Everything valid that was loaded; problems holds everything that was not."""
    root: Path
    leaflets: dict[str, Loaded[Leaflet]] = field(default_factory=dict)
    authorities: dict[str, Loaded[Authority]] = field(default_factory=dict)
    logos: dict[str, DocLogo] = field(default_factory=dict)  # by authority id, checked


def leaflet_files(root: Path) -> dict[str, Path]:
    return {p.parent.name: p for p in sorted((root / "leaflets").glob("*/leaflet.yaml"))}


def authority_files(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "authorities").glob("*.yaml"))}


def load_content(root: Path, problems: Problems) -> Content:
    """Load and check every leaflet and authority file, collecting all problems."""
    if not (root / "leaflets").is_dir() or not (root / "authorities").is_dir():
        problems.add(root, 1, "not a leafgen project: expected folders leaflets/ and authorities/ "
                     "(use --project DIR)")
        return Content(root)
    content = Content(root)
    for leaflet_id, path in leaflet_files(root).items():
        loaded = _load(path, Leaflet, leaflet_id, problems)
        if loaded:
            content.leaflets[leaflet_id] = loaded
            _check_leaflet(loaded, problems)
    for authority_id, path in authority_files(root).items():
        authority = _load(path, Authority, authority_id, problems)
        if authority:
            content.authorities[authority_id] = authority
            _check_authority(authority, problems)
            if authority.model.logo and (logo := _load_logo(root, authority, problems)):
                content.logos[authority_id] = logo
    return content


def _load(path: Path, model: type[Identified], expected_id: str,
          problems: Problems) -> Loaded[Identified] | None:
    if not ID.match(expected_id):
        problems.add(path, 1, f"'{expected_id}' is not a valid id: use lower-case letters, "
                     "digits and single hyphens")
        return None
    loaded = load_model(path, model, problems)
    if loaded and loaded.model.id != expected_id:
        problems.add(path, loaded.source.line("id"), f"id '{loaded.model.id}' does not match "
                     f"the file name '{expected_id}'")
        return None
    return loaded


def load_model(path: Path, model: type[M], problems: Problems) -> Loaded[M] | None:
    """Read one YAML file into a typed model, adding any problems with their lines."""
    refused = link_problem(path, problems.root)
    if refused:
        problems.add(path, 1, refused)
        return None
    try:
        source = load_yaml(path)
    except YamlError as e:
        problems.add(path, e.line, str(e))
        return None
    try:
        value = model.model_validate(source.data)
    except ValidationError as e:
        for err in e.errors():
            loc = _data_loc(err["loc"])
            problems.add(path, source.line(*loc), _describe(loc, err))
        return None
    return Loaded(value, source)


def link_problem(path: Path, root: Path) -> str | None:
    """Why a content file reached through a symbolic link must not be read, if it must
    not: a linked file must stay in its folder, and a linked folder (leaflets/demo ->
    /elsewhere) must not bring in, or let an error message show, a file from outside."""
    if path.is_symlink() and not path.resolve().is_relative_to(path.parent.resolve()):
        return "is a symbolic link pointing outside its folder"
    if not path.resolve().is_relative_to(root.resolve()):
        return "is reached through a symbolic link to a folder outside the project"
    return None


def _data_loc(loc: tuple[int | str, ...]) -> Loc:
    """Drop the union tags pydantic inserts (blocks.0.paragraph.paragraph -> blocks.0.paragraph)."""
    out = list(loc)
    i = 0
    while i < len(out) - 2:
        if isinstance(out[i], int) and out[i + 1] in BLOCK_KINDS:
            del out[i + 1]
        i += 1
    return tuple(out)


def _pattern(annotated: object) -> str:
    """The pattern of an Annotated[str, StringConstraints(pattern=...)] type."""
    constraints = get_args(annotated)[1]
    assert isinstance(constraints, StringConstraints) and constraints.pattern is not None
    return str(constraints.pattern)


_PATTERN_NAMES = {
    _pattern(model.Slug): "an id (lower-case letters, digits and single hyphens)",
    _pattern(model.PhoneNumber): "a UK phone number as printed, e.g. 01204 337400",
    _pattern(model.Email): "an email address",
    _pattern(model.WebAddress): "a web address such as www.example.org/page",
}


def _describe(loc: Loc, err: ErrorDetails) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{clip(str(loc[-1]))}'" + (f" in {_parent(loc)}" if len(loc) > 1 else "")
    if kind == "missing":
        return f"missing required key '{loc[-1]}'" + (f" in {_parent(loc)}" if len(loc) > 1 else "")
    if kind == "string_pattern_mismatch":
        message = f"{clip(repr(err['input']))} is not " \
            f"{_PATTERN_NAMES.get(err['ctx']['pattern'], 'valid here')}"
    else:
        message = explain(err)
    if kind.endswith("_type"):  # the input is quoted clipped: it may be a 1 MB list
        message = f"{message}, not {clip(repr(err['input']))}"
    return f"{where}: {message}" if where else message


# pydantic's own wording changes between releases ("Input should be a valid string"):
# messages for the errors content can make are leafgen's, from the error's type and data.
_EXPLAINED = {
    "string_type": "must be text",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping (key: value lines)",
    "model_type": "must be a mapping (key: value lines)",
    "model_attributes_type": "must be a mapping (key: value lines)",
    "list_type": "must be a list (lines starting with '- ')",
    "less_than_equal": "must be at most {le}", "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}", "greater_than": "must be more than {gt}",
    "string_too_short": "must be at least {min_length} characters long",
    "string_too_long": "must be at most {max_length} characters long",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
    "literal_error": "must be one of: {expected}", "enum": "must be one of: {expected}",
    "union_tag_invalid": "'{tag}' is not one of: {expected_tags}",
    "union_tag_not_found": "must have one of the keys: {expected_tags}",
}


def explain(err: ErrorDetails) -> str:
    """A validation error in leafgen's words: ours for the known kinds, the reason given
    by leafgen's own validators for value errors, pydantic's message for anything else."""
    ctx = err.get("ctx") or {}
    if err["type"] in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    template = _EXPLAINED.get(err["type"])
    if template:
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            pass
    return str(err["msg"]).removeprefix("Value error, ")


def _parent(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[:-1]).lstrip(".")


def _check_leaflet(loaded: Loaded[Leaflet], problems: Problems) -> None:
    """Section ids are the targets of councils' replace/append and the pages' anchors:
    each must be unique, and the closing section's id is taken."""
    seen: set[str] = set()
    for i, section in enumerate(loaded.model.sections):
        if section.id in seen or section.id == OTHER_FORMATS_ID:
            problems.add(loaded.source.path, loaded.source.line("sections", i, "id"),
                         f"duplicate section id '{section.id}'" if section.id in seen else
                         f"section id '{section.id}' is kept for the closing section")
        seen.add(section.id)


def _load_logo(root: Path, loaded: Loaded[Authority], problems: Problems) -> DocLogo | None:
    from leafgen.logo import LogoError, read_logo  # Pillow and XML only when a council has a logo
    assert loaded.model.logo is not None
    path = root / loaded.model.logo.file
    line = loaded.source.line("logo", "file")
    if not path.resolve().is_relative_to(root.resolve()):
        problems.add(loaded.source.path, line, "the logo must be a file inside the project")
        return None
    try:
        return read_logo(path, loaded.model.logo.alt)
    except LogoError as e:
        problems.add(loaded.source.path, line, str(e))
        return None


def _check_authority(loaded: Loaded[Authority], problems: Problems) -> None:
    """Checks inside one authority file that the model cannot express.
    (References to contacts and sections are resolved, and reported, by the merge.)"""
    a, src = loaded.model, loaded.source
    ids = [c.id for c in a.contacts]
    for i, cid in enumerate(ids):
        if cid in ids[:i]:
            problems.add(src.path, src.line("contacts", i, "id"), f"duplicate contact id '{cid}'")
