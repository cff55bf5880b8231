"""The copy-fit report: how full each printed page is, what starts and ends on it,
and for each page or section that ends short or runs over, the lines to cut or add
and in which article — what a production desk reads before the pages go.

The pages are measured where they are laid out (`measured_pages`, on WeasyPrint's
own page boxes, in whichever process lays them out), so `hkcq-press fit` and the
summary `pdf` prints say what the PDF holds. The text area of a page is its content
box above any notes; each half of its width (the columns, or both halves of one
column) is measured by the white left at its foot, in lines of body copy.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from hkcq_press.model.edition import Edition
from hkcq_press.pdf.placement import AS_WRITTEN, Placement, column_rows

HALF = 0.5
"""A page less full than this, but the last, is reported (and counted in the summary)."""
THIRD = 1 / 3
"""A page before a new section with fewer of its lines used than this breaks a make-up rule."""
SIGNATURE = 4
"""Pages a printer folds together: an edition's pages are best a multiple of this."""
ARTICLE = "article"


@dataclass(frozen=True, slots=True)
class PageFill:
    """One laid-out page, measured."""

    white: tuple[float, float]
    """CSS pixels left white at the foot of each half of the text area (left, right)."""
    height: float
    """The text area's height in CSS pixels, above any notes."""
    line: float
    """The commonest height of the page's lines of copy, notes aside (0: none)."""
    columns: int
    """1 when most of its lines of copy are wider than half the text area, else 2."""
    articles: tuple[str, ...]
    """The keys of the articles with copy on the page, in reading order."""
    uneven: tuple[tuple[str, float, bool], ...] = ()
    """The articles whose last columns end on the page uneven beside a figure: each
    key, how far apart the columns end in CSS pixels, and whether the article has
    columns before these, where the layout looks for a place for the figure
    (`pdf/placement.py`)."""

    def as_data(self) -> dict[str, Any]:
        return {**asdict(self), "white": list(self.white), "articles": list(self.articles),
                "uneven": [list(ending) for ending in self.uneven]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PageFill:
        left, right = data["white"]
        return cls((left, right), data["height"], data["line"], data["columns"], tuple(data["articles"]),
                   tuple((key, apart, continued) for key, apart, continued in data["uneven"]))

    def capacity(self, line: float) -> float:
        """The lines of body copy the page's text area holds."""
        return self.columns * self.height / line

    def free(self, line: float) -> float:
        """The lines of body copy left white at the foot of its columns."""
        return (self.white[0] + (self.white[1] if self.columns == 2 else 0)) / line

    def full(self, line: float) -> float:
        """The share of its text area's lines used."""
        capacity = self.capacity(line)
        return max(0.0, 1 - self.free(line) / capacity) if capacity > 0 else 1.0


def measured_pages(document: Any) -> tuple[PageFill, ...]:
    """Each page of WeasyPrint's laid-out `document`, measured (read only)."""
    from weasyprint.formatting_structure import boxes

    uneven: dict[int, list[tuple[str, float, bool]]] = {}
    for key, rows in column_rows([page._page_box for page in document.pages]).items():
        if rows[-1].uneven():
            uneven.setdefault(rows[-1].page, []).append((key, rows[-1].apart(), len(rows) > 1))
    measured = []
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        top = page_box.content_box_y()
        bottom = top + page_box.height
        middle = page_box.content_box_x() + page_box.width / 2
        lowest = [top, top]
        heights: Counter[float] = Counter()
        wide: Counter[float] = Counter()
        articles: dict[str, None] = {}
        for child in page_box.children:
            if isinstance(child, boxes.MarginBox):
                continue
            if isinstance(child, boxes.FootnoteAreaBox):
                bottom = min(bottom, child.position_y)
                continue
            for box in child.descendants():
                if box.element_tag == ARTICLE and box.element is not None and box.element.get("id"):
                    articles.setdefault(box.element.get("id"))
                if isinstance(box, boxes.LineBox) and box.children or isinstance(box, boxes.ReplacedBox):
                    start, end = box.position_x, box.position_y + box.margin_height()
                    width = box.margin_width()
                elif (drawn := _drawn_bottom(box)) is not None:  # a rule, a border, a tinted panel
                    start, end, width = box.border_box_x(), drawn, box.border_width()
                else:
                    continue
                if start < middle:
                    lowest[0] = max(lowest[0], end)
                if start + width > middle:
                    lowest[1] = max(lowest[1], end)
                if isinstance(box, boxes.LineBox):
                    height = round(box.height, 1)
                    heights[height] += 1
                    if box.width > page_box.width / 2:
                        wide[height] += 1
        line = heights.most_common(1)[0][0] if heights else 0.0
        columns = 1 if line and wide[line] * 2 > heights[line] else 2
        white = (max(bottom - lowest[0], 0.0), max(bottom - lowest[1], 0.0))
        measured.append(PageFill(white, bottom - top, line, columns, tuple(articles), tuple(uneven.get(number, ()))))
    return tuple(measured)


def _drawn_bottom(box: Any) -> float | None:
    """Where the lowest thing the box draws of its own ends (a background, or its
    borders as laid out on this page), if it draws any."""
    if getattr(box, "border_top_width", None) is None:
        return None
    top = box.border_box_y()
    if box.style["background_color"].alpha > 0 and box.element_tag not in ("html", "body"):
        return top + box.border_height()
    if box.border_bottom_width:
        return top + box.border_height()
    if box.border_top_width:
        return top + box.border_top_width
    return None


# --- The report -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageReport:
    number: int
    full: float
    """The share of the text area's lines used."""
    lines_free: int
    """Whole lines of body copy left white at the foot of its columns."""
    white_lines: tuple[float, float]
    """Lines of body copy left white at the foot of each half of the text area (left, right)."""
    starts: tuple[str, ...]
    """Headlines of the articles that start on the page."""
    ends: tuple[str, ...]
    """Headlines of the articles that end on the page."""


@dataclass(frozen=True, slots=True)
class Advice:
    """What to do about a page or section that ends short or runs over."""

    page: int
    article: str
    """The headline of the article to cut or add to."""
    article_key: str
    lines: int
    """Lines to cut (positive: the copy runs over) or add (negative: it ends short)."""
    message: str
    rule: str = ""
    """The make-up rule the layout could not meet here, if any."""


@dataclass(frozen=True, slots=True)
class Signature:
    """How far the page count is from a multiple of `SIGNATURE`, which a printer's
    signatures want, in pages and in lines of copy."""

    pages_to_add: int
    lines_to_add: int
    lines_to_cut: int
    """The lines on the pages past the last multiple (0: none to cut, or none before it)."""


@dataclass(frozen=True, slots=True)
class CopyFit:
    """The copy-fit report of one print edition."""

    pages: tuple[PageReport, ...]
    advice: tuple[Advice, ...]
    line: float
    """The body's line in CSS pixels, the unit of every count of lines."""
    signature: Signature

    @property
    def under_half(self) -> list[int]:
        """The pages but the last less than half full."""
        return [page.number for page in self.pages[:-1] if page.full < HALF]

    def summary(self) -> str:
        """One line: the pages, those under half full, what the printer's signatures want."""
        count = len(self.pages)
        words = [f"{count} page{'s' if count != 1 else ''}"]
        if under := self.under_half:
            words.append(f"{len(under)} page{'s' if len(under) != 1 else ''} under half full: "
                         f"{', '.join(map(str, under))}")
        if add := self.signature.pages_to_add:
            cut = f", or cut {self.signature.lines_to_cut}" if self.signature.lines_to_cut else ""
            words.append(f"{add} page{'s' if add != 1 else ''} short of a multiple of {SIGNATURE} "
                         f"(add about {self.signature.lines_to_add} lines{cut})")
        return "; ".join(words)

    def as_data(self) -> dict[str, Any]:
        """The report as `fit --json` prints it."""
        return {
            "pages": [asdict(page) for page in self.pages],
            "advice": [asdict(advice) for advice in self.advice],
            "line_height_pt": round(self.line * 72 / 96, 2),
            "signature": asdict(self.signature),
            "summary": self.summary(),
        }


def copy_fit(edition: Edition, fills: Iterable[PageFill], placement: Placement = AS_WRITTEN) -> CopyFit:
    """The report of `edition` laid out as `fills` measured its pages, its articles
    started where `placement` says (a head kept with its lines starts a page too)."""
    fills = tuple(fills)
    line = _common_line(fills)
    headlines = {article.key: article.headline for article in edition.articles}
    first = {key: number for number, fill in reversed(list(enumerate(fills, 1))) for key in fill.articles}
    last = {key: number for number, fill in enumerate(fills, 1) for key in fill.articles}
    pages = tuple(
        PageReport(
            number, fill.full(line), int(fill.free(line)), (fill.white[0] / line, fill.white[1] / line),
            tuple(headlines[key] for key in fill.articles if first[key] == number and key in headlines),
            tuple(headlines[key] for key in fill.articles if last[key] == number and key in headlines),
        )
        for number, fill in enumerate(fills, 1)
    )
    advice = tuple(_advice(edition, placement, headlines, fills, line, first, last))
    return CopyFit(pages, advice, line, _signature(fills, line))


def _common_line(fills: tuple[PageFill, ...]) -> float:
    """The height of the edition's commonest line of copy: what its pages are counted in."""
    lines = Counter(fill.line for fill in fills if fill.line).most_common(1)
    return lines[0][0] if lines else 1.0


def short_before_sections(edition: Edition, fills: tuple[PageFill, ...]) -> frozenset[str]:
    """The sections (not the first) that start a new page after a page holding fewer
    than a third of its lines: the make-up rule a section flowing on keeps."""
    if not edition.sections:
        return frozenset()
    line = _common_line(fills)
    last: dict[str, int] = {}
    for number, fill in enumerate(fills, 1):
        for key in fill.articles:
            last[key] = number
    short = set()
    for before, section in itertools.pairwise(edition.sections):
        pages = [last[article.key] for article in before.articles if article.key in last]
        if pages and fills[max(pages) - 1].full(line) < THIRD and max(pages) < len(fills):
            short.add(section.key)
    return frozenset(short)


def _signature(fills: tuple[PageFill, ...], line: float) -> Signature:
    count = len(fills)
    to_add = -count % SIGNATURE
    if not to_add:
        return Signature(0, 0, 0)
    lines_to_add = int(fills[-1].free(line) + to_add * fills[-1].capacity(line))
    past = count % SIGNATURE
    lines_to_cut = int(sum(fill.capacity(line) - fill.free(line) for fill in fills[-past:])) if count > past else 0
    return Signature(to_add, lines_to_add, lines_to_cut)


def _advice(
    edition: Edition, placement: Placement, headlines: dict[str, str], fills: tuple[PageFill, ...], line: float,
    first: dict[str, int], last: dict[str, int],
) -> Iterable[Advice]:
    """For each run of copy that ends where a page must end (a section's last page,
    the page before an article that starts a page, the edition's last): the lines it
    runs over onto a near-empty page, or the lines it leaves free. For each article
    whose last columns end uneven beside a picture: the lines that would balance them
    (a broken rule where the article has columns before, in which the layout found
    no place for the picture)."""
    ends: set[tuple[int, str]] = set()
    groups = [section.articles for section in edition.sections] if edition.sections else [edition.articles]
    for articles in groups:
        keys = [article.key for article in articles if article.key in last]
        if keys:
            ends.add((last[keys[-1]], keys[-1]))
    for article in edition.articles:
        if placement.start_of(edition, article) == "page" and first.get(article.key, 1) > 1:
            before = [key for key, page in last.items() if page == first[article.key] - 1 and key != article.key]
            if before:
                ends.add((first[article.key] - 1, before[-1]))
    for page, key in sorted(ends):
        fill = fills[page - 1]
        full, free = fill.full(line), int(fill.free(line))
        used = int(fill.capacity(line) - fill.free(line))
        is_last = page == len(fills)
        headline = headlines.get(key, key)
        rule = "" if is_last or full >= THIRD else (
            f"page {page} holds only {full:.0%} of its lines before a page that must start anew")
        if full < HALF and first[key] < page:
            yield Advice(page, headline, key, used,
                         f"page {page}: “{headline}” runs over by {used} lines: cut {used} to end on "
                         f"page {page - 1}, or add {free} to fill page {page}", rule)
        elif free >= 2 and not is_last:
            yield Advice(page, headline, key, -free,
                         f"page {page}: “{headline}” ends {free} lines short of the page: add {free} lines", rule)
    for page, fill in enumerate(fills, 1):
        for key, apart, continued in fill.uneven:
            headline, lines = headlines.get(key, key), round(apart / line)
            if continued:
                yield Advice(page, headline, key, -lines,
                             f"page {page}: “{headline}” ends in columns {lines} lines apart beside a picture that "
                             f"fits nowhere in its columns before: add about {lines} lines, or set a less tall "
                             "picture", f"the last columns of “{headline}” cannot be balanced beside its picture")
            else:  # a story in one row of columns: its picture has nowhere else to go, as the desk knows
                yield Advice(page, headline, key, -lines,
                             f"page {page}: “{headline}” ends in columns {lines} lines apart beside its picture: "
                             f"add about {lines} lines to balance them")
