"""The e-book edition: model → XHTML (house style) → ebooklib → EPUB 3.

One document per article, plus the book's own pages (cover, title page, colophon),
the house typefaces cut down to the book's characters, EPUB Accessibility 1.1
metadata, and an archive rewritten so the same manuscript gives the same bytes.
"""

from __future__ import annotations

import contextlib
import posixpath
import textwrap
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from ebooklib import epub
from lxml import etree

from hkcq_press.epub.pictures import for_the_reader
from hkcq_press.model.blocks import PullQuote, Table, walk
from hkcq_press.errors import ManuscriptError, Problem
from hkcq_press.style.fonts import FontFace, chinese_fonts, house_fonts, subset_font
from hkcq_press.markup.inline import InlineMarkup
from hkcq_press.model.edition import MEDIA_TYPES, Article, Edition, Figure
from hkcq_press.markup.chinese import mark_chinese_runs
from hkcq_press.markup.pagemap import PageStart, PageTarget, mark_pages, marker_id
from hkcq_press.outputs import build_date
from hkcq_press.style.house import HouseStyle
from hkcq_press.style.stylesheets import FONTS_STYLESHEET, STYLESHEETS, stylesheet

ARTICLE_LAYOUT = "epub/article.xhtml"
NAV = "nav.xhtml"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
"""As the layouts write it."""
FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


@dataclass(frozen=True, slots=True)
class EpubResult:
    documents: int


def modification_time() -> datetime:
    """`dcterms:modified`: from SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    return build_date() or datetime.now(tz=timezone.utc)


@dataclass(frozen=True, slots=True)
class NavEntry:
    href: str
    title: str
    language: str | None = None
    kind: str = ""
    """A landmark's `epub:type`."""
    entries: tuple[NavEntry, ...] = ()
    """A section's articles, listed under it."""


def write_epub(
    edition: Edition, style: HouseStyle, target: Path, verified_by: tuple[str, ...] = (),
    page_starts: tuple[PageStart, ...] = (),
) -> EpubResult:
    """`verified_by` names the validators the file will pass before it is published
    (`build --verify`), for the accessibility summary to say so; `page_starts` are
    where the print edition's pages begin, marked in the text and listed in the
    navigation document."""
    book = epub.EpubBook()
    # The program that made the book is hkcq-press, as the print edition says; not the
    # library's version, which would make every allowed ebooklib write other bytes.
    book.set_unique_metadata("OPF", "generator", "", {"name": "generator", "content": "hkcq-press"})
    book.set_identifier(book_identifier(edition))
    book.set_title(edition.title)
    book.set_language(edition.language)
    for number, name in enumerate(edition.creators, 1):
        book.add_author(name, uid=f"creator-{number}")
    for field in ("publisher", "date", "rights", "description"):
        value = getattr(edition, field)
        if value:
            book.add_metadata("DC", field, value)
    for prop, value, attributes in accessibility_metadata(edition, verified_by, bool(page_starts)):
        book.add_metadata(None, "meta", value, {"property": prop, **attributes})
    if page_starts:
        # The printed pages the markers and the page list follow (EPUB Accessibility 1.1).
        book.add_metadata("DC", "source", print_identifier(edition))
        book.add_metadata(None, "meta", print_identifier(edition), {"property": "pageBreakSource"})

    stylesheets = []
    for name in STYLESHEETS["epub"]:
        item = epub.EpubItem(
            uid=f"css-{Path(name).stem}", file_name=f"styles/{name}", media_type="text/css",
            content=stylesheet(style, name),
        )
        book.add_item(item)
        stylesheets.append(f"../{item.file_name}")
    stylesheets.extend(_add_chinese_fonts(book, edition, style))

    image_names = _add_images(book, edition)
    cover_name = _add_cover_image(book, edition, style)
    own_pages = {
        name: _own_page(book, edition, style, name, stylesheets, cover_url=f"../{cover_name}")
        for name in ("cover", "titlepage", "colophon")
    }
    # Articles are documents side by side in text/: a link names the other's file.
    inline = InlineMarkup(edition, "epub", lambda article: f"{article.key}.xhtml")
    documents = {
        article.key: _add_document(
            book, f"article-{article.key}", f"text/{article.key}.xhtml",
            _article_xhtml(edition, article, style, stylesheets, image_names, inline),
        )
        for article in edition.articles
    }
    section_pages = {
        section.key: _add_document(
            book, section.key, f"text/{section.key}.xhtml",
            style.render("epub/section.xhtml", edition=edition, section=section, stylesheets=stylesheets),
        )
        for section in edition.sections
    }
    contents = _contents(edition, documents, section_pages)
    by_name = {document.file_name: document for document in (*documents.values(), *section_pages.values())}

    keys = edition.region_keys
    pages = _finish_documents(book, edition, page_starts, keys)
    nav = epub.EpubItem(
        uid="nav", file_name=NAV, media_type="application/xhtml+xml",
        content=_finished(_nav_xhtml(edition, style, contents, stylesheets, pages), edition, page_starts, keys)[0],
    )
    nav.properties = ["nav"]
    book.add_item(nav)
    _add_fonts(book, style, [page.content.decode("utf-8") for page in book.get_items_of_media_type(
        "application/xhtml+xml")])
    # The EPUB 2 table of contents, for older reading systems; EPUB 3 ones read `nav`.
    book.toc = [
        epub.Link(own_pages["titlepage"].file_name, "Title page", "toc-titlepage"),
        *(_ncx_entry(entry, by_name) for entry in contents),
        epub.Link(own_pages["colophon"].file_name, "Colophon", "toc-colophon"),
    ]
    book.add_item(epub.EpubNcx())
    book.spine = [
        (own_pages["cover"], "no"), own_pages["titlepage"], "nav",
        *(by_name[href] for entry in contents for href in (entry.href, *(held.href for held in entry.entries))),
        own_pages["colophon"],
    ]
    modified = modification_time()
    options = {"mtime": modified, "raise_exceptions": True, "epub2_guide": False}
    # ebooklib's `write_epub` as it is, but its archive closed however writing ends: on a
    # full disk it warned, and left the archive to fail again as the program exited.
    writer = epub.EpubWriter(str(target), book, options)
    writer.process()
    try:
        writer.write()
    finally:
        archive = getattr(writer, "out", None)
        if archive is not None and archive.fp is not None:
            with contextlib.suppress(OSError):  # the error that stopped the writing is the one told
                archive.close()
    _finish_archive(target, modified, edition.language)
    return EpubResult(documents=len(documents))


def _add_document(book: epub.EpubBook, uid: str, file_name: str, content: str) -> epub.EpubItem:
    document = epub.EpubItem(uid=uid, file_name=file_name, media_type="application/xhtml+xml",
                             content=content.encode("utf-8"))
    book.add_item(document)
    return document


def _contents(
    edition: Edition, documents: dict[str, epub.EpubItem], section_pages: dict[str, epub.EpubItem]
) -> list[NavEntry]:
    """The book's contents in reading order: the articles, under their sections if it has any."""
    def listed(articles: tuple[Article, ...]) -> list[NavEntry]:
        return [NavEntry(documents[article.key].file_name, article.headline, article.language) for article in articles]

    if not edition.sections:
        return listed(edition.articles)
    return [
        NavEntry(section_pages[section.key].file_name, section.title, entries=tuple(listed(section.articles)))
        for section in edition.sections
    ]


def _ncx_entry(
    entry: NavEntry, by_name: dict[str, epub.EpubItem]
) -> epub.Link | tuple[epub.Section, list[epub.Link]]:
    """The EPUB 2 table of contents' entry: a section holds its articles."""
    if not entry.entries:
        return epub.Link(entry.href, entry.title, by_name[entry.href].id)
    return (epub.Section(entry.title, entry.href), [_ncx_entry(article, by_name) for article in entry.entries])


def _finish_documents(
    book: epub.EpubBook, edition: Edition, page_starts: tuple[PageStart, ...], keys: frozenset[str]
) -> list[PageTarget]:
    """Finish each document (`_finished`); the page list, in page order."""
    found: dict[int, PageTarget] = {}
    for document in book.get_items_of_media_type("application/xhtml+xml"):
        document.content, marked = _finished(document.content, edition, page_starts, keys)
        for start in marked:
            found[start.page] = PageTarget(str(start.page), document.file_name, marker_id(start))
    for start in page_starts:  # pages that begin in the print contents: marked in the navigation document
        if start.region == "contents":
            found[start.page] = PageTarget(str(start.page), NAV, marker_id(start))
    return [found[page] for page in sorted(found)]


def _finished(
    document: bytes, edition: Edition, page_starts: tuple[PageStart, ...], keys: frozenset[str]
) -> tuple[bytes, list[PageStart]]:
    """A rendered XHTML document with what only the whole book knows: where the print
    edition's pages begin, and the language of each run of Chinese in other copy."""
    tree = etree.fromstring(document)
    marked = mark_pages(tree, list(page_starts), keys)
    mark_chinese_runs(tree, edition.chinese_forms)
    return XML_DECLARATION + etree.tostring(tree.getroottree(), encoding="utf-8"), marked


def _nav_xhtml(
    edition: Edition, style: HouseStyle, contents: list[NavEntry], stylesheets: list[str], pages: list[PageTarget],
) -> bytes:
    return style.render(
        "epub/nav.xhtml", edition=edition,
        stylesheets=[name.removeprefix("../") for name in stylesheets],  # the navigation document is one level up
        contents=[
            NavEntry("text/titlepage.xhtml", "Title page"), *contents, NavEntry("text/colophon.xhtml", "Colophon"),
        ],
        landmarks=[
            NavEntry("text/cover.xhtml", "Cover", kind="cover"),
            NavEntry("text/titlepage.xhtml", "Title page", kind="titlepage"),
            NavEntry("nav.xhtml", "Contents", kind="toc"),
            NavEntry(contents[0].href, contents[0].title, kind="bodymatter"),
        ],
        pages=pages,
    ).encode("utf-8")


def print_identifier(edition: Edition) -> str:
    """The print edition's identifier, as its imprint prints it: its ISBN when it has one."""
    return f"urn:isbn:{edition.isbn_print}" if edition.isbn_print else edition.identifier


def accessibility_metadata(
    edition: Edition, verified_by: tuple[str, ...] = (), paginated: bool = False
) -> list[tuple[str, str, dict[str, str]]]:
    """EPUB Accessibility 1.1 metadata: the edition's own statements, or defaults that
    follow from what hkcq-press guarantees (alt text on every figure, headings, a
    table of contents, one reading order, pull quotes hidden from assistive
    technology) and from the checks this file passed, if it was verified."""
    stated = edition.accessibility
    has_images = any(article.figures for article in edition.articles)
    features = stated.features or (
        "structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability",
        *(("alternativeText",) if has_images else ()),
        *(("pageBreakMarkers", "pageNavigation") if paginated else ()),
    )
    modes = stated.access_mode or ("textual", *(("visual",) if has_images else ()))
    metadata: list[tuple[str, str, dict[str, str]]] = [
        *(("schema:accessMode", mode, {}) for mode in modes),
        *(("schema:accessModeSufficient", modes, {}) for modes in stated.access_mode_sufficient or ("textual",)),
        *(("schema:accessibilityFeature", feature, {}) for feature in features),
        *(("schema:accessibilityHazard", hazard, {}) for hazard in stated.hazards or ("none",)),
        ("schema:accessibilitySummary", stated.summary or accessibility_summary(edition, verified_by, paginated), {}),
        ("dcterms:conformsTo", CONFORMANCE, {"id": "conformance"}),
    ]
    certifier = stated.certified_by or edition.publisher
    if certifier:
        metadata.append(("a11y:certifiedBy", certifier, {"refines": "#conformance"}))
    return metadata


def accessibility_summary(edition: Edition, verified_by: tuple[str, ...], paginated: bool = False) -> str:
    """What this file offers a reader, and the checks it passed: only what is true of it."""
    blocks = [block for article in edition.articles for block in walk(article.blocks)]
    offered = [
        "This edition is built to meet WCAG 2.2 Level AA; the claim is the publisher's, "
        "not certified by a third party.",
        "Text reflows and can be read aloud; headlines, crossheads and a table of contents give structure.",
        *(["Every picture has a text description."] if any(article.figures for article in edition.articles) else []),
        *(["Tables mark their header cells."] if any(isinstance(block, Table) for block in blocks) else []),
        *(["Footnotes are linked both ways."] if any(article.footnotes for article in edition.articles) else []),
        *(["Pull quotes repeat words of their article and are hidden from assistive technology, "
           "so they are not read twice."] if any(isinstance(block, PullQuote) for block in blocks) else []),
        *(["The print edition's page numbers are marked where its pages begin and listed for going to a page."]
          if paginated else []),
    ]
    if verified_by:
        offered.append(f"This file passed {' and '.join(verified_by)} with no problems reported.")
    return " ".join(offered)


def _finish_archive(path: Path, modified: datetime, language: str) -> None:
    """Rewrite the archive ebooklib wrote, for what it cannot do itself: the package
    document's `xml:lang`, and the same bytes for the same manuscript (ebooklib
    stamps entries with the local time). Every entry gets `modified` (UTC, whatever
    the machine's time zone) and fixed permissions; `mimetype` stays first and stored."""
    stamp = modified.astimezone(timezone.utc).timetuple()[:6]
    stamp = min(max(stamp, (1980, 1, 1, 0, 0, 0)), (2107, 12, 31, 23, 59, 58))  # the times a zip can hold
    with zipfile.ZipFile(path) as original:
        entries = [(info.filename, original.read(info)) for info in original.infolist()]
    entries.sort(key=lambda entry: entry[0] != "mimetype")
    entries = [(name, _with_language(data, language) if name.endswith(".opf") else data) for name, data in entries]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)


def _add_fonts(book: epub.EpubBook, style: HouseStyle, documents: list[str]) -> None:
    """The house typefaces, so a reader that honours publisher fonts shows the print
    edition's faces: each font at the path its `url()` in `fonts.css` names, cut
    down to the characters the e-book uses (and all of printable ASCII, for the
    pages ebooklib writes itself)."""
    characters = frozenset("".join(documents)) | frozenset(map(chr, range(0x20, 0x7F)))
    for number, (reference, path) in enumerate(house_fonts(style).items(), 1):
        entry = posixpath.normpath(f"styles/{unquote(reference)}")
        if entry.startswith(("../", "/")) or entry == "..":
            raise ManuscriptError([Problem(
                style.find(FONTS_STYLESHEET), None, f"the font `{reference}` would lie outside the e-book",
                "Keep the fonts in a folder beside fonts.css and name them relative to it: url(fonts/…).",
            )])
        book.add_item(epub.EpubItem(
            uid=f"font-{number}", file_name=entry,
            media_type=FONT_TYPES[path.suffix.lower()], content=subset_font(path, characters),
        ))


def _add_chinese_fonts(book: epub.EpubBook, edition: Edition, style: HouseStyle) -> list[str]:
    """The edition's Chinese faces (cut down to its characters) and the stylesheet
    declaring them, if it has any Chinese; the stylesheet for its pages to link."""
    faces = []
    for font in chinese_fonts(edition, style):
        book.add_item(epub.EpubItem(
            uid=f"font-chinese-{font.weight}", file_name=f"styles/fonts/{font.file_name}",
            media_type="font/ttf", content=font.data,
        ))
        faces.append(FontFace(font.weight, f"fonts/{font.file_name}"))
    if not faces:
        return []
    book.add_item(epub.EpubItem(
        uid="css-chinese", file_name="styles/chinese.css", media_type="text/css",
        content=style.render("partials/chinese_fonts.css", chinese_fonts=faces).encode("utf-8"),
    ))
    return ["../styles/chinese.css"]


def _add_cover_image(book: epub.EpubBook, edition: Edition, style: HouseStyle) -> str:
    """The edition's cover image, or one drawn from its title (SVG, so the e-book
    needs no renderer to make it)."""
    if edition.cover is not None:
        suffix = edition.cover.suffix.lower()
        name, content = f"images/cover{suffix}", edition.cover.read_bytes()
    else:
        suffix, name = ".svg", "images/cover.svg"
        lines = textwrap.wrap(edition.title, width=16, break_long_words=False) or [edition.title]
        content = style.render("epub/cover.svg", edition=edition, title_lines=lines).encode("utf-8")
    cover = epub.EpubCover(uid="cover-image", file_name=name)
    cover.media_type = MEDIA_TYPES[suffix]
    cover.content = content
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # for EPUB 2 readers
    return name


def _own_page(
    book: epub.EpubBook, edition: Edition, style: HouseStyle, name: str, stylesheets: list[str], cover_url: str
) -> epub.EpubItem:
    """One of the e-book's own pages: cover, title page, colophon."""
    content = style.render(
        f"epub/{name}.xhtml", edition=edition, stylesheets=stylesheets, cover_url=cover_url,
        identifier=book_identifier(edition),
    )
    page = epub.EpubItem(
        uid=name, file_name=f"text/{name}.xhtml", media_type="application/xhtml+xml", content=content.encode("utf-8")
    )
    book.add_item(page)
    return page


def book_identifier(edition: Edition) -> str:
    return f"urn:isbn:{edition.isbn_epub}" if edition.isbn_epub else edition.identifier


def _article_xhtml(
    edition: Edition, article: Article, style: HouseStyle, stylesheets: list[str], image_names: dict[Path, str],
    inline: InlineMarkup,
) -> str:
    return style.render(
        ARTICLE_LAYOUT,
        edition=edition,
        article=article,
        stylesheets=stylesheets,
        image_url=lambda figure: f"../{image_names[figure.source]}",
        edition_kind="epub",
        inline=inline,
        placed_blocks=lambda article: article.blocks,
        article_start=edition.start_of,
    )


def _add_images(book: epub.EpubBook, edition: Edition) -> dict[Path, str]:
    """Each image file once, under a name unique in the book, no larger than a reader
    shows (`pictures.py`)."""
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
            content=for_the_reader(figure.source.read_bytes()),
        ))
    return names


def _with_language(opf: bytes, language: str) -> bytes:
    package = etree.fromstring(opf)
    package.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(package, xml_declaration=True, encoding="utf-8")
