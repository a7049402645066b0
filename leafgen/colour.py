"""A council's brand colour, used for headings only where it stays readable: WCAG's
contrast ratio against the white page, at least 4.5:1 (text, WCAG 1.4.3), and at least
7:1 in large print (WCAG 1.4.6, what readers of large print need). A colour under 4.5:1
is refused where it is written; one under 7:1 leaves large print's headings black."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup

PAGE = "#ffffff"
TEXT_MINIMUM = 4.5
LARGE_PRINT_MINIMUM = 7.0


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = PAGE) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def heading_colour(brand: str | None, large_print: bool) -> str | None:
    """The brand colour where its contrast allows it in this edition, else None (dark text)."""
    if brand is None:
        return None
    return brand if contrast(brand) >= (LARGE_PRINT_MINIMUM if large_print else TEXT_MINIMUM) else None


def brand_style(colour: str | None) -> Markup:
    """The headings' colour as a <style> element for the HTML, print and EPUB pages (the
    colour is a checked #rrggbb: nothing else reaches the style)."""
    return Markup(f"<style>h1, h2, h3 {{ color: {colour}; }}</style>\n") if colour else Markup("")


def is_large_print(options: dict[str, Any]) -> bool:
    """Whether the edition being rendered is large print (formats.Format.large_print)."""
    return bool(options.get("large_print"))
