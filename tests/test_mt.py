"""Machine translation: masking and restoring, and the real Argos path on a tiny model."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leafgen.i18n import PLACEHOLDER, read_catalog, state, status_of
from leafgen.inline import tokens
from leafgen.mt import MtError, mask, translate_masked, unmask
from tests.conftest import make_project, run

TEXT = "The {{ authority.chair_title }} will call you on 01204 337400 or email help@nspcc.org (BL1 8SW)."


def test_mask_hides_placeholders_and_contact_details() -> None:
    masked, kept = mask(TEXT)
    assert masked == "The {0} will call you on {1} or email {2} ({3})."
    assert kept == ["{{ authority.chair_title }}", "01204 337400", "help@nspcc.org", "BL1 8SW"]


def test_tokens_are_restored_wherever_the_translation_moves_them() -> None:
    def reorder(text: str) -> str:  # stands in for a language with another word order
        return " ".join(reversed(text.split()))
    result = translate_masked(TEXT, reorder)
    for value in ["{{ authority.chair_title }}", "01204 337400", "help@nspcc.org", "BL1 8SW"]:
        assert result.count(value) == 1


@pytest.mark.parametrize("output,problem", [
    ("The {0} will call you on {1} or email {3}.", "{2} (help@nspcc.org) came back 0 times"),
    ("{0} {0} {1} {2} {3}", "{0} ({{ authority.chair_title }}) came back 2 times"),
    ("{0} {1} {2} {3} {4}", "unknown tokens [4]"),
])
def test_a_token_that_does_not_come_back_is_an_error(output: str, problem: str) -> None:
    with pytest.raises(MtError, match=problem.replace("(", r"\(").replace(")", r"\)")
                       .replace("{", r"\{").replace("}", r"\}").replace("[", r"\[").replace("]", r"\]")):
        unmask(output, mask(TEXT)[1])


def test_languages_without_a_model_say_so(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    run("--project", project, "extract")
    for lang, name in [("pa", "Punjabi"), ("bs", "Bosnian")]:
        result = run("--project", project, "translate", "--lang", lang)
        assert result.exit_code == 1
        assert f"Argos Translate has no English to {name} model" in result.stderr


# ---- the real thing: Argos Translate, offline, on a tiny genuine package ----------

OFFLINE = "import socket\ndef _no(*a, **k):\n    raise OSError('network access in an offline test')\n" \
          "socket.socket.connect = _no\nsocket.getaddrinfo = _no\n"


def leafgen(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leafgen", "--project", str(project), *args],
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def argos(tmp_path: Path) -> dict[str, str]:
    """An isolated Argos data folder with no network (sockets fail in the subprocess)."""
    pytest.importorskip("argostranslate")
    site = tmp_path / "offline"
    site.mkdir()
    (site / "sitecustomize.py").write_text(OFFLINE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGOS_")}
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env.update(ARGOS_DEVICE_TYPE="cpu", ORT_DISABLE_TELEMETRY="1",
               PYTHONPATH=os.pathsep.join([str(site), str(Path(__file__).parents[1])]))
    return env


def test_no_model_installed_names_the_command(tmp_path: Path, argos: dict[str, str]) -> None:
    project = make_project(tmp_path / "p")
    run("--project", project, "extract")
    result = leafgen(project, argos, "translate", "--lang", "ar")
    assert result.returncode == 1
    assert "no Argos model for English to ar: install it with argospm install translate-en_ar" \
        in result.stderr


def test_translate_end_to_end_with_a_tiny_real_model(tmp_path: Path, argos: dict[str, str]) -> None:
    from tests.tiny_argos import build_package, install
    install(build_package(tmp_path / "dist", "en", "ur"), Path(argos["XDG_DATA_HOME"]))
    project = make_project(tmp_path / "p")
    run("--project", project, "extract")
    result = leafgen(project, argos, "translate", "--lang", "ur")
    assert "Traceback" not in result.stderr, result.stderr

    po = read_catalog(project / "translations" / "ur.po", "ur")
    entries = [m for m in po if m.id]
    filled = [m for m in entries if state(m) == "machine"]
    failed = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(filled) + len(failed) == len(entries)
    assert f"{len(filled)} entries machine-translated into ur (status: machine), " \
           f"{len(failed)} failed" in result.stdout
    assert result.returncode == (1 if failed else 0)
    # Entries with nothing to mask go through the model and are written as machine text,
    assert {m.id for m in filled} >= {m.id for m in entries if mask(m.id)[1] == []}
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in m.string) for m in filled)
    assert all(status_of(m) == "machine" and not m.fuzzy for m in filled)
    # and nothing masked is ever lost: a written entry has every placeholder and contact
    # detail of its English; an entry the model mangled is an error, left untranslated.
    for m in filled:
        assert sorted(PLACEHOLDER.findall(m.string)) == sorted(PLACEHOLDER.findall(m.id))
        for kind, value in tokens(m.id):
            if kind != "text":
                assert value in m.string
    for m in entries:
        if m not in filled:
            assert mask(m.id)[1], m.id  # only entries with masked values can fail
            assert any(m.id[:50] in line for line in failed)

    # The status report and the build see the machine text honestly.
    report = leafgen(project, argos, "status", "--json")
    assert f'"machine": {len(filled)}' in report.stdout
    # A second run touches only what is still missing: the model is deterministic, so
    # what failed fails again and nothing already translated is redone.
    again = leafgen(project, argos, "translate", "--lang", "ur")
    assert "0 entries machine-translated into ur" in again.stdout
