"""WeasyPrint tuned (weasyprint_tuning.py) writes the same bytes as WeasyPrint stock,
and the tuning does what it says: pydyf's page references are built once a PDF,
not once a tag."""

from __future__ import annotations

import sys
from pathlib import Path

import pydyf
import pytest
from conftest import DESKWEEK, MULTI
from support import generated_article, generated_edition

from weasyprint.layout import inline, preferred
from weasyprint.pdf.tags import add_tags

from hkcq_press import weasyprint_tuning
from hkcq_press.manuscript import load_edition
from hkcq_press.pdf import laid_out
from hkcq_press.render import HouseStyle


@pytest.fixture(params=["multi", "deskweek", "forty pages"])
def manuscript(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "forty pages":
        articles = [generated_article(number, 12, figure_after=2) for number in range(14)]
        return generated_edition(tmp_path / "manuscript", articles)
    return {"multi": MULTI, "deskweek": DESKWEEK}[request.param]


def _written(
    manuscript: Path, target: Path, tuned: bool, monkeypatch: pytest.MonkeyPatch, most_lines: int = 200_000
) -> tuple[bytes, int, int]:
    """The PDF's bytes, how many times pydyf built the page references for it inside
    WeasyPrint's tag writer, and how many lines WeasyPrint broke."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    monkeypatch.setattr(weasyprint_tuning, "MOST_LINES", most_lines)
    broken = []
    split_first_line = inline.split_first_line

    def breaking(*arguments: object, **options: object) -> object:
        broken.append(1)
        return split_first_line(*arguments, **options)

    monkeypatch.setattr(inline, "split_first_line", breaking)
    monkeypatch.setattr(preferred, "split_first_line", breaking)
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
    return target.read_bytes(), len(built), len(broken)


def test_tuned_weasyprint_writes_the_same_bytes_breaking_fewer_lines_and_building_the_page_references_once(
    manuscript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock, stock_builds, stock_lines = _written(manuscript, tmp_path / "stock.pdf", False, monkeypatch)
    tuned, tuned_builds, tuned_lines = _written(manuscript, tmp_path / "tuned.pdf", True, monkeypatch)
    assert tuned == stock
    assert stock_builds > 10, "stock WeasyPrint builds them for every tag"
    assert tuned_builds == 0, "tuned, it builds them once, before the tag writer runs"
    assert tuned_lines < 0.8 * stock_lines, "a line broken once is not broken again"


def test_the_line_memory_is_bounded_and_still_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stock, _, _ = _written(DESKWEEK, tmp_path / "stock.pdf", False, monkeypatch)
    bounded, _, lines = _written(DESKWEEK, tmp_path / "bounded.pdf", True, monkeypatch, most_lines=50)
    unbounded, _, fewer = _written(DESKWEEK, tmp_path / "unbounded.pdf", True, monkeypatch)
    assert bounded == unbounded == stock
    assert fewer < lines, "emptied every 50 lines, the memory serves fewer"


def test_the_tuning_is_proven_on_the_weasyprint_installed() -> None:
    """A new WeasyPrint is tuned only once this file's tests have run on it and its
    version is added to `PROVEN_ON`; until then it runs stock, which this test says."""
    import weasyprint

    assert weasyprint_tuning.applies(), f"WeasyPrint {weasyprint.__version__} runs untuned: prove it and list it"
