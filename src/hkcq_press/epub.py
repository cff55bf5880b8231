"""The e-book edition: model → one XHTML document per article (house style) → ebooklib → EPUB 3."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ebooklib import epub

from .model import Article, Edition, Figure
from .render import HouseStyle

ARTICLE_LAYOUT = "epub/article.xhtml"
STYLESHEETS = ("epub.css", "house.css")
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class EpubResult:
    documents: int


def modification_time() -> datetime:
    """`dcterms:modified`: from SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc)


def write_epub(edition: Edition, style: HouseStyle, target: Path) -> EpubResult:
    book = epub.EpubBook()
    book.set_identifier(f"urn:isbn:{edition.isbn_epub}" if edition.isbn_epub else edition.identifier)
    book.set_title(edition.title)
    book.set_language(edition.language)
    authors = dict.fromkeys(name for article in edition.articles for name in article.byline)
    for number, name in enumerate(authors, 1):
        book.add_author(name, uid=f"creator-{number}")
    for field in ("publisher", "date", "rights", "description"):
        value = getattr(edition, field)
        if value:
            book.add_metadata("DC", field, value)

    stylesheets = []
    for name in STYLESHEETS:
        item = epub.EpubItem(
            uid=f"css-{Path(name).stem}", file_name=f"styles/{name}", media_type="text/css",
            content=style.find(name).read_bytes(),
        )
        book.add_item(item)
        stylesheets.append(f"../{item.file_name}")

    image_names = _add_images(book, edition)
    documents = []
    for article in edition.articles:
        document = epub.EpubItem(
            uid=f"article-{article.key}", file_name=f"text/{article.key}.xhtml",
            media_type="application/xhtml+xml",
            content=_article_xhtml(edition, article, style, stylesheets, image_names).encode("utf-8"),
        )
        book.add_item(document)
        documents.append((article, document))

    book.toc = [epub.Link(document.file_name, article.headline, document.id) for article, document in documents]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *(document for _, document in documents)]
    modified = modification_time()
    epub.write_epub(str(target), book, {"mtime": modified, "raise_exceptions": True})
    _make_reproducible(target, modified)
    return EpubResult(documents=len(documents))


def _make_reproducible(path: Path, modified: datetime) -> None:
    """Rewrite the archive so the same manuscript gives the same bytes: ebooklib stamps
    entries with the current local time. Every entry gets `modified` (UTC, whatever the
    machine's time zone), fixed permissions, and `mimetype` stays first and stored."""
    stamp = modified.astimezone(timezone.utc).timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))  # the earliest time a zip can hold
    with zipfile.ZipFile(path) as original:
        entries = [(info.filename, original.read(info)) for info in original.infolist()]
    entries.sort(key=lambda entry: entry[0] != "mimetype")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)


def _article_xhtml(
    edition: Edition, article: Article, style: HouseStyle, stylesheets: list[str], image_names: dict[Path, str]
) -> str:
    return style.render(
        ARTICLE_LAYOUT,
        edition=edition,
        article=article,
        stylesheets=stylesheets,
        image_url=lambda figure: f"../{image_names[figure.source]}",
    )


def _add_images(book: epub.EpubBook, edition: Edition) -> dict[Path, str]:
    """Each image file once, under a name unique in the book."""
    names: dict[Path, str] = {}
    figures: list[Figure] = [figure for article in edition.articles for figure in article.figures]
    for figure in figures:
        if figure.source in names:
            continue
        suffix = figure.source.suffix.lower()
        name = f"images/image-{len(names) + 1:03d}{suffix}"
        names[figure.source] = name
        book.add_item(epub.EpubItem(
            uid=f"image-{len(names):03d}", file_name=name, media_type=MEDIA_TYPES[suffix],
            content=figure.source.read_bytes(),
        ))
    return names
