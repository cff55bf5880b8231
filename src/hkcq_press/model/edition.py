"""The document model: what an edition says, independent of any file format.

The manuscript reader builds it once; the PDF and EPUB writers only read it.
The blocks of an article's body are in `model/blocks.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hkcq_press.model.blocks import Block, Correction, Figure, Footnote, walk
from hkcq_press.model.dates import pattern_for, printed_date, words_language


@dataclass(frozen=True, slots=True)
class Article:
    source: Path
    key: str
    """Stable, unique, file-name-safe name, used for ids and EPUB file names."""
    headline: str
    byline: tuple[str, ...]
    """As printed: names, prose ("Reporting by …"), or nothing for an unsigned piece."""
    blocks: tuple[Block, ...]
    corrections: tuple[Correction, ...] = ()
    """Set at the foot of the article, after the credit."""
    footnotes: tuple[Footnote, ...] = ()
    """Numbered in the article, in the order they are first referred to."""
    dek: str | None = None
    dateline: str | None = None
    date: str | None = None
    credit: str | None = None
    kicker: str | None = None
    language: str | None = None
    """Set only when the article's language differs from the edition's."""
    authors: tuple[str, ...] = ()
    """The people who wrote it, for the metadata (`authors:`); a byline is prose."""
    start: str | None = None
    """Where the print edition starts it (`start:`, one of `ARTICLE_STARTS`); None: as the edition says."""

    @property
    def byline_text(self) -> str:
        """Names as a reader expects them: `A`, `A and B`, `A, B and C`."""
        names = list(self.byline)
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} and {names[-1]}"

    @property
    def credit_line(self) -> str | None:
        """The credit as printed after the last paragraph: en dash attached."""
        if not self.credit:
            return None
        if self.credit[0] in "–—-":
            return self.credit
        return f"–{self.credit}"

    @property
    def note_calls(self) -> int:
        """How many times its copy calls a note: the print edition sets a note at each call."""
        runs = [run for block in walk(self.blocks + self.corrections) for run in block.inlines]
        return sum(1 for run in runs for token in run.tokens if token.type == "footnote_ref")

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure, those in lists, quotations and boxes included."""
        return tuple(block for block in walk(self.blocks + self.corrections) if isinstance(block, Figure))


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the edition with a title of its own (`sections:`): it starts a new page
    in print, names itself in the running head and the contents, and has a title page
    of its own in the e-book."""

    key: str
    """Unique among the edition's sections and articles: the id of its title."""
    title: str
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class PrintPart:
    """What one document of the print edition lays out: all of it, or a run of its
    sections, laid out beside the others and joined to them."""

    sections: tuple[Section, ...]
    front: bool = True
    """It opens the edition: the masthead and the contents."""
    back: bool = True
    """It closes the edition: the imprint."""


DEFAULT_PRINT_PPI = 300
"""The resolution a press prints pictures at: more pixels only make the PDF heavier."""
PRINT_PPI_RANGE = (150, 1200)
DEFAULT_BLEED_MM = 3.0
"""How far past the trim the printer wants pictures and backgrounds to run, with crop
marks (`bleed:`): 3 mm is what most presses ask for."""
BLEED_RANGE_MM = (1.0, 10.0)

PDF_VARIANTS = (
    "pdf/ua-1", "pdf/ua-2", "pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u",
    "pdf/a-1a", "pdf/a-2a", "pdf/a-3a", "pdf/a-4f", "pdf/x-1a", "pdf/x-3", "pdf/x-4",
)
"""The PDF variants a production desk may ask for, by WeasyPrint's names. Every one is
written tagged, so an archived edition stays accessible."""


MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
"""The picture types both editions carry (EPUB's core image types), by file suffix."""

PAGE_SIZES = {"a4": "A4", "letter": "letter", "tabloid": "11in 17in", "book": "6in 9in"}
"""Page sizes by the names editors use, as CSS `size` values (A4 is the house default)."""


ARTICLE_STARTS = ("flow", "page", "column")
"""Where the print edition starts an article: after the one before, under a rule, with
its headline across the columns (`flow`, the house default); on a new page; or at the
top of a new column, set in that column's width (for briefs, letters, corrections)."""
DEFAULT_ARTICLE_START = "flow"


CHINESE_FORMS = ("hong-kong", "taiwan", "mainland")
"""The Chinese glyph forms an edition may print in (`chinese_forms`); this desk
prints Hong Kong forms unless an edition asks otherwise."""
DEFAULT_CHINESE_FORMS = "hong-kong"


@dataclass(frozen=True, slots=True)
class PrintOptions:
    """What the production desk chooses for one print run; each choice wins over the
    edition's own (`pdf_variant`, `page_size` in edition.yaml)."""

    variant: str | None = None
    page_size: str | None = None
    print_marks: bool = False
    """Crop marks and a 3 mm bleed, for the printer."""


HOUSE_PRINT_OPTIONS = PrintOptions()


@dataclass(frozen=True, slots=True)
class Accessibility:
    """What an edition says of its accessibility (EPUB Accessibility 1.1); None or
    empty means the defaults the EPUB writer derives from the edition itself."""

    access_mode: tuple[str, ...] = ()
    access_mode_sufficient: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    hazards: tuple[str, ...] = ()
    summary: str | None = None
    certified_by: str | None = None


@dataclass(frozen=True, slots=True)
class Edition:
    source_dir: Path
    title: str
    language: str
    slug: str
    identifier: str
    articles: tuple[Article, ...]
    subtitle: str | None = None
    publisher: str | None = None
    date: str | None = None
    rights: str | None = None
    description: str | None = None
    isbn_print: str | None = None
    isbn_epub: str | None = None
    accessibility: Accessibility = Accessibility()
    cover: Path | None = None
    """The cover image; None: the e-book draws one from the title."""
    pdf_variant: str | None = None
    print_profile: Path | None = None
    """The printer's CMYK output profile for a PDF/X edition (`print_profile:`), checked."""
    print_ppi: int = DEFAULT_PRINT_PPI
    """Pictures are resampled for print to at most this many pixels an inch at their
    laid-out size (`print_ppi:`); never upsampled."""
    bleed_mm: float = DEFAULT_BLEED_MM
    """The bleed, in millimetres, of an edition printed with crop marks (`bleed:`)."""
    page_size: str | None = None
    chinese_forms: str = DEFAULT_CHINESE_FORMS
    date_formats: tuple[tuple[str, str], ...] = ()
    """How a day is printed, (lower-cased language tag, pattern), e.g. `("en", "{weekday}, {day} {month}
    {year}")`; a language with none (nor a shorter tag of it) prints its house form."""
    article_start: str = DEFAULT_ARTICLE_START
    """Where the print edition starts each article that does not say (`ARTICLE_STARTS`)."""
    sections: tuple[Section, ...] = ()
    """The edition's sections, which hold every article in order; none: one part, untitled."""

    @property
    def whole(self) -> PrintPart:
        return PrintPart(self.sections)

    @property
    def region_keys(self) -> frozenset[str]:
        """The ids of the parts both editions share, whose pages the e-book marks: articles and section titles."""
        return frozenset(part.key for part in (*self.articles, *self.sections))

    def notes_before(self, part: PrintPart) -> int:
        """The notes the print edition sets before `part`: it numbers its notes
        through the edition, so that no page shows one number twice, and a part laid
        out beside the others goes on from the parts before it."""
        if not part.sections or part.sections[0] not in self.sections:
            return 0
        before = self.sections[:self.sections.index(part.sections[0])]
        return sum(article.note_calls for section in before for article in section.articles)

    def start_of(self, article: Article) -> str:
        return article.start or self.article_start

    def section_of(self, article: Article) -> Section | None:
        return next(
            (section for section in self.sections if any(held.key == article.key for held in section.articles)), None
        )

    def print_runs(self, articles: tuple[Article, ...]) -> tuple[tuple[Article, ...], ...]:
        """`articles` in print order, those that start in a new column grouped with the
        ones right after them that do too: such a run shares one set of columns."""
        runs: list[list[Article]] = []
        for article in articles:
            column = self.start_of(article) == "column"
            if column and runs and self.start_of(runs[-1][-1]) == "column":
                runs[-1].append(article)
            else:
                runs.append([article])
        return tuple(tuple(run) for run in runs)

    @property
    def creators(self) -> tuple[str, ...]:
        """Who the metadata names as the edition's creators: the articles' authors, each
        once, else the publisher; never byline prose, which stores list as authors."""
        authors = tuple(dict.fromkeys(name for article in self.articles for name in article.authors))
        return authors or ((self.publisher,) if self.publisher else ())

    def printed_date(self, iso: str, language: str | None = None) -> str:
        """`iso` as the edition prints it, in `language` (an article's), else the edition's."""
        language = language or self.language
        return printed_date(iso, language, pattern_for(dict(self.date_formats), language))

    def date_words_language(self, iso: str, language: str | None = None) -> str | None:
        """The `lang` of `iso` as printed when its words are in another language than
        `language` (an article's, else the edition's): a month named in English in a
        French article."""
        language = language or self.language
        return words_language(iso, language, pattern_for(dict(self.date_formats), language))

    @property
    def credits(self) -> tuple[tuple[str, int], ...]:
        """Each news-exchange credit of the edition once, with the number of its articles:
        credits that differ only by a leading dash or by letter case are one, listed as
        first written, without the dash."""
        counts: dict[str, int] = {}
        shown: dict[str, str] = {}
        for article in self.articles:
            if article.credit:
                name = article.credit.lstrip("–—- ").strip()
                key = shown.setdefault(name.casefold(), name)
                counts[key] = counts.get(key, 0) + 1
        return tuple(sorted(counts.items()))

    @property
    def picture_credits(self) -> tuple[str, ...]:
        """Each picture credit of the edition once, in reading order, for the imprint."""
        credits = (figure.credit for article in self.articles for figure in article.figures if figure.credit)
        return tuple(dict.fromkeys(credits))
