"""Build benchmark, on a copy of the project (the project itself is not touched).

    .venv/bin/python bench/build_bench.py [--project DIR] [--jobs N] [--cold-cache]

Measures: a full build into an empty output folder; a no-op rebuild; a rebuild after
changing one council's phone number (artifacts rebuilt are counted); a rebuild after
editing one shared sentence (English only: the other languages wait for their
translations); --jobs 1 against --jobs N; and the engine floor (every artifact rendered
in one process, timing only the renderers) with the build's ratio to it."""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from leafgen.build import build
from leafgen.pipeline import Selection, load_documents
from leafgen.config import load_config
from leafgen.errors import Problems
from leafgen.formats import FORMATS
from leafgen.project import templates_folder


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    written = len(result.written) if result is not None else 0
    print(f"{label:<44}{seconds:>8.2f} s   {written:>4} artifacts built")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cold-cache", action="store_true", help="start with no speech cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(args.project.resolve(), root,
                        ignore=shutil.ignore_patterns("output", ".venv", ".git", ".cache"))
        if not args.cold_cache and (args.project / ".cache").exists():
            os.symlink((args.project / ".cache").resolve(), root / ".cache")
        out = Path(tmp) / "out"
        full = timed(f"full build, --jobs {args.jobs}", lambda: build(root, out, jobs=args.jobs))
        timed("no-op rebuild", lambda: build(root, out, jobs=args.jobs))
        bolton = root / "authorities/bolton.yaml"
        bolton.write_text(bolton.read_text().replace("01204 337400", "01204 337401"))
        timed("one council's phone number changed", lambda: build(root, out, jobs=args.jobs))
        leaflet = root / "leaflets/child-protection-conference/leaflet.yaml"
        text = leaflet.read_text()
        leaflet.write_text(text.replace("Your views matter.", "Your views really matter.", 1))
        timed("one shared sentence edited (English)",
              lambda: build(root, out, Selection(langs=("en",)), jobs=args.jobs))
        leaflet.write_text(text)
        one = timed("full build, --jobs 1", lambda: build(root, Path(tmp) / "out1", jobs=1))
        print(f"speed-up of --jobs {args.jobs}: {one / full:.2f}x")
        floor = engine_floor(root)
        print(f"engine floor (renderers alone, one process): {floor:.2f} s; "
              f"build --jobs 1 is {one / floor:.2f}x the floor")


def engine_floor(root: Path) -> float:
    docs = load_documents(root)
    config = load_config(root, Problems(root))
    total = 0.0
    for doc in docs:
        for fmt in FORMATS.values():
            if fmt.unavailable_reason(doc.lang):
                continue
            start = time.perf_counter()
            fmt.render(doc, templates_folder(root), config)
            total += time.perf_counter() - start
    return total


if __name__ == "__main__":
    main()
