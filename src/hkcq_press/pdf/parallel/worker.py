"""What one process does to lay out a part of the print edition (see `pdf/parallel/parts.py`),
and how any process that lays out for the command ends its work (`answering`).

It imports WeasyPrint as it loads: the processes are forked from a server that has
loaded this module once, while the parent reads the manuscript; the first part to
start may go to the process the command forked first thing (`pdf/parallel/process.py`),
which has loaded WeasyPrint and imports this module when it is given the part.
"""

from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from weasyprint.pdf import VARIANTS

from hkcq_press.markup.pagemap import page_starts
from hkcq_press.pdf.copyfit import measured_pages
from hkcq_press.pdf.engine import (
    confined_parser, figures_moved, low_resolution_pictures, placed_layout, weasyprint_log, write_tagged,
)
from hkcq_press.pdf.parallel.hooks import PartDiverged, PartOfEdition, folio_layer, part_layout
from hkcq_press.pdf.parallel.messages import (
    Diverged, Done, Failed, FolioJob, MoveFigures, PageMade, Paginated, PartJob, PartLaidOut, PartPages, Rendered,
)
from hkcq_press.pdf.placement import Placement


def answering(connection: Connection, scratch: str, work: Callable[[], Any]) -> None:
    """Send the parent what `work` gives back (`Done`), or how it ended otherwise
    (`Diverged`, `Failed`)."""
    # Whatever is written on the side goes in the build's scratch folder, which the
    # build removes however it ends: this process ends without cleaning up after itself.
    tempfile.tempdir = scratch
    try:
        connection.send(Done(work()))
    except PartDiverged as diverged:
        connection.send(Diverged(str(diverged)))
    except OSError as error:  # the machine's condition (a full disk): the parent says so as for itself
        connection.send(Failed(traceback.format_exc(), error))
    except BaseException:  # noqa: BLE001 - anything else is reported to the parent, which stops the build
        connection.send(Failed(traceback.format_exc()))
    finally:
        connection.close()


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
    """The part laid out and written, its figures placed as the whole edition places
    them (`engine.placed_layout`), moved before it learns its place in the whole: the
    layout stops when they move."""
    folios_left: set[int] = set()
    heard: list[PartPages] = []

    def lay_out(parsed: Any, placement: Placement, html: str, figures_may_move: bool) -> Any:
        told = _Told(connection, job, parsed.etree_element, placement, html, figures_may_move, heard)
        part = PartOfEdition(job.elsewhere, told.paginated, told_already=told.already)
        with part_layout(part):
            document = parsed.render(dpi=job.edition.print_ppi)
        folios_left.update(part.folios_left)
        return document

    with weasyprint_log(lambda page: connection.send(PageMade(page))) as records:
        parse = confined_parser(job.base_url, job.roots, job.press_profile)
        document, parsed, placement = placed_layout(job.html, parse, lay_out, records)
        starts = page_starts(document, parsed.etree_element, job.edition.region_keys)
        warnings = low_resolution_pictures(job.edition, document)
        targets = frozenset(name for page in document.pages for name in page.anchors)
        for name in job.elsewhere:  # links to other parts lead here until the parts are joined
            document.pages[-1].anchors.setdefault(name, (0, 0, 0, 0))
        fills = measured_pages(document)
        write_tagged(document, job.target, job.variant)
        return PartLaidOut(len(document.pages), starts, list(records), warnings, placement, targets,
                           frozenset(folios_left), fills)


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
        if self.places_figures and (
            moved := figures_moved(pages, self.root, self.job.edition, self.placement, self.html, self._moved_html)
        ):
            raise moved
        self.connection.send(Paginated(len(pages), targets))
        told: PartPages = self.heard[-1] if self.heard else self.connection.recv()
        return told

    def _moved_html(self, placement: Placement) -> str:
        """The part's HTML with its figures so placed, asked of the parent, past its
        place told unasked."""
        self.connection.send(MoveFigures(placement))
        while isinstance(answer := self.connection.recv(), PartPages):
            self.heard.append(answer)
        rendered: Rendered = answer
        return rendered.html
