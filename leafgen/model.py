"""The content model: what leaflet and authority YAML may say (source), and the
merged document every format renders from (output of the merge)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal, Union, assert_never

from pydantic import (BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag,
                      field_validator, model_validator)

from leafgen.colour import TEXT_MINIMUM, contrast

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# UK numbers as printed: "01204 337400", "0808 800 5000", "0800 1111" (see inline.py).
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^0\d{2,4}( \d{3,6}){1,2}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")]
WebAddress = Annotated[str, StringConstraints(pattern=r"^(https?://)?[a-z0-9-]+(\.[a-z0-9-]+)+(/[A-Za-z0-9._~/-]*)?$")]

FamilyField = Literal[
    "social_worker_name", "social_worker_phone", "chair_name", "chair_phone",
    "conference_date", "conference_place",
]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- blocks (shared by leaflet and authority local wording) -------------------

class Paragraph(Strict):
    paragraph: Text


class Bullets(Strict):
    bullets: list[Text] = Field(min_length=1)


class ContactRef(Strict):
    """Show one or more of the authority's contact cards, by contact id."""
    contacts: list[Slug] = Field(min_length=1)


class FamilyFieldsBlock(Strict):
    """Blanks for a family's details, filled in only for a family pack."""
    family_fields: list[FamilyField] = Field(min_length=1)


BLOCK_KINDS = ("paragraph", "bullets", "contacts", "family_fields")


def _block_kind(value: object) -> str | None:
    """Which kind of block this is, from its key, so errors speak of that kind only."""
    if isinstance(value, dict):
        return next((k for k in BLOCK_KINDS if k in value), None)
    return next((k for k in BLOCK_KINDS if hasattr(value, k)), None)


Block = Annotated[
    Union[
        Annotated[Paragraph, Tag("paragraph")],
        Annotated[Bullets, Tag("bullets")],
        Annotated[ContactRef, Tag("contacts")],
        Annotated[FamilyFieldsBlock, Tag("family_fields")],
    ],
    Discriminator(
        _block_kind,
        custom_error_type="block_kind",
        custom_error_message="a block must have one of the keys: " + ", ".join(BLOCK_KINDS),
    ),
]


class Section(Strict):
    id: Slug
    heading: Line
    blocks: list[Block] = Field(min_length=1)


class OtherFormats(Strict):
    """The closing section every leaflet ends with: how to ask for another
    format or language, followed by the authority's alternative-formats contact."""
    heading: Line
    paragraph: Text


class Leaflet(Strict):
    """leaflets/<id>/leaflet.yaml: the shared plain-English text."""
    id: Slug
    title: Line
    subtitle: Line
    sections: list[Section] = Field(min_length=1)
    other_formats: OtherFormats


# ---- authority ----------------------------------------------------------------

class Phone(Strict):
    label: Line = "Telephone"
    number: PhoneNumber


class Contact(Strict):
    id: Slug
    name: Line                       # a team, role or organisation
    description: Text | None = None  # what it is for
    address: list[Line] = []         # postal address lines; the postcode is the last line
    phones: list[Phone] = []
    emails: list[Email] = []
    web: list[WebAddress] = []
    hours: Line | None = None        # opening hours
    areas: list[Line] = []           # places covered (proper nouns)


class Timescales(Strict):
    """Statutory defaults (Working Together to Safeguard Children); a council
    overrides only where its own leaflet says otherwise."""
    core_group_first_meeting: Line = "within 10 working days of the conference"
    first_review: Line = "within three months of the first conference"
    later_reviews: Line = "at least every six months"


class LocalSection(Strict):
    """A council's own wording: add a new section, replace a shared one, or
    append blocks to the end of a shared one."""
    id: Slug
    action: Literal["add", "replace", "append"]
    after: Slug | None = None   # add only: the section it follows
    before: Slug | None = None  # add only: the section it precedes (default: at the end)
    heading: Line | None = None
    blocks: list[Block] = Field(min_length=1)

    @model_validator(mode="after")
    def _fits_action(self) -> "LocalSection":
        if self.action == "add" and self.heading is None:
            raise ValueError("a section with action 'add' needs a heading")
        if self.action != "add" and (self.after or self.before):
            raise ValueError("'after' and 'before' are only for action 'add'")
        if self.after and self.before:
            raise ValueError("give 'after' or 'before', not both")
        if self.action == "append" and self.heading is not None:
            raise ValueError("action 'append' keeps the shared heading; remove 'heading'")
        return self


class Logo(Strict):
    """The council's logo: a PNG or SVG file in the project (checked by leafgen/logo.py)."""
    file: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.(png|svg)$",
                                           max_length=200)]
    alt: Line  # what the logo says, for people who cannot see it: usually the council's name

    @field_validator("file")
    @classmethod
    def _inside(cls, value: str) -> str:
        if ".." in value.split("/"):
            raise ValueError("the logo must be a file inside the project (no '..')")
        return value


class Authority(Strict):
    """authorities/<id>.yaml: one council's facts and local wording."""
    id: Slug
    name: Line                   # the council, e.g. "Bolton Council"
    organisation: Line           # who publishes the leaflet
    chair_title: Line            # what the council calls the conference chair
    timescales: Timescales = Timescales()
    contacts: list[Contact] = Field(min_length=1)
    alternative_formats: Slug    # contact id for large print, Braille, audio, languages
    sections: list[LocalSection] = []
    # The council's colour for headings, #rrggbb; refused under 4.5:1 on the white page
    # (leafgen/colour.py), and left out of large print under 7:1.
    brand_colour: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None
    logo: Logo | None = None  # file: relative to the project folder

    @field_validator("brand_colour")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None and (ratio := contrast(value)) < TEXT_MINIMUM:
            raise ValueError(f"brand colour {value} has a contrast of {ratio:.2f}:1 with the white "
                             f"page; headings need at least {TEXT_MINIMUM}:1 (WCAG 1.4.3): choose a darker shade")
        return value.lower() if value else value


# ---- the merged document (what formats receive) --------------------------------

def percent_of(done: int, total: int) -> int:
    """Whole percent translated, rounded down: 99 while anything is still in English."""
    return 100 if done >= total else min(99, 100 * done // total)


@dataclass(frozen=True)
class DocLogo:
    """A checked logo (leafgen/logo.py), carried in the document as base64 so that its
    bytes are part of the document's digest: a new logo rebuilds the council's files."""
    media_type: str   # image/png or image/svg+xml
    data: str         # base64
    alt: str
    width: int        # its size in pixels (PNG) or user units (SVG): for the aspect ratio
    height: int

    @property
    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{self.data}"


@dataclass(frozen=True)
class DocParagraph:
    text: str


@dataclass(frozen=True)
class DocBullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class DocContacts:
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class DocFamilyField:
    name: FamilyField
    label: str
    value: str | None  # None: printed as a labelled blank line


@dataclass(frozen=True)
class DocFamilyFields:
    fields: tuple[DocFamilyField, ...]


DocBlock = Union[DocParagraph, DocBullets, DocContacts, DocFamilyFields]


@dataclass(frozen=True)
class DocSection:
    id: str
    heading: str
    blocks: tuple[DocBlock, ...]


@dataclass(frozen=True)
class Document:
    """One leaflet for one authority in one language, fully merged."""
    authority_id: str
    leaflet_id: str
    lang: str
    dir: Literal["ltr", "rtl"]
    title: str
    subtitle: str
    authority_name: str
    organisation: str
    sections: tuple[DocSection, ...]
    alternative_formats: Contact
    translation: Literal["source", "reviewed", "draft", "machine"] = "source"
    labels: dict[str, str] = field(default_factory=dict)
    # (in the document's language, in English) when any text is unreviewed or shown in
    # English: says so, and how much is translated
    notice: tuple[str, str] | None = None
    # Texts shown in English because their translation is missing or out of date: each
    # format marks them (untranslated()) and gives them the English language.
    in_english: frozenset[str] = frozenset()
    # (entries translated, entries used) in a translated document; None in English
    completeness: tuple[int, int] | None = None
    brand_colour: str | None = None  # the council's, for headings where readable (colour.py)
    logo: DocLogo | None = None
    # Each text in the document (as formats receive it) -> "file:line" of the YAML or PO
    # entry it came from, for errors found while rendering. Not part of the content: a
    # line moving in a file changes no output (freshness.py leaves it out).
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The same leaflet for the same council in English, for the bilingual edition (set on
    # every translated document). Not part of its content digest: the bilingual formats
    # add the English document's own (build.py).
    english: "Document | None" = field(default=None, compare=False, repr=False)

    def source_of(self, text: str) -> str | None:
        """Where a text a renderer failed on came from: the document's text itself, or
        the longest of its texts that the failing text holds ("Telephone: 01204 ...")."""
        if text in self.sources:
            return self.sources[text]
        held = [s for s in self.sources if s in text]
        return self.sources[max(held, key=len)] if held else None

    def untranslated(self, *texts: str) -> bool:
        """Whether any of these texts of the document is shown in English for want of a
        translation (a heading, a block's texts, see texts_of)."""
        return any(text in self.in_english for text in texts)

    def texts_of(self, block: "DocBlock") -> tuple[str, ...]:
        """The texts a block shows, labels included: what decides whether it is marked."""
        match block:
            case DocParagraph():
                return (block.text,)
            case DocBullets():
                return block.items
            case DocContacts():
                return tuple(text for c in block.contacts
                             for text in [c.name] + [part for field in self.contact_fields(c)
                                                     for part in field if part])
            case DocFamilyFields():
                return tuple(f.label for f in block.fields)
            case _:
                assert_never(block)

    @property
    def percent_translated(self) -> int | None:
        return None if self.completeness is None else percent_of(*self.completeness)

    def label(self, english: str) -> str:
        """A fixed label ("Telephone") in the document's language; only listed labels exist."""
        return self.labels[english]

    def contact_fields(self, c: Contact) -> list[tuple[str | None, str]]:
        """A contact card's lines after its name, as (label, value) in the order every
        format shows them; the description has no label."""
        fields: list[tuple[str | None, str]] = [(None, c.description)] if c.description else []
        if c.address:
            fields.append((self.label("Address"), ", ".join(c.address)))
        fields += [(p.label, p.number) for p in c.phones]
        fields += [(self.label("Email"), e) for e in c.emails]
        fields += [(self.label("Web"), w) for w in c.web]
        if c.hours:
            fields.append((self.label("Opening hours"), c.hours))
        if c.areas:
            fields.append((self.label("Areas covered"), ", ".join(c.areas)))
        return fields
