"""Inline copy as each edition sets it: the model's markdown-it tokens → escaped HTML.

The two editions differ only where paper and screen differ: the print edition
floats a footnote's words into the line (WeasyPrint moves them to the foot of the
page) and prints where a link goes, breakable at `/`, `.` and `@` and never
hyphenated; the e-book links to its notes and back, and leaves addresses to the
reading system. Everything else is markdown-it's own rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup, escape

from hkcq_press.model.blocks import Crosshead, Inline, InternalTarget, walk
from hkcq_press.markup.chinese import RUN, run_language
from hkcq_press.style.hyphenation import HyphenationExceptions
from hkcq_press.model.edition import Article, Edition

EditionKind = Literal["print", "epub"]
PARAGRAPH_END = 4
"""The characters a Chinese paragraph's last line has at least (its full stop among them)."""
SHORT_CHINESE = 8
"""Up to this many characters, a run of Chinese in other copy is a name, kept on one line."""
ADDRESS_BREAKS = re.compile(r"(?<=[/.@])(?=.)")
"""Where a printed address may break: after a slash, a dot or an at sign."""
LAST_WORD = re.compile(r"""(?<!\S)(?=\S*(?:[^\W\d_]{6}|[-‐]))\S{1,24}[.!?…:;][”’"')\]]*\s*$""")
"""A paragraph's last word, where it ends a sentence, with the punctuation around it,
where it could be broken: six letters or more (print.css hyphenates from six), or a
hyphen of its own. A long string of characters is left free to break, and so is a
run that ends with no sentence (a table's cell, a heading)."""
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December"
          "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
KEPT_TOGETHER = re.compile(
    rf"\w+(?:[-‐]\w+)+"  # a compound, never broken at its own hyphen ("cold-chain")
    rf"|\d[\d,.:/]*%?\s+\S+"  # a number and the word it counts or dates ("28 December", "3 billion")
    rf"|\b(?:{MONTHS})\.?\s+\d+"  # a month and its day ("December 28")
)
"""What a headline or standfirst keeps on one line in print."""
LAST_TWO_WORDS = re.compile(r"\S+\s+\S+\s*$")


class InlineMarkup:
    """Renders runs of inline copy for one edition: `markup(run, article)`."""

    def __init__(
        self, edition: Edition, kind: EditionKind, document: Callable[[Article], str],
        hyphenation: HyphenationExceptions | None = None,
    ) -> None:
        """`document` names the file an article is in, as its links address it
        (empty when the whole edition is one document); `hyphenation`, the words the
        print edition breaks only where the house's list says."""
        self.kind = kind
        self.edition_language = edition.language
        self.chinese_forms = edition.chinese_forms
        self.hyphenation = hyphenation
        self._md = MarkdownIt("commonmark", {"xhtmlOut": True})
        self._renderer = _EditionRenderer()
        self._addresses: dict[object, str] = {}
        self._rendered: dict[int, tuple[Inline, Article, Markup]] = {}
        for article in edition.articles:
            self._addresses[InternalTarget(article.source, None)] = f"{document(article)}#{article.key}"
            for block in walk(article.blocks):
                if isinstance(block, Crosshead):
                    self._addresses[InternalTarget(article.source, block.anchor)] = f"{document(article)}#{block.id}"

    def __call__(self, run: Inline, article: Article) -> Markup:
        # A layout renders the same copy more than once (each part's characters, then
        # the part; figures moved): each run is rendered once, and kept with its run.
        done = self._rendered.get(id(run))
        if done is not None and done[0] is run and done[1] is article:
            return done[2]
        env = {"markup": self, "article": article}
        markup = Markup(self._renderer.renderInline(list(run.tokens), self._md.options, env))
        self._rendered[id(run)] = (run, article, markup)
        return markup

    def display(self, text: str, article: Article) -> Markup:
        """A headline or standfirst as the edition sets it. In print, never broken at
        a compound's own hyphen nor between a number and its word, and never ending
        with one word alone on its line (the last two words are kept together, where
        WeasyPrint has no `text-wrap: balance`); Chinese breaks as Chinese does."""
        language = article.language or self.edition_language
        if self.kind != "print" or language.lower().startswith("zh"):
            return Markup(escape(text))
        kept = [match.span() for match in KEPT_TOGETHER.finditer(text)]
        if (last := LAST_TWO_WORDS.search(text.rstrip())) is not None:
            kept.append(last.span())
        pieces, position = [], 0
        for start, end in _merged(kept):
            pieces.append(escape(text[position:start]))
            pieces.append(Markup('<span class="kept">{}</span>').format(text[start:end]))
            position = end
        pieces.append(escape(text[position:]))
        return Markup("").join(pieces)

    def plain(self, text: str, language: str) -> str:
        """Copy as the print edition sets it: English words with the house's hyphenation."""
        if self.hyphenation is not None and language.lower().startswith("en"):
            return str(self.hyphenation.apply(text))
        return str(escape(text))

    def address(self, token: Token) -> str:
        target = token.meta.get("target")
        return self._addresses[target] if isinstance(target, InternalTarget) else str(token.attrGet("href"))


class _EditionRenderer(RendererHTML):
    """markdown-it's HTML renderer with the rules that differ between the editions."""

    # The rules run in token order: `env["link"]` is the link being rendered, if any.

    def link_open(self, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        markup: InlineMarkup = env["markup"]
        env["link"] = tokens[idx]
        env["link_start"] = idx
        return f'<a href="{escape(markup.address(tokens[idx]))}">'

    def link_close(self, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        markup: InlineMarkup = env["markup"]
        opening: Token = env.pop("link")
        if markup.kind != "print" or "target" in opening.meta or opening.markup == "autolink":
            return "</a>"
        if _continues(tokens, idx, opening):
            return "</a>"  # the address follows the link's last part
        shown = opening.meta["address"]
        if str(opening.attrGet("href")).lower().startswith("tel:") and _digits(shown) == _digits(
            "".join(token.content for token in tokens[env["link_start"]:idx] if token.type == "text")
        ):
            return "</a>"  # the words are the number
        # Paper readers cannot follow a link: print where it goes after its words.
        return f'</a> <span class="link-address">({breakable_address(shown)})</span>'

    def text(self, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        link: Token | None = env.get("link")
        markup: InlineMarkup = env["markup"]
        if link is not None and link.markup == "autolink" and markup.kind == "print":
            return breakable_address(link.meta["address"])  # as the reader found it printed
        article: Article = env["article"]
        language = article.language or markup.edition_language
        if markup.kind != "print":
            return str(escape(tokens[idx].content))
        if language.lower().startswith("zh"):
            return _chinese(tokens[idx].content, last=idx == len(tokens) - 1)
        # Short Chinese names in other copy are kept whole on their line, marked with their language.
        pieces = []
        text = tokens[idx].content
        position = 0
        for run in RUN.finditer(text):
            pieces.append(markup.plain(text[position:run.start()], language))
            if len(run.group()) <= SHORT_CHINESE:
                tag = run_language(run.group(), markup.chinese_forms)
                pieces.append(f'<span class="chinese-name" lang="{tag}">{escape(run.group())}</span>')
            else:
                pieces.append(str(escape(run.group())))
            position = run.end()
        rest = text[position:]
        if idx == len(tokens) - 1 and (word := LAST_WORD.search(rest)):
            # The run's last word is never broken: no paragraph ends with a line
            # holding only the end of a word ("pal-/lets.", "half-/time.").
            pieces.append(markup.plain(rest[:word.start()], language))
            pieces.append(f'<span class="paragraph-end">{escape(word.group())}</span>')
        else:
            pieces.append(markup.plain(rest, language))
        return "".join(pieces)

    def s_open(self, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        return "<del>"

    def s_close(self, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        return "</del>"

    def footnote_ref(self, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        markup: InlineMarkup = env["markup"]
        article: Article = env["article"]
        note = next(note for note in article.footnotes if note.label == tokens[idx].meta["label"])
        if markup.kind == "print":
            # WeasyPrint moves the note to the foot of the page and numbers the call.
            return f'<span class="footnote" id="{note.id}">{markup(note.content, article)}</span>'
        return (
            f'<a class="noteref" href="#{note.id}" id="{note.id}-ref" epub:type="noteref" '
            f'role="doc-noteref">{note.number}</a>'
        )


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans made one, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _continues(tokens: Sequence[Token], closing: int, opening: Token) -> bool:
    """Whether the link closed at `closing` goes on after a note call (see
    `markdown._note_calls_between_link_parts`)."""
    after = next((token for token in tokens[closing + 1:] if token.type != "footnote_ref"), None)
    return (after is not None and after.type == "link_open" and "link" in opening.meta
            and after.meta.get("link") == opening.meta["link"])


def _chinese(text: str, last: bool) -> str:
    """Chinese copy as the print edition sets it: the run's last characters kept on one
    line, so no paragraph ends with a line of one character and its full stop."""
    if not last or len(text) <= PARAGRAPH_END:
        return str(escape(text))
    return f'{escape(text[:-PARAGRAPH_END])}<span class="paragraph-end">{escape(text[-PARAGRAPH_END:])}</span>'


def breakable_address(shown: str) -> str:
    """An address as printed: escaped, breakable after each `/`, `.` and `@` (no hyphen
    is added there) and never after a hyphen of its own, which a reader would take for
    one added: a word joiner (U+2060, invisible and never extracted) follows each."""
    pieces = (str(escape(piece)).replace("-", "-\u2060") for piece in ADDRESS_BREAKS.split(shown))
    return "<wbr />".join(pieces)


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())
