"""What placing figures costs the print edition: `pdf` of editions whose figures do
or do not fit where the desk wrote them, laid out with figures placed (as built)
and with every figure where it was written (one layout), in one process.

Run on purpose, never as a test (these machines are noisy; compare numbers only
within one run):

    python bench/placement.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import weasyprint

from hkcq_press.pdf import placement
from hkcq_press.reader.edition import load_edition
from hkcq_press.pdf.writer import write_pdf
from hkcq_press.style.house import HouseStyle

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support import generated_article, generated_edition  # noqa: E402


def editions(folder: Path) -> dict[str, Path]:
    week = [generated_article(seed, length, figure_after=1 if seed % 3 == 2 else None)
            for seed, length in enumerate((1, 2, 3, 5, 8, 12, 20, 3, 2, 8))]
    fifty = [generated_article(seed, 3 + seed % 11, figure_after=seed % 4) for seed in range(50)]
    return {
        "desk's week (4 articles, one figure)": ROOT / "tests" / "fixtures" / "deskweek",
        "generated week (10 articles, 3 figures)": generated_edition(folder / "week", week),
        "generated 50 articles, a figure each": generated_edition(folder / "fifty", fifty),
    }


def timed(manuscript: Path, target: Path, layouts: int) -> tuple[float, int, int]:
    """Seconds, pages and layouts of one `pdf`, with at most `layouts` layouts."""
    renders = []
    stock_render, stock_most = weasyprint.HTML.render, placement.MOST_LAYOUTS

    def counted(self: weasyprint.HTML, *arguments: object, **options: object) -> object:
        renders.append(1)
        return stock_render(self, *arguments, **options)

    weasyprint.HTML.render = counted  # type: ignore[method-assign]
    import hkcq_press.pdf.writer as pdf_module
    pdf_module.MOST_LAYOUTS = layouts  # type: ignore[attr-defined]
    try:
        started = time.perf_counter()
        edition, _ = load_edition(manuscript)
        result = write_pdf(edition, HouseStyle(None), target)
        return time.perf_counter() - started, result.pages, len(renders)
    finally:
        weasyprint.HTML.render = stock_render  # type: ignore[method-assign]
        pdf_module.MOST_LAYOUTS = stock_most  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print("| edition | as written: s (pages) | placed: s (pages, layouts) | placed ÷ as written |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for name, manuscript in editions(Path(folder)).items():
            runs: dict[int, list[tuple[float, int, int]]] = {1: [], placement.MOST_LAYOUTS: []}
            for _ in range(arguments.runs):
                for layouts in runs:
                    runs[layouts].append(timed(manuscript, Path(folder) / "edition.pdf", layouts))
            written, placed = (statistics.median(seconds for seconds, _, _ in runs[key]) for key in runs)
            (_, written_pages, _), (_, placed_pages, layouts) = runs[1][0], runs[placement.MOST_LAYOUTS][0]
            print(f"| {name} | {written:.2f} ({written_pages}) | {placed:.2f} ({placed_pages}, {layouts}) "
                  f"| {placed / written:.2f} |", flush=True)


if __name__ == "__main__":
    main()
