"""What tagging costs the PDF's writing, WeasyPrint stock and tuned
(weasyprint_tuning.py): one layout of each edition, written alternately both ways
in one process, the same bytes each time.

Run on purpose, never as a test (these machines are noisy; compare numbers only
within one run):

    python bench/tagging.py [--sizes 50,200,500] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hkcq_press.pdf import tuning as weasyprint_tuning
from hkcq_press.reader.edition import load_edition
from hkcq_press.pdf.writer import laid_out
from hkcq_press.style.house import HouseStyle

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import anthology  # noqa: E402


def write(layout: object, target: Path, tuned: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one write."""
    applies = weasyprint_tuning.applies
    weasyprint_tuning.applies = lambda: tuned  # type: ignore[assignment]
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        layout.write(target)  # type: ignore[attr-defined]
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        weasyprint_tuning.applies = applies  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,500")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print("| articles | pages | write, stock (s) | write, tuned (s) | tuned ÷ stock | CPU ÷ | same bytes |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(size) for size in arguments.sizes.split(",")):
            edition, _ = load_edition(anthology(Path(folder), size))
            with laid_out(edition, HouseStyle(None)) as layout:
                times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
                written: dict[bool, bytes] = {}
                for _ in range(arguments.runs):
                    for tuned in (False, True):
                        target = Path(folder) / f"{size}-{tuned}.pdf"
                        times[tuned].append(write(layout, target, tuned))
                        written[tuned] = target.read_bytes()
                stock = statistics.median(wall for wall, _ in times[False])
                tuned_wall = statistics.median(wall for wall, _ in times[True])
                cpu = statistics.median(c for _, c in times[True]) / statistics.median(c for _, c in times[False])
                print(f"| {size} | {layout.pages} | {stock:.2f} | {tuned_wall:.2f} | {tuned_wall / stock:.2f} "
                      f"| {cpu:.2f} | {'yes' if written[True] == written[False] else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
