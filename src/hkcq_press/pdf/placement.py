"""Where the print edition sets each figure and each article's head: where the desk
wrote them, unless a figure does not fit in what is left of the column and would
leave a gap there (then, as a compositor would, it is set after enough of the copy
that follows it to fill the gap), a figure keeps an article's last columns from
balancing (then it is set back in the columns before, where it fits, and the copy
left balances), or an article's head would stand at the foot of a page with fewer
than `FIRST_LINES` lines of its copy under it (then the article starts the next page).

Only the laid-out pages show these, so the print edition is laid out, the gaps,
uneven endings and stranded heads found in WeasyPrint's boxes, the figures moved and
the heads kept, and laid out again, a few times at most. A moved figure leaves a
hidden mark where it was written, so the page map still counts its copy there, where
the e-book sets it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from hkcq_press.model.blocks import Block, Figure
from hkcq_press.model.edition import Article, Edition

MOST_LINES_LEFT_EMPTY = 2
"""A column or page may end this many lines of body copy short of its foot before a figure."""
MOST_LAYOUTS = 4
"""Layouts of the edition at most: each settles the figures the one before moved."""
FIRST_LINES = 3
"""The lines of its copy an article's head keeps under it on its page, at least."""


@dataclass(frozen=True, slots=True)
class FigureOrigin:
    """Where a moved figure was written."""

    kind: ClassVar[str] = "figure-origin"
    line: int


@dataclass(frozen=True, slots=True)
class MovedFigure:
    """A figure set after the copy that fills the gap it would have left."""

    kind: ClassVar[str] = "moved-figure"
    figure: Figure

    @property
    def line(self) -> int:
        return self.figure.line


def figure_id(article: Article, figure: Figure) -> str:
    """The element id the editions give a figure (the house layout sets it)."""
    return f"{article.key}-figure-{figure.line}"


@dataclass(frozen=True, slots=True)
class Placement:
    """How far each moved figure moves: article key → the figure's line → how many of
    the blocks after it it follows (positive), or how many of those before it it
    precedes (negative: set back)."""

    moves: Mapping[str, Mapping[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    kept_heads: frozenset[str] = frozenset()
    """The articles that start a new page, so that their heads keep their first lines."""
    flowing: frozenset[str] = frozenset()
    """The sections that flow on under a bar after the section before, instead of
    starting a page that would leave the page before it near-empty."""

    def start_of(self, edition: Edition, article: Article) -> str:
        """Where the print edition starts the article: a new page if its head is kept
        with its first lines, else where the article or the edition says."""
        start = edition.start_of(article)
        return "page" if start == "flow" and article.key in self.kept_heads else start

    def blocks(self, article: Article) -> tuple[Block | FigureOrigin | MovedFigure, ...]:
        """The article's blocks in the order the print edition sets them."""
        moves = self.moves.get(article.key)
        if not moves:
            return article.blocks
        end = len(article.blocks)
        landing: dict[int, list[MovedFigure]] = {}  # the block each figure is set before (`end`: after the last)
        for index, block in enumerate(article.blocks):
            if isinstance(block, Figure) and (move := moves.get(block.line)):
                before = index + move + 1 if move > 0 else max(index + move, 0)
                landing.setdefault(min(before, end), []).append(MovedFigure(block))
        placed: list[Block | FigureOrigin | MovedFigure] = []
        for index, block in enumerate(article.blocks):
            placed.extend(landing.get(index, ()))
            moved = isinstance(block, Figure) and moves.get(block.line)
            placed.append(FigureOrigin(block.line) if moved else block)
        placed.extend(landing.get(end, ()))
        return tuple(placed)

    def __reduce__(self) -> tuple[Any, ...]:
        """Plain mappings, for the processes that lay out an edition's parts."""
        return (_placement, ({key: dict(lines) for key, lines in self.moves.items()}, self.kept_heads, self.flowing))

    def moved_further(self, gaps: Mapping[tuple[str, int], int]) -> Placement:
        """This placement with each figure of `gaps` (article key, line) moved past that
        many more blocks."""
        moves = {key: dict(lines) for key, lines in self.moves.items()}
        for (key, line), blocks in gaps.items():
            move = moves.get(key, {}).get(line, 0)
            if move < 0 < move + blocks:  # set back, it goes past where it was written: counted after it
                blocks -= 1
            moves.setdefault(key, {})[line] = move + blocks
        return _placement(moves, self.kept_heads, self.flowing)

    def with_moves(self, moves: Mapping[tuple[str, int], int]) -> Placement:
        """This placement with each figure of `moves` (article key, line) moved that far
        from where it was written, wherever the placement had set it."""
        placed = {key: dict(lines) for key, lines in self.moves.items()}
        for (key, line), move in moves.items():
            placed.setdefault(key, {})[line] = move
        return _placement(placed, self.kept_heads, self.flowing)

    def with_heads_kept(self, keys: frozenset[str]) -> Placement:
        """This placement with the articles `keys` starting a new page too."""
        return Placement(self.moves, self.kept_heads | keys, self.flowing)

    def with_sections_flowing(self, keys: frozenset[str]) -> Placement:
        """This placement with the sections `keys` flowing on after the one before too."""
        return Placement(self.moves, self.kept_heads, self.flowing | keys)


AS_WRITTEN = Placement()


def _placement(
    moves: dict[str, dict[int, int]], kept_heads: frozenset[str] = frozenset(), flowing: frozenset[str] = frozenset(),
) -> Placement:
    return Placement(MappingProxyType({key: MappingProxyType(lines) for key, lines in moves.items()}), kept_heads,
                     flowing)


# --- Finding the gaps in WeasyPrint's laid-out pages ---------------------------------


def figure_gaps(pages: Sequence[Any], root: Any, edition: Edition, placement: Placement) -> dict[tuple[str, int], int]:
    """The figures (article key, line) that open a column or page after one that ends
    more than `MOST_LINES_LEFT_EMPTY` lines short, with how many more blocks each
    should move past to fill that gap: as few of those after it as fill it by their
    laid-out heights. `pages` are WeasyPrint's laid-out page boxes (with or without
    their margin boxes); `root` is the element tree of the laid-out HTML."""
    from weasyprint.formatting_structure.boxes import BlockLevelBox, FootnoteAreaBox, MarginBox

    figures = {
        figure_id(article, block): (article, block)
        for article in edition.articles for block in article.blocks if isinstance(block, Figure)
    }
    articles = {article.key: article for article in edition.articles}
    openings: list[tuple[float, Any]] = []  # (the gap before it, the first box of a column or page)
    heights: dict[int, float] = {}
    page_end_gap = 0.0
    for page_box in pages:
        flow = [  # the page's own box, and a note area if it holds anything
            child for index, child in enumerate(page_box.children)
            if not isinstance(child, (MarginBox, FootnoteAreaBox)) and (index == 0 or child.children)
        ]
        if not flow:
            continue
        openings.append((page_end_gap, flow[0]))
        boxes = list(_descendants(flow))
        for box in boxes:
            if isinstance(box, BlockLevelBox) and box.element is not None:
                heights[id(box.element)] = heights.get(id(box.element), 0.0) + box.margin_height()
        columns = [box for box in boxes if getattr(box, "is_column", False)]
        for column, next_column in zip(columns, columns[1:], strict=False):
            if next_column.position_y == column.position_y:  # side by side, in one row
                openings.append((_bottom(column) - _content_bottom(column), next_column))
        notes = [box.position_y for box in page_box.children if isinstance(box, FootnoteAreaBox) and box.children]
        page_bottom = min([page_box.content_box_y() + page_box.height, *notes])
        page_end_gap = page_bottom - max(_content_bottom(box) for box in flow)
        if columns and _bottom(columns[-1]) >= page_bottom - 1:  # the page ends in columns
            page_end_gap = max(page_end_gap, _bottom(columns[-1]) - _content_bottom(columns[-1]))
    elements = {element.get("id"): element for element in root.iter() if element.get("id") in figures}
    parents = {id(child): parent for parent in root.iter() for child in parent}
    gaps: dict[tuple[str, int], int] = {}
    for gap, first in openings:
        if gap <= _most_left_empty(first):
            continue
        opening = _opening_figure(first, figures, articles, placement)
        if opening is None:
            continue
        article, figure = opening
        if blocks := _blocks_to_fill(elements[figure_id(article, figure)], parents, heights, gap):
            gaps[(article.key, figure.line)] = blocks
    return gaps


def stranded_heads(pages: Sequence[Any], edition: Edition, placement: Placement) -> frozenset[str]:
    """The articles that flow on after another whose head (`article-header`) stands on a
    page with fewer than `FIRST_LINES` lines of the article's copy under it, while the
    article goes on over the page: their heads should start the next page. `pages`
    are WeasyPrint's laid-out page boxes."""
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox, LineBox, MarginBox

    flowing = {article.key for article in edition.articles
               if placement.start_of(edition, article) == "flow"}
    headed: dict[str, tuple[int, int]] = {}  # article → (page of its head, lines of copy there)
    last_page: dict[str, int] = {}
    for number, page_box in enumerate(pages):
        flow = [child for child in page_box.children if not isinstance(child, (MarginBox, FootnoteAreaBox))]
        for box in _descendants(flow):
            if box.element_tag != "article" or box.element is None:
                continue
            key = box.element.get("id")
            if key not in flowing:
                continue
            last_page[key] = number
            children = _in_flow(box)
            if not children or "article-header" not in (children[0].element.get("class") or "").split():
                continue
            lines = sum(1 for child in children[1:] for inner in _descendants([child])
                        if isinstance(inner, LineBox) and inner.children)
            headed.setdefault(key, (number, lines))
    return frozenset(key for key, (page, lines) in headed.items() if lines < FIRST_LINES and last_page[key] > page)


@dataclass(frozen=True, slots=True)
class ColumnRow:
    """Columns of an article's body side by side on one page, as laid out."""

    page: int
    body: Any
    """The article body's box on that page."""
    columns: tuple[Any, ...]
    """The columns laid out (one left empty has no box)."""
    count: int
    """The columns the body is set in (one at the book size: nothing to balance)."""

    def apart(self) -> float:
        """How far apart the columns' copy ends (a column left empty ends at its top)."""
        ends = [_content_bottom(column) for column in self.columns]
        ends += [self.columns[0].position_y] * (self.count - len(ends))
        return max(ends) - min(ends)

    def figures(self) -> list[tuple[Any, Any]]:
        """The figures set in these columns, moved or not, in order: each block's box
        (a figure's, or its wrapper's), and the figure element."""
        return [(child, figure) for column in self.columns for child in _in_flow(column)
                if (figure := _figure_of(child)) is not None]

    def uneven(self) -> bool:
        """Whether the row ends more than `MOST_LINES_LEFT_EMPTY` lines uneven beside a figure."""
        return self.count > 1 and bool(self.figures()) and self.apart() > _most_left_empty(self.columns[0])


def column_rows(pages: Sequence[Any]) -> dict[str, list[ColumnRow]]:
    """Each article's rows of columns, in order (article key → rows). `pages` are
    WeasyPrint's laid-out page boxes."""
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox, MarginBox

    rows: dict[str, list[ColumnRow]] = {}
    for number, page_box in enumerate(pages):
        flow = [child for child in page_box.children if not isinstance(child, (MarginBox, FootnoteAreaBox))]
        for box in _descendants(flow):
            if box.element_tag != "article" or box.element is None:
                continue
            for body in _in_flow(box):
                if body.element is None or "article-body" not in _classes(body.element):
                    continue
                columns = [child for child in body.children if getattr(child, "is_column", False)]
                for top in sorted({column.position_y for column in columns}):
                    row = tuple(column for column in columns if column.position_y == top)
                    count = body.style["column_count"]  # `auto` when set by width: as many as laid out
                    rows.setdefault(box.element.get("id"), []).append(ColumnRow(
                        number, body, row, count if isinstance(count, int) else len(row)))
    return rows


def figures_set_back(pages: Sequence[Any], edition: Edition, placement: Placement) -> dict[tuple[str, int], int]:
    """The figures (article key, line) that keep an article's last columns from
    balancing, each with the move (as `Placement.moves` counts it) that sets it in the
    columns before, the last of them where it fits, so that the copy left balances. An
    article laid out in one row of columns has nowhere to set its figure; nor has one
    whose columns before have no block starting where it fits."""
    articles = {article.key: article for article in edition.articles}
    backs: dict[tuple[str, int], int] = {}
    for key, rows in column_rows(pages).items():
        article = articles.get(key)
        if article is None or len(rows) < 2 or not rows[-1].uneven():
            continue
        figures = {figure_id(article, block): index for index, block in enumerate(article.blocks)
                   if isinstance(block, Figure)}
        box, element = rows[-1].figures()[0]
        written = figures.get(element.get("id"))
        if written is None:
            continue
        line = article.blocks[written].line
        # A figure moved on from a gap it left where it was written is never set back there.
        gap_at = written if placement.moves.get(key, {}).get(line, 0) > 0 else None
        before = _set_before(rows, article, placement, box.margin_height(), gap_at)
        if before is None:
            continue
        # Before the block written just after it: where it was written (no move).
        backs[(key, line)] = before - written if before <= written else before - written - 1
    return backs


def _set_before(rows: list[ColumnRow], article: Article, placement: Placement, height: float,
                gap_at: int | None) -> int | None:
    """The block (its index as written) to set a figure laid out `height` high in the
    last row of `rows` before: the first that starts where the figure fits, with
    `MOST_LINES_LEFT_EMPTY` lines of copy under it, in the nearest column of the rows
    before (None: none does), never the block it left a gap before (`gap_at`)."""
    children = list(rows[0].body.element)  # the body's blocks as placed, then its credit and corrections
    placed = placement.blocks(article)
    if not _one_element_each(placed, children):
        return None
    starting: list[tuple[ColumnRow, list[Any]]] = []  # each column's blocks that start in it, not carried over
    seen: set[int] = set()
    for row in rows[:-1]:
        for column in row.columns:
            starting.append((row, [child for child in _in_flow(column) if id(child.element) not in seen]))
            seen.update(id(child.element) for child in _in_flow(column))
    for row, blocks in reversed(starting):
        foot = max(_bottom(column) for column in row.columns) - _most_left_empty(row.columns[0])
        for child in blocks:
            index = next((number for number, element in enumerate(children) if element is child.element), -1)
            if not 0 <= index < len(placed) or isinstance(placed[index], MovedFigure):
                continue
            if child.position_y + height > foot:
                break
            before = sum(not isinstance(item, MovedFigure) for item in placed[:index])
            if before != gap_at:
                return before
    return None


def _one_element_each(placed: Sequence[Block | FigureOrigin | MovedFigure], children: list[Any]) -> bool:
    """Whether the body's elements are its placed blocks one by one, as the house
    layouts set them (a layout override may not)."""
    return len(children) >= len(placed) and all(
        item.kind in _classes(child) for item, child in zip(placed, children, strict=False)
        if isinstance(item, (FigureOrigin, MovedFigure))
    )


def _figure_of(box: Any) -> Any | None:
    """The figure element a column's block is: a figure, or one moved in its wrapper."""
    element = box.element
    if element is None:
        return None
    if "moved-figure" in _classes(element):
        element = next(iter(element), None)
    return element if element is not None and "figure" in _classes(element) and element.get("id") else None


def _classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


def _descendants(boxes: list[Any]) -> Iterator[Any]:
    for box in boxes:
        yield box
        yield from _descendants(getattr(box, "children", []))


def _in_flow(box: Any) -> list[Any]:
    return [child for child in getattr(box, "children", []) if child.is_in_normal_flow()]


def _bottom(box: Any) -> float:
    return box.position_y + box.height


def _content_bottom(box: Any) -> float:
    """Where the lowest copy inside `box` ends: its lines, pictures and empty boxes (a
    rule), not the box itself, which WeasyPrint stretches to the foot of the page when
    the page breaks inside it."""
    from weasyprint.formatting_structure.boxes import LineBox, ParentBox

    children = _in_flow(box) if isinstance(box, ParentBox) and not isinstance(box, LineBox) else []
    if not children:
        return box.position_y + box.margin_height() - box.margin_bottom
    return max(_content_bottom(child) for child in children)


def _most_left_empty(box: Any) -> float:
    """`MOST_LINES_LEFT_EMPTY` lines of the copy that opens `box`."""
    style = box.style
    line_height = style["line_height"]
    if line_height == "normal":
        line = 1.2 * style["font_size"]
    elif isinstance(line_height, (int, float)):
        line = line_height * style["font_size"]
    else:
        line = line_height.value
    return MOST_LINES_LEFT_EMPTY * line


def _opening_figure(
    box: Any, figures: dict[str, tuple[Article, Figure]], articles: dict[str, Article], placement: Placement
) -> tuple[Article, Figure] | None:
    """The figure an area opens with: its first box, or the first block of an article
    that opens there (kept with its headline, the figure took the headline along)."""
    while box is not None:
        element = box.element if box.element_tag and "::" not in box.element_tag else None
        name = element.get("id") if element is not None else None
        if name in figures:
            return figures[name]
        children = _in_flow(box)
        if name in articles and children and "article-header" in (children[0].element.get("class") or "").split():
            blocks = placement.blocks(articles[name])
            return (articles[name], blocks[0]) if blocks and isinstance(blocks[0], Figure) else None
        box = children[0] if children else None
    return None


def _blocks_to_fill(figure: Any, parents: dict[int, Any], heights: dict[int, float], gap: float) -> int:
    """How many of the blocks set after `figure` (an element) fill `gap` by their
    laid-out heights; none when nothing follows it. The house layouts give each
    block one element."""
    placed = figure
    parent = parents.get(id(placed))
    if parent is not None and "moved-figure" in (parent.get("class") or "").split():
        placed, parent = parent, parents.get(id(parent))
    if parent is None:
        return 0
    siblings = list(parent)
    count, filled = 0, 0.0
    for sibling in siblings[siblings.index(placed) + 1:]:
        if "figure-origin" in (sibling.get("class") or "").split():
            continue
        count += 1
        filled += heights.get(id(sibling), 0.0)
        if filled >= gap:
            break
    return count
