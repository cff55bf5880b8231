"""WeasyPrint at work on the print HTML, in whichever process lays it out (this one,
a part's, or the edition's own: `pdf/parallel/process.py`): the URL fetcher confined to
the manuscript and the house style, its log heard, figures placed, pictures checked
at their printed size.

It imports none of the layouts' machinery (Jinja2, the fonts' tools), so a process
that only lays out loads little more than WeasyPrint.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from hkcq_press.model.blocks import Figure
from hkcq_press.errors import Problem
from hkcq_press.model.edition import Edition
from hkcq_press.markup.pagemap import PageStart, page_starts
from hkcq_press.pdf.copyfit import PageFill, measured_pages, short_before_sections
from hkcq_press.pdf.placement import (
    AS_WRITTEN, MOST_LAYOUTS, Placement, figure_gaps, figures_set_back, stranded_heads,
)
from hkcq_press.pdf.tuning import tuned_layout, tuned_writing


@dataclass(frozen=True, slots=True)
class LayoutJob:
    """What a process that lays out print HTML is given: the whole edition
    (`parallel/process.py`) or a part of it (`parallel/messages.py`'s `PartJob`)."""

    html: str
    base_url: str
    roots: tuple[Path, ...]
    """What the layout may read: the manuscript, the house style, the fonts."""
    edition: Edition
    variant: str
    scratch: str
    """The build's scratch folder, for whatever WeasyPrint writes on the side (its fonts)."""
    press_profile: Path | None
    """The printer's CMYK profile of a PDF/X edition, into which its pictures are separated."""


class FiguresMoved(Exception):
    """Raised by a layout whose figures leave gaps: the layout starts again with
    them set further down (`placed_layout`)."""

    def __init__(self, placement: Placement, html: str) -> None:
        super().__init__("figures moved")
        self.placement, self.html = placement, html


LayOut = Callable[[Any, Placement, str, bool], Any]
"""Lays out WeasyPrint's parsed HTML, rendered with the given placement from the
given HTML: WeasyPrint's document, or `FiguresMoved` (only when the bool, whether
figures may still move, is true)."""


def placed_layout(html: str, parse: Callable[[str], Any], lay_out: LayOut,
                  records: list[tuple[str, str]]) -> tuple[Any, Any, Placement]:
    """Print HTML, whole or a part, laid out until no figure leaves a gap, in
    `MOST_LAYOUTS` layouts at most: (WeasyPrint's document, its parsed HTML, the
    placement). `records` keep what the last layout reported."""
    placement, layouts = AS_WRITTEN, 1
    while True:
        records.clear()  # what WeasyPrint reports is the last layout's
        parsed = parse(html)
        try:
            return lay_out(parsed, placement, html, layouts < MOST_LAYOUTS), parsed, placement
        except FiguresMoved as moved:
            placement, html, layouts = moved.placement, moved.html, layouts + 1


def figures_moved(
    pages: list[Any], root: Any, edition: Edition, placement: Placement, html: str,
    moved_html: Callable[[Placement], str], short_sections: frozenset[str] = frozenset(),
) -> FiguresMoved | None:
    """The layout to start again if `pages` (WeasyPrint's page boxes) leave a gap
    beside a figure, an article's last columns uneven beside one, an article's head
    stranded at a page's foot (`pdf/placement.py`),
    or a section starting a page after a near-empty one (`short_sections`, which only
    the whole edition's layout sees): its figures moved further, its heads kept, those
    sections flowing on, and the HTML `moved_html` renders for them; None when there is
    none of these, or the HTML is unchanged (an override of the layouts that ignores
    the placement)."""
    gaps = figure_gaps(pages, root, edition, placement)
    backs = {figure: move for figure, move in figures_set_back(pages, edition, placement).items()
             if figure not in gaps}
    heads = stranded_heads(pages, edition, placement) - placement.kept_heads
    flowing = short_sections - placement.flowing
    if not gaps and not backs and not heads and not flowing:
        return None
    moved = placement.moved_further(gaps).with_moves(backs).with_heads_kept(heads).with_sections_flowing(flowing)
    html_moved = moved_html(moved)
    return FiguresMoved(moved, html_moved) if html_moved != html else None


@dataclass(frozen=True, slots=True)
class WholeLayout:
    """The whole edition laid out, in whichever process (`laid_out_whole`)."""

    document: Any
    """WeasyPrint's document."""
    placement: Placement
    page_starts: tuple[PageStart, ...]
    """Where each page begins: the e-book's page list."""
    warnings: list[Problem]
    """The pictures too soft at their printed size."""
    page_fill: tuple[PageFill, ...]
    """Each page measured, for the copy-fit report."""


def laid_out_whole(
    job: LayoutJob, moved_html: Callable[[Placement], str], records: list[tuple[str, str]],
) -> WholeLayout:
    """The whole edition laid out (`placed_layout`)."""
    def lay_out(parsed: Any, placement: Placement, html: str, figures_may_move: bool) -> Any:
        with tuned_layout():
            document = parsed.render(dpi=job.edition.print_ppi)
        if figures_may_move:
            pages = [page._page_box for page in document.pages]
            short = (short_before_sections(job.edition, measured_pages(document)) if job.edition.sections
                     else frozenset())
            if moved := figures_moved(pages, parsed.etree_element, job.edition, placement, html, moved_html, short):
                raise moved
        return document

    parse = confined_parser(job.base_url, job.roots, job.press_profile)
    document, parsed, placement = placed_layout(job.html, parse, lay_out, records)
    starts = page_starts(document, parsed.etree_element, job.edition.region_keys)
    return WholeLayout(document, placement, starts, low_resolution_pictures(job.edition, document),
                       measured_pages(document))


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


def confined_parser(
    base_url: str, roots: tuple[Path, ...], press_profile: Path | None = None,
) -> Callable[[str], Any]:
    """WeasyPrint's parser of print HTML, whose fetcher opens only regular files under
    `roots` (`_confined_fetcher`), and gives pictures separated into `press_profile`'s
    CMYK where there is one (`pictures.py`)."""
    # Imported here, not at the top: loading WeasyPrint costs more than half a second,
    # which `--help`, `check` and a command whose layout is in another process should not pay.
    import weasyprint

    fetcher = _confined_fetcher(weasyprint.URLFetcher, roots, press_profile)
    return lambda html: weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)


def _confined_fetcher(base: type, roots: tuple[Path, ...], press_profile: Path | None):  # type: ignore[no-untyped-def]
    """A WeasyPrint fetcher that opens only regular files under `roots`: no network,
    no device, nothing outside the manuscript and the house style."""
    from weasyprint.urls import URLFetcherResponse

    from hkcq_press.pdf.pictures import Separator

    class Separated(URLFetcherResponse):  # type: ignore[misc]
        """A picture's separated bytes: with no file path, so WeasyPrint embeds these
        bytes instead of reading the RGB file again when it writes the picture."""

        @property
        def path(self) -> None:
            return None

    allowed = tuple(root.resolve() for root in roots)
    separate = Separator(press_profile) if press_profile is not None else None

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
            if separate is not None and path.suffix.lower() in PICTURE_SUFFIXES \
                    and (separated := separate(path.read_bytes())) is not None:
                return Separated(url, body=separated, headers={"Content-Type": "image/jpeg"})
            return super().fetch(url, headers)

    return ConfinedFetcher()


PICTURE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff"})
"""Raster pictures, separated for the press; an SVG is drawn by WeasyPrint in its own colours."""

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
