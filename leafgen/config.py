"""Project options: leafgen.yaml at the project root (optional)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from leafgen.errors import Problems
from leafgen.model import Strict
from leafgen.project import load_model

CONFIG_FILE = "leafgen.yaml"


class ProjectConfig(Strict):
    # UKAAF: large print is at least 16pt; 18pt is the usual choice; some readers need 24pt.
    large_print_size: int = Field(18, ge=16, le=24)
    clear_print_size: int = Field(14, ge=12, le=16)
    # Urdu print: Naskh (the default: the same Arabic-script font as Arabic and Farsi,
    # clear at large sizes) or Nastaliq, the style Urdu readers expect in print (taller
    # lines; its text is still exact for screen readers and copying: each run carries it).
    urdu_print: Literal["naskh", "nastaliq"] = "naskh"
    # Braille: Unified English Braille grade 2 by default (grade 1: uncontracted).
    braille_grade: Literal[1, 2] = 2
    braille_cells: int = Field(40, ge=20, le=42)  # cells per line
    braille_lines: int = Field(25, ge=10, le=30)  # lines per page
    # Audio: words a minute (UKAAF: clear, unhurried speech; 150-160 suits most listeners).
    speech_rate: int = Field(155, ge=100, le=220)
    # The speech engine: espeak-ng (speech read from a pipe, nothing written anywhere), or
    # pyttsx3 for the operating system's own voices (SAPI5 on Windows, NSSpeech on macOS;
    # on Linux its espeak driver), with speech_voices naming the engine's voice for a
    # language where it is not the registry's espeak-ng voice.
    speech_engine: Literal["espeak-ng", "pyttsx3"] = "espeak-ng"
    speech_voices: dict[str, str] = {}
    # A translation that is missing or out of date: "fallback" shows the English in its
    # place, marked as not yet translated, and builds; "strict" makes it an error, so
    # that a language is built only when every text is translated.
    translations: Literal["fallback", "strict"] = "fallback"
    # Where the download site (output/site) is published, e.g. https://leaflets.example.gov.uk:
    # the printed editions then carry a QR code and the address of the leaflet's page.
    site_url: str | None = None
    # Where synthesised speech is cached (relative to the project); CI can save and restore it.
    cache_dir: str = ".cache"

    @field_validator("site_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        # Printed on paper and in a QR code: a plain web address, nothing a phone would
        # open as anything else (javascript:, file:), nothing that breaks the line.
        if value is not None and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?", value):
            raise ValueError(f"site_url must be a web address such as https://leaflets.example.gov.uk, "
                             f"not '{value[:60]}'")
        return value

    @field_validator("cache_dir")
    @classmethod
    def _inside_project(cls, value: str) -> str:
        # The build writes its state and speech there: a project's options must not
        # make it write into another folder of the machine (/etc, ../../home).
        path = Path(value)
        if path.is_absolute() or ".." in path.parts or not value.strip():
            raise ValueError(f"cache_dir must be a folder inside the project, such as .cache, "
                             f"not '{value[:60]}'")
        return value


def load_config(root: Path, problems: Problems) -> ProjectConfig:
    """The project's options, or the defaults when there is no leafgen.yaml."""
    path = root / CONFIG_FILE
    loaded = load_model(path, ProjectConfig, problems) if path.exists() else None
    config = loaded.model if loaded else ProjectConfig()
    return config.model_copy(update={"cache_dir": str(root / config.cache_dir)})
