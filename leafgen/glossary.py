"""The glossary (translations/glossary.yaml): the approved term in each language for the
leaflet's key terms, given to translators with each request and checked in every
translation."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from leafgen.errors import Problems
from leafgen.model import Strict
from leafgen.project import load_model

GLOSSARY = Path("translations") / "glossary.yaml"


class Approved(Strict):
    status: Literal["reviewed", "draft"]
    forms: list[str] = Field(min_length=1)  # as written in the language, inflected forms too


class Term(Strict):
    english: str
    translations: dict[str, Approved] = {}


class GlossaryFile(Strict):
    terms: list[Term] = []


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...] = ()

    def terms_in(self, msgid: str, lang: str) -> list[tuple[str, str]]:
        """(English term, approved translation) for each term the English holds."""
        held = self._held(msgid)
        return [(t.english, t.translations[lang].forms[0]) for t in self.terms
                if lang in t.translations and t.english in held]

    def unused(self, msgid: str, translation: str, lang: str) -> list[str]:
        """The terms the English holds whose approved forms the translation lacks."""
        held, folded = self._held(msgid), _fold(translation)
        return [t.english for t in self.terms if lang in t.translations and t.english in held
                and not any(_fold(form) in folded for form in t.translations[lang].forms)]

    def _held(self, msgid: str) -> frozenset[str]:
        return _terms_held(msgid, tuple(t.english for t in self.terms))


@lru_cache(maxsize=4096)  # each English text is checked against every language's translation
def _terms_held(text: str, terms: tuple[str, ...]) -> frozenset[str]:
    """The terms the text holds as whole words (so 'plan' is not found in 'planning')."""
    folded = _fold(text)
    return frozenset(term for term in terms
                     if re.search(rf"(?<!\w){re.escape(_fold(term))}(?!\w)", folded))


def load_glossary(root: Path, problems: Problems | None = None) -> Glossary:
    """The project's glossary; an empty one when it has none."""
    path = root / GLOSSARY
    if not path.exists():
        return Glossary()
    own = problems if problems is not None else Problems(root)
    loaded = load_model(path, GlossaryFile, own)
    if problems is None:
        own.raise_if_any()
    return Glossary(tuple(loaded.model.terms)) if loaded else Glossary()
