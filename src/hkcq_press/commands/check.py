"""`hkcq-press check`: the whole manuscript checked, every problem reported, nothing built."""

from __future__ import annotations

import argparse
from typing import Any

from hkcq_press.commands.options import Options, limits_of
from hkcq_press.commands.report import count, report
from hkcq_press.errors import ExitStatus

HELP = "check the whole manuscript and report every problem, building nothing"


def add(commands: Any, options: Options) -> None:
    parser = commands.add_parser("check", parents=[options.reading, options.speaking], help=HELP, description=HELP)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.build import check

    checked = check(arguments.manuscript, arguments.styles, limits_of(arguments))
    if not arguments.quiet:
        report(checked.warnings)
        summary = checked.summary
        print(f"{arguments.manuscript}: no errors; {count(summary.articles, 'article')}, "
              f"{count(summary.words, 'word')}, {count(summary.pull_quotes, 'pull quote')}, "
              f"{count(summary.credits, 'credit')}")
    return ExitStatus.OK
