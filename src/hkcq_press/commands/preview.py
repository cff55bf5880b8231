"""`hkcq-press preview`: both editions in a browser, rebuilt on every save."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from hkcq_press.commands.options import Options, cores, limits_of
from hkcq_press.commands.report import report
from hkcq_press.errors import ExitStatus, ManuscriptError, Problem, Stopped
from hkcq_press.model.edition import PrintOptions

if TYPE_CHECKING:
    from hkcq_press.preview.server import Attempt

HELP = ("show both editions in a browser, rebuilt and reloaded on every save of the manuscript "
        "or styles/ (dist/ is not touched)")


def add(commands: Any, options: Options) -> None:
    parents = [options.reading, options.paging, options.printing, options.speaking]
    parser = commands.add_parser("preview", parents=parents, help=HELP, description=HELP)
    parser.add_argument("--port", type=_port, default=0, metavar="N",
                        help="the port to serve on (default: a free one, printed)")
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                        help="the address to serve on (default: 127.0.0.1, this machine only; "
                             "anyone who can reach another address can read the edition)")
    parser.add_argument("--open", action="store_true", help="open the preview in the web browser")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.preview.server import serve

    if not arguments.manuscript.is_dir():  # nothing to watch: one line, not a preview of an error
        raise ManuscriptError([Problem(
            arguments.manuscript, None, "the manuscript directory does not exist",
            "Run hkcq-press preview in a project folder (one holding manuscript/, or below it), "
            "or name the manuscript with --manuscript DIR; `hkcq-press new DIR` starts one.",
        )])

    def ready(url: str) -> None:
        print(f"previewing {arguments.manuscript} at {url} (Ctrl-C to stop)", flush=True)
        if arguments.open:
            import webbrowser

            webbrowser.open(url)

    def built(attempt: Attempt) -> None:
        if attempt.bug:
            _say_bug("building", attempt.bug)
            return
        report([problem for problem in attempt.problems if problem.severity == "error" or not arguments.quiet])
        if attempt.failed:
            print(f"{attempt.finished} the manuscript has errors; the preview shows them above "
                  "the last good edition", file=sys.stderr, flush=True)
        elif not arguments.quiet:
            print(f"{attempt.finished} built in {attempt.seconds:.1f} s", flush=True)

    def failed(error: str) -> None:
        _say_bug("serving a page", error)

    options = PrintOptions(arguments.pdf_variant, arguments.page_size, arguments.print_marks)
    try:
        serve(arguments.manuscript, arguments.styles, limits_of(arguments), options,
              (arguments.bind, arguments.port), ready=ready, built=built, failed=failed, jobs=cores())
    except (KeyboardInterrupt, Stopped):
        # Ctrl-C is how a preview ends: its private folder is gone; dist/ was never touched.
        print("preview stopped", flush=True)
    return ExitStatus.OK


def _say_bug(doing: str, error: str) -> None:
    """A bug met while `doing` something, in one line: the preview goes on serving and building."""
    print(f"hkcq-press: internal error while {doing}: {error}\n"
          "This is a bug in hkcq-press, not in your manuscript; the preview goes on.", file=sys.stderr, flush=True)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a port number, 1 to 65535 (or 0 for a free one)")
    return value
