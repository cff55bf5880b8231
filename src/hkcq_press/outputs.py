"""Writing into the output directory without ever leaving a half-written edition.

Each edition is written to a temporary file beside its final name and moved into
place (an atomic rename) only when every edition of the build has been written,
so a failed build leaves the previous good files as they were, and a reader, or
a second build running at the same time, only ever sees complete files.
Temporary names carry the writing process's id, so leftovers of a killed build
are recognised and removed by the next one, while a live build's are left alone.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from hkcq_press.errors import ExitStatus, ManuscriptError, PressError, Problem

TEMPORARY_PREFIX = ".hkcq-press-"
_TEMPORARY = re.compile(re.escape(TEMPORARY_PREFIX) + r"(?P<pid>\d+)-.*\.tmp$")


class Staging:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, name: str) -> Path:
        """A fresh temporary path that will become `out_dir/name` on commit."""
        handle, temporary = tempfile.mkstemp(
            prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-{name}.", suffix=".tmp", dir=self.out_dir
        )
        os.close(handle)
        self._staged.append((Path(temporary), self.out_dir / name))
        return Path(temporary)

    def commit(self) -> None:
        """Move every staged file to its final name (each move is atomic)."""
        for temporary, final in self._staged:
            os.chmod(temporary, 0o644)
            os.replace(temporary, final)
        self._staged.clear()

    def discard(self) -> None:
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged.clear()


@contextmanager
def staged_outputs(out_dir: Path) -> Iterator[Staging]:
    """Stage outputs in `out_dir`; on any failure remove what was staged (and the
    directory itself if this build created it and it is still empty)."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ManuscriptError([Problem(
            out_dir, None, f"the output folder cannot be made: {error.strerror or error}",
            "Name a folder you may write to with --out (not a file).",
        )]) from error
    remove_leftovers(out_dir)
    staging = Staging(out_dir)
    try:
        yield staging
    except BaseException as error:
        staging.discard()
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        if _cannot_write(error, out_dir):
            raise ManuscriptError([Problem(
                out_dir, None, f"the editions cannot be written: {error.strerror.lower()}",  # type: ignore[union-attr]
                "Free some space, or name a folder you may write to with --out; "
                "the previous editions are as they were.",
            )]) from error
        raise
    staging.discard()


WRITING_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}
"""Errors that only writing causes: a full disk, a quota, a read-only file system, a file too large."""
PERMISSION_ERRORS = {errno.EACCES, errno.EPERM}


def _cannot_write(error: BaseException, out_dir: Path) -> bool:
    """Whether `error` is the machine refusing to store the editions (not a bug)."""
    if not isinstance(error, OSError) or not error.strerror:
        return False
    if error.errno in WRITING_ERRORS:
        return True
    written = Path(error.filename).resolve() if error.filename else None
    return error.errno in PERMISSION_ERRORS and written is not None and (
        written.is_relative_to(out_dir.resolve()) or written.is_relative_to(Path(tempfile.gettempdir()).resolve())
    )


class UnreadableBuildDate(PressError):
    """SOURCE_DATE_EPOCH is set, but to no time an edition can be dated by."""

    exit_status = ExitStatus.USAGE


EPOCH_FORMAT = re.compile(r"-?[0-9]+")
LATEST_EPOCH = 253402300799
"""The last second of the year 9999, the last a date can name."""


def build_date() -> datetime | None:
    """The time a reproducible build dates its editions by (SOURCE_DATE_EPOCH, UTC);
    None when it is not set, and the editions are dated when they are written.

    Read before anything is written: the font tools read it too, and would fail on a
    value that is not a whole number, deep inside a build. A malformed value is an
    error, as the reproducible-builds specification asks, never a silent "now"."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    if EPOCH_FORMAT.fullmatch(value) and abs(int(value)) <= LATEST_EPOCH:
        try:
            return datetime.fromtimestamp(int(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # before the year 1 on this system
            pass
    raise UnreadableBuildDate(
        f"SOURCE_DATE_EPOCH is set to {value[:40]!r}, which is not a time: set it to the whole number of seconds "
        "since 1970-01-01 UTC that the editions are to be dated by (what `date +%s` prints), or unset it to date "
        "them when they are written"
    )


SCRATCH_PREFIX = "hkcq-press-"
_SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + r"(?P<pid>\d+)-")


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A folder of the system's temporary folder for everything this build writes on
    the side, WeasyPrint's font files included: while it lasts, the process's
    temporary files are made in it (`tempfile.tempdir`), and it is removed however the
    build ends. Folders of builds whose process no longer runs are removed first."""
    remove_dead_scratch()
    folder = process_folder()
    saved, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(folder, ignore_errors=True)


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def process_folder(purpose: str = "") -> Path:
    """A new folder of the system's temporary folder, named for this process (and
    `purpose`, for whoever looks): the next build removes it if this process died
    before it could."""
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-{purpose}"))


def remove_dead_scratch() -> None:
    """Remove the scratch and preview folders of processes that no longer run (killed,
    or their terminal closed): every build and check does, up to date or not."""
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        match = _SCRATCH.match(path.name)
        if match and path.is_dir() and not _running(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)


def remove_leftovers(out_dir: Path) -> None:
    """Delete temporary files of builds whose process no longer runs."""
    for path in out_dir.iterdir():
        match = _TEMPORARY.match(path.name)
        if match and not _running(int(match["pid"])):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
