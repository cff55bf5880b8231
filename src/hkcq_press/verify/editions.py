"""`hkcq-press verify`, and `build --verify`: proof that the editions are fit to publish.

An EPUB is checked by epubcheck and by Ace by DAISY; a PDF by `pdfcheck`. Every
finding is a `Problem` located in the file (the EPUB's member and line, the PDF's
page). The validators an edition needs are found before anything is checked, so
a missing one stops the run by name instead of letting a file pass unchecked.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hkcq_press.errors import ExitStatus, PressError, Problem, ProblemsFound
from hkcq_press.verify.pdfcheck import check_pdf
from hkcq_press.style.house import HouseStyle
from hkcq_press.verify.validators import Ace, Epubcheck, MissingValidator

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
    for path, name in names.items():
        if name.suffix.lower() == ".pdf":
            verification.problems.extend(check_pdf(path, name, style))
            verification.checked[name] = [PDF_CHECKS]
        else:
            with _named(path, name.name) as named:
                for validator in validators or ():
                    verification.problems.extend(validator.check(named, name))
            verification.checked[name] = [validator.name for validator in validators or ()]
    return verification


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
