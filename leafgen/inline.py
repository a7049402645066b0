"""Find contact details (phones, emails, web addresses, postcodes) inside running text.

Every format treats these specially: links in HTML, never broken across lines,
isolated left-to-right in right-to-left text, read digit by digit in audio."""
from __future__ import annotations

import re
from typing import Iterator, Literal, cast

Kind = Literal["text", "phone", "email", "web", "postcode"]

_PATTERNS: dict[Kind, str] = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
    "web": r"(?:https?://|www\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/[A-Za-z0-9._~/-]*[A-Za-z0-9/_~-])?",
    # UK numbers as printed: "01204 337400", "0808 800 5000", "0800 1111".
    "phone": r"(?<![\d.])0\d{2,4}(?: \d{3,6}){1,2}(?!\d)",
    "postcode": r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b",
}
_TOKEN = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _PATTERNS.items()))

NBSP = "\u00a0"
LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate: a number never reverses in RTL text
RLM = "\u200f"                  # right-to-left mark: starts an RTL line in plain text


def tokens(text: str) -> Iterator[tuple[Kind, str]]:
    """Split text into plain runs and contact details, in order."""
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            yield "text", text[pos:m.start()]
        yield cast(Kind, m.lastgroup), m.group()  # each alternative is a group named by its Kind
        pos = m.end()
    if pos < len(text):
        yield "text", text[pos:]


def keep_together(text: str) -> str:
    """Join the spaces inside contact details with no-break spaces, so wrapping never splits one."""
    return "".join(t if kind == "text" else t.replace(" ", NBSP) for kind, t in tokens(text))


def isolate(text: str) -> str:
    """Wrap every contact detail in a left-to-right isolate, for right-to-left plain text."""
    return "".join(t if kind == "text" else LRI + t + PDI for kind, t in tokens(text))


def rtl_plain(line: str) -> str:
    """A right-to-left plain-text line: plain text has no direction of its own, so start
    it right to left, and isolate its contact details so they keep their order."""
    return RLM + isolate(line) if line else line


LRM = "\u200e"  # left-to-right mark


def mark_ltr(text: str) -> str:
    """Put a left-to-right mark before and after every contact detail: the older
    equivalent of an isolate, which word processors and PDF text extraction all honour."""
    return "".join(t if kind == "text" else LRM + t + LRM for kind, t in tokens(text))


def tel_uri(number: str) -> str:
    """A UK number as printed ("01204 337400") to an international tel: URI."""
    digits = re.sub(r"\D", "", number)
    return "tel:+44" + digits[1:] if digits.startswith("0") else "tel:" + digits


def web_uri(address: str) -> str:
    return address if address.startswith(("http://", "https://")) else "https://" + address
