"""WeasyPrint tuned (weasyprint_tuning.py) writes the same bytes as WeasyPrint stock,
and the tuning does what it says: pydyf's page references are built once a PDF,
not once a tag."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pydyf
import pytest
from conftest import DESKWEEK, MULTI, SAMPLE
from support import generated_article, generated_edition

from weasyprint.layout import block, inline, preferred
from weasyprint import pdf as weasyprint_pdf
from weasyprint.pdf.tags import add_tags
from weasyprint.text.line_break import split_first_line as split_first_line_stock

from hkcq_press.pdf import tuning as weasyprint_tuning
from hkcq_press.reader.edition import load_edition
from hkcq_press.pdf.writer import laid_out
from hkcq_press.style.house import HouseStyle


def _copies_of_the_sample(root: Path, copies: int) -> Path:
    """The sample's article `copies` times: every article ends in balanced columns with
    a pull quote kept whole, where WeasyPrint's balancing walks a pixel at a time."""
    article = (SAMPLE / "articles" / "chongqing-hong-kong-cooperation.md").read_text(encoding="utf-8")
    return generated_edition(root, [re.sub(r"^(headline: .*)$", rf"\1 (No. {number})", article, count=1, flags=re.M)
                                    for number in range(copies)])


@pytest.fixture(params=["multi", "deskweek", "forty pages", "twelve copies of the sample"])
def manuscript(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "forty pages":
        articles = [generated_article(number, 12, figure_after=2) for number in range(14)]
        return generated_edition(tmp_path / "manuscript", articles)
    if request.param == "twelve copies of the sample":
        return _copies_of_the_sample(tmp_path / "manuscript", 12)
    return {"multi": MULTI, "deskweek": DESKWEEK}[request.param]


@dataclass(frozen=True)
class Written:
    pdf: bytes
    page_reference_builds: int
    """How many times pydyf built the page references inside WeasyPrint's tag writer."""
    lines_broken: int
    column_passes: int
    """How many times WeasyPrint laid out a column, trials included."""


def _written(
    manuscript: Path, target: Path, tuned: bool, monkeypatch: pytest.MonkeyPatch, most_lines: int = 200_000
) -> Written:
    """The PDF as written, with what it took."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    monkeypatch.setattr(weasyprint_tuning, "MOST_LINES", most_lines)
    broken = []
    split_first_line = inline.split_first_line

    def breaking(*arguments: object, **options: object) -> object:
        broken.append(1)
        return split_first_line(*arguments, **options)

    monkeypatch.setattr(inline, "split_first_line", breaking)
    monkeypatch.setattr(preferred, "split_first_line", breaking)
    passes = []
    block_box_layout = block.block_box_layout

    def column_pass(*arguments: object, **options: object) -> object:
        if sys._getframe(1).f_code.co_name == "columns_layout":
            passes.append(1)
        return block_box_layout(*arguments, **options)

    monkeypatch.setattr(block, "block_box_layout", column_pass)
    built = []
    stock = pydyf.PDF.page_references

    def counted(pdf: pydyf.PDF) -> tuple[bytes, ...]:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code is not add_tags.__code__:
            frame = frame.f_back
        if frame is not None:
            built.append(1)
        return stock.fget(pdf)  # type: ignore[attr-defined]

    monkeypatch.setattr(pydyf.PDF, "page_references", property(counted))
    monkeypatch.setattr(weasyprint_tuning, "applies", lambda: tuned)
    edition, _ = load_edition(manuscript)
    with laid_out(edition, HouseStyle(None)) as layout:
        layout.write(target)
    monkeypatch.undo()
    return Written(target.read_bytes(), len(built), len(broken), len(passes))


def test_tuned_weasyprint_writes_the_same_bytes_with_less_work(
    manuscript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = _written(manuscript, tmp_path / "stock.pdf", False, monkeypatch)
    tuned = _written(manuscript, tmp_path / "tuned.pdf", True, monkeypatch)
    assert tuned.pdf == stock.pdf
    assert stock.page_reference_builds > 10, "stock WeasyPrint builds them for every tag"
    assert tuned.page_reference_builds == 0, "tuned, it builds them once, before the tag writer runs"
    assert tuned.lines_broken < 0.8 * stock.lines_broken, "a line broken once is not broken again"


def test_columns_are_balanced_in_fewer_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manuscript = _copies_of_the_sample(tmp_path / "manuscript", 12)
    stock = _written(manuscript, tmp_path / "stock.pdf", False, monkeypatch)
    tuned = _written(manuscript, tmp_path / "tuned.pdf", True, monkeypatch)
    assert tuned.pdf == stock.pdf
    assert tuned.column_passes < 0.9 * stock.column_passes, (tuned.column_passes, stock.column_passes)


def test_the_line_memory_is_bounded_and_still_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stock = _written(DESKWEEK, tmp_path / "stock.pdf", False, monkeypatch)
    bounded = _written(DESKWEEK, tmp_path / "bounded.pdf", True, monkeypatch, most_lines=50)
    unbounded = _written(DESKWEEK, tmp_path / "unbounded.pdf", True, monkeypatch)
    assert bounded.pdf == unbounded.pdf == stock.pdf
    assert unbounded.lines_broken < bounded.lines_broken, "emptied every 50 lines, the memory serves fewer"


def test_weasyprint_balances_as_it_always_did_when_its_source_is_not_as_proven(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert weasyprint_tuning._balancing_searched() is not None
    monkeypatch.setattr(weasyprint_tuning, "STOCK_BALANCING", "                add_height = 2\n")
    assert weasyprint_tuning._balancing_searched() is None


def test_weasyprint_runs_stock_on_a_version_the_tuning_is_not_proven_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new WeasyPrint is tuned only once the tests above have run on it and its version
    is added to `PROVEN_ON` (they force the tuning on, whatever the version)."""
    import weasyprint

    monkeypatch.setattr(weasyprint, "__version__", "70.0")
    assert weasyprint_tuning.applies()
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    assert not weasyprint_tuning.applies()
    with weasyprint_tuning.tuned_layout():
        assert inline.split_first_line is split_first_line_stock
    with weasyprint_tuning.tuned_writing():
        assert weasyprint_pdf.add_tags is add_tags
