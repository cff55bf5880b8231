"""`hkcq-press new`: a project folder ready to build, from the package's `scaffold/`.

The scaffold is a project laid out as hkcq-press expects it — `manuscript/` with a
commented `edition.yaml` and an example article that uses the house features,
an empty `styles/` with a README on overrides, and a `.gitignore` for `dist/` —
so `hkcq-press build` works in it at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hkcq_press.errors import ManuscriptError, Problem

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
RENAMED = {"gitignore": ".gitignore"}
KEPT = {".git"}
"""What a folder may already hold and still be new: `git init` first is a common habit."""
"""Files kept under another name in the package (packaging tools skip dotfiles)."""


def new_project(folder: Path) -> list[Path]:
    """Copy the scaffold into `folder`, which must be new or empty; the files written.
    A folder that cannot be made, or written, is a located error, and what was
    written of it is removed."""
    written: list[Path] = []
    made = False
    try:
        if folder.is_symlink() or folder.exists() and (not folder.is_dir() or not _fresh(folder)):
            raise ManuscriptError([Problem(
                folder, None, "is not an empty folder: a new edition is never written over anything",
                "Name a new folder, or an empty one: hkcq-press new my-edition",
            )])
        made = not folder.exists()
        for source in sorted(SCAFFOLD.rglob("*")):
            if source.is_dir() or "__pycache__" in source.parts:
                continue
            relative = source.relative_to(SCAFFOLD)
            target = folder / relative.parent / RENAMED.get(relative.name, relative.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    except OSError as error:  # a name too long, a folder that cannot hold one, a disk full
        if made:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for path in written:
                path.unlink(missing_ok=True)
        raise ManuscriptError([Problem(
            folder, None, f"cannot be made here: {error.strerror or error}",
            "Name a folder you can write to, with a shorter name: hkcq-press new my-edition",
        )]) from None
    return written


def _fresh(folder: Path) -> bool:
    return all(entry.name in KEPT for entry in folder.iterdir())
