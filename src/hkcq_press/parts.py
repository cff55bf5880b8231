"""The print edition laid out in parts, side by side (`--jobs`), and joined.

An edition of sections splits into runs of whole sections of about equal copy, one
for each process: a section starts a new page, so each run lays out as a document
of its own. Each process lays its part out; once its pages are made it says how
many and where its targets fall, waits to learn its first page and where the other
parts' targets fall, and WeasyPrint re-makes only the pages that print those numbers
(see `weasyprint_tuning.PartOfEdition`). Figures are placed part by part, as the
whole edition would place them (a section's pages are its own). The parts' PDFs are
then joined (`pdfjoin.py`). If the page numbers learned move a part's pages (a
contents line that wraps once its numbers are known), the edition is laid out whole.

What each process does is in `part_process.py`; this process never loads WeasyPrint.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lxml import html as lxml_html

from .errors import Problem
from .model import Edition, PrintPart
from .pagemap import PageStart
from .pdfjoin import LaidOutPart, join_parts
from .placement import AS_WRITTEN, Placement
from .weasyprint_tuning import PartPages, proven_installed


def print_parts(edition: Edition, jobs: int) -> tuple[PrintPart, ...]:
    """The edition in at most `jobs` parts: runs of whole sections whose copy is as
    even as the sections allow; the whole edition when it has fewer than two
    sections, where WeasyPrint is not proven to lay out in parts, or where the
    system cannot fork processes from a server (Windows)."""
    sections = edition.sections
    forks = "forkserver" in multiprocessing.get_all_start_methods()
    if jobs < 2 or len(sections) < 2 or not forks or not proven_installed():
        return (edition.whole,)
    sizes = [sum(article.source.stat().st_size for article in section.articles) for section in sections]
    bounds = _even_runs(sizes, min(jobs, len(sections)))
    return tuple(
        PrintPart(sections[start:end], front=start == 0, back=end == len(sections))
        for start, end in zip(bounds, bounds[1:], strict=False)
    )


def _even_runs(sizes: list[int], count: int) -> list[int]:
    """Where `count` runs of `sizes` start (and the last ends), the largest run as
    small as it can be (the linear partition problem; a few dozen sections)."""
    total = len(sizes)
    ends = [0]
    for size in sizes:
        ends.append(ends[-1] + size)
    # best[k][i]: the smallest largest run splitting the first i sizes into k runs.
    best = [[float("inf")] * (total + 1) for _ in range(count + 1)]
    split = [[0] * (total + 1) for _ in range(count + 1)]
    best[0][0] = 0
    for runs in range(1, count + 1):
        for end in range(runs, total + 1):
            for start in range(runs - 1, end):
                largest = max(best[runs - 1][start], ends[end] - ends[start])
                if largest < best[runs][end]:
                    best[runs][end], split[runs][end] = largest, start
    bounds = [total]
    for runs in range(count, 0, -1):
        bounds.append(split[runs][bounds[-1]])
    return bounds[::-1]


# --- The parent: parts rendered, processes started, page numbers told --------------


RenderPart = Callable[[PrintPart, Placement], str]
"""The print HTML of a part, its figures placed as given."""


@dataclass(frozen=True, slots=True)
class PartJob:
    """What a part's process is given."""

    number: int
    html: str
    base_url: str
    roots: tuple[Path, ...]
    """What the part's layout may read: the manuscript, the house style, the fonts."""
    edition: Edition
    elsewhere: frozenset[str]
    variant: str
    target: Path
    scratch: str
    """The build's scratch folder, for whatever WeasyPrint writes on the side (its fonts)."""


@dataclass(frozen=True, slots=True)
class PartLaidOut:
    """What a part's process gives back, its PDF written."""

    pages: int
    page_starts: tuple[PageStart, ...]
    reported: list[tuple[str, str]]
    warnings: list[Problem]
    placement: Placement
    targets: frozenset[str]


@dataclass(frozen=True, slots=True)
class JoinedLayout:
    """The print edition laid out in parts, to join into one PDF."""

    parts: tuple[LaidOutPart, ...]
    page_starts: tuple[PageStart, ...]
    reported: list[tuple[str, str]]
    """What WeasyPrint reported, (level, message), for the caller to locate."""
    warnings: list[Problem]
    placement: Placement
    """Every part's figures as placed."""
    pages: int

    def write(self, target: Path) -> int:
        """Write the joined PDF; its pages."""
        return join_parts(self.parts, target)


@contextmanager
def laid_out_in_parts(
    edition: Edition, parts: tuple[PrintPart, ...], render: RenderPart, base_url: str, roots: tuple[Path, ...],
    variant: str, on_page: Callable[[int], None] | None = None,
) -> Iterator[JoinedLayout | None]:
    """The edition's `parts` laid out each in its own process; None when the house
    layouts do not lay out parts (an override that ignores `part`) or a part's pages
    moved once it learned the page numbers: then it must be laid out whole."""
    htmls = [render(part, AS_WRITTEN) for part in parts]
    anchors = [_anchors(html) for html in htmls]
    keys = {article.key for article in edition.articles}
    for part, (holds, _) in zip(parts, anchors, strict=True):
        if holds & keys != {article.key for section in part.sections for article in section.articles}:
            yield None
            return
    everywhere = frozenset().union(*(holds for holds, _ in anchors))
    with tempfile.TemporaryDirectory(prefix="hkcq-press-parts-") as folder:
        jobs = [
            PartJob(
                number, html, base_url, roots, edition, (links - holds) & everywhere,
                variant, Path(folder) / f"part-{number}.pdf", tempfile.gettempdir(),
            )
            for number, (html, (holds, links)) in enumerate(zip(htmls, anchors, strict=True))
        ]
        done = _run(jobs, parts, render, on_page)
        if done is None:
            yield None
            return
        offsets = [sum(result.pages for result in done[:number]) for number in range(len(done))]
        moves: dict[str, Any] = {}
        for result in done:
            moves.update(result.placement.moves)
        yield JoinedLayout(
            tuple(LaidOutPart(job.target, result.targets) for job, result in zip(jobs, done, strict=True)),
            tuple(replace(start, page=start.page + offset)
                  for result, offset in zip(done, offsets, strict=True) for start in result.page_starts),
            list(dict.fromkeys(record for result in done for record in result.reported)),  # each part reports the CSS
            [warning for result in done for warning in result.warnings],
            Placement(MappingProxyType(moves)),
            sum(result.pages for result in done),
        )


def _anchors(html: str) -> tuple[frozenset[str], frozenset[str]]:
    """The ids a part's HTML holds, and the ids its links lead to."""
    tree = lxml_html.fromstring(html)
    hrefs = (str(href) for href in tree.xpath("//a/@href"))
    ids = frozenset(str(name) for name in tree.xpath("//@id"))
    return ids, frozenset(href[1:] for href in hrefs if href.startswith("#"))


def _run(
    jobs: list[PartJob], parts: tuple[PrintPart, ...], render: RenderPart, on_page: Callable[[int], None] | None,
) -> list[PartLaidOut] | None:
    """Lay the parts out, one process each; tell each its place once all are paginated."""
    context = _fork_server()
    connections: dict[Connection, int] = {}
    processes = []
    for job in jobs:
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_in_part_process, args=(theirs, job), daemon=True, name=f"part {job.number + 1}"
        )
        process.start()
        theirs.close()
        connections[ours] = job.number
        processes.append(process)
    paginated: dict[int, tuple[int, dict[str, int]]] = {}
    done: dict[int, PartLaidOut] = {}
    pages_made = [0] * len(jobs)
    try:
        while len(done) < len(jobs):
            for connection in wait(list(connections)):
                number = connections[connection]
                try:
                    kind, *content = connection.recv()
                except EOFError:
                    raise RuntimeError(f"the process laying out part {number + 1} of the edition ended") from None
                if kind == "page":
                    pages_made[number] = max(pages_made[number], content[0])
                    if on_page is not None:
                        on_page(sum(pages_made))
                elif kind == "render":
                    connection.send(render(parts[number], content[0]))
                elif kind == "paginated":
                    paginated[number] = content[0], content[1]
                    if len(paginated) == len(jobs):
                        _tell_places(jobs, paginated, {connections[c]: c for c in connections})
                elif kind == "done":
                    done[number] = content[0]
                    del connections[connection]
                elif kind == "diverged":
                    return None
                else:
                    failure, error = content
                    if error is not None:
                        raise error
                    raise RuntimeError(f"laying out part {number + 1} of the edition failed:\n{failure}")
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
    return [done[number] for number in range(len(jobs))]


def _fork_server() -> Any:
    """Processes forked from a server that has loaded `part_process` and WeasyPrint
    with it, once for the life of this process. Python keeps the server's socket in a
    folder it makes once a process: made in the system's temporary folder, not in
    the build's scratch folder (`outputs.scratch_folder`), which goes with the build."""
    from multiprocessing import util

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hkcq_press.part_process"])
    scratch, tempfile.tempdir = tempfile.tempdir, None
    try:
        util.get_temp_dir()
    finally:
        tempfile.tempdir = scratch
    return context


def _tell_places(
    jobs: list[PartJob], paginated: dict[int, tuple[int, dict[str, int]]], connections: dict[int, Connection]
) -> None:
    firsts = [1 + sum(paginated[number][0] for number in range(part)) for part in range(len(jobs))]
    total = sum(pages for pages, _ in paginated.values())
    pages = {
        name: firsts[number] - 1 + page for number, (_, targets) in paginated.items() for name, page in targets.items()
    }
    for job in jobs:
        targets = {name: pages[name] for name in job.elsewhere if name in pages}
        connections[job.number].send(PartPages(firsts[job.number], total, targets))


def _in_part_process(connection: Connection, job: PartJob) -> None:
    """What a part's process runs: the fork server has loaded its module already."""
    from .part_process import lay_out_part

    lay_out_part(connection, job)
