"""Faults while building: a full disk, a worker process killed mid-build.
In each, the build exits 1 with a message and no traceback, manifest.json stays valid and
lists only complete files, no temporary file is left, and the next build completes.
(A SIGKILL of the whole build, and two builds at once, are in test_build.py; that its render
workers end with it is at the end of this file.)"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import leafgen.output
from tests.conftest import make_project, run

FORMATS = ["txt", "html", "brf", "pef", "pdf", "large-print-pdf", "docx", "large-print-docx"]
SELECTED = [arg for name in FORMATS for arg in ("--format", name)]
SMALL = 64 * 1024  # holds the PDFs (16 KB each) and little more: the Word files (38 KB) fail


def listed(out: Path) -> dict[str, dict]:
    """The manifest's entries, after checking each lists a complete file, and that no
    temporary file was left."""
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    if not (out / "manifest.json").exists():
        return {}
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["artifacts"]
    for entry in entries:
        data = (out / entry["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"])
    return {entry["path"]: entry for entry in entries}


def no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output


# ---- a full disk ---------------------------------------------------------------------

class Disk:
    """An output folder on a disk of limited size, which can be filled up and grown."""
    out: Path

    def fill(self) -> None: ...
    def grow(self) -> None: ...


class Tmpfs(Disk):
    """A real small filesystem (tmpfs): needs root, or CAP_SYS_ADMIN."""

    def __init__(self, mount: Path) -> None:
        mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SMALL}", "tmpfs", str(mount)],
                       check=True, capture_output=True)
        self.mount, self.out = mount, mount / "output"

    def fill(self) -> None:
        with open(self.mount / "filler", "wb", buffering=0) as f:  # nothing left to flush
            try:
                while f.write(b"\0" * 4096):
                    pass
            except OSError as e:
                assert e.errno == errno.ENOSPC

    def grow(self) -> None:
        (self.mount / "filler").unlink(missing_ok=True)
        subprocess.run(["mount", "-o", "remount,size=16m", str(self.mount)], check=True)

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.mount)], check=False)


class Patched(Disk):
    """Where no filesystem can be mounted: leafgen.output's writes fail with ENOSPC once
    SMALL bytes were written (the same error a full disk gives)."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.out, self.left = folder / "output", SMALL
        budget = self

        class Limited:
            def __init__(self, f: Any) -> None:
                self.f = f

            def __enter__(self) -> "Limited":
                return self

            def __exit__(self, *exc: object) -> None:
                self.f.close()

            def write(self, data: bytes) -> int:
                if len(data) > budget.left:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                budget.left -= len(data)
                return self.f.write(data)

            def __getattr__(self, name: str) -> Any:
                return getattr(self.f, name)

        class OsWithSmallDisk:
            def __getattr__(self, name: str) -> Any:
                return getattr(os, name)

            @staticmethod
            def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
                f = os.fdopen(fd, mode, *args, **kwargs)
                return Limited(f) if "w" in mode else f

        monkeypatch.setattr(leafgen.output, "os", OsWithSmallDisk())

    def fill(self) -> None:
        self.left = 0

    def grow(self) -> None:
        self.left = 1 << 40

    def close(self) -> None:
        pass


def _tmpfs_possible() -> bool:
    return os.geteuid() == 0 and Path("/proc/filesystems").read_text().find("tmpfs") >= 0


@pytest.fixture(params=["tmpfs", "patched"])
def disk(request: pytest.FixtureRequest, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    if request.param == "tmpfs":
        if not _tmpfs_possible():
            pytest.skip("mounting a tmpfs needs root")
        try:
            made: Disk = Tmpfs(tmp_path / "disk")
        except subprocess.CalledProcessError as e:  # a container without CAP_SYS_ADMIN
            pytest.skip(f"cannot mount a tmpfs here: {e.stderr.decode().strip()}")
    else:
        made = Patched(tmp_path, monkeypatch)
    yield made
    made.close()  # type: ignore[attr-defined]


def test_a_full_disk_stops_the_build_cleanly_and_the_next_build_completes(
        disk: Disk, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    result = run("--project", project, "build", *SELECTED, "--out", disk.out)
    no_traceback(result)
    assert result.exit_code == 1
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("Error: cannot write ") and "No space left on device" in message
    partial = listed(disk.out)
    assert 0 < len(partial) < len(FORMATS)  # what was written before the disk filled
    assert all(f"wrote {path}" in result.stdout for path in partial)

    # A build that starts on a disk with no space at all stops as cleanly.
    disk.fill()
    result = run("--project", project, "build", *SELECTED, "--out", disk.out)
    no_traceback(result)
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert listed(disk.out).keys() <= partial.keys()

    disk.grow()
    result = run("--project", project, "build", *SELECTED, "--out", disk.out)
    assert result.exit_code == 0, result.output
    complete = listed(disk.out)
    assert sorted(complete) == sorted(f"testshire/demo/en/demo{suffix}" for suffix in
                                      (".txt", ".html", ".brf", ".pef", ".pdf", ".large-print.pdf",
                                       ".docx", ".large-print.docx"))
    # what the full disk let through is kept; the rest is written now
    assert f"{len(FORMATS) - len(partial)} written, {len(partial)} unchanged, 0 failed" in result.stdout


def test_an_unwritable_output_folder_is_a_message(tmp_path: Path) -> None:
    """Not a disk fault but the same path: a file where the output folder should be."""
    project = make_project(tmp_path / "p")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "testshire").write_text("a file, not a folder")
    result = run("--project", project, "build", "--format", "txt", "--out", tmp_path / "out")
    no_traceback(result)
    assert result.exit_code == 1
    assert "Error: cannot write " in result.stderr and "testshire/demo/en/demo.txt" in result.stderr


# ---- a worker process killed ------------------------------------------------------------

def children(pid: int) -> list[int]:
    """Processes whose parent is pid (from /proc: no psutil needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_worker(pid: int) -> bool:
    """A spawned multiprocessing child (not the resource tracker, nor a short-lived
    program such as espeak-ng, which may end while it is looked at)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def worker_of(pid: int) -> int | None:
    """A render worker of the build pid."""
    return next((child for child in children(pid) if is_worker(child)), None)


def wait_for(condition: Callable[[], Any], seconds: float) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    return None


def killed_worker_build(project: Path, out: Path, kills: int) -> tuple[int, str]:
    """A --jobs 2 build whose render workers are SIGKILLed (as the kernel's out-of-memory
    killer does), `kills` times: the first pool's worker, then the fresh pool's."""
    proc = subprocess.Popen([sys.executable, "-m", "leafgen", "--project", str(project), "build",
                             *SELECTED, "--out", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        killed: set[int] = set()
        for _ in range(kills):
            worker = wait_for(lambda: next((w for w in [worker_of(proc.pid)] if w and w not in killed),
                                           None), 60)
            assert worker, "no worker process appeared"
            os.kill(worker, signal.SIGKILL)
            killed.add(worker)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in stdout + stderr
    return proc.returncode, stdout + stderr


def test_a_worker_killed_once_is_replaced_and_the_build_completes(tmp_path: Path) -> None:
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    assert run("--project", project, "build", *SELECTED, "--out", out).exit_code == 0
    before = listed(out)
    css = project / "templates/html/leaflet.css"  # the web page and both PDFs use it
    css.write_text(css.read_text() + "\nh1 { letter-spacing: 0.01em; }\n")
    code, output = killed_worker_build(project, out, kills=1)
    assert code == 0, output
    assert "3 written, 5 unchanged, 0 failed" in output
    after = listed(out)
    assert sorted(after) == sorted(before)
    assert all(after[p] != before[p] for p in after if p.endswith((".html", ".pdf")))


def die_as_told(task: tuple[object, str], templates: Path, config: object) -> bytes:
    """A stand-in renderer for the worker pool: 'always' kills its worker every time,
    'once' only the first time (a flag file remembers), anything else renders."""
    _, name = task
    flag = Path(templates) / "died-once"
    if name == "always" or (name == "once" and not flag.exists()):
        flag.write_text("")
        os.kill(os.getpid(), signal.SIGKILL)
    return name.encode()


def test_a_worker_that_dies_once_costs_nothing(tmp_path: Path) -> None:
    from leafgen.build import _render_all
    from leafgen.pool import Rendered, RenderPool
    tasks = [(None, n) for n in ("a", "b", "once", "c", "d")]
    with RenderPool[tuple[None, str]](2) as pool:
        assert list(_render_all(tasks, tmp_path, None, pool, die_as_told)) == [  # type: ignore[arg-type]
            Rendered(b"a"), Rendered(b"b"), Rendered(b"once"), Rendered(b"c"), Rendered(b"d")]
    assert (tmp_path / "died-once").exists()


def test_a_task_that_kills_every_worker_is_reported_not_retried_for_ever(tmp_path: Path) -> None:
    from leafgen.build import _render_all
    from leafgen.pool import Failed, Rendered, RenderPool
    tasks = [(None, n) for n in ("a", "b", "always", "c", "d")]
    with RenderPool[tuple[None, str]](2) as pool:
        results = list(_render_all(tasks, tmp_path, None, pool, die_as_told))  # type: ignore[arg-type]
    assert len(results) == 5
    died = [isinstance(r, Failed) and "worker process died" in r.message for r in results]
    assert died[2]
    for name, result, failed in zip("abxcd", results, died):  # the others: rendered, or failed
        assert failed or result == Rendered(name.encode())    # with it in the second pool


# ---- the whole build killed ---------------------------------------------------------------

def gone(pid: int) -> bool:
    """Ended (a zombie waiting for a parent that no longer reaps it counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_killed_build_leaves_no_render_worker_running(tmp_path: Path) -> None:
    """kill -9 of a build (a CI timeout, the out-of-memory killer): its workers end too."""
    project, out = make_project(tmp_path / "p"), tmp_path / "out"
    (project / "leafgen.yaml").write_text("cache_dir: cache\n")  # cold speech cache: a slow build
    proc = subprocess.Popen([sys.executable, "-m", "leafgen", "--project", str(project), "build",
                             "--out", str(out), "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def two_workers() -> list[int]:
            found = [pid for pid in children(proc.pid) if is_worker(pid)]
            return found if len(found) == 2 else []
        workers = wait_for(two_workers, 60)
        assert workers, "the build never had two render workers"
        everything = children(proc.pid)  # the workers, and multiprocessing's resource tracker
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        left = wait_for(lambda: all(gone(pid) for pid in everything), 5)
        assert left, f"{[pid for pid in everything if not gone(pid)]} outlived the build"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
