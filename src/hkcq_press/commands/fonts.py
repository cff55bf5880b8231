"""`hkcq-press fonts`: the house Chinese typefaces installed, or where they are."""

from __future__ import annotations

import argparse
from typing import Any

from hkcq_press.commands.options import Options, add_install_or_list
from hkcq_press.errors import ExitStatus

HELP = "install the house Chinese typefaces (Noto Serif HK, TC, SC), or list where they are"
ACTIONS = ("install: fetch each from the npm registry, checked against its pinned digest; "
           "list: where hkcq-press finds each")


def add(commands: Any, options: Options) -> None:
    add_install_or_list(commands, options, "fonts", HELP, ACTIONS, run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.style.typefaces import install_all, installed

    if arguments.action == "install":
        install_all(say=(lambda _: None) if arguments.quiet else print)
        return ExitStatus.OK
    for typeface, path in installed().items():
        print(f"{typeface}: {path or 'not installed (hkcq-press fonts install)'}")
    return ExitStatus.OK
