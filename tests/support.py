"""What the tests read back from the built editions, independently of hkcq-press.

The expected copy comes from the source files (the desk's text, or a fixture
manuscript read here with a deliberately simple reader), never from hkcq-press's
own model, so a bug in the pipeline cannot agree with itself.
"""

from __future__ import annotations

import os
import datetime
import re
import shutil
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import yaml
from lxml import etree

from hkcq_press.verify.validators import Ace, Epubcheck

MM = 72 / 25.4
FURNITURE_BAND = 18 * MM
"""Running heads and folios sit in the page margins (20 mm and 22 mm in the house
style); body text never comes closer than this to the top or bottom edge."""

BREAK_AFTER = "-‐‑/–—"
"""Characters after which a line may end without a space in the copy."""

XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass
class ExpectedArticle:
    headline: str
    texts: list[str]
    """Every visible text of the article, in reading order."""
    credit: str | None
    byline: str
    pull_quotes: list[str] = field(default_factory=list)
    language: str | None = None


# --- Reading the copy as the desk wrote it -------------------------------------------


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def expected_from_source(path: Path) -> ExpectedArticle:
    """The agency's plain-text article: headline, dateline-led paragraphs, credit attached."""
    lines = path.read_text(encoding="utf-8").split("\n")
    paragraphs = [line for line in lines[1:] if line.strip()]
    last, credit = paragraphs[-1].rsplit(" –", 1)
    paragraphs[-1] = last
    credit = "–" + credit
    return ExpectedArticle(
        headline=lines[0], texts=[lines[0], "China Daily", *paragraphs, credit], credit=credit, byline="China Daily"
    )


def expected_from_manuscript(manuscript: Path, only: tuple[str, ...] | None = None) -> list[ExpectedArticle]:
    """A small reader of the manuscript format, enough for the fixtures (`only`: the
    articles of these file names, for an edition it cannot read whole)."""
    edition = yaml.load((manuscript / "edition.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    entries = edition.get("articles") or [entry for section in edition["sections"] for entry in section["articles"]]
    return [
        _expected_article(manuscript / entry, edition["language"])
        for entry in entries if only is None or Path(entry).stem in only
    ]


def desk_date(iso: str) -> str:
    """A day as an English-language desk prints it: `5 January 2026` (written here,
    independently of hkcq-press, with the C locale's month names)."""
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _expected_article(path: Path, edition_language: str) -> ExpectedArticle:
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    _, front, body = text.split("---\n", 2)
    meta = yaml.load(front, Loader=yaml.BaseLoader)
    byline = join_names(meta["byline"] if isinstance(meta["byline"], list) else [meta["byline"]])
    texts = [meta[key] for key in ("kicker", "headline", "dek") if meta.get(key)]
    texts.append(byline)
    if meta.get("date"):
        texts.append(desk_date(meta["date"]))
    pull_quotes = []
    dateline = meta.get("dateline")
    for chunk in (chunk.strip() for chunk in body.split("\n\n")):
        if not chunk:
            continue
        if chunk.startswith("::: pullquote"):
            quote = _inline(" ".join(chunk.split("\n")[1:-1]))
            pull_quotes.append(quote)
            texts.append(quote)
        elif chunk.startswith("## "):
            texts.append(_inline(chunk[3:]))
        elif chunk.startswith("!["):
            caption = re.search(r'"(.*)"\)$', chunk)
            if caption:
                texts.append(caption.group(1))
        else:
            paragraph = _inline(" ".join(chunk.split("\n")))
            if dateline:
                paragraph, dateline = f"{dateline}: {paragraph}", None
            texts.append(paragraph)
    credit = "–" + meta["credit"] if meta.get("credit") else None
    if credit:
        texts.append(credit)
    language = meta.get("language")
    return ExpectedArticle(
        meta["headline"], texts, credit, byline, pull_quotes,
        language if language != edition_language else None,
    )


def _inline(markdown: str) -> str:
    return re.sub(r"(?<!\w)[*_]+|[*_]+(?!\w)", "", markdown)


# --- Reading the built PDF -----------------------------------------------------------


def _pdftotext(pdf: Path, top: float, height: float) -> list[str]:
    """Lines of text in a horizontal band of every page, in content-stream order
    (poppler's `-raw`), which for WeasyPrint is the document's reading order."""
    with pikepdf.open(pdf) as document:
        width = max(float(page.MediaBox[2]) for page in document.pages)
    output = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-r", "72",
         "-x", "0", "-y", str(round(top)), "-W", str(round(width) + 1), "-H", str(round(height)),
         str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    return [line for line in output.replace("\f", "\n").split("\n") if line.strip()]


def _page_height(pdf: Path) -> float:
    with pikepdf.open(pdf) as document:
        return float(document.pages[0].MediaBox[3])


def pdf_lines(pdf: Path) -> list[str]:
    """Text lines of the PDF in reading order, page furniture set aside."""
    return _pdftotext(pdf, FURNITURE_BAND, _page_height(pdf) - 2 * FURNITURE_BAND)


def opening_pages(pdf: Path) -> list[int]:
    """The page (from 1) each top-level bookmark, one per article, points to."""
    with pikepdf.open(pdf) as document, document.open_outline() as outline:
        pages = {page.objgen: number for number, page in enumerate(document.pages, 1)}
        return [pages[item.destination[0].objgen] for item in outline.root]


def pdf_page_texts(pdf: Path, *options: str) -> list[str]:
    """Each page's text, from one run of poppler's `pdftotext` with `options` (a crop
    applies to every page): the file read once, not once a page."""
    output = subprocess.run(["pdftotext", "-enc", "UTF-8", *options, str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
    return output.split("\f")[:-1]  # each page's text ends in a form feed


def running_heads(pdf: Path) -> list[str]:
    """The text in each page's top margin."""
    return [" ".join(text.split()) for text in pdf_page_texts(
        pdf, "-raw", "-r", "72", "-x", "0", "-y", "0", "-W", "2000", "-H", str(round(FURNITURE_BAND)))]


def folios(pdf: Path) -> list[str]:
    """The text in each page's bottom margin."""
    height = _page_height(pdf)
    return [" ".join(text.split()) for text in pdf_page_texts(
        pdf, "-raw", "-r", "72", "-x", "0", "-y", str(round(height - FURNITURE_BAND)), "-W", "2000",
        "-H", str(round(FURNITURE_BAND)))]


def pdf_furniture(pdf: Path) -> list[str]:
    """The text in the page margins: running heads and folios."""
    height = _page_height(pdf)
    return _pdftotext(pdf, 0, FURNITURE_BAND) + _pdftotext(pdf, height - FURNITURE_BAND, FURNITURE_BAND)


@dataclass(frozen=True)
class Line:
    text: str
    left: float
    """Where the line's first word starts, in points from the page's left edge."""


def column_lines(pdf: Path) -> list[list[list[Line]]]:
    """The body's lines, page by page and column by column (left, then right), from
    the words' positions (poppler's `-bbox`); the margins' furniture left out."""
    output = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    root = etree.fromstring(output.encode("utf-8"), etree.XMLParser(recover=True))
    pages = []
    for page in root.iter(f"{XHTML}page"):
        width, height = float(page.get("width")), float(page.get("height"))
        columns: list[dict[float, list[tuple[float, str]]]] = [{}, {}]
        for word in page.iter(f"{XHTML}word"):
            top, left = float(word.get("yMin")), float(word.get("xMin"))
            if top < FURNITURE_BAND or float(word.get("yMax")) > height - FURNITURE_BAND:
                continue
            column = columns[0 if left < width / 2 else 1]
            baseline = round(float(word.get("yMax")), 1)
            column.setdefault(baseline, []).append((left, word.text or ""))
        pages.append([
            [
                Line(" ".join(text for _, text in sorted(column[baseline])), min(column[baseline])[0])
                for baseline in sorted(column)
            ]
            for column in columns
        ])
    return pages


def flow(lines: list[str]) -> str:
    """Lines joined as a stream: spaces collapsed, line ends kept as `\\n` (`pattern`
    knows where a line may end)."""
    text = "\n".join(" ".join(line.split()) for line in lines)
    return unicodedata.normalize("NFC", re.sub(r"\n+", "\n", text))


RENDERER_HYPHEN = "\u2010"
"""What the renderer prints where it hyphenates a word at a line end (CSS's default
`hyphenate-character`)."""


def pattern(expected: str, any_break: bool = False) -> re.Pattern[str]:
    """Matches `expected` as laid out in lines: a space may be a line end; a line may
    also end, with no space, after a hyphen, a slash or a dash, and on either side
    of a Chinese (wide) character; a word may be hyphenated at a line end between
    two letters, with the renderer's hyphen. With `any_break`, a line may end
    between any two characters, as Unicode line breaking allows in scripts and
    punctuation this list does not know."""
    text = collapse(expected)
    parts = []
    for index, char in enumerate(text):
        if char == " ":
            parts.append("[ \n]")
            continue
        following = text[index + 1:index + 2]
        breaks = any_break or char in BREAK_AFTER or _wide(char) or _wide(following)
        hyphenable = char.isalpha() and following.isalpha() and not _wide(char) and not _wide(following)
        if hyphenable:
            gap = f"(?:{RENDERER_HYPHEN}?\n)?" if breaks else f"(?:{RENDERER_HYPHEN}\n)?"
        else:
            gap = "\n?" if breaks else ""
        parts.append(re.escape(char) + gap)
    return re.compile("".join(parts))


def _wide(char: str) -> bool:
    return bool(char) and unicodedata.east_asian_width(char) in ("W", "F")


# --- How full the pages are -----------------------------------------------------------

LINE = 9.5 * 1.42
"""A line of body copy in the house style, in points."""


@dataclass(frozen=True)
class PageFill:
    """What a page's text area holds, in each half of its width (the columns; a
    one-column page's lines lie in both): the vertical spans where something is
    printed (text, pictures, rules), merged where less than a line apart."""

    top: float
    bottom: float
    halves: tuple[list[tuple[float, float]], list[tuple[float, float]]]

    @property
    def emptiness(self) -> float:
        """The share of the text area left white, in both halves together."""
        height = self.bottom - self.top
        filled = sum(min(end, self.bottom) - max(start, self.top) for half in self.halves for start, end in half)
        return 1 - filled / (2 * height)

    def white_at_foot(self) -> tuple[float, float]:
        """How far, in points, each half's last printing is above the text area's foot."""
        return tuple(self.bottom - (half[-1][1] if half else self.top) for half in self.halves)  # type: ignore[return-value]


def page_fill(pdf: Path) -> list[PageFill]:
    """Each page's `PageFill`, from the positions of what PDFium finds drawn on it (page
    furniture in the margins aside); the text area is the span the edition's pages
    print in, its fullest pages' extent."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            width, height = page.get_size()
            spans: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])
            for item in page.get_objects(max_depth=8):
                if item.type == pypdfium2.raw.FPDF_PAGEOBJ_FORM:
                    continue
                left, bottom, right, top = item.get_bounds()
                start, end = height - top, height - bottom  # from the top edge, downwards
                if start < FURNITURE_BAND or end > height - FURNITURE_BAND:
                    continue
                for number, (half_left, half_right) in enumerate(((0, width / 2), (width / 2, width))):
                    if left < half_right and right > half_left:
                        spans[number].append((start, end))
            pages.append(tuple(_merged(sorted(half)) for half in spans))
    finally:
        document.close()
    top = min(half[0][0] for halves in pages for half in halves if half)
    bottom = max(half[-1][1] for halves in pages for half in halves if half)
    return [PageFill(top, bottom, halves) for halves in pages]  # type: ignore[arg-type]


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < LINE:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


WORD_STOCK = (
    "the council said on monday that trade between chongqing and hong kong rose again in october as "
    "rail freight grew and new services opened for small firms who ship parts and food across the border "
    "officials expect the figures to hold through winter while lenders warn of slower demand next year"
)


def generated_article(seed: int, paragraphs: int, front_matter: str = "", figure_after: int | None = None,
                      image: str = "../images/picture.png") -> str:
    """An article of `paragraphs` paragraphs of 30 to 110 words, the same for the same
    seed, with a figure after paragraph `figure_after` (0: before the first)."""
    import random

    chance = random.Random(seed)
    stock = WORD_STOCK.split()
    lines = [f"---\nheadline: Generated story {seed} on trade and freight\nbyline: Desk {seed}\n{front_matter}---\n"]
    for number in range(paragraphs):
        if figure_after == number:
            lines.append(f"![A picture for story {seed}]({image})\nThe picture of story {seed}.\nPhoto: Desk\n")
        words = [chance.choice(stock) for _ in range(chance.randint(30, 110))]
        lines.append(" ".join(words).capitalize() + ".\n")
    if figure_after == paragraphs:
        lines.append(f"![A picture for story {seed}]({image})\nThe picture of story {seed}.\nPhoto: Desk\n")
    return "\n".join(lines)


def generated_edition(root: Path, articles: list[str], edition_lines: str = "",
                      picture: tuple[int, int] = (1200, 800), sections: list[int] | None = None) -> Path:
    """A manuscript at `root` of the given article files, with a picture of `picture`
    pixels at images/picture.png; in `sections` of these many articles each, titled
    `Section 1`, `Section 2`…, if given."""
    from PIL import Image

    (root / "articles").mkdir(parents=True)
    (root / "images").mkdir()
    Image.new("RGB", picture, (90, 110, 140)).save(root / "images" / "picture.png")
    names = []
    for number, text in enumerate(articles, 1):
        name = f"articles/story-{number:02d}.md"
        (root / name).write_text(text, encoding="utf-8")
        names.append(name)
    if sections is None:
        listing = "articles:\n" + "".join(f"  - {name}\n" for name in names)
    else:
        assert sum(sections) == len(names)
        starts = [sum(sections[:number]) for number in range(len(sections))]
        listing = "sections:\n" + "".join(
            f"  - title: Section {number}\n    articles:\n" + "".join(f"      - {name}\n" for name in names[start:start + size])
            for number, (start, size) in enumerate(zip(starts, sections, strict=True), 1)
        )
    (root / "edition.yaml").write_text(
        f"title: The Generated Edition of a Week of Trade News\nlanguage: en\npublisher: Test Desk\ndate: 2026-11-23\n{edition_lines}"
        f"{listing}", encoding="utf-8",
    )
    return root


# --- Reading the fonts and glyphs of the built PDF -------------------------------------


# --- Reading the built EPUB ----------------------------------------------------------

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "pre"}


@dataclass
class EpubDocument:
    name: str
    root: etree._Element

    def article(self) -> etree._Element:
        return self.root.find(f".//{XHTML}article")

    def blocks(self) -> list[str]:
        """Visible text of each block of the article, in document order."""
        return [
            collapse("".join(element.itertext()))
            for element in self.article().iter()
            if isinstance(element.tag, str) and element.tag.removeprefix(XHTML) in BLOCKS
        ]


def epub_documents(epub: Path) -> list[EpubDocument]:
    """The spine's article documents, in reading order (the cover, title page, contents
    and colophon left out)."""
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_path))
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        manifest = {item.get("id"): item for item in opf.find("{*}manifest")}
        documents = []
        for itemref in opf.find("{*}spine"):
            item = manifest[itemref.get("idref")]
            if "nav" in (item.get("properties") or "").split():
                continue
            name = base + item.get("href")
            document = EpubDocument(name, etree.fromstring(archive.read(name)))
            if document.article() is not None:
                documents.append(document)
        return documents


def in_order(stream: str, expected: list[str], any_break: bool = False) -> list[tuple[int, int]]:
    """Positions of each expected text in `stream`, each after the previous one.
    Fails with the first text that is missing."""
    spans = []
    position = 0
    for text in expected:
        match = pattern(text, any_break).search(stream, position)
        assert match, f"not found (in order) in the edition: {text!r}\nafter: {stream[max(0, position - 200):position]!r}"
        spans.append(match.span())
        position = match.end()
    return spans


# --- Validators -----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "google-chrome", "chromium-browser")


def browser_path() -> str:
    """The system's Chromium (or $ACE_BROWSER), which Ace and the preview's tests drive."""
    browser = os.environ.get("ACE_BROWSER") or next(filter(None, map(shutil.which, BROWSERS)), None)
    assert browser, "Chromium is not installed: run `make setup`"
    return browser


def epubcheck_messages(epub: Path) -> list[str]:
    """Everything epubcheck says of `epub`, whatever its level, run as `verify` runs it."""
    return [str(problem) for problem in Epubcheck.find().check(epub, epub)]


def ace_violations(epub: Path) -> list[str]:
    """Every violation Ace by DAISY reports in `epub`, run as `verify` runs it."""
    return [str(problem) for problem in Ace.find().check(epub, epub)]


def temporary_files(folder: Path) -> list[str]:
    """What builds left in a temporary folder, but the compiled layouts kept on purpose."""
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith("_jinja2-cache"))
