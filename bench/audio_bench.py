"""Time the audio of every council x language, with a cold and a warm speech cache,
against the floor: the espeak-ng command-line tool speaking the same unique text in one go.

    .venv/bin/python bench/audio_bench.py [--project DIR] [--langs en,ur]

Prints seconds for each and the ratio to the floor. Uses a temporary cache, so the
project's own .cache is left alone."""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from leafgen.pipeline import load_documents
from leafgen.config import load_config
from leafgen.errors import Problems
from leafgen.formats import FORMATS
from leafgen.languages import LANGUAGES
from leafgen.spoken import script_text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--langs", default="")
    args = parser.parse_args()
    root = args.project.resolve()
    docs = load_documents(root)
    if args.langs:
        docs = [d for d in docs if d.lang in args.langs.split(",")]
    with tempfile.TemporaryDirectory() as cache:
        config = load_config(root, Problems(root)).model_copy(update={"cache_dir": cache})
        timings = {}
        for run in ("cold", "warm"):
            start = time.perf_counter()
            for doc in docs:
                FORMATS["mp3"].render(doc, root / "templates", config)
            timings[run] = time.perf_counter() - start
        floor = espeak_floor(docs, config.speech_rate)
    print(f"{len(docs)} MP3s: cold cache {timings['cold']:.1f} s, warm cache {timings['warm']:.1f} s; "
          f"espeak-ng CLI on the same unique text {floor:.1f} s")
    print(f"ratio to the floor: cold {timings['cold'] / floor:.1f}x, warm {timings['warm'] / floor:.1f}x")


def espeak_floor(docs: list, rate: int) -> float:
    """espeak-ng speaking each language's unique lines in one call per language."""
    unique: dict[str, dict[str, None]] = {}
    for doc in docs:
        for line in script_text(doc, 10).splitlines():
            unique.setdefault(doc.lang, {})[line] = None
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for lang, lines in unique.items():
            text = Path(folder) / f"{lang}.txt"
            text.write_text("\n\n".join(lines), encoding="utf-8")
            subprocess.run(["espeak-ng", "-v", LANGUAGES[lang].voice, "-s", str(rate), "-f", str(text),
                            "-w", str(Path(folder) / f"{lang}.wav")], check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
