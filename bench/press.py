"""What the edition for the printer costs: `pdf` as PDF/UA-1 (the default, pictures in
RGB), PDF/X-4 and PDF/X-1a (pictures separated into the printer's CMYK), on the
desk's week and on a generated edition of ten stories each with a 3000 × 2000
photograph. Prints the median time and the file's size of each, and the ratios to
PDF/UA-1.

Run on purpose, never as a test (these machines are noisy; compare numbers only
within one run):

    python bench/press.py [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESKWEEK = ROOT / "tests" / "fixtures" / "deskweek"
VARIANTS = ("pdf/ua-1", "pdf/x-4", "pdf/x-1a")


def photographed(root: Path, stories: int) -> Path:
    """An edition of `stories` stories, each with a photograph of its own (noise over a
    gradient, so it compresses as a photograph does)."""
    from PIL import Image

    (root / "articles").mkdir(parents=True)
    (root / "images").mkdir()
    chance = random.Random(7)
    listing = []
    for number in range(1, stories + 1):
        gradient = Image.linear_gradient("L").resize((3000, 2000))
        noise = Image.effect_noise((3000, 2000), 40)
        Image.merge("RGB", (gradient, noise, Image.new("L", (3000, 2000), chance.randrange(256)))).save(
            root / "images" / f"photo-{number}.jpg", quality=88)
        paragraphs = "\n\n".join(
            " ".join(chance.choice(("trade", "harbour", "ferry", "rail", "market", "bridge", "council", "port"))
                     for _ in range(80)).capitalize() + "." for _ in range(5))
        (root / "articles" / f"story-{number}.md").write_text(
            f"---\nheadline: Story {number}\nbyline: Desk\n---\n\n{paragraphs}\n\n"
            f"![A photograph for story {number}](../images/photo-{number}.jpg)\nThe picture.\nPhoto: Desk\n",
            encoding="utf-8")
        listing.append(f"  - articles/story-{number}.md\n")
    (root / "edition.yaml").write_text(
        "title: Ten Photographs\nlanguage: en\ndate: 2026-12-07\narticles:\n" + "".join(listing), encoding="utf-8")
    return root


def timed(manuscript: Path, variant: str, out: Path, runs: int) -> tuple[float, int]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hkcq_press", "pdf", "--manuscript", str(manuscript), "--out", str(out),
                        "--pdf-variant", variant, "--force", "--quiet", "--jobs", "1"], check=True)
        seconds.append(time.perf_counter() - started)
    (pdf,) = out.glob("*.pdf")
    return statistics.median(seconds), pdf.stat().st_size


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=3, help="runs of each command (the median is reported)")
    arguments = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="hkcq-press-bench-press-") as folder:
        editions = {"the desk's week": DESKWEEK, "ten 3000 × 2000 photographs": photographed(Path(folder) / "m", 10)}
        print("| edition | variant | `pdf` s | ÷ PDF/UA-1 | PDF KB | ÷ PDF/UA-1 |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for number, (name, manuscript) in enumerate(editions.items()):
            measured = {variant: timed(manuscript, variant, Path(folder) / f"{number}-{variant.replace('/', '-')}",
                                       arguments.runs)
                        for variant in VARIANTS}
            base_seconds, base_size = measured[VARIANTS[0]]
            for variant, (seconds, size) in measured.items():
                print(f"| {name} | {variant} | {seconds:.2f} | {seconds / base_seconds:.2f}× | {size / 1024:.0f} | "
                      f"{size / base_size:.2f}× |")


if __name__ == "__main__":
    main()
