"""The `hkcq-press` command: its commands put together (`commands/`), and every
error turned into a message and an exit status; nothing else here prints or exits.

Exit statuses: 0 done (warnings alone do not fail), 1 the manuscript or a style
has errors, 2 wrong usage, 3 an unexpected internal error, 4 a check that could not
run (a validator not installed), 130 stopped (Ctrl-C, SIGTERM or SIGHUP).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence

from hkcq_press.errors import ExitStatus, PressError, ProblemsFound, Stopped


def parser() -> argparse.ArgumentParser:
    """Each command with the options it uses, and only those, in the order `--help` lists them."""
    from hkcq_press.commands import build, check, fit, fonts, new, preview, validators, verify
    from hkcq_press.commands.options import option_groups

    main_parser = argparse.ArgumentParser(
        prog="hkcq-press",
        description="One manuscript, two editions: a print-ready PDF and an EPUB 3.",
    )
    main_parser.add_argument("--version", action=_ShowVersion, nargs=0, help="show the version and exit")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    options = option_groups()
    for command in (check, build, fit, new, verify, preview, fonts, validators):
        command.add(commands, options)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    # A command stopped by the system (SIGTERM), or by its terminal closing (SIGHUP),
    # unwinds as one stopped with Ctrl-C does: its temporary files are removed and the
    # previous editions stay as they were. Caught before the commands' code is loaded,
    # so a command stopped while it starts says so too.
    signal.signal(signal.SIGTERM, _stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _stop)
    try:
        arguments = parser().parse_args(argv)
    except (KeyboardInterrupt, Stopped):
        return _stopped()
    from hkcq_press.commands.options import with_project
    from hkcq_press.commands.report import count, report

    writes = getattr(arguments, "writes", False)
    try:
        with_project(arguments)
        return arguments.run(arguments)  # type: ignore[no-any-return]
    except ProblemsFound as error:
        report([problem for problem in error.problems if problem.severity == "error" or not arguments.quiet])
        errors = len([problem for problem in error.problems if problem.severity == "error"])
        print(f"hkcq-press: {count(errors, 'error')}{'; nothing was written' if writes else ''}.", file=sys.stderr)
        return error.exit_status
    except PressError as error:
        print(f"hkcq-press: {error}", file=sys.stderr)
        return error.exit_status
    except (KeyboardInterrupt, Stopped):
        return _stopped()
    except BrokenPipeError:
        # The reader of the output went away (`hkcq-press fit | head`): the work is done,
        # and what is left to say has nowhere to go.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.OK
    except Exception:
        if arguments.debug:
            traceback.print_exc()
        else:
            error_line = traceback.format_exception_only(*sys.exc_info()[:2])[-1].strip()
            print(f"hkcq-press: internal error: {error_line}\n"
                  "This is a bug in hkcq-press, not in your manuscript. "
                  "Rerun with --debug to see the traceback, and report it.", file=sys.stderr)
        return ExitStatus.INTERNAL


def _stopped() -> ExitStatus:
    print("hkcq-press: stopped; nothing was written.", file=sys.stderr)
    return ExitStatus.STOPPED


def _stop(signal_number: int, frame: object) -> None:
    signal.signal(signal_number, signal.SIG_IGN)  # once is enough: let the unwinding finish
    raise Stopped


class _ShowVersion(argparse.Action):
    """`--version`, looked up only when asked for (see `__init__`)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from hkcq_press import __version__

        print(f"hkcq-press {__version__}")
        parser.exit()
