"""Writing into the output directory without ever leaving a half-written edition.

Each edition is written to a temporary file beside its final name and moved into
place only when every edition of the build has been written, so a failed build
leaves the previous good files as they were.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPORARY_PREFIX = ".hkcq-press-"


class Staging:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, name: str) -> Path:
        """A fresh temporary path that will become `out_dir/name` on commit."""
        handle, temporary = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{name}.", suffix=".tmp", dir=self.out_dir)
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
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Staging(out_dir)
    try:
        yield staging
    except BaseException:
        staging.discard()
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    staging.discard()
