"""Bylines are printed as written; the metadata's authors are people; a piece can be
published unsigned on purpose, never by forgetting its byline."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pikepdf
import pytest
from conftest import run_cli
from support import flow, pdf_lines

from hkcq_press.build import build
from hkcq_press.errors import ManuscriptError

ARTICLES = {
    "report.md": "headline: Talks resume\nbyline: Reporting by Mei Chan in Chongqing; editing by Tom Lau\n"
                 "authors: [Mei Chan, Tom Lau]\n",
    "letters.md": "headline: Letters to the Editor\nunsigned: true\n",
    "analysis.md": "headline: What the deal means\nbyline: Ada Ho, a lecturer in commercial law\nauthors: Ada Ho\n",
}


def week(root: Path, articles: dict[str, str] = ARTICLES) -> Path:
    manuscript = root / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    for name, front in articles.items():
        (manuscript / "articles" / name).write_text(f"---\n{front}---\n\nWords of {name}.\n", encoding="utf-8")
    (manuscript / "edition.yaml").write_text(
        "title: People\nlanguage: en\npublisher: The Desk\narticles:\n"
        + "".join(f"  - articles/{name}\n" for name in articles), encoding="utf-8")
    return manuscript


def test_authors_are_people_and_bylines_are_printed_as_written(tmp_path: Path) -> None:
    result = build(week(tmp_path), tmp_path / "dist")
    pdf, epub = (output.path for output in result.outputs)
    with zipfile.ZipFile(epub) as book:
        package = book.read("EPUB/content.opf").decode()
        report = book.read("EPUB/text/report.xhtml").decode()
        letters = book.read("EPUB/text/letters.xhtml").decode()
    assert re.findall(r">([^<]+)</dc:creator>", package) == ["Mei Chan", "Tom Lau", "Ada Ho"]
    with pikepdf.open(pdf) as document:
        assert str(document.docinfo["/Author"]) == "Mei Chan, Tom Lau, Ada Ho"
    assert '<p class="byline">Reporting by Mei Chan in Chongqing; editing by Tom Lau</p>' in report
    assert 'class="byline"' not in letters
    stream = flow(pdf_lines(pdf))
    assert "Reporting by Mei Chan in Chongqing; editing by Tom Lau" in stream
    assert "Ada Ho, a lecturer in commercial law" in stream


def test_without_authors_the_metadata_names_the_publisher(tmp_path: Path) -> None:
    articles = {name: re.sub(r"authors: .*\n", "", front) for name, front in ARTICLES.items()}
    result = build(week(tmp_path, articles), tmp_path / "dist", formats=("epub",))
    with zipfile.ZipFile(result.outputs[0].path) as book:
        package = book.read("EPUB/content.opf").decode()
    assert re.findall(r">([^<]+)</dc:creator>", package) == ["The Desk"]


@pytest.mark.parametrize("front, line, message, hint", [
    ("headline: Talks resume\n", 1, "the article has no byline",
     "Add `byline: …` to the front matter: a name, a list of names, or the agency; a piece published unsigned "
     "on purpose (a letter, a leader, a brief) says `unsigned: true` instead."),
    ("headline: Talks resume\nbyline: Desk\nunsigned: true\n", 4, "the article says it is unsigned but has a byline",
     "Remove `unsigned: true` to print the byline, or the byline to publish the piece unsigned."),
    ("headline: Talks resume\nunsigned: maybe\n", 3, "`unsigned` is `true` or `false`, not `maybe`",
     "Write `unsigned: true` for a piece published without a byline, or leave the key out."),
])
def test_a_missing_byline_is_never_taken_for_an_unsigned_piece(
    tmp_path: Path, front: str, line: int, message: str, hint: str
) -> None:
    manuscript = week(tmp_path, {"story.md": front})
    with pytest.raises(ManuscriptError) as raised:
        build(manuscript, tmp_path / "dist")
    errors = [problem for problem in raised.value.problems if problem.severity == "error"]
    assert (line, message, hint) in [(problem.line, problem.message, problem.hint) for problem in errors]
    assert all(problem.message in (message, "the article has no byline") for problem in errors)
    checked = run_cli("check", cwd=tmp_path)
    assert checked.returncode == 1
    assert f"story.md:{line}: error: {message}" in checked.stderr
