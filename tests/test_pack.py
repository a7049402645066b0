"""Family packs: exactly the files asked for, a README in each language, the family's
details filled in, and those details never written anywhere but the pack itself."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import docx
from click.testing import CliRunner

from leafgen.cli import main
from leafgen.pipeline import Selection, load_documents
from leafgen.config import load_config
from leafgen.errors import Problems
from leafgen.formats.audio import PIECE, Speaker, voice_of
from leafgen.pack import Family, with_family
from leafgen.spoken import chapters
from tests.conftest import REPO, run

LEAFLET = "child-protection-conference"


def pack(tmp_path: Path, *args: str) -> tuple[zipfile.ZipFile, str]:
    out = tmp_path / "pack.zip"
    result = run("--project", REPO, "pack", "--authority", "barnet", "--leaflet", LEAFLET,
                 "-o", out, *args)
    assert result.exit_code == 0, result.output
    return zipfile.ZipFile(out), result.output


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def files_containing(marker: str, roots: list[Path], since: float, skip: set[Path]) -> list[Path]:
    """Every file changed since `since` under roots whose bytes hold the marker (as UTF-8
    or UTF-16, the encodings a program could write it in)."""
    needles = [marker.encode(), marker.encode("utf-16-le"), marker.encode("utf-16-be")]
    found = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", ".git")]
            for name in names:
                path = Path(folder) / name
                try:
                    if path in skip or path.is_symlink() or path.stat().st_mtime < since:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(n in data for n in needles):
                    found.append(path)
    return found


def places_personal_data_could_go() -> list[Path]:
    return [REPO, Path(tempfile.gettempdir()), Path.home()]


def test_pack_holds_exactly_the_chosen_files_with_a_readme_per_language(tmp_path: Path,
                                                                         built: Path) -> None:
    z, output = pack(tmp_path, "--lang", "ur", "--lang", "en", "--format", "large-print-pdf",
                     "--format", "mp3")
    names = sorted(z.namelist())
    assert names == sorted(["README-ur.txt", "README-en.txt",
                            f"ur/{LEAFLET}.large-print.pdf", f"ur/{LEAFLET}.mp3",
                            f"en/{LEAFLET}.large-print.pdf", f"en/{LEAFLET}.mp3"])
    assert "4 files" in output
    docs = {d.lang: d for d in load_documents(REPO, Selection(("barnet",), (LEAFLET,), ("ur", "en")))}
    for lang in ("ur", "en"):
        readme = z.read(f"README-{lang}.txt").decode("utf-8")
        assert docs[lang].title in readme
        assert docs[lang].label("This pack contains:") in readme
        for name in names:
            if not name.startswith("README"):
                assert name in readme
        assert docs[lang].label("Large print PDF, {size} point").format(size=18) in readme
        assert docs[lang].label("Some of these files have your family's details filled in. "
                                "Keep them safe and do not share them.") not in readme
    readme_ur = z.read("README-ur.txt").decode("utf-8")
    assert docs["ur"].notice[0] in readme_ur and docs["ur"].notice[1] in readme_ur
    # The files are the ones `leafgen build` makes: no family details, so the same PDF bytes.
    built_pdf = (built / "barnet" / LEAFLET / "ur" / f"{LEAFLET}.large-print.pdf").read_bytes()
    assert z.read(f"ur/{LEAFLET}.large-print.pdf") == built_pdf


def test_family_details_are_filled_in_and_never_stored(tmp_path: Path, built: Path) -> None:
    marker = f"Zed{uuid.uuid4().hex[:10]}"
    since = time.time() - 1
    cache = Path(load_config(REPO, Problems(REPO)).cache_dir) / "speech"
    cached_before = set(cache.rglob(f"*{PIECE}"))
    z, output = pack(tmp_path, "--lang", "en", "--lang", "ur", "--format", "large-print-pdf",
                     "--format", "docx", "--format", "txt", "--format", "mp3",
                     "--social-worker-name", f"Sam {marker}", "--social-worker-phone", "07700900123",
                     "--chair-name", "Ali Chair", "--chair-phone", "0161 496 0000",
                     "--conference-date", "Tuesday 3 March, 10am",
                     "--conference-place", "Room 2, Town Hall")
    assert marker not in output
    for lang in ("en", "ur"):
        text = pdf_text(z.read(f"{lang}/{LEAFLET}.large-print.pdf"), tmp_path)
        txt = z.read(f"{lang}/{LEAFLET}.txt").decode("utf-8")
        body = "\n".join(p.text for p in docx.Document(
            io.BytesIO(z.read(f"{lang}/{LEAFLET}.docx"))).paragraphs)
        for shown in (text, txt, body):
            for value in (f"Sam {marker}", "07700 900123", "Ali Chair", "0161 496 0000",
                          "Room 2, Town Hall"):
                assert value in shown, (lang, value)
    assert "Keep them safe" in z.read("README-en.txt").decode()
    built_mp3 = (built / "barnet" / LEAFLET / "en" / f"{LEAFLET}.mp3").read_bytes()
    assert len(z.read(f"en/{LEAFLET}.mp3")) > len(built_mp3)  # the details are spoken too

    # Nowhere on disk but the pack: not in output/, the caches, temp files or logs.
    leaks = files_containing(marker, places_personal_data_could_go(), since,
                             skip={tmp_path / "pack.zip", tmp_path / "x.pdf"})
    assert leaks == []
    # The speech of the details was made but not cached (audio cannot be searched for text).
    family = Family(social_worker_name=f"Sam {marker}", social_worker_phone="07700 900123",
                    chair_name="Ali Chair", chair_phone="0161 496 0000",
                    conference_date="Tuesday 3 March, 10am", conference_place="Room 2, Town Hall")
    config = load_config(REPO, Problems(REPO))
    for doc in load_documents(REPO, Selection(("barnet",), (LEAFLET,), ("en", "ur"))):
        speaker = Speaker(voice_of(doc.lang), config.speech_rate, cache)
        private = [u for c in chapters(with_family(doc, family)) for u in c.utterances
                   if u.private]
        assert len(private) == 6
        for u in private:
            key = speaker.key(u.text, voice_of(u.lang or doc.lang))
            assert not (cache / key[:2] / f"{key}{PIECE}").exists()
    new = set(cache.rglob(f"*{PIECE}")) - cached_before
    assert not new  # the running time, which depends on the details, is not cached either


def test_bad_requests_name_every_problem_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    result = run("--project", REPO, "pack", "--authority", "nowhere", "--leaflet", LEAFLET,
                 "--lang", "sq", "--lang", "xx", "--format", "brf",
                 "--social-worker-phone", "12345", "--chair-name", "Ann\u202e4321 0770",
                 "--conference-place", "x" * 200, "-o", out)
    assert result.exit_code == 1
    for expected in ("unknown council 'nowhere'", "unknown language 'xx'",
                     "Braille (BRF, for embossers) cannot be made in Albanian",
                     "Social worker's telephone: must be a UK telephone number",
                     "Conference chair's name: must not contain control or text-direction",
                     "Conference place: must be at most 160 characters"):
        assert expected in result.output
    assert "Traceback" not in result.output and "4321" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_family_fields_are_cleaned_and_checked() -> None:
    f = Family(social_worker_phone=" 07700900123 ", chair_phone="0161-496-0000",
               social_worker_name="  Jo   Bloggs ", conference_date="")
    assert f.social_worker_phone == "07700 900123" and f.chair_phone == "0161 496 0000"
    assert f.social_worker_name == "Jo Bloggs" and f.conference_date is None
    assert f.values() == {"social_worker_phone": "07700 900123", "chair_phone": "0161 496 0000",
                          "social_worker_name": "Jo Bloggs"}


WATCHED = "trace=open,openat,creat,rename,renameat,renameat2,link,linkat,mkdir,mkdirat"


def written_files(log: Path) -> set[str]:
    """Every path a process traced by `strace -f -e WATCHED -o log` opened for writing,
    created, renamed, linked or made; not /dev/null (a child's discarded output) nor
    POSIX semaphores in /dev/shm (memory that worker pools use to talk)."""
    written = set()
    for line in log.read_text().splitlines():
        call = re.search(r"\b(open|openat|creat|rename|renameat2?|link|linkat|mkdir|mkdirat)\((.*)", line)
        if not call or "= -1" in line:
            continue
        if call.group(1) in ("open", "openat") and not re.search(r"O_WRONLY|O_RDWR|O_CREAT", line):
            continue
        written.update(re.findall(r'"([^"]*)"', call.group(2)))
    return {p for p in written if p != "/dev/null" and not p.startswith("/dev/shm/sem.")}


def test_a_personalised_pack_writes_no_file_but_the_zip(tmp_path: Path) -> None:
    """Watched, not searched: every file the pack command and its children (espeak-ng)
    open for writing, create, rename or make, seen by strace. The speech that is not
    personal is cached by a first, plain pack; then the personalised one, with every
    detail given (from standard input: off the command line), writes the zip (through
    its temporary name) and nothing else."""
    formats = ["--format", "mp3", "--format", "docx", "--format", "large-print-pdf",
               "--format", "txt", "--format", "brf", "--format", "epub", "--format", "bilingual-pdf",
               "--format", "bilingual-docx"]
    pack(tmp_path, "--lang", "en", "--lang", "ur", *formats)
    out, log = tmp_path / "family.zip", tmp_path / "strace.log"
    details = ("social_worker_name: Sam Watched\nsocial_worker_phone: '07700 900123'\n"
               "chair_name: Ali Chair\nchair_phone: 0161 496 0000\n"
               "conference_date: Tuesday 3 March, 10am\nconference_place: Room 2, Town Hall\n")
    done = subprocess.run(["strace", "-f", "-qq", "-o", str(log), "-e", WATCHED,
                           sys.executable, "-m", "leafgen", "--project", str(REPO), "pack",
                           "--authority", "barnet", "--leaflet", LEAFLET, "--lang", "en",
                           "--lang", "ur", *formats, "--details", "-", "-o", str(out)],
                          input=details, text=True, capture_output=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr
    written = written_files(log)
    assert written and all(Path(p).parent == tmp_path and Path(p).name.endswith(("family.zip",
                                                                                  ".tmp"))
                           for p in written), sorted(written)
    z = zipfile.ZipFile(out)
    assert "Sam Watched" in z.read(f"en/{LEAFLET}.txt").decode()
    assert "Room 2, Town Hall" in z.read(f"ur/{LEAFLET}.txt").decode()
    # the talking book and both halves of the bilingual edition have them too
    book = zipfile.ZipFile(io.BytesIO(z.read(f"ur/{LEAFLET}.epub")))
    assert "Room 2, Town Hall" in book.read("EPUB/content.xhtml").decode()
    assert pdf_text(z.read(f"ur/{LEAFLET}.bilingual.pdf"), tmp_path).count("Sam Watched") == 2


def test_details_from_a_file_or_a_prompt_not_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "p.zip"
    base = ["--project", REPO, "pack", "--authority", "barnet", "--leaflet", LEAFLET,
            "--lang", "en", "--format", "txt", "-o", out]
    asked = CliRunner().invoke(main, [str(a) for a in base] + ["--ask"],
                               input="Sam Asked\n07700900123\n\n\n\nRoom 9\n")
    assert asked.exit_code == 0, asked.output
    text = zipfile.ZipFile(out).read(f"en/{LEAFLET}.txt").decode()
    assert "Sam Asked" in text and "07700 900123" in text and "Room 9" in text
    wrong = CliRunner().invoke(main, [str(a) for a in base] + ["--details", "-"],
                               input="social_worker_name: [not, text]\nfavourite_colour: red\n")
    assert wrong.exit_code == 1
    assert "unknown field 'favourite_colour'" in wrong.output
    assert "Social worker's name: must be text" in wrong.output
    assert "not, text" not in wrong.output
