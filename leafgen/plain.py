"""Plain-English checks of the English text (`leafgen check`): long sentences (GOV.UK: at
most 25 words), paragraphs above the reading age families can be expected to read (NHS
and the Patient Information Forum: 9 to 11), and words from a jargon list with the
plainer word. Readability by textstat (pinned: its later releases download NLTK data).

Passive sentences are not checked: the libraries that find them (spaCy and the like)
need a language model downloaded at run time, which leafgen never does."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from leafgen.model import Document

SENTENCE_LIMIT = 25        # words
READING_AGE_TARGET = 11    # years
# A reading-age formula says little about a few words: only paragraphs this long are scored.
SCORED_FROM = 30           # words
# UK reading age is a US school grade plus five years (a grade-1 child is six).
GRADE_TO_AGE = 5

JARGON: dict[str, str] = {
    "in advance": "before",
    "prior to": "before",
    "thereafter": "after that",
    "discontinued": "stopped",
    "commence": "start",
    "in order to": "to",
    "in relation to": "about",
    "with regard to": "about",
    "in respect of": "about",
    "facilitate": "help",
    "utilise": "use",
    "endeavour": "try",
    "subsequently": "later",
    "in the event that": "if",
    "whereby": "by which",
    "aforementioned": "this",
    "notwithstanding": "despite",
    "ascertain": "find out",
    "in accordance with": "under",
    "expedite": "speed up",
}


@dataclass(frozen=True)
class Finding:
    where: str     # file:line of the text
    message: str

    def __str__(self) -> str:
        return f"{self.where}: warning: {self.message}"


@dataclass(frozen=True)
class Figures:
    """Reading figures of a body of text."""
    words: int
    sentences: int
    reading_age: float

    @property
    def words_per_sentence(self) -> float:
        return self.words / max(1, self.sentences)

    def row(self, name: str) -> str:
        return (f"{name:<52} {self.words:>6} words {self.sentences:>5} sentences "
                f"{self.words_per_sentence:>5.1f} words a sentence  reading age {self.reading_age:4.1f}")


def sentences(text: str) -> list[str]:
    """Sentences: a full stop, question or exclamation mark, then a space and a capital."""
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'‘“(])", text.strip()) if s]


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", text)


def reading_age(text: str) -> float:
    import textstat
    return float(textstat.flesch_kincaid_grade(text)) + GRADE_TO_AGE


PROSE_FROM = 4  # words: shorter texts (a phone label, an address line) are not prose


def figures(texts: list[str]) -> Figures:
    """Words, sentences and reading age of the prose among the texts; a heading or list
    item without a full stop counts as a sentence."""
    prose = [t for t in texts if len(words(t)) >= PROSE_FROM]
    joined = " ".join(t if t.rstrip().endswith((".", "?", "!", ":")) else t + "." for t in prose)
    return Figures(len(words(joined)), sum(len(sentences(t)) for t in prose), reading_age(joined))


def check(text: str, where: str) -> list[Finding]:
    """What a reader might stumble over in one text."""
    found = []
    for sentence in sentences(text):
        count = len(words(sentence))
        if count > SENTENCE_LIMIT:
            found.append(Finding(where, f"a sentence of {count} words (at most {SENTENCE_LIMIT}): "
                                        f"'{sentence[:60]}...'"))
    for phrase, plainer in JARGON.items():
        if any(not _in_a_name(text, m) for m in re.finditer(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE)):
            found.append(Finding(where, f"'{phrase}': say '{plainer}'"))
    if len(words(text)) >= SCORED_FROM:
        age = reading_age(text)
        if age > READING_AGE_TARGET:
            found.append(Finding(where, f"reading age {age:.1f} (aim for {READING_AGE_TARGET} or "
                                        "under: shorter sentences, shorter words)"))
    return found


def _in_a_name(text: str, match: re.Match[str]) -> bool:
    """Whether the words are part of a name written in capitals ("Endeavour House", an
    address): a name is not the writer's choice of word."""
    after = text[match.end():].split(maxsplit=1)
    return match.group(0)[:1].isupper() and bool(after) and after[0][:1].isupper()


def seed_texts(path: Path) -> list[str]:
    """A seed leaflet's paragraphs (blank-line separated plain text)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
            if p.strip()]


def place(where: str) -> tuple[str, int]:
    """A "file:line" as (file, line), to sort by."""
    path, _, line = where.rpartition(":")
    return path, int(line)


def written_texts(docs: Iterable[Document]) -> dict[str, str]:
    """The English texts written in content files (leaflets/, authorities/), each once, by
    file:line in file and line order: what `leafgen check` and `leafgen preview` check."""
    texts = {where: text for doc in docs for text, where in doc.sources.items()
             if where.startswith(("leaflets/", "authorities/"))}
    return dict(sorted(texts.items(), key=lambda item: place(item[0])))


def findings(texts: dict[str, str]) -> list[Finding]:
    """Every text's findings (texts: file:line -> text, as written_texts gives them)."""
    return [f for where, text in texts.items() for f in check(text, where)]
