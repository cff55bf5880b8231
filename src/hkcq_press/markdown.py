"""Article bodies: CommonMark text → model blocks, through one configured markdown-it.

Copy is kept as written: the typographer (smart quotes, dashes) stays off, and raw
HTML is not recognised, so it reaches the reader as text. `::: name` fences (the
syntax of pandoc's fenced divs) mark pull quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin

from .errors import Diagnostics
from .model import Block, Crosshead, Figure, Paragraph, Passage, PullQuote

CONTAINER = "container_fence"
KNOWN_CONTAINERS = ("pullquote",)

ImageResolver = Callable[[str, int], Path]
"""Maps an image reference as written (and its line) to the file it names."""


def make_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False, "xhtmlOut": True})
    # One container rule for every `::: name`, so an unknown name is reported
    # instead of silently becoming a paragraph of colons.
    parser.use(container_plugin, name=CONTAINER, validate=lambda params, *_: bool(params.strip()))
    return parser


def plain_text(inline: Sequence[Token]) -> str:
    """The words of inline content as a reader sees them: markup dropped, breaks as spaces."""
    parts: list[str] = []
    for token in inline:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(plain_text(token.children or []))
    return "".join(parts)


class BodyParser:
    """Turns one article body into blocks; one instance serves a whole edition."""

    def __init__(self) -> None:
        self._md = make_parser()
        self._renderer: RendererHTML = self._md.renderer  # type: ignore[assignment]

    def parse(
        self, text: str, path: Path, first_line: int, report: Diagnostics, resolve_image: ImageResolver
    ) -> tuple[Block, ...]:
        """Parse `text`, whose first line is line `first_line` of `path`."""
        env: dict[str, object] = {}
        tokens = self._md.parse(text, env)
        blocks: list[Block] = []
        for group in _top_level_groups(tokens):
            line = first_line + (group[0].map[0] if group[0].map else 0)
            block = self._block(group, env, path, line, report, resolve_image)
            if block is not None:
                blocks.append(block)
        return tuple(_mark_lead(blocks))

    def _inline_html(self, inline: Token, env: dict[str, object]) -> Markup:
        return Markup(self._renderer.renderInline(inline.children or [], self._md.options, env))

    def _render(self, tokens: Sequence[Token], env: dict[str, object]) -> Markup:
        return Markup(self._renderer.render(tokens, self._md.options, env))

    def _block(
        self,
        group: list[Token],
        env: dict[str, object],
        path: Path,
        line: int,
        report: Diagnostics,
        resolve_image: ImageResolver,
    ) -> Block | None:
        opening = group[0]
        if opening.type == "paragraph_open":
            inline = group[1]
            children = inline.children or []
            if len(children) == 1 and children[0].type == "image":
                return _figure(children[0], path, line, report, resolve_image)
            return Paragraph(self._inline_html(inline, env), plain_text(children), line)
        if opening.type == "heading_open":
            inline = group[1]
            level = int(opening.tag[1])
            if level == 1:
                report.error(
                    path,
                    line,
                    "a level-1 heading (`#`) in the body",
                    "The headline comes from `headline:` in the front matter; "
                    "use `##` for crossheads.",
                )
            return Crosshead(self._inline_html(inline, env), plain_text(inline.children or []), line, level)
        if opening.type == f"container_{CONTAINER}_open":
            return self._container(opening, group[1:-1], env, path, line, report)
        return Passage(self._render(group, env), _group_text(group), line)

    def _container(
        self,
        opening: Token,
        inner: list[Token],
        env: dict[str, object],
        path: Path,
        line: int,
        report: Diagnostics,
    ) -> Block | None:
        name = opening.info.strip().split(" ", 1)[0]
        if name not in KNOWN_CONTAINERS:
            report.error(
                path,
                line,
                f"unknown block `::: {name}`",
                f"Known blocks: {', '.join('::: ' + known for known in KNOWN_CONTAINERS)}.",
            )
            return None
        text = " ".join(
            plain_text(token.children or []) for token in inner if token.type == "inline"
        ).strip()
        if not text:
            report.error(path, line, "empty pull quote", "Put the quoted words between the `:::` fences.")
            return None
        return PullQuote(self._render(inner, env), text, line)


def body_paragraph_texts(blocks: Sequence[Block]) -> list[str]:
    """Texts of every paragraph of the body outside pull quotes (what a pull quote may quote)."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            texts.append(block.text)
        elif isinstance(block, Passage):
            texts.extend(block.text.split("\n\n"))
    return texts


def _top_level_groups(tokens: list[Token]) -> Iterator[list[Token]]:
    """Split the token stream into one list per top-level block."""
    group: list[Token] = []
    depth = 0
    for token in tokens:
        group.append(token)
        depth += token.nesting
        if depth == 0:
            yield group
            group = []


def _group_text(group: list[Token]) -> str:
    """Text of a generic block; paragraphs separated by blank lines."""
    parts = []
    for token in group:
        if token.type == "inline":
            parts.append(plain_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return "\n\n".join(parts)


def _figure(image: Token, path: Path, line: int, report: Diagnostics, resolve_image: ImageResolver) -> Figure:
    alt = plain_text(image.children or []).strip()
    if not alt:
        report.error(
            path,
            line,
            "figure without alt text",
            "Describe the image between the brackets: ![What the picture shows](photo.jpg)",
        )
    title = image.attrGet("title")
    caption = Markup.escape(title) if title else None
    return Figure(resolve_image(str(image.attrGet("src") or ""), line), alt, caption, line)


def _mark_lead(blocks: list[Block]) -> Iterator[Block]:
    lead_found = False
    for block in blocks:
        if isinstance(block, Paragraph) and not lead_found:
            lead_found = True
            yield Paragraph(block.html, block.text, block.line, is_lead=True)
        else:
            yield block
