"""hkcq-press as an editor runs it: in a project folder, in its own process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, ROOT, SAMPLE, editions_in, run_cli, run_cli_here
from support import epubcheck_messages, flow, in_order, pdf_lines, temporary_files

from hkcq_press import __version__

BROKEN = sorted(path for path in (FIXTURES / "broken").iterdir() if path.is_dir())
AS_ITS_OWN_PROCESS = frozenset({"missing-headline", "svg-with-script", "unknown-key"})
"""Broken manuscripts also built by hkcq-press in its own process, as a desk runs it
(an error, a refused picture, a warning); the others are run in the tests' process."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder laid out like this repository: manuscript/ and styles/."""
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    return tmp_path


def test_build_writes_both_editions_and_says_so(project: Path) -> None:
    result = run_cli("build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pdf = project / "dist" / "hong-kong-chongqing-dispatch.pdf"
    epub = project / "dist" / "hong-kong-chongqing-dispatch.epub"
    assert pdf.read_bytes().startswith(b"%PDF-")
    with zipfile.ZipFile(epub) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/epub+zip"
    with pikepdf.open(pdf) as printed:
        assert f"wrote {Path('dist') / pdf.name} ({len(printed.pages)} pages," in result.stdout
    assert f"wrote {Path('dist') / epub.name} (1 article," in result.stdout
    assert editions_in(project / "dist") == sorted([pdf.name, epub.name])


@pytest.mark.parametrize("command, suffix", [("pdf", ".pdf"), ("epub", ".epub")])
def test_each_edition_alone(project: Path, command: str, suffix: str) -> None:
    result = run_cli_here(command, "--out", "public", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [Path(name).suffix for name in editions_in(project / "public")] == [suffix]


def test_manuscript_and_out_options(tmp_path: Path) -> None:
    result = run_cli_here("epub", "--manuscript", str(FIXTURES / "multi"), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "test-edition-two-cities-three-stories.epub").is_file()


@pytest.mark.parametrize("fixture", BROKEN, ids=[path.name for path in BROKEN])
def test_each_manuscript_mistake_gets_its_message_at_its_file_and_line(tmp_path: Path, fixture: Path) -> None:
    """Errors stop the build and write nothing; warnings are shown and the build goes on."""
    shutil.copytree(fixture, tmp_path / "manuscript", symlinks=True)
    options = fixture / "options.txt"
    run = run_cli if fixture.name in AS_ITS_OWN_PROCESS else run_cli_here
    result = run("build", *(options.read_text(encoding="utf-8").split() if options.exists() else []), cwd=tmp_path)
    fails = (fixture / "expected-errors.txt").exists()
    expected = (fixture / ("expected-errors.txt" if fails else "expected-warnings.txt")).read_text(encoding="utf-8")
    for message in expected.strip().split("\n"):
        where = f"{Path('manuscript')}/" if not message.startswith("  ") else ""
        assert where + message in result.stderr
    assert "Traceback" not in result.stderr
    if fails:
        assert result.returncode == 1
        assert result.stdout == ""
        assert not (tmp_path / "dist").exists()
    else:
        assert result.returncode == 0, result.stderr
        assert len(editions_in(tmp_path / "dist")) == 2


def test_a_failed_build_leaves_the_previous_good_editions_untouched(project: Path) -> None:
    assert run_cli_here("build", cwd=project).returncode == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    article = project / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md"
    article.write_text(article.read_text(encoding="utf-8").replace("headline:", "headlne:"), encoding="utf-8")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert "error: the article has no headline" in result.stderr
    assert "warning: unknown key `headlne` is ignored\n  Did you mean `headline`?" in result.stderr
    after = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    assert after == before


def test_a_failing_stylesheet_stops_the_build(project: Path) -> None:
    """WeasyPrint only logs a stylesheet it cannot load; hkcq-press refuses to print unstyled."""
    (project / "styles" / "print.css").symlink_to("/etc/hostname")
    result = run_cli_here("pdf", cwd=project)
    assert result.returncode == 1
    assert "styles/print.css: error: `print.css` is not a file of the house style (it is /etc/hostname)" in result.stderr
    assert not (project / "dist").exists()


def test_the_api_takes_the_projects_styles_as_the_command_does(project: Path) -> None:
    """`styles/` beside the manuscript is the project's house style, for a script too."""
    from hkcq_press.build import check
    from hkcq_press.errors import ManuscriptError

    (project / "styles" / "print.css").symlink_to("/etc/hostname")
    with pytest.raises(ManuscriptError) as refused:
        check(project / "manuscript")
    assert "`print.css` is not a file of the house style" in str(refused.value)
    check(project / "manuscript", styles_dir=ROOT / "styles")  # the overrides named win


def _transcript(command: str) -> list[str]:
    """What the README shows `command` printing, sizes left out (they move with the faces)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = text.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    return [re.sub(r"\d+ KB", "N KB", line) for line in shown.splitlines()]


def test_the_readmes_transcripts_are_what_the_sample_prints(project: Path) -> None:
    checked = run_cli_here("check", cwd=project)
    assert checked.stdout.splitlines() == _transcript("hkcq-press check")
    built = run_cli_here("build", cwd=project)
    printed = [re.sub(r"\d+ KB", "N KB", line) for line in built.stdout.splitlines()]
    assert printed == [line for line in _transcript("hkcq-press build --verify") if not line.startswith("verified ")]


def test_usage_errors_exit_2(project: Path) -> None:
    assert run_cli_here(cwd=project).returncode == 2
    assert run_cli_here("publish", cwd=project).returncode == 2
    assert run_cli_here("build", "--colour", cwd=project).returncode == 2


def test_help_and_version(project: Path) -> None:
    result = run_cli("--help", cwd=project)
    assert result.returncode == 0
    for command in ("check", "pdf", "epub", "build", "new"):
        assert command in result.stdout
    helps = {command: run_cli(command, "--help", cwd=project).stdout for command in ("check", "pdf", "epub", "build")}
    assert "--manuscript" in helps["check"] and "--out" not in helps["check"] and "--force" not in helps["check"]
    assert "--print-marks" in helps["pdf"] and "--print-marks" in helps["build"]
    assert "--out" in helps["epub"] and "--print-marks" not in helps["epub"] and "--keep-html" not in helps["epub"]
    version = run_cli("--version", cwd=project)
    assert version.stdout.strip() == f"hkcq-press {__version__}"


def test_an_output_folder_that_is_a_file_is_a_clear_error(project: Path) -> None:
    (project / "dist").write_text("not a folder", encoding="utf-8")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert "dist: error: the output folder cannot be made" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert (project / "dist").read_text(encoding="utf-8") == "not a folder"


def test_missing_manuscript_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli_here("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "manuscript: error: the manuscript directory does not exist" in result.stderr
    assert "--manuscript DIR" in result.stderr


def test_an_internal_error_exits_3_with_a_hint_and_no_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hkcq_press import build as build_module
    from hkcq_press.cli import main

    def broken_build(*_: object, **__: object) -> None:
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr(build_module, "build", broken_build)
    monkeypatch.chdir(project)
    assert main(["build"]) == 3
    error = capsys.readouterr().err
    assert "internal error: RuntimeError: something unforeseen" in error
    assert "--debug" in error and "Traceback" not in error
    assert main(["build", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_leftovers_of_a_killed_build_are_removed_by_the_next(project: Path) -> None:
    """A build killed midway leaves the good editions intact; the next build tidies up."""
    assert run_cli_here("build", cwd=project).returncode == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    process = subprocess.Popen([sys.executable, "-m", "hkcq_press", "build", "--force", "--jobs", "2"], cwd=project)
    # The process it forked to lay the edition out hears that it has gone, and ends.
    _killed_leaving_no_process(
        process, project, lambda: any(path.name.startswith(".hkcq-press-") for path in (project / "dist").iterdir())
    )
    leftovers = [path for path in (project / "dist").iterdir() if path.name.startswith(".hkcq-press-")]
    assert leftovers
    assert {path.name: path.read_bytes() for path in (project / "dist").iterdir() if path not in leftovers} == before
    assert run_cli_here("build", cwd=project).returncode == 0
    assert sorted(path.name for path in (project / "dist").iterdir()) == sorted(before)


def test_a_live_build_keeps_its_temporary_files(project: Path) -> None:
    from hkcq_press.outputs import remove_leftovers

    (project / "dist").mkdir()
    mine = project / "dist" / f".hkcq-press-{os.getpid()}-x.pdf.abc.tmp"
    mine.write_bytes(b"in progress")
    remove_leftovers(project / "dist")
    assert mine.exists()


@pytest.mark.slow
def test_builds_running_at_once_never_leave_a_corrupt_edition(project: Path) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-m", "hkcq_press", "build"], cwd=project,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for process in processes:
        _, error = process.communicate(timeout=300)
        assert process.returncode == 0, error
    names = editions_in(project / "dist")
    assert names == ["hong-kong-chongqing-dispatch.epub", "hong-kong-chongqing-dispatch.pdf"]
    with pikepdf.open(project / "dist" / names[1]) as pdf:
        assert len(pdf.pages) == 2  # the sample edition's, whole
    assert epubcheck_messages(project / "dist" / names[0]) == []


def test_an_interrupted_build_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted after the PDF is written, before the EPUB: neither edition is replaced."""
    from hkcq_press import build as build_module
    from hkcq_press.epub import writer as epub_module

    assert run_cli_here("build", cwd=project).returncode == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(epub_module, "write_epub", interrupted)
    manuscript = project / "manuscript" / "edition.yaml"
    manuscript.write_text(manuscript.read_text(encoding="utf-8").replace("Dispatch", "Dispatch "), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build_module.build(project / "manuscript", project / "dist", styles_dir=project / "styles")
    assert {path.name: path.read_bytes() for path in (project / "dist").iterdir()} == before


def test_check_reports_a_summary_and_builds_nothing(project: Path) -> None:
    result = run_cli_here("check", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "manuscript: no errors; 1 article, 557 words, 3 pull quotes, 1 credit"
    assert not (project / "dist").exists()


def test_check_counts_the_multi_article_fixture(tmp_path: Path) -> None:
    result = run_cli_here("check", "--manuscript", str(FIXTURES / "multi"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no errors; 3 articles, " in result.stdout and ", 2 pull quotes, 2 credits" in result.stdout


@pytest.mark.parametrize("fixture", BROKEN, ids=[path.name for path in BROKEN])
def test_check_finds_what_build_finds(tmp_path: Path, fixture: Path) -> None:
    shutil.copytree(fixture, tmp_path / "manuscript", symlinks=True)
    options = (fixture / "options.txt").read_text(encoding="utf-8").split() if (fixture / "options.txt").exists() else []
    run = run_cli if fixture.name in AS_ITS_OWN_PROCESS else run_cli_here
    checked, built = run("check", *options, cwd=tmp_path), run("build", *options, cwd=tmp_path)
    assert checked.returncode == built.returncode
    assert checked.stderr == built.stderr.replace("; nothing was written.", ".")


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    for fixture in ("missing-headline", "pull-quote-not-in-body", "not-an-image"):
        shutil.copytree(FIXTURES / "broken" / fixture, tmp_path / "manuscript" / fixture)
    (tmp_path / "manuscript" / "edition.yaml").write_text(
        "title: T\nlanguage: en\narticles:\n"
        + "".join(f"  - {name}/articles/story.md\n" for name in ("missing-headline", "pull-quote-not-in-body", "not-an-image")),
        encoding="utf-8",
    )
    result = run_cli_here("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count(": error: ") == 3
    assert result.stderr.strip().endswith("hkcq-press: 3 errors.")


def test_size_limits(project: Path) -> None:
    text = run_cli_here("check", "--max-text-mb", "0.002", cwd=project)
    assert text.returncode == 1
    assert "chongqing-hong-kong-cooperation.md: error: the file is 4 KB, over the limit of 2 KB for text" in text.stderr
    assert "--max-text-mb" in text.stderr
    shutil.copy(FIXTURES / "multi" / "images" / "night-view.png", project / "manuscript" / "articles")
    article = project / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n![A night view](night-view.png)\n", encoding="utf-8")
    image = run_cli_here("build", "--max-image-mb", "0.0001", cwd=project)
    assert image.returncode == 1
    assert "articles/chongqing-hong-kong-cooperation.md:53: error: the image `night-view.png` is 1 KB, " \
        "over the limit of 104 bytes" in image.stderr
    pixels = run_cli_here("check", "--max-image-megapixels", "0.2", cwd=project)
    assert pixels.returncode == 1
    assert "the image `night-view.png` is 600 × 400 pixels (0.24 megapixels), over the limit of 0.2 megapixels" \
        in pixels.stderr
    assert run_cli_here("build", cwd=project).returncode == 0


def test_an_empty_manuscript_directory(tmp_path: Path) -> None:
    (tmp_path / "manuscript").mkdir()
    result = run_cli_here("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "manuscript/edition.yaml: error: `edition.yaml` is missing" in result.stderr


def test_build_makes_the_two_editions_at_the_same_time(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the print edition is laid out, its PDF is written while the EPUB is made:
    each writer waits for the other to have started; one after the other, this would time out."""
    import threading

    from hkcq_press import build as build_module
    from hkcq_press.epub import writer as epub_module
    from hkcq_press.pdf import writer as pdf_module

    started = {"pdf": threading.Event(), "epub": threading.Event()}
    real = {"pdf": pdf_module.PrintLayout.write, "epub": epub_module.write_epub}

    def writer(kind: str, other: str):
        def write(*arguments: object):
            started[kind].set()
            assert started[other].wait(timeout=60), f"the {other} was not being made while the {kind} was"
            return real[kind](*arguments)
        return write

    monkeypatch.setattr(pdf_module.PrintLayout, "write", writer("pdf", "epub"))
    monkeypatch.setattr(epub_module, "write_epub", writer("epub", "pdf"))
    result = build_module.build(project / "manuscript", project / "dist", styles_dir=project / "styles")
    assert [output.format for output in result.outputs] == ["pdf", "epub"]
    assert all(output.path.stat().st_size > 0 for output in result.outputs)


def _edition_of(articles: int, root: Path, sections: int = 0) -> Path:
    """The sample article `articles` times over: a build long enough to be stopped;
    in `sections` sections of as many articles each, if given."""
    manuscript = root / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    text = (SAMPLE / "articles" / "chongqing-hong-kong-cooperation.md").read_text(encoding="utf-8")
    for number in range(articles):
        (manuscript / "articles" / f"a{number:02d}.md").write_text(text, encoding="utf-8")
    entries = [f"  - articles/a{n:02d}.md\n" for n in range(articles)]
    listing = "articles:\n" + "".join(entries)
    if sections:
        size = articles // sections
        listing = "sections:\n" + "".join(
            f"  - title: Section {number + 1}\n    articles:\n"
            + "".join(f"  {entry}" for entry in entries[number * size:(number + 1) * size])
            for number in range(sections)
        )
    (manuscript / "edition.yaml").write_text(f"title: Long\nlanguage: en\n{listing}", encoding="utf-8")
    return manuscript


def test_a_killed_build_of_sections_leaves_no_process(tmp_path: Path) -> None:
    """The sections' processes, forked by the one the command started, end too when
    the command is killed outright."""
    from test_partcache import edition

    manuscript = edition(tmp_path / "manuscript")
    process = subprocess.Popen([sys.executable, "-m", "hkcq_press", "pdf", "--manuscript", str(manuscript),
                                "--jobs", "2"], cwd=tmp_path)
    # The command, its layout process and two sections'.
    _killed_leaving_no_process(process, tmp_path, lambda: len(_processes_in(tmp_path)) >= 4)


def _killed_leaving_no_process(process: subprocess.Popen[bytes], folder: Path, midway: Callable[[], bool]) -> None:
    """Kill the build `process` outright once it is `midway`; then no process it
    started is left running in `folder`."""
    deadline = time.monotonic() + 60
    while not midway():
        assert process.poll() is None and time.monotonic() < deadline, "the build ended before it could be killed"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 60
    while _processes_in(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_in(folder) == []


@pytest.mark.parametrize(("sections", "stop"), [(0, signal.SIGTERM), (3, signal.SIGTERM), (0, signal.SIGHUP)],
                         ids=["whole", "in sections", "its terminal closed"])
def test_a_build_stopped_by_sigterm_leaves_no_temporary_files(
    tmp_path: Path, sections: int, stop: signal.Signals,
) -> None:
    """Laid out whole in the layout process, or in sections by the processes it forks;
    stopped by the system (SIGTERM) or by its terminal closing (SIGHUP)."""
    _edition_of(30, tmp_path, sections)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "hkcq_press", "build", "--jobs", "2"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + 120
    # Wait until WeasyPrint is at work: its font folder is in the build's scratch folder.
    while not list(scratch.glob("hkcq-press-*/weasyprint-*")) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "hkcq-press: stopped; nothing was written." in stderr and "Traceback" not in stderr
    assert temporary_files(scratch) == []
    assert not (tmp_path / "dist").exists()
    assert _processes_in(tmp_path) == [], "the process laying the edition out was stopped too"


STOPPED_WHILE_LOADING = """
import os, signal, sys

class StopWhenTheCommandsLoad:
    def find_spec(self, name, path=None, target=None):
        if name == "hkcq_press.commands":
            os.kill(os.getpid(), signal.{signal})
        return None

sys.meta_path.insert(0, StopWhenTheCommandsLoad())
from hkcq_press.cli import main
sys.exit(main(["build"]))
"""


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_a_command_stopped_while_it_loads_says_so_with_the_stopped_status(project: Path, stop: str) -> None:
    """The commands' code is loaded after the signals are caught: a build stopped in its
    first moments exits 130 as a stopped build does, not 128 + the signal."""
    result = subprocess.run([sys.executable, "-c", STOPPED_WHILE_LOADING.format(signal=stop)], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr == "hkcq-press: stopped; nothing was written.\n"
    assert not (project / "dist").exists()


def _processes_in(folder: Path) -> list[int]:
    """The processes running in `folder` (the build's and any it started)."""
    running = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cwd").resolve() == folder.resolve():
                running.append(int(entry.name))
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return running


def _dead_processes_folders(scratch: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = scratch / f"hkcq-press-{dead.stdout.strip()}-x1y2z3"
    (leftover / "weasyprint-abc").mkdir(parents=True)
    (leftover / "weasyprint-abc" / "font.ttf").write_bytes(b"\0" * 1024)
    # A preview whose terminal was closed under it: its private editions, named for it.
    preview = scratch / f"hkcq-press-{dead.stdout.strip()}-preview-q8r9"
    (preview / "editions").mkdir(parents=True)
    (preview / "editions" / "sample.pdf").write_bytes(b"%PDF-")


@pytest.mark.parametrize("command", ["pdf", "an up-to-date build", "check"])
def test_the_temporary_files_of_a_dead_build_are_removed_by_the_next(tmp_path: Path, command: str) -> None:
    """Whatever the next command is, and whether or not it builds anything."""
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    if command == "an up-to-date build":
        assert run_cli("build", cwd=tmp_path, env={"TMPDIR": str(scratch)}).returncode == 0
    _dead_processes_folders(scratch)
    result = run_cli("build" if command == "an up-to-date build" else command, cwd=tmp_path,
                     env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr
    if command == "an up-to-date build":
        assert "up to date: " in result.stdout
    assert temporary_files(scratch) == []


@pytest.mark.parametrize("limit_kb", [20, pytest.param(100, marks=pytest.mark.slow), pytest.param(190, marks=pytest.mark.slow)])
def test_files_the_machine_refuses_to_grow_stop_the_build_with_one_message(project: Path, limit_kb: int) -> None:
    """A real refusal to write, as a full disk gives one: the process may write no file
    larger than the limit (the PDF is about 32 KB, the EPUB 160 KB). One located error,
    no warning or traceback after it, the previous editions and their record as they were."""
    import resource

    assert run_cli_here("build", cwd=project).returncode == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_kb * 1024, limit_kb * 1024))

    result = subprocess.run([sys.executable, "-m", "hkcq_press", "build", "--force"], cwd=project,
                            capture_output=True, text=True, timeout=300, preexec_fn=limited)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("dist: error: the editions cannot be written: file too large\n")
    assert len(result.stderr.splitlines()) == 3, result.stderr  # the error, its hint, the count
    assert {path.name: path.read_bytes() for path in (project / "dist").iterdir()} == before


def test_a_record_that_cannot_be_written_stops_the_build_before_any_edition_is_replaced(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """The record is staged with the editions and moved into place with them."""
    import errno

    from hkcq_press.cli import main
    from hkcq_press.freshness import BuildRecord

    monkeypatch.chdir(project)
    assert main(["build"]) == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    capsys.readouterr()

    def full(self, path):  # noqa: ANN001, ARG001
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(BuildRecord, "write", full)
    assert main(["build", "--force", "--jobs", "1"]) == 1
    assert "dist: error: the editions cannot be written: no space left on device" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in (project / "dist").iterdir()} == before


@pytest.mark.parametrize("failure", ["disk full", "read-only folder"])
def test_an_output_the_machine_cannot_store_is_a_clear_error_and_the_old_editions_stay(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], failure: str,
) -> None:
    """A full disk or a folder that refuses writing is the machine's condition, not a bug:
    one message, exit 1, no traceback, the previous editions as they were."""
    import errno

    import weasyprint

    from hkcq_press.cli import main
    from hkcq_press.outputs import Staging

    monkeypatch.chdir(project)
    assert main(["build"]) == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    # In this process (`--jobs 1`), where the failure can be made; a part's process
    # sends its OSError back to be reported the same way.
    capsys.readouterr()
    if failure == "disk full":
        def full(self, target, **options):  # noqa: ANN001, ARG001
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        monkeypatch.setattr(weasyprint.Document, "write_pdf", full)
        expected = "dist: error: the editions cannot be written: no space left on device"
    else:
        def refused(self, name):  # noqa: ANN001
            raise PermissionError(errno.EACCES, "Permission denied", str(self.out_dir / name))
        monkeypatch.setattr(Staging, "stage", refused)
        expected = "dist: error: the editions cannot be written: permission denied"
    status = main(["build", "--force", "--jobs", "1"])
    stderr = capsys.readouterr().err
    assert status == 1, stderr
    assert expected in stderr and "Traceback" not in stderr and "internal error" not in stderr
    assert {path.name: path.read_bytes() for path in (project / "dist").iterdir()} == before


def test_warnings_of_one_kind_are_shown_ten_at_most_then_counted(project: Path) -> None:
    for number in range(30):
        (project / "manuscript" / f"draft-{number:02d}.md").write_text("Not yet.\n", encoding="utf-8")
    result = run_cli_here("check", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning: this article is not listed in edition.yaml") == 10
    assert "hkcq-press: 20 more warnings like these: this article is not listed in edition.yaml and is left out\n" \
        in result.stderr


def test_errors_of_one_kind_are_shown_ten_at_most_then_counted(project: Path) -> None:
    article = project / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n" + "[a](javascript:x) " * 25 + "\n",
                       encoding="utf-8")
    result = run_cli_here("check", cwd=project)
    assert result.returncode == 1
    assert result.stderr.count("error: the link `javascript:x` cannot work in the editions") == 10
    assert "hkcq-press: 15 more errors like these: the link `javascript:x` cannot work in the editions\n" \
        in result.stderr
    assert result.stderr.endswith("hkcq-press: 25 errors.\n")


def test_errors_that_say_different_things_are_all_shown(project: Path) -> None:
    article = project / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n" + "".join(
        f"\n::: pullquote\nWords never written number {number}\n:::\n" for number in range(12)), encoding="utf-8")
    result = run_cli_here("check", cwd=project)
    assert result.stderr.count("error: the pull quote is not in the article") == 12


def test_new_starts_a_project_that_builds_at_once(tmp_path: Path) -> None:
    started = run_cli_here("new", "my-edition", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    project = tmp_path / "my-edition"
    assert sorted(path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()) == [
        ".gitignore", "manuscript/articles/first-story.md", "manuscript/edition.yaml",
        "manuscript/images/city-at-night.jpg", "styles/README.md",
    ]
    assert (project / ".gitignore").read_text(encoding="utf-8") == "dist/\n"
    edition_yaml = (project / "manuscript" / "edition.yaml").read_text(encoding="utf-8")
    for key in ("title", "language", "articles", "subtitle", "publisher", "date", "rights", "description",
                "identifier", "isbn_print", "isbn_epub", "slug", "cover", "page_size", "pdf_variant", "print_profile",
                "print_ppi", "bleed", "chinese_forms", "accessibility"):
        assert re.search(rf"^#? ?{key}:", edition_yaml, re.M), key
    checked = run_cli_here("check", cwd=project)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    assert "1 pull quote, 1 credit" in checked.stdout
    built = run_cli_here("build", cwd=project)
    assert built.returncode == 0 and built.stderr == "", built.stderr
    stream = flow(pdf_lines(project / "dist" / "my-first-edition.pdf"))
    in_order(stream, ["Your headline here, as it should print", "News desk", "Hong Kong: This is the first paragraph.",
                      "Key facts", "Photo: The photographer or the agency"])


def test_new_never_writes_over_anything(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_cli_here("new", "taken", cwd=tmp_path)
    assert result.returncode == 1
    assert "taken: error: is not an empty folder" in result.stderr
    assert [path.name for path in (tmp_path / "taken").iterdir()] == ["notes.txt"]


def test_new_takes_a_folder_that_holds_only_its_git_repository(tmp_path: Path) -> None:
    """`git init`, then `hkcq-press new .`: a common habit."""
    (tmp_path / "paper" / ".git").mkdir(parents=True)
    (tmp_path / "paper" / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    result = run_cli_here("new", ".", cwd=tmp_path / "paper")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "paper" / "manuscript" / "edition.yaml").is_file()
    assert (tmp_path / "paper" / ".git" / "HEAD").read_text(encoding="utf-8") == "ref: refs/heads/main\n"
    (tmp_path / "other" / ".git").mkdir(parents=True)
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    assert run_cli_here("new", "other", cwd=tmp_path).returncode == 1


@pytest.mark.parametrize("name, message", [
    ("dangling", "is not an empty folder"),
    ("n" * 300, "cannot be made here: File name too long"),
    ("/proc/hkcq-press-edition", "cannot be made here:"),
])
def test_new_where_no_project_can_be_made_says_why(tmp_path: Path, name: str, message: str) -> None:
    """A dangling link, a name too long, a folder nothing can be written in: one located
    error, nothing left behind, never an internal error."""
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    result = run_cli_here("new", name, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f": error: {message}" in result.stderr and "internal error" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dangling"]


@pytest.mark.parametrize("command, option", [
    ("check", ["--out", "x"]), ("check", ["--force"]), ("check", ["--pdf-variant", "pdf/a-3b"]),
    ("check", ["--print-marks"]), ("check", ["--keep-html"]), ("check", ["--page-size", "book"]),
    ("epub", ["--print-marks"]), ("epub", ["--pdf-variant", "pdf/a-3b"]), ("epub", ["--keep-html"]),
    ("new", ["x", "--manuscript", "m"]),
])
def test_each_command_takes_only_its_own_options(project: Path, command: str, option: list[str]) -> None:
    result = run_cli_here(command, *option, cwd=project)
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
    assert not (project / "dist").exists() and not (project / "x").exists()


# --- The right folder --------------------------------------------------------------------


def test_run_from_inside_the_manuscript_the_project_is_found_upward(project: Path) -> None:
    """As Quarto finds `_quarto.yml`: the folder holding manuscript/edition.yaml, said."""
    inside = project / "manuscript" / "articles"
    built = run_cli_here("pdf", cwd=inside)
    assert built.returncode == 0, built.stderr
    assert f"hkcq-press: using the project in {project}" in built.stderr
    assert [path.suffix for path in (project / "dist").iterdir() if not path.name.startswith(".")] == [".pdf"]
    assert not (inside / "dist").exists() and not (project / "manuscript" / "dist").exists()
    checked = run_cli_here("check", cwd=project / "manuscript")
    assert checked.returncode == 0 and "no errors" in checked.stdout
    verified = run_cli_here("verify", cwd=inside)
    assert verified.returncode == 0 and "verified " in verified.stdout and ".pdf:" in verified.stdout, (
        "verify finds the project's dist/ too")
    here = run_cli_here("check", cwd=project)
    assert "using the project" not in here.stderr, "nothing to say when the project is the working folder"


def test_an_output_folder_inside_the_manuscript_is_refused(project: Path) -> None:
    manuscript = project / "manuscript"
    before = sorted(path.relative_to(manuscript) for path in manuscript.rglob("*"))
    result = run_cli_here("build", "--manuscript", ".", cwd=manuscript)
    assert result.returncode == 1
    assert "dist: error: the output folder is inside the manuscript folder `.`" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(path.relative_to(manuscript) for path in manuscript.rglob("*")) == before


def test_preview_without_a_manuscript_says_so_in_one_line(tmp_path: Path) -> None:
    result = run_cli_here("preview", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "manuscript: error: the manuscript directory does not exist"
    assert "Traceback" not in result.stderr and "previewing" not in result.stdout


def test_output_read_by_a_reader_that_goes_away_is_no_error(project: Path) -> None:
    """`hkcq-press fit | head -1`: the reader closes the pipe; the work is done, nothing to report."""
    process = subprocess.Popen([sys.executable, "-m", "hkcq_press", "fit"], cwd=project, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.close()  # gone before anything is written
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
