"""`hkcq-press pdf`, `epub` and `build`: the manuscript checked, then the editions
built into the output folder, each replacing the old one only when it is whole."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from hkcq_press.commands.options import Options, cores, limits_of
from hkcq_press.commands.report import TerminalProgress, report, say_verified, size
from hkcq_press.errors import ExitStatus
from hkcq_press.model.edition import PrintOptions

if TYPE_CHECKING:
    from hkcq_press.build import Format
    from hkcq_press.pdf.printing import Printer

BUILDS: dict[str, tuple[str, tuple[Format, ...]]] = {
    "pdf": ("check, then build the print edition (PDF)", ("pdf",)),
    "epub": ("check, then build the e-book edition (EPUB 3)", ("epub",)),
    "build": ("check, then build both editions", ("pdf", "epub")),
}


def add(commands: Any, options: Options) -> None:
    for name, (summary, formats) in BUILDS.items():
        prints = [options.printing, options.keeping] if "pdf" in formats else []
        parents = [options.reading, options.building, options.paging, *prints, options.speaking]
        parser = commands.add_parser(name, parents=parents, help=summary, description=summary)
        # A build refused writes nothing, and says so.
        parser.set_defaults(run=run, writes=True)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.pdf.printing import Printer

    # Started first: WeasyPrint loads on another core while the manuscript is read.
    with Printer.started(arguments.jobs or cores()) as printer:
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
            arguments.manuscript, arguments.out, formats, arguments.styles, limits_of(arguments), options,
            keep_html=getattr(arguments, "keep_html", False), force=arguments.force, progress=progress,
            verify=arguments.verify, printer=printer,
        )
    finally:
        if progress is not None:
            progress.finish()
    if not arguments.quiet:
        report(result.warnings)
        for output in result.outputs:
            if output.rebuilt:
                print(f"wrote {output.path} ({output.detail}, {size(output.size)})")
            else:
                print(f"up to date: {output.path}")
        if result.copy_fit is not None:
            advised = result.copy_fit.advice or result.copy_fit.under_half
            print(f"copy fit: {result.copy_fit.summary()}{'; run `hkcq-press fit`' if advised else ''}")
        if result.verification is not None:
            say_verified(result.verification)
    return ExitStatus.OK
