"""Dates as a desk prints them, in both editions; ISO 8601 in the metadata."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import Built, copy_manuscript, run_cli
from hypothesis import given
from hypothesis import strategies as st
from support import flow, pdf_lines

from hkcq_press.build import build
from hkcq_press.model.dates import MONTHS, date_problem, printed_date
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


@pytest.mark.parametrize("iso, language, pattern, printed", [
    ("2026-12-03", "zh-Hant-HK", "{year}年{month_number}月{day}日（{weekday}）", "2026年12月3日（星期四）"),
    ("2026-12-03", "zh-Hans", "{month}{day}日，{weekday}", "12月3日，星期四"),
    ("2026-12-03", "en-GB", "{weekday}, {day} {month} {year}", "Thursday, 3 December 2026"),
])
def test_names_of_months_and_weekdays_are_in_the_dates_language(iso: str, language: str, pattern: str,
                                                                printed: str) -> None:
    assert printed_date(iso, language, pattern) == printed


def _two_language_edition(tmp_path: Path, date_format: str, languages: tuple[str, str] = ("en", "zh-Hant-HK")) -> Path:
    manuscript = tmp_path / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    (manuscript / "edition.yaml").write_text(
        f"title: Dates\nlanguage: en\narticles: [articles/en.md, articles/other.md]\n{date_format}", encoding="utf-8"
    )
    (manuscript / "articles" / "en.md").write_text(
        f"---\nheadline: Ferries\nbyline: Desk\ndate: 2026-12-03\nlanguage: {languages[0]}\n---\n\nWords.\n",
        encoding="utf-8")
    (manuscript / "articles" / "other.md").write_text(
        f"---\nheadline: 渡輪\nbyline: 編輯部\ndate: 2026-12-03\nlanguage: {languages[1]}\n---\n\n文字。\n",
        encoding="utf-8")
    return manuscript


def _article_dates(manuscript: Path, tmp_path: Path) -> list[str]:
    result = build(manuscript, tmp_path / "dist", formats=("epub",))
    with zipfile.ZipFile(result.outputs[0].path) as book:
        return [book.read(f"EPUB/text/{name}.xhtml").decode().split('<p class="article-date">')[1].split("</p>")[0]
                for name in ("en", "other")]


def test_one_date_format_is_the_edition_languages_and_others_print_their_house_form(tmp_path: Path) -> None:
    manuscript = _two_language_edition(tmp_path, 'date_format: "{weekday}, {day} {month} {year}"\n')
    assert _article_dates(manuscript, tmp_path) == [
        '<time datetime="2026-12-03">Thursday, 3 December 2026</time>',
        '<time datetime="2026-12-03">2026年12月3日</time>',
    ]


def test_a_date_format_for_each_language(tmp_path: Path) -> None:
    manuscript = _two_language_edition(
        tmp_path, 'date_format:\n  en: "{weekday}, {day} {month} {year}"\n  zh: "{year}年{month}{day}日（{weekday}）"\n'
    )
    assert _article_dates(manuscript, tmp_path) == [
        '<time datetime="2026-12-03">Thursday, 3 December 2026</time>',
        '<time datetime="2026-12-03">2026年12月3日（星期四）</time>',
    ]
    # Both editions print the same dates.
    result = build(manuscript, tmp_path / "print", formats=("pdf",))
    stream = flow(pdf_lines(result.outputs[0].path))
    assert "Thursday, 3 December 2026" in stream and "2026年12月3日（星期四）" in stream


def test_a_date_whose_words_are_in_another_language_says_which(tmp_path: Path) -> None:
    """hkcq-press names months in English and Chinese only: a French article's date is
    marked English, so it is read with the right voice."""
    manuscript = _two_language_edition(tmp_path, "", languages=("fr", "zh-Hant-HK"))
    assert _article_dates(manuscript, tmp_path)[0] == (
        '<time datetime="2026-12-03" lang="en" xml:lang="en">3 December 2026</time>'
    )


@pytest.mark.parametrize("written, problem", [
    ("2026-13", "there is no month 13: months are 01 to 12"),
    ("2026-00", "there is no month 00: months are 01 to 12"),
    ("2026-11-31", "November 2026 has 30 days"),
    ("2026-02-29", "February 2026 has 28 days"),
    ("2026-02-30T08:00:00+08:00", "February 2026 has 28 days"),
    ("23 November 2026", "it is not an ISO 8601 date"),
])
def test_an_impossible_date_is_refused_by_check_saying_what_is_wrong(tmp_path: Path, written: str,
                                                                     problem: str) -> None:
    manuscript = _two_language_edition(tmp_path, "")
    article = manuscript / "articles" / "en.md"
    article.write_text(article.read_text(encoding="utf-8").replace("2026-12-03", written), encoding="utf-8")
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"manuscript/articles/en.md:4: error: `date: {written}` cannot be printed: {problem}\n"
        "  Write dates as YYYY-MM-DD (or YYYY-MM, or YYYY), for example `date: 2026-11-25`.\n"
        "hkcq-press: 1 error.\n"
    )


def test_a_leap_day_is_a_date() -> None:
    assert date_problem("2028-02-29") is None and date_problem("2026-11") is None and date_problem("2026") is None


@pytest.mark.parametrize("date_format, line, message", [
    ('date_format: "{year:>99999999}"\n', 4,
     "`date_format` takes field names only, without a format or conversion: {year…}"),
    ('date_format: "{day!r} {month}"\n', 4,
     "`date_format` takes field names only, without a format or conversion: {day…}"),
    ('date_format: "{}"\n', 4, "`date_format` names what a date does not have: {}"),
    ('date_format: "{day"\n', 4, "`date_format` cannot be read: expected '}' before end of string"),
    ('date_format:\n  fr: "{day} {month} {year}"\n', 5,
     "`date_format` for `fr` names {month}: hkcq-press has the names of months and weekdays in English and "
     "Chinese only"),
    ('date_format:\n  English: "{day} {month} {year}"\n', 5, "`English` under `date_format` is not a language tag"),
])
def test_a_date_format_is_field_names_only_and_refused_at_its_line(tmp_path: Path, date_format: str, line: int,
                                                                   message: str) -> None:
    manuscript = _two_language_edition(tmp_path, date_format)
    with pytest.raises(ManuscriptError) as raised:
        build(manuscript, tmp_path / "dist")
    (problem,) = raised.value.problems
    assert (problem.path.name, problem.line, problem.message) == ("edition.yaml", line, message)
