"""The output folder's store of laid-out sections, so a rebuild lays out again only
the sections whose copy changed, and those whose printed page numbers moved.

A part of the print edition (`pdf/parallel/parts.py`) is a pure function of its HTML, what that
HTML is made with (the style, the faces, the pictures, the code: `layout_digest`)
and the page numbers it is told once laid out: its first page, the page of each
target in another part it prints, and the total when the style prints one. An entry
is filed under the digest of the first two and keeps the third beside the part's
PDF, the page count and targets it reported before it was told anything, and what
it gave back; a rebuild reuses the PDF when it would be told the same numbers, and
lays the part out again when not. Each manuscript has its own folder of entries,
pruned to those of its last build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hkcq_press.outputs import TEMPORARY_PREFIX, file_digest
from hkcq_press.pdf.parallel.messages import Paginated, PartPages

CACHE_FOLDER = ".hkcq-press-parts"
ENTRY_FORMAT = 4
ENTRY = "entry.json"
PART_PDF = "part.pdf"
FOLIOS_PDF = "folios.pdf"

@dataclass(frozen=True, slots=True)
class StoredPart:
    """A part laid out by an earlier build."""

    pdf: Path
    paginated: Paginated
    told: PartPages
    laid_out: dict[str, Any]
    """What its process gave back (`PartLaidOut`, as plain data)."""

    def reusable(self, told: PartPages, prints_total: bool, numbers_in_copy: bool) -> bool:
        """Whether its PDF prints the numbers the part is told now: the other parts'
        targets it names, alike; its first page and the total, alike, or no longer
        printed by the part (its folios are drawn at the join, and its copy prints
        neither its own targets' pages, `numbers_in_copy`, nor the total)."""
        if dict(told.targets) != dict(self.told.targets):
            return False
        if told.first_page == self.told.first_page and (
            not prints_total or told.total_pages == self.told.total_pages
        ):
            return True
        folios_apart = len(self.laid_out["folios_left"]) == self.paginated.pages
        return folios_apart and not numbers_in_copy and not prints_total


@dataclass(frozen=True, slots=True)
class PartStore:
    """One manuscript's laid-out parts in the output folder (see the module)."""

    folder: Path
    made_with: str
    volatile: tuple[str, ...] = ()
    """Text in the HTML that differs from build to build without changing the layout
    (the folder the build's faces are written to)."""

    @classmethod
    def of(cls, out_dir: Path, manuscript_dir: Path, made_with: str) -> PartStore:
        manuscript = hashlib.sha256(str(manuscript_dir.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
        return cls(out_dir / CACHE_FOLDER / manuscript[:24], made_with)

    def for_layout(self, faces_folder: str) -> PartStore:
        """This store as one layout uses it: the folder its faces are written to is
        not part of a part's HTML that counts (the faces are named by their bytes)."""
        return replace(self, volatile=(faces_folder,))

    def key(self, html: str, elsewhere: Iterable[str], variant: str) -> str:
        for text in self.volatile:
            html = html.replace(text, "")
        digest = hashlib.sha256()
        for part in (str(ENTRY_FORMAT), self.made_with, variant, "\n".join(sorted(elsewhere)), html):
            data = part.encode("utf-8", "surrogateescape")
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def get(self, key: str) -> StoredPart | None:
        """The part filed under `key`, if it is whole and its PDF as written."""
        found = self._read(key, PART_PDF)
        if found is None:
            return None
        record, pdf = found
        try:
            told = record["told"]
            return StoredPart(
                pdf, Paginated(record["pages"], dict(record["targets"])),
                PartPages(told["first_page"], told["total_pages"], dict(told["targets"])), record["laid_out"],
            )
        except (KeyError, TypeError):
            return None

    def put(self, key: str, pdf: Path, paginated: Paginated, told: PartPages, laid_out: dict[str, Any]) -> None:
        """File a part just laid out."""
        self._file(key, PART_PDF, pdf, {
            "pages": paginated.pages, "targets": paginated.targets,
            "told": {"first_page": told.first_page, "total_pages": told.total_pages, "targets": dict(told.targets)},
            "laid_out": laid_out,
        })

    def folios(self, key: str) -> tuple[Path, int] | None:
        """The folios filed under `key` (`folio_key`), with how many pages they number."""
        found = self._read(key, FOLIOS_PDF)
        if found is None or not isinstance(found[0].get("pages"), int):
            return None
        return found[1], found[0]["pages"]

    def put_folios(self, key: str, pdf: Path, pages: int) -> None:
        self._file(key, FOLIOS_PDF, pdf, {"pages": pages})

    def folio_key(self, html: str, variant: str) -> str:
        """Folios are filed by the page styles they are laid out with (`html`, the
        edition's first page without copy: `parts._folio_html`) and the PDF variant."""
        return "folios-" + self.key(html, ("folios",), variant)

    def _read(self, key: str, name: str) -> tuple[dict[str, Any], Path] | None:
        entry = self.folder / key
        try:
            record = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
            if record["format"] != ENTRY_FORMAT or file_digest(entry / name) != record["pdf"]:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record, entry / name

    def _file(self, key: str, name: str, pdf: Path, record: dict[str, Any]) -> None:
        """File an entry whole or not at all: the edition is written whatever becomes
        of the store, so a folder that cannot take it goes without."""
        writing = self.folder / f"{TEMPORARY_PREFIX}{os.getpid()}-{key}"
        try:
            writing.mkdir(parents=True)
            shutil.copyfile(pdf, writing / name)
            record = {**record, "format": ENTRY_FORMAT, "pdf": file_digest(writing / name)}
            (writing / ENTRY).write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
            shutil.rmtree(self.folder / key, ignore_errors=True)
            os.replace(writing, self.folder / key)
        except OSError:
            shutil.rmtree(writing, ignore_errors=True)

    def keep_only(self, keys: Iterable[str]) -> None:
        """Remove the entries this build did not use, and any left half-written."""
        kept = set(keys)
        for entry in self.folder.iterdir() if self.folder.is_dir() else ():
            if entry.name not in kept:
                shutil.rmtree(entry, ignore_errors=True)

