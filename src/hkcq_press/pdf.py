"""The print edition: model → print HTML (house style) → WeasyPrint → tagged PDF.

WeasyPrint reports what it cannot load only in its log and writes the PDF anyway;
here every such failure stops the build with a message, and the URL fetcher
reads nothing but regular files of the manuscript and the house style.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .errors import ManuscriptError, Problem
from .fonts import EmbeddedFont, FontFace, chinese_fonts
from .hyphenation import hyphenation_exceptions
from .inline import InlineMarkup
from .blocks import Figure
from .model import HOUSE_PRINT_OPTIONS, PAGE_SIZES, Edition, PrintOptions, PrintPart
from .pagemap import PageStart, page_starts
from .placement import AS_WRITTEN, MOST_LAYOUTS, Placement, figure_gaps
from .render import HouseStyle
from .stylesheets import STYLESHEETS
from .weasyprint_tuning import tuned_layout, tuned_writing

if TYPE_CHECKING:
    from .partcache import PartCache
    from .parts import JoinedLayout

PRINT_LAYOUT = "print/edition.html"
DEFAULT_VARIANT = "pdf/ua-1"


@dataclass(frozen=True, slots=True)
class PdfResult:
    pages: int
    warnings: list[Problem]


@dataclass(frozen=True, slots=True)
class PrintLayout:
    """The print edition laid out by WeasyPrint: where its pages begin, and the PDF to write."""

    document: Any
    variant: str
    page_starts: tuple[PageStart, ...]
    reported: Callable[[], list[Problem]]
    """What WeasyPrint has reported so far, located; it reports while it writes too."""
    warnings: list[Problem]
    """The layout's own: pictures too small for their printed size."""

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def write(self, target: Path) -> PdfResult:
        with tuned_writing():
            self.document.write_pdf(target, pdf_variant=self.variant, pdf_tags=True)
        return PdfResult(self.pages, _unless_errors(self.reported()) + self.warnings)


def _unless_errors(problems: list[Problem]) -> list[Problem]:
    if any(problem.severity == "error" for problem in problems):
        raise ManuscriptError(problems)
    return problems


def print_html(
    edition: Edition, style: HouseStyle, options: PrintOptions = HOUSE_PRINT_OPTIONS, fonts: tuple[FontFace, ...] = (),
    placement: Placement = AS_WRITTEN, part: PrintPart | None = None, inline: InlineMarkup | None = None,
) -> str:
    """The print layout rendered: one HTML document holding the whole edition, or the
    `part` of it laid out beside the others. `fonts` are the edition's Chinese faces;
    `placement` says which figures are set further down than written; `inline`, the
    copy's renderer, if one has rendered the edition before (`print_inline`)."""
    page_size = options.page_size or edition.page_size
    return style.render(
        PRINT_LAYOUT,
        edition=edition,
        part=part or edition.whole,
        page_size=page_size or "a4",
        page_size_css=PAGE_SIZES[page_size] if page_size else None,
        print_marks=options.print_marks,
        chinese_fonts=fonts,
        edition_kind="print",
        inline=inline or print_inline(edition, style),
        stylesheets=[style.find(name).as_uri() for name in STYLESHEETS["print"]],
        image_url=lambda figure: figure.source.as_uri(),
        placed_blocks=placement.blocks,
    )


def print_inline(edition: Edition, style: HouseStyle) -> InlineMarkup:
    """The print edition's renderer of inline copy."""
    # The whole edition is one document: a link needs only the element's id.
    return InlineMarkup(edition, "print", lambda article: "", hyphenation_exceptions(style))


@dataclass(frozen=True, slots=True)
class JoinedPrintLayout:
    """The print edition laid out in parts side by side, to write as one PDF."""

    joined: JoinedLayout
    problems: list[Problem]
    """What WeasyPrint reported, located; warnings only."""

    @property
    def pages(self) -> int:
        return self.joined.pages

    @property
    def page_starts(self) -> tuple[PageStart, ...]:
        return self.joined.page_starts

    def write(self, target: Path) -> PdfResult:
        return PdfResult(self.joined.write(target), self.problems + self.joined.warnings)


def write_pdf(
    edition: Edition,
    style: HouseStyle,
    target: Path,
    options: PrintOptions = HOUSE_PRINT_OPTIONS,
    html_target: Path | None = None,
    on_page: Callable[[int], None] | None = None,
    jobs: int = 1,
    kept_parts: PartCache | None = None,
) -> PdfResult:
    """Lay out and write the print edition (see `laid_out`)."""
    with laid_out(edition, style, options, html_target, on_page, jobs, kept_parts) as layout:
        return layout.write(target)


@contextmanager
def laid_out(
    edition: Edition,
    style: HouseStyle,
    options: PrintOptions = HOUSE_PRINT_OPTIONS,
    html_target: Path | None = None,
    on_page: Callable[[int], None] | None = None,
    jobs: int = 1,
    kept_parts: PartCache | None = None,
) -> Iterator[PrintLayout | JoinedPrintLayout]:
    """The print edition laid out, to write as a tagged PDF/UA-1 unless another variant
    (the option, else the edition's `pdf_variant`) is asked for (every variant keeps
    the tags, so an archived edition stays accessible), and to learn where its pages
    begin for the e-book. Its fonts live until the block ends.

    With `html_target`, also write the print HTML rendered, for designers to inspect
    and to render on its own: it names the styles and images by their absolute
    `file:` URLs and carries the edition's Chinese faces, if any, as `data:` URLs.
    `on_page` hears the number of each page as it is laid out.

    With `jobs` above 1, an edition of sections is laid out a section a process,
    `jobs` at a time, and joined (`parts.py`), reusing the sections `kept_parts`
    holds as they would be laid out now; otherwise, and whenever its parts cannot be
    laid out apart, in this process, whole.
    """
    layout_path = style.find(PRINT_LAYOUT)
    with (
        tempfile.TemporaryDirectory(prefix="hkcq-press-fonts-") as fonts_dir,
        weasyprint_log(on_page) as records,
    ):
        roots = (edition.source_dir, *style.directories, Path(fonts_dir))
        base_url = edition.source_dir.as_uri() + "/"
        variant = options.variant or edition.pdf_variant or DEFAULT_VARIANT

        def located(records: list[tuple[str, str]]) -> list[Problem]:
            return [
                Problem(*_asker(message, edition, style, layout_path), message, severity=level)  # type: ignore[arg-type]
                for level, message in records
            ]

        inline = print_inline(edition, style)

        def keep_html(placement: Placement, fonts: tuple[EmbeddedFont, ...] | None = None) -> None:
            if html_target is not None:
                fonts = chinese_fonts(edition, style) if fonts is None else fonts
                kept = tuple(FontFace(font.weight, _data_url(font.data)) for font in fonts)
                html_target.write_text(print_html(edition, style, options, kept, placement, inline=inline),
                                       encoding="utf-8")

        parts = (edition.whole,)
        if jobs > 1 and len(edition.sections) > 1:  # laid out by other processes: this one never loads WeasyPrint
            from .parts import laid_out_in_parts, print_parts, start_laying_out

            style_texts = [path.read_text(encoding="utf-8", errors="replace") for path in _style_files(style)]
            parts = print_parts(edition, jobs, style_texts)
        if len(parts) > 1:
            start_laying_out()  # WeasyPrint loads on another core while the parts are rendered
            # Each part embeds a face of its own characters, named by its bytes: a part
            # reads the same, and is kept by `kept_parts` as the same, whatever other
            # sections print.
            faces: dict[int, tuple[FontFace, ...]] = {}
            as_written: dict[int, str] = {}
            for number, part in enumerate(parts):
                without_faces = print_html(edition, style, options, (), AS_WRITTEN, part, inline)
                fonts = chinese_fonts(edition, style, without_faces)
                faces[id(part)] = _written(Path(fonts_dir) / str(number), fonts, named_by_content=True)
                if not fonts:
                    as_written[id(part)] = without_faces

            def render(part: PrintPart, placement: Placement) -> str:
                if placement is AS_WRITTEN and id(part) in as_written:
                    return as_written[id(part)]
                return print_html(edition, style, options, faces[id(part)], placement, part, inline)

            store = kept_parts.for_layout(Path(fonts_dir).as_uri(), style_texts) if kept_parts else None
            with laid_out_in_parts(edition, parts, render, base_url, roots, variant, jobs, on_page, store) as joined:
                if joined is not None:
                    keep_html(joined.placement)
                    yield JoinedPrintLayout(joined, _unless_errors(located(joined.reported)))
                    return
        # Imported here, not at the top: loading WeasyPrint costs more than half a
        # second, which `--help`, `check` and the EPUB build should not pay.
        import weasyprint

        fetcher = confined_fetcher(weasyprint.URLFetcher, roots)
        fonts = chinese_fonts(edition, style)
        faces = _written(Path(fonts_dir), fonts)
        document, parsed, placement = placed_layout(
            edition, print_html(edition, style, options, faces, inline=inline),
            lambda html: weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher),
            lambda moved: print_html(edition, style, options, faces, moved, inline=inline), records,
        )
        keep_html(placement, fonts)

        def reported() -> list[Problem]:
            return located(records)

        _unless_errors(reported())
        starts = page_starts(document, parsed.etree_element, edition.region_keys)
        yield PrintLayout(document, variant, starts, reported, low_resolution_pictures(edition, document))


def _written(folder: Path, fonts: tuple[EmbeddedFont, ...], named_by_content: bool = False) -> tuple[FontFace, ...]:
    """The faces written to `folder`, as the layouts declare them."""
    folder.mkdir(exist_ok=True)
    faces = []
    for font in fonts:
        name = f"{hashlib.sha256(font.data).hexdigest()[:16]}-{font.file_name}" if named_by_content else font.file_name
        (folder / name).write_bytes(font.data)
        faces.append(FontFace(font.weight, (folder / name).as_uri()))
    return tuple(faces)


def placed_layout(
    edition: Edition, html: str, parse: Callable[[str], Any], moved_html: Callable[[Placement], str],
    records: list[tuple[str, str]],
) -> tuple[Any, Any, Placement]:
    """The print HTML of the whole edition laid out, each figure that
    leaves a gap set further down (`placement.py`), in `MOST_LAYOUTS` layouts at most:
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


_URL = re.compile(r"[a-z][a-z0-9+.-]*:[^\s'\"()<>]+", re.IGNORECASE)
_STYLE_FILES = (".css", ".html", ".xhtml")


_IGNORED = re.compile(r"Ignored `(?P<css>.+?)` at (?P<line>\d+):\d+")


def _asker(message: str, edition: Edition, style: HouseStyle, layout: Path) -> tuple[Path, int | None]:
    """The file and line a WeasyPrint message is about, so the desk or the designer
    knows where to look: the figure of the picture it could not load, the CSS it
    ignored, or the style file that refers to the URL it names; the print layout
    when no file can be told."""
    for article in edition.articles:
        for figure in article.figures:
            if figure.source.as_uri() in message:
                return article.source, figure.line
    if ignored := _IGNORED.search(message):
        line = int(ignored["line"])
        for candidate in _style_files(style):
            lines = candidate.read_text(encoding="utf-8").splitlines()
            if candidate.suffix == ".css" and line <= len(lines) and ignored["css"].split(":")[0] in lines[line - 1]:
                return candidate, line
    for url in _URL.findall(message):
        needles = {url.rstrip(".:,")}
        if url.startswith("file:"):
            path = Path(url2pathname(unquote(urlsplit(url).path)))
            needles |= {
                str(path.relative_to(directory)) for directory in style.directories if path.is_relative_to(directory)
            }
        for candidate in _style_files(style):
            for number, text in enumerate(candidate.read_text(encoding="utf-8").splitlines(), 1):
                if any(needle in text for needle in needles):
                    return candidate, number
    return layout, None


def _style_files(style: HouseStyle) -> list[Path]:
    return [
        candidate
        for directory in style.directories
        for candidate in sorted(directory.rglob("*"))
        if candidate.suffix in _STYLE_FILES and candidate.is_file()
    ]


def confined_fetcher(base: type, roots: tuple[Path, ...]):  # type: ignore[no-untyped-def]
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


def _data_url(font: bytes) -> str:
    return "data:font/ttf;base64," + base64.b64encode(font).decode("ascii")


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
