"""WeasyPrint at work on the print HTML, in whichever process lays it out (this one,
a part's, or the edition's own: `pdf/parallel/process.py`): the URL fetcher confined to
the manuscript and the house style, its log heard, figures placed, pictures checked
at their printed size.

It imports none of the layouts' machinery (Jinja2, the fonts' tools), so a process
that only lays out loads little more than WeasyPrint.
"""

from __future__ import annotations

import logging
import tempfile
import traceback
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from hkcq_press.model.blocks import Figure
from hkcq_press.errors import Problem
from hkcq_press.model.edition import Edition
from hkcq_press.markup.pagemap import PageStart, page_starts
from hkcq_press.pdf.placement import AS_WRITTEN, MOST_LAYOUTS, Placement, figure_gaps
from hkcq_press.pdf.parallel.hooks import PartDiverged
from hkcq_press.pdf.tuning import tuned_layout, tuned_writing


@dataclass(frozen=True, slots=True)
class LayoutJob:
    """What a process that lays out print HTML is given: the whole edition
    (`parallel/process.py`) or a part of it (`parallel/jobs.py`'s `PartJob`)."""

    html: str
    base_url: str
    roots: tuple[Path, ...]
    """What the layout may read: the manuscript, the house style, the fonts."""
    edition: Edition
    variant: str
    scratch: str
    """The build's scratch folder, for whatever WeasyPrint writes on the side (its fonts)."""


def placed_layout(
    edition: Edition, html: str, parse: Callable[[str], Any], moved_html: Callable[[Placement], str],
    records: list[tuple[str, str]],
) -> tuple[Any, Any, Placement]:
    """The print HTML of the whole edition laid out, each figure that
    leaves a gap set further down (`pdf/placement.py`), in `MOST_LAYOUTS` layouts at most:
    (WeasyPrint's document, its parsed HTML, the placement). `moved_html` renders the
    edition with figures so placed; `records` keep what the last layout reported."""
    placement = AS_WRITTEN
    for layouts in range(1, MOST_LAYOUTS + 1):
        records.clear()  # what WeasyPrint reports is the last layout's
        parsed = parse(html)
        with tuned_layout():
            document = parsed.render()
        pages = [page._page_box for page in document.pages]
        gaps = figure_gaps(pages, parsed.etree_element, edition, placement) if layouts < MOST_LAYOUTS else {}
        if not gaps:
            break
        moved = placement.moved_further(gaps)
        html_moved = moved_html(moved)
        if html_moved == html:  # the layouts do not place figures (an override without `placed_blocks`)
            break
        placement, html = moved, html_moved
    return document, parsed, placement


def laid_out_whole(
    job: LayoutJob, moved_html: Callable[[Placement], str], records: list[tuple[str, str]],
) -> tuple[Any, Placement, tuple[PageStart, ...], list[Problem]]:
    """The whole edition laid out, in whichever process (`placed_layout`): WeasyPrint's
    document, the figures' placement, where each page begins (the e-book's page list)
    and the pictures too soft at their printed size."""
    document, parsed, placement = placed_layout(
        job.edition, job.html, confined_parser(job.base_url, job.roots), moved_html, records,
    )
    starts = page_starts(document, parsed.etree_element, job.edition.region_keys)
    return document, placement, starts, low_resolution_pictures(job.edition, document)


def write_tagged(document: Any, target: Path, variant: str) -> None:
    """The laid-out document written as the edition's PDF: tagged, in its variant."""
    with tuned_writing():
        document.write_pdf(target, pdf_variant=variant, pdf_tags=True)


MINIMUM_PPI = 150
"""Below this many pixels per inch at its printed size, a photograph prints soft."""


def low_resolution_pictures(edition: Edition, document: Any) -> list[Problem]:
    """A warning at each figure whose picture, at the size the layout gives it, has
    fewer than `MINIMUM_PPI` pixels an inch. Only the laid-out document knows that
    size: it depends on the page, the columns and the house style."""
    from weasyprint.formatting_structure.boxes import ReplacedBox
    from weasyprint.images import RasterImage

    figures: dict[str, tuple[Path, Figure]] = {}
    for article in edition.articles:
        for figure in article.figures:  # a picture used twice is reported at its first figure
            figures.setdefault(figure.source.as_uri(), (article.source, figure))
    warnings: dict[str, Problem] = {}
    for page in document.pages:
        for box in page._page_box.descendants():  # WeasyPrint's laid-out boxes, read only
            if not (isinstance(box, ReplacedBox) and isinstance(box.replacement, RasterImage)) or box.width <= 0:
                continue
            source = box.element.get("src") if box.element is not None else None
            if source not in figures or source in warnings:
                continue
            # The picture is drawn inside its box at its own proportions (`object-fit: contain`).
            inches = min(box.width, box.height * box.replacement.width / box.replacement.height) / 96  # CSS pixels
            ppi = box.replacement.width / inches
            if ppi < MINIMUM_PPI:
                article, figure = figures[source]
                warnings[source] = Problem(
                    article, figure.line,
                    f"the picture `{figure.source.name}` prints at {ppi:.0f} ppi, under the {MINIMUM_PPI} ppi "
                    "print needs: it will look soft",
                    f"Use an original at least {math.ceil(MINIMUM_PPI * inches)} pixels wide.",
                    severity="warning",
                )
    return list(warnings.values())


def confined_parser(base_url: str, roots: tuple[Path, ...]) -> Callable[[str], Any]:
    """WeasyPrint's parser of print HTML, whose fetcher opens only regular files under
    `roots` (`_confined_fetcher`)."""
    # Imported here, not at the top: loading WeasyPrint costs more than half a second,
    # which `--help`, `check` and a command whose layout is in another process should not pay.
    import weasyprint

    fetcher = _confined_fetcher(weasyprint.URLFetcher, roots)
    return lambda html: weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)


def _confined_fetcher(base: type, roots: tuple[Path, ...]):  # type: ignore[no-untyped-def]
    """A WeasyPrint fetcher that opens only regular files under `roots`: no network,
    no device, nothing outside the manuscript and the house style."""
    allowed = tuple(root.resolve() for root in roots)

    class ConfinedFetcher(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: object = None):  # type: ignore[no-untyped-def]
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise ValueError(f"refused to fetch {url}: only files of the manuscript and its styles are read")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if not any(path.is_relative_to(root) for root in allowed):
                raise ValueError(f"refused to read {path}: not a file of the manuscript or its styles")
            if not path.is_file():
                raise ValueError(f"{path} does not exist or is not a regular file")
            return super().fetch(url, headers)

    return ConfinedFetcher()


_LAID_OUT = re.compile(r"Step 5 - Creating layout - Page (\d+)")


@contextmanager
def weasyprint_log(on_page: Callable[[int], None] | None) -> Iterator[list[tuple[str, str]]]:
    """Collect WeasyPrint's log while it renders: ('error'|'warning', message) pairs;
    pass the pages its progress log reports on to `on_page`."""
    records: list[tuple[str, str]] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if record.name == "weasyprint.progress":
                if on_page is not None and (page := _LAID_OUT.match(message)):
                    on_page(int(page[1]))
            elif record.levelno >= logging.ERROR or message.startswith("Failed to load font"):
                records.append(("error", message))
            elif record.levelno >= logging.WARNING:
                records.append(("warning", message))

    # WeasyPrint's progress logger ("weasyprint.progress") passes its records up here.
    logger = logging.getLogger("weasyprint")
    handler = Collector(logging.DEBUG)
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def answering(connection: Connection, scratch: str, work: Callable[[], Any]) -> None:
    """Send the parent what `work` gives back, or how it failed."""
    # Whatever is written on the side goes in the build's scratch folder, which the
    # build removes however it ends: this process ends without cleaning up after itself.
    tempfile.tempdir = scratch
    try:
        connection.send(("done", work()))
    except PartDiverged as diverged:
        connection.send(("diverged", str(diverged)))
    except OSError as error:  # the machine's condition (a full disk): the parent says so as for itself
        connection.send(("failed", traceback.format_exc(), error))
    except BaseException:  # noqa: BLE001 - anything else is reported to the parent, which stops the build
        connection.send(("failed", traceback.format_exc(), None))
    finally:
        connection.close()
