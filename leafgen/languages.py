"""The nine languages leafgen writes, with the facts every format needs about them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Language:
    code: str
    english_name: str
    native_name: str
    dir: Literal["ltr", "rtl"]


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in [
    Language("en", "English", "English", "ltr"),
    Language("pa", "Punjabi", "ਪੰਜਾਬੀ", "ltr"),
    Language("ur", "Urdu", "اردو", "rtl"),
    Language("ar", "Arabic", "العربية", "rtl"),
    Language("bn", "Bengali", "বাংলা", "ltr"),
    Language("fa", "Farsi", "فارسی", "rtl"),
    Language("sq", "Albanian", "Shqip", "ltr"),
    Language("bs", "Bosnian", "Bosanski", "ltr"),
    Language("it", "Italian", "Italiano", "ltr"),
]}

SOURCE_LANGUAGE = "en"

LATIN_FONT = "Noto Sans"
# One font made for each non-Latin script, used by every format that names fonts.
# Urdu is set in Naskh rather than Nastaliq: Nastaliq's glyphs do not map back to
# text (see formats/pdf.py), so its PDFs would not say what their pages show.
SCRIPT_FONTS = {"ar": "Noto Naskh Arabic", "fa": "Noto Naskh Arabic", "ur": "Noto Naskh Arabic",
                "pa": "Noto Sans Gurmukhi", "bn": "Noto Sans Bengali"}
