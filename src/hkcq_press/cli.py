"""The `hkcq-press` command: the only module that prints or exits.

Exit statuses: 0 done (warnings alone do not fail), 1 the manuscript or a style
has errors, 2 wrong usage, 3 an unexpected internal error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hkcq_press.errors import ExitStatus, PressError, Problem, ProblemsFound, Stopped
from hkcq_press.model.edition import PAGE_SIZES, PDF_VARIANTS, PrintOptions

if TYPE_CHECKING:
    from hkcq_press.build import Format
    from hkcq_press.reader.manuscript import Limits
    from hkcq_press.preview.server import Attempt
    from hkcq_press.pdf.printing import Printer
    from hkcq_press.verify.editions import Verification

BUILDS: dict[str, tuple[str, tuple[Format, ...]]] = {
    "pdf": ("check, then build the print edition (PDF)", ("pdf",)),
    "epub": ("check, then build the e-book edition (EPUB 3)", ("epub",)),
    "build": ("check, then build both editions", ("pdf", "epub")),
}
CHECK = "check the whole manuscript and report every problem, building nothing"
NEW = "start a new edition: a manuscript folder with an example article, ready to build"
FONTS = "install the house Chinese typefaces (Noto Serif HK, TC, SC), or list where they are"
VERIFY = ("check built editions: epubcheck and Ace by DAISY for an EPUB; tags, language, title, "
          "fonts, bookmarks and the variant's markers for a PDF")
PREVIEW = ("show both editions in a browser, rebuilt and reloaded on every save of the manuscript "
           "or styles/ (dist/ is not touched)")


def parser() -> argparse.ArgumentParser:
    """Each command with the options it uses, and only those."""
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("--manuscript", type=Path, default=Path("manuscript"), metavar="DIR",
                         help="the manuscript folder, holding edition.yaml (default: ./manuscript)")
    reading.add_argument("--styles", type=Path, default=None, metavar="DIR",
                         help="house-style overrides: layouts and CSS that replace the defaults "
                              "file by file (default: ./styles when it exists)")
    reading.add_argument("--max-text-mb", type=_megabytes, default=5.0, metavar="MB",
                         help="refuse an article or edition.yaml larger than this (default: 5)")
    reading.add_argument("--max-image-mb", type=_megabytes, default=20.0, metavar="MB",
                         help="refuse an image larger than this (default: 20)")
    reading.add_argument("--max-image-megapixels", type=_megabytes, default=50.0, metavar="MP",
                         help="refuse an image of more pixels than this, in millions (default: 50)")
    speaking = argparse.ArgumentParser(add_help=False)
    speaking.add_argument("--quiet", action="store_true", help="print nothing but errors")
    speaking.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    building = argparse.ArgumentParser(add_help=False)
    building.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR",
                          help="where the editions are written (default: ./dist)")
    building.add_argument("--force", action="store_true",
                          help="rebuild even when the editions in the output folder are up to date")
    building.add_argument("--verify", action="store_true",
                          help="verify each edition (epubcheck and Ace by DAISY for the EPUB, the PDF checks) "
                               "before it replaces the old one, and say so in the EPUB's accessibility summary")
    building.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                          help="lay out an edition of sections in N processes side by side, each a run of its "
                               "sections (default: the cores hkcq-press may use; 1: in one process)")
    paging = argparse.ArgumentParser(add_help=False)
    paging.add_argument("--page-size", choices=PAGE_SIZES, default=None, type=str.lower,
                        help="the print edition's page size, whose pages the e-book marks too; wins over "
                             "page_size in edition.yaml (default: a4)")
    printing = argparse.ArgumentParser(add_help=False)
    printing.add_argument("--pdf-variant", choices=PDF_VARIANTS, default=None, metavar="VARIANT",
                          help="the PDF variant, e.g. pdf/a-3b for the archive; wins over pdf_variant in "
                               f"edition.yaml (default: pdf/ua-1; one of {', '.join(PDF_VARIANTS)})")
    printing.add_argument("--print-marks", action="store_true",
                          help="add crop marks and a 3 mm bleed to the print edition, for the printer")
    keeping = argparse.ArgumentParser(add_help=False)
    keeping.add_argument("--keep-html", action="store_true",
                          help="also write the print HTML beside the PDF (<out>/<slug>.html), "
                               "to inspect the layout in a browser")

    main_parser = argparse.ArgumentParser(
        prog="hkcq-press",
        description="One manuscript, two editions: a print-ready PDF and an EPUB 3.",
    )
    main_parser.add_argument("--version", action=_ShowVersion, nargs=0, help="show the version and exit")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("check", parents=[reading, speaking], help=CHECK, description=CHECK)
    for name, (summary, formats) in BUILDS.items():
        parents = [reading, building, paging, *([printing, keeping] if "pdf" in formats else []), speaking]
        commands.add_parser(name, parents=parents, help=summary, description=summary)
    new = commands.add_parser("new", parents=[speaking], help=NEW, description=NEW)
    new.add_argument("folder", type=Path, metavar="DIR", help="the new project's folder (new, or empty)")
    verify = commands.add_parser("verify", parents=[speaking], help=VERIFY, description=VERIFY)
    verify.add_argument("files", type=Path, nargs="*", metavar="FILE",
                        help="the PDFs and EPUBs to check (default: the editions in --out)")
    verify.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR",
                        help="where the editions to check are, when no FILE is named (default: ./dist)")
    verify.add_argument("--styles", type=Path, default=None, metavar="DIR",
                        help="the house-style overrides the editions were built with, whose fonts a PDF "
                             "may embed (default: ./styles when it exists)")
    preview = commands.add_parser("preview", parents=[reading, paging, printing, speaking], help=PREVIEW,
                                  description=PREVIEW)
    preview.add_argument("--port", type=_port, default=0, metavar="N",
                         help="the port to serve on (default: a free one, printed)")
    preview.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                         help="the address to serve on (default: 127.0.0.1, this machine only; "
                              "anyone who can reach another address can read the edition)")
    preview.add_argument("--open", action="store_true", help="open the preview in the web browser")
    fonts = commands.add_parser("fonts", parents=[speaking], help=FONTS, description=FONTS)
    fonts.add_argument("action", choices=("install", "list"),
                       help="install: fetch each from the npm registry, checked against its pinned digest; "
                            "list: where hkcq-press finds each")
    return main_parser


def _stop(signal_number: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough: let the unwinding finish
    raise Stopped


class _ShowVersion(argparse.Action):
    """`--version`, looked up only when asked for (see `__init__`)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from hkcq_press import __version__

        print(f"hkcq-press {__version__}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    # A build stopped by the system (SIGTERM) unwinds as one stopped with Ctrl-C does:
    # its temporary files are removed and the previous editions stay as they were.
    signal.signal(signal.SIGTERM, _stop)
    try:
        return RUNNERS.get(arguments.command, _build)(arguments)
    except ProblemsFound as error:
        _report([problem for problem in error.problems if problem.severity == "error" or not arguments.quiet])
        count = len([problem for problem in error.problems if problem.severity == "error"])
        consequence = "; nothing was written" if arguments.command in BUILDS else ""
        print(f"hkcq-press: {_count(count, 'error')}{consequence}.", file=sys.stderr)
        return error.exit_status
    except PressError as error:
        print(f"hkcq-press: {error}", file=sys.stderr)
        return error.exit_status
    except (KeyboardInterrupt, Stopped):
        print("hkcq-press: stopped; nothing was written.", file=sys.stderr)
        return ExitStatus.STOPPED
    except Exception:
        if arguments.debug:
            traceback.print_exc()
        else:
            error_line = traceback.format_exception_only(*sys.exc_info()[:2])[-1].strip()
            print(f"hkcq-press: internal error: {error_line}\n"
                  "This is a bug in hkcq-press, not in your manuscript. "
                  "Rerun with --debug to see the traceback, and report it.", file=sys.stderr)
        return ExitStatus.INTERNAL


def _check(arguments: argparse.Namespace) -> int:
    from hkcq_press.build import check

    checked = check(arguments.manuscript, _styles(arguments), _limits(arguments))
    if not arguments.quiet:
        _report(checked.warnings)
        summary = checked.summary
        print(f"{arguments.manuscript}: no errors; {_count(summary.articles, 'article')}, "
              f"{_count(summary.words, 'word')}, {_count(summary.pull_quotes, 'pull quote')}, "
              f"{_count(summary.credits, 'credit')}")
    return ExitStatus.OK


def _build(arguments: argparse.Namespace) -> int:
    """`pdf`, `epub` and `build`."""
    from hkcq_press.pdf.printing import Printer

    # Started first: WeasyPrint loads on another core while the manuscript is read.
    with Printer.started(arguments.jobs or _cores()) as printer:
        return _built(arguments, printer)


def _built(arguments: argparse.Namespace, printer: Printer) -> int:
    from hkcq_press.build import build

    formats = BUILDS[arguments.command][1]
    options = PrintOptions(
        getattr(arguments, "pdf_variant", None), arguments.page_size, getattr(arguments, "print_marks", False)
    )
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() and not arguments.quiet else None
    try:
        result = build(
            arguments.manuscript, arguments.out, formats, _styles(arguments), _limits(arguments), options,
            keep_html=getattr(arguments, "keep_html", False), force=arguments.force, progress=progress,
            verify=arguments.verify, printer=printer,
        )
    finally:
        if progress is not None:
            progress.finish()
    if not arguments.quiet:
        _report(result.warnings)
        for output in result.outputs:
            if output.rebuilt:
                print(f"wrote {output.path} ({output.detail}, {_size(output.size)})")
            else:
                print(f"up to date: {output.path}")
        if result.verification is not None:
            _say_verified(result.verification)
    return ExitStatus.OK


def _verify(arguments: argparse.Namespace) -> int:
    from hkcq_press.style.house import HouseStyle
    from hkcq_press.verify.editions import NothingToVerify, verify

    files = arguments.files or sorted(
        path for path in arguments.out.glob("*") if path.suffix in (".pdf", ".epub") and not path.name.startswith(".")
    )
    if not files:
        raise NothingToVerify(f"no editions to verify in {arguments.out}/: build them first, or name the files")
    verification = verify(files, HouseStyle(_styles(arguments)))
    _report([problem for problem in verification.problems if problem.severity == "error" or not arguments.quiet])
    if verification.errors:
        print(f"hkcq-press: {_count(len(verification.errors), 'error')} in the editions.", file=sys.stderr)
        return ExitStatus.INPUT_ERROR
    if not arguments.quiet:
        _say_verified(verification)
    return ExitStatus.OK


def _say_verified(verification: Verification) -> None:
    for path, checks in verification.checked.items():
        print(f"verified {path}: {' and '.join(checks)}, no errors")


def _new(arguments: argparse.Namespace) -> int:
    from hkcq_press.scaffold import new_project

    written = new_project(arguments.folder)
    if not arguments.quiet:
        print(f"started {arguments.folder}: {_count(len(written), 'file')}; "
              f"now `cd {arguments.folder}` and `hkcq-press build`, or `hkcq-press preview` to see it as you write")
    return ExitStatus.OK


def _fonts(arguments: argparse.Namespace) -> int:
    from hkcq_press.style.typefaces import install_all, installed

    if arguments.action == "install":
        install_all(say=(lambda _: None) if arguments.quiet else print)
        return ExitStatus.OK
    for typeface, path in installed().items():
        print(f"{typeface}: {path or 'not installed (hkcq-press fonts install)'}")
    return ExitStatus.OK


def _preview(arguments: argparse.Namespace) -> int:
    from hkcq_press.preview.server import serve

    def ready(url: str) -> None:
        print(f"previewing {arguments.manuscript} at {url} (Ctrl-C to stop)", flush=True)
        if arguments.open:
            import webbrowser

            webbrowser.open(url)

    def built(attempt: Attempt) -> None:
        _report([problem for problem in attempt.problems if problem.severity == "error" or not arguments.quiet])
        if attempt.failed:
            print(f"{attempt.finished} the manuscript has errors; the preview shows them above "
                  "the last good edition", file=sys.stderr, flush=True)
        elif not arguments.quiet:
            print(f"{attempt.finished} built in {attempt.seconds:.1f} s", flush=True)

    def failed(error: str) -> None:
        print(f"hkcq-press: internal error while serving a page: {error}\n"
              "This is a bug in hkcq-press, not in your manuscript; the preview goes on.", file=sys.stderr, flush=True)

    options = PrintOptions(arguments.pdf_variant, arguments.page_size, arguments.print_marks)
    try:
        serve(arguments.manuscript, _styles(arguments), _limits(arguments), options,
              (arguments.bind, arguments.port), ready=ready, built=built, failed=failed, jobs=_cores())
    except (KeyboardInterrupt, Stopped):
        # Ctrl-C is how a preview ends: its private folder is gone; dist/ was never touched.
        print("preview stopped", flush=True)
    return ExitStatus.OK


RUNNERS = {"check": _check, "new": _new, "fonts": _fonts, "preview": _preview, "verify": _verify}
"""The command → what runs it; the builds (`pdf`, `epub`, `build`) share `_build`."""


def _styles(arguments: argparse.Namespace) -> Path | None:
    if arguments.styles is None and Path("styles").is_dir():
        return Path("styles")
    return arguments.styles


def _limits(arguments: argparse.Namespace) -> Limits:
    from hkcq_press.reader.manuscript import MB, Limits

    return Limits(
        int(arguments.max_text_mb * MB), int(arguments.max_image_mb * MB),
        int(arguments.max_image_megapixels * 1_000_000),
    )


class TerminalProgress:
    """Progress on one line of a terminal, rewritten in place, then the time taken."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.shown = False

    def article(self, done: int, total: int) -> None:
        self._show(f"reading articles: {done:,} of {total:,}")

    def page(self, number: int) -> None:
        self._show(f"laying out the print edition: page {number:,}")

    def _show(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r\x1b[K{text} ({elapsed:.1f} s)")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """Clear the progress line and say how long the work took."""
        if self.shown:
            self.stream.write(f"\r\x1b[Kdone in {time.monotonic() - self.started:.1f} s\n")
            self.stream.flush()


PROBLEMS_SHOWN = 10
"""The same problem (error or warning, the same words) printed at ten places at most;
the rest are counted."""


def _report(problems: Sequence[Problem]) -> None:
    shown: dict[tuple[str, str, str], int] = {}
    held_back: dict[tuple[str, str, str], int] = {}
    for problem in problems:
        kind = (problem.severity, problem.message, problem.hint)
        if shown.get(kind, 0) >= PROBLEMS_SHOWN:
            held_back[kind] = held_back.get(kind, 0) + 1
            continue
        shown[kind] = shown.get(kind, 0) + 1
        print(problem, file=sys.stderr)
    for (severity, message, _), count in held_back.items():
        print(f"hkcq-press: {_count(count, f'more {severity}')} like these: {message}", file=sys.stderr)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _megabytes(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of megabytes")
    return value


def _cores() -> int:
    """The cores this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _jobs(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more processes")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a port number, 1 to 65535 (or 0 for a free one)")
    return value


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
