"""Every fact in a council's seed leaflet appears, unchanged, in its English outputs."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.conftest import SEEDS

COUNCIL_SEEDS = {"bolton": "000", "east-sussex": "001", "bedfordshire": "002",
                 "barnet": "003", "bath-ne-somerset": "004"}

FACT_PATTERNS = {
    "phone": r"\b0\d{2,4}(?: \d{3,6}){1,2}\b",
    "email": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    "postcode": r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b",
    "web": r"\bwww\.[\w.-]+(?:/[\w./-]*\w)?",
}
TIMESCALES = r"\b(?:within|at least every|at least)\s+(?:\w+\s+){0,3}?(?:working days?|days?|weeks|months)\b"


def seed_facts(council: str) -> set[str]:
    text = next(SEEDS.glob(COUNCIL_SEEDS[council] + "_*.txt")).read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    facts = set()
    for pattern in FACT_PATTERNS.values():
        facts |= {m.rstrip(".") for m in re.findall(pattern, text)}
    return facts


def seed_timescales(council: str) -> set[str]:
    text = next(SEEDS.glob(COUNCIL_SEEDS[council] + "_*.txt")).read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    return {m.group(0).lower() for m in re.finditer(TIMESCALES, text, re.I)}


def output_text(built: Path, council: str, fmt: str) -> str:
    raw = (built / council / "child-protection-conference" / "en" /
           f"child-protection-conference.{fmt}").read_text(encoding="utf-8")
    if fmt == "html":
        raw = html.unescape(re.sub(r"<[^>]+>", "", raw))
    return re.sub(r"\s+", " ", raw)


def test_the_seeds_hold_the_facts_we_expect() -> None:
    """Guards the extraction itself: a broken pattern would make the coverage test vacuous."""
    assert {"01204 337400", "01204 337729", "01204 337960", "01204 337777", "01204 337479",
            "BL1 8SW", "BL4 7PD", "BL1 1SA", "boltonsafeguardingchildren@bolton.gov.uk"} \
        <= seed_facts("bolton")
    assert {"0808 800 5000", "0808 808 1001", "0800 1111", "01323 466606", "help@nspcc.org",
            "www.nspcc.org.uk", "www.nyas.net", "www.childline.org.uk"} <= seed_facts("east-sussex")
    assert {"01234 276766", "MK44 3WJ"} <= seed_facts("bedfordshire")
    assert {"N11 1NP", "www.londoncpc.gov.uk/procedures"} <= seed_facts("barnet")
    assert {"01225 396309", "Safeguarding_AdministrationTeam@bathnes.gov.uk"} \
        <= seed_facts("bath-ne-somerset")
    assert "within 10 working days" in seed_timescales("bolton")


@pytest.mark.parametrize("fmt", ["txt", "html"])
@pytest.mark.parametrize("council", COUNCIL_SEEDS)
def test_every_contact_fact_is_carried(built: Path, council: str, fmt: str) -> None:
    text = output_text(built, council, fmt)
    missing = sorted(f for f in seed_facts(council) if f not in text)
    assert not missing, f"{council} {fmt} lacks {missing}"


@pytest.mark.parametrize("council", COUNCIL_SEEDS)
def test_every_timescale_is_carried(built: Path, council: str) -> None:
    text = output_text(built, council, "txt").lower()
    missing = sorted(t for t in seed_timescales(council) if t not in text)
    assert not missing, f"{council} lacks {missing}"


@pytest.mark.parametrize("council", COUNCIL_SEEDS)
def test_no_other_councils_contacts_leak_in(built: Path, council: str) -> None:
    text = output_text(built, council, "txt")
    mine = seed_facts(council)
    for other in COUNCIL_SEEDS:
        if other != council:
            leaked = sorted(f for f in seed_facts(other) - mine if f in text)
            assert not leaked, f"{council} shows {other}'s {leaked}"
