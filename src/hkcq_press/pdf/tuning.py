"""Changes to how fast WeasyPrint works, never to what it writes. Each is proven, on
the WeasyPrint versions in `PROVEN_ON`, to leave the PDF byte for byte as stock
WeasyPrint writes it (tests/test_tuning.py), and is left off on any other version.
(The changes that lay out an edition in parts, which change what WeasyPrint writes
of a part, are `pdf/parallel/hooks.py`, under another contract.)

- Lines laid out once. Multi-column layout lays out each page's columns as a trial
  and again for real, and balances an article's last columns in more passes: the
  same text is broken into lines with the same style and width again and again.
  WeasyPrint's `split_first_line` is a function of its arguments (the text, the
  style, the width, the justification spacing, whether the line starts, whether the
  minimum is asked, and the layout context, whose hyphenation dictionaries are a
  cache); its result is data (the pango layout it returns is deactivated, plain
  values until drawn). During one layout, results are kept by the arguments, the
  style and context by identity and held so no other takes their place, and each
  hit returns its own copy of the layout. The cache lives for one layout, and is
  emptied whenever it holds `MOST_LINES` results.
- Columns balanced in a few passes. To balance an article's last columns, WeasyPrint
  lays them out at a height and, while the copy does not fit, again a little
  higher: by as much as the next box needs when it can measure that, else by one
  pixel (`layout/column.py`). Where it cannot (a pull quote kept whole, a paragraph
  whose first two lines must stay together), a page took 40 passes, seven times a
  page's work. Here the one-pixel walk is a search on the same one-pixel steps:
  twice as far each pass until the copy fits, then halving the step back to the
  first height that fits, which is where the walk would have stopped; the change
  is made to WeasyPrint's own source of `columns_layout`, and only where that
  source is as proven.
- Tagging in linear time. The tag writer asks pydyf for a page's reference once
  per tagged element, and pydyf rebuilds the tuple of every page's reference at each
  ask: tagging is quadratic in pages (15 s of a 1,000-page edition's 36 s of CPU).
  While the tags are written, no page is added, so here the tuple is built once.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PROVEN_ON = frozenset({"70.0"})
"""The WeasyPrint versions whose output these changes are proven not to change."""

MOST_LINES = 200_000
"""Line-breaking results kept at most (some 100 MB), however long the edition."""

SWAPPING = threading.Lock()
"""Held while a WeasyPrint function is swapped for another: one layout or write at a time
(`weasyprint_parts` swaps under it too)."""


def applies() -> bool:
    import weasyprint

    return weasyprint.__version__ in PROVEN_ON


def proven_installed() -> bool:
    """Whether the installed WeasyPrint is proven, known without loading it."""
    from importlib.metadata import version

    return version("weasyprint") in PROVEN_ON


@contextmanager
def tuned_writing() -> Iterator[None]:
    """Within the block, WeasyPrint writes PDFs with the tuned tag writer, when proven
    on the installed version; otherwise it writes them as it always does."""
    if not applies():
        yield
        return
    from weasyprint import pdf as weasyprint_pdf

    with SWAPPING:
        stock = weasyprint_pdf.add_tags
        weasyprint_pdf.add_tags = _with_page_references_once(stock)
        try:
            yield
        finally:
            weasyprint_pdf.add_tags = stock


@contextmanager
def tuned_layout() -> Iterator[None]:
    """Within the block, WeasyPrint lays documents out breaking each line once and
    balancing columns in a few passes, when proven on the installed version;
    otherwise as it always does."""
    if not applies():
        yield
        return
    from weasyprint.layout import block, inline, preferred

    with SWAPPING:
        stock_lines, stock_columns = inline.split_first_line, block.columns_layout
        inline.split_first_line = preferred.split_first_line = _LineMemory(stock_lines)
        block.columns_layout = _balancing_searched() or stock_columns
        try:
            yield
        finally:
            inline.split_first_line = preferred.split_first_line = stock_lines
            block.columns_layout = stock_columns


class _LineMemory:
    """`split_first_line`, each result kept by its arguments for the layout's while."""

    def __init__(self, split_first_line: Callable[..., Any]) -> None:
        self.split_first_line = split_first_line
        self.kept: dict[tuple[Any, ...], tuple[Any, Any, tuple[Any, ...]]] = {}
        self.hits = 0

    def __call__(
        self, text: str, style: Any, context: Any, max_width: Any, justification_spacing: Any,
        is_line_start: bool = True, minimum: bool = False,
    ) -> tuple[Any, ...]:
        key = (text, id(style), id(context), max_width, justification_spacing, is_line_start, minimum)
        kept = self.kept.get(key)
        if kept is None:
            result = self.split_first_line(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            if len(self.kept) >= MOST_LINES:
                self.kept.clear()
            # The style and context are held with the result, so their ids name them while kept.
            self.kept[key] = (style, context, result)
            kept = self.kept[key]
        else:
            self.hits += 1
        layout, *measures = kept[2]
        return (copy.copy(layout), *measures)


STOCK_BALANCING = """\
            if balancing:
                if column_skip_stack is None:
                    # We rendered the whole content, stop
                    break

                # Increase the column heights and render them again
                add_height = 1 if lost_space == inf else lost_space
                height += add_height
"""
SEARCHED_BALANCING = """\
            if balancing:
                if column_skip_stack is None:
                    # Everything fits: stop, unless a lower step may fit too.
                    if short_height is None or height - short_height < 1.5 * step:
                        break
                    fitting_height = height
                    height = short_height + round((fitting_height - short_height) / step) // 2 * step
                    continue

                # Increase the column heights and render them again, on the steps
                # WeasyPrint walks (the lost space when known, else one pixel):
                # twice as many steps each pass until everything fits, then
                # halving back to the first step that fits.
                step = 1 if lost_space == inf else lost_space
                short_height = height
                if fitting_height is None:
                    room = floor((max_height - height) / step)
                    add_height = min(steps, room) * step if room >= 1 else step
                    steps *= 2
                else:
                    add_height = max(1, round((fitting_height - height) / step) // 2) * step
                height += add_height
"""
STOCK_START = """\
        page_is_empty = stop_rendering = balancing = False
"""
SEARCH_START = """\
        page_is_empty = stop_rendering = balancing = False
        step, steps, short_height, fitting_height = 1, 1, None, None
"""


def _balancing_searched() -> Callable[..., Any] | None:
    """WeasyPrint's `columns_layout` with the one-pixel walk searched, or None when its
    source is not the one this change was proven on."""
    import inspect

    from weasyprint.layout import column

    source = inspect.getsource(column.columns_layout)
    for stock, tuned in ((STOCK_BALANCING, SEARCHED_BALANCING), (STOCK_START, SEARCH_START)):
        if source.count(stock) != 1:
            return None
        source = source.replace(stock, tuned)
    namespace = dict(vars(column))
    exec(compile(source, column.__file__, "exec"), namespace)  # noqa: S102 - WeasyPrint's own source, changed as above
    return namespace["columns_layout"]


def _with_page_references_once(add_tags: Callable[..., Any]) -> Callable[..., Any]:
    def add_tags_in_linear_time(pdf: Any, *arguments: Any) -> Any:
        stock = type(pdf)
        # The same object, whose page references are, for the while, a fixed tuple.
        pdf.__class__ = type(stock.__name__, (stock,), {"page_references": pdf.page_references})
        try:
            return add_tags(pdf, *arguments)
        finally:
            pdf.__class__ = stock

    return add_tags_in_linear_time
