"""The manuscript reader: `edition.yaml` and the article files → an `Edition`.

This is the only module that reads the user's source files. It reports every
problem it finds with the file and line, and proves that each pull quote repeats
words of its own article, so no layout can ever misquote.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hkcq_press.reader.characters import (
    REFUSED,
    difference,
    pull_quote_words,
    refusals,
    unprintable_characters,
    Printable,
    unprintable_message,
)
from hkcq_press.model.blocks import Block, Code, Crosshead, Factbox, Figure, Inline, InternalTarget, PullQuote, walk
from hkcq_press.model.dates import pattern_problem, primary
from hkcq_press.errors import Diagnostics, Problem
from hkcq_press.reader.images import damage, looks_like_image, pixels, svg_hazards
from hkcq_press.reader.body import Body, BodyParser, body_paragraph_texts
from hkcq_press.model.edition import (
    ARTICLE_STARTS,
    CHINESE_FORMS,
    DEFAULT_ARTICLE_START,
    DEFAULT_CHINESE_FORMS,
    PAGE_SIZES,
    PDF_VARIANTS,
    Accessibility,
    Article,
    Edition,
    Section,
)
from hkcq_press.reader.naming import slugify, unique
from hkcq_press.reader.pullquotes import QuotableText
from hkcq_press.reader.yamlfields import LANGUAGE_TAG, NEAR_SPELLING, Fields, read_mapping

EDITION_FILE = "edition.yaml"

EDITION_KEYS = (
    "title", "subtitle", "language", "publisher", "identifier", "isbn_print", "isbn_epub",
    "date", "rights", "description", "slug", "articles", "accessibility", "cover", "pdf_variant",
    "page_size", "chinese_forms", "date_format", "article_start", "sections",
)
SECTION_KEYS = ("title", "articles")
ACCESSIBILITY_KEYS = ("access_mode", "access_mode_sufficient", "features", "hazards", "summary", "certified_by")
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
PRINTED_EDITION_KEYS = ("title", "subtitle", "publisher", "date", "rights")
PRINTED_ARTICLE_KEYS = ("headline", "dek", "byline", "dateline", "date", "credit", "kicker")

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest files the reader accepts: copy comes from many desks and is untrusted."""

    text_bytes: int = 5 * MB
    image_bytes: int = 20 * MB
    image_pixels: int = 50_000_000
    """Decoding a picture takes about four bytes a pixel, whatever its file size."""


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class _Rules:
    limits: Limits
    printable: Printable | None
    """What the house typefaces can print; None skips that check."""


Repertoire = Callable[[str], Printable]
"""What the house typefaces can print, given the edition's `chinese_forms`."""


def load_edition(
    manuscript_dir: Path,
    limits: Limits = DEFAULT_LIMITS,
    repertoire: Repertoire | None = None,
    on_article: Callable[[int, int], None] | None = None,
) -> tuple[Edition, list[Problem]]:
    """Read and check a whole manuscript.

    `repertoire` tells what the house typefaces can print (see `style/fonts.py`); copy with
    other characters is refused, naming them. `on_article` hears (articles read,
    articles listed) after each article. Returns the edition and the warnings;
    raises `ManuscriptError` listing every error (and warning) found.
    """
    report = Diagnostics()
    edition = _EditionReader(manuscript_dir, limits, repertoire, report, on_article).read()
    report.raise_if_errors()
    assert edition is not None
    return edition, report.warnings


# --- The edition ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Contents:
    articles: tuple[Article, ...]
    """Those read without errors, in reading order."""
    sections: tuple[Section, ...]
    """The sections holding them, when the edition has `sections:`."""
    listed: frozenset[Path]
    """Every listed article's file that exists, read without errors or not."""


class _EditionReader:
    def __init__(
        self,
        manuscript_dir: Path,
        limits: Limits,
        repertoire: Repertoire | None,
        report: Diagnostics,
        on_article: Callable[[int, int], None] | None,
    ) -> None:
        self.root = manuscript_dir.resolve()
        self.rules = _Rules(limits, None)
        self.repertoire = repertoire
        self.report = report
        self.on_article = on_article
        self.body_parser = BodyParser()

    def read(self) -> Edition | None:
        edition_path = self.root / EDITION_FILE
        if not self.root.is_dir():
            self.report.error(
                self.root, None, "the manuscript directory does not exist",
                "Run hkcq-press in the folder that holds `manuscript/`, or name it with --manuscript DIR.",
            )
            return None
        if not edition_path.is_file():
            self.report.error(
                edition_path, None, f"`{EDITION_FILE}` is missing",
                "Every manuscript needs an edition.yaml with at least `title:`, `language:` and `articles:`.",
            )
            return None
        text = _read_text(edition_path, self.rules.limits.text_bytes, self.report)
        if text is None:
            return None
        mapping = read_mapping(text, edition_path, 1, self.report)
        if mapping is None:
            return None
        fields = Fields(mapping, edition_path, 1, self.report)
        fields.warn_unknown(EDITION_KEYS)
        # The Chinese forms choose the Chinese typeface, so they are read first.
        chinese_forms = fields.choice(
            "chinese_forms", CHINESE_FORMS, "one of the Chinese glyph forms hkcq-press prints", fold_case=True
        ) or DEFAULT_CHINESE_FORMS
        if self.repertoire is not None:
            self.rules = _Rules(self.rules.limits, self.repertoire(chinese_forms))
        _check_printable(fields, PRINTED_EDITION_KEYS, self.rules.printable)

        title = fields.text("title")
        if not title:
            self.report.error(edition_path, fields.line("title") or 1, "the edition has no `title:`")
        language = fields.language(required=True)
        slug = self._slug(fields, title or "")
        publisher = fields.text("publisher")
        date = fields.date()
        contents = self._contents(fields, language or "")
        # Read every field before giving up, so each one's problems are reported.
        identifier = fields.text("identifier")
        subtitle, rights, description = fields.text("subtitle"), fields.text("rights"), fields.text("description")
        isbn_print, isbn_epub = fields.text("isbn_print"), fields.text("isbn_epub")
        accessibility = self._accessibility(fields)
        pdf_variant = fields.choice("pdf_variant", PDF_VARIANTS, "a PDF variant hkcq-press writes")
        page_size = fields.choice("page_size", tuple(PAGE_SIZES), "a page size hkcq-press knows", fold_case=True)
        date_formats = self._date_formats(fields, language or "")
        article_start = fields.choice(
            "article_start", ARTICLE_STARTS, "where hkcq-press can start an article", fold_case=True
        )
        cover_name = fields.text("cover")
        cover = (
            check_image(cover_name, edition_path, fields.line("cover") or 1, self.root, self.rules.limits, self.report)
            if cover_name else None
        )
        if contents:
            _check_internal_links(contents.articles, contents.listed, self.report)
        if not title or not language or slug is None or contents is None:
            return None
        articles, sections = contents.articles, contents.sections
        return Edition(
            source_dir=self.root,
            title=title,
            language=language,
            slug=slug,
            identifier=identifier or derived_identifier(slug, publisher),
            articles=articles,
            subtitle=subtitle,
            publisher=publisher,
            date=date,
            rights=rights,
            description=description,
            isbn_print=isbn_print,
            isbn_epub=isbn_epub,
            accessibility=accessibility,
            cover=cover,
            pdf_variant=pdf_variant,
            page_size=page_size,
            chinese_forms=chinese_forms,
            date_formats=tuple(date_formats.items()),
            article_start=article_start or DEFAULT_ARTICLE_START,
            sections=sections,
        )

    def _accessibility(self, fields: Fields) -> Accessibility:
        """The `accessibility:` overrides of the EPUB's accessibility metadata."""
        section = fields.mapping("accessibility")
        if section is None:
            return Accessibility()
        section.warn_unknown(ACCESSIBILITY_KEYS)

        def listed(key: str) -> tuple[str, ...]:
            return tuple(value for value, _ in section.texts(key) or [])

        return Accessibility(
            access_mode=listed("access_mode"),
            access_mode_sufficient=listed("access_mode_sufficient"),
            features=listed("features"),
            hazards=listed("hazards"),
            summary=section.text("summary"),
            certified_by=section.text("certified_by"),
        )

    def _slug(self, fields: Fields, title: str) -> str | None:
        slug = fields.text("slug")
        if slug is None:
            return slugify(title)
        if not _SLUG.match(slug):
            self.report.error(
                fields.path, fields.line("slug"), f"`{slug}` cannot be used as a file name",
                "Use letters, digits, `-`, `_` and `.` only, for example `slug: weekly-2026-48`.",
            )
            return None
        return slug

    def _date_formats(self, fields: Fields, edition_language: str) -> dict[str, str]:
        """`date_format`: one pattern, for the edition's language (and every tag of it), or
        one for each language tag named (`{en: …, zh: …}`); by lower-cased tag. Other
        languages print the house form of their own."""
        written = fields.texts_by_name("date_format") or {}
        patterns: dict[str, str] = {}
        for name, (pattern, line) in written.items():
            if name and not LANGUAGE_TAG.match(name):
                self.report.error(
                    fields.path, line, f"`{name}` under `date_format` is not a language tag",
                    "Name each pattern's language by its BCP 47 tag, e.g. `en: \"{weekday}, {day} {month} "
                    "{year}\"` and `zh: \"{year}年{month_number}月{day}日（{weekday}）\"`.",
                )
                continue
            tag = name.lower() if name else primary(edition_language)
            if problem := pattern_problem(pattern, tag):
                self.report.error(
                    fields.path, line, problem,
                    "Use {weekday}, {day}, {month}, {month_number} and {year}, each in braces alone, e.g. "
                    "`date_format: \"{weekday}, {day} {month} {year}\"`; {month} and {weekday} are printed in "
                    "the article's language.",
                )
                continue
            patterns[tag] = pattern
        return patterns

    def _contents(self, fields: Fields, edition_language: str) -> _Contents | None:
        """The articles in reading order, and the sections that hold them, if the edition
        has `sections:` instead of `articles:`."""
        listed = self._listed(fields)
        if listed is None:
            return None
        entries = [entry for _, entries in listed for entry in entries]
        read, paths = self._articles(fields, entries, edition_language)
        articles = tuple(article for article in read.values() if article is not None)
        if not fields.fields.get("sections"):
            return _Contents(articles, (), paths)
        taken = {article.key for article in articles}
        sections = []
        for title, section_entries in listed:
            held = tuple(article for entry in section_entries if (article := read.get(entry)) is not None)
            key = unique("section-" + slugify(title or "", fallback="untitled"), taken)
            sections.append(Section(key, title or "", held))
        return _Contents(articles, tuple(sections), paths)

    def _listed(self, fields: Fields) -> list[tuple[str | None, list[tuple[str, int]]]] | None:
        """What the edition lists: (section title, [(article path, line)]) in order; one
        untitled part when it lists `articles:`. None when nothing can be read (reported)."""
        if "sections" in fields.fields:
            if "articles" in fields.fields:
                self.report.error(
                    fields.path, fields.line("sections"), "the edition lists both `articles:` and `sections:`",
                    "An edition of sections lists each section's articles under it: move the `articles:` "
                    "entries into the sections, or drop `sections:`.",
                )
                return None
            sections = fields.mappings("sections", "section")
            if not sections:
                if sections is not None:
                    self.report.error(
                        fields.path, fields.line("sections"), "the edition lists no sections",
                        "Give each section a `title:` and its `articles:`, or list the articles under "
                        "`articles:` for an edition of one part.",
                    )
                return None
            listed = []
            for section in sections:
                section.warn_unknown(SECTION_KEYS)
                _check_printable(section, ("title",), self.rules.printable)
                title = section.text("title")
                if not title:
                    self.report.error(
                        fields.path, section.line("title") or section.at, "this section has no `title:`",
                        "Name it as the running head and the contents should print it, e.g. `title: Hong Kong`.",
                    )
                entries = section.texts("articles")
                if not entries:
                    self.report.error(
                        fields.path, section.line("articles") or section.at,
                        f"the section `{title or '(untitled)'}` lists no articles",
                        "List its article files under its `articles:`, one `- path/to/article.md` a line.",
                    )
                listed.append((title, entries or []))
            return listed
        entries = fields.texts("articles")
        if not entries:
            if entries is not None or "articles" not in fields.fields:
                self.report.error(
                    fields.path, fields.line("articles") or 1, "the edition lists no articles",
                    "List the article files under `articles:`, one `- path/to/article.md` a line, "
                    "or under each of its `sections:`.",
                )
            return None
        return [(None, entries)]

    def _articles(
        self, fields: Fields, entries: list[tuple[str, int]], edition_language: str
    ) -> tuple[dict[tuple[str, int], Article | None], frozenset[Path]]:
        """Each listed article read, by its entry (None for one that could not be), and
        the files of all those listed that exist, read or not."""
        read: dict[tuple[str, int], Article | None] = {}
        seen: dict[Path, int] = {}
        keys: set[str] = set()
        for number, (entry, line) in enumerate(entries, 1):
            if self.on_article is not None:
                self.on_article(number - 1, len(entries))
            read[(entry, line)] = None
            path = self._article_path(entry, line, fields.path)
            if path is None:
                continue
            if path in seen:
                self.report.error(
                    fields.path, line, f"`{entry}` is listed twice", f"It is already at line {seen[path]}."
                )
                continue
            seen[path] = line
            key = unique(slugify(path.stem, fallback="article"), keys)
            read[(entry, line)] = _ArticleReader(
                path, key, edition_language, self.root, self.body_parser, self.rules, self.report
            ).read()
        if self.on_article is not None:
            self.on_article(len(entries), len(entries))
        self._warn_unlisted(set(seen), "sections" in fields.fields)
        return read, frozenset(seen)

    def _article_path(self, entry: str, line: int, edition_path: Path) -> Path | None:
        try:
            path = (self.root / entry).resolve()
            path.is_file()
        except (OSError, ValueError, RuntimeError) as error:  # a loop of links, a NUL, a name too long…
            self.report.error(
                edition_path, line, f"the article `{entry}` cannot be read: {_reason(error)}",
                f"Check the path; articles are listed relative to {self.root}.",
            )
            return None
        if not _is_inside(path, self.root):
            self.report.error(
                edition_path, line, f"`{entry}` is outside the manuscript directory",
                "Keep every article inside the manuscript folder and list it relative to it.",
            )
            return None
        if not path.is_file():
            self.report.error(
                edition_path, line, f"the article `{entry}` does not exist",
                f"Check the spelling; paths are relative to {self.root}.",
            )
            return None
        return path

    def _warn_unlisted(self, listed: set[Path], sectioned: bool) -> None:
        where = "a section's `articles:`" if sectioned else "`articles:`"
        for path in sorted(self.root.rglob("*.md")):
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError):  # a loop of links is no article; if listed, it is reported there
                continue
            if resolved not in listed and path.name.lower() != "readme.md":
                self.report.warning(
                    path, None, "this article is not listed in edition.yaml and is left out",
                    f"Add it under {where} to publish it.",
                )


# --- One article ---------------------------------------------------------------------


class _ArticleReader:
    def __init__(
        self, path: Path, key: str, edition_language: str, root: Path,
        body_parser: BodyParser, rules: _Rules, report: Diagnostics,
    ) -> None:
        self.path = path
        self.key = key
        self.edition_language = edition_language
        self.root = root
        self.body_parser = body_parser
        self.rules = rules
        self.report = report

    def read(self) -> Article | None:
        text = _read_text(self.path, self.rules.limits.text_bytes, self.report)
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
        _check_printable(fields, PRINTED_ARTICLE_KEYS, self.rules.printable)

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
        self._check_pull_quotes(body.blocks)
        self._check_printable_blocks(walk(body.blocks + body.corrections))
        for note in body.footnotes:
            self._check_printable(note.line, note.content)
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
                self._check_printable(block.line, run)
            # Words a block prints outside its inline runs.
            if isinstance(block, Figure) and block.credit:
                self._check_printable(block.line, block.credit)
            elif isinstance(block, Factbox) and block.title:
                self._check_printable(block.line, block.title)
            elif isinstance(block, Code):
                self._check_printable(block.line, block.code)

    def _check_printable(self, line: int, text: Inline | str) -> None:
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

    def _check_pull_quotes(self, blocks: tuple[Block, ...]) -> None:
        pull_quotes = [block for block in blocks if isinstance(block, PullQuote)]
        if not pull_quotes:  # nothing to check: the story need not be indexed
            return
        story = QuotableText(body_paragraph_texts(blocks))
        for block in pull_quotes:
            quoted = pull_quote_words(block.text)
            if not quoted:
                self.report.error(self.path, block.line, "the pull quote has only quotation marks, no words")
            elif not story.quotes(quoted):
                self._report_misquote(block.line, quoted, story)

    def _report_misquote(self, line: int, quoted: str, story: QuotableText) -> None:
        if (cut := story.cut_word(quoted)) is not None:
            self.report.error(
                self.path, line, f"the pull quote cuts a word of the article: “{quoted}” stands in “{cut.whole}”",
                "A pull quote must begin and end with whole words of its paragraph, so that it cannot drop "
                f"part of a word and say the opposite (un-, -n’t). Quote “{cut.whole}”, or choose other words.",
            )
            return
        hint = ("A pull quote must repeat, character for character, words of one paragraph of "
                "this article (no elisions). Check spelling, punctuation and quotation marks.")
        if (closest := story.closest(quoted)) is not None:
            at = closest.differs_at
            hint = (f"The closest passage of the article: “{_excerpt(closest.passage, at)}”. "
                    f"From “{quoted[:at][-20:]}” on, {difference(quoted, closest.passage, at, closest.edit)}.")
        self.report.error(self.path, line, f"the pull quote is not in the article: “{_excerpt(quoted, 0)}”", hint)


def _excerpt(passage: str, at: int, around: int = 80) -> str:
    """A long passage shortened to the words around `at`, where the sub-editor looks."""
    if len(passage) <= 2 * around:
        return passage
    start, end = max(at - around, 0), at + around
    return ("…" if start else "") + passage[start:end] + ("…" if end < len(passage) else "")


# --- Text rules shared by the checks --------------------------------------------------


def derived_identifier(slug: str, publisher: str | None) -> str:
    """A stable `urn:uuid:` for editions that give none: same slug and publisher, same id."""
    name = f"hkcq-press:{publisher or ''}:{slug}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _read_text(path: Path, limit: int, report: Diagnostics) -> str | None:
    """The file as text with a BOM dropped and every line end made `\\n`; None,
    with the problem reported, if it is too large or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > limit:
            report.error(
                path, None, f"the file is {_megabytes(size)}, over the limit of {_megabytes(limit)} for text",
                "Split the article, or raise the limit with --max-text-mb.",
            )
            return None
        data = path.read_bytes()
    except OSError as error:
        report.error(path, None, f"cannot be read: {error.strerror}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1)
        report.error(
            path, line, f"the file is not UTF-8 text (byte {column + 1} of the line, offset {error.start})",
            "Save the file as UTF-8 in your editor.",
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, content in enumerate(text.split("\n"), 1):
        for problem, hint in refusals(content):
            report.error(path, number, problem, hint)
    # Reported; the rest of the file is still read so every other problem shows too.
    return REFUSED.sub("", text)


def _check_printable(fields: Fields, keys: tuple[str, ...], printable: Printable | None) -> None:
    if printable is None:
        return
    for key in keys:
        for value, line in fields.scalars(key):
            if missing := unprintable_characters(value, printable.characters):
                fields.report.error(fields.path, line, *unprintable_message(f"`{key}`", missing, printable))


def _megabytes(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def check_image(written: str, referrer: Path, line: int, root: Path, limits: Limits, report: Diagnostics) -> Path:
    """The image file that `referrer` names at `line`, checked: a regular image file
    inside the manuscript `root`, within the size limit. Paths are relative to the
    referring file."""
    if urlsplit(written).scheme or written.startswith("//"):
        report.error(
            referrer, line, f"the image `{written}` is not a file in the manuscript",
            "Save the picture in the manuscript folder and give its path relative to this file.",
        )
        return Path(written)
    try:
        path = (referrer.parent / unquote(written)).resolve()
        problem = _image_problem(written, path, root, limits)
    except (OSError, ValueError, RuntimeError) as error:  # a loop of links, a NUL, a name too long…
        path, problem = referrer.parent / written, (
            f"the image `{written}` cannot be read: {_reason(error)}",
            "Check the path: it must name a picture file in the manuscript folder.",
        )
    if problem:
        report.error(referrer, line, *problem)
    return path


def _nearest_name(path: Path, written: str) -> str | None:
    """`written` with the name in the missing file's folder nearest its own
    (`chan-yuk-lan.jpg` for `chan-yuk-Ian.jpg`), if one is near."""
    try:
        names = [entry.name for entry in path.parent.iterdir() if entry.is_file()]
    except OSError:
        return None
    folded = {name.casefold(): name for name in names}
    close = difflib.get_close_matches(path.name.casefold(), folded, n=1, cutoff=NEAR_SPELLING)
    if not close:
        return None
    folder, slash, _ = written.rpartition("/")
    return f"{folder}{slash}{folded[close[0]]}"


def _image_problem(written: str, path: Path, root: Path, limits: Limits) -> tuple[str, str] | None:
    if not _is_inside(path, root):
        return (f"the image `{written}` is outside the manuscript directory",
                "Keep pictures inside the manuscript folder.")
    if not path.exists():
        near = _nearest_name(path, written)
        return (f"the image `{written}` does not exist",
                f"Did you mean `{near}`?" if near else
                "Check the spelling; image paths are relative to the file that names them.")
    if not path.is_file():
        return f"`{written}` is not a regular file", "Point to an image file."
    if (size := path.stat().st_size) > limits.image_bytes:
        return (
            f"the image `{written}` is {_megabytes(size)}, over the limit of {_megabytes(limits.image_bytes)}",
            "Save a smaller copy of the picture, or raise the limit with --max-image-mb.",
        )
    if not looks_like_image(path):
        return f"`{written}` is not a PNG, JPEG, GIF, WebP or SVG image", "Export the picture in one of these formats."
    if path.suffix.lower() == ".svg":
        if hazards := svg_hazards(path):
            return (
                f"the SVG `{written}` has {', '.join(hazards)}, which e-books refuse and which could run code "
                "or fetch from the network", "Export the picture again as plain SVG, or as PNG.",
            )
        return None
    try:
        width, height = pixels(path)
    except (OSError, SyntaxError, ValueError):
        return f"the image `{written}` is damaged: its header cannot be read", "Export or download the picture again."
    if width * height > limits.image_pixels:
        return (
            f"the image `{written}` is {width} × {height} pixels ({width * height / 1e6:.0f} megapixels), "
            f"over the limit of {limits.image_pixels / 1e6:.0f} megapixels",
            "Save a smaller copy of the picture (print needs about 2,000 pixels across a page), "
            "or raise the limit with --max-image-megapixels.",
        )
    if problem := damage(path):
        return f"the image `{written}` is {problem}", "The file is incomplete or damaged: export or copy it again."
    return None


def _reason(error: Exception) -> str:
    """What went wrong, in words: the system's for a file error, else the error's own."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error).split(":")[0].lower() or type(error).__name__


def _is_inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _check_internal_links(articles: tuple[Article, ...], listed: frozenset[Path], report: Diagnostics) -> None:
    """A link to another article or a crosshead must lead to one of this edition. A
    listed article that has errors of its own is still one: its errors are the cause
    to report, not the links to it."""
    anchors = {
        article.source: {block.anchor for block in walk(article.blocks) if isinstance(block, Crosshead)}
        for article in articles
    }
    for article in articles:
        for inline in _inlines(article):
            for token in inline.tokens:
                target = token.meta.get("target") if token.type == "link_open" else None
                if not isinstance(target, InternalTarget):
                    continue
                if target.article not in anchors:
                    if target.article in listed:
                        continue
                    report.error(
                        article.source, token.meta["line"], f"the link `{token.meta['written']}` leads to no article "
                        "of this edition", "Link to an article listed in edition.yaml, by its file name.",
                    )
                elif target.anchor is not None and target.anchor not in anchors[target.article]:
                    known = ", ".join(f"#{anchor}" for anchor in sorted(anchors[target.article])) or "none"
                    report.error(
                        article.source, token.meta["line"], f"the link `{token.meta['written']}` leads to no crosshead",
                        f"A crosshead's link is its words in lower case joined by hyphens; this article's: {known}.",
                    )


def _inlines(article: Article) -> list[Inline]:
    """Every run of inline copy of an article, where links can be."""
    blocks = walk(article.blocks + article.corrections)
    return [note.content for note in article.footnotes] + [run for block in blocks for run in block.inlines]
