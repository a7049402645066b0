"""Checks on every translation. What must never change (a placeholder, a number, a phone
number, an email, a postcode, a web address) is an error when it does; what is only
likely to be wrong (English left untranslated, the wrong script, no final punctuation,
a length far from the language's usual, a glossary term not used) is a warning at the
entry's line in the PO file."""
from __future__ import annotations

import re
import statistics
import unicodedata
from functools import lru_cache

from babel.messages.catalog import Catalog as PoFile

from leafgen.errors import Problems
from leafgen.glossary import Glossary
from leafgen.i18n import FIELD, PLACEHOLDER, Memory, english, placeholders
from leafgen.inline import tokens
from leafgen.languages import LANGUAGES

SENTENCE_END = ".?!:;)\"'’”۔।؟。።፧"  # Ethiopic full stop and question mark too
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?: [A-Za-z][A-Za-z'’-]*)*")  # "Off the Record"


@lru_cache(maxsize=4096)  # each English text is compared with every language's translation
def _values(text: str) -> dict[str, list[str]]:
    """The protected values of a text, by kind; numbers in any script's digits (read only:
    the result is shared)."""
    found: dict[str, list[str]] = {"placeholders": placeholders(text)}
    rest = []
    for kind, value in tokens(PLACEHOLDER.sub(" ", FIELD.sub(" ", text))):
        if kind == "text":
            rest.append(value)
        else:
            found.setdefault(f"{kind}s", []).append(value)
    found["numbers"] = "".join(rest).translate(_DIGITS_ONLY).split()
    return {kind: sorted(values) for kind, values in found.items()}


class _DigitsOnly(dict[int, str]):
    """A str.translate table that keeps digits (any script's, as ASCII) and spaces and
    blanks out the rest, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        self[code] = str(unicodedata.digit(c)) if c.isdigit() else c if c.isspace() else " "
        return self[code]


_DIGITS_ONLY = _DigitsOnly()


CONTACTS = ("phones", "emails", "webs", "postcodes")
PROTECTED = ("placeholders", *CONTACTS, "numbers")


def protected_difference(english_text: str, translation: str,
                         kinds: tuple[str, ...] = PROTECTED) -> str | None:
    """What a translation changed that it must keep as in the English (of these kinds),
    or None. Contact details alone (CONTACTS) are an error in any PO file: a family would
    call the wrong number; an imported translation is held to all of them."""
    want, got = _values(english_text), _values(translation)
    for kind in kinds:
        if want.get(kind, []) != got.get(kind, []):
            name = {"webs": "web addresses"}.get(kind, kind)
            return (f"{name} differ from the English: expected {want.get(kind) or 'none'}, "
                    f"found {got.get(kind) or 'none'}")
    return None


def check_translations(memory: Memory, glossary: Glossary, problems: Problems) -> None:
    """Errors and warnings for each current translation of the memory, at its line."""
    po: PoFile = memory.po
    current = [m for m in po if m.id and isinstance(m.string, str) and m.string and not m.fuzzy
               and (english(m), m.context) not in memory.refused]
    ratios = [len(str(m.string)) / len(english(m)) for m in current if len(english(m)) >= 20]
    usual = statistics.median(ratios) if ratios else 1.0
    latin_script = not LANGUAGES[memory.lang].latin_in_ueb
    for m in current:
        text, source = str(m.string), english(m)
        line = memory.translation_lines.get((source, m.context)) or memory.line_of(m)
        problem = protected_difference(source, text, CONTACTS)
        if problem:
            problems.add(memory.path, line, problem)
            continue
        for warning in _warnings(source, text, usual, latin_script):
            problems.warn(memory.path, line, warning)
        for term in glossary.unused(source, text, memory.lang):
            problems.warn(memory.path, line, f"the English says '{term}': use the glossary's "
                          "term for it (translations/glossary.yaml)")


def _warnings(source: str, text: str, usual: float, latin_script: bool) -> list[str]:
    found = []
    words = LATIN_WORD.findall(source)
    if text == source and len(words) >= 2:
        found.append("the translation is the same as the English")
    elif not latin_script:
        # Names (capitalised) and codes (MP3) may stay in Latin letters, and so may the
        # English term given in brackets after its translation: "(advocate)".
        glossed = {w.casefold() for part in re.findall(r"\(([^()]*)\)", text)
                   for w in LATIN_WORD.findall(part)} & {w.casefold() for w in words}
        runs = [r for r in LATIN_RUN.findall(_plain(text))  # a name as the English has it
                if not (r in source and any(w[0].isupper() for w in r.split()))]
        stray = [w for r in runs for w in LATIN_WORD.findall(r)
                 if w[0].islower() and w.casefold() not in glossed]
        if stray:
            found.append(f"Latin letters in the translation other than the English's names and "
                         f"contact details: {', '.join(sorted(set(stray))[:5])}")
    if source.rstrip()[-1:] in ".?!" and text.rstrip()[-1:] not in SENTENCE_END:
        found.append("the English ends a sentence but the translation has no final punctuation")
    if len(source) >= 20 and not 0.5 * usual <= len(text) / len(source) <= 2 * usual:
        found.append(f"the translation is {len(text) / len(source):.1f} times as long as the "
                     f"English; this language's translations are usually {usual:.1f} times")
    return found


def _plain(text: str) -> str:
    """Text without placeholders and contact details (which keep their Latin letters)."""
    return "".join(v for kind, v in tokens(PLACEHOLDER.sub(" ", FIELD.sub(" ", text))) if kind == "text")
