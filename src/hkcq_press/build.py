"""The Python API: manuscript directory in, editions in the output directory out.

The CLI is a thin layer over `build`; tests call it directly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from .epub import write_epub
from .errors import Problem
from .fonts import printable_characters
from .manuscript import DEFAULT_LIMITS, Limits, load_edition
from .model import HOUSE_PRINT_OPTIONS, Block, Crosshead, Edition, Paragraph, Passage, PrintOptions, PullQuote
from .outputs import staged_outputs
from .pdf import write_pdf
from .render import HouseStyle

Format = Literal["pdf", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "epub")


@dataclass(frozen=True, slots=True)
class Output:
    format: Format
    path: Path
    size: int
    detail: str
    """What a user wants to know of it: pages of a PDF, documents of an EPUB."""


@dataclass
class BuildResult:
    edition: Edition
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a desk wants to know of a manuscript before it goes to press."""

    articles: int
    words: int
    pull_quotes: int
    credits: int


@dataclass
class CheckResult:
    edition: Edition
    warnings: list[Problem]
    summary: Summary


def check(manuscript_dir: Path, styles_dir: Path | None = None, limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Read and check the whole manuscript against the house style, building nothing.

    Raises `ManuscriptError` listing every problem found.
    """
    style = HouseStyle(styles_dir)
    edition, warnings = load_edition(manuscript_dir, limits, partial(printable_characters, style))
    return CheckResult(edition, list(warnings), summarise(edition))


def summarise(edition: Edition) -> Summary:
    blocks = [block for article in edition.articles for block in article.blocks]
    return Summary(
        articles=len(edition.articles),
        words=sum(len(_words(block).split()) for block in blocks),
        pull_quotes=sum(isinstance(block, PullQuote) for block in blocks),
        credits=sum(article.credit is not None for article in edition.articles),
    )


def _words(block: Block) -> str:
    """Words of the body a reader reads once: pull quotes repeat them, figures have none."""
    return block.text if isinstance(block, (Paragraph, Crosshead, Passage)) else ""


def build(
    manuscript_dir: Path,
    out_dir: Path,
    formats: tuple[Format, ...] = FORMATS,
    styles_dir: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    print_options: PrintOptions = HOUSE_PRINT_OPTIONS,
) -> BuildResult:
    """Check, then build the requested editions: all of them replace the old files, or none does.

    `print_options` are the production desk's choices for the PDF.
    Raises `ManuscriptError` (listing every problem) when the manuscript or a
    style is wrong; the output directory is then left as it was.
    """
    style = HouseStyle(styles_dir)
    edition, warnings = load_edition(manuscript_dir, limits, partial(printable_characters, style))
    result = BuildResult(edition, warnings=list(warnings))
    details: dict[Format, str] = {}
    with staged_outputs(out_dir) as staging, ThreadPoolExecutor(max_workers=1) as beside:
        staged = {kind: staging.stage(f"{edition.slug}.{kind}") for kind in formats}
        # The EPUB is made beside the PDF rather than after it; WeasyPrint keeps
        # this thread, whose log it reports to.
        book = beside.submit(write_epub, edition, style, staged["epub"]) if "epub" in staged else None
        if "pdf" in staged:
            pdf = write_pdf(edition, style, staged["pdf"], print_options)
            result.warnings.extend(pdf.warnings)
            details["pdf"] = f"{pdf.pages} page{'s' if pdf.pages != 1 else ''}"
        if book is not None:
            documents = book.result().documents
            details["epub"] = f"{documents} article{'s' if documents != 1 else ''}"
        sizes = {kind: path.stat().st_size for kind, path in staged.items()}
        staging.commit()
    for kind in formats:
        path = out_dir / f"{edition.slug}.{kind}"
        result.outputs.append(Output(kind, path, sizes[kind], details[kind]))
    return result
