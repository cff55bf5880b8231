"""`hkcq-press fit`: the copy-fit report — the print edition laid out as `pdf` lays
it out, nothing written: how full each page is, what starts and ends on it, and the
lines to cut or add."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from hkcq_press.commands.options import Options, cores, limits_of
from hkcq_press.commands.report import report
from hkcq_press.errors import ExitStatus
from hkcq_press.model.edition import PrintOptions

if TYPE_CHECKING:
    from hkcq_press.pdf.copyfit import CopyFit

HELP = ("lay out the print edition as `pdf` does, write nothing, and report how full each page is "
        "and the lines to cut or add")


def add(commands: Any, options: Options) -> None:
    parents = [options.reading, options.paging, options.printing, options.speaking]
    parser = commands.add_parser("fit", parents=parents, help=HELP, description=HELP)
    parser.add_argument("--json", action="store_true", help="print the report as JSON, for tools")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from hkcq_press.build import fit
    from hkcq_press.pdf.printing import Printer

    options = PrintOptions(arguments.pdf_variant, arguments.page_size, arguments.print_marks)
    with Printer.started(cores()) as printer:
        result = fit(arguments.manuscript, arguments.styles, limits_of(arguments), options, printer=printer)
    report([problem for problem in result.warnings if not arguments.quiet])
    if arguments.json:
        print(json.dumps(result.copy_fit.as_data(), ensure_ascii=False, indent=2))
    else:
        print(table(result.copy_fit))
    return ExitStatus.OK


def table(fit: CopyFit) -> str:
    """The report as a production desk reads it: a line a page, then what to do."""
    lines = ["page  full  lines free  starts · ends"]
    for page in fit.pages:
        happens = "; ".join(
            [*(f"starts “{headline}”" for headline in page.starts), *(f"ends “{headline}”" for headline in page.ends)]
        )
        lines.append(f"{page.number:>4}  {page.full:>4.0%}  {page.lines_free:>10}  {happens}".rstrip())
    if fit.advice:
        lines.append("")
        lines.extend(advice.message + (f" ({advice.rule})" if advice.rule else "") for advice in fit.advice)
    lines.append("")
    lines.append(fit.summary())
    return "\n".join(lines)
