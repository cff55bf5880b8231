"""What the hint for a wrong pull quote costs, against checking a right one.

`hkcq-press check` on one article whose pull quote is right, then the same article
with the quote changed by one letter (or, in the last case, a quote of words the
article does not have): the second run looks for the closest passage too. Ratios
near 1 mean the hint costs no more than the check itself.

Run on purpose, never as a test (these machines are noisy; compare numbers only
within one run):

    python bench/quotes.py [--runs 3]
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

WORDS = ["harbour", "city", "trade", "bridge", "river", "mountain", "ferry", "market", "minister", "council",
         "budget", "plan", "sides", "investment", "tunnel", "railway", "port", "finance", "culture", "opera",
         "noodle", "district"]


def words(count: int, seed: int) -> list[str]:
    chosen = random.Random(seed)
    return [chosen.choice(WORDS) + str(chosen.randrange(1000)) for _ in range(count)]


def cases() -> list[tuple[str, str, str, str]]:
    """(name, paragraph, right quote, wrong quote)."""
    huge = " ".join(words(700_000, 1))[:4_900_000].rsplit(" ", 1)[0]
    middle = len(huge) // 2
    start = huge.index(" ", middle) + 1
    quote190 = huge[start:start + 190].rsplit(" ", 1)[0]
    built = []
    built.append(("190-character quote, 4.9 MB paragraph", huge, quote190, _one_letter_changed(quote190)))
    for count in (10_000, 50_000):
        text = " ".join(words(count, count))
        built.append((f"{count:,}-word quote", "Lead words. " + text + " Closing words.", text,
                      _one_letter_changed(text)))
    stranger = " ".join(words(50_000, 7))
    built.append(("50,000-word quote of other words", "Lead words. " + " ".join(words(50_000, 8)), stranger,
                  stranger))
    return built


def _one_letter_changed(text: str) -> str:
    at = len(text) // 2
    while not text[at].isalpha():
        at += 1
    return text[:at] + ("x" if text[at] != "x" else "y") + text[at + 1:]


def timed_check(folder: Path, paragraph: str, quote: str) -> float:
    manuscript = folder / "manuscript"
    (manuscript / "articles").mkdir(parents=True, exist_ok=True)
    (manuscript / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [articles/a.md]\n", encoding="utf-8")
    (manuscript / "articles" / "a.md").write_text(
        f"---\nheadline: H\nbyline: B\n---\n\n{paragraph}\n\n::: pullquote\n{quote}\n:::\n", encoding="utf-8",
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hkcq_press", "check"], cwd=folder, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print("| case | right quote (s) | wrong quote, with the hint (s) | wrong ÷ right |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for name, paragraph, right, wrong in cases():
            right_times = [timed_check(folder, paragraph, right) for _ in range(arguments.runs)]
            wrong_times = [timed_check(folder, paragraph, wrong) for _ in range(arguments.runs)]
            right_median, wrong_median = statistics.median(right_times), statistics.median(wrong_times)
            print(f"| {name} | {right_median:.2f} | {wrong_median:.2f} | {wrong_median / right_median:.2f} |")


if __name__ == "__main__":
    main()
