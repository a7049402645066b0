"""Content errors: every problem names path:line, all are collected, then one exit."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    kind: str = "error"  # or "warning": told, but nothing stops for it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.message}"


class Problems:
    """Collects problems so one run reports all of them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[Problem] = []
        self.warnings: list[Problem] = []
        self._shown: dict[Path | str, str] = {}  # display() resolves paths: once each

    def add(self, path: Path | str, line: int, message: str) -> None:
        self.items.append(Problem(self.display(path), line, message))

    def warn(self, path: Path | str, line: int, message: str) -> None:
        self.warnings.append(Problem(self.display(path), line, message, "warning"))

    def display(self, path: Path | str) -> str:
        """A path as the user knows it: relative to the project when inside it."""
        if path not in self._shown:
            self._shown[path] = self._display(path)
        return self._shown[path]

    def _display(self, path: Path | str) -> str:
        p = Path(path)
        if p.is_absolute() and p.is_relative_to(self.root):
            # Named as reached, not resolved: a link to a file outside the project is
            # reported as the link the user can see and fix, not as its target.
            return str(p.relative_to(self.root))
        try:
            return str(p.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(p)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ContentError(sorted(set(self.items)))


class ContentError(click.ClickException):
    """Raised once, after all problems were found; click prints it without a traceback."""
    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))

    def format_message(self) -> str:
        n = len(self.problems)
        return self.message + f"\n{n} error{'s' if n != 1 else ''}; nothing was written."

    def show(self, file: IO[Any] | None = None) -> None:
        # no "Error: " prefix: lines must start with path:line
        click.echo(self.format_message(), err=True)
