"""The print edition laid out in parts, side by side (`--jobs`), and joined.

An edition of sections is laid out a section a part: a section starts a new page,
so each lays out as a document of its own, and a rebuild can reuse the sections
whose copy did not change (`pdf/parallel/store.py`). At most `--jobs` parts are laid out at
once: the front and the parts the store lacks as soon as they are rendered, then the
largest first. Each process lays its part out; once its pages are made it
says how many and where its targets fall, waits to learn its first page and where
the other parts' targets fall, and WeasyPrint re-makes only the pages that print
those numbers (see `hooks.PartOfEdition`). Figures are placed part by
part, as the whole edition would place them (a section's pages are its own). The
parts' PDFs are joined (`pdf/parallel/join.py`), the front last. If the page numbers learned move a
part's pages (a contents line that wraps once its numbers are known), the edition
is laid out whole.

What each process does is in `pdf/parallel/worker.py`; this process never loads WeasyPrint.
The processes are forked from the layout process the command line started first
thing (`pdf/parallel/process.py`), which has loaded it, or else from a fork server that
loads it meanwhile.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lxml import html as lxml_html

from hkcq_press.errors import Problem
from hkcq_press.model.edition import Edition, PrintPart
from hkcq_press.markup.pagemap import PageStart
from hkcq_press.pdf.copyfit import PageFill, short_before_sections
from hkcq_press.pdf.parallel.store import StoredPart, PartStore
from hkcq_press.pdf.parallel.messages import (
    Diverged, Done, FolioJob, MoveFigures, PageMade, Paginated, PartJob, PartLaidOut, PartPages, Rendered,
)
from hkcq_press.pdf.parallel.join import FolioLayer, PartPdf, PartsJoin
from hkcq_press.pdf.placement import AS_WRITTEN, Placement
from hkcq_press.pdf.tuning import proven_installed

if TYPE_CHECKING:
    from hkcq_press.pdf.parallel.process import LayoutProcess


PAGES_BY_POSITION = re.compile(r"@page\b[^{;]*:(first|left|right|blank|recto|verso|nth)\b", re.IGNORECASE)
"""A page style that depends on where a page falls in the document: a part's pages
fall elsewhere in it than in the edition."""

PRINTS_TOTAL = re.compile(r"counters?\(\s*pages\s*[,)]")
"""A style that prints the total number of pages (`counter(pages)`): the parts that
print it, and the folios, are laid out again when it moves."""


def print_parts(edition: Edition, jobs: int, style_texts: Iterable[str] = ()) -> tuple[PrintPart, ...]:
    """The edition's sections, a part each; the whole edition when it has fewer
    than two sections, when `jobs` is 1, when a style (`style_texts`) styles pages
    by their place (`@page :left`, `:first`…), where WeasyPrint is not proven to lay
    out in parts, or where the system cannot fork processes from a server (Windows)."""
    sections = edition.sections
    forks = "forkserver" in multiprocessing.get_all_start_methods()
    if jobs < 2 or len(sections) < 2 or not forks or not proven_installed():
        return (edition.whole,)
    if any(PAGES_BY_POSITION.search(text) for text in style_texts):
        return (edition.whole,)
    last = len(sections) - 1
    return tuple(
        PrintPart((section,), front=number == 0, back=number == last) for number, section in enumerate(sections)
    )


# --- The parent: parts rendered, processes started, page numbers told --------------


FOLIO_ROOM = 16
"""Folios laid out beyond the edition's last page, at least, so that a rebuild of a
few more pages takes them from the store."""

RenderPart = Callable[[PrintPart, Placement], str]
"""The print HTML of a part, its figures placed as given."""


@dataclass(frozen=True, slots=True)
class JoinedLayout:
    """The print edition laid out in parts, to join into one PDF."""

    first: PartPdf
    rest: PartsJoin
    """The other parts, joined already."""
    page_starts: tuple[PageStart, ...]
    reported: list[tuple[str, str]]
    """What WeasyPrint reported, (level, message), for the caller to locate."""
    warnings: list[Problem]
    placement: Placement
    """Every part's figures as placed."""
    pages: int
    folios: FolioLayer
    page_fill: tuple[PageFill, ...]

    def write(self, target: Path) -> int:
        """Write the joined PDF; its pages."""
        return self.rest.write(self.first, target, self.folios)


@contextmanager
def laid_out_in_parts(
    edition: Edition, parts: tuple[PrintPart, ...], render: RenderPart, base_url: str, roots: tuple[Path, ...],
    variant: str, press_profile: Path | None, workers: int, prints_total: bool = True,
    on_page: Callable[[int], None] | None = None, store: PartStore | None = None, forking: LayoutProcess | None = None,
    keep_too: tuple[str, ...] = (),
) -> Iterator[JoinedLayout | None]:
    """The edition's `parts` laid out, `workers` processes at a time, each part in its
    own (forked from `forking`, if given, which has loaded WeasyPrint; else from the
    fork server), or taken from `store` where an earlier build laid it out as it would be now;
    None when the house layouts do not lay out parts (an override that ignores
    `part`) or a part's pages moved once it learned the page numbers: then it must be
    laid out whole. `prints_total`: whether a style prints the total of pages (then
    every part that prints it, and the folios, are laid out again when it moves)."""
    starter = _Starter(forking)
    keys = {article.key for article in edition.articles}
    with tempfile.TemporaryDirectory(prefix="hkcq-press-parts-") as folder:

        def job(number: int, html: str, elsewhere: frozenset[str]) -> PartJob:
            return PartJob(html, base_url, roots, edition, variant, tempfile.gettempdir(), press_profile, number=number,
                           elsewhere=elsewhere, target=Path(folder) / f"part-{number}.pdf")

        def filed(part_job: PartJob) -> tuple[str, StoredPart | None]:
            key = store.key(part_job.html, part_job.elsewhere, variant) if store else ""
            return key, store.get(key) if store else None

        part_jobs: list[PartJob] = []
        anchors: list[_Anchors] = []
        stored: list[tuple[str, StoredPart | None]] = []
        started: dict[int, Started] = {}
        try:
            # Each part, once rendered, is looked for in the store and, if it must be
            # laid out, started at once (forked from a process that has loaded
            # WeasyPrint) while the next are rendered, `workers` at most; the front
            # first in any case (the longest part, and the one a section that grows
            # lays out again, its contents printing the pages). A part's links lead
            # elsewhere until the other parts are rendered and say which lead nowhere.
            for number, part in enumerate(parts):
                html = render(part, AS_WRITTEN)
                found = _anchors(html)
                if found.holds & keys != {article.key for section in part.sections for article in section.articles}:
                    _stop_all(started)
                    yield None
                    return
                anchors.append(found)
                part_jobs.append(job(number, html, found.links - found.holds))
                stored.append(filed(part_jobs[-1]))
                if forking is not None and len(started) < workers and (number == 0 or stored[-1][1] is None):
                    started[number] = starter.start(_in_part_process, part_jobs[-1], f"part {number + 1}")
            everywhere = frozenset().union(*(found.holds for found in anchors))
            for number, found in enumerate(anchors):
                if (elsewhere := (found.links - found.holds) & everywhere) != part_jobs[number].elsewhere:
                    part_jobs[number] = replace(part_jobs[number], elsewhere=elsewhere)
                    stored[number] = filed(part_jobs[number])
                    _stopped(started.pop(number, None))
            cached = {number: entry for number, (_, entry) in enumerate(stored) if entry is not None}
            # A part that refers to its own ids may print their page numbers in its copy.
            numbered = [bool(found.referred & found.holds) for found in anchors]
            run = _PartsRun(part_jobs, parts, render, workers, cached, store, numbered, prints_total, on_page, starter,
                            started)
            started = {}  # the run's to stop
            ran = run.run()
        finally:
            _stop_all(started)
        if ran is None:
            yield None
            return
        done = ran.results
        if store is not None:
            for number, (paginated, told) in ran.laid_out.items():
                store.put(stored[number][0], part_jobs[number].target, paginated, told, done[number].as_data())
        if short := short_before_sections(edition, tuple(fill for result in done for fill in result.page_fill)):
            # A section would start a page after a near-empty one: it flows on, in one part
            # with the section before (`SectionsFlowOn`). These parts stay in the store, so
            # the next build finds the same from them without laying them out again.
            raise SectionsFlowOn(short, tuple(key for key, _ in stored))
        offsets = [sum(result.pages for result in done[:number]) for number in range(len(done))]
        folios = FolioLayer(ran.folios.path, frozenset(
            offset + page for result, offset in zip(done, offsets, strict=True) for page in result.folios_left
        ))
        if store is not None:
            if ran.folios.laid_out:
                store.put_folios(ran.folios.key, ran.folios.path, ran.folios.pages)
            store.keep_only([*(key for key, _ in stored), ran.folios.key, *keep_too])
        moves: dict[str, Any] = {}
        for result in done:
            moves.update(result.placement.moves)
        kept_heads = frozenset().union(*(result.placement.kept_heads for result in done))
        try:
            yield JoinedLayout(
                PartPdf(ran.pdfs[0], done[0].targets),
                ran.joined,
                tuple(replace(start, page=start.page + offset)
                      for result, offset in zip(done, offsets, strict=True) for start in result.page_starts),
                list(dict.fromkeys(record for result in done for record in result.reported)),  # each reports the CSS
                [warning for result in done for warning in result.warnings],
                Placement(MappingProxyType(moves), kept_heads),
                sum(result.pages for result in done),
                folios,
                tuple(fill for result in done for fill in result.page_fill),
            )
        finally:
            ran.joined.close()


class SectionsFlowOn(Exception):
    """Raised on entering `laid_out_in_parts` when a part would start a page after a
    near-empty one (`copyfit.short_before_sections`): those sections must flow on after
    the sections before them, in the same part (`flowing_into`)."""

    def __init__(self, keys: frozenset[str], stored: tuple[str, ...]) -> None:
        super().__init__(f"sections flow on: {', '.join(sorted(keys))}")
        self.keys = keys
        self.stored = stored
        """The store's keys of the parts laid out as they were: kept for the next build."""


def flowing_into(parts: tuple[PrintPart, ...], flowing: frozenset[str]) -> tuple[PrintPart, ...]:
    """`parts` with each part that opens with a section of `flowing` joined to the part before."""
    joined: list[PrintPart] = []
    for part in parts:
        if joined and part.sections[0].key in flowing:
            before = joined.pop()
            part = PrintPart(before.sections + part.sections, before.front, part.back)
        joined.append(part)
    return tuple(joined)


Started = tuple[Connection, Any]
"""A part's process started: the connection to it, the process (to stop it)."""


class _Starter:
    """Starts the parts' processes: forked from the layout process, which has loaded
    WeasyPrint, else from the fork server."""

    def __init__(self, forking: LayoutProcess | None) -> None:
        self.forking = forking
        self.context = _fork_server() if forking is None else None

    def start(self, work: Callable[[Connection, Any], None], job: Any, name: str) -> Started:
        if self.forking is not None:
            return self.forking.fork(work, job)
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=work, args=(theirs, job), daemon=True, name=name)
        process.start()
        theirs.close()
        return ours, process


def _stopped(started: Started | None) -> None:
    """Stop a process started (if any) that is no longer wanted."""
    if started is not None:
        connection, process = started
        process.kill()
        process.join()
        connection.close()


def _stop_all(started: dict[int, Started]) -> None:
    for each in started.values():
        _stopped(each)
    started.clear()


def _folio_html(html: str, pages: int) -> str:
    """`html` with `pages` empty pages for a body: the same page styles, no copy."""
    tree = lxml_html.document_fromstring(html)
    body = tree.body
    for child in list(body):
        body.remove(child)
    body.text = None
    for number in range(pages):
        page = lxml_html.Element("div")
        if number:
            page.set("style", "break-before: page")
        body.append(page)
    return lxml_html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


@dataclass(frozen=True, slots=True)
class _Anchors:
    holds: frozenset[str]
    """The ids the HTML holds."""
    links: frozenset[str]
    """The ids its links lead to."""
    referred: frozenset[str]
    """Every id it refers to (`#id` in any attribute)."""


def _anchors(html: str) -> _Anchors:
    tree = lxml_html.fromstring(html)
    hrefs = (str(href) for href in tree.xpath("//a/@href"))
    return _Anchors(
        frozenset(str(name) for name in tree.xpath("//@id")),
        frozenset(href[1:] for href in hrefs if href.startswith("#")),
        frozenset(str(value)[1:] for value in tree.xpath("//@*[starts-with(., '#')]")),
    )


@dataclass(frozen=True, slots=True)
class _Ran:
    results: list[PartLaidOut]
    pdfs: list[Path]
    laid_out: dict[int, tuple[Paginated, PartPages]]
    """The parts this build laid out: what each reported, and what it was told."""
    folios: _Folios
    joined: PartsJoin
    """The parts after the first, joined."""


class _Stage(Enum):
    """Where a part stands in a run of the parts."""

    STORED = "taken from the store, paginated as it was: reused once told its place if its numbers stand"
    WAITING = "to be laid out, once a process is free"
    LAYING_OUT = "its process makes its pages"
    PAGINATED = "its pages made and reported: told its place once every part has reported, then written"
    WRITTEN = "its PDF written, or copied from the store"


@dataclass
class _Folios:
    """The folios the parts left to the join: a page for each of the edition's, and more."""

    path: Path
    key: str
    """Their key in the store."""
    pages: int = 0
    drawn: bool = False
    laid_out: bool = False
    """Whether this build laid them out, or took them from the store."""


class _PartsRun:
    """The parts laid out, `workers` processes at a time, the largest first, and told
    their place once all are paginated; a part taken from the store is paginated
    already, and is laid out again only if it printed numbers that moved. Once the
    edition's pages are counted, one more process lays out the folios the parts
    leave to the join. Each part's `_Stage` says where it stands.

    The front's contents print every section's pages, which a changed section may
    move: a stored front is laid out again on a core the changed sections leave
    spare (`spare`), beside them rather than after them, and stopped if its numbers
    stand; it is `LAYING_OUT` meanwhile."""

    def __init__(
        self, part_jobs: list[PartJob], parts: tuple[PrintPart, ...], render: RenderPart, workers: int,
        cached: dict[int, StoredPart], store: PartStore | None, numbered: list[bool], prints_total: bool,
        on_page: Callable[[int], None] | None, starter: _Starter, started: dict[int, Started],
    ) -> None:
        self.part_jobs, self.parts, self.render, self.workers, self.on_page = part_jobs, parts, render, workers, on_page
        self.starter = starter
        self.cached, self.store, self.numbered = cached, store, numbered
        self.prints_total = prints_total
        self.stage = [_Stage.STORED if number in cached else _Stage.WAITING for number in range(len(part_jobs))]
        self.connections: dict[Connection, int] = {}
        self.processes: list[Any] = []
        self.wants_spare = 0 in cached and 0 < self._count(_Stage.WAITING) < workers
        self.spare: Started | None = None
        self.paginated: dict[int, Paginated] = {number: entry.paginated for number, entry in cached.items()}
        self.told: dict[int, PartPages] = {}
        self.results: dict[int, PartLaidOut] = {}
        self.pdfs: dict[int, Path] = {}
        self.pages_made = [0] * len(part_jobs)
        folios = part_jobs[0].target.with_name("folios.pdf")
        self.folios = _Folios(folios, store.folio_key(_folio_html(part_jobs[0].html, 1), part_jobs[0].variant)
                              if store else "")
        self.joined: PartsJoin | None = None
        for number, each in started.items():  # while the parts were rendered
            self._adopt(number, each)

    def _count(self, stage: _Stage) -> int:
        return sum(1 for each in self.stage if each is stage)

    def _adopt(self, number: int, started: Started) -> None:
        """Lay part `number` out in the process `started` for it: as a part to lay
        out, or as the stored front laid out again on the side; stopped if neither is
        wanted."""
        if number in self.cached:
            if not self.wants_spare or self.spare is not None:
                _stopped(started)
                return
            self.spare = started
        self._laying_out(number, started)

    def _laying_out(self, number: int, started: Started) -> None:
        connection, process = started
        self.connections[connection] = number
        self.processes.append(process)
        self.stage[number] = _Stage.LAYING_OUT

    def run(self) -> _Ran | None:
        joined_for_the_caller = False
        try:
            if len(self.paginated) == len(self.part_jobs):
                self._learn()
            self._start_waiting()
            if self.wants_spare and self.spare is None:  # after the changed parts: they are sure to be needed
                self.spare = self.starter.start(_in_part_process, self.part_jobs[0], "part 1")
                self._laying_out(0, self.spare)
            while self._count(_Stage.WRITTEN) < len(self.part_jobs) or not self.folios.drawn or self.joined is None:
                for connection in wait(list(self.connections)) if self.connections else ():
                    # A connection ready in the same wait may have been dropped while an
                    # earlier one was heard: the stored front's spare, stopped as it stood.
                    if connection in self.connections and not self._heard(connection):
                        return None
                if self.joined is None and all(stage is _Stage.WRITTEN for stage in self.stage[1:]):
                    # While the front is laid out, if it is still.
                    rest = range(1, len(self.part_jobs))
                    self.joined = PartsJoin([PartPdf(self.pdfs[number], self.results[number].targets)
                                             for number in rest])
            joined_for_the_caller = True
        finally:
            if self.joined is not None and not joined_for_the_caller:
                self.joined.close()
            for process in self.processes:
                if process.is_alive():
                    process.kill()
                process.join()
        laid_out = {number: (self.paginated[number], self.told[number])
                    for number in self.results if self.pdfs[number] == self.part_jobs[number].target}
        count = range(len(self.part_jobs))
        assert self.joined is not None
        return _Ran([self.results[number] for number in count], [self.pdfs[number] for number in count], laid_out,
                    self.folios, self.joined)

    def _start_waiting(self) -> None:
        """Start the parts waiting, the largest first (those the store held, after the
        others), while fewer than `workers` are making their pages."""
        waiting = sorted((number for number, stage in enumerate(self.stage) if stage is _Stage.WAITING),
                         key=lambda number: (number in self.cached, -len(self.part_jobs[number].html)))
        for number in waiting[:max(0, self.workers - self._count(_Stage.LAYING_OUT))]:
            job = self.part_jobs[number]
            self._laying_out(number, self.starter.start(_in_part_process, job, f"part {number + 1}"))

    def _heard(self, connection: Connection) -> bool:
        """Act on a process's message; False when the edition must be laid out whole."""
        number = self.connections[connection]
        laying_out = f"{'the folios' if number == len(self.part_jobs) else f'part {number + 1}'} of the edition"
        try:
            message = connection.recv()
        except EOFError:
            raise RuntimeError(f"the process laying out {laying_out} ended") from None
        if isinstance(message, PageMade):
            self.pages_made[number] = max(self.pages_made[number], message.page)
            if self.on_page is not None:
                self.on_page(sum(self.pages_made))
        elif isinstance(message, MoveFigures):
            connection.send(Rendered(self.render(self.parts[number], message.placement)))
        elif isinstance(message, Paginated):
            self.stage[number] = _Stage.PAGINATED
            if number in self.cached:  # stored, laid out again: paginated as it was, or laid out whole
                if message != self.paginated[number]:
                    return False
                if not self._is_spare(connection):  # the spare is told with the others, in `_learn`
                    connection.send(self.told[number])
            else:
                self.paginated[number] = message
                if len(self.paginated) == len(self.part_jobs):
                    self._learn()
            self._start_waiting()
        elif isinstance(message, Done):
            del self.connections[connection]
            if number == len(self.part_jobs):
                self.folios.drawn = True
            else:
                self._written(number, message.result, self.part_jobs[number].target)
        elif isinstance(message, Diverged):
            return False
        else:
            raise message.raised(laying_out)
        return True

    def _is_spare(self, connection: Connection) -> bool:
        return self.spare is not None and connection is self.spare[0]

    def _written(self, number: int, result: PartLaidOut, pdf: Path) -> None:
        self.results[number], self.pdfs[number] = result, pdf
        self.stage[number] = _Stage.WRITTEN

    def _learn(self) -> None:
        """Every part paginated: tell each its place; reuse the stored parts that print
        the same numbers, and lay the others out again; lay out the folios."""
        count = range(len(self.part_jobs))
        firsts = [1 + sum(self.paginated[number].pages for number in range(part)) for part in count]
        total = sum(paginated.pages for paginated in self.paginated.values())
        pages = {name: firsts[number] - 1 + page
                 for number, paginated in self.paginated.items() for name, page in paginated.targets.items()}
        for job in self.part_jobs:
            targets = {name: pages[name] for name in job.elsewhere if name in pages}
            self.told[job.number] = PartPages(firsts[job.number], total, targets)
        for number, entry in self.cached.items():
            reused = self.part_jobs[number].target.with_suffix(".stored.pdf")
            if entry.reusable(self.told[number], self.prints_total, self.numbered[number]) \
                    and _copied_from_store(entry.pdf, reused):
                if self.spare is not None and number == 0:  # the stored front stands: stop laying it out again
                    del self.connections[self.spare[0]]
                    self.spare[1].kill()
                    self.spare = None
                self._written(number, PartLaidOut.from_data(entry.laid_out), reused)
            elif self.stage[number] is _Stage.STORED:
                self.stage[number] = _Stage.WAITING
        # Every part is paginated, waiting to be told; the stored front laid out again
        # is told unasked, and prints the numbers in its next pass (`PartOfEdition`).
        for connection, number in self.connections.items():
            connection.send(self.told[number])
        self._lay_out_folios(total)

    def _lay_out_folios(self, total: int) -> None:
        """The folios of `total` pages, from the store if it has enough; else laid out
        with room for the edition to grow, when the style prints no total."""
        folios = self.folios
        stored = self.store.folios(folios.key) if self.store else None
        if stored is not None and (stored[1] == total if self.prints_total else stored[1] >= total) \
                and _copied_from_store(stored[0], folios.path):
            folios.pages, folios.drawn = stored[1], True
            return
        first = self.part_jobs[0]
        folios.pages = total if self.prints_total else total + max(FOLIO_ROOM, total // 10)
        folios.laid_out = True
        job = FolioJob(_folio_html(first.html, folios.pages), first.base_url, first.roots, folios.pages,
                       folios.path, first.scratch, first.variant)
        ours, process = self.starter.start(_in_folio_process, job, "folios")
        self.connections[ours] = len(self.part_jobs)
        self.processes.append(process)


def _copied_from_store(stored: Path, copy: Path) -> bool:
    """Whether a stored PDF could be copied for this build, which then needs the store
    no more: another build into the same folder may prune it meanwhile."""
    try:
        shutil.copyfile(stored, copy)
    except OSError:
        return False
    return True


def start_laying_out() -> None:
    """Start the fork server now, so it loads WeasyPrint while this process renders."""
    from multiprocessing import forkserver

    _fork_server()
    forkserver.ensure_running()


def _fork_server() -> Any:
    """Processes forked from a server that has loaded `part_process` and WeasyPrint
    with it, once for the life of this process. Python keeps the server's socket in a
    folder it makes once a process: made in the system's temporary folder, not in
    the build's scratch folder (`outputs.scratch_folder`), which goes with the build."""
    from multiprocessing import util

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hkcq_press.pdf.parallel.worker"])
    scratch, tempfile.tempdir = tempfile.tempdir, None
    try:
        util.get_temp_dir()
    finally:
        tempfile.tempdir = scratch
    return context


def _in_part_process(connection: Connection, job: PartJob) -> None:
    """What a part's process runs: the process it was forked from has loaded its module."""
    from hkcq_press.pdf.parallel.worker import lay_out_part

    lay_out_part(connection, job)


def _in_folio_process(connection: Connection, job: FolioJob) -> None:
    from hkcq_press.pdf.parallel.worker import lay_out_folios

    lay_out_folios(connection, job)
