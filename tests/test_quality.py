"""Checks on every translation, at its line in the PO file: warnings for what is likely
wrong, errors for what must never change (a phone number)."""
from __future__ import annotations

from pathlib import Path

import pytest

from leafgen.i18n import po_bytes, read_catalog, set_status
from tests.conftest import make_project, run

URDU = {
    "Demo leaflet": "ڈیمو کتابچہ",
    "For tests": "ٹیسٹ کے لیے",
    "What this is": "یہ کیا ہے",
    "The {{ authority.chair_title }} leads the meeting.": "{{ authority.chair_title }} میٹنگ کی قیادت کرتے ہیں۔",
    "First point": "پہلا نکتہ",
    "Call 0800 123 4567 any time.": "کسی بھی وقت 0800 123 4567 پر کال کریں۔",
    "Getting help": "مدد حاصل کرنا",
    "Ask your social worker.": "اپنے سوشل ورکر سے پوچھیں۔",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = make_project(tmp_path / "p")
    run("--project", p, "extract")
    for lang in ("ar", "bn", "bs", "fa", "it", "pa", "sq"):
        (p / f"translations/{lang}.po").unlink()  # Urdu alone
    return p


def _translate(project: Path, changes: dict[str, str]) -> dict[str, int]:
    """Urdu as above with changes; returns each entry's msgstr line."""
    path = project / "translations/ur.po"
    po = read_catalog(path, "ur")
    for english, text in {**URDU, **changes}.items():
        m = po.get(english)
        m.string = text
        set_status(m, "draft")
    path.write_bytes(po_bytes(po))
    lines = path.read_text(encoding="utf-8").splitlines()
    return {e: next(n for n, line in enumerate(lines, 1) if line == f'msgid "{e}"') + 1
            for e in {**URDU, **changes}}


def _warnings(project: Path) -> list[str]:
    result = run("--project", project, "validate")
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("translations/ur.po:")]


def test_clean_translations_have_no_warnings(project: Path) -> None:
    _translate(project, {})
    assert _warnings(project) == []


@pytest.mark.parametrize("english, text, warning", [
    ("Ask your social worker.", "Ask your social worker.", "the translation is the same as the English"),
    ("Ask your social worker.", "اپنے social worker سے پوچھیں۔",
     "Latin letters in the translation other than the English's names and contact details: "
     "social, worker"),
    ("Ask your social worker.", "اپنے سوشل ورکر سے پوچھیں", "the English ends a sentence but the "
     "translation has no final punctuation"),
])
def test_likely_mistakes_are_warnings_at_the_po_line(project: Path, english: str, text: str,
                                                     warning: str) -> None:
    lines = _translate(project, {english: text})
    assert f"translations/ur.po:{lines[english]}: warning: {warning}" in _warnings(project)


def test_a_length_far_from_the_usual_is_a_warning(project: Path) -> None:
    english = "Call 0800 123 4567 any time."
    lines = _translate(project, {english: URDU[english] + " براہ کرم" * 12})
    assert any(w.startswith(f"translations/ur.po:{lines[english]}: warning: the translation is ")
               and "times as long as the English" in w for w in _warnings(project))


def test_a_glossary_term_not_used_is_a_warning(project: Path) -> None:
    (project / "translations/glossary.yaml").write_text(
        "terms:\n  - english: social worker\n    translations:\n"
        "      ur: {status: draft, forms: [سوشل ورکر]}\n", encoding="utf-8")
    english = "Ask your social worker."
    lines = _translate(project, {english: "اپنے سماجی کارکن سے پوچھیں۔"})
    assert (f"translations/ur.po:{lines[english]}: warning: the English says 'social worker': use "
            "the glossary's term for it (translations/glossary.yaml)") in _warnings(project)


def test_a_changed_phone_number_is_an_error(project: Path) -> None:
    english = "Call 0800 123 4567 any time."
    lines = _translate(project, {english: "کسی بھی وقت 0800 123 4576 پر کال کریں۔"})
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    assert (f"translations/ur.po:{lines[english]}: error: phones differ from the English: "
            "expected ['0800 123 4567'], found ['0800 123 4576']") in result.stderr


def test_a_broken_glossary_names_its_line(project: Path) -> None:
    (project / "translations/glossary.yaml").write_text("terms:\n  - english: plan\n    colour: red\n")
    result = run("--project", project, "validate")
    assert result.exit_code == 1 and "translations/glossary.yaml:3: error:" in result.stderr
