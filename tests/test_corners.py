"""Corners of Markdown a desk writes, as both editions lay them out: a note call in a
link's words, tables in quotations and list items, strikethrough with one tilde or
two, telephone and e-mail links, emoji, and addresses printed as the desk wrote them. Read back from
the built PDF and EPUB; the EPUB passes epubcheck."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, Built
from support import epubcheck_messages, flow, in_order, pdf_lines

from hkcq_press.build import build

CORNERS = FIXTURES / "corners"


@pytest.fixture(scope="module")
def corners(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(CORNERS, build(CORNERS, tmp_path_factory.mktemp("corners-dist")))


@pytest.fixture(scope="module")
def chapter(corners: Built) -> str:
    with zipfile.ZipFile(corners.epub) as book:
        return book.read("EPUB/text/corners.xhtml").decode()


@pytest.fixture(scope="module")
def printed(corners: Built) -> str:
    return flow(pdf_lines(corners.pdf))


def test_a_note_call_in_a_links_words_is_a_call_after_them(chapter: str, printed: str) -> None:
    assert ('<a href="https://example.com/ferry-fares/2026%20report.html">the report</a><a class="noteref" '
            'href="#corners--note-1"') in chapter
    assert "[the report" not in chapter and "](" not in chapter
    in_order(printed, ["the report (https://example.com/ferry-fares/2026%20report.html)1"], any_break=True)
    assert "[" not in printed and "](" not in printed


def test_tables_in_quotations_and_list_items_are_tables(chapter: str, printed: str) -> None:
    assert chapter.count("<table>") == 2
    assert "Central–Cheung Chau 24" in printed and "Tsim Sha Tsui–Wan Chai 2026" in printed
    assert "| ---" not in printed and "|" not in printed


def test_strikethrough_with_one_tilde_or_two_and_three_as_written(chapter: str, printed: str) -> None:
    assert "<del>HK$2.20</del>" in chapter and "<del>HK$1.90</del>" in chapter
    assert "~~~three tildes~~~ print as written" in chapter
    in_order(printed, ["The old fare was HK$2.20 and the older one HK$1.90; ~~~three tildes~~~ print as written."],
             any_break=True)


def test_telephone_links_print_their_number(chapter: str, printed: str) -> None:
    assert '<a href="tel:+85221234567">the hotline</a>' in chapter
    assert '<a href="mailto:desk@example.com">desk@example.com</a>' in chapter
    in_order(printed, ["Call the hotline (+85221234567) or +852 2123 4567, or write to desk@example.com."],
             any_break=True)


def test_addresses_print_as_the_desk_wrote_them(printed: str) -> None:
    assert "(https://例子.中国/路徑/文章)" in printed
    assert "2026%20report.html" in printed and "2026 report" not in printed


def test_emoji_print_in_the_house_emoji_face(corners: Built, chapter: str, printed: str) -> None:
    assert "Commuters answered with 👍 and 🚢, and one with 😡." in chapter
    in_order(printed, ["Commuters answered with 👍 and 🚢, and one with 😡."], any_break=True)
    fonts = subprocess.run(["pdffonts", str(corners.pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Emoji" in fonts
    with zipfile.ZipFile(corners.epub) as book:
        assert any("NotoEmoji" in name for name in book.namelist())


def test_epubcheck_takes_every_corner(corners: Built) -> None:
    assert epubcheck_messages(corners.epub) == []


def test_check_takes_what_the_build_takes(tmp_path: Path) -> None:
    from conftest import run_cli

    result = run_cli("check", "--manuscript", str(CORNERS), cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
