"""The print edition laid out whole in a process of its own, started before the
manuscript is read: loading WeasyPrint is most of a small edition's time, and it
loads on another core while this process reads and renders the manuscript.

The command line's printer (`printing.Printer.started`) starts one for each build
that lays out the print edition, and `build` lays the edition out there
when it is laid out whole, has it fork the processes that lay out the parts when the
edition is laid out in parts (each starts with WeasyPrint loaded, at once), and
stops it unused otherwise (nothing changed, an error in the manuscript). Forked, the
process shares what this one has loaded so far and imports only what laying out
needs (`pdf/engine.py`).
"""

from __future__ import annotations

import ctypes
import io
import multiprocessing
import os
import pickle
import select
import shutil
import signal
import tempfile
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing import reduction
from multiprocessing.reduction import ForkingPickler
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hkcq_press.outputs import process_folder
from hkcq_press.pdf.parallel.messages import (
    Done, Failed, Fork, Forked, LayOutWhole, MoveFigures, PageMade, Rendered, Share, WholeLaidOut, Write,
)

if TYPE_CHECKING:
    from hkcq_press.pdf.placement import Placement
    from hkcq_press.pdf.engine import LayoutJob

FORKS_PARTS = hasattr(os, "pidfd_open")
"""Whether the process can fork the parts' processes: this one knows them, which are
not its children, by a pidfd (Linux)."""

PR_SET_PDEATHSIG = 1
"""`prctl`'s option (Linux) for the signal a process is sent when its parent ends."""


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
        self._shared: object = None
        """What the process holds already, sent by reference."""
        self._forking: deque[ForkedProcess] = deque()
        """The processes asked for, oldest first, that it has not said it forked."""

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
        (`engine.placed_layout`); `on_page` hears each page laid out."""
        with self._stopped_if_cut_short():
            while self._forking:
                self._hear_forked()
            self._send(LayOutWhole(job))
            while True:
                message = self._heard()
                if isinstance(message, PageMade):
                    if on_page is not None:
                        on_page(message.page)
                elif isinstance(message, MoveFigures):
                    self._send(Rendered(moved_html(message.placement)))
                else:
                    laid_out: WholeLaidOut = message
                    return laid_out

    def fork(self, work: Callable[[Connection, Any], None], job: object) -> tuple[Connection, ForkedProcess]:
        """A process forked from it, WeasyPrint loaded, that runs `work(connection,
        job)` (a part of the edition, its folios: `pdf/parallel/parts.py`): the connection to it,
        and the process, to stop it. It may fork any number, one after another, as
        long as it lays nothing out itself. This process goes on meanwhile: it hears
        which process was forked when it needs to know (`ForkedProcess`)."""
        # The edition each part's job carries is sent once, not once a part (1.2 MB
        # pickled at 200 articles: 0.1 s each way).
        edition = getattr(job, "edition", None)
        if edition is not None and edition is not self._shared:
            self._send(Share(edition))
            self._shared = edition
        ours, theirs = multiprocessing.get_context("fork").Pipe()
        try:
            self._send(Fork(work, job), shared=self._shared)
            try:
                reduction.send_handle(self._connection, theirs.fileno(), self._process.pid)
            except OSError:
                raise _ended() from None
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        process = ForkedProcess(self._hear_forked)
        self._forking.append(process)
        return ours, process

    def write(self, target: Path) -> list[tuple[str, str]]:
        """Write the PDF laid out to `target`; what WeasyPrint has reported since the
        layout began, writing included."""
        with self._stopped_if_cut_short():
            self._send(Write(target))
            done: Done = self._heard()
            return done.result  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop it, whatever it is doing: it writes nowhere but the build's scratch
        folder and the target it is given, which the build removes if unfinished."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._connection.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    @contextmanager
    def _stopped_if_cut_short(self) -> Iterator[None]:
        """Stop it if its work is cut short here (Ctrl-C, SIGTERM, an error): it would
        go on writing in the build's scratch folder while the build, unwinding,
        removes that folder, and leave it half removed."""
        try:
            yield
        except BaseException:
            self.stop()
            raise

    def _hear_forked(self) -> None:
        """Hear which process it forked for the oldest `fork` not yet answered."""
        forked: Forked = self._heard()
        try:
            pidfd = reduction.recv_handle(self._connection)
        except (OSError, RuntimeError):
            raise _ended() from None
        self._forking.popleft().forked(forked.pid, pidfd)

    def _send(self, message: object, shared: object = None) -> None:
        try:
            self._connection.send_bytes(_pickled(message, shared))
        except (BrokenPipeError, ConnectionResetError):
            raise _ended() from None

    def _heard(self) -> Any:
        """The process's next message; how it failed, raised."""
        try:
            message = self._connection.recv()
        except (EOFError, ConnectionResetError):
            raise _ended() from None
        if isinstance(message, Failed):
            raise message.raised("the print edition")
        return message


class ForkedProcess:
    """A process the layout process forked: a child of that one, not of this, known
    here by its pidfd, which names it however long ago it ended. Which process was
    forked is heard when it is first needed (`hear_forked`, the layout process's)."""

    def __init__(self, hear_forked: Callable[[], None]) -> None:
        self._hear_forked = hear_forked
        self.pid = 0
        self._pidfd: int | None = None

    def forked(self, pid: int, pidfd: int) -> None:
        self.pid, self._pidfd = pid, pidfd

    def is_alive(self) -> bool:
        pidfd = self._known()
        return pidfd is not None and not select.select([pidfd], [], [], 0)[0]

    def kill(self) -> None:
        pidfd = self._known()
        if pidfd is not None:
            with suppress(ProcessLookupError):  # it has ended
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)

    def join(self) -> None:
        """Wait for it to end."""
        pidfd = self._known()
        if pidfd is not None:
            select.select([pidfd], [], [])
            os.close(pidfd)
            self._pidfd = -1

    def _known(self) -> int | None:
        """Its pidfd; None if the layout process ended before it said which process
        it forked (that process, if any, ends when this one closes their pipe)."""
        try:
            while self._pidfd is None:
                self._hear_forked()
        except RuntimeError:
            return None
        return self._pidfd if self._pidfd >= 0 else None


class _SharingPickler(ForkingPickler):
    """Pickles `shared` by reference: the process holds it already."""

    def __init__(self, file: io.BytesIO, shared: object) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: object) -> str | None:
        return "shared" if self.shared is not None and obj is self.shared else None


class _SharingUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: object) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> object:
        if pid != "shared" or self.shared is None:
            raise pickle.UnpicklingError(f"nothing is shared as {pid!r}")
        return self.shared


def _pickled(message: object, shared: object) -> bytes:
    buffer = io.BytesIO()
    _SharingPickler(buffer, shared).dump(message)
    return buffer.getvalue()


def _unpickled(data: bytes, shared: object) -> Any:
    return _SharingUnpickler(io.BytesIO(data), shared).load()


def _ended() -> RuntimeError:
    return RuntimeError("the process laying out the print edition ended")


def _serve(connection: Connection, parents: Connection, scratch: str) -> None:
    """What the process runs: load WeasyPrint, then fork the processes asked for, and
    lay out the edition if it is sent."""
    # Its copy of the command's end closed, it hears the end of the talk when the
    # command ends, however it ends (killed, it cannot stop this process).
    parents.close()
    # Stopped by its parent only: Ctrl-C and the parent's SIGTERM handler are the parent's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    tempfile.tempdir = scratch
    _load_weasyprint()
    shared: object = None
    try:
        while True:
            message = _unpickled(connection.recv_bytes(), shared)
            if isinstance(message, Share):
                shared = message.edition
            elif isinstance(message, Fork):
                _fork(connection, message)
            else:
                _lay_out_whole(connection, message.job)
                return
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the command has ended: nobody to tell
        return


def _lay_out_whole(connection: Connection, job: LayoutJob) -> None:
    from hkcq_press.pdf.parallel.worker import answering

    # The end of a process forked before (parts that could not be joined after all)
    # no longer interrupts it: what is left of them is reaped now.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _reap_ended()
    answering(connection, job.scratch, lambda: _laid_out(connection, job))


def _fork(connection: Connection, fork: Fork) -> None:
    """Fork a process that runs `fork.work(theirs, fork.job)` (the command sends its
    end of their pipe next), and send the command its pid and pidfd."""
    from hkcq_press.pdf.parallel import worker  # noqa: F401 - loaded once here, not in each process forked

    signal.signal(signal.SIGCHLD, _reap_ended)
    theirs = Connection(reduction.recv_handle(connection))
    try:
        gate = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            _run_forked(connection, theirs, gate, parent, fork.work, fork.job)
        os.close(gate[0])
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            os.kill(pid, signal.SIGKILL)  # waiting at the gate: it never started
            raise
        finally:
            os.close(gate[1])  # it may start: it is known by its pidfd now, however soon it ends
    except OSError as error:
        connection.send(Failed(traceback.format_exc(), error))
        return
    finally:
        theirs.close()
    connection.send(Forked(pid))
    reduction.send_handle(connection, pidfd, os.getppid())
    os.close(pidfd)


def _run_forked(
    parents: Connection, theirs: Connection, gate: tuple[int, int], parent: int,
    work: Callable[[Connection, Any], None], job: object,
) -> None:
    """What a forked process runs, once the gate is closed; it never returns."""
    try:
        parents.close()
        os.close(gate[1])
        _ends_with(parent)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.read(gate[0], 1)
        os.close(gate[0])
        work(theirs, job)
    except BaseException:  # noqa: BLE001 - the command has ended (`work` reports its own failures to it)
        os._exit(1)
    os._exit(0)


def _reap_ended(*signal_and_frame: object) -> None:
    """Reap the processes forked that have ended, as each ends: the time and memory
    they used then count among this process's children's, and so among the
    command's once it has stopped this process (what `bench/run.py` measures)."""
    with suppress(ChildProcessError):  # none left
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _ends_with(parent: int) -> None:
    """Have the system kill this process when the layout process ends: the command
    stops that one however the build ends, even when it was stopped before it heard
    which process was forked, and a process left laying out a part would write on
    in the scratch folder the build removes."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it ended before it could be told
        os._exit(1)


def _load_weasyprint() -> None:
    """Loaded now, while the parent reads the manuscript."""
    import weasyprint  # noqa: F401

    from hkcq_press.pdf import engine  # noqa: F401


def _laid_out(connection: Connection, job: LayoutJob) -> list[tuple[str, str]]:
    from hkcq_press.pdf.engine import laid_out_whole, weasyprint_log, write_tagged

    def moved_html(placement: Placement) -> str:
        connection.send(MoveFigures(placement))
        rendered: Rendered = connection.recv()
        return rendered.html

    with weasyprint_log(lambda page: connection.send(PageMade(page))) as records:
        whole = laid_out_whole(job, moved_html, records)
        connection.send(WholeLaidOut(len(whole.document.pages), whole.page_starts, whole.placement, list(records),
                                     whole.warnings, whole.page_fill))
        write: Write = connection.recv()
        write_tagged(whole.document, write.target, job.variant)
        return list(records)
