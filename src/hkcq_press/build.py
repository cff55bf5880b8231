"""The Python API: manuscript directory in, editions in the output directory out.

The CLI is a thin layer over `build`; tests call it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from hkcq_press.errors import ManuscriptError, Problem
from hkcq_press.style.fonts import repertoire
from hkcq_press.freshness import (
    PAGES, STATE_FILE, BuildRecord, FileDigests, Recorded, input_digests, layout_digest,
)
from hkcq_press.style.hyphenation import hyphenation_exceptions
from hkcq_press.reader.edition import load_edition
from hkcq_press.reader.files import DEFAULT_LIMITS, Limits
from hkcq_press.model.blocks import PullQuote, walk
from hkcq_press.model.edition import HOUSE_PRINT_OPTIONS, Edition, PrintOptions
from hkcq_press.outputs import (
    build_date, file_digest, remove_dead_scratch, remove_leftovers, scratch_folder, staged_outputs,
)
from hkcq_press.pdf.printing import HERE, Printer
from hkcq_press.project import project_styles
from hkcq_press.style.house import HouseStyle
from hkcq_press.style.stylesheets import check_stylesheets

if TYPE_CHECKING:  # verifying needs the validators' libraries, imported only when asked for
    from hkcq_press.markup.pagemap import PageStart
    from hkcq_press.pdf.copyfit import CopyFit, PageFill
    from hkcq_press.pdf.placement import Placement
    from hkcq_press.pdf.printing import Store
    from hkcq_press.verify.editions import Validator, Verification

Format = Literal["pdf", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "epub")
MADE_WITH = {"pdf": ("pdf", "html"), "epub": ("epub",)}
"""The files each format's build writes (the print HTML only when asked to keep it)."""
KEPT_HTML = "print HTML"
"""What `build` says of the print HTML kept with `keep_html`."""


@dataclass(frozen=True, slots=True)
class Output:
    format: str
    """`pdf`, `epub`, or `html` (the print HTML kept with `keep_html`)."""
    path: Path
    size: int
    detail: str
    """What a user wants to know of it: pages of a PDF, documents of an EPUB."""
    rebuilt: bool = True
    """False when the file was up to date and left as it was."""


@dataclass
class BuildResult:
    edition: Edition | None
    """None when every edition asked for was up to date and nothing was read."""
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    verification: Verification | None = None
    """What `verify` found and ran, when asked for: nothing but warnings, or the build fails."""
    copy_fit: CopyFit | None = None
    """How full the print edition's pages are, when this build laid it out (`pdf/copyfit.py`)."""


class Progress(Protocol):
    """Hears how a long build goes: articles read, pages laid out."""

    def article(self, done: int, total: int) -> None: ...

    def page(self, number: int) -> None: ...


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
    remove_dead_scratch()
    style = _house_style(manuscript_dir, styles_dir)
    edition, warnings = _read(style, manuscript_dir, limits)
    hyphenation_exceptions(style)  # read as the print edition reads it: a bad line is refused here too
    return CheckResult(edition, warnings, summarise(edition))


def _house_style(manuscript_dir: Path, styles_dir: Path | None) -> HouseStyle:
    """The house style with the given overrides, else the project's (`styles/` beside
    the manuscript, where there is one), as the command line takes them."""
    return HouseStyle(styles_dir if styles_dir is not None else project_styles(manuscript_dir))


def _read(
    style: HouseStyle, manuscript_dir: Path, limits: Limits, on_article: Callable[[int, int], None] | None = None,
) -> tuple[Edition, list[Problem]]:
    """The manuscript read and checked against the house style, and the style's
    stylesheets and layouts checked: what `check`, `fit` and a build all do first,
    once the date a reproducible build is given is known to be one (`build_date`)."""
    build_date()
    edition, warnings = load_edition(manuscript_dir, limits, partial(repertoire, style), on_article)
    problems = []
    for checked in (check_stylesheets, HouseStyle.check_layouts):
        try:
            checked(style)
        except ManuscriptError as error:
            problems.extend(error.problems)
    if problems:
        raise ManuscriptError(problems)
    return edition, list(warnings)


def draft_epub(
    manuscript_dir: Path, target: Path, styles_dir: Path | None = None, limits: Limits = DEFAULT_LIMITS,
    print_options: PrintOptions = HOUSE_PRINT_OPTIONS, *, built_in: Path | None = None,
) -> bool:
    """The e-book as the manuscript now reads, written to `target` without the print
    edition's page list, which needs the print layout: what the preview shows while
    the print pages are laid out again. Never an edition to publish. Returns False,
    writing nothing, when the e-book in the output folder `built_in` was built from the
    manuscript as it reads now (with these options).

    Raises `ManuscriptError` as `check` does.
    """
    from hkcq_press.epub.writer import write_epub

    style = _house_style(manuscript_dir, styles_dir)
    if built_in is not None:
        record = BuildRecord(built_in)
        inputs = input_digests(manuscript_dir, style, ("epub",), print_options, limits, False, record.digests)
        if record.up_to_date(manuscript_dir, "epub", inputs["epub"]) is not None:
            return False
    edition, _ = _read(style, manuscript_dir, limits)
    target.parent.mkdir(parents=True, exist_ok=True)
    with scratch_folder():
        write_epub(edition, style, target)
    return True


@dataclass
class FitResult:
    edition: Edition
    warnings: list[Problem]
    """The manuscript's and the layout's, the make-up rules it could not meet among them."""
    copy_fit: CopyFit


def fit(
    manuscript_dir: Path,
    styles_dir: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    print_options: PrintOptions = HOUSE_PRINT_OPTIONS,
    *,
    printer: Printer = HERE,
) -> FitResult:
    """Read and lay out the print edition as `build` does, writing nothing, and report
    how full its pages are: the copy-fit report (`pdf/copyfit.py`).

    Raises `ManuscriptError` as `build` does.
    """
    from hkcq_press.pdf.writer import laid_out

    style = _house_style(manuscript_dir, styles_dir)
    edition, found = _read(style, manuscript_dir, limits)
    with scratch_folder(), laid_out(edition, style, print_options, printer=printer) as layout:
        report = _copy_fit(edition, layout.page_fill, found, layout.placement)
    return FitResult(edition, found, report)


def _copy_fit(
    edition: Edition, page_fill: tuple[PageFill, ...], warnings: list[Problem], placement: Placement,
) -> CopyFit:
    """The copy-fit report; each make-up rule the layout could not meet, a warning at its article."""
    from hkcq_press.pdf.copyfit import copy_fit

    report = copy_fit(edition, page_fill, placement)
    sources = {article.key: article.source for article in edition.articles}
    warnings.extend(
        Problem(sources[advice.article_key], None, advice.rule,
                f"{advice.message[0].upper()}{advice.message[1:]}; or move a story (`hkcq-press fit` shows "
                "every page).", severity="warning")
        for advice in report.advice if advice.rule
    )
    return report


def summarise(edition: Edition) -> Summary:
    # Words a reader reads once: pull quotes repeat the article's.
    read_once = [
        text for article in edition.articles for text in (
            *(block.text for block in article.blocks + article.corrections if not isinstance(block, PullQuote)),
            *(note.text for note in article.footnotes),
        )
    ]
    return Summary(
        articles=len(edition.articles),
        words=sum(len(text.split()) for text in read_once),
        pull_quotes=sum(
            isinstance(block, PullQuote) for article in edition.articles for block in walk(article.blocks)
        ),
        credits=sum(article.credit is not None for article in edition.articles),
    )


def build(
    manuscript_dir: Path,
    out_dir: Path,
    formats: tuple[Format, ...] = FORMATS,
    styles_dir: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    print_options: PrintOptions = HOUSE_PRINT_OPTIONS,
    *,
    keep_html: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    verify: bool = False,
    printer: Printer = HERE,
) -> BuildResult:
    """Check, then build the requested editions: all of them replace the old files, or none does.

    An edition whose inputs and files are as the output folder's record says is
    left as it is (see `freshness`), unless `force`. `styles_dir` holds the house-style
    overrides (by default the project's `styles/` beside the manuscript, as on the command
    line). `print_options` are the
    production desk's choices for the PDF; `keep_html` also writes the print HTML
    beside the PDF. Raises `ManuscriptError` (listing every problem) when the
    manuscript or a style is wrong; the output directory is then left as it was.

    With `verify`, each edition built is verified before it replaces the old one
    (`VerificationFailed` if it has errors: nothing is written), and each one up to
    date is verified where it is; `MissingValidator` before anything is read if a
    validator is not installed.

    Where the print edition is laid out, `printer` decides (`pdf/printing.py`): by
    default whole, here; `Printer(jobs)` lays an edition of sections out in that many
    processes side by side (see `pdf/parallel/parts.py`), the PDF reading and checking as if laid
    out in one; the command line's (`Printer.started`) has a layout process, started
    before this is called, that lays out an edition laid out whole. A script that
    lays out in parts must guard its own code with `if __name__ == "__main__":`, as
    Python's processes that start anew import it again.
    """
    if out_dir.resolve().is_relative_to(manuscript_dir.resolve()):
        raise ManuscriptError([Problem(
            out_dir, None, f"the output folder is inside the manuscript folder `{manuscript_dir}`",
            "Its editions would be read as files of the manuscript, and no build would ever be up to date: "
            "write them beside it (the project's dist/, or --out ../dist).",
        )])
    validators: tuple[Validator, ...] = ()
    if verify and "epub" in formats:
        from hkcq_press.verify.editions import epub_validators

        validators = epub_validators()
    remove_dead_scratch()
    if out_dir.is_dir():
        remove_leftovers(out_dir)
    record = BuildRecord(out_dir)
    job = _Job(manuscript_dir, out_dir, _house_style(manuscript_dir, styles_dir), limits, print_options, keep_html,
               progress, verify, validators, printer, None if force else record.digests)
    inputs = input_digests(manuscript_dir, job.style, formats, print_options, limits, keep_html, record.digests,
                           job.verified_by)
    fresh = {} if force else {
        kind: recorded for kind in formats
        if (recorded := record.up_to_date(manuscript_dir, kind, inputs[kind])) is not None
    }
    result = BuildResult(None)
    stale = tuple(kind for kind in formats if kind not in fresh)
    if stale:
        _build_stale(job, stale, result, record, inputs)
    elif record.digests.learned:
        record.save()  # the next build trusts these files by their stat data instead of reading them
    for kind, recorded in fresh.items():
        for name in recorded.files:
            path = out_dir / name
            detail = recorded.detail if path.suffix == f".{kind}" else KEPT_HTML
            result.outputs.append(Output(path.suffix[1:], path, path.stat().st_size, detail, rebuilt=False))
    if verify:
        _verify_in_place(job, [output.path for output in result.outputs if not output.rebuilt], result)
    order = {kind: index for index, kind in enumerate((*formats, "html"))}
    result.outputs.sort(key=lambda output: order[output.format])
    return result


@dataclass(frozen=True, slots=True)
class _Job:
    """One `build` call's settings, as the writers need them."""

    manuscript_dir: Path
    out_dir: Path
    style: HouseStyle
    limits: Limits
    print_options: PrintOptions
    keep_html: bool
    progress: Progress | None
    verify: bool
    validators: tuple[Validator, ...]
    printer: Printer
    file_digests: FileDigests | None
    """The input files' digests, to file the sections laid out in parts for the next
    build to reuse; None to lay every section out anew (`force`)."""

    @property
    def verified_by(self) -> tuple[str, ...]:
        return tuple(validator.name for validator in self.validators)


def _verify_in_place(job: _Job, paths: list[Path], result: BuildResult, names: dict[Path, Path] | None = None) -> None:
    """Verify the editions (staged ones by their final `names`); any error fails the build."""
    from hkcq_press.verify.editions import VerificationFailed
    from hkcq_press.verify.editions import verify as verify_editions

    editions = [path for path in paths if (names or {}).get(path, path).suffix in (".pdf", ".epub")]
    found = verify_editions(editions, job.style, names, job.validators)
    if result.verification is None:
        result.verification = found
    else:
        result.verification.problems.extend(found.problems)
        result.verification.checked.update(found.checked)
    if found.errors:
        raise VerificationFailed(found.problems)
    if found.skipped:  # a validator could not run: its check is neither passed nor claimed
        from hkcq_press.verify.validators import MissingValidator

        raise MissingValidator("\n".join(found.skipped))


def _store(job: _Job, edition: Edition) -> Store | None:
    """Where the sections laid out side by side are kept for the next build."""
    made_with = None
    if job.file_digests is not None and job.printer.jobs > 1 and len(edition.sections) > 1:
        articles = frozenset(article.source for article in edition.articles)
        made_with = layout_digest(job.manuscript_dir, job.style, articles, job.file_digests)
    return job.printer.store(edition, job.out_dir, job.manuscript_dir, made_with)


def _build_stale(
    job: _Job, formats: tuple[Format, ...], result: BuildResult, record: BuildRecord, inputs: dict[str, str],
) -> None:
    """Build `formats` into the output folder, with the record of what they were built
    from: staged together, moved into place together, so a disk that fills up stops the
    build before any file is replaced."""
    progress, style = job.progress, job.style
    edition, warnings = _read(style, job.manuscript_dir, job.limits, progress.article if progress else None)
    result.edition = edition
    result.warnings.extend(warnings)
    details: dict[str, str] = {}
    with scratch_folder(), staged_outputs(job.out_dir) as staging:
        staged: dict[str, Path] = {kind: staging.stage(f"{edition.slug}.{kind}") for kind in formats}
        if job.keep_html and "pdf" in formats:
            staged["html"] = staging.stage(f"{edition.slug}.html")
            details["html"] = KEPT_HTML
        # The e-book marks where the printed pages begin: built alone, from the last
        # print layout's page map while what the pages are made from is unchanged.
        starts = record.page_map(job.manuscript_dir, inputs[PAGES]) if (
            "pdf" not in formats and job.file_digests is not None) else None
        if starts is None:
            starts = _lay_out_and_write(job, edition, staged, details, result)
        else:
            from hkcq_press.epub.writer import write_epub

            details["epub"] = _articles(write_epub(edition, style, staged["epub"], job.verified_by, starts).documents)
        record.record_page_map(job.manuscript_dir, inputs[PAGES], starts)
        sizes = {kind: path.stat().st_size for kind, path in staged.items()}
        if job.verify:
            finals = {path: job.out_dir / f"{edition.slug}.{kind}" for kind, path in staged.items()}
            _verify_in_place(job, list(staged.values()), result, finals)
        for kind in formats:
            record.record(job.manuscript_dir, kind, Recorded(inputs[kind], {
                f"{edition.slug}.{made}": file_digest(staged[made]) for made in MADE_WITH[kind] if made in staged
            }, details[kind]))
        record.write(staging.stage(STATE_FILE))
        staging.commit()
    for made in staged:
        result.outputs.append(Output(made, job.out_dir / f"{edition.slug}.{made}", sizes[made], details[made]))


def _lay_out_and_write(
    job: _Job, edition: Edition, staged: dict[str, Path], details: dict[str, str], result: BuildResult,
) -> tuple[PageStart, ...]:
    """Lay out the print edition and write the `staged` editions from it: the print
    edition is laid out first, even for the EPUB alone, whose page list marks where its
    pages begin; the EPUB is then made beside the writing of the PDF. Returns that page map."""
    from hkcq_press.pdf.writer import laid_out

    progress = job.progress
    with ThreadPoolExecutor(max_workers=1) as beside, laid_out(
        edition, job.style, job.print_options, staged.get("html"), progress.page if progress else None, job.printer,
        _store(job, edition),
    ) as layout:
        book = None
        if "epub" in staged:
            from hkcq_press.epub.writer import write_epub

            # WeasyPrint keeps this thread, whose log it reports to.
            book = beside.submit(write_epub, edition, job.style, staged["epub"], job.verified_by, layout.page_starts)
        if "pdf" in staged:
            pdf = layout.write(staged["pdf"])
            result.warnings.extend(pdf.warnings)
            result.copy_fit = _copy_fit(edition, layout.page_fill, result.warnings, layout.placement)
            details["pdf"] = f"{pdf.pages} page{'s' if pdf.pages != 1 else ''}"
        if book is not None:
            details["epub"] = _articles(book.result().documents)
        return layout.page_starts


def _articles(documents: int) -> str:
    return f"{documents} article{'s' if documents != 1 else ''}"
