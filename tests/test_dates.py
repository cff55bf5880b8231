"""Dates as a desk prints them, in both editions; ISO 8601 in the metadata."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import Built, copy_manuscript
from hypothesis import given
from hypothesis import strategies as st
from support import flow, pdf_lines

from hkcq_press.build import build
from hkcq_press.dates import MONTHS, printed_date
from hkcq_press.errors import ManuscriptError


@pytest.mark.parametrize("iso, language, printed", [
    ("2026-11-23", "en", "23 November 2026"),
    ("2026-11-23", "en-GB", "23 November 2026"),
    ("2026-11-23", "en-HK", "23 November 2026"),
    ("2026-11-23", "en-US", "November 23, 2026"),
    ("2026-11-23", "zh-Hant-HK", "2026年11月23日"),
    ("2026-01-05", "zh-Hans", "2026年1月5日"),
    ("2026-11", "en", "November 2026"),
    ("2026-11", "zh", "2026年11月"),
    ("2026", "en-US", "2026"),
    ("2026-11-23T08:30:00+08:00", "en", "23 November 2026"),
])
def test_the_house_form_of_each_language(iso: str, language: str, printed: str) -> None:
    assert printed_date(iso, language) == printed


def test_an_edition_pattern() -> None:
    assert printed_date("2026-11-23", "en", "{weekday}, {day} {month} {year}") == "Monday, 23 November 2026"
    assert printed_date("2026-11-23", "en", "{day}.{month_number}.{year}") == "23.11.2026"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_every_day_prints_its_day_month_and_year(day: date) -> None:
    english = printed_date(day.isoformat(), "en")
    assert english == f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    assert printed_date(day.isoformat(), "zh-Hant") == f"{day.year}年{day.month}月{day.day}日"
    tomorrow = day + timedelta(days=1)
    assert printed_date(tomorrow.isoformat(), "en") != english


def test_both_editions_print_the_house_form_and_keep_iso_in_the_metadata(multi_edition: Built) -> None:
    stream = flow(pdf_lines(multi_edition.pdf))
    assert "2026-01-05" not in stream
    assert stream.count("5 January 2026") >= 2  # the masthead and the article
    with zipfile.ZipFile(multi_edition.epub) as book:
        titlepage = book.read("EPUB/text/titlepage.xhtml").decode()
        package = book.read("EPUB/content.opf").decode()
    assert '<time datetime="2026-01-05">5 January 2026</time>' in titlepage
    assert "<dc:date>2026-01-05</dc:date>" in package


def test_an_american_edition_and_a_pattern_of_its_own(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="date_format: \"{weekday}, {month} {day}, {year}\"\n")
    edition_yaml = manuscript / "edition.yaml"
    edition_yaml.write_text(edition_yaml.read_text(encoding="utf-8").replace("language: en\n", "language: en-US\n"),
                            encoding="utf-8")
    result = build(manuscript, tmp_path / "dist", formats=("epub",))
    with zipfile.ZipFile(result.outputs[0].path) as book:
        assert ">Monday, January 5, 2026</time>" in book.read("EPUB/text/titlepage.xhtml").decode()


def test_a_pattern_naming_what_a_date_has_not_is_refused_at_its_line(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="date_format: \"{day} {moon} {year}\"\n")
    lines = (manuscript / "edition.yaml").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ManuscriptError) as raised:
        build(manuscript, tmp_path / "dist")
    (problem,) = raised.value.problems
    assert (problem.line, problem.message) == (len(lines), "`date_format` names what a date does not have: moon")
    assert problem.hint.startswith("Use {weekday}, {day}, {month}, {month_number} and {year}")


def test_the_imprint_lists_each_credit_once_without_its_dash(tmp_path: Path) -> None:
    """The same agency credited with the dash, without it, and in other letter case."""
    manuscript = tmp_path / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    credits = ["–The Daily Mail-China Daily news exchange item", "The Daily Mail-China Daily news exchange item",
               "the daily mail-china daily news exchange item", "Xinhua"]
    for number, credit in enumerate(credits):
        (manuscript / "articles" / f"a{number}.md").write_text(
            f"---\nheadline: Story {number}\nbyline: Desk\ncredit: \"{credit}\"\n---\n\nWords.\n", encoding="utf-8")
    (manuscript / "edition.yaml").write_text(
        "title: Credits\nlanguage: en\narticles: [articles/a0.md, articles/a1.md, articles/a2.md, articles/a3.md]\n",
        encoding="utf-8")
    result = build(manuscript, tmp_path / "dist", formats=("epub",))
    with zipfile.ZipFile(result.outputs[0].path) as book:
        colophon = book.read("EPUB/text/colophon.xhtml").decode()
    assert '<ul class="credits">\n<li>The Daily Mail-China Daily news exchange item (3 articles)</li>\n' \
           "<li>Xinhua (1 article)</li>\n</ul>" in colophon
    assert "–" not in colophon
