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


def _written(manuscript: Path, target: Path, tuned: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, int]:
    """The PDF's bytes, and how many times pydyf built the page references for it
    inside WeasyPrint's tag writer."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
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
    return target.read_bytes(), len(built)


def test_tuned_weasyprint_writes_the_same_bytes_and_builds_the_page_references_once(
    manuscript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock, stock_builds = _written(manuscript, tmp_path / "stock.pdf", False, monkeypatch)
    tuned, tuned_builds = _written(manuscript, tmp_path / "tuned.pdf", True, monkeypatch)
    assert tuned == stock
    assert stock_builds > 10, "stock WeasyPrint builds them for every tag"
    assert tuned_builds == 0, "tuned, it builds them once, before the tag writer runs"


def test_the_tuning_is_proven_on_the_weasyprint_installed() -> None:
    """A new WeasyPrint is tuned only once this file's tests have run on it and its
    version is added to `PROVEN_ON`; until then it runs stock, which this test says."""
    import weasyprint

    assert weasyprint_tuning.applies(), f"WeasyPrint {weasyprint.__version__} runs untuned: prove it and list it"
