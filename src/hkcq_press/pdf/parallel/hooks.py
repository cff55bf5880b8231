"""Changes to what WeasyPrint writes of one part of an edition laid out in parts
(`pdf/parallel/parts.py`), under the contract that the parts joined read as the edition laid out
whole (tests/test_parallel.py: pages, text, outline, destinations, links and
structure). Like the speed changes (`pdf/tuning.py`), they are made only on
the WeasyPrint versions in `PROVEN_ON`, under the same lock; on any other version
an edition is laid out whole.

- A part laid out on its own (`part_layout(part)`). An edition of sections is laid
  out in parts side by side, each a document of its own, and joined. A part's
  layout does not depend on the page numbers it will have nor on where the other
  parts' targets fall, only what it prints of them does (folios, the contents'
  page numbers, "page N" of a link): WeasyPrint lays the part out, then, before it
  draws a margin box, learns its first page and the other parts' targets and
  re-makes only the pages that print them, as it does for any forward reference.
  Tested (tests/test_parallel.py) by comparing the joined PDF with the one laid
  out whole: pages, text, outline, destinations, links and structure.
- Folios drawn apart (`PartOfEdition.folios_left`, `folio_layer`). A margin box
  that prints the page number and nothing of the page's copy (page counters and
  fixed text), alone on its edge of the page so no neighbour's width moves it, is
  left out of a part's pages; a layout of the whole edition's pages without copy
  draws only those boxes, and the join lays each over its page. A part reused from
  an earlier build then needs no layout when only its page numbers moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hkcq_press.pdf import tuning
from hkcq_press.pdf.tuning import tuned_layout
from hkcq_press.pdf.parallel.messages import PartPages


_UNPROVEN = f"laying out in parts is proven only on WeasyPrint {', '.join(sorted(tuning.PROVEN_ON))}"


@contextmanager
def part_layout(part: PartOfEdition) -> Iterator[None]:
    """Within the block, WeasyPrint lays out `part` of an edition (see `PartOfEdition`),
    with the speed changes of `tuned_layout`; only a proven version can."""
    if not tuning.applies():
        raise RuntimeError(_UNPROVEN)
    with tuned_layout(), _laid_out_as(part):
        yield


class PartDiverged(Exception):
    """Printing the whole edition's page numbers moved the part's pages; it must be laid out whole."""


OnPaginated = Callable[[list[Any], dict[str, int]], PartPages]
"""Called once the part's pages are laid out, with the pages (without margin boxes)
and the page (from 1) of each of its targets; returns what it learns of the whole,
or raises to stop the layout."""


@dataclass(frozen=True, slots=True)
class PartOfEdition:
    """One part of an edition, laid out as a document of its own and joined to the
    others: `elsewhere` names the targets of its links that other parts hold;
    `paginated` tells it, once its pages are made, where it stands in the whole.
    The layout raises PartDiverged if the page numbers learned then moved its pages."""

    elsewhere: frozenset[str]
    paginated: OnPaginated
    folios_left: set[int] = field(default_factory=set)
    """Filled as the part is laid out: its pages (by index) whose folios it left for
    the join to draw (see `folios_apart`)."""
    told_already: Callable[[], PartPages | None] = lambda: None
    """Its place in the whole, if it has been told before its pages settle (a part
    whose pages the parent knows from an earlier build): the numbers are printed in
    the next pass instead of after the passes that settle its own."""


def folios_apart(page: Any, boxes: list[Any]) -> tuple[list[Any], list[Any]]:
    """A page's margin boxes: (those its own layout draws, its folios drawn apart).
    A folio is drawn apart when it prints page counters and fixed text only, and no
    other box on its edge of the page is generated (their widths share the edge); a
    named or blank page keeps its own."""
    if page.page_type.name or page.page_type.blank:
        return boxes, []
    folios = [box for box in boxes if _prints_only_page_numbers(box)]
    for folio in folios:
        if any(other is not folio and other.is_generated and _edge(other) == _edge(folio) for other in boxes):
            return boxes, []
    return [box for box in boxes if all(box is not folio for folio in folios)], folios


def _prints_only_page_numbers(box: Any) -> bool:
    content = box.style["content"]
    if not box.is_generated or not isinstance(content, tuple):
        return False
    counters = [value[0] for kind, value in content if kind in ("counter()", "counters()")]
    return bool(counters) and set(counters) <= {"page", "pages"} and all(
        kind in ("string", "counter()", "counters()") for kind, _ in content
    )


def _edge(box: Any) -> str:
    keyword: str = box.at_keyword
    return keyword if keyword.endswith("-corner") else keyword.split("-")[0]


@contextmanager
def folio_layer() -> Iterator[None]:
    """Within the block, WeasyPrint draws of each page's margin boxes only the folios
    `folios_apart` draws apart: laid over the pages of an edition laid out in parts."""
    if not tuning.applies():
        raise RuntimeError(_UNPROVEN)
    from weasyprint import layout

    def folios_only(context: Any, page: Any, state: tuple[Any, ...]) -> Any:
        return folios_apart(page, list(stock(context, page, state)))[1]

    with tuning.SWAPPING:
        stock = layout.make_margin_boxes
        layout.make_margin_boxes = folios_only
        try:
            yield
        finally:
            layout.make_margin_boxes = stock


@contextmanager
def _laid_out_as(part: PartOfEdition) -> Iterator[None]:
    from weasyprint import layout
    from weasyprint.css.targets import TargetCollector

    state = _Part(part.elsewhere, part.paginated, part.folios_left, part.told_already)
    stock = (layout.make_all_pages, layout.make_margin_boxes, TargetCollector.__init__,
             TargetCollector.cache_target_page_counters)
    layout.make_all_pages = state.make_all_pages(stock[0])
    layout.make_margin_boxes = state.make_margin_boxes(stock[1])
    TargetCollector.__init__ = state.collector_init(stock[2])
    TargetCollector.cache_target_page_counters = state.cache_target_page_counters(stock[3])
    try:
        yield
    finally:
        (layout.make_all_pages, layout.make_margin_boxes, TargetCollector.__init__,
         TargetCollector.cache_target_page_counters) = stock


class _Part:
    """The state of one part's layout: its place in the whole, once learned."""

    def __init__(
        self, elsewhere: frozenset[str], paginated: OnPaginated, folios_left: set[int],
        told_already: Callable[[], PartPages | None],
    ) -> None:
        self.elsewhere = elsewhere
        self.paginated = paginated
        self.folios_left = folios_left
        self.told_already = told_already
        self.learned: PartPages | None = None
        self.reported: tuple[int, dict[str, int]] | None = None
        self.cache_unshifted: Callable[..., None] = lambda *arguments: None

    def shifted(self, counters: dict[str, Any]) -> dict[str, Any]:
        """Page counter values as the whole edition has them."""
        if self.learned is None or "page" not in counters:
            return counters
        page = counters["page"]
        return {**counters, "page": [*page[:-1], page[-1] + self.learned.first_page - 1],
                "pages": [self.learned.total_pages]}

    def collector_init(self, stock: Callable[..., None]) -> Callable[..., None]:
        from weasyprint.css.targets import TargetLookupItem

        elsewhere = self.elsewhere

        def collector_with_targets_elsewhere(collector: Any) -> None:
            stock(collector)
            for name in elsewhere:  # known, laid out elsewhere: page numbers learned later
                item = TargetLookupItem("up-to-date")
                item.target_box = _Elsewhere()
                item.cached_page_counter_values = {"page": [0]}
                collector.target_lookup_items[name] = item

        return collector_with_targets_elsewhere

    def cache_target_page_counters(self, stock: Callable[..., None]) -> Callable[..., None]:
        self.cache_unshifted = stock

        def cache_shifted(collector: Any, anchor: str, counters: dict[str, Any], *arguments: Any) -> None:
            stock(collector, anchor, self.shifted(counters), *arguments)

        return cache_shifted

    def make_all_pages(self, stock: Callable[..., Any]) -> Callable[..., Any]:
        def make_all_pages_then_learn(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
            made = list(stock(context, root_box, html, pages))
            self._total_known(context, len(made))
            settled = not any(state[-1]["content_changed"] or state[-1]["pages_wanted"] for state in context.page_maker)
            if settled:
                found = (len(made), self._targets(context.target_collector))
                if self.reported is None:
                    self.reported = found
                    learned = self.paginated(made, found[1])
                    if learned != self.learned:
                        self.learned = learned
                        self._spread(context)
                elif found != self.reported:
                    raise PartDiverged(f"{self.reported[0]} pages became {found[0]}")
            elif self.learned is None and (told := self.told_already()) is not None:
                self.learned = told
                self._spread(context)
            yield from made

        return make_all_pages_then_learn

    def make_margin_boxes(self, stock: Callable[..., Any]) -> Callable[..., Any]:
        def margin_boxes_numbered(context: Any, page: Any, state: tuple[Any, ...]) -> Any:
            boxes = list(stock(context, page, (state[0], self.shifted(state[1]), *state[2:])))
            drawn, apart = folios_apart(page, boxes)
            if apart:
                self.folios_left.add(page.page_type.index)
            return drawn

        return margin_boxes_numbered

    @staticmethod
    def _total_known(context: Any, total: int) -> None:
        """Give the copy that prints no total of pages the total WeasyPrint gives the
        pages after this pass, so that the next pass does not make their pages again
        for it. (WeasyPrint files a `target-counter()`'s counter among the box's own,
        `compute_content_list` in `formatting_structure/build.py`, and makes again any
        page whose counters changed, the total among them: every page that prints a
        target's page number was made once more, for nothing.)"""
        for (_, css_token), lookup in context.target_collector.counter_lookup_items.items():
            values = lookup.cached_page_counter_values
            if css_token == "content" and lookup.missing_counters and "pages" not in lookup.missing_counters \
                    and "pages" in values:
                values["pages"] = [total]

    def _targets(self, collector: Any) -> dict[str, int]:
        return {
            name: item.page_maker_index + 1 for name, item in collector.target_lookup_items.items()
            if name not in self.elsewhere and item.state == "up-to-date" and item.page_maker_index is not None
        }

    def _spread(self, context: Any) -> None:
        """Give every target its page number in the whole edition, as WeasyPrint does
        when a target moves: the pages that print it are made again."""
        assert self.learned is not None
        collector, total = context.target_collector, self.learned.total_pages
        for name, item in list(collector.target_lookup_items.items()):
            if name in self.elsewhere:
                page = {"page": [self.learned.targets.get(name, 0)], "pages": [total]}
                self.cache_unshifted(collector, name, page, -1, context.page_maker)
            elif item.state == "up-to-date" and item.page_maker_index is not None:
                counters = self.shifted(item.cached_page_counter_values)
                self.cache_unshifted(collector, name, counters, item.page_maker_index, context.page_maker)
        # WeasyPrint files a `target-counter(attr(href), page)` under no target name, so
        # it cannot tell which page prints a target's number: every page that prints
        # one is made again, with the numbers as they now are.
        for (_, css_token), lookup in collector.counter_lookup_items.items():
            index = lookup.page_maker_index
            if css_token == "content" and lookup.missing_target_counters and index is not None \
                    and index < len(context.page_maker):
                context.page_maker[index][-1]["content_changed"] = True
                lookup.parse_again(self.shifted(lookup.cached_page_counter_values))


class _Elsewhere:
    """The box of a target laid out in another part: it has no counters of its own."""

    cached_counter_values: dict[str, Any] = {}
