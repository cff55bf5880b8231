"""The print edition is a tagged PDF/UA-1 by default; an archive variant can be asked
for, and keeps the tags and the language so the archived edition stays accessible."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import MULTI, Built, copy_manuscript, run_cli

from hkcq_press.errors import ManuscriptError
from hkcq_press.reader.edition import load_edition
from hkcq_press.verify.pdfcheck import check_pdf
from hkcq_press.style.house import HouseStyle


def xmp(pdf: pikepdf.Pdf, key: str) -> str | None:
    with pdf.open_metadata() as metadata:
        return metadata.get(key)


def assert_fit_to_publish(path: Path) -> None:
    """Tagged, in English, its title shown, only house fonts, bookmarks, a variant
    claimed: `verify`'s own PDF checks find nothing."""
    assert check_pdf(path, path, HouseStyle(None)) == []
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "en"


def test_pdf_is_tagged_pdf_ua_1_by_default(edition: Built) -> None:
    assert_fit_to_publish(edition.pdf)
    with pikepdf.open(edition.pdf) as pdf:
        assert xmp(pdf, "pdfuaid:part") == "1"
        assert pdf.pdf_version == "1.7"


@pytest.mark.parametrize("how", ["option", "edition.yaml", "both"])
def test_an_archive_variant_keeps_tags_and_language(tmp_path: Path, how: str) -> None:
    # With both, the option wins over the edition's choice.
    chosen = {"option": "", "both": "pdf_variant: pdf/a-2b\n", "edition.yaml": "pdf_variant: pdf/a-3b\n"}[how]
    copy_manuscript(tmp_path, edition_lines=chosen)
    options = ["--pdf-variant", "pdf/a-3b"] if how != "edition.yaml" else []
    result = run_cli("pdf", *options, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "dist").glob("*.pdf")
    with pikepdf.open(path) as pdf:
        assert xmp(pdf, "pdfaid:part") == "3"
        assert xmp(pdf, "pdfaid:conformance") == "B"
        assert len(pdf.Root.OutputIntents) == 1
    assert_fit_to_publish(path)


def test_an_unknown_variant_is_refused(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="pdf_variant: pdf/z-9\n")
    with pytest.raises(ManuscriptError) as caught:
        load_edition(manuscript)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (13, "`pdf/z-9` is not a PDF variant hkcq-press writes")
    assert run_cli("pdf", "--pdf-variant", "pdf/z-9", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("size, box", [
    ("a4", [595.28, 841.89]), ("letter", [612, 792]), ("tabloid", [792, 1224]), ("book", [432, 648]),
])
def test_page_sizes(tmp_path: Path, size: str, box: list[float]) -> None:
    shutil.copytree(MULTI, tmp_path / "manuscript")
    result = run_cli("pdf", "--page-size", size, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "dist").glob("*.pdf")
    with pikepdf.open(path) as pdf:
        assert {tuple(round(float(v), 1) for v in page.MediaBox[2:]) for page in pdf.pages} == {
            tuple(round(v, 1) for v in box)}


def test_page_size_from_the_edition_and_the_option_wins(tmp_path: Path) -> None:
    copy_manuscript(tmp_path, edition_lines="page_size: Letter\n")
    assert run_cli("pdf", "--out", "a", cwd=tmp_path).returncode == 0
    assert run_cli("pdf", "--out", "b", "--page-size", "tabloid", cwd=tmp_path).returncode == 0
    for out, width in (("a", 612), ("b", 792)):
        (path,) = (tmp_path / out).glob("*.pdf")
        with pikepdf.open(path) as pdf:
            assert round(float(pdf.pages[0].MediaBox[2])) == width


def test_print_marks_add_bleed_around_the_trimmed_page(tmp_path: Path) -> None:
    shutil.copytree(MULTI, tmp_path / "manuscript")
    assert run_cli("pdf", "--print-marks", cwd=tmp_path).returncode == 0
    (path,) = (tmp_path / "dist").glob("*.pdf")
    bleed = 3 * 72 / 25.4
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        assert [round(float(v), 1) for v in page.TrimBox] == [0, 0, 595.3, 841.9]
        assert [round(float(v), 1) for v in page.BleedBox] == [
            round(-bleed, 1), round(-bleed, 1), round(595.28 + bleed, 1), round(841.89 + bleed, 1)]


def test_an_unknown_page_size_is_refused_at_its_line(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="page_size: Foolscap\n")
    with pytest.raises(ManuscriptError) as caught:
        load_edition(manuscript)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (13, "`Foolscap` is not a page size hkcq-press knows")
    assert problem.hint == "Choose one of a4, letter, tabloid, book."
