"""The SHA-256 of every edition a set of manuscripts builds: the proof that a change
to the code's shape changed no byte of what it writes.

The sample, multi, Chinese, desk's-week and sections fixtures and a generated
200-article edition in 20 sections, each built at `--jobs 1` and `--jobs 2`, at A4
and the book size, with SOURCE_DATE_EPOCH fixed; then the sections edition again
after a one-word change, with the parts it stored. Run before a change with
`--record FILE`, after it with `--check FILE` (exit 1 on any difference).

    python bench/hashes.py --record /tmp/before.txt
    python bench/hashes.py --check /tmp/before.txt
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import anthology  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EPOCH = "1767571200"


def manuscripts(work: Path) -> dict[str, Path]:
    found = {"sample": ROOT / "manuscript"}
    found |= {name: FIXTURES / name for name in ("multi", "chinese", "deskweek", "sections")}
    found["generated-200-in-20"] = anthology(work / "generated", 200, 20)
    return found


def digests(folder: Path) -> dict[str, str]:
    """The editions' digests by name, and the PDFs the store of parts keeps, by content
    (the store files them under keys that name the code that laid them out)."""
    found = {path.name: _digest(path) for path in sorted(folder.glob("*")) if path.suffix in (".pdf", ".epub")}
    stored = sorted(f"{path.name} {_digest(path)}" for path in folder.glob(".hkcq-press-parts/**/*.pdf"))
    found |= {f".hkcq-press-parts/{number}": entry for number, entry in enumerate(stored)}
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(manuscript: Path, out: Path, *options: str) -> None:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run([sys.executable, "-m", "hkcq_press", "build", "--manuscript", str(manuscript), "--out", str(out),
                    "--quiet", *options], check=True, env=environment)


def all_digests() -> dict[str, str]:
    found: dict[str, str] = {}
    # The same folder each run: the store of parts files what it keeps by its paths.
    work = Path(tempfile.gettempdir()) / "hkcq-press-hashes"
    shutil.rmtree(work, ignore_errors=True)
    try:
        for name, manuscript in manuscripts(work).items():
            for jobs in ("1", "2"):
                for size in ("a4", "book"):
                    out = work / "out" / f"{name}-jobs{jobs}-{size}"
                    build(manuscript, out, "--jobs", jobs, "--page-size", size)
                    found |= {f"{out.name}/{member}": digest for member, digest in digests(out).items()}
        # A one-word change, rebuilt from the parts stored by the build before it.
        changed = work / "sections-changed"
        shutil.copytree(FIXTURES / "sections", changed)
        out = work / "out" / "sections-one-word"
        build(changed, out, "--jobs", "2")
        article = sorted((changed / "articles").glob("*.md"))[0]
        article.write_text(article.read_text(encoding="utf-8").replace(" the ", " a ", 1), encoding="utf-8")
        build(changed, out, "--jobs", "2")
        found |= {f"{out.name}/{member}": digest for member, digest in digests(out).items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", type=Path, help="write the digests to this file")
    what.add_argument("--check", type=Path, help="compare the digests with this file's")
    arguments = parser.parse_args()
    found = all_digests()
    text = "".join(f"{digest}  {name}\n" for name, digest in sorted(found.items()))
    if arguments.record:
        arguments.record.write_text(text, encoding="utf-8")
        print(f"{len(found)} files recorded in {arguments.record}")
        return
    expected = dict(line.split("  ", 1)[::-1] for line in arguments.check.read_text(encoding="utf-8").splitlines())
    differ = sorted(name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name))
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(found)} files, {len(differ)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
