"""Everything the command and the processes that lay out the print edition tell
each other, named: the jobs they are given, what a layout asks and reports as it
goes, and how it ends (`Done`, `Diverged`, `Failed`). A module of its own, so that
neither side imports the other, and each end decodes a message by its type alone.

The layout process (`process.py`) hears `Share`, `Fork` and `LayOutWhole`, answers a
fork with `Forked`, and a whole layout with `PageMade`s, `MoveFigures` (answered with
`Rendered`), `WholeLaidOut`, then, sent `Write`, `Done`. A part's process
(`worker.py`) reports `PageMade`s, may ask `MoveFigures`, reports `Paginated`, is
told `PartPages`, and ends with `Done`, `Diverged` or `Failed`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hkcq_press.errors import Problem
from hkcq_press.markup.pagemap import PageStart
from hkcq_press.model.edition import Edition
from hkcq_press.pdf.copyfit import PageFill
from hkcq_press.pdf.placement import Placement
from hkcq_press.pdf.engine import LayoutJob


# --- As a layout goes, whole or a part --------------------------------------------


@dataclass(frozen=True, slots=True)
class PageMade:
    """The layout has made this many pages (WeasyPrint's progress), for the progress line."""

    page: int


@dataclass(frozen=True, slots=True)
class MoveFigures:
    """The layout asks for the HTML with its figures so placed (`placement.py`)."""

    placement: Placement


@dataclass(frozen=True, slots=True)
class Rendered:
    """The answer to `MoveFigures`."""

    html: str


@dataclass(frozen=True, slots=True)
class Paginated:
    """A part's pages and the page of each target it holds, counted from its own first
    page: what it reports before it learns its place in the edition."""

    pages: int
    targets: dict[str, int]


@dataclass(frozen=True, slots=True)
class PartPages:
    """What a part learns of the whole edition once its own pages are laid out."""

    first_page: int
    """The number its first page prints."""
    total_pages: int
    targets: Mapping[str, int] = field(default_factory=dict)
    """The page number of each target in another part that this part refers to."""


# --- How a layout ends --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Done:
    """The work is done: what it gives back."""

    result: Any


@dataclass(frozen=True, slots=True)
class Diverged:
    """The page numbers a part learned moved its pages: the edition is laid out whole."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The work failed: the traceback, and the error itself when it is the machine's
    condition (a full disk), which the command reports as for itself."""

    failure: str
    error: OSError | None = None

    def raised(self, laying_out: str) -> BaseException:
        """What the command raises for it; `laying_out` names the work ("part 2 of the edition")."""
        if self.error is not None:
            return self.error
        return RuntimeError(f"laying out {laying_out} failed:\n{self.failure}")


# --- To the layout process ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    """The edition the jobs that follow carry, sent once and pickled by reference after."""

    edition: Edition


@dataclass(frozen=True, slots=True)
class Fork:
    """Fork a process that runs `work(connection, job)`; the command's end of their
    pipe follows as a file handle. Answered with `Forked` and its pidfd, or `Failed`."""

    work: Callable[[Connection, Any], None]
    job: object


@dataclass(frozen=True, slots=True)
class Forked:
    pid: int


@dataclass(frozen=True, slots=True)
class LayOutWhole:
    """Lay out the whole edition (its last message: the process ends with the layout)."""

    job: LayoutJob


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
    page_fill: tuple[PageFill, ...]


@dataclass(frozen=True, slots=True)
class Write:
    """Write the edition laid out to `target`; answered with `Done` and what
    WeasyPrint reported since the layout began."""

    target: Path


# --- The parts' jobs ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartJob(LayoutJob):
    """What a part's process is given."""

    number: int
    elsewhere: frozenset[str]
    """The targets of its links that other parts hold."""
    target: Path


@dataclass(frozen=True, slots=True)
class FolioJob:
    """What the process that draws the folios apart is given: the first part's HTML
    emptied to as many pages as the edition has (`_folio_html`)."""

    html: str
    base_url: str
    roots: tuple[Path, ...]
    pages: int
    target: Path
    scratch: str
    variant: str
    """The edition's PDF variant: the folios' fonts are written as it asks."""


@dataclass(frozen=True, slots=True)
class PartLaidOut:
    """What a part's process gives back, its PDF written."""

    pages: int
    page_starts: tuple[PageStart, ...]
    reported: list[tuple[str, str]]
    warnings: list[Problem]
    placement: Placement
    targets: frozenset[str]
    folios_left: frozenset[int]
    """Its pages (from 0) whose folios it left for the join to draw."""
    page_fill: tuple[PageFill, ...]

    def as_data(self) -> dict[str, Any]:
        """As JSON keeps it, for the output folder's store of parts."""
        return {
            "pages": self.pages,
            "page_starts": [asdict(start) for start in self.page_starts],
            "reported": [list(record) for record in self.reported],
            "warnings": [{**asdict(warning), "path": str(warning.path)} for warning in self.warnings],
            "moves": {key: {str(line): blocks for line, blocks in lines.items()}
                      for key, lines in self.placement.moves.items()},
            "kept_heads": sorted(self.placement.kept_heads),
            "targets": sorted(self.targets),
            "folios_left": sorted(self.folios_left),
            "page_fill": [fill.as_data() for fill in self.page_fill],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PartLaidOut:
        moves = {key: MappingProxyType({int(line): blocks for line, blocks in lines.items()})
                 for key, lines in data["moves"].items()}
        return cls(
            data["pages"],
            tuple(PageStart(**start) for start in data["page_starts"]),
            [(level, message) for level, message in data["reported"]],
            [Problem(**{**warning, "path": Path(warning["path"])}) for warning in data["warnings"]],
            Placement(MappingProxyType(moves), frozenset(data["kept_heads"])),
            frozenset(data["targets"]),
            frozenset(data["folios_left"]),
            tuple(PageFill.from_data(fill) for fill in data["page_fill"]),
        )
