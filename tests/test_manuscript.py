"""The manuscript reader: the format's contract, its checks and its messages."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from conftest import MULTI, SAMPLE, copy_manuscript
from support import flow, pdf_lines

from hkcq_press.build import build
from hkcq_press.errors import ManuscriptError
from hkcq_press.reader.pullquotes import pull_quote_words
from hkcq_press.model.blocks import Crosshead, Figure, Paragraph, PullQuote
from hkcq_press.markup.inline import InlineMarkup
from hkcq_press.reader.edition import derived_identifier, load_edition
from hkcq_press.reader.naming import slugify


def write_manuscript(root: Path, article: str, edition: str | None = None) -> Path:
    (root / "articles").mkdir(parents=True, exist_ok=True)
    (root / "edition.yaml").write_text(
        edition or "title: T\nlanguage: en\narticles:\n  - articles/a.md\n", encoding="utf-8"
    )
    (root / "articles" / "a.md").write_text(article, encoding="utf-8", newline="")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ManuscriptError) as caught:
        load_edition(root)
    return [f"{problem.path.name}:{problem.line}: {problem.message}" for problem in caught.value.problems]


ARTICLE = "---\nheadline: H\nbyline: B\n---\n\nFirst paragraph.\n"


def test_sample_edition_reads_as_the_desk_wrote_it() -> None:
    edition, warnings = load_edition(SAMPLE)
    assert warnings == []
    assert edition.slug == "hong-kong-chongqing-dispatch"
    assert edition.identifier == derived_identifier("hong-kong-chongqing-dispatch", "Hong Kong–Chongqing News Desk")
    (article,) = edition.articles
    assert (article.byline_text, article.dateline, article.credit_line) == (
        "China Daily", "Hong Kong", "–The Daily Mail-China Daily news exchange item",
    )
    assert len([block for block in article.blocks if isinstance(block, PullQuote)]) == 3
    assert article.blocks[0].is_lead and article.blocks[0].text.startswith("Chongqing and Hong Kong")


def test_yaml_scalars_stay_text_as_written(tmp_path: Path) -> None:
    root = write_manuscript(
        tmp_path,
        "---\nheadline: 2024-01-05\nbyline: 0123\ndate: 2024-01-05\ncredit: yes\n---\n\nText.\n",
        "title: 1999\nlanguage: en\nidentifier: 9789629370000\nisbn_epub: 0123456789\n"
        "date: 2026-11-25\narticles: [articles/a.md]\n",
    )
    edition, _ = load_edition(root)
    assert (edition.title, edition.identifier, edition.isbn_epub, edition.date) == (
        "1999", "9789629370000", "0123456789", "2026-11-25",
    )
    article = edition.articles[0]
    assert (article.headline, article.byline, article.date, article.credit) == ("2024-01-05", ("0123",), "2024-01-05", "yes")


@pytest.mark.parametrize("names, joined", [
    ("B", "B"), ("[A, B]", "A and B"), ("[A, B, C]", "A, B and C"), ("[A, B, C, D]", "A, B, C and D"),
])
def test_byline_lists_read_as_prose(tmp_path: Path, names: str, joined: str) -> None:
    edition, _ = load_edition(write_manuscript(tmp_path, f"---\nheadline: H\nbyline: {names}\n---\n\nText.\n"))
    assert edition.articles[0].byline_text == joined


@pytest.mark.parametrize("title, slug", [
    ("Hong Kong–Chongqing Dispatch", "hong-kong-chongqing-dispatch"),
    ("Café Société: No. 5!", "cafe-societe-no-5"),
    ("重庆 香港", "edition"),
    ("  ", "edition"),
])
def test_slug_folds_the_title_to_ascii(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_identifier_is_derived_stably_not_randomly() -> None:
    first = derived_identifier("weekly", "Desk")
    assert first == derived_identifier("weekly", "Desk")
    assert first.startswith("urn:uuid:")
    assert first != derived_identifier("weekly", "Other desk")


def test_copy_is_kept_exactly_as_written(tmp_path: Path) -> None:
    """No smart quotes or dashes added, raw HTML escaped, entities resolved."""
    body = "\"Straight\" quotes -- and 'single' ... <b>tag</b> &amp; &eacute;\n"
    edition, _ = load_edition(write_manuscript(tmp_path, ARTICLE.replace("First paragraph.\n", body)))
    article = edition.articles[0]
    paragraph = article.blocks[0]
    assert paragraph.text == "\"Straight\" quotes -- and 'single' ... <b>tag</b> & é"
    for kind in ("print", "epub"):
        assert "&lt;b&gt;tag&lt;/b&gt;" in InlineMarkup(edition, kind, lambda _: "")(paragraph.content, article)


def test_body_blocks(tmp_path: Path) -> None:
    edition, _ = load_edition(MULTI)
    kinds = [type(block) for block in edition.articles[0].blocks]
    assert kinds == [Paragraph, Crosshead, Paragraph, PullQuote, Paragraph]
    figure = edition.articles[1].blocks[1]
    assert isinstance(figure, Figure)
    assert figure.alt == "A night view of the city, lit up"
    assert figure.source == (MULTI / "images" / "night-view.png").resolve()


def test_pull_quote_must_repeat_the_article(tmp_path: Path) -> None:
    article = ARTICLE + "\n::: pullquote\n“First paragraph”\n:::\n\n::: pullquote\nSecond paragraph\n:::\n"
    assert problems_of(write_manuscript(tmp_path, article)) == [
        "a.md:12: the pull quote is not in the article: “Second paragraph”",
    ]


@pytest.mark.parametrize("encode", [
    lambda text: text,
    lambda text: "\ufeff" + text,
    lambda text: text.replace("\n", "\r\n"),
    lambda text: "\ufeff" + text.replace("\n", "\r\n"),
], ids=["lf", "bom", "crlf", "bom-crlf"])
def test_pull_quote_error_line_counts_from_the_top_of_the_file(tmp_path: Path, encode) -> None:
    article = ARTICLE + "\n::: pullquote\nNot in the text\n:::\n"
    assert problems_of(write_manuscript(tmp_path, encode(article))) == [
        "a.md:8: the pull quote is not in the article: “Not in the text”",
    ]


def test_pull_quote_words_are_compared_as_the_contract_says() -> None:
    assert pull_quote_words("  “Hong  Kong\n and ‘Chongqing’”  ") == "Hong Kong and ‘Chongqing"
    assert pull_quote_words("「香港」") == "香港"
    assert pull_quote_words("e\u0301") == "é"


def test_pull_quote_inline_markup_and_entities_are_dropped(tmp_path: Path) -> None:
    article = ARTICLE.replace("First paragraph.", "Both cities play &ldquo;important and unique roles&rdquo;.")
    article += "\n::: pullquote\n*important* and **unique** roles\n:::\n"
    edition, _ = load_edition(write_manuscript(tmp_path, article))
    assert isinstance(edition.articles[0].blocks[1], PullQuote)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = write_manuscript(
        tmp_path,
        "---\nbyline: B\n---\n\n# Title\n\n![](missing.png)\n\n::: sidebar\nx\n:::\n\nText.\n",
        "title: T\nlanguage: en\narticles:\n  - articles/a.md\n  - articles/b.md\n",
    )
    assert problems_of(root) == [
        "a.md:1: the article has no headline",
        "a.md:5: a level-1 heading (`#`) in the body",
        "a.md:7: figure without alt text",
        "a.md:7: the image `missing.png` does not exist",
        "a.md:9: unknown block `::: sidebar`",
        "edition.yaml:5: the article `articles/b.md` does not exist",
    ]


def test_unlisted_articles_and_unknown_keys_are_warnings(tmp_path: Path) -> None:
    root = write_manuscript(tmp_path, ARTICLE.replace("byline: B", "byline: B\nbyln: C"))
    (root / "articles" / "draft.md").write_text(ARTICLE, encoding="utf-8")
    _, warnings = load_edition(root)
    assert [(problem.path.name, problem.line, problem.message, problem.hint) for problem in warnings] == [
        ("a.md", 4, "unknown key `byln` is ignored", "Did you mean `byline`?"),
        ("draft.md", None, "this article is not listed in edition.yaml and is left out", "Add it under `articles:` to publish it."),
    ]


def test_text_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    root = write_manuscript(tmp_path, ARTICLE)
    (root / "articles" / "a.md").write_bytes(ARTICLE.encode() + "Caf\xe9\n".encode("latin-1"))
    assert problems_of(root) == ["a.md:7: the file is not UTF-8 text (byte 4 of the line, offset 51)"]


@pytest.mark.parametrize("edition_yaml, problem", [
    ("language: en\narticles: [articles/a.md]\n", "edition.yaml:1: the edition has no `title:`"),
    ("title: T\narticles: [articles/a.md]\n", "edition.yaml:1: the edition has no `language:`"),
    ("title: T\nlanguage: english language\narticles: [articles/a.md]\n", "edition.yaml:2: `english language` is not a language tag"),
    ("title: T\nlanguage: en\n", "edition.yaml:1: the edition lists no articles"),
    ("title: T\nlanguage: en\ndate: 25/11/2026\narticles: [articles/a.md]\n", "edition.yaml:3: `date: 25/11/2026` cannot be printed: it is not an ISO 8601 date"),
    ("title: T\nlanguage: en\nslug: ../x\narticles: [articles/a.md]\n", "edition.yaml:3: `../x` cannot be used as a file name"),
    ("title: [T]\nlanguage: en\narticles: [articles/a.md]\n", "edition.yaml:1: `title` must be text, not a list or a mapping"),
    ("- just\n- a list\n", "edition.yaml:1: expected `key: value` lines"),
    ("title: T\nlanguage: en\narticles: [../outside.md]\n", "edition.yaml:3: `../outside.md` is outside the manuscript directory"),
])
def test_edition_yaml_mistakes(tmp_path: Path, edition_yaml: str, problem: str) -> None:
    root = write_manuscript(tmp_path / "m", ARTICLE, edition_yaml)
    (tmp_path / "outside.md").write_text(ARTICLE, encoding="utf-8")
    assert problem in problems_of(root)


def test_missing_manuscript_and_edition_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nowhere") == ["nowhere:None: the manuscript directory does not exist"]
    assert problems_of(tmp_path) == ["edition.yaml:None: `edition.yaml` is missing"]


@pytest.mark.parametrize("name, content, problem", [
    ("photo.png", b"not a picture", "a.md:6: `photo.png` is not a PNG, JPEG, GIF, WebP or SVG image"),
    ("photo.bmp", b"BM", "a.md:6: `photo.bmp` is not a PNG, JPEG, GIF, WebP or SVG image"),
    ("../../outside.png", b"\x89PNG\r\n\x1a\n", "a.md:6: the image `../../outside.png` is outside the manuscript directory"),
    ("https://example.org/x.png", None, "a.md:6: the image `https://example.org/x.png` is not a file in the manuscript"),
])
def test_figure_files_are_checked(tmp_path: Path, name: str, content: bytes | None, problem: str) -> None:
    root = write_manuscript(tmp_path / "m", ARTICLE.replace("First paragraph.", f"![Alt]({name})\n\nText."))
    if content is not None:
        (root / "articles" / name).write_bytes(content)
    assert problems_of(root) == [problem]


def test_a_pull_quote_of_quotation_marks_alone(tmp_path: Path) -> None:
    article = ARTICLE + "\n::: pullquote\n“ ”\n:::\n"
    assert problems_of(write_manuscript(tmp_path, article)) == ["a.md:8: the pull quote has only quotation marks, no words"]


def test_unknown_keys_are_warned_about_ten_at_most_then_counted(tmp_path: Path) -> None:
    keys = "".join(f"key{number}: value\n" for number in range(1000))
    edition, warnings = load_edition(write_manuscript(tmp_path, f"---\nheadline: H\nbyline: B\n{keys}---\n\nText.\n"))
    assert [warning.message for warning in warnings] == [
        *(f"unknown key `key{number}` is ignored" for number in range(10)),
        "990 more unknown keys are ignored, from this line on",
    ]
    assert warnings[-1].line == 14


def test_an_isbn_is_checked_by_its_check_digit_and_printed_hyphenated(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path / "wrong", SAMPLE, "isbn_print: 978-988-8273-41-7\n")
    with pytest.raises(ManuscriptError) as raised:
        load_edition(manuscript)
    (problem,) = raised.value.problems
    line = next(number for number, text in enumerate(
        (manuscript / "edition.yaml").read_text(encoding="utf-8").splitlines(), 1) if text.startswith("isbn_print"))
    assert (problem.path.name, problem.line) == ("edition.yaml", line)
    assert problem.message == ("`isbn_print: 978-988-8273-41-7` is not an ISBN: its check digit is 7, "
                               "where its first twelve digits make it 6")
    manuscript = copy_manuscript(tmp_path / "right", SAMPLE, "isbn_print: 978 988 8273 41 6\n")
    edition, _ = load_edition(manuscript)
    assert edition.isbn_print == "9789888273416"
    result = build(manuscript, tmp_path / "out")
    pdf, epub = (next(output.path for output in result.outputs if output.format == kind) for kind in ("pdf", "epub"))
    assert "ISBN (print): 978-988-8273-41-6" in flow(pdf_lines(pdf))
    with zipfile.ZipFile(epub) as book:
        colophon = "".join(etree.fromstring(book.read("EPUB/text/colophon.xhtml")).itertext())
    assert "ISBN (print): 978-988-8273-41-6" in colophon
