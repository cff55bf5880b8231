"""The print edition's pages in the e-book: where each printed page begins, learned
from WeasyPrint's own layout, marked at the same place in the EPUB's text.

Both editions render an article through the same layouts, so the blocks that hold
its copy (paragraphs, headings, list items, cells, captions, pictures) come in the
same order in the print HTML and in the article's XHTML. A page's start is named
by its region (an article, the masthead, the contents, the imprint), the block's
number in that region, and how many characters of the block's copy (spaces aside)
come before the page's first: that place exists in both editions. A page that
begins inside a word the renderer hyphenated is marked after that word, so no
reader hears the word cut in two.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

RENDERER_HYPHEN = "\u2010"
SOFT_HYPHEN = "\u00ad"
"""What WeasyPrint adds where it hyphenates a word at the end of a line."""
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XHTML = "http://www.w3.org/1999/xhtml"
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
})
ONE_EDITION_ONLY = frozenset({"footnote", "link-address", "noteref"})
"""Classes of inline parts only one edition shows in the text: the print edition's
floated note and printed address, the e-book's note number."""
HELD_IN_PLACE = frozenset({"li", "td", "th", "dt", "dd", "caption", "figcaption", "summary", "legend"})
"""Blocks whose parent admits nothing else beside them (a list, a table row): a page
that begins at one is marked inside it."""
REGION_START = -1
"""The block number of a page that begins where its region does (the masthead, the contents)."""


class Element(Protocol):
    """An element of ElementTree (WeasyPrint's parser) or of lxml (the e-book's)."""

    tag: Any
    text: str | None
    tail: str | None

    def get(self, key: str, default: Any = None) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def iter(self) -> Iterator[Any]: ...


@dataclass(frozen=True, slots=True)
class PageStart:
    page: int
    """The page's number, as its folio prints it."""
    region: str
    """An article's or a section's key, or `masthead`, `contents`, `imprint`."""
    block: int
    """The copy block's number in its region, from 0; `REGION_START` for the region's start."""
    offset: int
    """Characters of the block's copy (`copy_length`) printed before the page's first."""
    inside_word: bool = False
    """The page begins with the rest of a word the renderer hyphenated."""


def _counts(char: str) -> bool:
    return not char.isspace() and char != SOFT_HYPHEN


def copy_length(text: str) -> int:
    """The characters of copy in `text`, as both editions count them: not spaces (set
    differently in each), nor soft hyphens (the print edition adds its own)."""
    return sum(map(_counts, text))


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _classes(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def _one_edition_only(element: Element) -> bool:
    return bool(_classes(element) & ONE_EDITION_ONLY) or element.get("role") == "doc-endnotes"


def region_of(element: Element, article_keys: frozenset[str]) -> str | None:
    """The region an element opens, in either edition's markup, if it opens one."""
    tag, classes = _local(element.tag), _classes(element)
    if (tag == "article" or (tag == "header" and "section-head" in classes)) and element.get("id") in article_keys:
        return str(element.get("id"))
    if (tag == "header" and "masthead" in classes) or (tag == "section" and "titlepage" in classes):
        return "masthead"
    if (tag == "nav" and "contents" in classes) or (tag == "nav" and element.get(EPUB_TYPE) == "toc"):
        return "contents"
    if tag == "section" and ("imprint" in classes or "colophon" in classes):
        return "imprint"
    return None


def regions(root: Element, article_keys: frozenset[str]) -> dict[str, Element]:
    found: dict[str, Element] = {}

    def visit(element: Element) -> None:
        name = region_of(element, article_keys)
        if name is not None:
            found.setdefault(name, element)
            return
        for child in element:
            visit(child)

    visit(root)
    return found


def _own_text(element: Element) -> bool:
    """Whether copy is set in the element itself, not only in blocks inside it."""
    if (element.text or "").strip():
        return True
    for child in element:
        if _one_edition_only(child):
            continue
        if (child.tail or "").strip() or (_local(child.tag) in INLINE_TAGS and _own_text(child)):
            return True
    return False


def copy_blocks(region: Element) -> list[Element]:
    """The region's blocks of copy in the order the desk wrote them: elements (not
    inline) with text of their own, and pictures; the numbering both editions share.
    A figure the print edition set further down (`moved-figure`) counts where it was
    written (its `figure-origin`), as the e-book sets it."""
    blocks: list[Element] = []
    moved = {
        element.get("data-figure-line"): element for element in region.iter() if "moved-figure" in _classes(element)
    }

    def visit(element: Element) -> None:
        tag = _local(element.tag)
        if not tag or _one_edition_only(element) or "moved-figure" in _classes(element):
            return
        if "figure-origin" in _classes(element):
            if (figure := moved.get(element.get("data-figure-line"))) is not None:
                for child in figure:
                    visit(child)
            return
        if tag == "img":
            blocks.append(element)
            return
        if tag not in INLINE_TAGS and _own_text(element):
            blocks.append(element)
        for child in element:
            visit(child)

    visit(region)
    return blocks


# --- The print edition: where each page begins -------------------------------------


@dataclass(frozen=True, slots=True)
class _Block:
    region: str
    number: int
    repeated_header: bool
    """A table's header cell, which the print edition repeats at the top of each page
    the table continues on; its copy is the first page's."""


def page_starts(document: Any, root: Element, article_keys: frozenset[str]) -> tuple[PageStart, ...]:
    """Where each page of a rendered WeasyPrint `document` (of the HTML whose tree is
    `root`) begins, for every page that prints copy of the edition."""
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox, MarginBox, ReplacedBox, TextBox

    blocks: dict[int, _Block] = {}
    for name, region in regions(root, article_keys).items():
        headers = {id(cell) for head in _descendants(region, "thead") for cell in head.iter()}
        for number, element in enumerate(copy_blocks(region)):
            blocks[id(element)] = _Block(name, number, id(element) in headers)
    printed: dict[int, int] = {}  # block → characters of its copy printed so far
    first_page: dict[int, int] = {}  # block → the page it is first printed on
    hyphenated: set[int] = set()  # blocks whose last printed piece ended in the renderer's hyphen
    starts: list[PageStart] = []
    for number, page in enumerate(document.pages, start=1):
        started = False
        flow = [child for child in page._page_box.children if not isinstance(child, (MarginBox, FootnoteAreaBox))]
        for box, block_id in _copy_boxes(flow, blocks):
            block = blocks[block_id]
            if block.repeated_header and first_page.setdefault(block_id, number) != number:
                continue
            if not started:
                starts.append(PageStart(number, block.region, block.number, printed.get(block_id, 0),
                                        block_id in hyphenated))
                started = True
            if isinstance(box, TextBox):
                text = box.text
                if text.endswith(RENDERER_HYPHEN):
                    text = text[:-1]
                    hyphenated.add(block_id)
                else:
                    hyphenated.discard(block_id)
                printed[block_id] = printed.get(block_id, 0) + copy_length(text)
            elif isinstance(box, ReplacedBox):
                printed.setdefault(block_id, 0)
    return tuple(starts)


def _descendants(element: Element, tag: str) -> Iterator[Element]:
    for child in element:
        if _local(child.tag) == tag:
            yield child
        yield from _descendants(child, tag)


def _copy_boxes(boxes: Iterable[Any], blocks: dict[int, _Block]) -> Iterator[tuple[Any, int]]:
    """Each text and picture box of the flow, in reading order, with the copy block it
    belongs to; generated text (folios, note calls, list markers) and one-edition parts aside."""
    from weasyprint.formatting_structure.boxes import ReplacedBox, TextBox

    def visit(box: Any, block_id: int | None) -> Iterator[tuple[Any, int]]:
        if "::" in (box.element_tag or ""):
            return
        element = box.element
        if element is not None:
            if _one_edition_only(element):
                return
            if id(element) in blocks:
                block_id = id(element)
        if isinstance(box, (TextBox, ReplacedBox)):
            if block_id is not None and (not isinstance(box, TextBox) or box.text.strip()):
                yield box, block_id
            return
        for child in getattr(box, "children", ()):
            yield from visit(child, block_id)

    for box in boxes:
        yield from visit(box, None)


# --- The e-book: the markers and the page list -------------------------------------


@dataclass(frozen=True, slots=True)
class PageTarget:
    """A page of the page list: its label and where its marker is."""

    label: str
    document: str
    """The EPUB document holding the marker, as the navigation document links it."""
    anchor: str


def marker_id(start: PageStart) -> str:
    return f"page-{start.page}"


def mark_pages(tree: etree._Element, starts: list[PageStart], article_keys: frozenset[str]) -> list[PageStart]:
    """Put a page-break marker in the XHTML document `tree` where each page of `starts`
    begins (those whose region the document holds); the pages marked."""
    found = regions(tree, article_keys)
    marked: list[PageStart] = []
    blocks_of: dict[str, list[Element]] = {}
    for start in starts:
        region = found.get(start.region)
        if region is None:
            continue
        marker = etree.Element(f"{{{XHTML}}}span", {
            EPUB_TYPE: "pagebreak", "role": "doc-pagebreak", "id": marker_id(start), "aria-label": str(start.page),
        })
        blocks = blocks_of.setdefault(start.region, copy_blocks(region))
        if start.block == REGION_START or start.region in ("masthead", "contents") or not blocks:
            _before_first(region, marker)
        elif start.block >= len(blocks):
            region.append(marker)
        else:
            _at(blocks[start.block], start.offset, start.inside_word, marker)
        marked.append(start)
    return marked


def _before_first(region: Element, marker: etree._Element) -> None:
    """At the region's start: inside it, unless it is a navigation list, whose content
    is fixed (a heading and a list), so before it."""
    if _local(region.tag) == "nav":
        region.addprevious(marker)
    else:
        marker.tail = region.text
        region.text = None
        region.insert(0, marker)


def _at(block: etree._Element, offset: int, inside_word: bool, marker: etree._Element) -> None:
    """Insert `marker` before the copy character number `offset` of `block` (spaces
    aside), or after the word that character is in when the page cut that word."""
    if _local(block.tag) == "img" or (offset == 0 and _local(block.tag) not in HELD_IN_PLACE):
        block.addprevious(marker)  # between blocks: no heading or paragraph begins with a page number
        return
    for owner, is_tail, text in _text_slots(block):
        count = copy_length(text)
        if offset >= count:
            offset -= count
            continue
        index = _index_of(text, offset)
        if inside_word:
            while index < len(text) and not text[index].isspace():
                index += 1
        _split(owner, is_tail, text, index, marker)
        return
    block.append(marker)  # the page begins after the block's last character: at its end


def _index_of(text: str, offset: int) -> int:
    """The index in `text` of its copy character number `offset` (see `copy_length`)."""
    seen = 0
    for index, char in enumerate(text):
        if _counts(char):
            if seen == offset:
                return index
            seen += 1
    return len(text)


def _text_slots(block: etree._Element) -> Iterator[tuple[etree._Element, bool, str]]:
    """The block's own copy as (element, is its tail, text), in reading order; nested
    blocks and one-edition parts aside."""
    def visit(element: etree._Element) -> Iterator[tuple[etree._Element, bool, str]]:
        if element.text:
            yield element, False, element.text
        for child in element:
            if _local(child.tag) in INLINE_TAGS and not _one_edition_only(child):
                yield from visit(child)
            if child.tail:
                yield child, True, child.tail

    yield from visit(block)


def _split(owner: etree._Element, is_tail: bool, text: str, index: int, marker: etree._Element) -> None:
    if is_tail:
        owner.tail = text[:index]
        owner.addnext(marker)
    else:
        owner.text = text[:index]
        owner.insert(0, marker)
    marker.tail = text[index:] or None
