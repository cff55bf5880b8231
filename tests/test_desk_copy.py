"""A desk's real week reaches the reader whole: tables, footnotes, a photo with its
credit, a factbox, a correction, links, lists, quotations and code, read back from
both built editions and compared with what the desk wrote (`expected.yaml`)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import DESKWEEK, Built, print_edition_of
from lxml import etree
from support import ace_violations, collapse, column_lines, epub_documents, epubcheck_messages, flow, pattern, pdf_lines, pdf_page_texts

from hkcq_press.verify.pdfcheck import pdf_fonts

EXPECTED = yaml.safe_load((DESKWEEK / "expected.yaml").read_text(encoding="utf-8"))
ADDRESS = re.compile(r"\(?(https?|mailto):|@example\.com")
MARKDOWN_SYNTAX = ["|---", "| ", "[^", ":::", "~~", "[ ]", "[x]", "![", "](", "```", "<http", "**"]
"""What a reader must never see printed: Markdown's own marks."""


def in_reading_order(stream: str, texts: list[str]) -> list[tuple[int, int]]:
    """Each text found after the previous one; an address may break after any character
    the house style lets it break at (`/`, `.`, `@`)."""
    spans, position = [], 0
    for text in texts:
        match = pattern(text, any_break=bool(ADDRESS.search(text))).search(stream, position)
        assert match, f"not found in reading order: {text!r}\nafter: {stream[max(0, position - 300):position]!r}"
        spans.append(match.span())
        position = match.end()
    return spans


def article_text(document) -> str:
    return collapse("".join(document.article().itertext()))


def pdf_pages(pdf: Path) -> list[str]:
    return [flow(text.split("\n")) for text in pdf_page_texts(pdf, "-raw")]


# --- Every word, in order, in both editions --------------------------------------------


def test_epub_has_every_text_of_the_week_in_order(deskweek_edition: Built) -> None:
    documents = epub_documents(deskweek_edition.epub)
    assert [Path(document.name).stem for document in documents] == list(EXPECTED)
    for document, (name, expected) in zip(documents, EXPECTED.items(), strict=True):
        text = article_text(document)
        in_reading_order(text, expected["epub"])
        notes = [collapse("".join(note.itertext())) for note in document.root.iterfind(".//{*}aside[@role='doc-footnote']")]
        assert notes == [f"{number} {note}" for number, note in enumerate(expected["notes"], 1)], name


def test_pdf_has_every_text_of_the_week_in_order(deskweek_edition: Built) -> None:
    stream = flow(pdf_lines(deskweek_edition.pdf))
    # Each article opens with its kicker and headline, after the edition's contents.
    contents_end = stream.index("\nMarkets\n")
    starts = [pattern(f"{expected['pdf'][0]} {expected['pdf'][1]}").search(stream, contents_end).start()
              for expected in EXPECTED.values()]
    assert starts == sorted(starts), "articles in the order edition.yaml lists them"
    for index, expected in enumerate(EXPECTED.values()):
        end = starts[index + 1] if index + 1 < len(starts) else stream.index("\nImprint\n")
        segment = stream[starts[index]:end]
        in_reading_order(segment, expected["pdf"])
        # Notes are set at the foot of the page, after whatever else the page holds.
        in_reading_order(stream[starts[index]:], expected["notes"])


def test_pdf_footnotes_are_at_the_foot_of_the_page_that_refers_to_them(deskweek_edition: Built) -> None:
    pages = pdf_pages(deskweek_edition.pdf)
    for reference, note in [
        ("led by electronics and\nlogistics.1", "1. Figures from the Chongqing Municipal Commission of Commerce"),
        ("“the base effect will\nfade”.2", "2. Interview with the desk, November 22;"),
        # The print edition numbers its notes through the edition: no page shows one number twice.
        ("before the\nfirst transfer.3", "3. Transfers inside one company group are covered too."),
    ]:
        (page,) = [text for text in pages if pattern(note).search(text)]
        assert pattern(reference, any_break=True).search(page), reference
        # The note is set below the page's text, after the last line of the body.
        assert pattern(note).search(page).start() > pattern(reference, any_break=True).search(page).end()


def test_no_markdown_syntax_reaches_either_edition(deskweek_edition: Built) -> None:
    pdf_text = flow(pdf_lines(deskweek_edition.pdf))
    epub_text = "\n".join(article_text(document) for document in epub_documents(deskweek_edition.epub))
    for mark in MARKDOWN_SYNTAX:
        assert mark not in pdf_text, mark
        assert mark not in epub_text, mark


# --- Each construct laid out as what it is ------------------------------------------------


def document(built: Built, name: str):
    return next(doc for doc in epub_documents(built.epub) if Path(doc.name).stem == name)


def texts(elements) -> list[str]:
    return [collapse("".join(element.itertext())) for element in elements]


def test_epub_tables_have_captions_header_scopes_and_alignment(deskweek_edition: Built) -> None:
    root = document(deskweek_edition, "markets").root
    tables = root.findall(".//{*}table")
    assert texts(table.find("{*}caption") for table in tables[:1]) == ["Trade with Hong Kong, billion yuan"]
    assert tables[1].find("{*}caption") is None
    for table in tables:
        headers = table.findall("{*}thead/{*}tr/{*}th")
        assert headers and all(header.get("scope") == "col" for header in headers)
    first = tables[0]
    assert [cell.get("class") for cell in first.findall("{*}tbody/{*}tr[1]/{*}td")] == [
        "align-left", "align-right", "align-right", "align-center",
    ]
    assert texts(first.findall("{*}tbody/{*}tr[3]/{*}td")) == ["October", "11.1", "13.0", "+17.1%"]


def test_epub_footnotes_link_both_ways_with_unique_ids(deskweek_edition: Built) -> None:
    ids: list[str] = []
    for doc in epub_documents(deskweek_edition.epub):
        ids.extend(element.get("id") for element in doc.root.iter() if element.get("id"))
        references = doc.root.findall(".//{*}a[@role='doc-noteref']")
        for number, reference in enumerate(references, 1):
            assert reference.get("{http://www.idpf.org/2007/ops}type") == "noteref"
            assert collapse(reference.text) == str(number)
            note = doc.root.find(f".//*[@id='{reference.get('href')[1:]}']")
            assert note.get("role") == "doc-footnote" and note.get("{http://www.idpf.org/2007/ops}type") == "footnote"
            back = note.find(".//{*}a[@role='doc-backlink']")
            assert back.get("href") == f"#{reference.get('id')}"
    assert len(ids) == len(set(ids)), "element ids must be unique across the edition"
    assert len(document(deskweek_edition, "markets").root.findall(".//{*}a[@role='doc-noteref']")) == 2


def test_figure_caption_and_credit(deskweek_edition: Built) -> None:
    figure = document(deskweek_edition, "obituary").root.find(".//{*}figure")
    assert figure.find("{*}img").get("alt") == "Lights of the opera house district at night"
    caption = figure.find("{*}figcaption")
    assert texts(caption.findall("{*}span[@class='caption']")) == ["The opera house district, where Leung first performed in 1962."]
    assert texts(caption.findall("{*}span[@class='picture-credit']")) == ["Photo: Chongqing Sichuan Opera Theatre"]
    with zipfile.ZipFile(deskweek_edition.epub) as archive:
        colophon = etree.fromstring(archive.read("EPUB/text/colophon.xhtml"))
    assert "Photo: Chongqing Sichuan Opera Theatre" in texts(colophon.iterfind(".//{*}ul[@class='credits picture-credits']/{*}li"))
    imprint = flow(pdf_lines(deskweek_edition.pdf)).split("\nImprint\n")[1]
    assert "Photographs and illustrations:\nPhoto: Chongqing Sichuan Opera Theatre" in imprint


def test_factbox_correction_strikethrough_and_tasks(deskweek_edition: Built) -> None:
    factbox = document(deskweek_edition, "explainer").root.find(".//{*}aside[@class='factbox']")
    title = factbox.find("{*}h2")
    assert factbox.get("aria-labelledby") == title.get("id") and collapse(title.text) == "Key facts"
    assert factbox.find(".//{*}table") is not None and len(factbox.findall(".//{*}li")) == 3
    obituary = document(deskweek_edition, "obituary").root
    body = obituary.find(".//{*}div[@class='article-body']")
    corrections = body.find("{*}section[@role='doc-errata']")
    assert corrections is not None and list(body)[-1] is corrections, "the correction closes the article"
    assert texts(obituary.iterfind(".//{*}del")) == ["He never returned"]
    letters = document(deskweek_edition, "letters").root
    states = [(span.get("aria-label"), span.text) for span in letters.iterfind(".//{*}span[@class='task-state']")]
    assert states == [("done", "☑"), ("to do", "☐"), ("to do", "☐")]


def test_links_work_in_both_editions(deskweek_edition: Built) -> None:
    hrefs = {
        Path(doc.name).stem: [a.get("href") for a in doc.root.iterfind(".//{*}a") if "noteref" not in (a.get("role") or "")
                              and a.get("role") != "doc-backlink"]
        for doc in epub_documents(deskweek_edition.epub)
    }
    assert hrefs["markets"] == ["https://example.com/commerce/2026/october-trade-figures.html", "mailto:press@example.com"]
    assert hrefs["obituary"] == ["markets.xhtml#markets", "markets.xhtml#markets--the-numbers"]
    markets = document(deskweek_edition, "markets").root
    assert markets.find(".//*[@id='markets--the-numbers']").tag.endswith("h2")
    with pikepdf.open(deskweek_edition.pdf) as pdf:
        uris = [str(annotation.A.URI) for page in pdf.pages for annotation in page.get("/Annots", [])
                if annotation.get("/A") is not None and "/URI" in annotation.A]
        internal = [annotation for page in pdf.pages for annotation in page.get("/Annots", [])
                    if annotation.get("/Dest") is not None or (annotation.get("/A") is not None and "/D" in annotation.A)]
    assert set(uris) == {
        "https://example.com/commerce/2026/october-trade-figures.html", "mailto:press@example.com",
        "mailto:letters@example.com", "https://example.com/rules",
    }
    assert len(internal) >= 2 + 4, "the two links inside the edition and the four contents entries"


def test_code_is_set_in_the_shipped_monospace_face(deskweek_edition: Built) -> None:
    families = {font.family for font in pdf_fonts(deskweek_edition.pdf)}
    assert "Noto Sans Mono" in families
    assert families <= {"Noto Serif", "Noto Serif Display", "Noto Sans", "Noto Sans Mono", "Noto Sans Symbols2",
                        "Noto Serif HK"}, families


def test_a_table_too_wide_for_a_column_spans_both(deskweek_edition: Built) -> None:
    """Its rows are set on one line across the page, not wrapped inside one column."""
    lines = flow(pdf_lines(deskweek_edition.pdf)).split("\n")
    assert "Sector Share of trade Firms reporting Main route Outlook for the first quarter" in lines
    assert "Electronics and components 41 % 312 Rail to Hong Kong port Steady" in lines


def test_long_code_lines_wrap_inside_their_column(deskweek_edition: Built) -> None:
    """Every word of the page lies inside the page's text block: nothing runs over the
    next column or off the page."""
    output = subprocess.run(["pdftotext", "-bbox", str(deskweek_edition.pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
    root = etree.fromstring(output.encode("utf-8"), etree.XMLParser(recover=True))
    margin = 17 * 72 / 25.4
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        width = float(page.get("width"))
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            assert margin - 1 <= float(word.get("xMin")) and float(word.get("xMax")) <= width - margin + 1, word.text


def test_epubcheck_reports_nothing(deskweek_edition: Built) -> None:
    assert epubcheck_messages(deskweek_edition.epub) == []


@pytest.mark.slow  # the fast tier runs Ace in `verify` (tests/test_verify.py)
def test_ace_finds_no_accessibility_violation(deskweek_edition: Built, tmp_path: Path) -> None:
    assert ace_violations(deskweek_edition.epub) == []


def test_the_week_renders_without_a_warning(deskweek_edition: Built) -> None:
    assert [str(problem) for problem in deskweek_edition.result.warnings] == []


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pdf_keeps_words_of_code_and_addresses_unhyphenated(deskweek_edition: Built, name: str) -> None:
    """The renderer's hyphen (U+2010) never appears inside an address or code."""
    stream = flow(pdf_lines(deskweek_edition.pdf))
    for line in stream.split("\n"):
        if "example.com" in line or "_" in line:
            assert "\u2010" not in line, line


def test_a_long_table_repeats_its_header_and_never_splits_a_row(tmp_path: Path) -> None:
    from hkcq_press.build import build

    rows = "\n".join(f"| Day {day} | {day * 7.5:.1f} | rising steadily on day {day} |" for day in range(1, 121))
    article = (
        "---\nheadline: Daily figures\nbyline: Desk\n---\n\nThe figures, day by day.\n\n"
        f"| Day | Value | Trend |\n|---|--:|---|\n{rows}\n"
    )
    (tmp_path / "m" / "articles").mkdir(parents=True)
    (tmp_path / "m" / "articles" / "a.md").write_text(article, encoding="utf-8")
    (tmp_path / "m" / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [articles/a.md]\n", encoding="utf-8")
    result = build(tmp_path / "m", tmp_path / "out", formats=("pdf",))
    columns = [column for page in column_lines(result.outputs[0].path) for column in page if column]
    table_columns = [[line.text for line in column] for column in columns
                     if any(line.text.startswith("Day ") for line in column)]
    assert len(table_columns) >= 3, "the table runs over several columns and pages"
    for column in table_columns:
        assert "Day Value Trend" in column, f"a column of the table without its header: {column[:3]}"
    lines = [line for column in table_columns for line in column]
    for day in range(1, 121):
        assert f"Day {day} {day * 7.5:.1f} rising steadily on day {day}" in lines, f"row {day} is split or lost"


def test_a_picture_too_small_for_print_is_a_warning_at_its_line(tmp_path: Path) -> None:
    from PIL import Image

    from hkcq_press.build import build

    (tmp_path / "m" / "articles").mkdir(parents=True)
    Image.new("RGB", (120, 80), "grey").save(tmp_path / "m" / "articles" / "small.png")
    (tmp_path / "m" / "articles" / "a.md").write_text(
        "---\nheadline: H\nbyline: B\n---\n\nText.\n\n![A grey square](small.png)\nPhoto: Desk\n", encoding="utf-8"
    )
    (tmp_path / "m" / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [articles/a.md]\n", encoding="utf-8")
    result = build(tmp_path / "m", tmp_path / "out", formats=("pdf",))
    (warning,) = result.warnings
    assert (warning.path.name, warning.line, warning.severity) == ("a.md", 8, "warning")
    assert warning.message.startswith("the picture `small.png` prints at 36 ppi, under the 150 ppi")


FILLER = (
    "Firms moving data between Chongqing and Hong Kong must now file a short declaration before "
    "the first transfer, and the regulator answers within fifteen days of the filing."
)
FACTS = [f"Fact {number} of the box" for number in range(1, 6)]
ARTICLES = 30


def factbox_columns(root: Path, styles: str | None = None) -> list[str]:
    """The text of every column of thirty articles, each on a page of its own, whose
    factbox falls, a line further each time, across the foot of a column."""
    box = "::: factbox Key facts\n" + "\n".join(f"- {fact}" for fact in FACTS) + "\n:::"
    articles = []
    for number in range(ARTICLES):
        body = [FILLER] * (9 + number // 3) + [f"Line {n}." for n in range(number % 3)] + [box, *[FILLER] * 10]
        articles.append(f"---\nheadline: Article {number}\nbyline: Desk\nstart: page\n---\n\n" + "\n\n".join(body) + "\n")
    pdf = print_edition_of(root, "Boxes", articles, styles)
    return ["\n".join(line.text for line in column) for page in column_lines(pdf) for column in page if column]


def whole_factboxes(columns: list[str]) -> int:
    return sum(all(fact in column for fact in ["Key facts", *FACTS]) for column in columns)


def test_a_factbox_is_kept_whole_in_one_column(tmp_path: Path) -> None:
    assert whole_factboxes(factbox_columns(tmp_path / "manuscript")) == ARTICLES


@pytest.mark.slow
def test_without_the_keep_rule_factboxes_are_split(tmp_path: Path) -> None:
    """The check above can fail: the same copy without the house rule splits boxes."""
    columns = factbox_columns(tmp_path / "manuscript", styles=".article-body .factbox { break-inside: auto; }\n")
    assert whole_factboxes(columns) < ARTICLES - 2
