"""The print edition's page numbers in the e-book: a page-break marker where each
printed page begins, and a page list, read back from both built files."""

from __future__ import annotations

import re
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from conftest import DESKWEEK, MULTI, ROOT, SAMPLE, copy_manuscript, run_cli
from lxml import etree
from support import (
    pdf_page_texts,
    FURNITURE_BAND,
    RENDERER_HYPHEN,
    ace_violations,
    epubcheck_messages,
    generated_article,
    generated_edition,
)

from hkcq_press.build import build
from hkcq_press.model.edition import PrintOptions

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "figcaption", "caption", "pre", "div",
          "section", "header", "article", "aside", "blockquote", "figure", "nav", "ol", "ul", "table", "tr"}
WORDS = 6
"""How many words of each page are compared: enough to place a page, few enough to stay in one block."""
SAME_HEADING = {"Imprint": "Colophon"}
"""The one heading the editions word differently: the print imprint is the e-book's colophon."""


def epub_reading(epub: Path) -> tuple[str, dict[str, int], list[tuple[str, str]]]:
    """The e-book's text in reading order (the linear spine, hidden parts aside), where
    each page marker stands in it, and the page list's (label, target) entries."""
    with zipfile.ZipFile(epub) as book:
        package = etree.fromstring(book.read("EPUB/content.opf"))
        items = {item.get("id"): item.get("href") for item in package.iter("{*}item")}
        spine = [items[ref.get("idref")] for ref in package.iter("{*}itemref") if ref.get("linear") != "no"]
        documents = {href: etree.fromstring(book.read(f"EPUB/{href}")) for href in items.values()
                     if href.endswith(".xhtml")}
    text: list[str] = []
    markers: dict[str, int] = {}

    def visit(element: etree._Element) -> None:
        if element.get("hidden") is not None:
            return
        if element.get(EPUB_TYPE) == "pagebreak":
            markers[element.get("aria-label")] = len("".join(text))
        block = element.tag.removeprefix(XHTML) in BLOCKS
        if block:
            text.append(" ")
        text.append(element.text or "")
        for child in element:
            visit(child)
            text.append(child.tail or "")
        if block:
            text.append(" ")

    for href in spine:
        visit(documents[href].find(f"{XHTML}body"))
    navigation = documents["nav.xhtml"]
    page_list = [
        (link.text, link.get("href"))
        for nav in navigation.iter(f"{XHTML}nav") if nav.get(EPUB_TYPE) == "page-list"
        for link in nav.iter(f"{XHTML}a")
    ]
    for label, target in page_list:  # every entry leads to its marker
        document, anchor = target.split("#")
        (found,) = documents[document].xpath(f"//*[@id='{anchor}']")
        assert found.get(EPUB_TYPE) == "pagebreak" and found.get("aria-label") == label
    return unicodedata.normalize("NFC", "".join(text)), markers, page_list


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's body text (running heads and folios aside) in content-stream order,
    which for WeasyPrint is the reading order, lines joined as read: a word the
    renderer hyphenated at a line's end is whole again."""
    pages = []
    height = float(re.search(r"Page size:\s+[\d.]+ x ([\d.]+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout)[1])
    for page_text in pdf_page_texts(pdf, "-raw", "-r", "72", "-x", "0", "-y", str(round(FURNITURE_BAND)),
                                    "-W", "2000", "-H", str(round(height - 2 * FURNITURE_BAND))):
        lines = page_text.split("\n")
        text = ""
        for line in (line.strip() for line in lines if line.strip()):
            if text.endswith(RENDERER_HYPHEN):
                text = text[:-1] + line
            elif text.endswith(("-", "/")):  # broken after the copy's own hyphen or slash
                text += line
            else:
                text = f"{text} {line}" if text else line
        pages.append(unicodedata.normalize("NFC", text))
    return pages


def first_words(text: str, count: int = WORDS) -> list[str]:
    """The first words, numbers aside: the contents' page numbers float right and are
    drawn before their line, and a note is called by a number in both editions."""
    return [word for word in text.split() if not word.isdigit()][:count]


@pytest.fixture(scope="module", params=[
    ("multi", "a4"), ("multi", "book"), ("deskweek", "a4"), ("deskweek", "book"), ("moved-figure", "book"),
])
def paginated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    name, size = request.param
    folder = tmp_path_factory.mktemp(f"{name}-{size}")
    if name == "moved-figure":  # the print edition sets the figure later than the e-book does
        manuscript = generated_edition(folder / "manuscript", [generated_article(7, 26, figure_after=9)],
                                       picture=(800, 1200))
    else:
        manuscript = {"multi": MULTI, "deskweek": DESKWEEK}[name]
    result = build(manuscript, folder, print_options=PrintOptions(page_size=size), keep_html=True)
    if name == "moved-figure":
        html = next(output.path for output in result.outputs if output.format == "html")
        assert 'class="moved-figure"' in html.read_text(encoding="utf-8")
    paths = {output.format: output.path for output in result.outputs}
    return paths["pdf"], paths["epub"]


def test_each_marker_stands_where_its_printed_page_begins(paginated: tuple[Path, Path]) -> None:
    pdf, epub = paginated
    stream, markers, _ = epub_reading(epub)
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        printed = first_words(page)
        printed[0] = SAME_HEADING.get(printed[0], printed[0])
        if number > 1 and pages[number - 2].endswith(RENDERER_HYPHEN):
            printed = first_words(page, WORDS + 1)[1:]  # the page began inside a hyphenated word: marked after it
        assert str(number) in markers, f"page {number} has no marker"
        after_marker = first_words(stream[markers[str(number)]:])
        assert after_marker == printed, f"page {number}"


def test_the_page_list_has_every_page_in_order(paginated: tuple[Path, Path]) -> None:
    pdf, epub = paginated
    _, markers, page_list = epub_reading(epub)
    pages = len(pdf_pages(pdf))
    assert [label for label, _ in page_list] == [str(number) for number in range(1, pages + 1)]
    assert sorted(markers, key=int) == [label for label, _ in page_list]
    positions = [markers[label] for label, _ in page_list]
    assert positions == sorted(positions), "the markers are in page order in the reading order"


def test_a_page_that_begins_inside_a_paragraph_is_marked_inside_it(tmp_path: Path) -> None:
    """At the book size, page 2 of the multi edition begins in the middle of a paragraph."""
    result = build(MULTI, tmp_path, formats=("epub",), print_options=PrintOptions(page_size="book"))
    epub = result.outputs[0].path
    inside = []
    with zipfile.ZipFile(epub) as book:
        for name in book.namelist():
            if name.startswith("EPUB/text/"):
                for marker in etree.fromstring(book.read(name)).iter(f"{XHTML}span"):
                    parent = marker.getparent()
                    before = (parent.text or "") if parent.index(marker) == 0 else (marker.getprevious().tail or "")
                    if marker.get(EPUB_TYPE) == "pagebreak" and parent.tag == f"{XHTML}p" and before.strip():
                        inside.append(marker.get("aria-label"))
    assert inside == ["2"]


def test_the_paginated_editions_pass_epubcheck_and_ace(paginated: tuple[Path, Path]) -> None:
    _, epub = paginated
    assert epubcheck_messages(epub) == []
    assert ace_violations(epub) == []


def test_the_page_size_moves_the_markers(tmp_path: Path) -> None:
    a4 = build(MULTI, tmp_path / "a4", formats=("epub",)).outputs[0].path
    book = build(MULTI, tmp_path / "book", formats=("epub",), print_options=PrintOptions(page_size="book"))
    printed = {
        size: len(pdf_pages(build(MULTI, tmp_path / f"{size}-pdf", formats=("pdf",),
                                  print_options=PrintOptions(page_size=size)).outputs[0].path))
        for size in ("a4", "book")
    }
    assert printed["a4"] < printed["book"]
    assert len(epub_reading(a4)[1]) == printed["a4"]
    assert len(epub_reading(book.outputs[0].path)[1]) == printed["book"]


def test_the_epub_alone_lays_out_the_print_edition_without_writing_it(tmp_path: Path) -> None:
    only = build(MULTI, tmp_path / "only", formats=("epub",))
    assert [output.path.suffix for output in only.outputs] == [".epub"]
    assert sorted(path.suffix for path in (tmp_path / "only").iterdir() if not path.name.startswith(".")) == [".epub"]
    both = build(MULTI, tmp_path / "both")
    alone_markers = epub_reading(only.outputs[0].path)[1]
    assert alone_markers == epub_reading(next(o.path for o in both.outputs if o.format == "epub"))[1]


def test_build_lays_out_the_print_edition_once_for_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hkcq_press.pdf import writer as pdf_module

    calls = []
    original = pdf_module.laid_out

    def counted(*arguments: object, **options: object):  # type: ignore[no-untyped-def]
        calls.append(arguments)
        return original(*arguments, **options)

    monkeypatch.setattr(pdf_module, "laid_out", counted)
    build(MULTI, tmp_path / "out")
    assert len(calls) == 1


def test_the_epub_is_rebuilt_when_a_print_option_moves_the_pages(tmp_path: Path) -> None:
    copy_manuscript(tmp_path)
    assert run_cli("build", cwd=tmp_path).returncode == 0
    again = run_cli("epub", "--page-size", "book", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert re.search(r"^wrote dist/[\w-]+\.epub", again.stdout, re.M), again.stdout
    book = build(MULTI, tmp_path / "book", formats=("pdf",), print_options=PrintOptions(page_size="book"))
    assert len(epub_reading(next((tmp_path / "dist").glob("*.epub")))[1]) == len(pdf_pages(book.outputs[0].path))


def test_the_metadata_names_the_print_edition_as_the_pages_source(tmp_path: Path) -> None:
    def package(epub: Path) -> str:
        with zipfile.ZipFile(epub) as book:
            return book.read("EPUB/content.opf").decode()

    multi = package(build(MULTI, tmp_path / "multi", formats=("epub",)).outputs[0].path)
    assert "<dc:source>urn:isbn:9789629370022</dc:source>" in multi  # its isbn_print
    assert '<meta property="pageBreakSource">urn:isbn:9789629370022</meta>' in multi
    for feature in ("pageBreakMarkers", "pageNavigation"):
        assert f'<meta property="schema:accessibilityFeature">{feature}</meta>' in multi
    sample = package(build(SAMPLE, tmp_path / "sample", formats=("epub",), styles_dir=ROOT / "styles").outputs[0].path)
    identifier = re.search(r'<dc:identifier id="id">([^<]+)<', sample)[1]
    assert f"<dc:source>{identifier}</dc:source>" in sample  # no print ISBN: the identifier its imprint prints
