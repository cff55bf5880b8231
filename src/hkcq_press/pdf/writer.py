"""The print edition: model → print HTML (house style) → WeasyPrint → tagged PDF.

WeasyPrint reports what it cannot load only in its log and writes the PDF anyway;
here every such failure stops the build with a message, and the URL fetcher
reads nothing but regular files of the manuscript and the house style.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from hkcq_press.errors import ManuscriptError, Problem
from hkcq_press.style.fonts import EmbeddedFont, FontFace, chinese_fonts
from hkcq_press.style.hyphenation import hyphenation_exceptions
from hkcq_press.markup.inline import InlineMarkup
from hkcq_press.model.edition import HOUSE_PRINT_OPTIONS, PAGE_SIZES, Edition, PrintOptions, PrintPart
from hkcq_press.markup.pagemap import PageStart
from hkcq_press.pdf.placement import AS_WRITTEN, Placement
from hkcq_press.pdf.printing import HERE, Printer, Way
from hkcq_press.style.house import HouseStyle
from hkcq_press.profiles import is_for_the_press
from hkcq_press.style.stylesheets import STYLESHEETS, press_profile
from hkcq_press.pdf.copyfit import PageFill
from hkcq_press.pdf.engine import LayoutJob, laid_out_whole, weasyprint_log, write_tagged

if TYPE_CHECKING:
    from hkcq_press.pdf.parallel.messages import WholeLaidOut
    from hkcq_press.pdf.parallel.process import LayoutProcess
    from hkcq_press.pdf.parallel.store import PartStore
    from hkcq_press.pdf.parallel.parts import JoinedLayout

PRINT_LAYOUT = "print/edition.html"
DEFAULT_VARIANT = "pdf/ua-1"


@dataclass(frozen=True, slots=True)
class PdfResult:
    pages: int
    warnings: list[Problem]


class Layout(Protocol):
    """The print edition laid out, however it was: where its pages begin, for the
    e-book's page list, and the PDF to write."""

    @property
    def pages(self) -> int: ...

    @property
    def page_starts(self) -> tuple[PageStart, ...]: ...

    @property
    def page_fill(self) -> tuple[PageFill, ...]:
        """Each page measured: the copy-fit report's (`pdf/copyfit.py`)."""

    @property
    def placement(self) -> Placement:
        """Where the layout set figures and started articles: the report's too."""

    def write(self, target: Path) -> PdfResult: ...


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
    page_fill: tuple[PageFill, ...]
    placement: Placement

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def write(self, target: Path) -> PdfResult:
        write_tagged(self.document, target, self.variant)
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
    variant = options.variant or edition.pdf_variant or DEFAULT_VARIANT
    profile = press_profile(style, edition.print_profile) if is_for_the_press(variant) else None
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
        stylesheets=[style.find(name).as_uri() for name in STYLESHEETS["press" if profile else "print"]],
        print_profile=profile.as_uri() if profile else None,
        image_url=lambda figure: figure.source.as_uri(),
        placed_blocks=placement.blocks,
        article_start=lambda article: placement.start_of(edition, article),
        section_flows_on=lambda section: section.key in placement.flowing,
    )


def print_inline(edition: Edition, style: HouseStyle) -> InlineMarkup:
    """The print edition's renderer of inline copy."""
    # The whole edition is one document: a link needs only the element's id.
    return InlineMarkup(edition, "print", lambda article: "", hyphenation_exceptions(style))


@dataclass(frozen=True, slots=True)
class ProcessPrintLayout:
    """The print edition laid out whole in a process of its own, to write there."""

    laid_out: WholeLaidOut
    process: LayoutProcess
    located: Callable[[list[tuple[str, str]]], list[Problem]]

    @property
    def pages(self) -> int:
        return self.laid_out.pages

    @property
    def page_starts(self) -> tuple[PageStart, ...]:
        return self.laid_out.page_starts

    @property
    def page_fill(self) -> tuple[PageFill, ...]:
        return self.laid_out.page_fill

    @property
    def placement(self) -> Placement:
        return self.laid_out.placement

    def write(self, target: Path) -> PdfResult:
        reported = self.located(self.process.write(target))
        return PdfResult(self.pages, _unless_errors(reported) + self.laid_out.warnings)


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

    @property
    def page_fill(self) -> tuple[PageFill, ...]:
        return self.joined.page_fill

    @property
    def placement(self) -> Placement:
        return self.joined.placement

    def write(self, target: Path) -> PdfResult:
        return PdfResult(self.joined.write(target), self.problems + self.joined.warnings)


def write_pdf(
    edition: Edition,
    style: HouseStyle,
    target: Path,
    options: PrintOptions = HOUSE_PRINT_OPTIONS,
    html_target: Path | None = None,
    on_page: Callable[[int], None] | None = None,
    printer: Printer = HERE,
    store: PartStore | None = None,
) -> PdfResult:
    """Lay out and write the print edition (see `laid_out`)."""
    with laid_out(edition, style, options, html_target, on_page, printer, store) as layout:
        return layout.write(target)


@contextmanager
def laid_out(
    edition: Edition,
    style: HouseStyle,
    options: PrintOptions = HOUSE_PRINT_OPTIONS,
    html_target: Path | None = None,
    on_page: Callable[[int], None] | None = None,
    printer: Printer = HERE,
    store: PartStore | None = None,
) -> Iterator[Layout]:
    """The print edition laid out (`_laid_out`); with crop marks, its PDF written with
    the edition's bleed as every page's BleedBox."""
    with _laid_out(edition, style, options, html_target, on_page, printer, store) as layout:
        yield BledLayout(layout, edition.bleed_mm) if options.print_marks else layout


@dataclass(frozen=True, slots=True)
class BledLayout:
    """A layout whose PDF's BleedBox is the printer's bleed. WeasyPrint sets it at most
    10 pt past the trim, whatever the page's CSS bleed (which here also holds the slug
    for the marks): so each page's box is set again once the PDF is written."""

    layout: Layout
    bleed_mm: float

    @property
    def pages(self) -> int:
        return self.layout.pages

    @property
    def page_starts(self) -> tuple[PageStart, ...]:
        return self.layout.page_starts

    @property
    def page_fill(self) -> tuple[PageFill, ...]:
        return self.layout.page_fill

    @property
    def placement(self) -> Placement:
        return self.layout.placement

    def write(self, target: Path) -> PdfResult:
        import pikepdf

        written = self.layout.write(target)
        bleed = self.bleed_mm * 72 / 25.4
        with pikepdf.open(target, allow_overwriting_input=True) as pdf:
            for page in pdf.pages:
                left, bottom, right, top = (float(value) for value in page.obj.TrimBox)
                page.obj.BleedBox = pikepdf.Array([left - bleed, bottom - bleed, right + bleed, top + bleed])
            # The file's identifier from its content, as WeasyPrint's is: the same edition, the same bytes.
            pdf.save(target, deterministic_id=True)
        return written


@contextmanager
def _laid_out(
    edition: Edition,
    style: HouseStyle,
    options: PrintOptions = HOUSE_PRINT_OPTIONS,
    html_target: Path | None = None,
    on_page: Callable[[int], None] | None = None,
    printer: Printer = HERE,
    store: PartStore | None = None,
) -> Iterator[Layout]:
    """The print edition laid out, to write as a tagged PDF/UA-1 unless another variant
    (the option, else the edition's `pdf_variant`) is asked for (every variant keeps
    the tags, so an archived edition stays accessible), and to learn where its pages
    begin for the e-book. Its fonts live until the block ends.

    With `html_target`, also write the print HTML rendered, for designers to inspect
    and to render on its own: it names the styles and images by their absolute
    `file:` URLs and carries the edition's Chinese faces, if any, as `data:` URLs.
    `on_page` hears the number of each page as it is laid out.

    Where it is laid out, `printer` decides (`pdf/printing.py`): a section a process,
    side by side, and joined (`pdf/parallel/parts.py`), reusing the sections `store` holds as they
    would be laid out now; otherwise, and whenever its parts cannot be laid out
    apart, whole: in the printer's layout process, if it has one, else here.
    """
    layout_path = style.find(PRINT_LAYOUT)
    with (
        tempfile.TemporaryDirectory(prefix="hkcq-press-fonts-") as fonts_dir,
        weasyprint_log(on_page) as records,
    ):
        roots = (edition.source_dir, *style.directories, Path(fonts_dir))
        base_url = edition.source_dir.as_uri() + "/"
        variant = options.variant or edition.pdf_variant or DEFAULT_VARIANT
        press = press_profile(style, edition.print_profile) if is_for_the_press(variant) else None

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

        plan = printer.plan(edition, lambda: [
            path.read_text(encoding="utf-8", errors="replace") for path in _style_files(style)
        ])
        if plan.way is Way.PARTS:  # laid out by other processes: this one never loads WeasyPrint
            from hkcq_press.pdf.parallel.parts import (
                PRINTS_TOTAL,
                SectionsFlowOn,
                flowing_into,
                laid_out_in_parts,
                start_laying_out,
            )

            if plan.forking is None:
                start_laying_out()  # WeasyPrint loads on another core while the parts are rendered
            kept = store.for_layout(Path(fonts_dir).as_uri()) if store else None
            # The total number of pages counts only if a style prints it.
            prints_total = any(PRINTS_TOTAL.search(text) for text in plan.style_texts)
            parts, flowing, keep_too = plan.parts, frozenset[str](), tuple[str, ...]()
            while True:
                render = _part_renderer(edition, style, options, inline, parts, flowing, Path(fonts_dir))
                with ExitStack() as laying_out:
                    try:
                        joined = laying_out.enter_context(laid_out_in_parts(
                            edition, parts, render, base_url, roots, variant, press, printer.jobs, prints_total,
                            on_page, kept, plan.forking, keep_too,
                        ))
                    except SectionsFlowOn as short:  # those sections flow on, each in the part before's
                        flowing, keep_too = flowing | short.keys, keep_too + short.stored
                        parts = flowing_into(parts, flowing)
                        if len(parts) > 1:
                            continue
                        break  # all one part now: laid out whole
                    if joined is not None:
                        keep_html(joined.placement.with_sections_flowing(flowing))
                        yield JoinedPrintLayout(joined, _unless_errors(located(joined.reported)))
                        return
                break
        fonts = chinese_fonts(edition, style)
        faces = _written(Path(fonts_dir), fonts)
        html = print_html(edition, style, options, faces, inline=inline)

        def moved_html(moved: Placement) -> str:
            return print_html(edition, style, options, faces, moved, inline=inline)

        job = LayoutJob(html, base_url, roots, edition, variant, tempfile.gettempdir(), press)
        if plan.process is not None:
            whole = plan.process.lay_out(job, moved_html, on_page)
            keep_html(whole.placement, fonts)
            _unless_errors(located(whole.reported))
            yield ProcessPrintLayout(whole, plan.process, located)
            return
        whole = laid_out_whole(job, moved_html, records)
        keep_html(whole.placement, fonts)

        def reported() -> list[Problem]:
            return located(records)

        _unless_errors(reported())
        yield PrintLayout(whole.document, variant, whole.page_starts, reported, whole.warnings, whole.page_fill,
                          whole.placement)


def _part_renderer(
    edition: Edition, style: HouseStyle, options: PrintOptions, inline: InlineMarkup, parts: tuple[PrintPart, ...],
    flowing: frozenset[str], fonts_dir: Path,
) -> Callable[[PrintPart, Placement], str]:
    """How each of `parts` is rendered, its `flowing` sections flowing on. Each part
    embeds a face of its own characters, named by its bytes: a part reads the same,
    and is kept by the store as the same, whatever other sections print. Rendered as
    asked for: the front starts before the others are rendered."""
    numbers = {id(part): number for number, part in enumerate(parts)}
    faces: dict[int, tuple[FontFace, ...]] = {}
    as_written: dict[int, str] = {}
    flowing_only = AS_WRITTEN.with_sections_flowing(flowing)

    def render(part: PrintPart, placement: Placement) -> str:
        if id(part) not in faces:
            without_faces = print_html(edition, style, options, (), flowing_only, part, inline)
            fonts = chinese_fonts(edition, style, without_faces)
            faces[id(part)] = _written(fonts_dir / str(numbers[id(part)]), fonts, named_by_content=True)
            if not fonts:
                as_written[id(part)] = without_faces
        if placement is AS_WRITTEN and id(part) in as_written:
            return as_written[id(part)]
        return print_html(edition, style, options, faces[id(part)], placement.with_sections_flowing(flowing), part,
                          inline)

    return render


def _written(folder: Path, fonts: tuple[EmbeddedFont, ...], named_by_content: bool = False) -> tuple[FontFace, ...]:
    """The faces written to `folder`, as the layouts declare them."""
    folder.mkdir(exist_ok=True)
    faces = []
    for font in fonts:
        name = f"{hashlib.sha256(font.data).hexdigest()[:16]}-{font.file_name}" if named_by_content else font.file_name
        (folder / name).write_bytes(font.data)
        faces.append(FontFace(font.weight, (folder / name).as_uri()))
    return tuple(faces)


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


def _data_url(font: bytes) -> str:
    return "data:font/ttf;base64," + base64.b64encode(font).decode("ascii")


