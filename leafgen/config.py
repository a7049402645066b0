"""Project options: leafgen.yaml at the project root (optional)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from leafgen.errors import Problems
from leafgen.model import Strict
from leafgen.project import load_model

CONFIG_FILE = "leafgen.yaml"


class ProjectConfig(Strict):
    # UKAAF: large print is at least 16pt; 18pt is the usual choice; some readers need 24pt.
    large_print_size: int = Field(18, ge=16, le=24)
    clear_print_size: int = Field(14, ge=12, le=16)


def load_config(root: Path, problems: Problems) -> ProjectConfig:
    """The project's options, or the defaults when there is no leafgen.yaml."""
    path = root / CONFIG_FILE
    if not path.exists():
        return ProjectConfig()
    loaded = load_model(path, ProjectConfig, problems)
    return loaded.model if loaded else ProjectConfig()
