"""Every word of the copy reaches the reader: text read back from the built PDF and
EPUB, compared with the desk's source and the fixture manuscripts."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pikepdf
import pytest
from conftest import MULTI, SOURCE_ARTICLE, Built, copy_manuscript
from support import (
    collapse,
    opening_pages,
    running_heads,
    epub_documents,
    expected_from_manuscript,
    expected_from_source,
    flow,
    in_order,
    pattern,
    pdf_furniture,
    folios,
    epubcheck_messages,
    pdf_lines,
)

from hkcq_press.reader.edition import load_edition
from hkcq_press.verify.pdfcheck import pdf_fonts
from hkcq_press.verify.validators import Epubcheck


def manuscript_articles(built: Built):
    return expected_from_manuscript(built.manuscript)


# --- The sample edition against the agency's own text ------------------------------


def test_sample_pdf_holds_every_sentence_of_the_source_in_order(sample_edition: Built) -> None:
    source = expected_from_source(SOURCE_ARTICLE)
    stream = flow(pdf_lines(sample_edition.pdf))
    spans = in_order(stream, source.texts)
    assert stream[spans[-1][1]:].lstrip().startswith("Imprint\n"), "the credit must be the last text of the article"


def test_sample_epub_holds_every_sentence_of_the_source_exactly(sample_edition: Built) -> None:
    source = expected_from_source(SOURCE_ARTICLE)
    (document,) = epub_documents(sample_edition.epub)
    blocks = document.blocks()
    body = [text for text in blocks if text not in {collapse(q) for q in manuscript_articles(sample_edition)[0].pull_quotes}]
    assert body == [collapse(text) for text in ["Regional cooperation", *source.texts]]


def test_sample_dateline_runs_into_the_first_paragraph(sample_edition: Built) -> None:
    stream = flow(pdf_lines(sample_edition.pdf))
    assert pattern("Hong Kong: Chongqing and Hong Kong, both of which").search(stream)
    (document,) = epub_documents(sample_edition.epub)
    lead = document.root.find(".//{*}p[@class='lead']")
    assert collapse("".join(lead.itertext())).startswith("Hong Kong: Chongqing and Hong Kong, both of which")


def test_sample_keeps_the_typography_of_the_source(sample_edition: Built) -> None:
    """Curly quotes, apostrophes, the em dash and the attached en dash, as the source prints them."""
    stream = flow(pdf_lines(sample_edition.pdf))
    (document,) = epub_documents(sample_edition.epub)
    epub_text = "\n".join(document.blocks())
    for fragment in [
        "the country’s fourth municipality",
        "11 areas — economic",
        "“important and unique roles”.",
        "enterprises to ‘go out’.”",
        "Lee Ka-chiu",
        "Guangdong-Hong Kong-Macao",
        "–The Daily Mail-China Daily news exchange item",
    ]:
        assert pattern(fragment).search(stream), fragment
        assert fragment in epub_text, fragment
    for straight in ['"', "'", "--"]:
        assert straight not in epub_text


# --- Both editions against the manuscripts, article by article -----------------------


def test_pdf_has_every_text_of_every_article_in_order(edition: Built) -> None:
    articles = manuscript_articles(edition)
    stream = flow(pdf_lines(edition.pdf))
    # An edition of several articles opens with their contents; the articles follow.
    contents_end = in_order(stream, [a.headline for a in articles])[-1][1] if len(articles) > 1 else 0
    starts = [pattern(article.texts[0]).search(stream, contents_end).start() for article in articles]
    assert starts == sorted(starts), "articles must appear in the order edition.yaml lists them"
    for index, article in enumerate(articles):
        # The last article ends where the imprint begins.
        end = starts[index + 1] if index + 1 < len(articles) else stream.index("\nImprint\n", starts[index])
        segment = stream[starts[index]:end]
        spans = in_order(segment, article.texts)
        if article.credit:
            assert segment[spans[-1][1]:].strip() == "", f"credit is not the last text of {article.headline!r}"


def test_epub_has_every_text_of_every_article_exactly_and_in_order(edition: Built) -> None:
    articles = manuscript_articles(edition)
    documents = epub_documents(edition.epub)
    assert len(documents) == len(articles)
    for document, article in zip(documents, articles, strict=True):
        assert document.blocks() == [collapse(text) for text in article.texts]
        if article.credit:
            assert document.blocks()[-1] == article.credit


def _running_head(built: Built) -> str:
    """What the running heads print over every page but the front: the paper and its date."""
    edition, _ = load_edition(built.manuscript)
    return edition.title + (f" · {edition.printed_date(edition.date, None)}" if edition.date else "")


def test_pdf_furniture_is_running_heads_and_folios(edition: Built) -> None:
    """The furniture set aside by the text checks really is only running heads and folios."""
    with pikepdf.open(edition.pdf) as pdf:
        pages = len(pdf.pages)
    furniture = pdf_furniture(edition.pdf)
    assert [text for text in furniture if text.isdigit()] == [str(n) for n in range(2, pages + 1)]
    for text in furniture:
        text = text.replace(_running_head(edition), "")
        assert text.strip().isdigit() or not text.strip(), f"unexpected text in the page margins: {text!r}"


def test_every_page_but_the_front_carries_the_running_head_and_its_folio(edition: Built) -> None:
    """The paper's name and date over the page, its number under it; the front page,
    under the masthead, has neither."""
    heads, numbers = running_heads(edition.pdf), folios(edition.pdf)
    assert (heads[0], numbers[0]) == ("", "")
    for number, (head, folio) in enumerate(zip(heads, numbers, strict=True), 1):
        if number > 1:
            assert (head, folio) == (_running_head(edition), str(number)), f"page {number}"


# --- Semantics and metadata -----------------------------------------------------------


def test_epub_marks_byline_pull_quotes_and_credit(edition: Built) -> None:
    for document, article in zip(epub_documents(edition.epub), manuscript_articles(edition), strict=True):
        root = document.root
        assert collapse("".join(root.find(".//{*}p[@class='byline']").itertext())) == article.byline
        quotes = root.findall(".//{*}aside[@role='doc-pullquote']")
        assert [collapse("".join(q.itertext())) for q in quotes] == [collapse(q) for q in article.pull_quotes]
        credits = root.findall(".//{*}p[@role='doc-credit']")
        assert [collapse("".join(c.itertext())) for c in credits] == ([article.credit] if article.credit else [])


def test_epub_documents_carry_their_language(multi_edition: Built) -> None:
    for document, article in zip(epub_documents(multi_edition.epub), manuscript_articles(multi_edition), strict=True):
        expected = article.language or "en"
        assert document.root.get("lang") == expected
        assert document.root.get("{http://www.w3.org/XML/1998/namespace}lang") == expected


def test_raw_html_is_printed_as_text(multi_edition: Built) -> None:
    written = "Raw HTML stays text: <b>bold</b> & <script>alert(1)</script> are printed as written."
    assert pattern(written).search(flow(pdf_lines(multi_edition.pdf)))
    document = epub_documents(multi_edition.epub)[1]
    assert written in document.blocks()
    assert document.root.find(".//{*}script") is None and document.root.find(".//{*}b") is None


def test_pdf_metadata_and_bookmarks(edition: Built) -> None:
    articles = manuscript_articles(edition)
    edition_yaml = (edition.manuscript / "edition.yaml").read_text(encoding="utf-8")
    title = re.search(r"^title: \"?(.*?)\"?$", edition_yaml, re.M).group(1)
    publisher = re.search(r"^publisher: (.*)$", edition_yaml, re.M).group(1)
    with pikepdf.open(edition.pdf) as pdf, pdf.open_outline() as outline:
        assert str(pdf.docinfo["/Title"]) == title
        assert str(pdf.docinfo["/Author"]) == publisher
        assert str(pdf.Root.Lang) == "en"
        assert [item.title for item in outline.root] == [article.headline for article in articles]


def test_pdf_embeds_only_the_house_typefaces(edition: Built) -> None:
    """Every font is embedded and is a house face: none of the machine's fonts stood in
    for a character the house faces lack."""
    fonts = pdf_fonts(edition.pdf)
    assert [font.base_font for font in fonts if font.program is None or not font.composite] == []
    families = {font.family for font in fonts}
    assert families <= {"Noto Serif", "Noto Serif Display", "Noto Sans", "Noto Serif HK"}, families
    assert {"Noto Serif", "Noto Serif Display"} <= families


def test_no_character_prints_as_a_missing_glyph_box(edition: Built) -> None:
    """WeasyPrint shows a character its font lacks as glyph 0 (`.notdef`, the empty
    box), through an encoding of its own instead of Identity-H."""
    for font in pdf_fonts(edition.pdf):
        assert font.encoding == "/Identity-H", f"{font.base_font} maps characters to the missing glyph"
        assert 0 not in font.shown, f"{font.base_font} shows the missing glyph"
        assert font.shown <= set(font.to_unicode), f"{font.base_font} shows glyphs with no text"


def test_pdf_is_a4(sample_edition: Built) -> None:
    with pikepdf.open(sample_edition.pdf) as pdf:
        box = [float(value) for value in pdf.pages[0].MediaBox]
    assert box[2:] == pytest.approx([595.28, 841.89], abs=0.1)


# --- Validators -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    pytest.param("sample", marks=pytest.mark.slow), "multi", pytest.param("chinese", marks=pytest.mark.slow),
])
def test_epubcheck_reports_nothing(name: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(f"{name}_edition")
    assert Epubcheck.find().version.startswith("5.")
    reported = epubcheck_messages(built.epub)
    assert reported == [], reported


def test_the_shipped_house_style_renders_without_a_single_warning(edition: Built) -> None:
    """WeasyPrint logs CSS it ignores and resources it cannot load; the house style has none."""
    assert [str(problem) for problem in edition.result.warnings] == []


def test_epub_metadata(multi_edition: Built, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from hkcq_press.build import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767571200")
    result = build(MULTI, tmp_path, formats=("epub",))
    with zipfile.ZipFile(result.outputs[0].path) as archive:
        opf = archive.read("EPUB/content.opf").decode("utf-8")
    assert '<meta property="dcterms:modified">2026-01-05T00:00:00Z</meta>' in opf
    assert "<dc:identifier id=\"id\">9789629370000</dc:identifier>" in opf
    assert "<dc:title>Test Edition: Two Cities, Three Stories</dc:title>" in opf
    assert "<dc:language>en</dc:language>" in opf
    assert "<dc:publisher>Fixture Press &amp; Co.</dc:publisher>" in opf
    # No article names its `authors:`: the publisher, not the bylines, is the creator.
    assert opf.count("</dc:creator>") == 1
    assert '<dc:creator id="creator-1">Fixture Press &amp; Co.</dc:creator>' in opf


def test_epub_identifier_is_the_epub_isbn_when_given(tmp_path) -> None:

    from hkcq_press.build import build

    manuscript = copy_manuscript(tmp_path, edition_lines="isbn_epub: 9789629370015\n")
    result = build(manuscript, tmp_path / "out", formats=("epub",))
    with zipfile.ZipFile(result.outputs[0].path) as archive:
        opf = archive.read("EPUB/content.opf").decode("utf-8")
        colophon = archive.read("EPUB/text/colophon.xhtml").decode("utf-8")
    assert '<dc:identifier id="id">urn:isbn:9789629370015</dc:identifier>' in opf
    assert "Identifier: urn:isbn:9789629370015" in colophon


def test_contents_list_every_article_with_its_page(multi_edition: Built) -> None:
    articles = manuscript_articles(multi_edition)
    opening = opening_pages(multi_edition.pdf)
    assert len(opening) == 3 and opening == sorted(opening)
    first_page = subprocess.run(["pdftotext", "-layout", "-l", "1", str(multi_edition.pdf), "-"],
                                capture_output=True, text=True, check=True).stdout
    for article, page in zip(articles, opening, strict=True):
        assert re.search(re.escape(article.headline) + rf" +{page}\n", first_page), article.headline


def test_the_imprint_closes_the_print_edition(multi_edition: Built) -> None:
    stream = flow(pdf_lines(multi_edition.pdf))
    imprint = stream[stream.index("\nImprint\n"):]
    in_order(imprint, [
        "Test Edition: Two Cities, Three Stories, published by Fixture Press & Co., 5 January 2026.",
        "For testing only.",
        "The Daily Mail-China Daily news exchange item (2 articles)",
        "Identifier: 9789629370000",
        "ISBN (print): 978-962-937-002-2",  # hyphenated by its registration group and registrant
    ])
