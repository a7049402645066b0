"""Time a personalised family pack through `leafgen serve`, warm, as a social worker gets it:
GET the form, POST the choices and the family's details, POST the download.

    .venv/bin/python bench/pack_bench.py [--project DIR] [--runs 7] [--lang ur]
                                         [--format large-print-pdf --format docx --format mp3]

Run `leafgen build` first, so the speech cache is warm (as on any machine that builds).
The first pack is a warm-up (the render workers load WeasyPrint, fonts and voices).
Target (issue #9): under 3 s for three formats."""
from __future__ import annotations

import argparse
import http.cookiejar
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_pack(url: str, langs: list[str], formats: list[str], n: int) -> tuple[float, int]:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    start = time.perf_counter()
    form = opener.open(url + "/").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    fields = [("csrf_token", csrf), ("authority", "barnet"),
              ("leaflet", "child-protection-conference"),
              ("social_worker_name", f"Alex Example {n}"), ("social_worker_phone", "07700 900123"),
              ("chair_name", "Sam Chair"), ("conference_date", "Monday 4 May, 10am"),
              ("conference_place", "Room 1, Town Hall")]
    fields += [("lang", lang) for lang in langs] + [("format", f) for f in formats]
    result = opener.open(url + "/pack", data=urllib.parse.urlencode(fields).encode()).read().decode()
    token = re.search(r'name="token" value="([^"]+)"', result).group(1)
    data = opener.open(url + "/download", data=urllib.parse.urlencode(
        {"csrf_token": csrf, "token": token}).encode()).read()
    return time.perf_counter() - start, len(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lang", action="append")
    parser.add_argument("--format", action="append")
    args = parser.parse_args()
    langs = args.lang or ["ur"]
    formats = args.format or ["large-print-pdf", "docx", "mp3"]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leafgen", "--project",
                               str(args.project.resolve()), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        warm, _ = one_pack(url, langs, formats, 0)
        times = []
        for n in range(1, args.runs + 1):
            seconds, size = one_pack(url, langs, formats, n)
            times.append(seconds)
        print(f"pack of {', '.join(formats)} in {', '.join(langs)}, personalised, via leafgen serve")
        print(f"  first (cold workers): {warm:.2f} s")
        print(f"  warm: median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
              f"max {max(times):.2f} s over {len(times)} runs; zip {size / 1e6:.1f} MB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
