"""The builder: selection, manifest, atomic writes, quiet rebuilds, light start-up."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leafgen.formats import FORMATS
from leafgen.languages import LANGUAGES
from tests.conftest import REPO, make_project, run


# The files an English leaflet is made in: every format but the bilingual editions
PER_DOCUMENT = sum(f.applies_to("en") for f in FORMATS.values())
TEXT_FORMATS = ("--format", "html", "--format", "txt")  # quick to build; PDFs have their own tests


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_rebuild_writes_nothing_when_nothing_changed(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    first = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert "2 written, 0 unchanged, 0 failed" in first.stdout
    page = out / "testshire/demo/en/demo.html"
    stamp = page.stat().st_mtime_ns
    second = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert "0 written, 2 unchanged, 0 failed" in second.stdout
    assert page.stat().st_mtime_ns == stamp


def test_a_changed_sentence_rewrites_only_what_changed(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    leaflet = project / "leaflets/demo/leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace("First point", "A new first point"))
    result = run("--project", project, "build", "--format", "txt", "--out", out)
    assert "1 written, 0 unchanged" in result.stdout
    assert "A new first point" in (out / "testshire/demo/en/demo.txt").read_text()
    # the html built before is still listed: the manifest lists every artifact that exists
    assert {a["format"] for a in manifest(out)["artifacts"]} == {"html", "txt"}


def test_manifest_drops_files_that_vanished(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    (out / "testshire/demo/en/demo.html").unlink()
    run("--project", project, "build", "--format", "txt", "--out", out)
    assert [a["format"] for a in manifest(out)["artifacts"]] == ["txt"]


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "manifest.json", "site/index.html", "site/site.css", "site/testshire/demo/index.html",
        "testshire/demo/en/demo.html", "testshire/demo/en/demo.txt"]


def test_selection(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--project", REPO, "build", "--authority", "barnet", "--format", "txt",
                 "--lang", "en", "--leaflet", "child-protection-conference", "--out", out)
    assert result.exit_code == 0, result.output
    assert [a["path"] for a in manifest(out)["artifacts"]] == \
        ["barnet/child-protection-conference/en/child-protection-conference.txt"]
    assert "wrote barnet/child-protection-conference/en/child-protection-conference.txt" \
        in result.stdout  # not a terminal: one line per artifact


def test_help_imports_no_heavy_library() -> None:
    code = ("import sys; from click.testing import CliRunner; from leafgen.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in ('jinja2', 'pydantic', 'yaml', 'markupsafe') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_list_names_everything() -> None:
    result = run("--project", REPO, "list")
    assert result.exit_code == 0
    assert "bolton" in result.stdout and "child-protection-conference" in result.stdout
    for fmt in ["html", "txt", "pdf", "large-print-pdf", "docx", "large-print-docx", "brf",
                "pef", "mp3"]:
        assert f"  {fmt} " in result.stdout
    for code in LANGUAGES:
        assert f"  {code}  " in result.stdout


def test_entry_scripts_are_thin_and_work(tmp_path: Path) -> None:
    for script in ("cli.py", "build.py"):
        assert len((REPO / script).read_text().splitlines()) < 10
    out = subprocess.run([sys.executable, str(REPO / "build.py"), "--help"], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0 and "--authority" in out.stdout


def test_committed_schemas_match_the_model() -> None:
    from leafgen.schema import schema_texts
    for name, text in schema_texts().items():
        assert (REPO / "schema" / name).read_text() == text, \
            f"schema/{name} is stale: run python -m leafgen.schema"


# ---- freshness, parallel, reproducible, atomic, sharded -----------------------------

def two_councils(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "p")
    other = (project / "authorities/testshire.yaml").read_text()
    (project / "authorities/otherton.yaml").write_text(
        other.replace("testshire", "otherton").replace("Testshire", "Otherton"))
    return project


def built_paths(result_stdout: str) -> list[str]:
    return sorted(line.split()[1] for line in result_stdout.splitlines() if line.startswith("wrote "))


def test_one_council_edit_rebuilds_only_that_council(tmp_path: Path) -> None:
    project, out = two_councils(tmp_path), tmp_path / "out"
    first = run("--project", project, "build", "--out", out)
    assert f"{2 * PER_DOCUMENT} written" in first.stdout
    path = project / "authorities/otherton.yaml"
    path.write_text(path.read_text().replace("01632 960123", "01632 960999"))
    second = run("--project", project, "build", "--out", out)
    rebuilt = built_paths(second.stdout)
    assert len(rebuilt) == PER_DOCUMENT and all(p.startswith("otherton/") for p in rebuilt)
    assert "changed: document)" in second.stdout
    assert "0 failed" in second.stdout


def test_a_template_edit_rebuilds_the_formats_that_use_it(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", "--out", out)
    css = project / "templates/html/leaflet.css"
    css.write_text(css.read_text() + "\n/* a comment */\n")
    rebuilt = built_paths(run("--project", project, "build", "--out", out).stdout)
    assert [Path(p).name for p in rebuilt] == ["demo.html", "demo.large-print.pdf", "demo.pdf"]
    table = project / "templates/braille/it-leafgen.tbl"
    table.write_text(table.read_text() + "\n")
    rebuilt = built_paths(run("--project", project, "build", "--out", out).stdout)
    assert [Path(p).name for p in rebuilt] == ["demo.brf", "demo.pef"]


def test_an_option_change_rebuilds_what_it_affects(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", "--out", out)
    (project / "leafgen.yaml").write_text("large_print_size: 20\n")
    rebuilt = built_paths(run("--project", project, "build", "--out", out).stdout)
    assert [Path(p).name for p in rebuilt] == ["demo.large-print.docx", "demo.large-print.pdf"]


def test_mtimes_are_not_trusted_but_contents_are(tmp_path: Path) -> None:
    import os
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    page = out / "testshire/demo/en/demo.html"
    os.utime(page, (1, 1))  # what a fresh checkout or a copy does
    assert "0 written, 2 unchanged" in run("--project", project, "build", *TEXT_FORMATS, "--out", out).stdout
    data = page.read_bytes()
    page.write_bytes(data.replace(b"<h1>", b"<h2>", 1).replace(b"</h1>", b"</h2>", 1))  # same size
    result = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert "wrote testshire/demo/en/demo.html" in result.stdout and "changed on disk" in result.stdout
    assert page.read_bytes() == data


def test_parallel_and_repeated_clean_builds_are_byte_identical(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    files = {}
    for name, jobs in [("a", 1), ("b", 2)]:
        out = tmp_path / name
        result = run("--project", project, "build", "--out", out, jobs=jobs)
        assert result.exit_code == 0 and f"{PER_DOCUMENT} written" in result.stdout, result.output
        files[name] = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert len(files["a"]) == PER_DOCUMENT + 4  # the formats, the manifest, and the site's 3 files
    assert files["a"] == files["b"]


def test_a_killed_build_leaves_a_valid_output_and_the_next_completes_it(tmp_path: Path) -> None:
    import signal
    project, out = two_councils(tmp_path), tmp_path / "out"
    (project / "leafgen.yaml").write_text("cache_dir: cache\n")  # cold speech cache: a slow build
    proc = subprocess.Popen([sys.executable, "-m", "leafgen", "--project", str(project), "build",
                             "--out", str(out), "--jobs", "1"], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:  # kill it once a few artifacts are written
        if line.startswith("wrote ") and len(list(out.rglob("*.*"))) >= 4:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    listed = json.loads((out / "manifest.json").read_text())["artifacts"]
    assert 0 < len(listed) < 2 * PER_DOCUMENT
    for entry in listed:  # every listed artifact is complete
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    result = run("--project", project, "build", "--out", out)
    assert result.exit_code == 0
    listed = json.loads((out / "manifest.json").read_text())["artifacts"]
    assert len(listed) == 2 * PER_DOCUMENT and not list(out.rglob(".*.tmp"))
    assert f"{2 * PER_DOCUMENT - len(built_paths(result.stdout))} unchanged" in result.stdout


def test_shards_are_disjoint_and_cover_everything(tmp_path: Path) -> None:
    project = two_councils(tmp_path)
    whole = tmp_path / "whole"
    run("--project", project, "build", *TEXT_FORMATS, "--format", "brf", "--out", whole)
    everything = json.loads((whole / "manifest.json").read_text())
    parts = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard{k}"
        result = run("--project", project, "build", *TEXT_FORMATS, "--format", "brf",
                     "--shard", f"{k}/3", "--out", out)
        assert result.exit_code == 0
        parts.append({e["path"] for e in json.loads((out / "manifest.json").read_text())["artifacts"]})
    assert sum(len(p) for p in parts) == len(set().union(*parts)) == 6  # disjoint, complete
    merged = run("merge-manifests", *[tmp_path / f"shard{k}/manifest.json" for k in (1, 2, 3)],
                 "-o", tmp_path / "merged.json")
    assert merged.exit_code == 0
    assert json.loads((tmp_path / "merged.json").read_text()) == everything
    assert run("--project", project, "build", "--shard", "4/3").exit_code == 2


def test_three_shards_joined_are_byte_for_byte_one_build(tmp_path: Path) -> None:
    """What the CI example does with its matrix (examples/github-publish.yml): K = 3
    shards built apart, copied together, manifests merged and the site written, give
    exactly the output folder of one build: every artifact, the manifest, the site."""
    import shutil
    project = two_councils(tmp_path)
    formats = [*TEXT_FORMATS, "--format", "brf", "--format", "pdf", "--format", "docx"]
    whole, joined = tmp_path / "whole", tmp_path / "joined"
    assert run("--project", project, "build", *formats, "--out", whole).exit_code == 0
    for k in (1, 2, 3):
        shard = tmp_path / f"shard{k}"
        assert run("--project", project, "build", *formats, "--shard", f"{k}/3", "--out", shard).exit_code == 0
        shutil.copytree(shard, joined, dirs_exist_ok=True, ignore=shutil.ignore_patterns("manifest.json"))
    assert run("merge-manifests", *[tmp_path / f"shard{k}/manifest.json" for k in (1, 2, 3)],
               "-o", joined / "manifest.json").exit_code == 0
    assert run("--project", project, "site", "--out", joined).exit_code == 0

    def files(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
                if p.is_file() and not p.name.startswith(".")}
    assert files(joined) == files(whole)
    assert sum(name.endswith((".pdf", ".docx", ".brf")) for name in files(whole)) == 6


def test_two_builds_at_once_the_second_stops_clearly(tmp_path: Path) -> None:
    from leafgen.output import output_lock
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    with output_lock(out):
        result = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert result.exit_code == 1
    assert "another leafgen build" in result.stderr and "is writing to" in result.stderr
    assert not (out / "manifest.json").exists()


def test_a_no_op_build_is_told_without_loading_anything(tmp_path: Path) -> None:
    """The second of two identical builds answers from the record the first left (see
    leafgen/noop.py): same output, and no content loaded, merged or validated."""
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    code = ("import sys; from click.testing import CliRunner; from leafgen.cli import main; "
            f"r = CliRunner(env={{'LEAFGEN_JOBS': '1'}}).invoke(main, ['--project', "
            f"{str(project)!r}, 'build', '--out', {str(out)!r}]); print(r.output); "
            "print(sorted(m for m in ('jinja2', 'pydantic', 'babel', 'leafgen.merge') "
            "if m in sys.modules))")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert f"{PER_DOCUMENT} written, 0 unchanged, 0 failed" in first, first
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert f"0 written, {PER_DOCUMENT} unchanged, 0 failed" in second and second.strip().endswith("[]"), second
    assert [line for line in first.splitlines() if line.startswith("skipped")] == \
        [line for line in second.splitlines() if line.startswith("skipped")]
    assert files == {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_no_op_record_is_not_trusted_after_any_change(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    assert run("--project", project, "build", *TEXT_FORMATS, "--out", out).exit_code == 0
    page, text = out / "testshire/demo/en/demo.txt", project / "leaflets/demo/leaflet.yaml"
    page.unlink()  # a file gone from the output
    assert "1 written, 1 unchanged" in run("--project", project, "build", *TEXT_FORMATS,
                                           "--out", out).stdout
    (out / "site/index.html").write_text("edited")  # the site edited by hand
    assert "0 written, 2 unchanged" in run("--project", project, "build", *TEXT_FORMATS,
                                           "--out", out).stdout
    assert "edited" not in (out / "site/index.html").read_text()
    (project / "authorities/empty.yaml").mkdir()  # a content folder named like a file
    broken = run("--project", project, "build", *TEXT_FORMATS, "--out", out)
    assert broken.exit_code == 1 and "authorities/empty.yaml:1" in broken.output, broken.output
    (project / "authorities/empty.yaml").rmdir()
    text.write_text(text.read_text().replace("Ask your social worker.", "Ask us."))
    assert "2 written, 0 unchanged" in run("--project", project, "build", *TEXT_FORMATS,
                                           "--out", out).stdout


# ---- memory: a build holds what it still needs, not every result or every copy -------

def _bytes_of(n: int) -> bytes:
    return bytes(1_000_000) + n.to_bytes(4, "big")


def test_the_render_pool_lets_go_of_each_result_once_given_out() -> None:
    """A result (a 7 MB MP3, say) is freed as soon as the builder has written it: the
    pool keeps none of those it has given out, so memory does not grow with a build."""
    import gc
    import weakref

    from leafgen.pool import RenderPool

    seen: list[weakref.ref] = []
    with RenderPool[int](2) as pool:
        for n, (task, outcome) in enumerate(pool.run(_bytes_of, list(range(12)))):
            assert task == n and outcome.data[-4:] == n.to_bytes(4, "big")
            seen.append(weakref.ref(outcome))
            del outcome
            gc.collect()
            # every result already given out is gone (the last is still the loop's)
            assert [ref() is None for ref in seen[:-1]] == [True] * (len(seen) - 1)


def test_councils_documents_share_their_equal_text(tmp_path: Path) -> None:
    """Councils merged from one shared leaflet hold one copy of each equal section and
    label table: a build's documents grow with their different text, not their number."""
    from leafgen.model import DocContacts
    from leafgen.pipeline import Project

    for name in ("leaflets", "authorities", "translations"):
        shutil.copytree(REPO / name, tmp_path / name)
    bolton = (tmp_path / "authorities" / "bolton.yaml").read_text(encoding="utf-8")
    (tmp_path / "authorities" / "bolton-north.yaml").write_text(
        bolton.replace("id: bolton\n", "id: bolton-north\n").replace("01204 337400", "01204 337499"),
        encoding="utf-8")
    docs = Project(tmp_path).documents()
    pairs = {}
    for d in docs:
        if d.authority_id in ("bolton", "bolton-north"):
            pairs.setdefault(d.lang, []).append(d)
    assert len(pairs) > 10 and all(len(p) == 2 for p in pairs.values())
    for lang, (one, other) in pairs.items():
        equal = [(a, b) for a, b in zip(one.sections, other.sections) if a == b]
        assert equal and len(equal) < len(one.sections), lang  # the phone number's differs
        shareable = [(a, b) for a, b in equal if not any(isinstance(x, DocContacts) for x in a.blocks)]
        assert shareable and all(a is b for a, b in shareable), lang
        assert one.labels is other.labels, lang


def test_a_build_that_speaks_has_one_more_worker_than_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker making speech waits for its speech process part of the time: MP3 and EPUB
    (alone or among the formats built) get a worker more than the cores; the rest one a core."""
    from leafgen.build import default_jobs
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert [name for name, fmt in FORMATS.items() if fmt.speaks] == ["mp3", "epub"]
    assert default_jobs(("mp3",)) == default_jobs(("epub", "pdf")) == default_jobs(tuple(FORMATS)) == 5
    assert default_jobs(("pdf", "docx", "brf", "html")) == 4
