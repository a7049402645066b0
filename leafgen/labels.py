"""Every fixed label the formats print ("Telephone", "Contents"...). Templates and
renderers may only use labels listed here, so extraction finds every one of them."""
from __future__ import annotations

LABELS: tuple[str, ...] = (
    "Contents",
    "Skip to main content",
    "Address",
    "Telephone",
    "Email",
    "Web",
    "Opening hours",
    "Areas covered",
    "Published by",
    "Left blank, to be filled in",
    "Page",
    # The spoken introduction and words for symbols in the audio version ({...} are filled in).
    "This is the audio version of {title}, from {council}.",
    "It lasts about {minutes} minutes.",
    "It has {count} sections:",
    "To move between sections, use your player's next and previous chapter buttons.",
    "End of the leaflet.",
    "at",
    "dot",
    "underscore",
    "hyphen",
    "slash",
    # The README in a family pack (leafgen pack), and what each file is.
    "This pack contains:",
    "Some of these files have your family's details filled in. Keep them safe and "
    "do not share them.",
    "Web page (HTML)",
    "Text only",
    "Clear print PDF",
    "Large print PDF, {size} point",
    "Word document",
    "Large print Word document, {size} point",
    "Braille (BRF, for embossers)",
    "Braille (PEF, for braille displays and embossers)",
    "Audio (MP3), about {minutes} minutes",
    "Talking book (EPUB), text and audio together",
    "E-book (EPUB), text only",
    "Bilingual PDF, in {language} and English",
    "Bilingual Word document, in {language} and English",
    # Beside the QR code on the printed editions, followed by the page's address.
    "Scan this code for this leaflet in other languages, large print, braille and audio:",
    # The EPUB's accessibility summary (schema:accessibilitySummary), with and without speech.
    "An accessible e-book of the whole leaflet: headings to move between sections, and "
    "the text read aloud in step, each phrase highlighted as it is spoken.",
    "An accessible e-book of the whole leaflet as text, with headings to move between "
    "sections.",
    # The notice on every output built from unreviewed (draft or machine) translation.
    "This translation has not yet been checked by a qualified translator. If anything "
    "is unclear, ask your social worker for an interpreter. You can also ask for the "
    "English version.",
    # Before each part shown in English because its translation is missing or out of
    # date, and in the notice of every output with such parts.
    "Not yet translated: this part is in English.",
    "{percent}% translated: {count} of {total} parts are shown in English.",
)

UNREVIEWED_NOTICE, UNTRANSLATED_MARK, COMPLETENESS = LABELS[-3:]
QR_SENTENCE = "Scan this code for this leaflet in other languages, large print, braille and audio:"
assert QR_SENTENCE in LABELS

# What each family field is called on the command line and in the web form (for social
# workers, in English; the leaflet's own labels for them are in merge.py).
FIELD_LABELS: dict[str, str] = {
    "social_worker_name": "Social worker's name",
    "social_worker_phone": "Social worker's telephone",
    "chair_name": "Conference chair's name",
    "chair_phone": "Conference chair's telephone",
    "conference_date": "Conference date and time",
    "conference_place": "Conference place",
}
