"""Pages that fill: articles flow on after the one before; only an article that asks
starts a new page or column; a figure that does not fit moves on without leaving a
gap. Read back from the built PDF's pages (what PDFium finds drawn on them)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from hkcq_press.build import build
from support import (
    FURNITURE_BAND,
    LINE,
    MM,
    XHTML,
    epub_documents,
    generated_article,
    generated_edition,
    opening_pages,
    page_fill,
    pdf_lines,
)

HALF = 0.5
MOST_LINES_AT_FOOT = 4
"""A few lines: what keeping two lines of a paragraph together at a column's foot and
at its head may leave, measured from the ink."""


def _mixed_week(seed: int) -> list[int]:
    """Article lengths in paragraphs as a week mixes them: briefs, news, long reads."""
    chance = random.Random(seed)
    return [chance.choice((1, 2, 3, 5, 8, 12, 20)) for _ in range(chance.randint(6, 12))]


@pytest.mark.parametrize(("seed", "page_size"), [(1, "a4"), (2, "a4"), (3, "book"), (4, "a4")])
def test_no_page_but_the_last_is_more_than_half_empty(tmp_path: Path, seed: int, page_size: str) -> None:
    lengths = _mixed_week(seed)
    articles = [
        generated_article(seed * 100 + number, length, figure_after=1 if number % 3 == 2 else None)
        for number, length in enumerate(lengths)
    ]
    manuscript = generated_edition(tmp_path / "manuscript", articles, f"page_size: {page_size}\n")
    pdf = build(manuscript, tmp_path / "out", formats=("pdf",)).outputs[0].path
    pages = page_fill(pdf)
    assert len(pages) > 2, "the edition is long enough to test"
    for number, page in enumerate(pages[:-1], 1):
        assert page.emptiness <= HALF, f"page {number} of {len(pages)} is {page.emptiness:.0%} empty ({lengths})"


def test_only_the_page_before_an_article_that_starts_a_new_page_may_be_empty(tmp_path: Path) -> None:
    articles = [generated_article(number, length) for number, length in enumerate((1, 1, 2, 9, 2))]
    articles[2] = generated_article(2, 2, front_matter="start: page\n")
    manuscript = generated_edition(tmp_path / "manuscript", articles)
    pdf = build(manuscript, tmp_path / "out", formats=("pdf",)).outputs[0].path
    opening = opening_pages(pdf)
    assert opening[2] == opening[1] + 1, "the article that asks starts a new page"
    assert opening[:2] == [1, 1] and opening[3] == opening[2], "the others flow on"
    pages = page_fill(pdf)
    assert min(pages[opening[1] - 1].white_at_foot()) > 10 * LINE, "the page before it is left as short as it is"
    for number, page in enumerate(pages[:-1], 1):
        if number != opening[2] - 1:
            assert page.emptiness <= HALF, f"page {number} is {page.emptiness:.0%} empty"


def test_an_edition_can_start_every_article_on_a_new_page(tmp_path: Path) -> None:
    articles = [generated_article(number, 2) for number in range(4)]
    articles[1] = generated_article(1, 2, front_matter="start: flow\n")
    manuscript = generated_edition(tmp_path / "manuscript", articles, "article_start: page\n")
    pdf = build(manuscript, tmp_path / "out", formats=("pdf",)).outputs[0].path
    assert opening_pages(pdf) == [1, 1, 2, 3], "an article's own `start:` wins over the edition's"


def _headline_positions(pdf: Path, page: int) -> dict[int, tuple[float, float]]:
    """(left, top) in points of each generated story's headline on `page`, by its seed."""
    output = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
    words = list(etree.fromstring(output.encode("utf-8"), etree.XMLParser(recover=True)).iter(f"{XHTML}word"))
    found = {}
    for index, word in enumerate(words[:-2]):
        if word.text == "Generated" and words[index + 1].text == "story":
            found[int(words[index + 2].text)] = (float(word.get("xMin")), float(word.get("yMin")))
    return found


def test_articles_that_start_in_a_new_column_share_the_columns(tmp_path: Path) -> None:
    articles = [
        generated_article(1, 1),
        generated_article(2, 1, front_matter="start: column\n"),
        generated_article(3, 1, front_matter="start: column\n"),
        generated_article(4, 1),
    ]
    manuscript = generated_edition(tmp_path / "manuscript", articles)
    pdf = build(manuscript, tmp_path / "out", formats=("pdf",)).outputs[0].path
    assert opening_pages(pdf) == [1, 1, 1, 1]
    headlines = _headline_positions(pdf, 1)
    (first_left, first_top), (brief_left, brief_top), (next_left, next_top) = headlines[2], headlines[3], headlines[4]
    # Kept whole, the two share the run's balanced columns: the second at the top of the
    # right-hand one, under the thin rule that sets briefs apart (4 mm, 2 mm and 1 pt).
    assert 0 <= brief_top - first_top <= 6 * MM + 1 + 1, "the second brief starts at the top of the next column"
    assert brief_left > 595 / 2 > first_left, "…the right-hand one"
    assert next_top > max(first_top, brief_top) and next_left < 595 / 2, "the next article flows on under both"


def pdf_lines_of_page(pdf: Path, number: int) -> list[str]:
    """The page's lines of copy, its furniture aside."""
    output = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-f", str(number), "-l", str(number), "-x", "0",
         "-y", str(round(FURNITURE_BAND)), "-W", "2000", "-H", "1000", str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    return [line for line in output.splitlines() if line.strip()]


def _long_story(figure_after: int, paragraphs: int = 26) -> str:
    return generated_article(7, paragraphs, figure_after=figure_after)


@pytest.mark.parametrize(("page_size", "picture"), [("a4", (1200, 800)), ("book", (800, 1200))])
def test_a_figure_that_does_not_fit_moves_on_without_leaving_a_gap(
    tmp_path: Path, page_size: str, picture: tuple[int, int]
) -> None:
    """Wherever the desk puts the figure, every column of every page but the last is
    filled to within a few lines of its foot."""
    gaps = []
    for figure_after in range(0, 14):
        root = tmp_path / f"figure-after-{figure_after}"
        manuscript = generated_edition(root / "manuscript", [_long_story(figure_after)], f"page_size: {page_size}\n",
                                       picture=picture)
        pdf = build(manuscript, root / "out", formats=("pdf",)).outputs[0].path
        # The story's last page may end short: the imprint, kept whole, opens the next.
        pages = page_fill(pdf)
        copy = pages[:-2] if pdf_lines_of_page(pdf, len(pages))[:1] == ["Imprint"] else pages[:-1]
        for number, page in enumerate(copy, 1):
            gaps.extend(
                (figure_after, number, round(white / LINE, 1))
                for white in page.white_at_foot() if white > MOST_LINES_AT_FOOT * LINE
            )
    assert not gaps, f"(figure after paragraph, page, lines left white at a column's foot): {gaps}"


def test_a_moved_figure_keeps_its_place_in_the_e_book(tmp_path: Path) -> None:
    """The print edition sets the figure after copy the desk wrote after it; the e-book,
    which has no columns to fill, where the desk wrote it. (The page list's markers
    with a moved figure: test_pagemap.py.)"""
    manuscript = generated_edition(tmp_path / "manuscript", [_long_story(9)], "page_size: book\n", picture=(800, 1200))
    result = build(manuscript, tmp_path / "out", keep_html=True)
    outputs = {output.format: output.path for output in result.outputs}
    assert 'class="moved-figure"' in outputs["html"].read_text(encoding="utf-8"), "the test tests a moved figure"
    document, = epub_documents(outputs["epub"])
    blocks = document.blocks()
    caption = blocks.index("The picture of story 7. Photo: Desk")
    written = [chunk for chunk in _long_story(9).split("---\n")[2].split("\n\n") if chunk.strip()]
    assert written[9].startswith("![") and blocks[caption - 1] == " ".join(written[8].split()), \
        "in the e-book the figure follows the ninth paragraph, as written"
    following = " ".join(blocks[caption + 1].split()[:6])
    printed = " ".join(" ".join(pdf_lines(outputs["pdf"])).split())
    assert printed.index(following) < printed.index("The picture of story 7."), "in print it comes later"


def test_layouts_that_do_not_place_figures_are_laid_out_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A house `partials/article.html` from before `placed_blocks` sets every figure where
    it was written: finding the same gaps again would only cost more layouts."""
    import weasyprint

    from hkcq_press.style.house import HouseStyle

    renders = []
    stock = weasyprint.HTML.render

    def counted(self: weasyprint.HTML, *arguments: object, **options: object) -> object:
        renders.append(1)
        return stock(self, *arguments, **options)

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    manuscript = generated_edition(tmp_path / "manuscript", [_long_story(9)], "page_size: book\n", picture=(800, 1200))
    build(manuscript, tmp_path / "placed", formats=("pdf",))
    assert len(renders) > 1, "the house layouts move the figure"
    styles = tmp_path / "styles" / "partials"
    styles.mkdir(parents=True)
    article = HouseStyle(None).find("partials/article.html").read_text(encoding="utf-8")
    (styles / "article.html").write_text(article.replace("placed_blocks(article)", "article.blocks"), encoding="utf-8")
    renders.clear()
    build(manuscript, tmp_path / "as-written", formats=("pdf",), styles_dir=tmp_path / "styles")
    assert len(renders) == 1
