"""How the commands print what the desk reads: problems, counts, sizes, progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from hkcq_press.errors import Problem

if TYPE_CHECKING:
    from hkcq_press.verify.editions import Verification

PROBLEMS_SHOWN = 10
"""The same problem (error or warning, the same words) printed at ten places at most;
the rest are counted."""


def report(problems: Sequence[Problem]) -> None:
    shown: dict[tuple[str, str, str], int] = {}
    held_back: dict[tuple[str, str, str], int] = {}
    for problem in problems:
        kind = (problem.severity, problem.message, problem.hint)
        if shown.get(kind, 0) >= PROBLEMS_SHOWN:
            held_back[kind] = held_back.get(kind, 0) + 1
            continue
        shown[kind] = shown.get(kind, 0) + 1
        print(problem, file=sys.stderr)
    for (severity, message, _), number in held_back.items():
        print(f"hkcq-press: {count(number, f'more {severity}')} like these: {message}", file=sys.stderr)


def say_verified(verification: Verification) -> None:
    """Each file some check passed, with the checks; a file no check could run on is not
    said to be verified."""
    for path, checks in verification.checked.items():
        if checks:
            print(f"verified {path}: {' and '.join(checks)}, no errors")


def count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def size(octets: int) -> str:
    if octets < 1024 * 1024:
        return f"{octets / 1024:.0f} KB"
    return f"{octets / 1024 / 1024:.1f} MB"


class TerminalProgress:
    """Progress on one line of a terminal, rewritten in place, then the time taken."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.shown = False

    def article(self, done: int, total: int) -> None:
        self._show(f"reading articles: {done:,} of {total:,}")

    def page(self, number: int) -> None:
        self._show(f"laying out the print edition: page {number:,}")

    def _show(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r\x1b[K{text} ({elapsed:.1f} s)")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """Clear the progress line and say how long the work took."""
        if self.shown:
            self.stream.write(f"\r\x1b[Kdone in {time.monotonic() - self.started:.1f} s\n")
            self.stream.flush()
