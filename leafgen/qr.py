"""From print to every format: the address of a council's download page for a leaflet,
and its QR code (segno), for the printed editions (PDF, large print, Word).

The code is decoration for the eye: the address is always printed beside it as text,
so the PDF marks the code as an artifact and the Word document marks it decorative."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import segno

from leafgen.model import Document

# "M" corrects about 15% damage: a folded or photocopied leaflet still scans, and the
# code stays small (an address of 40 characters needs 33 x 33 modules).
ERROR_CORRECTION = "m"


@dataclass(frozen=True)
class PrintedLink:
    address: str  # what the code holds
    shown: str    # what is printed beside it


def printed_link(doc: Document, options: dict[str, Any]) -> PrintedLink | None:
    """The link a printed edition carries, when the project says where its site is."""
    site_url = options.get("site_url")
    if not site_url:
        return None
    address = page_address(site_url, doc)
    return PrintedLink(address, short(address))


def page_address(site_url: str, doc: Document) -> str:
    """The leaflet's page on the download site (site.py writes it at this path)."""
    return f"{site_url.rstrip('/')}/{doc.authority_id}/{doc.leaflet_id}/"


def short(address: str) -> str:
    """The address as printed for typing: without https:// (browsers add it)."""
    return address.split("://", 1)[-1]


def svg(address: str) -> bytes:
    """The code as SVG, one unit per module, with the quiet zone scanners need."""
    out = io.BytesIO()
    _code(address).save(out, kind="svg", scale=1, border=4, xmldecl=False, nl=False)
    return out.getvalue()


def png(address: str, scale: int = 10) -> bytes:
    """The code as PNG (Word shows no SVG without a PNG beside it)."""
    out = io.BytesIO()
    _code(address).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _code(address: str) -> segno.QRCode:
    return segno.make(address, error=ERROR_CORRECTION, micro=False)
