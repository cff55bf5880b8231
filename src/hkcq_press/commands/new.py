"""`hkcq-press new`: a manuscript folder with an example article, ready to build."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hkcq_press.commands.options import Options
from hkcq_press.commands.report import count
from hkcq_press.errors import ExitStatus

HELP = "start a new edition: a manuscript folder with an example article, ready to build"


def add(commands: Any, options: Options) -> None:
    parser = commands.add_parser("new", parents=[options.speaking], help=HELP, description=HELP)
    parser.add_argument("folder", type=Path, metavar="DIR", help="the new project's folder (new, or empty)")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.scaffold import new_project

    written = new_project(arguments.folder)
    if not arguments.quiet:
        print(f"started {arguments.folder}: {count(len(written), 'file')}; "
              f"now `cd {arguments.folder}` and `hkcq-press build`, or `hkcq-press preview` to see it as you write")
    return ExitStatus.OK
