"""Time PDF rendering: every council x language x PDF variant in one warm process.

    .venv/bin/python bench/pdf_bench.py [--project DIR]

Prints the median milliseconds per artifact and the page count, per language and variant.
The first render of each variant is a warm-up (imports, font loading) and is not counted."""
from __future__ import annotations

import argparse
import io
import statistics
import time
from collections import defaultdict
from pathlib import Path

import pikepdf

from leafgen.pipeline import load_documents
from leafgen.config import load_config
from leafgen.errors import Problems
from leafgen.formats import FORMATS
from leafgen.project import templates_folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=Path("."))
    root = parser.parse_args().project.resolve()
    docs = load_documents(root)
    config = load_config(root, Problems(root))
    templates = templates_folder(root)
    variants = ["pdf", "large-print-pdf"]
    for name in variants:  # warm-up
        FORMATS[name].render(docs[0], templates, config)
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    pages: dict[tuple[str, str], list[int]] = defaultdict(list)
    start = time.perf_counter()
    for doc in docs:
        for name in variants:
            t = time.perf_counter()
            data = FORMATS[name].render(doc, templates, config)
            times[doc.lang, name].append((time.perf_counter() - t) * 1000)
            with pikepdf.open(io.BytesIO(data)) as pdf:
                pages[doc.lang, name].append(len(pdf.pages))
    total = time.perf_counter() - start
    print(f"{'lang':<5}{'variant':<17}{'median ms':>10}{'max ms':>8}{'pages':>7}")
    for (lang, name), ms in sorted(times.items()):
        print(f"{lang:<5}{name:<17}{statistics.median(ms):>10.0f}{max(ms):>8.0f}"
              f"{statistics.median(pages[lang, name]):>7.0f}")
    n = sum(len(v) for v in times.values())
    print(f"{n} artifacts in {total:.1f} s: {total / n * 1000:.0f} ms each on average")


if __name__ == "__main__":
    main()
