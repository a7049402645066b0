"""The language registry: one record per language with everything any part of leafgen
needs to know about it. Formats, the site, packs and translation ask here; nothing
else keeps a table by language. Adding a language: one record here, then
`leafgen extract` writes its PO file (README: "Add a language")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LATIN_FONT = "Noto Sans"


@dataclass(frozen=True)
class Language:
    code: str                      # leafgen's id: output folders, PO file names, --lang
    tag: str                       # BCP-47 with region, for documents (DOCX w:lang)
    english_name: str
    native_name: str               # in its own script, for people choosing a language
    dir: Literal["ltr", "rtl"]
    iso639_2: str                  # ID3 TLAN in the MP3s
    # Print: the one Noto font made for its script (None: Latin, LATIN_FONT), and the line
    # height its script needs (Arabic-script marks above and below need more room).
    font: str | None = None
    line_height: float = 1.5
    # Braille: the liblouis table (a name under templates/braille/ is the project's own
    # table that includes liblouis's and defines what it leaves undefined), or None and
    # no_braille saying why. latin_in_ueb: a non-Latin script whose table cannot write
    # Latin letters in 6 dots, so Latin runs are written in UEB grade 1.
    braille_table: str | None = None
    no_braille: str = ""
    latin_in_ueb: bool = False
    # Audio: the espeak-ng voice, or None and no_voice saying why.
    voice: str | None = None
    no_voice: str = ""
    # Machine translation: an English-to-this Argos model exists, or why not.
    no_mt_model: str = ""
    # gettext's Plural-Forms for a new PO file (the file's own header rules after that)
    plural_forms: str = "nplurals=2; plural=(n != 1);"

    @property
    def fonts(self) -> list[str]:
        """Font families for print, script font first; no fallback beyond these."""
        return [f for f in (self.font, LATIN_FONT) if f]

    @property
    def complex_script(self) -> bool:
        """Arabic-script and Indic text: Word uses its complex-script font and size."""
        return self.font is not None


NASKH = "Noto Naskh Arabic"  # Arabic script: marks above and below need a taller line

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in [
    Language("en", "en-GB", "English", "English", "ltr", "eng", braille_table="en-ueb-g2.ctb",
             voice="gmw/en"),
    Language("pa", "pa-IN", "Punjabi", "ਪੰਜਾਬੀ", "ltr", "pan", font="Noto Sans Gurmukhi",
             braille_table="pa-leafgen.tbl", latin_in_ueb=True, voice="inc/pa",
             no_mt_model="Argos Translate has no English to Punjabi model"),
    # Urdu is set in Naskh rather than Nastaliq: Nastaliq's glyphs do not map back to
    # text (see formats/pdf.py), so its PDFs would not say what their pages show.
    Language("ur", "ur-PK", "Urdu", "اردو", "rtl", "urd", font=NASKH, line_height=1.8,
             latin_in_ueb=True,
             braille_table="ur-leafgen.ctb", voice="inc/ur"),
    Language("ar", "ar-SA", "Arabic", "العربية", "rtl", "ara", font=NASKH, line_height=1.7,
             latin_in_ueb=True,
             braille_table="ar-ar-g1.utb", voice="sem/ar",
             plural_forms="nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
                          "n%100>=3 && n%100<=10 ? 3 : n%100>=0 && n%100<=2 ? 4 : 5);"),
    Language("bn", "bn-BD", "Bengali", "বাংলা", "ltr", "ben", font="Noto Sans Bengali",
             braille_table="bn-leafgen.tbl", latin_in_ueb=True, voice="inc/bn"),
    Language("fa", "fa-IR", "Farsi", "فارسی", "rtl", "per", font=NASKH, line_height=1.7,
             latin_in_ueb=True,
             braille_table="fa-leafgen.utb", voice="ira/fa",
             plural_forms="nplurals=1; plural=0;"),
    Language("sq", "sq-AL", "Albanian", "Shqip", "ltr", "alb",
             no_braille="liblouis has no Albanian braille table (none is invented here)",
             voice="ine/sq"),
    Language("bs", "bs-Latn-BA", "Bosnian", "Bosanski", "ltr", "bos",
             braille_table="hr-g1.tbl",  # liblouis has no Bosnian table; Croatian's letters are the same
             voice="zls/bs", no_mt_model="Argos Translate has no English to Bosnian model",
             plural_forms="nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 "
                          "&& (n%100<10 || n%100>=20) ? 1 : 2);"),
    Language("it", "it-IT", "Italian", "Italiano", "ltr", "ita", braille_table="it-leafgen.tbl",
             voice="roa/it"),
]}

SOURCE_LANGUAGE = "en"
