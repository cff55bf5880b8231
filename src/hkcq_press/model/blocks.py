"""The blocks of an article body: one frozen dataclass per kind the desk can write.

Each block says its `kind` (which names its layout, `blocks/<kind>.html`), the line
of the article where it starts, and its `text`: the words a reader sees, which the
intactness checks compare. Inline copy is kept as markdown-it's inline tokens
(`Inline`), not as HTML, because the editions set it differently: the print edition
floats a footnote into the line, the e-book links to it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from markdown_it.token import Token


@dataclass(frozen=True, slots=True)
class Inline:
    """A run of inline copy: emphasis, links, code, footnote references."""

    tokens: tuple[Token, ...]
    """markdown-it inline tokens; links inside the edition carry their target in
    `meta["target"]` (see `InternalTarget`), for each edition to address."""
    text: str
    """The words a reader sees, markup dropped."""


@dataclass(frozen=True, slots=True)
class InternalTarget:
    """Where a link inside the edition goes: an article, or a heading of it."""

    article: Path
    """The article's file."""
    anchor: str | None
    """A heading's anchor (`Crosshead.anchor`), or None for the article's start."""


class _OneRun:
    """A block whose copy is one run of inline copy, its `content`."""

    __slots__ = ()
    content: Inline

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def inlines(self) -> tuple[Inline, ...]:
        """The block's own runs of inline copy (not those of blocks nested in it); the
        same for every kind."""
        return (self.content,)


@dataclass(frozen=True, slots=True)
class Paragraph(_OneRun):
    kind: ClassVar[str] = "paragraph"
    content: Inline
    line: int
    """Line in the article file where the block starts (1-based); the same for every kind."""
    is_lead: bool = False
    """The article's first paragraph, where the dateline runs in."""


@dataclass(frozen=True, slots=True)
class Crosshead(_OneRun):
    kind: ClassVar[str] = "crosshead"
    content: Inline
    line: int
    level: int = 2
    anchor: str = ""
    """Unique in its article; a link `#anchor` leads here."""
    id: str = ""
    """Unique in the edition: the element id the editions give the crosshead."""


@dataclass(frozen=True, slots=True)
class PullQuote:
    kind: ClassVar[str] = "pullquote"
    paragraphs: tuple[Inline, ...]
    line: int
    """Line of the opening `::: pullquote` fence."""

    @property
    def text(self) -> str:
        return " ".join(paragraph.text for paragraph in self.paragraphs).strip()

    @property
    def inlines(self) -> tuple[Inline, ...]:
        return self.paragraphs


@dataclass(frozen=True, slots=True)
class Figure:
    kind: ClassVar[str] = "figure"
    source: Path
    """Absolute path of the image file."""
    alt: str
    caption: Inline | None
    credit: str | None
    """The photographer's or agency's credit, as written (`Photo: …`)."""
    line: int

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.caption.text if self.caption else "", self.credit or "") if part)

    @property
    def inlines(self) -> tuple[Inline, ...]:
        return (self.caption,) if self.caption else ()


Alignment = Literal["left", "center", "right"] | None
FIGURE = re.compile(r"[-+−–±]?[$€£¥]?\s?\d[\d,.\u00a0\u202f ]*\s?(%|‰|pts?|bn|m|k)?")
"""A cell that is a figure: 10.2, +16.7%, 1,250, −3 pts, $4.5bn."""


@dataclass(frozen=True, slots=True)
class Table:
    kind: ClassVar[str] = "table"
    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    alignments: tuple[Alignment, ...]
    caption: Inline | None
    line: int

    @property
    def text(self) -> str:
        cells = [*self.header, *(cell for row in self.rows for cell in row)]
        return " ".join(part for part in (self.caption.text if self.caption else "", *(c.text for c in cells)) if part)

    @property
    def column_alignments(self) -> tuple[Alignment, ...]:
        """The desk's alignment of each column; where it gives none, a column of figures
        (every body cell a number, a percentage or a change) is set right-aligned."""
        return tuple(
            alignment or ("right" if self.rows and all(FIGURE.fullmatch(row[column].text.strip()) for row in self.rows)
                          else None)
            for column, alignment in enumerate(self.alignments)
        )

    @property
    def widest_row(self) -> int:
        """Characters in the row that needs most room, each column counted at its widest
        (Chinese characters count two): the print layout spans a wide table across columns."""
        widths = [0] * len(self.header)
        for row in (self.header, *self.rows):
            for column, cell in enumerate(row):
                widths[column] = max(widths[column], _display_width(cell.text))
        return sum(widths) + 2 * len(widths)

    @property
    def inlines(self) -> tuple[Inline, ...]:
        return (*((self.caption,) if self.caption else ()), *self.header, *(cell for row in self.rows for cell in row))


@dataclass(frozen=True, slots=True)
class ListItem:
    blocks: tuple[Block, ...]
    task: Literal["open", "done"] | None = None
    """A task list's item (`- [ ]`, `- [x]`): its state; None in an ordinary list."""

    @property
    def text(self) -> str:
        return joined_text(self.blocks)


@dataclass(frozen=True, slots=True)
class ListBlock:
    kind: ClassVar[str] = "list"
    inlines: ClassVar[tuple[Inline, ...]] = ()
    """Only the blocks inside have inline copy."""
    items: tuple[ListItem, ...]
    ordered: bool
    start: int
    tight: bool
    """Items without blank lines between them: their paragraphs are set without spacing."""
    line: int

    @property
    def text(self) -> str:
        return "\n\n".join(item.text for item in self.items)


class _Holder:
    """A block that holds other blocks: its words are theirs, its own inline copy none."""

    __slots__ = ()
    blocks: tuple[Block, ...]
    inlines: ClassVar[tuple[Inline, ...]] = ()

    @property
    def text(self) -> str:
        return joined_text(self.blocks)


@dataclass(frozen=True, slots=True)
class BlockQuote(_Holder):
    kind: ClassVar[str] = "blockquote"
    blocks: tuple[Block, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Code:
    kind: ClassVar[str] = "code"
    inlines: ClassVar[tuple[Inline, ...]] = ()
    code: str
    """The lines as written, without the fences."""
    line: int

    @property
    def text(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Rule:
    kind: ClassVar[str] = "rule"
    line: int
    text: ClassVar[str] = ""
    inlines: ClassVar[tuple[Inline, ...]] = ()


@dataclass(frozen=True, slots=True)
class Factbox(_Holder):
    """`::: factbox Title` … `:::`: a boxed panel of facts beside the story."""

    kind: ClassVar[str] = "factbox"
    title: str | None
    blocks: tuple[Block, ...]
    line: int

    @property
    def text(self) -> str:
        return "\n\n".join(part for part in (self.title, joined_text(self.blocks)) if part)


@dataclass(frozen=True, slots=True)
class Correction(_Holder):
    """`::: correction` … `:::`: set at the foot of its article, wherever it is written."""

    kind: ClassVar[str] = "correction"
    blocks: tuple[Block, ...]
    line: int


Block = Paragraph | Crosshead | PullQuote | Figure | Table | ListBlock | BlockQuote | Code | Rule | Factbox | Correction


@dataclass(frozen=True, slots=True)
class Footnote:
    """A note (`[^label]: …`), numbered in its article by its first reference."""

    label: str
    number: int
    content: Inline
    line: int
    id: str
    """Unique in the edition: the note's element id."""

    @property
    def text(self) -> str:
        return self.content.text


def joined_text(blocks: tuple[Block, ...]) -> str:
    """The words of blocks one after another, a blank line between blocks."""
    return "\n\n".join(block.text for block in blocks)


def walk(blocks: tuple[Block, ...]) -> list[Block]:
    """Every block, nested ones included, in reading order."""
    found: list[Block] = []
    for block in blocks:
        found.append(block)
        if isinstance(block, ListBlock):
            for item in block.items:
                found.extend(walk(item.blocks))
        elif isinstance(block, (BlockQuote, Factbox, Correction)):
            found.extend(walk(block.blocks))
    return found


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)
