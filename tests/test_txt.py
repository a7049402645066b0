"""The plain-text format: 72 columns, numbered underlined headings, bullets, whole contacts."""
from __future__ import annotations

import re
from pathlib import Path

from leafgen.inline import LRI, PDI, RLM
from tests.conftest import make_project, run
from tests.test_facts import FACT_PATTERNS


INVISIBLE = str.maketrans("", "", RLM + LRI + PDI)  # direction marks take no column


def texts(built: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8").translate(INVISIBLE)
            for p in sorted(built.glob("*/*/*/*.txt"))}


def test_lines_fit_72_columns(built: Path) -> None:
    for path, text in texts(built).items():
        for line in text.splitlines():
            assert len(line) <= 72 or " " not in line.strip(), (path, line)


def test_headings_are_numbered_and_underlined(built: Path) -> None:
    for path, text in texts(built).items():
        lines = text.splitlines()
        numbered = [i for i, line in enumerate(lines) if re.match(r"^\d+\. \S", line)
                    and i + 1 < len(lines) and set(lines[i + 1]) == {"-"}]
        assert len(numbered) >= 10, path
        for i in numbered:
            assert len(lines[i + 1]) == len(lines[i])


def test_contact_details_never_break_across_lines(built: Path) -> None:
    for path, text in texts(built).items():
        flat = re.sub(r"\s+", " ", text)
        for pattern in FACT_PATTERNS.values():
            for fact in set(re.findall(pattern, flat)):
                assert fact in text, f"{path}: '{fact}' is split across lines"


def test_bullets_and_blanks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("--project", make_project(tmp_path / "p"), "build", "--out", out).exit_code == 0
    text = (out / "testshire/demo/en/demo.txt").read_text(encoding="utf-8")
    assert "  * First point\n  * Call 0800 123 4567 any time.\n" in text
    assert "Telephone number of the independent chair: ________________________" in text
    assert "The independent chair leads the meeting." in text
    assert "  Address: 1 High Street, Testtown, TE1 1ST\n  Telephone: 01632 960123\n" in text
