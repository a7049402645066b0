"""The render pool shared by `leafgen build` and `leafgen serve`: renderers run side by
side in worker processes (or in this process), slowest first, and every result comes
back as a value, never as an exception.

One policy for both: a worker that dies (killed, out of memory) breaks its pool and
every render not finished in it. The pool is replaced and those renders are tried once
more; what fails a second time is reported as `worker process died`. Workers end with
the process that started them, however it ends (Linux: PR_SET_PDEATHSIG), so a build
killed by a CI timeout or the out-of-memory killer leaves no render worker behind."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

T = TypeVar("T")

# Slow formats first, so the last worker is not left with an hour of audio.
COST = {"mp3": 0, "epub": 1, "pdf": 1, "large-print-pdf": 1, "docx": 2, "large-print-docx": 2}


def cost(format_name: str) -> int:
    """Where a format goes in the queue: lower starts sooner."""
    return COST.get(format_name, 3)


@dataclass(frozen=True)
class Rendered:
    """A renderer's output."""
    data: bytes


@dataclass(frozen=True)
class Failed:
    """A render that did not succeed: what went wrong, and the text it concerns when the
    renderer knows it (for finding its source)."""
    message: str
    text: str | None = None


@dataclass(frozen=True)
class WorkerDied(Failed):
    """A render that ended its worker process, in both of its tries."""


Outcome = Rendered | Failed


def _call(fn: Callable[..., Any], task: Any, args: tuple[Any, ...]) -> Outcome:
    """Run one render; its failure becomes a value (one broken artifact must not stop the
    others). A renderer may return bytes, Rendered or Failed."""
    try:
        result = fn(task, *args)
    except Exception as e:
        return Failed(f"{type(e).__name__}: {e}", getattr(e, "text", None))
    return result if isinstance(result, (Rendered, Failed)) else Rendered(result)


def end_with_parent(parent: int) -> None:
    """Make this process receive SIGTERM when its parent ends (Linux; elsewhere a no-op).
    Note the kernel sends it when the *thread* that started this process ends, so pools
    are started from threads that live as long as the pool."""
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (AttributeError, OSError):  # not Linux: the parent's own shutdown still ends us
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _start_worker(parent: int, warm: Callable[[], None] | None) -> None:
    end_with_parent(parent)
    if warm is not None:
        warm()


def _nothing() -> None:
    return None


class RenderPool(Generic[T]):
    """Renders tasks with a top-level function `fn(task, *args)`.

    workers=0 renders in this process, one task at a time; otherwise up to `workers`
    spawned processes that live as long as the pool (so fonts, WeasyPrint and the speech
    engine load once per worker), started with `warm` if given. Safe to use from several
    threads at once (leafgen serve)."""

    def __init__(self, workers: int, warm: Callable[[], None] | None = None) -> None:
        self.workers = workers
        self._warm = warm
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0

    def _current(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._executor is None:
                # spawn, not fork: a parent that already made speech holds espeak-ng's threads
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker, initargs=(os.getpid(), self._warm))
                self._generation += 1
            return self._executor, self._generation

    def _replace(self, generation: int) -> None:
        """Drop a broken executor (once, however many threads saw it break)."""
        with self._lock:
            if self._executor is None or self._generation != generation:
                return
            broken, self._executor = self._executor, None
        broken.shutdown(wait=True, cancel_futures=True)

    def recycle(self) -> None:
        """New worker processes from the next task on; the old ones finish what they hold
        and end (a family's details must not outlive their pack in a worker's memory)."""
        with self._lock:
            old, self._executor = self._executor, None
        if old is not None:
            old.shutdown(wait=True)  # other requests' renders on it still finish

    def spawn(self) -> list[Future[None]]:
        """Start every worker now, without waiting for it to be ready (each future is done
        when a worker is)."""
        if not self.workers:
            return []
        executor, _ = self._current()
        return [executor.submit(_nothing) for _ in range(self.workers)]

    def start(self) -> None:
        """Start every worker now rather than for the first task, and wait for them."""
        for future in self.spawn():
            future.result()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> RenderPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=True, cancel_futures=True)

    def run(self, fn: Callable[..., Any], tasks: Sequence[T], args: tuple[Any, ...] = (),
            order: Callable[[T], int] | None = None,
            timeout: float | None = None) -> Iterator[tuple[T, Outcome]]:
        """(task, outcome) for every task, in the order given by `order` (cheapest key
        first; stable), each as soon as it and those before it are done. A result not
        ready within `timeout` seconds raises concurrent.futures.TimeoutError."""
        queue = sorted(tasks, key=order) if order else list(tasks)
        if not self.workers:
            for task in queue:
                yield task, _call(fn, task, args)
            return
        results: dict[int, Outcome] = {}
        pending, tried_again, next_out = list(range(len(queue))), False, 0
        while pending:
            executor, generation = self._current()
            futures: dict[int, Future[Outcome]] = {}
            for i in pending:
                try:
                    futures[i] = executor.submit(_call, fn, queue[i], args)
                except BrokenProcessPool:  # a worker died while the work was being handed out
                    break
            broken: list[int] = []
            for i in pending:
                try:
                    if i not in futures:
                        raise BrokenProcessPool("a worker died before this was handed out")
                    # taken out of the future: a result is held until it is given out,
                    # not to the end of the run (a build's memory stays flat)
                    results[i] = futures.pop(i).result(timeout=timeout)
                except BrokenProcessPool as e:
                    if tried_again:
                        results[i] = WorkerDied(f"worker process died: {e}")
                    else:
                        broken.append(i)
                while next_out in results:
                    yield queue[next_out], results.pop(next_out)
                    next_out += 1
            if broken:
                self._replace(generation)
            pending, tried_again = broken, True
