"""Visual regression: every page of the fixture editions, rendered by poppler, against
reviewed reference images, so a style change that breaks the layout fails here.

After an intended change of the layout, rewrite the references with
`pytest tests/test_visual.py --update-references`, look at every changed image
(`git diff --stat tests/references`, then open them), and commit them with the
change that explains them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, Built
from PIL import Image, ImageChops

from hkcq_press.build import build

REFERENCES = Path(__file__).resolve().parent / "references"
RESOLUTION = 50
"""Dots per inch: enough to see every line of type and rule, small enough to commit."""
INK_STEP = 96
"""A pixel differs when its grey level moves by more than this (of 255): anti-aliasing
of the same glyph in the same place moves it less."""
TOLERANCE = 0.002
"""The share of a page's pixels that may differ: a moved line of type or rule moves
far more than this."""


def render_pages(pdf: Path, folder: Path) -> list[Image.Image]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-gray", "-png", str(pdf), str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return [Image.open(path).convert("L") for path in pages]


def differing_share(actual: Image.Image, reference: Image.Image) -> float:
    if actual.size != reference.size:
        return 1.0
    histogram = ImageChops.difference(actual, reference).histogram()
    return sum(histogram[INK_STEP + 1:]) / (actual.width * actual.height)


def compare_with_references(pdf: Path, name: str, work: Path) -> list[str]:
    """What differs from the references of `name`, page by page, with the images
    written to `work` for a person to look at."""
    pages = render_pages(pdf, work / "actual")
    references = sorted((REFERENCES / name).glob("page-*.png"), key=lambda path: int(path.stem.split("-")[1]))
    if len(pages) != len(references):
        return [f"{len(pages)} pages, the references have {len(references)}"]
    problems = []
    for number, (page, reference_path) in enumerate(zip(pages, references, strict=True), 1):
        reference = Image.open(reference_path).convert("L")
        share = differing_share(page, reference)
        if share > TOLERANCE:
            page.save(work / f"actual-{number}.png")
            if page.size == reference.size:
                ImageChops.invert(ImageChops.difference(page, reference)).save(work / f"difference-{number}.png")
            problems.append(f"page {number}: {share:.2%} of the pixels differ (see {work})")
    return problems


@pytest.mark.parametrize("name", ["sample", "multi", "chinese", "deskweek"])
def test_pages_look_as_reviewed(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    built: Built = request.getfixturevalue(f"{name}_edition")
    if request.config.getoption("--update-references") or request.config.getoption("--update-golden"):
        target = REFERENCES / name
        shutil.rmtree(target, ignore_errors=True)
        rendered = render_pages(built.pdf, tmp_path)
        target.mkdir(parents=True)
        for number, page in enumerate(rendered, 1):
            page.save(target / f"page-{number}.png", optimize=True)
        pytest.skip(f"references of {name} rewritten: review them before committing")
    assert compare_with_references(built.pdf, name, tmp_path) == []


def test_a_broken_layout_is_caught(tmp_path: Path) -> None:
    """One column instead of two: the comparison must see it."""
    styles = tmp_path / "styles"
    shutil.copytree(ROOT / "styles", styles)
    with (styles / "house.css").open("a", encoding="utf-8") as house:
        house.write("\n.article-body { columns: 1; }\n")
    result = build(SAMPLE, tmp_path / "dist", formats=("pdf",), styles_dir=styles)
    problems = compare_with_references(result.outputs[0].path, "sample", tmp_path / "work")
    assert problems and all("differ" in problem or "pages" in problem for problem in problems)


def test_a_reference_is_matched_by_itself(sample_edition: Built, tmp_path: Path) -> None:
    """The tolerance passes the very same rendering; the references are not empty pages."""
    pages = render_pages(sample_edition.pdf, tmp_path)
    assert all(differing_share(page, page) == 0 for page in pages)
    blank = Image.new("L", pages[0].size, 255)
    assert differing_share(pages[0], blank) > 20 * TOLERANCE
