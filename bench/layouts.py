"""What the layout sandbox costs: the print and e-book layouts of an edition rendered
in the house sandbox and in a plain Jinja2 environment set up alike, in one process.

Run on purpose, never as a test (these machines are noisy; compare numbers only
within one run):

    python bench/layouts.py [--sizes 50,200] [--runs 11]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jinja2 import Environment

from hkcq_press.epub.writer import _article_xhtml
from hkcq_press.markup.inline import InlineMarkup
from hkcq_press.reader.edition import load_edition
from hkcq_press.model.edition import Edition
from hkcq_press.pdf.writer import print_html
from hkcq_press.style.house import HouseStyle

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, anthology  # noqa: E402

DESKWEEK = ROOT / "tests" / "fixtures" / "deskweek"


def plain(style: HouseStyle) -> HouseStyle:
    """The same house style rendered without the sandbox (for comparison only)."""
    sandboxed = style.environment
    style.environment = Environment(
        loader=sandboxed.loader, autoescape=sandboxed.autoescape, undefined=sandboxed.undefined,
        trim_blocks=sandboxed.trim_blocks, lstrip_blocks=sandboxed.lstrip_blocks, auto_reload=False,
    )
    style.environment.globals["block_layout"] = style.block_layout
    return style


def render_both(edition: Edition, style: HouseStyle) -> None:
    print_html(edition, style)
    inline = InlineMarkup(edition, "epub", lambda article: f"{article.key}.xhtml")
    names = {figure.source: "image" for article in edition.articles for figure in article.figures}
    for article in edition.articles:
        _article_xhtml(edition, article, style, [], names, inline)


def median_seconds(edition: Edition, style: HouseStyle, runs: int) -> float:
    render_both(edition, style)  # compile and cache the layouts first
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        render_both(edition, style)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--sizes", default="50,200", help="anthology sizes in articles")
    options.add_argument("--runs", type=int, default=11, help="renders of each (the median is reported)")
    arguments = options.parse_args()
    print("| edition | sandboxed s | plain Jinja2 s | ratio |\n| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        editions = {"desk's week (4 articles, every block kind)": DESKWEEK}
        editions |= {f"anthology of {size}": anthology(Path(scratch), int(size)) for size in arguments.sizes.split(",")}
        for name, manuscript in editions.items():
            edition, _ = load_edition(manuscript)
            sandboxed = median_seconds(edition, HouseStyle(None), arguments.runs)
            unsandboxed = median_seconds(edition, plain(HouseStyle(None)), arguments.runs)
            print(f"| {name} | {sandboxed:.4f} | {unsandboxed:.4f} | {sandboxed / unsandboxed:.2f}× |")


if __name__ == "__main__":
    main()
