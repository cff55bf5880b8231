"""A project's folders, as `hkcq-press new` makes them: where the command line and
the Python API look when they are not told."""

from __future__ import annotations

from pathlib import Path

MANUSCRIPT, OUTPUT, STYLES = Path("manuscript"), Path("dist"), Path("styles")


def find_project(start: Path) -> Path | None:
    """The folder holding `manuscript/edition.yaml`: `start`, or the nearest above it,
    as Quarto finds `_quarto.yml` (run from inside `manuscript/` or any folder below)."""
    for folder in (start, *start.parents):
        if (folder / MANUSCRIPT / "edition.yaml").is_file():
            return folder
    return None


def project_styles(manuscript_dir: Path) -> Path | None:
    """The house-style overrides of the project a manuscript belongs to: the `styles/`
    beside it, where there is one, so a script calling the API gets what the command gets."""
    styles = manuscript_dir.parent / STYLES
    return styles if styles.is_dir() else None
