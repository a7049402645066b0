"""What each language has no current translation of: the texts shown in English (marked
as not yet translated) until a translator catches up, reported as warnings at the place
the English is written, grouped by language and by council."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from leafgen.errors import Problems
from leafgen.i18n import Key, Memory, po_path, state
from leafgen.languages import LANGUAGES
from leafgen.load import clip
from leafgen.merge import Where


@dataclass(frozen=True)
class Gap:
    """A text with no current translation in a language."""
    lang: str
    msgid: str
    context: str | None  # the council whose own text it is; None: shared by all
    state: str           # missing, or stale (the English changed since it was translated)
    where: Where         # where the English is written
    po_line: int | None  # a stale entry's line in the PO file


def gaps(memory: Memory, seen: dict[Key, list[Where]]) -> list[Gap]:
    """Every text the content uses that the language has no current translation of."""
    found = []
    for (msgid, ctx), places in seen.items():
        message = memory.po.get(msgid, context=ctx)
        current = "missing" if message is None else state(message)
        if current in ("missing", "stale"):
            found.append(Gap(memory.lang, msgid, ctx, current, places[0],
                             memory.line_of(message) if message is not None and current == "stale"
                             else None))
    return found


def warnings(found: list[Gap], problems: Problems) -> list[str]:
    """Lines for `leafgen validate`: per language and council a count, then each text at
    its file:line."""
    def group(g: Gap) -> tuple[str, str]:
        return (g.lang, g.context or "")

    lines = []
    for (lang, council), items in groupby(sorted(found, key=lambda g: (*group(g), g.where)), group):
        entries = list(items)
        stale = sum(1 for g in entries if g.state == "stale")
        whose = f"council {council}" if council else "text shared by every council"
        lines.append(f"{lang} ({LANGUAGES[lang].english_name}), {whose}: {len(entries)} "
                     f"part{'s' if len(entries) != 1 else ''} shown in English until translated "
                     f"({len(entries) - stale} missing, {stale} stale)")
        for g in entries:
            what = "no translation yet" if g.state == "missing" else \
                f"stale translation at {problems.display(po_path(problems.root, lang))}:{g.po_line} " \
                "(the English changed since)"
            lines.append(f"  {problems.display(g.where[0])}:{g.where[1]}: warning: {what}: "
                         f"'{clip(g.msgid, 60)}'")
    return lines


def summary(found: list[Gap]) -> list[str]:
    """One line per language for `leafgen build`."""
    counts: dict[str, int] = {}
    for g in found:
        counts[g.lang] = counts.get(g.lang, 0) + 1
    return [f"{lang}: {n} text{'s' if n != 1 else ''} shown in English, marked as not yet "
            "translated (leafgen validate lists them)" for lang, n in counts.items()]
