"""`hkcq-press verify`: built editions checked as a printer and an e-book store would."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hkcq_press.commands.options import Options
from hkcq_press.commands.report import count, report, say_verified
from hkcq_press.errors import ExitStatus

HELP = ("check built editions: epubcheck and Ace by DAISY for an EPUB; tags, language, title, "
        "fonts, bookmarks and the variant's markers for a PDF")


def add(commands: Any, options: Options) -> None:
    parser = commands.add_parser("verify", parents=[options.speaking], help=HELP, description=HELP)
    parser.add_argument("files", type=Path, nargs="*", metavar="FILE",
                        help="the PDFs and EPUBs to check (default: the editions in --out)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="where the editions to check are, when no FILE is named (default: the project's dist/)")
    parser.add_argument("--styles", type=Path, default=None, metavar="DIR",
                        help="the house-style overrides the editions were built with, whose fonts a PDF "
                             "may embed (default: the project's styles/ when it exists)")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.style.house import HouseStyle
    from hkcq_press.verify.editions import NothingToVerify, verify

    files = arguments.files or sorted(
        path for path in arguments.out.glob("*") if path.suffix in (".pdf", ".epub") and not path.name.startswith(".")
    )
    if not files:
        raise NothingToVerify(f"no editions to verify in {arguments.out}/: build them first, or name the files")
    verification = verify(files, HouseStyle(arguments.styles))
    report([problem for problem in verification.problems if problem.severity == "error" or not arguments.quiet])
    if verification.errors:
        print(f"hkcq-press: {count(len(verification.errors), 'error')} in the editions.", file=sys.stderr)
        return ExitStatus.INPUT_ERROR
    if not arguments.quiet:
        say_verified(verification)
    if verification.skipped:
        for missing in verification.skipped:
            print(f"hkcq-press: not checked: {missing}", file=sys.stderr)
        return ExitStatus.VALIDATOR_MISSING
    return ExitStatus.OK
