"""National scale: a synthetic project of N councils, built cold, again with nothing to
do, and again after one council's phone number changes, for several N in one run.

    .venv/bin/python bench/scale_bench.py [--councils 5,50,150] [--formats html,txt,brf]
                                          [--langs en,ur,pl]

Each council is one of the five real ones copied with a new id, name and phone numbers,
and one local paragraph of its own; there are three leaflets: the shared one and two
made of its sections in other orders, under other titles. Translations are the project's own (a council's own paragraph
is shown in English in them, marked). The default format and language set is reduced
(the full one would take hours at N = 150 on 2 cores): it says which in its output.
Peak memory is the largest resident size of the cold build's process or any of its
workers. Utterances: the texts the documents say (their spoken script), and how many of
them are different (what speech and braille make once)."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BASES = sorted(p.stem for p in (REPO / "authorities").glob("*.yaml"))


def make_project(root: Path, councils: int) -> None:
    shutil.copytree(REPO / "translations", root / "translations")
    (root / "authorities").mkdir(parents=True)
    shared = yaml.safe_load((REPO / "leaflets" / "child-protection-conference" / "leaflet.yaml").read_text())
    for i in range(3):
        # the others: its sections (which councils' own sections refer to by id) in
        # another order, under another title
        body = shared["sections"][:-1]
        leaflet = dict(shared) if i == 0 else {
            **shared, "id": f"part-{i}", "title": f"{shared['title']} ({i + 1})",
            "sections": (body[::-1] if i == 1 else body[1::2] + body[::2]) + shared["sections"][-1:]}
        folder = root / "leaflets" / leaflet["id"]
        folder.mkdir(parents=True)
        (folder / "leaflet.yaml").write_text(yaml.safe_dump(leaflet, allow_unicode=True, sort_keys=False))
    for n in range(councils):
        base = yaml.safe_load((REPO / "authorities" / f"{BASES[n % len(BASES)]}.yaml").read_text())
        council = f"council-{n:03d}"
        text = yaml.safe_dump(base, allow_unicode=True, sort_keys=False)
        text = re.sub(r"\b(0\d{3,4}) (\d{3})(\d{3})\b", lambda m: f"{m.group(1)} {n % 1000:03d}{m.group(3)}", text)
        data = yaml.safe_load(text)
        data["id"], data["name"] = council, f"Council {n}"
        data.setdefault("sections", []).append({
            "id": f"local-{n}", "action": "add", "heading": f"Help in area {n}",
            "blocks": [{"paragraph": f"Our family support workers in area {n} can meet you before the "
                                     f"conference. Ask your social worker to arrange it."}]})
        (root / "authorities" / f"{council}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def build(project: Path, out: Path, formats: list[str], langs: list[str]) -> tuple[float, str, int]:
    args = [str(Path(sys.executable).parent / "leafgen"), "--project", str(project), "build", "--out", str(out)]
    args += [a for f in formats for a in ("--format", f)] + [a for lang in langs for a in ("--lang", lang)]
    # run under a small parent that reports the largest resident size of this build alone
    # (the build or any of its workers)
    measured = [sys.executable, "-c", "import resource, subprocess, sys; "
                "code = subprocess.run(sys.argv[1:]).returncode; "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); sys.exit(code)"]
    start = time.perf_counter()
    done = subprocess.run(measured + args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
    *lines, peak = done.stdout.strip().splitlines()
    return seconds, lines[-1], int(peak)


def utterances(project: Path, langs: list[str]) -> tuple[int, int]:
    """What the documents say (their spoken script) and how much of it is different: the
    work speech and braille do once per different text."""
    from leafgen.pipeline import Project, Selection
    from leafgen.spoken import chapters

    docs = Project(project).documents(Selection(langs=tuple(langs)))
    said = [(d.lang, u.text) for d in docs for c in chapters(d) for u in c.utterances]
    return len(said), len(set(said))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--councils", default="5,50,150")
    parser.add_argument("--formats", default="html,txt,brf")
    parser.add_argument("--langs", default="en,ur,pl")
    a = parser.parse_args()
    formats, langs = a.formats.split(","), a.langs.split(",")
    print(f"formats {', '.join(formats)}; languages {', '.join(langs)}; 3 leaflets per council")
    print(f"{'N':>4} {'artifacts':>9} {'utterances':>10} {'different':>9} {'cold s':>7} {'ms/artifact':>11} "
          f"{'no-op s':>7} {'phone s':>7} {'rebuilt':>7} {'peak MB':>7}")
    for councils in (int(n) for n in a.councils.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            project, out = Path(tmp) / "p", Path(tmp) / "out"
            make_project(project, councils)
            said, different = utterances(project, langs)
            cold, _, peak = build(project, out, formats, langs)
            artifacts = len(json.loads((out / "manifest.json").read_text())["artifacts"])
            noop, _, _ = build(project, out, formats, langs)
            council = project / "authorities" / "council-001.yaml"
            text = council.read_text()
            number = re.search(r"\b0\d{3,4} \d{6}\b", text)
            assert number, "a phone number to change"
            council.write_text(text.replace(number.group(0), number.group(0)[:-1] + str((int(number.group(0)[-1]) + 1) % 10)))
            phone, summary, _ = build(project, out, formats, langs)
            rebuilt = int(summary.split()[0])
            print(f"{councils:>4} {artifacts:>9} {said:>10} {different:>9} {cold:>7.1f} {1000 * cold / artifacts:>11.1f} {noop:>7.2f} "
                  f"{phone:>7.1f} {rebuilt:>7} {peak:>7}")


if __name__ == "__main__":
    main()
