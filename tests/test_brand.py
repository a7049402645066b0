"""A council's brand colour: headings take it in every edition where its contrast with
the white page is at least 4.5:1, and in large print only at 7:1 or more; a colour under
4.5:1 is refused at its line with the measured ratio."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pdfplumber
import pytest

from leafgen.colour import contrast
from tests.conftest import make_project, run

AUTHORITY = "authorities/testshire.yaml"
NAVY = "#1d4f91"   # a council blue
GREY = "#767676"   # 4.54:1 on white: text, but not large print (7:1)


def with_colour(tmp_path: Path, colour: str) -> Path:
    project = make_project(tmp_path / "p")
    path = project / AUTHORITY
    path.write_text(path.read_text() + f'brand_colour: "{colour}"\n')
    return project


def rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def heading_colours(pdf: Path) -> set[tuple[float, ...]]:
    """The fill colours of the first page's largest text (the title, a heading)."""
    with pdfplumber.open(pdf) as doc:
        chars = doc.pages[0].chars
        biggest = max(c["size"] for c in chars)
        return {tuple(round(v, 2) for v in c["non_stroking_color"]) for c in chars if c["size"] == biggest}


def test_wcag_ratios_known_values() -> None:
    """The published WCAG figures: #767676 is the lightest grey that passes on white."""
    assert round(contrast("#767676"), 2) == 4.54
    assert round(contrast("#777777"), 2) == 4.48
    assert round(contrast("#000000"), 1) == 21.0


@pytest.mark.parametrize("colour, ratio", [("#777777", "4.48:1"), ("#ffdd00", "1.4")])
def test_low_contrast_refused_at_its_line_with_the_ratio(tmp_path: Path, colour: str, ratio: str) -> None:
    project = with_colour(tmp_path, colour)
    line = len((project / AUTHORITY).read_text().splitlines())
    result = run("--project", project, "validate")
    assert result.exit_code != 0
    assert f"{AUTHORITY}:{line}:" in result.output, result.output
    assert ratio in result.output and "4.5:1" in result.output
    assert "Traceback" not in result.output
    out = tmp_path / "out"
    assert run("--project", project, "build", "--out", out).exit_code != 0
    assert not out.exists() or not any(out.rglob("*.pdf")), "nothing is made from a refused colour"


def test_brand_colour_in_every_format(tmp_path: Path) -> None:
    project = with_colour(tmp_path, NAVY)
    out = tmp_path / "out"
    result = run("--project", project, "build", "--out", out)
    assert result.exit_code == 0, result.output
    made = {a["format"]: out / a["path"] for a in json.loads((out / "manifest.json").read_text())["artifacts"]}
    assert {"html", "pdf", "large-print-pdf", "docx", "large-print-docx", "epub", "mp3", "brf"} <= set(made)
    navy = tuple(round(v, 2) for v in rgb(NAVY))
    assert heading_colours(made["pdf"]) == {navy}
    assert heading_colours(made["large-print-pdf"]) == {navy}  # 8.6:1: large print too
    assert f"h1, h2, h3 {{ color: {NAVY}; }}" in made["html"].read_text()
    for fmt in ("docx", "large-print-docx"):
        styles = docx.Document(str(made[fmt])).styles
        assert str(styles["Heading 1"].font.color.rgb) == NAVY[1:].upper()
        assert str(styles["Normal"].font.color.rgb) != NAVY[1:].upper()
    book = zipfile.ZipFile(made["epub"])
    content = [n for n in book.namelist() if n.endswith(".xhtml") and "nav" not in n]
    assert all(NAVY in book.read(n).decode() for n in content)


def test_large_print_keeps_dark_headings_under_7_to_1(tmp_path: Path) -> None:
    project = with_colour(tmp_path, GREY)
    out = tmp_path / "out"
    result = run("--project", project, "build", "--format", "pdf", "--format", "large-print-pdf",
                 "--format", "large-print-docx", "--out", out)
    assert result.exit_code == 0, result.output
    made = {a["format"]: out / a["path"] for a in json.loads((out / "manifest.json").read_text())["artifacts"]}
    assert heading_colours(made["pdf"]) == {tuple(round(v, 2) for v in rgb(GREY))}
    [large] = heading_colours(made["large-print-pdf"])
    assert contrast("#" + "".join(f"{round(v * 255):02x}" for v in large)) >= 7
    heading = docx.Document(io.BytesIO(made["large-print-docx"].read_bytes())).styles["Heading 1"]
    assert contrast(f"#{heading.font.color.rgb}") >= 7
