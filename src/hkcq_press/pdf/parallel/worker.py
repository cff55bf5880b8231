"""What one process does to lay out a part of the print edition (see `pdf/parallel/parts.py`).

It imports WeasyPrint as it loads: the processes are forked from a server that has
loaded this module once, while the parent reads the manuscript; the first part to
start may go to the process the command forked first thing (`pdf/parallel/process.py`),
which has loaded WeasyPrint and imports this module when it is given the part.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from weasyprint.pdf import VARIANTS

from hkcq_press.markup.pagemap import page_starts
from hkcq_press.pdf.parallel.jobs import FolioJob, PartJob, PartLaidOut
from hkcq_press.pdf.placement import AS_WRITTEN, MOST_LAYOUTS, Placement, figure_gaps
from hkcq_press.pdf.engine import answering, confined_parser, low_resolution_pictures, weasyprint_log, write_tagged
from hkcq_press.pdf.parallel.hooks import (
    PartOfEdition, PartPages, folio_layer, part_layout,
)


class _FiguresMoved(Exception):
    def __init__(self, placement: Placement, html: str) -> None:
        super().__init__("figures moved")
        self.placement, self.html = placement, html


def lay_out_part(connection: Connection, job: PartJob) -> None:
    """Lay the part out and write it, talking to the parent over `connection`."""
    answering(connection, job.scratch, lambda: _laid_out(connection, job))


def lay_out_folios(connection: Connection, job: FolioJob) -> None:
    """Lay out and write the folios the parts left to the join (`folio_layer`)."""
    def written() -> int:
        with weasyprint_log(None), folio_layer():
            document = confined_parser(job.base_url, job.roots)(job.html).render()
        if len(document.pages) != job.pages:
            raise RuntimeError(f"the folios took {len(document.pages)} pages, not {job.pages}")
        # Untagged (the join marks them as artifacts), in the variant's PDF version,
        # which decides how fonts are written (PDF/A-1 wants a CIDSet).
        version = VARIANTS[job.variant][1].get("pdf_version") if job.variant in VARIANTS else None
        document.write_pdf(job.target, **({"pdf_version": version} if version else {}))
        return len(document.pages)

    answering(connection, job.scratch, written)


def _laid_out(connection: Connection, job: PartJob) -> PartLaidOut:
    """The part laid out and written, its figures placed as the whole edition places them."""
    parse = confined_parser(job.base_url, job.roots)
    with weasyprint_log(lambda page: connection.send(("page", page))) as records:
        document, parsed, placement, folios_left = _part_placed(connection, job, parse, records)
        starts = page_starts(document, parsed.etree_element, job.edition.region_keys)
        warnings = low_resolution_pictures(job.edition, document)
        targets = frozenset(name for page in document.pages for name in page.anchors)
        for name in job.elsewhere:  # links to other parts lead here until the parts are joined
            document.pages[-1].anchors.setdefault(name, (0, 0, 0, 0))
        write_tagged(document, job.target, job.variant)
        return PartLaidOut(len(document.pages), starts, list(records), warnings, placement, targets,
                           frozenset(folios_left))


def _part_placed(
    connection: Connection, job: PartJob, parse: Callable[[str], Any], records: list[tuple[str, str]],
) -> tuple[Any, Any, Placement, set[int]]:
    """The part laid out as `typesetting.placed_layout` lays out the whole edition, figures
    moved before it learns its place in the whole: the layout stops when they move.
    Also the pages whose folios it left to the join."""
    html, placement = job.html, AS_WRITTEN
    heard: list[PartPages] = []
    for layouts in range(1, MOST_LAYOUTS + 1):
        records.clear()  # what WeasyPrint reports is the last layout's
        parsed = parse(html)
        try:
            told = _Told(connection, job, parsed.etree_element, placement, html, layouts < MOST_LAYOUTS, heard)
            part = PartOfEdition(job.elsewhere, told.paginated, told_already=told.already)
            with part_layout(part):
                document = parsed.render()
            break
        except _FiguresMoved as moved:
            placement, html = moved.placement, moved.html
    return document, parsed, placement, part.folios_left


class _Told:
    """The part's talk with the parent about its place in the whole. Once the part is
    paginated: its figures moved if they leave gaps (the layout stops and starts
    again), else its pages told to the parent, which answers with the part's place.
    A part whose pages the parent knows already (the stored front laid out again) may
    be told its place before it asks: `heard` keeps it, across layouts."""

    def __init__(
        self, connection: Connection, job: PartJob, root: Any, placement: Placement, html: str,
        places_figures: bool, heard: list[PartPages],
    ) -> None:
        self.connection, self.job, self.root, self.placement, self.html = connection, job, root, placement, html
        self.places_figures, self.heard = places_figures, heard

    def already(self) -> PartPages | None:
        """Its place, if the parent has told it unasked."""
        if not self.heard and self.connection.poll():
            self.heard.append(self.connection.recv())
        return self.heard[-1] if self.heard else None

    def paginated(self, pages: list[Any], targets: dict[str, int]) -> PartPages:
        gaps = figure_gaps(pages, self.root, self.job.edition, self.placement) if self.places_figures else {}
        if gaps:
            moved = self.placement.moved_further(gaps)
            self.connection.send(("render", moved))
            moved_html = self._answer()
            if moved_html != self.html:  # else the layouts do not place figures (an override without `placed_blocks`)
                raise _FiguresMoved(moved, moved_html)
        self.connection.send(("paginated", len(pages), targets))
        told: PartPages = self.heard[-1] if self.heard else self.connection.recv()
        return told

    def _answer(self) -> Any:
        """The parent's answer to what the part asked, past its place told unasked."""
        while isinstance(answer := self.connection.recv(), PartPages):
            self.heard.append(answer)
        return answer
