"""JSON Schemas for editors, generated from the typed model (never hand-written)."""
from __future__ import annotations

import json

from pydantic import BaseModel

from leafgen.model import Authority, Leaflet

SCHEMAS: dict[str, type[BaseModel]] = {"leaflet.schema.json": Leaflet,
                                       "authority.schema.json": Authority}


def schema_texts() -> dict[str, str]:
    """File name -> JSON text of each schema."""
    return {name: json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
            for name, model in SCHEMAS.items()}


if __name__ == "__main__":  # python -m leafgen.schema: rewrite schema/ after changing model.py
    from pathlib import Path
    for name, text in schema_texts().items():
        Path("schema", name).write_text(text, encoding="utf-8")
