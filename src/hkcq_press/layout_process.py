"""The print edition laid out whole in a process of its own, started before the
manuscript is read: loading WeasyPrint is most of a small edition's time, and it
loads on another core while this process reads and renders the manuscript.

The command line starts one for each build that lays out the print edition
(`LayoutProcess.started`) and hands it to `build`, which lays the edition out there
when it is laid out whole, gives it the first part to lay out when the edition is
laid out in parts, and stops it unused otherwise (nothing changed, an error in the
manuscript). Forked, the process shares what this one has loaded so far and imports
only what laying out needs (`typesetting`).
"""

from __future__ import annotations

import multiprocessing
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .outputs import process_folder

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from .errors import Problem
    from .pagemap import PageStart
    from .parts import PartJob
    from .placement import Placement
    from .typesetting import LayoutJob


@dataclass(frozen=True, slots=True)
class WholeLaidOut:
    """What the process gives back once the edition is laid out, before it writes it."""

    pages: int
    page_starts: tuple[PageStart, ...]
    placement: Placement
    reported: list[tuple[str, str]]
    """What WeasyPrint reported, (level, message), for the caller to locate."""
    warnings: list[Problem]
    """Pictures too small for their printed size."""


class LayoutProcess:
    """A process that loads WeasyPrint, then lays out the edition it is sent and
    writes its PDF where it is told; talked to by `lay_out` and `write`, in turn."""

    def __init__(self) -> None:
        # What the process writes on the side before it is given a build's scratch
        # folder (loading WeasyPrint may write a temporary file) goes in a folder of its
        # own, removed when it is stopped: it may be stopped halfway.
        self._scratch = process_folder()
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, self._connection, str(self._scratch)),
                                        daemon=True, name="print layout")
        self._process.start()
        theirs.close()

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[LayoutProcess | None]:
        """One process for a build, stopped when the block ends. None in a process
        that runs threads: a fork copies only the thread that forks, and a lock
        another held would never be released in the copy."""
        if threading.active_count() > 1:
            yield None
            return
        process = cls()
        try:
            yield process
        finally:
            process.stop()

    def lay_out(
        self, job: LayoutJob, moved_html: Callable[[Placement], str], on_page: Callable[[int], None] | None,
    ) -> WholeLaidOut:
        """The edition laid out there: `moved_html` renders it with figures moved
        (`typesetting.placed_layout`); `on_page` hears each page laid out."""
        self._send(("whole", job))
        while True:
            kind, content = self._heard()
            if kind == "page":
                if on_page is not None:
                    on_page(content)
            elif kind == "render":
                self._send(moved_html(content))
            else:
                laid_out: WholeLaidOut = content
                return laid_out

    def take_part(self, job: PartJob) -> tuple[Connection, BaseProcess]:
        """Hand it a part of the edition to lay out instead (`part_process.lay_out_part`),
        and the talking to it and stopping it to the caller: when the edition is laid
        out in parts, it is ready before the processes forked for the others."""
        self._send(("part", job))
        return self._connection, self._process

    def write(self, target: Path) -> list[tuple[str, str]]:
        """Write the PDF laid out to `target`; what WeasyPrint has reported since the
        layout began, writing included."""
        self._send(target)
        _, reported = self._heard()
        return reported  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop it, whatever it is doing: it writes nowhere but the build's scratch
        folder and the target it is given, which the build removes if unfinished."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._connection.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _send(self, message: object) -> None:
        try:
            self._connection.send(message)
        except (BrokenPipeError, ConnectionResetError):
            raise _ended() from None

    def _heard(self) -> tuple[str, Any]:
        try:
            kind, *content = self._connection.recv()
        except (EOFError, ConnectionResetError):
            raise _ended() from None
        if kind == "failed":
            failure, error = content
            if error is not None:
                raise error
            raise RuntimeError(f"laying out the print edition failed:\n{failure}")
        return kind, content[0]


def _ended() -> RuntimeError:
    return RuntimeError("the process laying out the print edition ended")


def _serve(connection: Connection, parents: Connection, scratch: str) -> None:
    """What the process runs: load WeasyPrint, then lay out the job sent, if any."""
    # Its copy of the command's end closed, it hears the end of the talk when the
    # command ends, however it ends (killed, it cannot stop this process).
    parents.close()
    # Stopped by its parent only: Ctrl-C and the parent's SIGTERM handler are the parent's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    tempfile.tempdir = scratch
    _load_weasyprint()
    from .typesetting import answering

    try:
        kind, job = connection.recv()
        if kind == "part":
            from .part_process import lay_out_part

            lay_out_part(connection, job)
        else:
            answering(connection, job.scratch, lambda: _laid_out(connection, job))
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the command has ended: nobody to tell
        return


def _load_weasyprint() -> None:
    """Loaded now, while the parent reads the manuscript."""
    import weasyprint  # noqa: F401

    from . import typesetting  # noqa: F401


def _laid_out(connection: Connection, job: LayoutJob) -> list[tuple[str, str]]:
    from .typesetting import laid_out_whole, weasyprint_log, write_tagged

    def moved_html(placement: Placement) -> str:
        connection.send(("render", placement))
        html: str = connection.recv()
        return html

    with weasyprint_log(lambda page: connection.send(("page", page))) as records:
        document, placement, starts, warnings = laid_out_whole(job, moved_html, records)
        connection.send(("laid out", WholeLaidOut(len(document.pages), starts, placement, list(records), warnings)))
        target: Path = connection.recv()
        write_tagged(document, target, job.variant)
        return list(records)
