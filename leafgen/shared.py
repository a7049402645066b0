"""One copy of each equal value across the documents of a build.

Councils share most of their text: merged apart, 150 councils' documents held 20 MB of
strings of which 0.8 MB were different, and as much again in equal sections. Documents
passed through one Shared hold one copy of each equal section, text, label table and
source table, so a build's memory grows with its different text, not with its documents."""
from __future__ import annotations

from dataclasses import replace
from typing import Hashable, TypeVar

from leafgen.model import Document

H = TypeVar("H", bound=Hashable)


class Shared:
    def __init__(self) -> None:
        self._values: dict[Hashable, Hashable] = {}
        self._tables: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def one(self, value: H) -> H:
        """The first value seen equal to this one (frozen: safe to share). A section of
        contacts (pydantic models, which keep lists) cannot be looked up and is kept as is:
        known by its repr, it cost more time and peak memory than it saved."""
        try:
            return self._values.setdefault(value, value)  # type: ignore[return-value]
        except TypeError:
            return value

    def table(self, table: dict[str, str]) -> dict[str, str]:
        """One dict for equal tables; never changed after merging (documents are frozen)."""
        items = tuple((self.one(k), self.one(v)) for k, v in table.items())
        return self._tables.setdefault(items, dict(items))

    def document(self, doc: Document) -> Document:
        one = self.one
        return replace(doc, sections=one(tuple(one(s) for s in doc.sections)),
                       labels=self.table(doc.labels), sources=self.table(doc.sources),
                       in_english=one(doc.in_english), title=one(doc.title),
                       subtitle=one(doc.subtitle), authority_name=one(doc.authority_name),
                       organisation=one(doc.organisation), notice=one(doc.notice))
