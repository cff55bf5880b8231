"""`hkcq-press verify`, and `build --verify`: proof that the editions are fit to publish.

An EPUB is checked by epubcheck and by Ace by DAISY; a PDF by `pdfcheck`. Every
finding is a `Problem` located in the file (the EPUB's member and line, the PDF's
page). The validators an edition needs are found before anything is checked, so
a missing one stops the run by name instead of letting a file pass unchecked.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from hkcq_press.errors import ExitStatus, PressError, Problem, ProblemsFound
from hkcq_press.verify.pdfcheck import check_pdf
from hkcq_press.style.house import HouseStyle
from hkcq_press.verify.validators import Ace, Epubcheck, MissingValidator, ValidatorFailed

PDF_CHECKS = "the PDF checks"


class Validator(Protocol):
    @property
    def name(self) -> str: ...

    def check(self, epub: Path, shown_as: Path) -> list[Problem]: ...


class NothingToVerify(PressError):
    """The files named are not editions that can be verified."""

    exit_status = ExitStatus.USAGE


class VerificationFailed(ProblemsFound):
    """`build --verify` found errors in the editions it built, so it wrote none of them."""


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[Path, list[str]] = field(default_factory=dict)
    """Each file, as named to the user, and the checks that ran on it."""
    skipped: list[str] = field(default_factory=list)
    """The validators that could not run (not installed), each with how to install it."""

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]


def epub_validators() -> tuple[Validator, ...]:
    """epubcheck and Ace, found; `MissingValidator` naming every one missing and how to install it."""
    found, missing = available_validators()
    if missing:
        raise MissingValidator("\n".join(missing))
    return found


def available_validators() -> tuple[tuple[Validator, ...], list[str]]:
    """The EPUB validators found, and for each missing one, what it is and how to install it."""
    found: list[Validator] = []
    missing: list[str] = []
    for kind in (Epubcheck, Ace):
        try:
            found.append(kind.find())
        except MissingValidator as error:
            missing.append(str(error))
    return tuple(found), missing


def verify(
    files: Sequence[Path],
    style: HouseStyle,
    shown_as: dict[Path, Path] | None = None,
    validators: Sequence[Validator] | None = None,
) -> Verification:
    """Check each PDF and EPUB; `shown_as` names a file as the user should read it (a
    staged file by its final name). `validators` are the EPUB's, when already found;
    else those installed run, and the others are named in `skipped`."""
    names = {path: (shown_as or {}).get(path, path) for path in files}
    for path, name in names.items():
        if name.suffix.lower() not in (".pdf", ".epub"):
            raise NothingToVerify(f"{name} is neither a PDF nor an EPUB; verify checks the editions hkcq-press builds")
        if not path.is_file():
            raise NothingToVerify(f"{name}: no such file to verify")
    verification = Verification()
    if validators is None and any(name.suffix.lower() == ".epub" for name in names.values()):
        # Every check that can run does (the PDF checks need nothing outside Python);
        # what could not is named, with how to install it.
        validators, verification.skipped = available_validators()
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=WORKING_AT_ONCE) as pool:
        # Every check runs at once (the validators are processes of their own, the PDF
        # checks run meanwhile); what they find is told in the order the files were named.
        findings: list[tuple[Path, str, Future[list[Problem]]]] = []
        for path, name in names.items():
            if name.suffix.lower() == ".pdf":
                findings.append((name, PDF_CHECKS, pool.submit(check_pdf, path, name, style)))
            elif (problem := _container_problem(path)) is not None:
                # Read before any validator unpacks it: a broken or hostile file is a finding.
                verification.problems.append(Problem(name, None, problem, "Build the e-book again with hkcq-press."))
            else:
                named = stack.enter_context(_named(path, name.name))
                findings += [(name, validator.name, pool.submit(validator.check, named, name))
                             for validator in validators or ()]
            verification.checked[name] = []
        for name, check, found in findings:
            try:
                verification.problems.extend(found.result())
            except ValidatorFailed as error:  # it could not run: the others' findings still count
                verification.skipped.append(str(error))
            else:
                verification.checked[name].append(check)
    return verification


WORKING_AT_ONCE = 4
"""Checks run side by side: epubcheck and Ace on an EPUB, the PDF checks beside them;
more would only make a two-core machine's validators wait on each other."""


LARGEST_UNPACKED = 512 * 1024 * 1024
"""Bytes an EPUB may unpack to: an edition's text and pictures are far less; more is
a zip bomb, which would fill the disk of the validator that unpacks it."""


MOST_SQUEEZED, SQUEEZED_FROM = 50, 64 * 1024 * 1024
"""An edition's XHTML packs three to ten times, its pictures hardly at all: more than
64 MB unpacked from fifty times less is made to fill a disk, not to be read."""


def _container_problem(path: Path) -> str | None:
    """What makes `path` no EPUB a validator should open: not a zip, no `mimetype` first,
    a member named outside the book, or far too much to unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return "is not an EPUB: it is not a zip archive"
    if not members or members[0].filename != "mimetype":
        return "is not an EPUB: its first file is not `mimetype`"
    for member in members:
        parts = PurePosixPath(member.filename).parts
        if member.filename.startswith("/") or ".." in parts or "\\" in member.filename:
            return f"holds a file named outside the book (`{member.filename[:80]}`)"
    if (unpacked := sum(member.file_size for member in members)) > LARGEST_UNPACKED:
        return f"would unpack to {unpacked / 1024 ** 3:.1f} GB, far more than any edition: a zip bomb"
    packed = sum(member.compress_size for member in members) or 1
    if unpacked > SQUEEZED_FROM and unpacked / packed > MOST_SQUEEZED:
        return (f"would unpack {packed / 1024 ** 2:.1f} MB to {unpacked / 1024 ** 2:.0f} MB, {unpacked / packed:.0f} "
                "times over, as no edition's text and pictures do: a zip bomb")
    return None


@contextmanager
def _named(path: Path, name: str) -> Iterator[Path]:
    """`path` under the name the validators should see (they judge a file by its extension)."""
    if path.name == name:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="hkcq-press-verify-") as folder:
        link = Path(folder) / name
        os.symlink(path.resolve(), link)
        yield link
