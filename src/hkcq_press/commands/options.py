"""The options commands share, as argparse parents, and what they mean to the API."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hkcq_press.model.edition import PAGE_SIZES, PDF_VARIANTS
from hkcq_press.project import MANUSCRIPT, OUTPUT, find_project, project_styles

if TYPE_CHECKING:
    from hkcq_press.reader.files import Limits


@dataclass(frozen=True, slots=True)
class Options:
    """Groups of options, each given to the commands that use it, and only to those."""

    reading: argparse.ArgumentParser
    """Where the manuscript and the styles are, and the size limits of what is read."""
    speaking: argparse.ArgumentParser
    building: argparse.ArgumentParser
    paging: argparse.ArgumentParser
    printing: argparse.ArgumentParser
    keeping: argparse.ArgumentParser


def option_groups() -> Options:
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("--manuscript", type=Path, default=None, metavar="DIR",
                         help="the manuscript folder, holding edition.yaml (default: the project's "
                              "manuscript/, the project found from here upward)")
    reading.add_argument("--styles", type=Path, default=None, metavar="DIR",
                         help="house-style overrides: layouts and CSS that replace the defaults "
                              "file by file (default: the project's styles/ when it exists)")
    reading.add_argument("--max-text-mb", type=_positive("megabytes"), default=5.0, metavar="MB",
                         help="refuse an article or edition.yaml larger than this (default: 5)")
    reading.add_argument("--max-image-mb", type=_positive("megabytes"), default=20.0, metavar="MB",
                         help="refuse an image larger than this (default: 20)")
    reading.add_argument("--max-image-megapixels", type=_positive("megapixels"), default=50.0, metavar="MP",
                         help="refuse an image of more pixels than this, in millions (default: 50)")
    speaking = argparse.ArgumentParser(add_help=False)
    speaking.add_argument("--quiet", action="store_true", help="print nothing but errors")
    speaking.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    building = argparse.ArgumentParser(add_help=False)
    building.add_argument("--out", type=Path, default=None, metavar="DIR",
                          help="where the editions are written (default: the project's dist/)")
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
                          help="add a 3.5 mm bleed and, in a slug beyond it, crop and registration marks to the "
                               "print edition, for the printer")
    keeping = argparse.ArgumentParser(add_help=False)
    keeping.add_argument("--keep-html", action="store_true",
                         help="also write the print HTML beside the PDF (<out>/<slug>.html), "
                              "to inspect the layout in a browser")
    return Options(reading, speaking, building, paging, printing, keeping)


def add_install_or_list(
    commands: Any, options: Options, name: str, summary: str, actions: str, run: Callable[[argparse.Namespace], int],
) -> None:
    """A command that installs what hkcq-press fetches (`fonts`, `validators`) or lists where it is."""
    parser = commands.add_parser(name, parents=[options.speaking], help=summary, description=summary)
    parser.add_argument("action", choices=("install", "list"), help=actions)
    parser.set_defaults(run=run)


def with_project(arguments: argparse.Namespace) -> None:
    """Fill in the folders a command was not given: the project's, found from the
    working folder upward; said on the error stream when it is not the working folder."""
    if not any(hasattr(arguments, name) for name in ("manuscript", "out", "styles")):
        return  # `new`, `fonts`: no project of theirs
    here = Path.cwd()
    project = find_project(here) if getattr(arguments, "manuscript", None) is None else None
    root = Path(".") if project in (None, here) else project
    if project is not None and project != here and not arguments.quiet:
        print(f"hkcq-press: using the project in {project}", file=sys.stderr)
    if hasattr(arguments, "manuscript") and arguments.manuscript is None:
        arguments.manuscript = root / MANUSCRIPT
    if hasattr(arguments, "out") and arguments.out is None:
        arguments.out = root / OUTPUT
    if hasattr(arguments, "styles") and arguments.styles is None:
        # The styles of the manuscript's project (`styles/` beside it), as the API takes them.
        manuscript = getattr(arguments, "manuscript", None) or root / MANUSCRIPT
        arguments.styles = project_styles(manuscript)


def limits_of(arguments: argparse.Namespace) -> Limits:
    from hkcq_press.reader.files import MB, Limits

    return Limits(
        int(arguments.max_text_mb * MB), int(arguments.max_image_mb * MB),
        int(arguments.max_image_megapixels * 1_000_000),
    )


def cores() -> int:
    """The cores this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _positive(unit: str) -> Callable[[str], float]:
    """An option's value as a positive number of `unit`, refused in those words."""

    def read(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value < math.inf:  # NaN fails both
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of {unit}")
        return value

    return read


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes, 1 or more")
    return value
