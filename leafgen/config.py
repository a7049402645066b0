"""Project options: leafgen.yaml at the project root (optional)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from leafgen.errors import Problems
from leafgen.model import Strict
from leafgen.project import load_model

CONFIG_FILE = "leafgen.yaml"


class ProjectConfig(Strict):
    # UKAAF: large print is at least 16pt; 18pt is the usual choice; some readers need 24pt.
    large_print_size: int = Field(18, ge=16, le=24)
    clear_print_size: int = Field(14, ge=12, le=16)
    # Braille: Unified English Braille grade 2 by default (grade 1: uncontracted).
    braille_grade: Literal[1, 2] = 2
    braille_cells: int = Field(40, ge=20, le=42)  # cells per line
    braille_lines: int = Field(25, ge=10, le=30)  # lines per page


def load_config(root: Path, problems: Problems) -> ProjectConfig:
    """The project's options, or the defaults when there is no leafgen.yaml."""
    path = root / CONFIG_FILE
    if not path.exists():
        return ProjectConfig()
    loaded = load_model(path, ProjectConfig, problems)
    return loaded.model if loaded else ProjectConfig()
