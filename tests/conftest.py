from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from hkcq_press.build import BuildResult, build

# CI runs the property tests with a fixed seed, so a run is reproducible; new
# examples are explored on developers' machines, where failures are shrunk and kept.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SLOW_MODULES = frozenset({
    "test_parallel", "test_partcache", "test_layout_process", "test_tuning", "test_pagemap", "test_incremental",
    "test_page_fill", "test_visual", "test_preview", "test_accessibility", "test_package",
})
"""Tests that lay editions out several times over (in parts, stock and tuned, at two
sizes), drive Chromium or build a wheel: the `slow` tier, with the tests elsewhere
marked `@pytest.mark.slow` (editions laid out again and again, both validators run on
several builds). `make test-fast` leaves them out; `make test`, and CI, run everything."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-references", action="store_true",
        help="rewrite the visual reference images from this build (review them before committing)",
    )
    parser.addoption(
        "--update-golden", action="store_true",
        help="rewrite the golden markup and the visual reference images from this build "
             "(review the diff before committing)",
    )


ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "manuscript"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MULTI = FIXTURES / "multi"
CHINESE = FIXTURES / "chinese"
DESKWEEK = FIXTURES / "deskweek"
"""A desk's week: tables, footnotes, a photo with its credit, a factbox, a correction,
links, lists, quotations and code."""
SECTIONS = FIXTURES / "sections"
"""Three sections of the multi and desk's-week articles."""
SOURCE_ARTICLE = FIXTURES / "source" / "chongqing-hong-kong-cooperation.txt"


@dataclass
class Built:
    manuscript: Path
    result: BuildResult

    @property
    def pdf(self) -> Path:
        return next(output.path for output in self.result.outputs if output.format == "pdf")

    @property
    def epub(self) -> Path:
        return next(output.path for output in self.result.outputs if output.format == "epub")


@pytest.fixture(scope="session")
def sample_edition(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("sample-dist")
    return Built(SAMPLE, build(SAMPLE, out, styles_dir=ROOT / "styles"))


@pytest.fixture(scope="session")
def multi_edition(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("multi-dist")
    return Built(MULTI, build(MULTI, out))


@pytest.fixture(scope="session")
def chinese_edition(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("chinese-dist")
    return Built(CHINESE, build(CHINESE, out))


@pytest.fixture(scope="session")
def deskweek_edition(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("deskweek-dist")
    return Built(DESKWEEK, build(DESKWEEK, out))


@pytest.fixture(params=["sample", "multi", "chinese"])
def edition(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(f"{request.param}_edition")


def copy_manuscript(root: Path, source: Path = MULTI, edition_lines: str = "") -> Path:
    """A writable copy of a fixture manuscript at `root/manuscript`, for tests that
    change it, with `edition_lines` added at the end of its edition.yaml."""
    target = root / "manuscript"
    shutil.copytree(source, target)
    if edition_lines:
        edition = target / "edition.yaml"
        edition.write_text(edition.read_text(encoding="utf-8") + edition_lines, encoding="utf-8")
    return target


def print_edition_of(root: Path, title: str, articles: list[str], house_css: str | None = None) -> Path:
    """The PDF of a manuscript written at `root` from whole article files (front matter
    and body), with `house_css` as the desk's own touches if given."""
    (root / "articles").mkdir(parents=True)
    names = []
    for number, text in enumerate(articles):
        names.append(f"articles/a{number:02d}.md")
        (root / names[-1]).write_text(text, encoding="utf-8")
    (root / "edition.yaml").write_text(
        f"title: {title}\nlanguage: en\narticles:\n" + "".join(f"  - {name}\n" for name in names), encoding="utf-8"
    )
    styles_dir = None
    if house_css is not None:
        styles_dir = root.parent / "styles"
        styles_dir.mkdir()
        (styles_dir / "house.css").write_text(house_css, encoding="utf-8")
    result = build(root, root.parent / "dist", formats=("pdf",), styles_dir=styles_dir)
    return result.outputs[0].path


def editions_in(folder: Path) -> list[str]:
    """The files a reader of the folder sees: not the hidden build record."""
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))


def run_cli(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """hkcq-press as a user runs it, in its own process (with `env` added to the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "hkcq_press", *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )


def run_cli_here(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """hkcq-press's command line run in this process, from `cwd` (with `env` added to
    the environment while it runs), its output caught: what `run_cli` does without a
    new interpreter's start and imports, for the many cases that test what a command
    says and writes rather than how its process starts, stops or dies."""
    import contextlib
    import io
    import signal

    from hkcq_press.cli import main

    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    stdout, stderr = io.StringIO(), io.StringIO()
    started_in = os.getcwd()
    os.chdir(cwd)  # not contextlib.chdir: Python 3.10 is supported
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            try:
                status = main(list(arguments))
            except SystemExit as usage:  # argparse's: the status a process would end with
                status = usage.code if isinstance(usage.code, int) else 1
    finally:
        os.chdir(started_in)
        for number, handler in handlers.items():
            signal.signal(number, handler)
    return subprocess.CompletedProcess(["hkcq-press", *arguments], status, stdout.getvalue(), stderr.getvalue())
