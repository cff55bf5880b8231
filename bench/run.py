"""How fast hkcq-press is, against the tools an editor could use instead.

Run on purpose (`make bench`), never as a test: these machines are shared and
noisy, so compare numbers only within one run. Every timing is a whole process,
as an editor runs it: wall-clock median of several runs, and the peak resident
memory of the process (`ru_maxrss`).

Peers, on the very same input:
  * bare WeasyPrint (`python -c`) rendering the print HTML that `hkcq-press pdf
    --keep-html` rendered, with the same `write_pdf` options: the floor for the PDF;
  * pandoc (PyPI `pypandoc-binary`) making an EPUB, and a PDF through WeasyPrint
    (tagged, PDF/UA-1 as ours), from the same articles as one Markdown file. Its
    one column of larger type makes more pages than our two columns: the time per
    page of each PDF is compared too.

Editions: the sample (1), a week of 10 generated articles of varied lengths (10),
and anthologies of 50, 200 and 500 copies of the sample article with distinct
headlines; with `--sections N`, the anthologies are in N sections, which `pdf`
lays out side by side on every core (`--jobs`), and `pdf --jobs 1` is timed too.
(CPU time and peak memory count the command and every process it waited for:
the layout process, and the processes that one forked to lay out the parts, which
it reaps as they end.)

    python bench/run.py [--sizes 1,10,50,200,500] [--runs 3] [--sections N] [--record bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "manuscript"
ARTICLE = SAMPLE / "articles" / "chongqing-hong-kong-cooperation.md"
VARIED_WEEK = 10
"""The size that names the generated week (briefs to long reads) rather than copies of one article."""
BARE_WEASYPRINT = (
    "import sys, weasyprint; "
    "weasyprint.HTML(sys.argv[1]).write_pdf(sys.argv[2], pdf_variant='pdf/ua-1', pdf_tags=True)"
)


@dataclass
class Timing:
    seconds: float
    """Median wall-clock time."""
    peak_mb: float
    """Largest peak resident memory of the runs."""
    runs: int
    cpu_seconds: float = 0.0
    """Median CPU time (user and system) of the process."""


def run_once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall-clock seconds, peak resident memory (MB) and CPU seconds of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    error = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}\n{error}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def measure(commands: dict[str, list[str]], runs: int, cwd: Path, env: dict[str, str]) -> dict[str, Timing]:
    """Each command `runs` times, taking turns, so that a slow spell of a shared machine
    falls on all of them alike rather than on one."""
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(run_once(command, cwd, env))
    return {
        name: Timing(statistics.median(t for t, _, _ in runs_), max(m for _, m, _ in runs_), len(runs_),
                     statistics.median(c for _, _, c in runs_))
        for name, runs_ in samples.items()
    }


def anthology(folder: Path, size: int, sections: int = 1) -> Path:
    """The sample edition, the generated week of varied lengths (10), or `size` copies
    of the sample's article with distinct headlines, in `sections` sections."""
    if size == 1:
        return SAMPLE
    if size == VARIED_WEEK:
        sys.path.insert(0, str(ROOT / "tests"))
        from support import generated_article, generated_edition

        lengths = (1, 2, 3, 5, 8, 12, 20, 3, 2, 8)
        return generated_edition(folder / "week", [generated_article(seed, n) for seed, n in enumerate(lengths)])
    manuscript = folder / f"anthology-{size}"
    (manuscript / "articles").mkdir(parents=True)
    text = ARTICLE.read_text(encoding="utf-8")
    names = []
    for number in range(1, size + 1):
        name = f"articles/article-{number:03d}.md"
        (manuscript / name).write_text(
            re.sub(r"^headline: (.*)$", rf"headline: \1 (No. {number})", text, count=1, flags=re.M), encoding="utf-8"
        )
        names.append(name)
    if sections > 1:
        runs = [names[part * size // sections:(part + 1) * size // sections] for part in range(sections)]
        listing = "sections:\n" + "".join(
            f"  - title: Section {number}\n    articles:\n" + "".join(f"      - {name}\n" for name in run)
            for number, run in enumerate(runs, 1)
        )
    else:
        listing = "articles:\n" + "".join(f"  - {name}\n" for name in names)
    (manuscript / "edition.yaml").write_text(
        f"title: Hong Kong–Chongqing Anthology of {size}\nlanguage: en\npublisher: Hong Kong–Chongqing News Desk\n"
        + listing,
        encoding="utf-8",
    )
    return manuscript


def page_count(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as document:
        return len(document.pages)


def pandoc_markdown(manuscript: Path, target: Path) -> None:
    """The same articles as one Markdown file, as an editor would hand them to pandoc:
    a `#` heading for each headline, the byline and the body, the credit at the end."""
    edition = (manuscript / "edition.yaml").read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", edition, re.M)[1]
    parts = [f"---\ntitle: \"{title}\"\nlang: en\n---\n"]
    for entry in re.findall(r"^ *- (articles/.*)$", edition, re.M):
        text = (manuscript / entry).read_text(encoding="utf-8")
        front, body = text.split("\n---\n", 1)
        fields = dict(re.findall(r"^(\w+): (.*)$", front, re.M))
        body = re.sub(r"::: pullquote\n(.*?)\n:::", r"> \1", body, flags=re.S)
        parts.append(f"# {fields['headline']}\n\n{fields['byline']}\n\n{body}\n\n–{fields.get('credit', '')}\n")
    target.write_text("\n".join(parts), encoding="utf-8")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--sizes", default="1,10,50,200,500",
                         help="edition sizes in articles (1 = the sample, 10 = a week of varied lengths)")
    options.add_argument("--runs", type=int, default=3, help="runs of each command (the median is reported)")
    options.add_argument("--record", type=Path, help="also write the results as Markdown to this file")
    options.add_argument("--sections", type=int, default=1,
                         help="the anthologies' sections, laid out side by side (also times `pdf --jobs 1`)")
    arguments = options.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]

    import pypandoc  # the benchmark's own dependency (`pip install -e '.[bench]'`)

    pandoc = pypandoc.get_pandoc_path()
    bin_dir = Path(sys.executable).parent
    press = [str(bin_dir / "hkcq-press")]
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1767571200"}
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    say(f"# hkcq-press benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    say()
    say(f"Machine: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"hkcq-press {version('hkcq-press')}, WeasyPrint {version('weasyprint')}, ebooklib {version('ebooklib')}, "
        f"pandoc {pypandoc.get_pandoc_version()}. Whole processes, median of {arguments.runs} runs "
        "(`--help`: median of at least 5), peak RSS the largest of the runs.")
    say()
    with tempfile.TemporaryDirectory(prefix="hkcq-bench-") as scratch:
        work = Path(scratch)
        help_time = measure({"help": [*press, "--help"]}, max(5, arguments.runs), work, env)["help"]
        say(f"`hkcq-press --help`: {help_time.seconds:.3f} s, {help_time.peak_mb:.0f} MB (target < 0.2 s)")
        say()
        say("| articles | command | median s | CPU s | peak MB | s per article | peer | peer s | ratio |")
        say("| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
        per_article: dict[str, dict[int, float]] = {"pdf": {}, "epub": {}}
        pages: dict[int, tuple[int, float, int, float]] = {}
        """Each size's pages and seconds: (`pdf`'s, pandoc → PDF's)."""
        for size in sizes:
            manuscript = anthology(work, size, arguments.sections)
            out = work / f"out-{size}"
            common = ["--manuscript", str(manuscript), "--out", str(out), "--force"]
            subprocess.run([*press, "pdf", *common, "--keep-html"], cwd=work, env={**os.environ, **env},
                           check=True, stdout=subprocess.DEVNULL)
            (html,) = out.glob("*.html")
            markdown = work / f"pandoc-{size}.md"
            pandoc_markdown(manuscript, markdown)

            in_parts = arguments.sections > 1 and size not in (1, VARIED_WEEK)
            timings = measure({
                "bare": [sys.executable, "-c", BARE_WEASYPRINT, str(html), str(work / "bare.pdf")],
                "pdf": [*press, "pdf", *common],
                **({"pdf, one process": [*press, "pdf", *common, "--jobs", "1"]} if in_parts else {}),
                "pandoc epub": [pandoc, str(markdown), "-o", str(work / "pandoc.epub")],
                "epub": [*press, "epub", *common],
                "pandoc pdf": [pandoc, str(markdown), "-o", str(work / "pandoc.pdf"), "--pdf-engine=weasyprint",
                               "--pdf-engine-opt=--pdf-variant=pdf/ua-1"],
                "build": [*press, "build", *common],
                # Runs after a forced `build` each turn, so it always finds the editions up to date.
                "unchanged": [*press, "build", "--manuscript", str(manuscript), "--out", str(out)],
            }, arguments.runs, work, env)
            bare, pdf, epub, both, unchanged = (timings[name] for name in ("bare", "pdf", "epub", "build", "unchanged"))
            pandoc_epub, pandoc_pdf = timings["pandoc epub"], timings["pandoc pdf"]
            per_article["pdf"][size] = pdf.seconds / size
            per_article["epub"][size] = epub.seconds / size
            rows = [
                ("`pdf`" + (f", {arguments.sections} sections side by side" if in_parts else ""), pdf,
                 "bare WeasyPrint, same HTML", bare),
                *([("`pdf --jobs 1`", timings["pdf, one process"], "bare WeasyPrint, same HTML", bare)]
                  if in_parts else []),
                ("`epub`", epub, "pandoc → EPUB", pandoc_epub),
                ("`build`", both, "`pdf` + `epub` one after the other", Timing(pdf.seconds + epub.seconds, 0, 0)),
                ("`build`, nothing changed", unchanged, "`build`", both),
                ("pandoc → PDF (WeasyPrint)", pandoc_pdf, "`pdf`", pdf),
            ]
            for name, timing, peer_name, peer in rows:
                say(f"| {size} | {name} | {timing.seconds:.2f} | {timing.cpu_seconds:.2f} | {timing.peak_mb:.0f} | "
                    f"{timing.seconds / size:.4f} | {peer_name} | {peer.seconds:.2f} | "
                    f"{timing.seconds / peer.seconds:.2f}× |")
            (ours,) = out.glob("*.pdf")
            pages[size] = (page_count(ours), pdf.seconds, page_count(work / "pandoc.pdf"), pandoc_pdf.seconds)
            shutil.rmtree(out)
        say()
        for size, (ours, ours_seconds, theirs, theirs_seconds) in pages.items():
            say(f"{size} articles, per page: `pdf` {ours_seconds / ours:.3f} s ({ours} pages), pandoc → PDF "
                f"{theirs_seconds / theirs:.3f} s ({theirs} pages): "
                f"{(ours_seconds / ours) / (theirs_seconds / theirs):.2f}× (aim ≤ 1)")
        for kind, times in per_article.items():
            copies = [size for size in times if size not in (1, VARIED_WEEK)]  # the same article, copied
            large, small = (max(copies), min(copies)) if copies else (None, None)
            if small is not None and large != small:
                say(f"`{kind}` time per article at {large} articles / at {small}: "
                    f"{times[large] / times[small]:.2f} (target ≤ 1.3)")
    if arguments.record:
        arguments.record.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
