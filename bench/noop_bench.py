"""No-op build against `leafgen --version`, both as the command a person types, in one run.

    .venv/bin/python bench/noop_bench.py [--project DIR] [--out DIR] [--runs N]

Builds the project once into an output folder (a new temporary one: a cold build of the
full matrix, several minutes with audio; or --out, an output folder built before, which
this first build only brings up to date), then times N runs of `leafgen --version` and N
no-op `leafgen build` runs, each a fresh process, and prints both medians and their
difference. The goal (issue 15): the difference is at most 0.5 s.
Exit status 1 when a no-op build wrote anything or the goal is missed."""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 0.5  # seconds a no-op build may take beyond `leafgen --version`


def leafgen(*args: str | Path, cwd: Path) -> tuple[float, str]:
    """Seconds taken (wall clock, as a person waits) and the output."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "leafgen", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"leafgen {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--out", type=Path, default=None,
                        help="an output folder to reuse (default: a new temporary one)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", default="--version",
                        help="what to compare with (--help for a leafgen without --version)")
    args = parser.parse_args()
    project = args.project.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        out = (args.out or Path(tmp) / "output").resolve()
        print(f"first build into {out} (cold, or bringing it up to date) ...", flush=True)
        seconds, text = leafgen("--project", project, "build", "--out", out, cwd=project)
        print(f"  {seconds:.1f} s: {text.strip().splitlines()[-1]}")
        # -m leafgen from the project folder: the code under test, not an installed copy
        version, noop = [], []
        for _ in range(args.runs):  # interleaved, so a busy moment costs both alike
            version.append(leafgen(args.baseline, cwd=project)[0])
            seconds, text = leafgen("--project", project, "build", "--out", out, cwd=project)
            if not text.strip().splitlines()[-1].startswith("0 written"):
                raise SystemExit(f"not a no-op build:\n{text}")
            noop.append(seconds)
    v, b = statistics.median(version), statistics.median(noop)
    print(f"\n{'runs':<28}{args.runs:>8}")
    print(f"{'leafgen ' + args.baseline + ' (median)':<28}{v:>8.3f} s")
    print(f"{'no-op leafgen build (median)':<28}{b:>8.3f} s")
    print(f"{'difference':<28}{b - v:>8.3f} s   (goal: at most {GOAL} s)")
    print(f"{'min / max ' + args.baseline:<28}{min(version):>8.3f} / {max(version):.3f} s")
    print(f"{'min / max no-op build':<28}{min(noop):>8.3f} / {max(noop):.3f} s")
    sys.exit(0 if b - v <= GOAL else 1)


if __name__ == "__main__":
    main()
