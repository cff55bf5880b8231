"""What hostile or careless copy costs: whole processes on inputs built to be expensive.

Run on purpose, never as a test (timings on shared machines are noisy):

    python bench/costs.py [--gigabytes 1]

  * a no-op `build` with a large file nothing refers to beside the manuscript (the
    build record trusts its stat data once it has read it);
  * `check` of an article of 25,000 paragraphs and 25,000 pull quotes (the pull-quote
    check is near-linear);
  * `check` of a small PNG of 13,000 × 13,000 pixels (refused from its header,
    before anything is decoded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(arguments: list[str], cwd: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MB and exit status of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "hkcq_press", *arguments], cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def report(what: str, measured: tuple[float, float, int]) -> None:
    seconds, megabytes, status = measured
    print(f"| {what} | {seconds:.2f} | {megabytes:.0f} | {status} |")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--gigabytes", type=int, default=1, help="size of the stray file (default: 1)")
    arguments = options.parse_args()
    print("| case | s | peak MB | exit |\n| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "stray"
        shutil.copytree(ROOT / "manuscript", project / "manuscript")
        stray = project / "manuscript" / "raw-footage.mp4"
        with stray.open("wb") as handle:
            for _ in range(arguments.gigabytes * 1024):
                handle.write(b"\0" * (1 << 20))
        an_hour_ago = time.time() - 3600
        for path in (project / "manuscript").rglob("*"):
            os.utime(path, (an_hour_ago, an_hour_ago))
        report(f"first `build`, {arguments.gigabytes} GB stray file beside the sample", run(["build"], project))
        for number in range(1, 4):
            report(f"no-op `build` {number}, the same", run(["build"], project))

        quotes = Path(scratch) / "quotes"
        (quotes / "manuscript").mkdir(parents=True)
        # Inputs are made in processes of their own: a child process starts with its
        # parent's resident memory counted, until it runs hkcq-press.
        subprocess.run([sys.executable, "-c", (
            "import sys; n = range(25000); open(sys.argv[1], 'w', encoding='utf-8').write("
            "'---\\nheadline: H\\nbyline: B\\n---\\n\\n' + '\\n\\n'.join("
            "[f'Paragraph {i} says the ferry number {i} sails at {i % 24} from pier {i % 7}.' for i in n]"
            " + [f'::: pullquote\\nferry number {i} sails at\\n:::' for i in n]) + '\\n')"
        ), str(quotes / "manuscript" / "a.md")], check=True)
        (quotes / "manuscript" / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [a.md]\n")
        report("`check`, 25,000 paragraphs and 25,000 pull quotes (3 MB)", run(["check"], quotes))

        pixels = Path(scratch) / "pixels"
        shutil.copytree(ROOT / "manuscript", pixels / "manuscript")
        subprocess.run([sys.executable, "-c", (
            "import sys; from PIL import Image; Image.new('1', (13000, 13000), 1).save(sys.argv[1], optimize=True)"
        ), str(pixels / "manuscript" / "articles" / "scan.png")], check=True)
        article = next((pixels / "manuscript" / "articles").glob("*.md"))
        article.write_text(article.read_text(encoding="utf-8") + "\n![A scan](scan.png)\n", encoding="utf-8")
        report("`check`, a PNG of 13,000 × 13,000 pixels (refused)", run(["check"], pixels))


if __name__ == "__main__":
    main()
