"""leafgen check: plain-English warnings at the text's file:line, and reading figures."""
from __future__ import annotations

from pathlib import Path

from leafgen import plain
from tests.conftest import REPO, SEEDS, make_project, run

LONG = ("When the conference has finished, the chair will write to you and to everyone who "
        "came, and the letter will say what was decided and what happens next for your child.")
HARD = ("Notwithstanding the aforementioned considerations, multidisciplinary safeguarding "
        "deliberations necessitate comprehensive interagency information-sharing arrangements, "
        "facilitating proportionate, evidence-informed determinations regarding intervention "
        "thresholds and subsequent statutory responsibilities. Consequently, practitioners "
        "endeavour to ascertain parental perspectives expeditiously.")


def test_the_checks_find_long_sentences_jargon_and_hard_paragraphs() -> None:
    assert len(plain.words(LONG)) > plain.SENTENCE_LIMIT
    found = [f.message for f in plain.check(LONG, "x.yaml:3")]
    assert f"a sentence of {len(plain.words(LONG))} words (at most 25): '{LONG[:60]}...'" in found
    messages = [f.message for f in plain.check(HARD, "x.yaml:4")]
    assert "'notwithstanding': say 'despite'" in messages
    assert "'aforementioned': say 'this'" in messages
    assert any(m.startswith("reading age ") for m in messages)
    assert plain.check("Ask your social worker. They will help you.", "x.yaml:5") == []
    # a name in capitals is not a choice of word; the same word in a sentence is
    assert plain.check("Endeavour House", "x.yaml:6") == []
    assert [f.message for f in plain.check("Endeavour to come.", "x.yaml:7")] == ["'endeavour': say 'try'"]
    assert plain.reading_age("Ask your social worker. They will help you.") < plain.reading_age(HARD)


def test_check_names_the_file_and_line_of_each_warning(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    leaflet = project / "leaflets/demo/leaflet.yaml"
    text = leaflet.read_text(encoding="utf-8")
    leaflet.write_text(text.replace("      - paragraph: Ask your social worker.",
                                    f"      - paragraph: \"{LONG}\"\n      - paragraph: \"{HARD}\""),
                       encoding="utf-8")
    lines = leaflet.read_text(encoding="utf-8").splitlines()
    long_line = next(n for n, line in enumerate(lines, 1) if LONG[:30] in line)
    result = run("--project", project, "check")
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    where = f"leaflets/demo/leaflet.yaml:{long_line}: warning: a sentence of"
    assert any(line.startswith(where) for line in out), out
    assert any(line.startswith(f"leaflets/demo/leaflet.yaml:{long_line + 1}: warning: reading age")
               for line in out), out
    assert "Traceback" not in result.output
    assert any(line.strip().startswith("leaflets/demo/leaflet.yaml") and "reading age" in line
               for line in out if not line.startswith("leaflets/"))


def test_check_on_the_project_compares_with_the_seeds() -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    result = run("--project", REPO, "check", *[a for s in seeds for a in ("--compare", s)])
    assert result.exit_code == 0, result.output
    rows = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert any(r.startswith("leaflets/child-protection-conference/leaflet.yaml") for r in rows)
    for council in (REPO / "authorities").glob("*.yaml"):
        assert any(r.startswith(f"authorities/{council.name}") for r in rows), council
    for seed in seeds:
        assert any(r.startswith(str(seed)) for r in rows), seed
    for line in result.output.splitlines():
        if ": warning: " in line:
            path, number = line.split(": warning: ")[0].rsplit(":", 1)
            assert (REPO / path).is_file() and int(number) > 0
