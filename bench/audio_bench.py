"""The audio of every council x language, side by side in one run:

1. leafgen's cold MP3 build of the matrix (`leafgen build --format mp3`, empty speech
   cache, all cores);
2. the plain way on the same text: every utterance of every leaflet spoken by the
   espeak-ng command line to a WAV file (`espeak-ng -w`), joined with its pauses and
   encoded by the same MP3 encoder, a leaflet per worker process, with as many workers
   as leafgen's build;
3. the warm rebuild after one phone number changes in one council (its MP3s only).

This machine's speed drifts by up to a tenth over minutes (other guests on its host), so
the plain loop is run in two halves (every other leaflet), one before leafgen's build
and one after it: the drift falls on both sides alike. Both halves are shown.

    .venv/bin/python bench/audio_bench.py [--project DIR]

Works on a copy of the project in a temporary folder (the project's .cache is not used)."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from leafgen.build import default_jobs
from leafgen.formats.audio import RATE, _encode, voice_of
from leafgen.languages import LANGUAGES
from leafgen.pipeline import Project
from leafgen.spoken import chapters, closing, introduction

COUNCIL, PHONE = "bolton", ("01204 337400", "01204 337401")


def leafgen_build(project: Path, out: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "leafgen"), "--project", str(project), "build", "--format", "mp3",
                           "--out", str(out)], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1]


def plain_mp3(task: tuple[str, list[tuple[str, int]], str]) -> int:
    """One leaflet the plain way: espeak-ng -w per utterance, then the encoder."""
    voice, said, folder = task
    pcm = []
    wav = Path(folder) / f"{os.getpid()}.wav"
    for text, pause_ms in said:
        subprocess.run(["espeak-ng", "-v", voice, "-s", "155", "-w", str(wav), text], check=True)
        with wave.open(str(wav), "rb") as w:
            pcm.append(w.readframes(w.getnframes()) + b"\0\0" * (RATE * pause_ms // 1000))
    return len(_encode(b"".join(pcm)))


def plain_loop(tasks: list[tuple[str, list[tuple[str, int]], str]]) -> float:
    """Seconds to make these leaflets the plain way, with as many worker processes as
    leafgen's build (one more than the cores: each waits for its espeak-ng program too)."""
    start = time.perf_counter()
    with ProcessPoolExecutor(default_jobs(("mp3",))) as pool:
        list(pool.map(plain_mp3, tasks))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=Path("."))
    root = parser.parse_args().project.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        for name in ("leaflets", "authorities", "translations"):
            shutil.copytree(root / name, project / name)
        out = Path(tmp) / "out"
        docs = [d for d in Project(project).documents() if LANGUAGES[d.lang].voice]
        tasks = [(voice_of(d.lang), [(u.text, u.pause_ms) for u in
                                     [*introduction(d, 10), *(u for c in chapters(d) for u in c.utterances),
                                      closing(d)]],
                  tmp) for d in docs]
        before = plain_loop(tasks[::2])
        cold, summary = leafgen_build(project, out)
        after = plain_loop(tasks[1::2])
        plain = before + after

        council = project / "authorities" / f"{COUNCIL}.yaml"
        council.write_text(council.read_text(encoding="utf-8").replace(*PHONE), encoding="utf-8")
        warm, rebuilt = leafgen_build(project, out)

    utterances = sum(len(t[1]) for t in tasks)
    # leafgen makes each (voice, text) once, whatever pause follows it
    unique = len({(voice, text) for voice, saying, _ in tasks for text, _ in saying})
    print(f"{len(docs)} MP3s, {utterances} utterances ({unique} different texts), {os.cpu_count()} cores, "
          f"{default_jobs(('mp3',))} worker processes a side")
    print(f"  leafgen, cold cache:            {cold:6.1f} s   ({summary})")
    print(f"  espeak-ng -w + encoder, plain:  {plain:6.1f} s   ({before:.1f} s before leafgen's build, {after:.1f} s after)")
    print(f"  ratio plain / leafgen:          {plain / cold:6.2f}x")
    print(f"  one phone number changed in {COUNCIL}: {warm:.1f} s ({rebuilt})")


if __name__ == "__main__":
    main()
