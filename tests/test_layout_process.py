"""The print edition laid out whole in a process of its own (`pdf/parallel/process.py`),
which the command line starts before it reads the manuscript: the same files as
laid out in the build's own process, what WeasyPrint reports there located here,
and the process stopped however the build ends."""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from conftest import CHINESE, DESKWEEK, FIXTURES, SAMPLE, run_cli
from hkcq_press.pdf.parallel import process as layout_process_module
from hkcq_press.pdf import writer as pdf
from hkcq_press.build import build
from hkcq_press.errors import ManuscriptError
from hkcq_press.pdf.parallel.process import ForkedProcess, LayoutProcess
from hkcq_press.pdf.parallel.messages import Share
from hkcq_press.style.house import HouseStyle
from hkcq_press.pdf.printing import Printer
from support import generated_article, generated_edition, temporary_files


@pytest.fixture
def layout_process() -> Iterator[LayoutProcess]:
    # Started directly: `started` declines in a process running threads, as a test
    # runner may be.
    process = LayoutProcess()
    try:
        yield process
    finally:
        process.stop()
    assert not multiprocessing.active_children()


class _Pages:
    def __init__(self) -> None:
        self.heard: list[int] = []

    def article(self, done: int, total: int) -> None:
        pass

    def page(self, number: int) -> None:
        self.heard.append(number)


def _moved_figure_edition(root: Path) -> Path:
    return generated_edition(root, [generated_article(7, 26, figure_after=9)], "page_size: book\n",
                             picture=(800, 1200))


@pytest.mark.parametrize("fixture", ["sample", "chinese", "deskweek", "moved figure"])
def test_an_edition_laid_out_in_its_own_process_is_the_same_files(
    tmp_path: Path, fixture: str, layout_process: LayoutProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Byte for byte: the PDF, the EPUB (whose page list the layout gives) and the
    print HTML, figures moved included; and the pages are heard as they are laid out."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767571200")  # the EPUB's files are dated by it, else by the clock
    if fixture == "moved figure":
        manuscript = _moved_figure_edition(tmp_path / "manuscript")
    else:
        manuscript = {"sample": SAMPLE, "chinese": CHINESE, "deskweek": DESKWEEK}[fixture]
    pages_here, pages_there = _Pages(), _Pages()
    here = build(manuscript, tmp_path / "here", keep_html=True, progress=pages_here)
    asked: list[object] = []
    lay_out = LayoutProcess.lay_out
    monkeypatch.setattr(LayoutProcess, "lay_out", lambda self, *job: asked.append(job) or lay_out(self, *job))
    there = build(manuscript, tmp_path / "there", keep_html=True, progress=pages_there,
                  printer=Printer(1, layout_process))
    assert len(asked) == 1, "the edition was laid out in the process"
    if fixture == "moved figure":
        html = next(output.path for output in there.outputs if output.format == "html")
        assert 'class="moved-figure"' in html.read_text(encoding="utf-8"), "the test moves a figure"
    assert [(output.format, output.detail) for output in there.outputs] == \
        [(output.format, output.detail) for output in here.outputs]
    for ours, theirs in zip(here.outputs, there.outputs, strict=True):
        assert ours.path.read_bytes() == theirs.path.read_bytes(), ours.path.name
    assert pages_there.heard and pages_there.heard == pages_here.heard
    assert there.warnings == here.warnings


def test_a_build_that_lays_nothing_out_leaves_the_process_unused(tmp_path: Path) -> None:
    """Nothing changed, or an error in the manuscript: the process is stopped as it
    is, nothing is written, and no process is left behind."""
    manuscript = tmp_path / "manuscript"
    shutil.copytree(SAMPLE, manuscript)
    build(manuscript, tmp_path / "dist", formats=("pdf",))
    with LayoutProcess.started() as process:
        result = build(manuscript, tmp_path / "dist", formats=("pdf",), printer=Printer(1, process))
    assert [output.rebuilt for output in result.outputs] == [False]
    article = next((manuscript / "articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n[^missing]\n", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in (tmp_path / "dist").iterdir()}
    with LayoutProcess.started() as process, pytest.raises(ManuscriptError):
        build(manuscript, tmp_path / "dist", formats=("pdf",), printer=Printer(1, process))
    assert {path.name: path.read_bytes() for path in (tmp_path / "dist").iterdir()} == before
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("where", ["this process", "its own process"])
def test_a_picture_the_renderer_cannot_load_is_reported_at_its_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str,
) -> None:
    """A picture that vanishes between the check and the layout (another program moved
    it) stops the build at the figure's line with the renderer's reason, not at the
    package's layout, wherever WeasyPrint reported it."""
    shutil.copytree(FIXTURES / "multi", tmp_path / "manuscript")
    picture = tmp_path / "manuscript" / "images" / "night-view.png"
    original = pdf.print_html

    def moved_away(*arguments, **options):  # noqa: ANN002, ANN003
        picture.unlink(missing_ok=True)
        return original(*arguments, **options)

    monkeypatch.setattr(pdf, "print_html", moved_away)
    process = LayoutProcess() if where == "its own process" else None
    try:
        with pytest.raises(ManuscriptError) as caught:
            build(tmp_path / "manuscript", tmp_path / "dist", formats=("pdf",), printer=Printer(1, process))
    finally:
        if process is not None:
            process.stop()
    errors = [problem for problem in caught.value.problems if problem.severity == "error"]
    assert errors, caught.value.problems
    for problem in errors:
        assert (problem.path.name, problem.line) == ("delegation.md", 10), str(problem)
        assert "does not exist or is not a regular file" in problem.message
    assert not (tmp_path / "dist").exists()


def test_a_failure_there_is_raised_here(tmp_path: Path, layout_process: LayoutProcess) -> None:
    """The machine's condition (here, a folder that is not there) as the error it is;
    a process that ends unasked as an error, not a wait for ever."""
    from hkcq_press.reader.edition import load_edition
    from hkcq_press.reader.files import DEFAULT_LIMITS

    edition, _ = load_edition(SAMPLE, DEFAULT_LIMITS)
    with pdf.laid_out(edition, HouseStyle(None), printer=Printer(1, layout_process)) as layout, \
            pytest.raises(FileNotFoundError):
        layout.write(tmp_path / "no such folder" / "edition.pdf")
    second = LayoutProcess()
    try:
        second._process.kill()  # noqa: SLF001 - as the system would
        with pytest.raises(RuntimeError, match="the process laying out the print edition ended"), \
                pdf.laid_out(edition, HouseStyle(None), printer=Printer(1, second)):
            pass
    finally:
        second.stop()


def test_a_process_stopped_while_it_loads_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading WeasyPrint may write a temporary file (ctypes looking for a library):
    stopped then, as a build that needs no layout stops it, the process leaves none."""
    system = tmp_path / "tmp"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))

    def loading() -> None:
        with tempfile.NamedTemporaryFile(delete=False) as file:
            file.write(b"half-loaded")
        time.sleep(60)

    monkeypatch.setattr(layout_process_module, "_load_weasyprint", loading)
    process = LayoutProcess()
    try:
        deadline = time.monotonic() + 30
        while not any(path.is_file() for path in system.rglob("*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(path.is_file() for path in system.rglob("*")), "the process wrote its file"
    finally:
        process.stop()
    assert list(system.iterdir()) == []


class _StoppedAtFirstPage(_Pages):
    def page(self, number: int) -> None:
        raise KeyboardInterrupt  # as Ctrl-C, or the command's SIGTERM handler, would


def test_a_layout_cut_short_is_stopped_before_the_scratch_folder_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped while the process lays the edition out, the build removes its scratch
    folder as it unwinds: the process, which writes its font files there, is stopped
    first, or it would write on in a folder half removed and leave it behind."""
    system = tmp_path / "tmp"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    process = LayoutProcess()
    try:
        with pytest.raises(KeyboardInterrupt):
            build(SAMPLE, tmp_path / "dist", formats=("pdf",), progress=_StoppedAtFirstPage(),
                  printer=Printer(1, process))
        assert not process._process.is_alive()  # noqa: SLF001 - stopped by the build, not by this test
    finally:
        process.stop()
    assert temporary_files(system) == []
    assert not (tmp_path / "dist").exists()


def test_no_process_is_forked_beside_other_threads() -> None:
    """A fork copies only the thread that forks: a lock another thread held would
    stay locked in the copy for ever."""
    release = threading.Event()
    waiting = threading.Thread(target=release.wait)
    waiting.start()
    try:
        with LayoutProcess.started() as process:
            assert process is None
    finally:
        release.set()
        waiting.join()


def test_the_command_line_lays_out_in_its_own_process_the_same_files(tmp_path: Path) -> None:
    """`--jobs 1` lays the edition out in the command's own process; more, in one of
    its own: the same bytes."""
    manuscript = _moved_figure_edition(tmp_path / "manuscript")
    for jobs in ("1", "2"):
        result = run_cli("build", "--manuscript", str(manuscript), "--out", f"jobs-{jobs}", "--jobs", jobs,
                         cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1767571200"})
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("wrote ") == 2, result.stdout
    one, two = (sorted((tmp_path / f"jobs-{jobs}").glob("[!.]*")) for jobs in ("1", "2"))
    assert [path.name for path in one] == [path.name for path in two] and len(one) == 2
    for ours, theirs in zip(one, two, strict=True):
        assert ours.read_bytes() == theirs.read_bytes(), ours.name


def test_an_edition_of_sections_is_laid_out_by_processes_it_forks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Laid out in parts, every part's process and the folios' are forked from the
    process the command started, which has loaded WeasyPrint: no fork server is
    started. On a rebuild, the front and the changed section, each as soon as it is
    rendered. The same bytes as the
    parts laid out by the fork server alone, and as a build from nothing; every
    process forked has ended when the build returns."""
    from test_partcache import edition, story, swap_a_word

    from hkcq_press.pdf.parallel import parts

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767571200")
    manuscript = edition(tmp_path / "m")
    forked: list[tuple[object, ForkedProcess]] = []
    fork = LayoutProcess.fork

    def recorded(self: LayoutProcess, work: object, job: object) -> tuple[object, object]:
        connection, process = fork(self, work, job)
        forked.append((getattr(job, "number", "folios"), process))
        return connection, process

    monkeypatch.setattr(LayoutProcess, "fork", recorded)
    shared: list[object] = []
    send = LayoutProcess._send  # noqa: SLF001

    def sent(self: LayoutProcess, message: object, **by_reference: object) -> None:
        if isinstance(message, Share):
            shared.append(message.edition)
        send(self, message, **by_reference)

    monkeypatch.setattr(LayoutProcess, "_send", sent)
    servers: list[object] = []
    fork_server = parts._fork_server  # noqa: SLF001
    monkeypatch.setattr(parts, "_fork_server", lambda: servers.append(1) or fork_server())

    def built_pdf(out: str, process: bool = True) -> bytes:
        forked.clear()
        servers.clear()
        shared.clear()
        ready = LayoutProcess() if process else None
        try:
            (output,) = build(manuscript, tmp_path / out, formats=("pdf",), printer=Printer(2, ready)).outputs
        finally:
            if ready is not None:
                ready.stop()
        assert bool(servers) != process, "the fork server is started only without the process"
        assert len(shared) == (1 if process else 0), "the edition is sent once, whatever the parts"
        for _, forked_process in forked:
            assert forked_process.pid > 0, "its pid was heard"
            assert _reaped(forked_process.pid), "a forked process has ended"
        return output.path.read_bytes()

    assert built_pdf("by the fork server", process=False) == built_pdf("dist")
    assert sorted(str(number) for number, _ in forked) == ["0", "1", "2", "folios"]
    swap_a_word(story(manuscript, 3))  # the middle section's
    assert built_pdf("fresh", process=False) == built_pdf("dist")
    # The front as soon as it is rendered (the sections' pages it prints may move),
    # the changed section as soon as it is rendered; the last section is stored.
    assert [number for number, _ in forked] == [0, 1]
    assert not multiprocessing.active_children()


def _waits(connection: Connection, job: object) -> None:
    """A stand-in for a part's work: it says it started, then waits to be stopped."""
    connection.send(("started", job))
    time.sleep(60)


def test_a_forked_process_is_stopped_and_waited_for(layout_process: LayoutProcess) -> None:
    """Not this process's child, it is still seen running, stopped and waited for;
    the layout process goes on forking."""
    processes = []
    for job in ("one", "two"):
        connection, process = layout_process.fork(_waits, job)
        assert connection.recv() == ("started", job)
        assert process.is_alive()
        processes.append((connection, process))
    for connection, process in processes:
        process.kill()
        process.join()
        with pytest.raises(EOFError):
            connection.recv()
        assert _reaped(process.pid), "reaped as it ended"


def _reaped(pid: int) -> bool:
    """Whether the process `pid` is gone, not even left ended for its parent to reap
    (within a deadline: its parent reaps it once told it ended)."""
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not Path(f"/proc/{pid}").exists()


def _uses_the_processor(connection: Connection, seconds: object) -> None:
    """A stand-in for a part's work: `seconds` of processor time, then it says so."""
    assert isinstance(seconds, float)
    while time.process_time() < seconds:
        pass
    connection.send(("done", seconds))


def _children_seconds(stat: str) -> float:
    """The processor time of the reaped children of a process, from its /proc stat line."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


def test_the_time_forked_processes_use_counts_among_the_commands_children() -> None:
    """The layout process reaps each process it forked as it ends, so the processor
    time the parts used counts among its children's, and among the command's once
    it is stopped: what a benchmark of a build of sections measures."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    layout_process = LayoutProcess()
    try:
        connection, process = layout_process.fork(_uses_the_processor, 1.0)
        assert connection.recv() == ("done", 1.0)
        process.join()
        assert _reaped(process.pid)
        (started,) = multiprocessing.active_children()  # the layout process
        stat = Path(f"/proc/{started.pid}/stat").read_text()
        assert _children_seconds(stat) >= 0.9
    finally:
        layout_process.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) >= 0.9


def test_a_forked_process_ends_with_the_layout_process() -> None:
    """However the build ends, it stops the layout process: the processes that one
    forked end with it, even one the build never heard of."""
    layout_process = LayoutProcess()
    try:
        connection, process = layout_process.fork(_waits, "one")
        assert connection.recv() == ("started", "one")
        assert process.is_alive()  # its pid heard
        pid = process.pid
    finally:
        layout_process.stop()
    assert _reaped(pid)
    with pytest.raises(EOFError):
        connection.recv()


def test_parts_laid_out_whole_after_all_are_laid_out_in_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the parts cannot be joined after all (a part's pages moved once it learned
    the numbers), the edition is laid out whole in the process that forked them: the
    same PDF as laid out whole in the build's own process."""
    from test_partcache import edition

    from hkcq_press.pdf.parallel import parts

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767571200")
    manuscript = edition(tmp_path / "m")
    run = parts._PartsRun.run  # noqa: SLF001
    monkeypatch.setattr(parts._PartsRun, "run", lambda self: run(self) and None)  # noqa: SLF001
    asked: list[object] = []
    lay_out = LayoutProcess.lay_out
    monkeypatch.setattr(LayoutProcess, "lay_out", lambda self, *job: asked.append(job) or lay_out(self, *job))
    process = LayoutProcess()
    try:
        (there,) = build(manuscript, tmp_path / "there", formats=("pdf",), printer=Printer(2, process)).outputs
    finally:
        process.stop()
    assert len(asked) == 1, "laid out whole in the process"
    (here,) = build(manuscript, tmp_path / "here", formats=("pdf",), printer=Printer(1)).outputs
    assert there.path.read_bytes() == here.path.read_bytes()
