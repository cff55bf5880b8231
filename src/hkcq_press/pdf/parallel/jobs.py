"""What the command and the processes that lay out an edition's parts tell each other
(`pdf/parallel/parts.py` sends the jobs, `pdf/parallel/worker.py` answers with what it laid out): a
module of their own, so that neither side imports the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hkcq_press.errors import Problem
from hkcq_press.markup.pagemap import PageStart
from hkcq_press.pdf.placement import Placement
from hkcq_press.pdf.engine import LayoutJob


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

    def as_data(self) -> dict[str, Any]:
        """As JSON keeps it, for the output folder's store of parts."""
        return {
            "pages": self.pages,
            "page_starts": [asdict(start) for start in self.page_starts],
            "reported": [list(record) for record in self.reported],
            "warnings": [{**asdict(warning), "path": str(warning.path)} for warning in self.warnings],
            "moves": {key: {str(line): blocks for line, blocks in lines.items()}
                      for key, lines in self.placement.moves.items()},
            "targets": sorted(self.targets),
            "folios_left": sorted(self.folios_left),
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
            Placement(MappingProxyType(moves)),
            frozenset(data["targets"]),
            frozenset(data["folios_left"]),
        )
