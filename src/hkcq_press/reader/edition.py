"""The manuscript reader: `edition.yaml` and the article files it lists → an `Edition`.

The only way into the user's source files (through `article.py` and `files.py`). It
reports every problem it finds with the file and line, and the articles prove that
each pull quote repeats words of its own article, so no layout can ever misquote.
"""

from __future__ import annotations

import re
import uuid

import isbnlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hkcq_press.errors import Diagnostics, Problem
from hkcq_press.profiles import profile_problem
from hkcq_press.model.blocks import Crosshead, Inline, InternalTarget, walk
from hkcq_press.model.dates import pattern_problem, primary
from hkcq_press.model.edition import (
    BLEED_RANGE_MM,
    DEFAULT_BLEED_MM,
    DEFAULT_PRINT_PPI,
    PRINT_PPI_RANGE,
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
from hkcq_press.reader.article import ArticleReader, Rules, check_printable
from hkcq_press.reader.body import BodyParser
from hkcq_press.reader.characters import Printable
from hkcq_press.reader.files import DEFAULT_LIMITS, Limits, check_image, is_inside, read_text, reason
from hkcq_press.reader.naming import slugify, unique
from hkcq_press.reader.yamlfields import LANGUAGE_TAG, Fields, read_mapping

EDITION_FILE = "edition.yaml"

EDITION_KEYS = (
    "title", "subtitle", "language", "publisher", "identifier", "isbn_print", "isbn_epub",
    "date", "rights", "description", "slug", "articles", "accessibility", "cover", "pdf_variant", "print_profile",
    "print_ppi", "bleed",
    "page_size", "chinese_forms", "date_format", "article_start", "sections",
)

SECTION_KEYS = ("title", "articles")

ACCESSIBILITY_KEYS = ("access_mode", "access_mode_sufficient", "features", "hazards", "summary", "certified_by")

PRINTED_EDITION_KEYS = ("title", "subtitle", "publisher", "date", "rights")

LONGEST_SLUG = 100
"""Characters of a slug at most: with `.epub` and the staging prefix, a name every file system takes."""
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

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
        self.rules = Rules(limits, None)
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
        text = read_text(edition_path, self.rules.limits.text_bytes, self.report)
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
            self.rules = Rules(self.rules.limits, self.repertoire(chinese_forms))
        check_printable(fields, PRINTED_EDITION_KEYS, self.rules.printable)

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
        isbn_print, isbn_epub = self._isbn(fields, "isbn_print"), self._isbn(fields, "isbn_epub")
        accessibility = self._accessibility(fields)
        pdf_variant = fields.choice("pdf_variant", PDF_VARIANTS, "a PDF variant hkcq-press writes")
        print_profile = self._print_profile(fields)
        print_ppi = self._print_ppi(fields)
        bleed_mm = self._bleed(fields)
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
            print_profile=print_profile,
            print_ppi=print_ppi,
            bleed_mm=bleed_mm,
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

    def _print_ppi(self, fields: Fields) -> int:
        """The resolution pictures are resampled to for print, a whole number in range."""
        written = fields.text("print_ppi")
        if written is None:
            return DEFAULT_PRINT_PPI
        lowest, highest = PRINT_PPI_RANGE
        if written.isdigit() and lowest <= int(written) <= highest:
            return int(written)
        self.report.error(
            fields.path, fields.line("print_ppi"), f"`print_ppi: {written}` is not a resolution hkcq-press prints at",
            f"Give the printer's resolution for pictures, a whole number of pixels an inch from {lowest} to "
            f"{highest} (most presses ask for 300).",
        )
        return DEFAULT_PRINT_PPI

    def _bleed(self, fields: Fields) -> float:
        """The bleed the printer asks for, in millimetres (`3mm`, `3 mm` or `3`), in range."""
        written = fields.text("bleed")
        if written is None:
            return DEFAULT_BLEED_MM
        lowest, highest = BLEED_RANGE_MM
        found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:mm)?", written.strip())
        if found and lowest <= float(found[1]) <= highest:
            return float(found[1])
        self.report.error(
            fields.path, fields.line("bleed"), f"`bleed: {written}` is not a bleed hkcq-press prints",
            f"Give the bleed your printer asks for in millimetres, from {lowest:g} to {highest:g} (most ask for 3mm).",
        )
        return DEFAULT_BLEED_MM

    def _print_profile(self, fields: Fields) -> Path | None:
        """The printer's output profile, a file of the manuscript, checked as one before
        anything is laid out (`profiles.profile_problem`)."""
        written = fields.text("print_profile")
        if written is None:
            return None
        path = self.root / written
        if not is_inside(path, self.root):
            problem = "is outside the manuscript folder"
        elif not path.resolve().is_file():
            problem = "does not exist, or is not a regular file"
        else:
            problem = profile_problem(path.resolve())
            if problem is None:
                return path.resolve()
        self.report.error(
            fields.path, fields.line("print_profile"), f"`print_profile: {written}` {problem}",
            "Name the .icc file the printer supplies for its press (a CMYK output profile, such as "
            "ISOcoated_v2 or PSO Uncoated), kept in the manuscript folder.",
        )
        return None

    def _isbn(self, fields: Fields, key: str) -> str | None:
        """An ISBN, its hyphens and spaces dropped, checked by its check digit."""
        written = fields.text(key)
        if written is None:
            return None
        digits = isbnlib.canonical(written)
        if isbnlib.is_isbn13(digits) or isbnlib.is_isbn10(digits):
            return str(digits)
        line = fields.line(key)
        if len(digits) == 13 and digits[:12].isdigit():
            expected = isbnlib.check_digit13(digits[:12])
            problem = f"its check digit is {digits[-1]}, where its first twelve digits make it {expected}"
        elif len(digits) == 10 and digits[:9].isdigit():
            expected = isbnlib.check_digit10(digits[:9])
            problem = f"its check digit is {digits[-1]}, where its first nine digits make it {expected}"
        else:
            problem = "an ISBN has 13 digits (or 10, before 2007)"
        self.report.error(
            fields.path, line, f"`{key}: {written}` is not an ISBN: {problem}",
            "Copy the ISBN from the agency's record: a digit mistyped changes the check digit.",
        )
        return None

    def _slug(self, fields: Fields, title: str) -> str | None:
        slug = fields.text("slug")
        if slug is None:
            return slugify(title)
        if not _SLUG.match(slug) or len(slug) > LONGEST_SLUG:
            self.report.error(
                fields.path, fields.line("slug"), f"`{slug[:60]}{'…' if len(slug) > 60 else ''}` cannot be used "
                "as a file name",
                f"Use letters, digits, `-`, `_` and `.` only, at most {LONGEST_SLUG} of them, for example "
                "`slug: weekly-2026-48`.",
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
                check_printable(section, ("title",), self.rules.printable)
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
            read[(entry, line)] = ArticleReader(
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
                edition_path, line, f"the article `{entry}` cannot be read: {reason(error)}",
                f"Check the path; articles are listed relative to {self.root}.",
            )
            return None
        if not is_inside(path, self.root):
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


def derived_identifier(slug: str, publisher: str | None) -> str:
    """A stable `urn:uuid:` for editions that give none: same slug and publisher, same id."""
    name = f"hkcq-press:{publisher or ''}:{slug}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


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
