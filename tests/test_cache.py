"""The cache folder: a size report, pruning by last use, pieces checked when read (a
damaged or foreign entry is made again, never joined into an MP3), and restoring a
cache from elsewhere (another checkout, another CI shard) saving all the speech."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from leafgen.formats import audio
from tests.conftest import make_project, run
from tests.test_journeys import readme_commands

DAY = 86400


def build_mp3(project: Path, out: Path) -> str:
    result = run("--project", project, "build", "--format", "mp3", "--out", out)
    assert result.exit_code == 0, result.output
    return result.output


def pieces(project: Path) -> list[Path]:
    return sorted((project / ".cache" / "speech").rglob(f"*{audio.PIECE}"))


def test_report_and_prune_by_last_use(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    build_mp3(project, tmp_path / "out")
    made = pieces(project)
    assert made
    # the README's two commands, as written there
    report_line, prune_line = readme_commands("The cache")
    assert report_line.split("#")[0].split() == [".venv/bin/leafgen", "cache", "report"]
    assert prune_line.split("#")[0].split() == [".venv/bin/leafgen", "cache", "prune", "--older-than", "30d"]
    report = run("--project", project, *report_line.split("#")[0].split()[1:])
    assert report.exit_code == 0, report.output
    speech = next(line for line in report.output.splitlines() if line.startswith("speech"))
    assert f"{len(made):,} files" in speech
    # half the pieces last used 40 days ago; a build reading the others marks them used
    old = made[::2]
    for path in old:
        os.utime(path, (time.time() - 40 * DAY, time.time() - 40 * DAY))
    pruned = run("--project", project, *prune_line.split("#")[0].split()[1:])
    assert pruned.exit_code == 0, pruned.output
    assert f"removed {len(old):,} " in pruned.output
    assert pieces(project) == [p for p in made if p not in old]
    # a build after pruning makes exactly what was pruned, and reading touches the rest
    before = time.time() - 1
    for path in pieces(project):
        os.utime(path, (before - 40 * DAY, before - 40 * DAY))
    build_mp3(project, tmp_path / "out2")
    assert pieces(project) == made
    assert all(p.stat().st_mtime >= before for p in made), "a piece read is a piece used"


def test_bad_age_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    result = run("--project", project, "cache", "prune", "--older-than", "soon")
    assert result.exit_code != 0 and "30d" in result.output and "Traceback" not in result.output


def test_damaged_or_foreign_pieces_are_made_again(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    first = tmp_path / "out1"
    build_mp3(project, first)
    [mp3] = first.rglob("*.mp3")
    made = pieces(project)
    made[0].write_bytes(made[0].read_bytes()[:-100])       # cut short
    made[1].write_bytes(b"ID3" + made[1].read_bytes()[3:])  # not what the encoder wrote
    second = tmp_path / "out2"
    build_mp3(project, second)
    [again] = second.rglob("*.mp3")
    assert again.read_bytes() == mp3.read_bytes()
    assert all(audio.whole_frames(p.read_bytes()) for p in pieces(project))


def test_a_cache_restored_from_another_checkout_saves_all_the_speech(tmp_path: Path,
                                                                     monkeypatch) -> None:
    """What CI shards share: a cache folder made by one checkout, restored into another
    (another path, other file times), gives byte-identical MP3s with no synthesis."""
    one = make_project(tmp_path / "one")
    build_mp3(one, tmp_path / "out1")
    other = make_project(tmp_path / "other")
    shutil.copytree(one / ".cache" / "speech", other / ".cache" / "speech")
    for path in (other / ".cache").rglob("*"):
        os.utime(path, (1, 1))
    spoken = []
    monkeypatch.setattr(audio, "_synthesise", lambda *a: spoken.append(a) or b"")
    build_mp3(other, tmp_path / "out2")
    assert spoken == []
    [a] = (tmp_path / "out1").rglob("*.mp3")
    [b] = (tmp_path / "out2").rglob("*.mp3")
    assert a.read_bytes() == b.read_bytes()


def test_ci_example_shares_speech_between_shards() -> None:
    """The example workflow: every shard restores the same merged cache (its key names
    no shard), hands on what it made, and the publish job merges, prunes and saves it."""
    import yaml
    from tests.conftest import REPO
    jobs = yaml.safe_load((REPO / "examples" / "github-publish.yml").read_text())["jobs"]
    build, publish = jobs["build"]["steps"], jobs["publish"]["steps"]
    [restore] = [s for s in build if s.get("uses", "").startswith("actions/cache/restore")]
    assert "matrix" not in restore["with"]["key"] + restore["with"]["restore-keys"]
    assert any(s.get("with", {}).get("path") == restore["with"]["path"] and "speech-" in s["with"]["name"]
               for s in build if s.get("uses", "").startswith("actions/upload-artifact"))
    script = "\n".join(s.get("run", "") for s in publish)
    assert "shards/speech-*" in script and "leafgen cache prune --older-than" in script
    [save] = [s for s in publish if s.get("uses", "").startswith("actions/cache/save")]
    assert save["with"]["path"] == restore["with"]["path"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
