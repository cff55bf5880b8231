"""One article file → an `Article`: its front matter checked key by key, its body
parsed (`body.py`), its pull quotes proved to repeat its own words (`pullquotes.py`),
every problem reported with the file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hkcq_press.errors import Diagnostics
from hkcq_press.model.blocks import Block, Code, Factbox, Figure, Inline, PullQuote, walk
from hkcq_press.model.edition import ARTICLE_STARTS, Article
from hkcq_press.reader.body import Body, BodyParser
from hkcq_press.reader.characters import (
    Printable,
    refusals,
    unprintable_characters,
    unprintable_message,
)
from hkcq_press.reader.files import Limits, check_image, read_text
from hkcq_press.reader.pullquotes import misquotes
from hkcq_press.reader.yamlfields import Fields, read_mapping

ARTICLE_KEYS = (
    "headline", "dek", "byline", "authors", "unsigned", "dateline", "date", "credit", "kicker", "language", "start",
)

ARTICLE_KEY_ALIASES = {
    "author": "byline", "writer": "byline", "writers": "byline", "reporter": "byline", "by": "byline",
    "title": "headline", "hed": "headline", "head": "headline", "heading": "headline",
    "subhead": "dek", "standfirst": "dek", "subtitle": "dek", "section": "kicker",
}
"""Keys a desk types for the ones hkcq-press knows; `author` and `writer` may mean the
metadata's `authors` too, which the hint says."""

PICTURE_CREDIT = ("A picture's credit is not a key: write it as the last line under the picture in the "
                  "body, `Photo: …` (see the README on figures). `credit:` is the story's news-exchange credit.")

ARTICLE_KEYS_EXPLAINED = {
    key: PICTURE_CREDIT for key in ("photo_credit", "photo", "photographer", "picture_credit", "image_credit")
}

PRINTED_ARTICLE_KEYS = ("headline", "dek", "byline", "dateline", "date", "credit", "kicker")


@dataclass(frozen=True, slots=True)
class Rules:
    """What every article of the edition is checked against."""

    limits: Limits
    printable: Printable | None
    """What the house typefaces can print; None skips that check."""


class ArticleReader:
    """Reads one article file; its problems go to `report`."""

    def __init__(
        self, path: Path, key: str, edition_language: str, root: Path,
        body_parser: BodyParser, rules: Rules, report: Diagnostics,
    ) -> None:
        self.path = path
        self.key = key
        self.edition_language = edition_language
        self.root = root
        self.body_parser = body_parser
        self.rules = rules
        self.report = report

    def read(self) -> Article | None:
        text = read_text(self.path, self.rules.limits.text_bytes, self.report)
        if text is None:
            return None
        lines = text.split("\n")
        if lines[0].strip() != "---":
            self.report.error(
                self.path, 1, "the article has no front matter",
                "Start the file with a `---` line, then `headline:` and `byline:`, then another `---` line.",
            )
            return None
        closing = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")), None)
        if closing is None:
            self.report.error(
                self.path, 1, "the front matter is not closed",
                "End the front matter with a line of three dashes: `---`.",
            )
            return None
        mapping = read_mapping("\n".join(lines[1:closing]), self.path, 2, self.report)
        if mapping is None:
            self._body(lines, closing)  # a front matter that does not parse hides none of the body's problems
            return None
        fields = Fields(mapping, self.path, 2, self.report)
        fields.warn_unknown(ARTICLE_KEYS, ARTICLE_KEY_ALIASES, ARTICLE_KEYS_EXPLAINED)
        check_printable(fields, PRINTED_ARTICLE_KEYS, self.rules.printable)

        headline = fields.text("headline")
        if not headline:
            self.report.error(self.path, 1, "the article has no headline", "Add `headline: …` to the front matter.")
        byline = [name for name, _ in fields.texts("byline") or []]
        unsigned = self._unsigned(fields)
        if not byline and not unsigned:
            self.report.error(
                self.path, 1, "the article has no byline",
                "Add `byline: …` to the front matter: a name, a list of names, or the agency; a piece "
                "published unsigned on purpose (a letter, a leader, a brief) says `unsigned: true` instead.",
            )
        if byline and unsigned:
            self.report.error(
                self.path, fields.line("unsigned") or 1, "the article says it is unsigned but has a byline",
                "Remove `unsigned: true` to print the byline, or the byline to publish the piece unsigned.",
            )
        authors = tuple(name for name, _ in fields.texts("authors") or [])
        language = fields.language(required=False)
        date = fields.date()
        body = self._body(lines, closing)
        # Read every field before giving up, so each one's problems are reported.
        dek, dateline = fields.text("dek"), fields.text("dateline")
        credit, kicker = fields.text("credit"), fields.text("kicker")
        start = fields.choice("start", ARTICLE_STARTS, "where hkcq-press can start an article", fold_case=True)
        if not headline or not (byline or unsigned):
            return None
        return Article(
            source=self.path,
            key=self.key,
            headline=headline,
            byline=tuple(byline),
            authors=authors,
            blocks=body.blocks,
            corrections=body.corrections,
            footnotes=body.footnotes,
            dek=dek,
            dateline=dateline,
            date=date,
            credit=credit,
            kicker=kicker,
            start=start,
            language=language if language and language != self.edition_language else None,
        )

    def _body(self, lines: list[str], closing: int) -> Body:
        """The body after the front matter (which ends at line index `closing`), checked."""
        body = self.body_parser.parse(
            "\n".join(lines[closing + 1:]), self.path, self.key, closing + 2, self.report, self._image
        )
        if not any(block.text.strip() for block in body.blocks if not isinstance(block, (Figure, PullQuote))):
            self.report.error(
                self.path, closing + 2, "the article has no text", "Write the body after the front matter."
            )
        for misquote in misquotes(body.blocks):
            self.report.error(self.path, misquote.line, misquote.message, misquote.hint)
        self._check_printable_blocks(walk(body.blocks + body.corrections))
        for note in body.footnotes:
            self.check_printable(note.line, note.content)
        return body

    def _unsigned(self, fields: Fields) -> bool:
        """`unsigned: true`: a piece published without a byline on purpose, never by forgetting one."""
        value = fields.text("unsigned")
        if value is None:
            return False
        if value.lower() in ("true", "yes"):
            return True
        if value.lower() not in ("false", "no"):
            self.report.error(
                self.path, fields.line("unsigned") or 1, f"`unsigned` is `true` or `false`, not `{value}`",
                "Write `unsigned: true` for a piece published without a byline, or leave the key out.",
            )
        return False

    def _image(self, written: str, line: int) -> Path:
        return check_image(written, self.path, line, self.root, self.rules.limits, self.report)

    def _check_printable_blocks(self, blocks: list[Block]) -> None:
        for block in blocks:
            for run in block.inlines:
                self.check_printable(block.line, run)
            # Words a block prints outside its inline runs.
            if isinstance(block, Figure) and block.credit:
                self.check_printable(block.line, block.credit)
            elif isinstance(block, Factbox) and block.title:
                self.check_printable(block.line, block.title)
            elif isinstance(block, Code):
                self.check_printable(block.line, block.code)

    def check_printable(self, line: int, text: Inline | str) -> None:
        """What the editions print of `text`, the print edition's link addresses included:
        characters written as entities (`&#x202E;`) are only known here."""
        printed = text if isinstance(text, str) else text.text + " ".join(
            str(token.meta.get("address") or "") for token in text.tokens if token.type == "link_open"
        )
        for problem, hint in refusals(printed):
            self.report.error(self.path, line, problem, hint)
        if self.rules.printable is None:
            return
        if missing := unprintable_characters(printed, self.rules.printable.characters):
            self.report.error(self.path, line, *unprintable_message("this text", missing, self.rules.printable))


def check_printable(fields: Fields, keys: tuple[str, ...], printable: Printable | None) -> None:
    if printable is None:
        return
    for key in keys:
        for value, line in fields.scalars(key):
            if missing := unprintable_characters(value, printable.characters):
                fields.report.error(fields.path, line, *unprintable_message(f"`{key}`", missing, printable))
