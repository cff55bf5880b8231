"""What `hkcq-press epub` costs built alone, against laying the print edition out
anew for its page list (`epub --force`, which is what `epub` alone always cost before
the page map was kept): after `pdf` (nothing changed: the last print layout's page
map is taken as it is), and after one word of one article changed (the pages may
have moved: laid out again, an edition of sections only its changed section, from
the store of parts, at `--jobs` 2 or more).

Each turn restores the manuscript, builds `pdf` into an empty folder, then times the
commands in turn. Run on purpose, never as a test (these machines are noisy; compare
numbers only within one run):

    python bench/epub_alone.py [--runs 5] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rebuild import swap_a_word  # noqa: E402
from run import VARIED_WEEK, anthology, run_once  # noqa: E402

EDITIONS = {"the week (10 articles)": (VARIED_WEEK, 1), "50 articles": (50, 1), "50 articles in 5 sections": (50, 5)}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    arguments = options.parse_args()
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1767571200"}
    print(f"`epub` alone, `--jobs {arguments.jobs}`, median of {arguments.runs}")
    print()
    print("| edition | `epub --force` s | after `pdf` s | ratio | after a word changed s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="hkcq-epub-alone-") as scratch:
        work = Path(scratch)
        manuscript, out = work / "manuscript", work / "dist"

        def command(kind: str, *more: str) -> list[str]:
            return [str(bin_dir / "hkcq-press"), kind, "--manuscript", str(manuscript), "--out", str(out),
                    "--jobs", str(arguments.jobs), *more]

        for name, (size, sections) in EDITIONS.items():
            original = anthology(work / f"original-{size}-{sections}", size, sections)
            articles = sorted((original / "articles").glob("*.md"))
            middle = articles[len(articles) // 2]

            times: dict[str, list[float]] = {"force": [], "after pdf": [], "after a word": []}
            for _ in range(arguments.runs):
                shutil.rmtree(manuscript, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                shutil.copytree(original, manuscript)
                run_once(command("pdf"), work, env)
                times["after pdf"].append(run_once(command("epub"), work, env)[0])
                times["force"].append(run_once(command("epub", "--force"), work, env)[0])
                swap_a_word(manuscript / "articles" / middle.name)
                times["after a word"].append(run_once(command("epub"), work, env)[0])
            force, after_pdf, after_word = (statistics.median(times[key]) for key in times)
            print(f"| {name} | {force:.2f} | {after_pdf:.2f} | {after_pdf / force:.2f}× | {after_word:.2f} | "
                  f"{after_word / force:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
