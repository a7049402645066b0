"""The validator on tiny broken projects: exact path:line messages, all in one run."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_project, run

CASES = {
    "bad-yaml": [
        "authorities/testshire.yaml:4: error: YAML syntax: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence at line 3)",
    ],
    "bad-fields": [
        "authorities/testshire.yaml:1: error: missing required key 'chair_title'",
        "authorities/testshire.yaml:4: error: unknown key 'mayor'",
        "authorities/testshire.yaml:9: error: contacts[0].phones[0].number: "
        "must be text, not 1632960123",
        "authorities/testshire.yaml:10: error: contacts[0].emails[0]: "
        "'not-an-email' is not an email address",
        "leaflets/demo/leaflet.yaml:15: error: sections[1].blocks[0]: "
        "a block must have one of the keys: paragraph, bullets, contacts, family_fields",
    ],
    "bad-text": [
        "leaflets/demo/leaflet.yaml:6: error: in 'What the {{ authority.mayor }} does': "
        "there is no fact 'mayor'",
        "leaflets/demo/leaflet.yaml:8: error: only {{ authority.<fact> }} expressions are "
        "allowed in content, found const in '{{ ''.__class__.__mro__ }}'",
        "leaflets/demo/leaflet.yaml:10: error: only {{ authority.<fact> }} expressions are "
        "allowed in content, found include in '{% include 'leaflet.yaml' %}'",
    ],
    "bad-refs": [
        "authorities/testshire.yaml:8: error: duplicate contact id 'office'",
        "authorities/testshire.yaml:10: error: unknown contact 'nowhere'; known: office",
        "authorities/testshire.yaml:14: error: no section 'no-such-section' to add after; "
        "known: intro, help, other-formats",
        "authorities/testshire.yaml:18: error: no shared section 'missing' to append; "
        "known: intro, help, other-formats",
    ],
}


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_every_problem_with_its_line(tmp_path: Path, case: str) -> None:
    project = make_project(tmp_path / "p", case)
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == CASES[case]
    assert lines[-1] == f"{len(CASES[case])} error{'s' if len(CASES[case]) > 1 else ''}; nothing was written."
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", CASES)
def test_build_with_errors_leaves_output_untouched(tmp_path: Path, case: str) -> None:
    good = make_project(tmp_path / "good")
    out = tmp_path / "out"
    assert run("--project", good, "build", "--out", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*")  if p.is_file()}
    bad = make_project(tmp_path / "bad", case)
    result = run("--project", bad, "build", "--out", out)
    assert result.exit_code == 1
    assert CASES[case][0] in result.stderr
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


YAML_ATTACKS = {
    "duplicate key": ("id: testshire\nname: A\nname: B\n", "testshire.yaml:3: error: duplicate key 'name'"),
    "alias bomb": ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
                   "testshire.yaml:2: error: YAML aliases (*name) are not allowed"),
    "NUL byte": ("id: testshire\nname: A\x00\n", "testshire.yaml:2: error: file contains a NUL byte"),
    "empty": ("", "testshire.yaml:1: error: file is empty"),
    "not a mapping": ("- a\n- b\n", "testshire.yaml:1: error: must be a mapping (key: value lines)"),
}


@pytest.mark.parametrize("name", YAML_ATTACKS)
def test_hostile_yaml_is_refused_with_a_line(tmp_path: Path, name: str) -> None:
    project = make_project(tmp_path / "p")
    text, expected = YAML_ATTACKS[name]
    (project / "authorities" / "testshire.yaml").write_text(text, encoding="utf-8")
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    assert any(line.startswith("authorities/" + expected) for line in result.stderr.splitlines()), result.stderr


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project / "authorities" / "testshire.yaml").write_bytes(b"id: testshire\nname: \xff\n")
    result = run("--project", project, "validate")
    assert result.exit_code == 1
    assert "authorities/testshire.yaml:2: error: file is not valid UTF-8" in result.stderr


def test_id_must_match_file_name(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    path = project / "authorities" / "testshire.yaml"
    path.rename(project / "authorities" / "othershire.yaml")
    result = run("--project", project, "validate")
    assert "authorities/othershire.yaml:1: error: id 'testshire' does not match the file name " \
           "'othershire'" in result.stderr


def test_unknown_names_on_the_command_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    for option, value, message in [("--authority", "nowhere", "unknown authority 'nowhere'"),
                                   ("--format", "gif", "unknown format 'gif'"),
                                   ("--lang", "xx", "unknown language 'xx'")]:
        result = run("--project", project, "build", option, value, "--out", tmp_path / "o")
        assert result.exit_code == 1, (option, value)
        assert message in result.stderr
        assert not (tmp_path / "o").exists()


def test_not_a_project(tmp_path: Path) -> None:
    result = run("--project", tmp_path, "validate")
    assert result.exit_code == 1
    assert "not a leafgen project" in result.stderr


def test_valid_project_passes(tmp_path: Path) -> None:
    result = run("--project", make_project(tmp_path / "p"), "validate")
    assert result.exit_code == 0, result.output
    assert "no errors" in result.stdout and result.stderr == ""
