"""How long a desk waits, in `hkcq-press preview`, from saving an article to the reload.

Run on purpose, never as a test (timings on shared machines are noisy):

    python bench/preview.py [--runs 5] [--sizes 1,10,50] [--sections N]

For each edition a real `hkcq-press preview` process is started; the benchmark
listens to its event stream as a browser page does, saves an article and times
the save → `chapter` event (the e-book of the save shown, before its print pages
are laid out) and the save → `build` event (both editions rebuilt). The
same edition's `hkcq-press build --force` in a new process is the comparison: what
the desk waited for before the preview existed, without reopening the PDF. A save
that changes nothing measurable (the same bytes written again) shows what the
build record spares.

Editions: the sample (1 article), the desk-copy week of the tests (10 articles
with tables, footnotes, figures and Chinese), and 50 copies of the sample article.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from run import ROOT, SAMPLE, anthology

DESK_WEEK = ROOT / "tests" / "fixtures" / "deskweek"


def editions(folder: Path, sizes: list[int], sections: int = 1) -> dict[str, Path]:
    """The editions of `sizes` articles; with `sections`, copies of the sample's
    article in that many sections instead of the fixtures."""
    found: dict[str, Path] = {}
    for size in sizes:
        if sections > 1:
            source = anthology(folder, size, sections)
        else:
            source = {1: SAMPLE, 10: DESK_WEEK}.get(size) or anthology(folder, size)
        project = folder / f"project-{size}"
        shutil.copytree(source, project / "manuscript")
        shutil.copytree(ROOT / "styles", project / "styles")
        found[f"{size} article{'s' if size != 1 else ''}{f' in {sections} sections' if sections > 1 else ''}"] = project
    return found


class Preview:
    """A `hkcq-press preview` process and its event stream, as a page hears it."""

    def __init__(self, project: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hkcq_press", "preview"], cwd=project,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        self.url = re.search(r"at (\S+) ", self.process.stdout.readline())[1]
        self.process.stdout.readline()  # the first build
        self.events = urllib.request.urlopen(self.url + "events?since=1", timeout=600)

    def next_build(self, started: float) -> tuple[float | None, float]:
        """Seconds from `started` to the `chapter` event (None: there was none) and to
        the `build` event that follows."""
        chapter = None
        while not (line := self.events.readline()).startswith(b"event: build"):
            if line.startswith(b"event: chapter"):
                chapter = time.perf_counter() - started
        self.events.readline()
        return chapter, time.perf_counter() - started

    def close(self) -> None:
        self.events.close()
        self.process.terminate()
        self.process.wait()


def time_saves(preview: Preview, article: Path, runs: int, change: bool) -> list[tuple[float | None, float]]:
    """For each save: seconds to the chapter shown (None: none was) and to the build."""
    text = article.read_text(encoding="utf-8")
    seconds = []
    for run in range(runs):
        changed = re.sub(r"^(headline: .*?)( \(edit \d+\))?$", rf"\1 (edit {run})", text, count=1, flags=re.M)
        started = time.perf_counter()
        article.write_text(changed if change else text, encoding="utf-8")
        seconds.append(preview.next_build(started))
        time.sleep(0.3)  # let the editor-like burst settle before the next save
    return seconds


def full_build(project: Path, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hkcq_press", "build", "--force", "--quiet"], cwd=project, check=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--sizes", default="1,10,50")
    options.add_argument("--sections", type=int, default=1,
                         help="copies of the sample's article in this many sections (the part store at work)")
    arguments = options.parse_args()
    print(f"median of {arguments.runs}; {os.cpu_count()} cores\n")
    print("| edition | save → chapter shown (s) | save → print pages (s) | same bytes saved again (s) "
          "| `build --force` process (s) | chapter / build | pages / build |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        sizes = [int(size) for size in arguments.sizes.split(",")]
        for name, project in editions(Path(scratch), sizes, arguments.sections).items():
            article = sorted((project / "manuscript" / "articles").glob("*.md"))[0]
            preview = Preview(project)
            try:
                changed = time_saves(preview, article, arguments.runs, change=True)
                unchanged = statistics.median(pages for _, pages in time_saves(
                    preview, article, arguments.runs, change=False))
            finally:
                preview.close()
            build = statistics.median(full_build(project, arguments.runs))
            chapter = statistics.median(seconds if seconds is not None else pages for seconds, pages in changed)
            pages = statistics.median(pages for _, pages in changed)
            print(f"| {name} | {chapter:.2f} | {pages:.2f} | {unchanged:.2f} | {build:.2f} | {chapter / build:.2f} | "
                  f"{pages / build:.2f} |", flush=True)


if __name__ == "__main__":
    main()
