"""A council's logo: refused at its line if it could do more than draw (or is too big,
or not what it says), else shown with its alt text in every edition: a Figure with
/Alt in the PDF, a described picture in Word, an image in the web page and the EPUB."""
from __future__ import annotations

import base64
import io
import json
import subprocess
import zipfile
from pathlib import Path

import docx
import pikepdf
import pytest

from leafgen.logo import MAX_BYTES, LogoError, read_logo
from tests.conftest import make_project, run
from tests.test_epub import EPUBCHECK

AUTHORITY = "authorities/testshire.yaml"
ALT = "Testshire Council"
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100">'
       '<defs><linearGradient id="g"><stop offset="0" stop-color="#1d4f91"/></linearGradient></defs>'
       '<rect width="300" height="100" fill="url(#g)"/>'
       '<circle cx="50" cy="50" r="40" fill="#ffffff"/></svg>')


def png_bytes(width: int = 120, height: int = 40) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (width, height), (29, 79, 145)).save(out, format="PNG")
    return out.getvalue()


def with_logo(tmp_path: Path, name: str, data: bytes, alt: str = ALT) -> Path:
    project = make_project(tmp_path / "p")
    (project / "logos").mkdir()
    (project / "logos" / name).write_bytes(data)
    path = project / AUTHORITY
    path.write_text(path.read_text() + f"logo:\n  alt: {alt}\n  file: logos/{name}\n")
    return project


HOSTILE = {
    "script": SVG.replace("</svg>", "<script>alert(1)</script></svg>"),
    "event": SVG.replace("<rect ", '<rect onclick="alert(1)" '),
    "onload": SVG.replace("<svg ", '<svg onload="alert(1)" '),
    "external-link": SVG.replace("</svg>", '<a href="https://example.org/"><text>x</text></a></svg>'),
    "xlink": SVG.replace("<svg ", '<svg xmlns:xlink="http://www.w3.org/1999/xlink" ').replace(
        "</svg>", '<use xlink:href="other.svg#x"/></svg>'),
    "image": SVG.replace("</svg>", '<image href="data:image/png;base64,AAAA"/></svg>'),
    "foreign": SVG.replace("</svg>", "<foreignObject><p>x</p></foreignObject></svg>"),
    "css-url": SVG.replace('fill="#ffffff"', 'style="fill: url(http://127.0.0.1:9/x)"'),
    "css-import": SVG.replace("<defs>", "<style>@import url(x.css);</style><defs>"),
    "entities": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
                + SVG.replace("</svg>", "<text>&b;</text></svg>"),
    "not-svg": "<html><body>logo</body></html>",
    "broken": SVG[:-6],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_an_svg_that_could_do_more_than_draw_is_refused(tmp_path: Path, case: str) -> None:
    path = tmp_path / "logo.svg"
    path.write_text(HOSTILE[case])
    with pytest.raises(LogoError):
        read_logo(path, ALT)


def test_refused_at_its_line_by_validate_and_build(tmp_path: Path) -> None:
    project = with_logo(tmp_path, "logo.svg", HOSTILE["script"].encode())
    line = len((project / AUTHORITY).read_text().splitlines())  # file: is the last line
    result = run("--project", project, "validate")
    assert result.exit_code != 0 and f"{AUTHORITY}:{line}:" in result.output, result.output
    assert "<script>" in result.output and "Traceback" not in result.output
    out = tmp_path / "out"
    assert run("--project", project, "build", "--out", out).exit_code != 0
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*")), "nothing half-made"


@pytest.mark.parametrize("name, data, says", [
    ("big.png", png_bytes() + b"\0" * MAX_BYTES, "at most"),
    ("fake.png", b"GIF89a not a png", "PNG"),
    ("huge.png", png_bytes(5000, 10), "pixels"),
    ("missing.svg", None, "not found"),
])
def test_wrong_files_refused(tmp_path: Path, name: str, data: bytes | None, says: str) -> None:
    project = with_logo(tmp_path, name, data or b"")
    if data is None:
        (project / "logos" / name).unlink()
    result = run("--project", project, "validate")
    assert result.exit_code != 0 and says in result.output and AUTHORITY in result.output, result.output


@pytest.mark.parametrize("file", ["../outside.png", "/etc/passwd.png", "logos/x.gif"])
def test_logo_must_be_a_png_or_svg_inside_the_project(tmp_path: Path, file: str) -> None:
    project = make_project(tmp_path / "p")
    path = project / AUTHORITY
    path.write_text(path.read_text() + f"logo:\n  alt: {ALT}\n  file: {file}\n")
    result = run("--project", project, "validate")
    assert result.exit_code != 0 and "logo" in result.output, result.output


def test_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(png_bytes())
    project = make_project(tmp_path / "p")
    (project / "logos").mkdir()
    (project / "logos" / "logo.png").symlink_to(outside)
    path = project / AUTHORITY
    path.write_text(path.read_text() + f"logo:\n  alt: {ALT}\n  file: logos/logo.png\n")
    result = run("--project", project, "validate")
    assert result.exit_code != 0 and "inside the project" in result.output, result.output


def figures(pdf: Path) -> list[str]:
    found: list[str] = []

    def walk(elem: pikepdf.Object) -> None:
        kids = elem.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/MCR":
                if kid.get("/S") == "/Figure":
                    found.append(str(kid.get("/Alt", "")))
                walk(kid)
    with pikepdf.open(pdf) as doc:
        walk(doc.Root.StructTreeRoot)
    return found


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_a_council_with_a_logo_and_colour_builds_in_every_format(tmp_path: Path, name: str) -> None:
    data = SVG.encode() if name.endswith(".svg") else png_bytes()
    project = with_logo(tmp_path, name, data)
    path = project / AUTHORITY
    path.write_text(path.read_text() + 'brand_colour: "#1d4f91"\n')
    out = tmp_path / "out"
    result = run("--project", project, "build", "--out", out)
    assert result.exit_code == 0, result.output
    made = {a["format"]: out / a["path"] for a in json.loads((out / "manifest.json").read_text())["artifacts"]}
    for fmt in ("pdf", "large-print-pdf"):
        assert figures(made[fmt]) == [ALT], "the logo is the one Figure, described"
    for fmt in ("docx", "large-print-docx"):
        body = docx.Document(str(made[fmt])).element.body
        described = [e.get("descr") for e in body.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")]
        assert described == [ALT]
        media = [n for n in zipfile.ZipFile(made[fmt]).namelist() if n.startswith("word/media/")]
        assert len(media) == 1
        if name.endswith(".png"):
            assert zipfile.ZipFile(made[fmt]).read(media[0]) == data  # the council's own file
    html = made["html"].read_text()
    assert f'src="data:{"image/svg+xml" if name.endswith(".svg") else "image/png"};base64,' \
           f'{base64.b64encode(data).decode()}"' in html and f'alt="{ALT}"' in html
    book = zipfile.ZipFile(made["epub"])
    assert book.read(f"EPUB/{name}") == data
    assert f'href="{name}"' in book.read("EPUB/package.opf").decode()
    checked = subprocess.run(["java", "-jar", str(EPUBCHECK), str(made["epub"])], capture_output=True, text=True)
    assert "0 fatals / 0 errors / 0 warnings" in checked.stdout, checked.stdout
