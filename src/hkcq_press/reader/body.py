"""Article bodies: CommonMark with GFM tables, strikethrough, task lists and footnotes,
through one configured markdown-it, → blocks (see `model/blocks.py`).

Copy is kept as written: the typographer (smart quotes, dashes) stays off, and raw
HTML is not recognised, so it reaches the reader as text. `::: name` fences (the
syntax of pandoc's fenced divs) mark pull quotes, factboxes and corrections.

Every construct is either laid out or refused here, at its line: a link, an image
or a footnote the editions could not carry never passes as printed syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_block.table import escapedSplit
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_ref

from hkcq_press.reader.addresses import LINK_SCHEMES, address_problem, as_written, shown_address
from hkcq_press.model.blocks import (
    Alignment,
    Block,
    BlockQuote,
    Code,
    Correction,
    Crosshead,
    Factbox,
    Figure,
    Footnote,
    Inline,
    InternalTarget,
    ListBlock,
    ListItem,
    Paragraph,
    PullQuote,
    Rule,
    Table,
)
from hkcq_press.errors import Diagnostics
from hkcq_press.reader.naming import slugify, unique

CONTAINER = "blocks"
BOXES = ("pullquote", "factbox", "correction")
"""The `::: name` blocks a desk may write."""
CREDIT_LABELS = ("Photo", "Photos", "Photograph", "Picture", "Pictures", "Credit", "Illustration", "Graphic",
                 "Image", "Map", "Chart")
CREDIT = re.compile(rf"(?:{'|'.join(CREDIT_LABELS)}):", re.IGNORECASE)
"""How the last line of a figure paragraph starts when it is the picture's credit."""
LABELS = {label.lower(): label for label in (*CREDIT_LABELS, "Table")}
LABEL = re.compile(r"(\w+)(\s*)[:：]")
"""A word and a colon opening a line: what a credit or a table caption starts with."""
TASK = re.compile(r"\[([ xX])\]\s+")
UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
TABLE_CAPTION = re.compile(r"Table:\s*")
STRAY_FENCE = re.compile(r":{3,}")
CONTAINER_PREFIX = re.compile(r"^[ \t>]*")
"""What opens a line inside quotations and list items: `>` and indentation."""
TABLE_DASHES = re.compile(r"^ {0,3}(?=[^\n]*\|)(?=[^\n]*-)[|:\- \t]+$", re.MULTILINE)
"""A table's row of dashes (`| --- | --- |`): in a paragraph, a table markdown-it did
not take, as its header has another number of cells."""

MAX_DEPTH = 8
"""Lists, quotations and boxes inside each other: more than copy ever needs."""
MAX_NESTING = 100
"""markdown-it's token levels: each level of a list takes two or three, so anything
it would drop lies far below MAX_DEPTH, where the reader has refused already."""

ImageResolver = Callable[[str, int], Path]
"""Maps an image reference as written (and its line) to the file it names."""
Place = Literal["body", "nested", "box", "note"]
"""Where blocks stand: the body's top level, inside a list or quotation, inside a
factbox or correction, inside a footnote."""


def make_parser() -> MarkdownIt:
    # markdown-it drops whatever lies deeper than `maxNesting` levels of tokens, without
    # a word; the reader refuses blocks nested past MAX_DEPTH, long before that.
    # Strikethrough as GFM has it: `~one~` or `~~two~~` tildes, matched; three or more print as written.
    parser = MarkdownIt("commonmark", {
        "html": False, "typographer": False, "xhtmlOut": True, "maxNesting": MAX_NESTING,
        "strikethrough_single_tilde": True,
    })
    parser.enable(["table", "strikethrough"])
    # One container rule for every `::: name`, so an unknown name is reported
    # instead of silently becoming a paragraph of colons.
    parser.use(container_plugin, name=CONTAINER, validate=lambda params, *_: bool(params.strip()))
    # Definitions stay where they are written, so each is read at its own line.
    parser.use(footnote_plugin, inline=False, move_to_end=False)
    parser.inline.ruler.at("footnote_ref", _footnote_ref_outside_link_labels)
    # Every link and image is kept as such, whatever its URL, and judged here with
    # a message; markdown-it would otherwise print a refused one as literal text.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


def plain_text(inline: Sequence[Token]) -> str:
    """The words of inline content as a reader sees them: markup dropped, breaks as spaces."""
    parts: list[str] = []
    for token in inline:
        if token.type in ("text", "code_inline", "text_special"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(plain_text(token.children or []))
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Body:
    blocks: tuple[Block, ...]
    corrections: tuple[Correction, ...]
    """Set at the foot of the article, wherever they were written."""
    footnotes: tuple[Footnote, ...]
    """In the order of their first reference."""


class BodyParser:
    """Turns one article body into blocks; one instance serves a whole edition."""

    def __init__(self) -> None:
        self._md = make_parser()

    def parse(
        self, text: str, path: Path, key: str, first_line: int, report: Diagnostics, resolve_image: ImageResolver
    ) -> Body:
        """Parse `text`, whose first line is line `first_line` of `path`; `key` is the
        article's, which the ids of its crossheads and notes start with."""
        env: dict[str, object] = {}
        tokens = self._md.parse(text, env)
        reader = _BodyReader(self._md, path, key, first_line, text.split("\n"), report, resolve_image)
        blocks = reader.blocks(tokens, "body")
        footnotes = reader.footnotes()
        corrections = tuple(block for block in blocks if isinstance(block, Correction))
        body = [block for block in blocks if not isinstance(block, Correction)]
        return Body(tuple(_mark_lead(body)), corrections, footnotes)


def body_paragraph_texts(blocks: Sequence[Block]) -> list[str]:
    """Texts of every paragraph of the story itself (what a pull quote may quote): not of
    pull quotes, factboxes, corrections, captions, tables or notes."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            texts.append(block.text)
        elif isinstance(block, ListBlock):
            for item in block.items:
                texts.extend(body_paragraph_texts(item.blocks))
        elif isinstance(block, BlockQuote):
            texts.extend(body_paragraph_texts(block.blocks))
    return texts


class _BodyReader:
    """One article body's tokens → blocks, every problem reported at its line."""

    def __init__(
        self, md: MarkdownIt, path: Path, key: str, first_line: int, lines: list[str],
        report: Diagnostics, resolve_image: ImageResolver,
    ) -> None:
        self.md = md
        self.path = path
        self.key = key
        self.first_line = first_line
        self.lines = lines
        self.report = report
        self.resolve_image = resolve_image
        self.anchors: set[str] = set()
        self.depth = 0
        """How many lists, quotations and boxes the blocks being read are inside."""
        self.definitions: dict[str, tuple[Inline, int]] = {}
        self.references: dict[str, int] = {}
        """Label → line of its first reference, in reading order."""

    def line(self, token: Token) -> int:
        return self.first_line + (token.map[0] if token.map else 0)

    # --- Blocks ---------------------------------------------------------------------

    def blocks(self, tokens: Sequence[Token], place: Place) -> tuple[Block, ...]:
        blocks: list[Block] = []
        for group in _groups(tokens):
            syntax = SYNTAX.get(group[0].type)
            if syntax is None:  # a construct markdown-it knows and the house style does not
                self.report.error(
                    self.path, self.line(group[0]), f"`{group[0].type}` cannot be laid out",
                    "Write it as a paragraph, list, table or quotation.",
                )
                continue
            block = syntax(self, group, place)
            if block is not None:
                blocks.append(block)
        return tuple(self.attach_table_captions(blocks))

    def nested(self, tokens: Sequence[Token], place: Place, opening: Token) -> tuple[Block, ...]:
        """The blocks inside a list item, quotation or box; refused past MAX_DEPTH."""
        if self.depth >= MAX_DEPTH:  # reported at the outermost block too deep; nothing below is read
            self.report.error(
                self.path, self.line(opening), f"lists, quotations and boxes nested more than {MAX_DEPTH} deep",
                "Set this part as plain paragraphs; no reader can follow so many levels.",
            )
            return ()
        self.depth += 1
        try:
            return self.blocks(tokens, place)
        finally:
            self.depth -= 1

    def paragraph(self, group: list[Token], place: Place) -> Block | None:
        line = self.line(group[0])
        children = group[1].children or []
        if children and children[0].type == "image" and (len(children) == 1 or children[1].type == "softbreak"):
            return self.figure(children, line)
        for number, tokens in _numbered_lines(children, line):
            text = plain_text(tokens).strip()
            if CREDIT.match(text):
                self.report.error(
                    self.path, number, "a credit line needs its picture above it",
                    f"`{text.split(':')[0]}:` makes a line a picture's credit only directly under the picture's "
                    "line (and its caption lines), with no blank line between. If the picture was cut, cut its "
                    "caption and credit too; as it is, the credit would print as running text, missing from "
                    "the imprint.",
                )
            else:
                self.check_label(text, number, "a paragraph")
        if STRAY_FENCE.match(group[1].content):
            self.report.error(
                self.path, line, "a `:::` that opens or closes no block",
                "Every `::: name` needs one closing `:::`; blocks cannot be put inside each other.",
            )
        if dashes := TABLE_DASHES.search(group[1].content):
            self.report.error(
                self.path, line + group[1].content.count("\n", 0, dashes.start()),
                "a table whose row of dashes does not match its header",
                "Give the row under the header one `---` for each header cell: `| --- | --- |` for two columns.",
            )
        return Paragraph(self.inline(children, line), line)

    def heading(self, group: list[Token], place: Place) -> Block:
        line = self.line(group[0])
        level = int(group[0].tag[1])
        if level == 1:
            self.report.error(
                self.path, line, "a level-1 heading (`#`) in the body",
                "The headline comes from `headline:` in the front matter; use `##` for crossheads.",
            )
        content = self.inline(group[1].children or [], line)
        anchor = unique(slugify(content.text, fallback="section"), self.anchors)
        return Crosshead(content, line, level, anchor, f"{self.key}--{anchor}")

    def figure(self, children: list[Token], line: int) -> Figure:
        """A picture alone in its paragraph, optionally followed by caption lines and,
        last, a credit line (`Photo: …`)."""
        image = children[0]
        alt = plain_text(image.children or []).strip()
        if not alt:
            self.report.error(
                self.path, line, "figure without alt text",
                "Describe the image between the brackets: ![What the picture shows](photo.jpg)",
            )
        numbered = _numbered_lines(children[2:], line + 1)
        lines = [tokens for _, tokens in numbered]
        credit = None
        if lines:
            last = plain_text(lines[-1]).strip()
            self.check_label(last, numbered[-1][0], "caption text")
            if CREDIT.match(last):
                credit = plain_text(lines.pop()).strip()
        caption_tokens = [token for number, part in enumerate(lines) for token in (
            [Token("softbreak", "br", 0)] if number else []) + part]
        caption = self.inline(caption_tokens, line + 1) if caption_tokens else None
        title = image.attrGet("title")
        if title and caption:
            self.report.error(
                self.path, line, "the figure has two captions: the image's title and the lines under it",
                "Keep one: delete the \"…\" after the image's path, or the caption lines.",
            )
        elif title:
            caption = Inline((Token("text", "", 0, content=str(title)),), str(title))
        source = self.resolve_image(str(image.attrGet("src") or ""), line)
        return Figure(source, alt, caption, credit, line)

    def check_label(self, text: str, line: int, printed_as: str) -> None:
        """A line that opens with a credit's or a table caption's label misspelt (`Phot:`,
        `Photo :`, `Tabel:`, `Table :`) is warned of, with the label as the house writes it."""
        if not (found := LABEL.match(text)):
            return
        written, word = found.group(0), found.group(1).lower()
        if word in LABELS:
            right = LABELS[word]
            if written == f"{found.group(1)}:" and (right != "Table" or found.group(1) == right):
                return  # written right
        else:
            close = [label for folded, label in LABELS.items() if len(folded) > 3 and _one_edit_apart(word, folded)]
            if not close:
                return
            right = close[0]
        if right == "Table":
            hint = (f"Write `Table:` to make the paragraph its table's caption (directly before or after the "
                    f"table); as it is, it prints as {printed_as}.")
        else:
            hint = (f"Write `{right}:` to make the line the picture's credit, printed apart and listed in the "
                    f"imprint; as it is, it prints as {printed_as}.")
        self.report.warning(self.path, line, f"`{written}` looks like the label `{right}:` misspelt", hint)

    def table(self, group: list[Token], place: Place) -> Table:
        line = self.line(group[0])
        header: list[Inline] = []
        alignments: list[Alignment] = []
        rows: list[tuple[Inline, ...]] = []
        row: list[Inline] = []
        row_line = line
        for token in group:
            if token.type == "tr_open":
                row, row_line = [], self.line(token)
            elif token.type == "th_open":
                style = str(token.attrGet("style") or "")
                alignments.append(style.removeprefix("text-align:") or None)  # type: ignore[arg-type]
            elif token.type == "inline":
                row.append(self.inline(token.children or [], row_line))
            elif token.type == "tr_close":
                if not header:
                    header = row
                else:
                    self.check_cells(row_line, len(header))
                    rows.append(tuple(row))
        return Table(tuple(header), tuple(rows), tuple(alignments), None, line)

    def check_cells(self, line: int, columns: int) -> None:
        """markdown-it drops cells beyond the header's and fills missing ones: say so."""
        # The row as written, without the `>` and indentation of the quotations and list
        # items around the table: markdown-it has dropped any cells past the header's.
        written = CONTAINER_PREFIX.sub("", self.lines[line - self.first_line]).strip()
        cells = escapedSplit(written.removeprefix("|").removesuffix("|") if written != "|" else "")
        if len(cells) > columns:
            self.report.error(
                self.path, line, f"this table row has {len(cells)} cells, the header {columns}",
                "Add a column to the header row, or join the extra cells: the extra words would be lost.",
            )
        elif len(cells) < columns:
            self.report.warning(
                self.path, line, f"this table row has {len(cells)} cells, the header {columns}; "
                "the last are left empty", "Add `|` separators for the empty cells to silence this.",
            )

    def list_block(self, group: list[Token], place: Place) -> ListBlock:
        opening = group[0]
        items = []
        tight = True
        for item in _groups(group[1:-1]):
            inner = item[1:-1]
            tight = tight and all(token.hidden for token in inner if token.type == "paragraph_open")
            task = _task(inner)
            items.append(ListItem(self.nested(inner, "nested" if place == "body" else place, opening), task))
        start = int(opening.attrGet("start") or 1) if opening.type == "ordered_list_open" else 1
        return ListBlock(tuple(items), opening.type == "ordered_list_open", start, tight, self.line(opening))

    def blockquote(self, group: list[Token], place: Place) -> BlockQuote:
        return BlockQuote(self.nested(group[1:-1], "nested" if place == "body" else place, group[0]),
                          self.line(group[0]))

    def code(self, group: list[Token], place: Place) -> Code:
        return Code(group[0].content.removesuffix("\n"), self.line(group[0]))

    def rule(self, group: list[Token], place: Place) -> Rule:
        return Rule(self.line(group[0]))

    def box(self, group: list[Token], place: Place) -> Block | None:
        """`::: pullquote`, `::: factbox Title`, `::: correction`: at the body's top level only."""
        line = self.line(group[0])
        name, _, title = group[0].info.strip().partition(" ")
        inner = group[1:-1]
        if name not in BOXES:
            self.report.error(
                self.path, line, f"unknown block `::: {name}`",
                f"Known blocks: {', '.join('::: ' + known for known in BOXES)}.",
            )
            return None
        if place != "body":
            self.report.error(
                self.path, line, f"a `::: {name}` inside another block",
                "Put it at the top level of the body, between paragraphs.",
            )
            return None
        if name == "factbox":
            return Factbox(title.strip() or None, self.nested(inner, "box", group[0]), line)
        if name == "correction":
            blocks = self.nested(inner, "box", group[0])
            if not blocks:
                self.report.error(self.path, line, "empty correction", "Write the correction between the fences.")
            return Correction(blocks, line)
        return self.pull_quote(inner, line)

    def pull_quote(self, inner: list[Token], line: int) -> PullQuote | None:
        groups = list(_groups(inner))
        if any(group[0].type != "paragraph_open" for group in groups):
            self.report.error(
                self.path, line, "a pull quote holds only the quoted words",
                "Write the words as one paragraph between the fences.",
            )
            return None
        paragraphs = tuple(self.inline(group[1].children or [], self.line(group[0])) for group in groups)
        if any(token.type == "footnote_ref" for paragraph in paragraphs for token in paragraph.tokens):
            self.report.error(
                self.path, line, "a footnote reference in a pull quote",
                "A pull quote repeats words of the article; refer to the note in the article's paragraph.",
            )
        if not any(paragraph.text.strip() for paragraph in paragraphs):
            self.report.error(self.path, line, "empty pull quote", "Put the quoted words between the `:::` fences.")
            return None
        return PullQuote(paragraphs, line)

    def footnote_definition(self, group: list[Token], place: Place) -> None:
        line = self.line(group[0])
        label = group[0].meta["label"]
        groups = list(_groups(group[1:-1]))
        if label in self.definitions:
            self.report.error(
                self.path, line, f"the footnote `[^{label}]` is defined twice",
                f"It is already defined at line {self.definitions[label][1]}; give each note its own label.",
            )
        elif len(groups) != 1 or groups[0][0].type != "paragraph_open":
            self.report.error(
                self.path, line, f"the footnote `[^{label}]` is not one paragraph",
                "A note is set as one paragraph at the foot of the page; shorten it, or make it part of the story.",
            )
            self.definitions[label] = (Inline((), ""), line)
        else:
            inline = groups[0][1]
            self.definitions[label] = (self.inline(inline.children or [], self.line(groups[0][0]), "note"), line)

    def footnotes(self) -> tuple[Footnote, ...]:
        """The notes in the order they are first referred to; unreferenced ones refused."""
        for label, (_, line) in self.definitions.items():
            if label not in self.references:
                self.report.error(
                    self.path, line, f"the footnote `[^{label}]` is never referred to",
                    f"Put `[^{label}]` in the text where the note belongs, or delete the note.",
                )
        return tuple(
            Footnote(label, number, *self.definitions[label], f"{self.key}--note-{number}")
            for number, label in enumerate(self.references, 1)
            if label in self.definitions
        )

    def attach_table_captions(self, blocks: list[Block]) -> Iterator[Block]:
        """A `Table: …` paragraph directly before or after a table is its caption (pandoc's
        convention); one next to no table is refused rather than printed as a label."""
        used: set[int] = set()
        for index, block in enumerate(blocks):
            if not isinstance(block, Table):
                continue
            for neighbour in (index - 1, index + 1):
                candidate = blocks[neighbour] if 0 <= neighbour < len(blocks) else None
                if isinstance(candidate, Paragraph) and neighbour not in used and _caption_of(candidate):
                    used.add(neighbour)
                    blocks[index] = replace(block, caption=_caption_of(candidate))
                    break
        for index, block in enumerate(blocks):
            if index in used:
                continue
            if isinstance(block, Paragraph) and _caption_of(block):
                self.report.error(
                    self.path, block.line, "a `Table:` caption with no table next to it",
                    "Put the caption directly before or after its table, with only a blank line between.",
                )
            yield block

    # --- Inline copy ------------------------------------------------------------------

    def inline(self, children: Sequence[Token], line: int, place: Place = "body") -> Inline:
        """Inline tokens as the model keeps them, every link, image and note reference
        checked; `line` is the line of the first token."""
        kept: list[Token] = []
        for token in children:
            if token.type in ("softbreak", "hardbreak"):
                line += 1
            elif token.type == "image":
                self.report.error(
                    self.path, line, "an image inside running text",
                    "Put the image in a paragraph of its own (caption and credit lines may follow it) "
                    "to make it a figure.",
                )
                continue
            elif token.type == "link_open":
                token = self.link(token, line)
            elif token.type == "footnote_ref":
                label = token.meta["label"]
                if place == "note":
                    self.report.error(
                        self.path, line, f"a footnote reference `[^{label}]` inside a footnote",
                        "Notes cannot have notes; write the words into the note.",
                    )
                if label in self.references:
                    self.report.error(
                        self.path, line, f"the footnote `[^{label}]` is referred to twice",
                        f"It is already referred to at line {self.references[label]}; a note is printed "
                        "where it is referred to, so each note is referred to once.",
                    )
                self.references.setdefault(label, line)
            elif token.type == "text" and (undefined := UNDEFINED_NOTE.search(token.content)):
                self.report.error(
                    self.path, line, f"the footnote `[^{undefined[1]}]` has no definition",
                    f"Add a line `[^{undefined[1]}]: The note's words.` after the paragraph.",
                )
            kept.append(token)
        kept = _note_calls_between_link_parts(kept)
        return Inline(tuple(kept), plain_text(kept))

    def link(self, token: Token, line: int) -> Token:
        href = str(token.attrGet("href") or "")
        parts = urlsplit(href)
        # As the desk wrote it, for messages: markdown-it percent-encodes it.
        written = as_written(href) if parts.scheme else self.md.normalizeLinkText(href)
        if not href:
            self.report.error(
                self.path, line, "the link has no address",
                "Put where it leads between the parentheses: `[words](https://…)`.",
            )
            return token
        scheme = parts.scheme.lower()
        if scheme in LINK_SCHEMES:
            if problem := address_problem(href):
                self.report.error(
                    self.path, line, f"the link `{written}` cannot work: {problem}",
                    "Copy the address again from the browser's address bar (or the number or e-mail "
                    "address from its source); e-book stores refuse an EPUB with a broken link.",
                )
            # What print shows of it: part of the copy, whose characters the faces must have.
            printed = token.copy()
            printed.meta = {**token.meta, "address": shown_address(href)}
            return printed
        if scheme or href.startswith(("/", "\\")) or not (parts.path or parts.fragment):
            self.report.error(
                self.path, line, f"the link `{written}` cannot work in the editions",
                f"Link to an address ({', '.join(f'{scheme}:' for scheme in LINK_SCHEMES)}), to another "
                "article of the edition (`other-article.md`), or to a crosshead (`#crosshead-words`).",
            )
            return token
        article = (self.path.parent / unquote(parts.path)).resolve() if parts.path else self.path
        resolved = token.copy()
        resolved.meta = {
            **token.meta, "target": InternalTarget(article, parts.fragment or None), "line": line, "written": written,
        }
        return resolved


SYNTAX: dict[str, Callable[[_BodyReader, list[Token], Place], Block | None]] = {
    "paragraph_open": _BodyReader.paragraph,
    "heading_open": _BodyReader.heading,
    "table_open": _BodyReader.table,
    "bullet_list_open": _BodyReader.list_block,
    "ordered_list_open": _BodyReader.list_block,
    "blockquote_open": _BodyReader.blockquote,
    "fence": _BodyReader.code,
    "code_block": _BodyReader.code,
    "hr": _BodyReader.rule,
    f"container_{CONTAINER}_open": _BodyReader.box,
    "footnote_reference_open": _BodyReader.footnote_definition,
}
"""Each block token markdown-it makes → the function that reads its block."""


def _groups(tokens: Sequence[Token]) -> Iterator[list[Token]]:
    """Split a token stream into one list per block at its outermost level."""
    group: list[Token] = []
    depth = 0
    for token in tokens:
        group.append(token)
        depth += token.nesting
        if depth == 0:
            yield group
            group = []


def _footnote_ref_outside_link_labels(state: StateInline, silent: bool) -> bool:
    """The footnote plugin's note call, declined while markdown-it measures a link's words
    (the only time it asks silently): taken there, it ends the link, so that
    `[the report[^r]](…)` printed its brackets and address as text."""
    return False if silent else footnote_ref(state, silent)


def _note_calls_between_link_parts(tokens: list[Token]) -> list[Token]:
    """A note call in a link's words set between two parts of the link (links cannot
    hold links): `[the report[^r]](…)` → the link on "the report", then the call. The
    parts share `meta["link"]`, so the print edition prints the address once, after the last."""
    kept: list[Token] = []
    opening: Token | None = None
    for number, token in enumerate(tokens):
        if token.type == "link_open":
            opening = token.copy()
            opening.meta = {**token.meta, "link": number}
            token = opening
        elif token.type == "link_close":
            opening = None
        elif token.type == "footnote_ref" and opening is not None:
            _close_link(kept)
            kept.append(token)
            opening = opening.copy()
            token = opening
        if token.type == "link_close":
            _close_link(kept)
        else:
            kept.append(token)
    return kept


def _close_link(tokens: list[Token]) -> None:
    if tokens[-1].type == "link_open":
        tokens.pop()  # a part with no words
    else:
        tokens.append(Token("link_close", "a", -1))


def _one_edit_apart(first: str, second: str) -> bool:
    """One letter added, left out, changed, or two neighbours swapped (`Phot`, `Tabel`):
    a slip of the keys, not another word (`Imagine` is two from `Image`)."""
    if len(first) == len(second):
        differing = [index for index, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        return len(differing) == 1 or (
            len(differing) == 2 and differing[1] == differing[0] + 1
            and first[differing[0]] == second[differing[1]] and first[differing[1]] == second[differing[0]]
        )
    shorter, longer = sorted((first, second), key=len)
    return len(longer) - len(shorter) == 1 and any(
        longer[:index] + longer[index + 1:] == shorter for index in range(len(longer))
    )


def _numbered_lines(children: Sequence[Token], first: int) -> list[tuple[int, list[Token]]]:
    """Inline tokens line by line, each with its line number, `first` the first's."""
    lines: list[tuple[int, list[Token]]] = [(first, [])]
    for token in children:
        if token.type in ("softbreak", "hardbreak"):
            lines.append((lines[-1][0] + 1, []))
        else:
            lines[-1][1].append(token)
    return [(number, tokens) for number, tokens in lines if tokens]


def _task(inner: Sequence[Token]) -> Literal["open", "done"] | None:
    """A task list item's state, its `[ ]` or `[x]` taken out of the text."""
    if len(inner) < 2 or inner[0].type != "paragraph_open" or not inner[1].children:
        return None
    first = inner[1].children[0]
    if first.type != "text" or not (marker := TASK.match(first.content)):
        return None
    first.content = first.content[marker.end():]
    inner[1].content = inner[1].content[marker.end():]
    return "open" if marker[1] == " " else "done"


def _caption_of(paragraph: Paragraph) -> Inline | None:
    tokens = paragraph.content.tokens
    if not tokens or tokens[0].type != "text" or not (prefix := TABLE_CAPTION.match(tokens[0].content)):
        return None
    first = tokens[0].copy()
    first.content = first.content[prefix.end():]
    kept = (first, *tokens[1:]) if first.content else tokens[1:]
    return Inline(kept, plain_text(kept))


def _mark_lead(blocks: list[Block]) -> Iterator[Block]:
    lead_found = False
    for block in blocks:
        if isinstance(block, Paragraph) and not lead_found:
            lead_found = True
            yield replace(block, is_lead=True)
        else:
            yield block
