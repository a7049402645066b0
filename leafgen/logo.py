"""A council's logo (authorities/<id>.yaml: logo: {file, alt}), checked before any
format sees it: a PNG that Pillow can read, or an SVG that can do nothing but draw.

An SVG is a program as much as a picture: it can run scripts, load other files and
pages, and expand entities until memory runs out. A logo is refused (at its line) if it
has any of that: no DOCTYPE or entities, no script, foreignObject, image, iframe,
embed, object, audio or video element, no on* event attribute, no link or url()
reference except to its own #ids, no @import. It is refused rather than cleaned, so
that what prints is exactly the file the council gave."""
from __future__ import annotations

import base64
from functools import lru_cache
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from leafgen.model import DocLogo

MAX_BYTES = 256 * 1024     # a logo, not a photograph
MAX_SIDE = 4000            # pixels, for a PNG
WORD_WIDTH_PX = 600        # the PNG drawn from an SVG for Word: sharp at 50 mm wide
FORBIDDEN = {"script", "foreignobject", "image", "iframe", "embed", "object", "audio", "video",
             "handler", "listener"}
_OWN_REFERENCE = re.compile(r"url\(\s*['\"]?#", re.I)


class LogoError(ValueError):
    pass


def read_logo(path: Path, alt: str) -> DocLogo:
    """The checked logo, or LogoError saying what is wrong with it."""
    if not path.is_file():
        raise LogoError(f"logo file {path.name} not found")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise LogoError(f"logo {path.name} is {len(data) // 1024} KB; a logo may be at most "
                        f"{MAX_BYTES // 1024} KB")
    if path.suffix.lower() == ".png":
        width, height = _png_size(data, path.name)
        return DocLogo("image/png", base64.b64encode(data).decode(), alt, width, height)
    width, height = _svg_size(data, path.name)
    return DocLogo("image/svg+xml", base64.b64encode(data).decode(), alt, width, height)


@lru_cache(maxsize=16)  # drawn once per worker, not once per language and edition
def png_for_word(logo: DocLogo) -> bytes:
    """The logo as PNG: itself, or its SVG drawn by cairosvg (nothing outside the file
    is read: cairosvg's unsafe mode stays off, and the SVG was checked above)."""
    data = base64.b64decode(logo.data)
    if logo.media_type == "image/png":
        return data
    import cairosvg
    png: bytes = cairosvg.svg2png(bytestring=data, output_width=WORD_WIDTH_PX)
    return png


def _png_size(data: bytes, name: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise LogoError(f"logo {name} is not a PNG file")
            width, height = image.size
            if max(width, height) > MAX_SIDE:
                raise LogoError(f"logo {name} is {width} x {height} pixels; at most {MAX_SIDE} a side")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise LogoError(f"logo {name} is not a readable PNG ({e})") from None
    return width, height


def _svg_size(data: bytes, name: str) -> tuple[int, int]:
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise LogoError(f"logo {name} has a DOCTYPE or entities; an SVG logo needs neither")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise LogoError(f"logo {name} is not well-formed SVG ({e})") from None
    if _local(root.tag) != "svg":
        raise LogoError(f"logo {name} is not an SVG (its root element is <{_local(root.tag)}>)")
    for element in root.iter():
        tag = _local(element.tag)
        if tag in FORBIDDEN:
            raise LogoError(f"logo {name} has a <{tag}> element; a logo may only draw")
        if tag == "style" and ("@import" in (element.text or "") or _foreign_url(element.text or "")):
            raise LogoError(f"logo {name} has a style that loads something from outside the file")
        for attribute, value in element.attrib.items():
            key = _local(attribute).lower()
            if key.startswith("on"):
                raise LogoError(f"logo {name} has an event attribute ({key}); a logo may only draw")
            if key == "href" and not value.startswith("#"):
                raise LogoError(f"logo {name} links to {value[:60]}; a logo may only refer to its own parts")
            if _foreign_url(value):
                raise LogoError(f"logo {name} refers to {value[:60]}; a logo may only refer to its own parts")
    return _svg_dimensions(root, name)


def _foreign_url(text: str) -> bool:
    return "url(" in text.lower() and len(re.findall(r"url\(", text, re.I)) > len(_OWN_REFERENCE.findall(text))


def _svg_dimensions(root: ET.Element, name: str) -> tuple[int, int]:
    """Its width and height (for the aspect ratio): from viewBox, else width and height."""
    box = root.get("viewBox", "").replace(",", " ").split()
    try:
        if len(box) == 4:
            width, height = float(box[2]), float(box[3])
        else:
            width, height = (float(re.sub(r"(px)?$", "", root.get(k, ""))) for k in ("width", "height"))
    except ValueError:
        raise LogoError(f"logo {name} needs a viewBox (or width and height in pixels)") from None
    if width <= 0 or height <= 0:
        raise LogoError(f"logo {name} has no area ({width} x {height})")
    return max(1, round(width)), max(1, round(height))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()
