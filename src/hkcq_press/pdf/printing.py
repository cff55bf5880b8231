"""How a build lays out the print edition, decided in one place: whole in this
process, whole in the layout process started first thing (WeasyPrint loads there on
another core while the manuscript is read, `pdf/parallel/process.py`), or a section a
process, side by side, joined into one PDF (`pdf/parallel/parts.py`).

The command line and `build()` know only a `Printer`; `pdf.laid_out` asks it once
what to do. The parallel modules are imported from here and from `pdf/writer.py` alone
(tests/test_imports.py keeps it so): without them, a `Printer` of one job lays the
edition out whole, here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from hkcq_press.model.edition import Edition, PrintPart

if TYPE_CHECKING:
    from hkcq_press.pdf.parallel.process import LayoutProcess
    from hkcq_press.pdf.parallel.store import PartStore

    Store = PartStore
    """Where a printer keeps the sections it laid out, for the next build: named here
    so that nothing outside `pdf/` names the parallel modules, even for its types."""


class Way(Enum):
    """Where the print edition is laid out."""

    HERE = "whole, in this process"
    PROCESS = "whole, in the layout process"
    PARTS = "a section a process, side by side"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a `Printer` decided for one edition, and why."""

    way: Way
    parts: tuple[PrintPart, ...]
    """The parts to lay out side by side (`Way.PARTS`), else the whole edition alone."""
    reason: str
    process: LayoutProcess | None
    """Where an edition laid out whole is laid out (None: here), the parts fall back too."""
    forking: LayoutProcess | None
    """The process that forks the parts' processes, where it can (Linux); None: a fork server."""
    style_texts: tuple[str, ...] = ()
    """The house style's files, as read to lay out in parts."""


@dataclass(frozen=True, slots=True)
class Printer:
    """The print layout's one decision, made once a build from `--jobs`."""

    jobs: int = 1
    """Processes that may lay out an edition's sections side by side."""
    process: LayoutProcess | None = None
    """The layout process the command line started first, if any."""

    @classmethod
    @contextmanager
    def started(cls, jobs: int) -> Iterator[Printer]:
        """The command line's printer: with more than one job, the layout process is
        started now, before the manuscript is read, and stopped when the block ends."""
        if jobs < 2:
            yield cls(jobs)
            return
        from hkcq_press.pdf.parallel.process import LayoutProcess

        with LayoutProcess.started() as process:
            yield cls(jobs, process)

    def plan(self, edition: Edition, style_texts: Callable[[], list[str]]) -> Plan:
        """How `edition` is laid out; `style_texts` gives the texts of the house style's
        files, read only to lay out in parts (a page style that depends on a page's
        place keeps an edition whole, and a style that prints the total of pages is
        told to the store)."""
        parts: tuple[PrintPart, ...] = (edition.whole,)
        if self.jobs < 2:
            reason = "one job"
        elif len(edition.sections) < 2:
            reason = "fewer than two sections"
        else:
            from hkcq_press.pdf.parallel.parts import print_parts

            texts = tuple(style_texts())
            parts = print_parts(edition, self.jobs, texts)
            reason = "its sections side by side" if len(parts) > 1 else (
                "a page style that depends on a page's place, a WeasyPrint not proven, or no fork server"
            )
        if len(parts) > 1:
            from hkcq_press.pdf.parallel.process import FORKS_PARTS

            return Plan(Way.PARTS, parts, reason, self.process, self.process if FORKS_PARTS else None, texts)
        way = Way.PROCESS if self.process is not None else Way.HERE
        return Plan(way, parts, reason, self.process, None)

    def store(self, edition: Edition, out_dir: Path, manuscript_dir: Path, made_with: str | None) -> PartStore | None:
        """Where the sections laid out side by side are kept for the next build
        (`pdf/parallel/store.py`), given the digest of what a layout is made from besides its
        HTML (`freshness.layout_digest`); None when nothing is laid out in parts, or
        `made_with` is None (every section laid out anew)."""
        if self.jobs < 2 or len(edition.sections) < 2 or made_with is None:
            return None
        from hkcq_press.pdf.parallel.store import PartStore

        return PartStore.of(out_dir, manuscript_dir, made_with)


HERE = Printer()
"""One job, no layout process: every edition laid out whole, in this process."""
