"""What rebuilding an edition of sections costs after one article changed, against
building it from nothing: `hkcq-press pdf` (every core) on an anthology of `--size`
articles in `--sections` sections, as an editor runs it.

Each turn restores the anthology and builds it into an empty folder (the full
build, timed), then changes one article and builds again into the same folder
(timed), for each change in turn:

  * a word: one word of an article in the middle section for another of its length
    (the same pages, most likely);
  * a paragraph, middle: two paragraphs added to that article (its section grows,
    the sections after it start later and the contents' numbers move);
  * a paragraph, last: two paragraphs added to the edition's last article.

It also says how many sections each rebuild laid out again (the parts in the
output folder's store that it rewrote). Run on purpose, never as a test (these
machines are noisy; compare numbers only within one run):

    python bench/rebuild.py [--size 200] [--sections 10] [--runs 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import anthology, run_once  # noqa: E402

STORE = ".hkcq-press-parts"


def stored(out: Path) -> dict[str, int]:
    return {str(pdf): pdf.stat().st_mtime_ns for pdf in (out / STORE).glob("*/*/part.pdf")}


def swap_a_word(article: Path) -> None:
    text = article.read_text(encoding="utf-8")
    front, body = text.split("\n---\n", 1)
    words = [word for word in body.split() if word.isalpha()]
    one, other = next((a, b) for a in words for b in words if a != b and len(a) == len(b) > 4)
    article.write_text(front + "\n---\n" + re.sub(rf"\b{one}\b", other, body, count=1), encoding="utf-8")


def add_paragraphs(article: Path) -> None:
    text = article.read_text(encoding="utf-8")
    paragraphs = [block for block in text.split("\n---\n", 1)[1].split("\n\n") if block.strip()[:1].isalpha()]
    article.write_text(text.rstrip("\n") + "\n\n" + "\n\n".join(paragraphs[:2]) + "\n", encoding="utf-8")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--size", type=int, default=200)
    options.add_argument("--sections", type=int, default=10)
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    arguments = options.parse_args()
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1767571200"}
    with tempfile.TemporaryDirectory(prefix="hkcq-rebuild-") as scratch:
        work = Path(scratch)
        original = anthology(work / "original", arguments.size, arguments.sections)
        articles = sorted((original / "articles").glob("*.md"))
        middle = articles[len(articles) // 2].name
        changes: dict[str, Callable[[Path], None]] = {
            "a word, middle section": lambda m: swap_a_word(m / "articles" / middle),
            "two paragraphs, middle section": lambda m: add_paragraphs(m / "articles" / middle),
            "two paragraphs, last section": lambda m: add_paragraphs(m / "articles" / articles[-1].name),
        }
        manuscript, out = work / "manuscript", work / "dist"
        command = [str(bin_dir / "hkcq-press"), "pdf", "--manuscript", str(manuscript), "--out", str(out),
                   "--jobs", str(arguments.jobs)]
        full: list[float] = []
        rebuilt: dict[str, list[float]] = {name: [] for name in changes}
        laid_out: dict[str, int] = {}
        for _ in range(arguments.runs):
            for name, change in changes.items():
                shutil.rmtree(manuscript, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                shutil.copytree(original, manuscript)
                full.append(run_once(command, work, env)[0])
                before = stored(out)
                change(manuscript)
                rebuilt[name].append(run_once(command, work, env)[0])
                after = stored(out)
                laid_out[name] = sum(1 for pdf, stamp in after.items() if before.get(pdf) != stamp)
        whole = statistics.median(full)
        print(f"{arguments.size} articles in {arguments.sections} sections, `pdf --jobs {arguments.jobs}`, "
              f"median of {arguments.runs} (full: of {len(full)})")
        print()
        print("| build | sections laid out | median s | of the full build |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| from nothing | {arguments.sections} | {whole:.2f} | 1.00× |")
        for name, times in rebuilt.items():
            seconds = statistics.median(times)
            print(f"| {name} | {laid_out[name]} | {seconds:.2f} | {seconds / whole:.2f}× |")


if __name__ == "__main__":
    main()
