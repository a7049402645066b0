"""Machine translation drafts with Argos Translate (optional: make mt).

Placeholders and contact details never go through the model as text: each is masked
as {0}, {1}, ... (a form MT training data from software strings keeps intact), and a
token that does not come back exactly once makes that entry an error."""
from __future__ import annotations

import re
from typing import Callable

from leafgen.i18n import FIELD, PLACEHOLDER
from leafgen.inline import tokens
from leafgen.languages import LANGUAGES

MASK = re.compile(r"\{(\d+)\}")


class MtError(Exception):
    pass


def mask(text: str) -> tuple[str, list[str]]:
    """Replace placeholders and contact details with {0}, {1}, ... in order."""
    kept: list[str] = []

    def hide(value: str) -> str:
        kept.append(value)
        return "{%d}" % (len(kept) - 1)

    parts = []
    pos = 0
    both = re.compile(f"{PLACEHOLDER.pattern}|{FIELD.pattern}")
    for m in both.finditer(text):
        parts.append(_mask_contacts(text[pos:m.start()], hide))
        parts.append(hide(m.group(0)))
        pos = m.end()
    parts.append(_mask_contacts(text[pos:], hide))
    return "".join(parts), kept


def _mask_contacts(text: str, hide: Callable[[str], str]) -> str:
    return "".join(value if kind == "text" else hide(value) for kind, value in tokens(text))


def unmask(translated: str, kept: list[str]) -> str:
    """Put the masked values back; every token must come back exactly once."""
    found = [int(n) for n in MASK.findall(translated)]
    for n, value in enumerate(kept):
        if found.count(n) != 1:
            raise MtError(f"masked token {{{n}}} ({value}) came back {found.count(n)} times")
    if extra := sorted(set(found) - set(range(len(kept)))):
        raise MtError(f"unknown tokens {extra} in the output")
    return MASK.sub(lambda m: kept[int(m.group(1))], translated)


def translate_masked(text: str, translate: Callable[[str], str]) -> str:
    masked, kept = mask(text)
    return unmask(translate(masked), kept)


def argos_translator(lang: str) -> Callable[[str], str]:
    """An English-to-lang translate function from the installed Argos model, or a
    clear MtError saying what to install."""
    if LANGUAGES[lang].no_mt_model:
        raise MtError(f"{LANGUAGES[lang].no_mt_model}; translate {lang} by hand (status draft)")
    try:
        from argostranslate import translate as argos
    except ImportError:
        raise MtError("machine translation needs the optional extra: "
                      "run make mt in the project (torch's CPU build, about 1.5 GB)") from None
    languages = {language.code: language for language in argos.get_installed_languages()}
    source, target = languages.get("en"), languages.get(lang)
    translation = source.get_translation(target) if source and target else None
    if translation is None:
        raise MtError(f"no Argos model for English to {lang}: install it with "
                      f"argospm install translate-en_{lang}")
    translate: Callable[[str], str] = translation.translate  # argostranslate is untyped
    return translate
