"""Problems found in a manuscript or a style, and the exit status each one means.

Every stage reports what is wrong with the user's files as a `Problem` that names
the file and line; the CLI is the only place that prints them or exits.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Literal


class ExitStatus(IntEnum):
    OK = 0
    INPUT_ERROR = 1
    USAGE = 2
    INTERNAL = 3
    VALIDATOR_MISSING = 4
    """`verify` could not run a validator it needs: nothing was claimed about that file."""
    STOPPED = 130
    """Stopped by Ctrl-C or SIGTERM, as shells report a process ended by SIGINT."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a user's file, located so an editor can go and fix it."""

    path: Path
    line: int | None
    message: str
    hint: str = ""
    severity: Literal["error", "warning"] = "error"
    place: str = ""
    """Where inside a built edition: an EPUB's member (`EPUB/text/a.xhtml:12`) or a PDF's page."""

    def location(self) -> str:
        shown = _display_path(self.path)
        shown = f"{shown}:{self.line}" if self.line else shown
        return _safe(f"{shown}: {self.place}" if self.place else shown)

    def __str__(self) -> str:
        text = f"{self.location()}: {self.severity}: {_safe(self.message)}"
        return f"{text}\n  {_safe(self.hint)}" if self.hint else text


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (a newline, an escape sequence that sets a terminal's title or
colour) and the bidirectional controls that reorder what a terminal shows."""


def _safe(text: str) -> str:
    """`text` as a terminal shows it faithfully: each unsafe character escaped (`\\x1b`)."""
    return _UNSAFE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def _display_path(path: Path) -> str:
    """Paths relative to the working directory when they are under it: shorter to read.
    The file's own name is never followed as a link: a problem with a link is shown at
    the link, where the desk made it, not at what it points to."""
    absolute = Path(os.path.abspath(path))
    for folders_resolved in (False, True):
        try:
            if folders_resolved:
                return str((absolute.parent.resolve() / absolute.name).relative_to(Path.cwd().resolve()))
            return str(absolute.relative_to(Path.cwd()))
        except (OSError, ValueError, RuntimeError):  # elsewhere, or a loop of links
            continue
    return str(path)


class Stopped(BaseException):
    """The system asked the build to stop (SIGTERM): unwound like Ctrl-C, so temporary
    files are removed and the previous editions stay as they were. Not a
    KeyboardInterrupt, which Python reports on exit as a death by SIGINT."""


class PressError(Exception):
    """Base of every error hkcq-press expects; anything else is a bug (exit 3)."""

    exit_status = ExitStatus.INTERNAL


class ProblemsFound(PressError):
    """Errors in the user's files; `problems` says where and why."""

    exit_status = ExitStatus.INPUT_ERROR

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


class ManuscriptError(ProblemsFound):
    """The manuscript or a style cannot be built."""


@dataclass
class Diagnostics:
    """Collects every problem a stage finds, so an editor sees them all at once."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, path: Path, line: int | None, message: str, hint: str = "") -> None:
        self.problems.append(Problem(path, line, message, hint, "error"))

    def warning(self, path: Path, line: int | None, message: str, hint: str = "") -> None:
        self.problems.append(Problem(path, line, message, hint, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ManuscriptError(self.problems)
