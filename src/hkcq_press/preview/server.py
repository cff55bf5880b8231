"""`hkcq-press preview`: both editions as a desk proofs them, rebuilt on every save.

The editions are built by the same `build` as the commands, into a private
folder that lives as long as the preview (never the output folder): the build
record skips what did not change, and a manuscript error leaves the last good
editions in place, so the page shows the error above the last good pages. A small
HTTP server on this machine shows the print edition's pages as pictures (with
their text, for reading and searching) and the e-book's chapters as the EPUB
has them; every page listens for server-sent events and reloads when a rebuild
ends. Files are watched with the operating system's notifications (inotify,
FSEvents), not by polling.
"""

from __future__ import annotations

import contextlib
import errno
import io
import ipaddress
import json
import mimetypes
import posixpath
import queue
import re
import shutil
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
from lxml import etree

from hkcq_press.build import FORMATS, build, draft_epub
from hkcq_press.errors import ExitStatus, ManuscriptError, PressError, Problem
from hkcq_press.reader.files import Limits
from hkcq_press.model.edition import PrintOptions
from hkcq_press.outputs import build_date, process_folder
from hkcq_press.pdf.copyfit import CopyFit
from hkcq_press.pdf.printing import Printer

PAGE_SCALE = 2.0
"""Pixels per PDF point of a page picture: 144 dpi, sharp on a high-density screen."""
KEEP_ALIVE_SECONDS = 15.0
"""How long an event stream may be silent before a comment keeps proxies from closing it."""
CONTAINER = "META-INF/container.xml"
XHTML = "{http://www.w3.org/1999/xhtml}"
_NAMESPACES = {
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
}


class PreviewError(PressError):
    """The preview cannot serve where it was asked to (a port in use, an address not
    of this machine)."""

    exit_status = ExitStatus.USAGE


@dataclass(frozen=True, slots=True)
class Chapter:
    number: int
    title: str
    member: str
    """Its path inside the EPUB, which is also its path under /book/."""


@dataclass(frozen=True, slots=True)
class PrintedPage:
    number: int
    width: float
    """In points, so the picture is shown at the page's own size."""
    height: float
    """In points: the picture's place is kept before it loads, so a place in the pages
    (`#page-3`, or where the reader was before a rebuild) is where it was."""
    text: str
    """What PDFium reads back from it: the page for a screen reader, and for finding a word."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """How the latest build went: what a page says above the editions."""

    finished: str
    """The local time it ended, as a desk reads it (14:02:07)."""
    seconds: float
    problems: tuple[Problem, ...]
    """Errors first, then warnings; no errors means the editions shown are this build's."""
    bug: str = ""
    """The internal error that stopped the build, in one line (a bug in hkcq-press); "" if none."""

    @property
    def failed(self) -> bool:
        return any(problem.severity == "error" for problem in self.problems)


class ShownEditions:
    """The last good editions, read into memory once, so a rebuild that replaces their
    files never changes what a page is being served."""

    def __init__(self, pdf_path: Path, epub_path: Path, copy_fit: CopyFit | None, *,
                 pdf: bytes | None = None, pages_pending: bool = False) -> None:
        import pypdfium2

        self.copy_fit = copy_fit
        """How full the print pages are (`hkcq-press fit`), shown beside them."""
        self.pages_pending = pages_pending
        """Whether the print pages are an earlier build's, while this e-book's are laid out."""
        self.pdf_name = pdf_path.name
        self.epub_name = epub_path.name
        self._files = {self.pdf_name: pdf_path.read_bytes() if pdf is None else pdf,
                       self.epub_name: epub_path.read_bytes()}
        self._pdf = pypdfium2.PdfDocument(self._files[self.pdf_name])
        self._book = zipfile.ZipFile(io.BytesIO(self._files[self.epub_name]))
        self._pictures: dict[int, bytes] = {}
        self._pdfium = threading.Lock()  # PDFium is not thread-safe
        self.first_change: int | None = None
        """The first print page whose text is not the one shown before this build, where
        the reader may ask to go; None for the first build, or when no page's text changed."""

    def close(self) -> None:
        with self._pdfium:
            self._pdf.close()
        self._book.close()

    def with_book(self, epub_path: Path) -> ShownEditions:
        """These print pages beside the e-book at `epub_path`, while its own print pages
        are laid out."""
        return ShownEditions(Path(self.pdf_name), epub_path, self.copy_fit, pdf=self._files[self.pdf_name],
                             pages_pending=True)

    @cached_property
    def pages(self) -> tuple[PrintedPage, ...]:
        with self._pdfium:
            pages = []
            for number, page in enumerate(self._pdf, start=1):
                text_page = page.get_textpage()
                pages.append(PrintedPage(number, page.get_width(), page.get_height(), text_page.get_text_bounded()))
                text_page.close()
                page.close()
            return tuple(pages)

    def page_picture(self, number: int) -> bytes:
        """Page `number` (from 1) as a PNG, drawn the first time it is asked for."""
        with self._pdfium:
            if number not in self._pictures:
                page = self._pdf[number - 1]
                bitmap = page.render(scale=PAGE_SCALE)
                picture = io.BytesIO()
                bitmap.to_pil().save(picture, format="PNG")
                page.close()
                self._pictures[number] = picture.getvalue()
            return self._pictures[number]

    def file(self, name: str) -> tuple[bytes, str] | None:
        """The PDF or the EPUB itself, for the desk to download."""
        if name not in self._files:
            return None
        return self._files[name], mimetypes.guess_type(name)[0] or "application/octet-stream"

    @cached_property
    def _package(self) -> tuple[str, etree._Element]:
        container = etree.fromstring(self._book.read(CONTAINER))
        package_path = container.find(".//container:rootfile", _NAMESPACES).get("full-path")
        return package_path, etree.fromstring(self._book.read(package_path))

    @cached_property
    def media_types(self) -> dict[str, str]:
        """Each member of the EPUB that a page may ask for → its media type, as the package declares it."""
        package_path, package = self._package
        folder = posixpath.dirname(package_path)
        return {
            posixpath.normpath(posixpath.join(folder, item.get("href"))): item.get("media-type")
            for item in package.iterfind("opf:manifest/opf:item", _NAMESPACES)
        }

    @cached_property
    def chapters(self) -> tuple[Chapter, ...]:
        """The documents of the reading order, in order, each named as the e-book's
        navigation names it (its contents, then its landmarks), else by its first heading."""
        package_path, package = self._package
        folder = posixpath.dirname(package_path)
        items = list(package.iterfind("opf:manifest/opf:item", _NAMESPACES))
        members = {item.get("id"): posixpath.normpath(posixpath.join(folder, item.get("href"))) for item in items}
        navigation = next(members[item.get("id")] for item in items if "nav" in item.get("properties", "").split())
        names = self._navigation_names(navigation)
        chapters = []
        for itemref in package.iterfind("opf:spine/opf:itemref", _NAMESPACES):
            member = members[itemref.get("idref")]
            name = names.get(member) or _first_heading(etree.fromstring(self._book.read(member))) or member
            chapters.append(Chapter(len(chapters) + 1, name, member))
        return tuple(chapters)

    def _navigation_names(self, navigation: str) -> dict[str, str]:
        names: dict[str, str] = {}
        for link in reversed(list(etree.fromstring(self._book.read(navigation)).iter(f"{XHTML}a"))):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(navigation), link.get("href", "")))
            names[target.partition("#")[0]] = " ".join("".join(link.itertext()).split())
        return names  # read backwards, so the first name given to a document wins

    def member(self, path: str) -> tuple[bytes, str] | None:
        """A member of the EPUB and its media type; only members its package lists are served."""
        media_type = self.media_types.get(path)
        if media_type is None:
            return None
        return self._book.read(path), media_type


def _first_heading(document: etree._Element) -> str:
    for heading in document.iter(f"{XHTML}h1", f"{XHTML}h2"):
        return " ".join("".join(heading.itertext()).split())
    return ""


def first_change(before: tuple[PrintedPage, ...], after: tuple[PrintedPage, ...]) -> int | None:
    """The number of the first page of `after` whose text differs from `before`'s (or
    that `before` did not have); None when every page reads as before."""
    for page, old in zip(after, before, strict=False):  # the shorter decides; more pages are told below
        if page.text != old.text:
            return page.number
    return len(before) + 1 if len(after) > len(before) else None


class Preview:
    """The editions of one manuscript as last built, and whoever waits for the next build."""

    def __init__(
        self, manuscript_dir: Path, styles_dir: Path | None, limits: Limits, print_options: PrintOptions,
        folder: Path, jobs: int = 1,
    ) -> None:
        self.manuscript_dir = manuscript_dir
        self.jobs = jobs
        """Processes laying out an edition of sections; a save then lays out its own
        section again, and takes the others from the last build (`pdf/parallel/store.py`)."""
        self.styles_dir = styles_dir
        self.limits = limits
        self.print_options = print_options
        self.out_dir = folder / "editions"
        self.generation = 0
        """Counts finished builds; a page knows the one it shows and reloads when it changes."""
        self.attempt: Attempt | None = None
        self.shown: ShownEditions | None = None
        self.kind = "build"
        """The latest generation's: `build` (both editions built) or `chapter` (the
        e-book alone, beside the last print pages)."""
        self._lock = threading.Condition()
        self._closed = False

    def rebuild(self) -> Attempt:
        """Build what changed; the editions shown change only when the build succeeds.
        First the e-book alone, which needs no print layout, is shown beside the last
        print pages (a `chapter` generation), then both editions once built."""
        started = time.monotonic()
        self._show_book_first()
        shown = None
        bug = ""
        try:
            result = build(
                self.manuscript_dir, self.out_dir, FORMATS, self.styles_dir, self.limits, self.print_options,
                printer=Printer(self.jobs),
            )
        except ManuscriptError as error:
            problems = sorted(error.problems, key=lambda problem: problem.severity != "error")
        except PressError as error:  # the private folder could not be written: say so on the page
            problems = [Problem(self.out_dir, None, str(error))]
        except Exception as error:  # noqa: BLE001 (a bug: said, and the desk's next save is built as any other)
            bug = f"{type(error).__name__}: {error}"
            problems = [Problem(
                self.manuscript_dir, None, f"internal error: {bug}",
                "This is a bug in hkcq-press, not in your manuscript: please report it. The last good editions "
                "are shown, and each save is built again.",
            )]
        else:
            problems = result.warnings
            paths = {output.format: output.path for output in result.outputs}
            if any(output.rebuilt for output in result.outputs) or self.shown is None:
                shown = ShownEditions(paths["pdf"], paths["epub"], result.copy_fit)
        attempt = Attempt(time.strftime("%H:%M:%S"), time.monotonic() - started, tuple(problems), bug)
        if shown is not None and self.shown is not None:
            shown.first_change = first_change(self.shown.pages, shown.pages)
        self._publish(shown, attempt)
        return attempt

    def _show_book_first(self) -> None:
        """The e-book as the manuscript now reads, without the print edition's page list,
        shown beside the last print pages while they are laid out again. Nothing when
        nothing was shown yet, the manuscript is wrong (the build says so) or nothing
        the e-book is made from changed."""
        if self.shown is None:
            return
        target = self.out_dir.parent / "book" / self.shown.epub_name
        try:
            if not draft_epub(self.manuscript_dir, target, self.styles_dir, self.limits, self.print_options,
                              built_in=self.out_dir):
                return
        except Exception:  # noqa: BLE001 (a manuscript error, a full disk, a bug: the build that follows tells it)
            return
        self._publish(self.shown.with_book(target), self.attempt, "chapter")

    def _publish(self, shown: ShownEditions | None, attempt: Attempt | None, kind: str = "build") -> None:
        """A new generation: `shown` (if any) replaces the editions shown, and every page
        waiting hears of it as `kind`."""
        with self._lock:
            replaced = None
            if shown is not None:
                replaced, self.shown = self.shown, shown
            self.attempt = attempt
            self.generation += 1
            self.kind = kind
            self._lock.notify_all()
        if replaced is not None:
            replaced.close()

    def wait(self, since: int, timeout: float) -> int:
        """The generation after `since`, once there is one, or `since` after `timeout` seconds
        or when the preview closes."""
        with self._lock:
            self._lock.wait_for(lambda: self.generation != since or self._closed, timeout)
            return self.generation

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
            shown, self.shown = self.shown, None
        if shown is not None:
            shown.close()


class PreviewPages:
    """The preview's own pages: its interface, not the house style, so not overridable."""

    def __init__(self) -> None:
        self.environment = jinja2.Environment(
            loader=jinja2.PackageLoader("hkcq_press.preview", "pages"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def render(self, name: str, preview: Preview, **values: object) -> bytes:
        return self.environment.get_template(name).render(
            generation=preview.generation, attempt=preview.attempt, shown=preview.shown,
            manuscript=str(preview.manuscript_dir), **values,
        ).encode()

    def stylesheet(self) -> bytes:
        return self.environment.loader.get_source(self.environment, "preview.css")[0].encode()


class PreviewServer(HTTPServer):
    """The preview's HTTP server: a fixed pool of workers, not a thread per connection,
    so a flood of connections costs a refusal, never the machine's threads."""

    request_queue_size = 128
    """Connections the system holds before they are accepted: a browser opens several at
    once, and every tab reconnects at once after a rebuild."""
    WORKERS = 32
    """Connections answered at once (a browser keeps six to a server, a few tabs' worth)."""
    WAITING = 256
    """Connections accepted and waiting for a worker; one more is closed at once."""

    def __init__(
        self, address: tuple[str, int], preview: Preview, on_failure: Callable[[str], None] = lambda _: None
    ) -> None:
        self.preview = preview
        self.pages = PreviewPages()
        self.on_failure = on_failure
        self._waiting: queue.Queue[tuple[Any, Any]] = queue.Queue(self.WAITING)
        for number in range(self.WORKERS):
            # Daemons, like the threads they replace: a client that keeps one waiting
            # never keeps the preview from stopping.
            threading.Thread(target=self._work, name=f"preview-{number}", daemon=True).start()
        try:
            super().__init__(address, PreviewRequest)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PreviewError(
                    f"port {address[1]} of {address[0]} is in use; choose another with --port, "
                    "or leave --port out for a free one"
                ) from error
            raise PreviewError(f"cannot serve the preview on {address[0]}: {error.strerror}") from error

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            self._waiting.put_nowait((request, client_address))
        except queue.Full:
            self.shutdown_request(request)  # more than the preview can hold: refused, not queued

    def _work(self) -> None:
        while True:
            request, client_address = self._waiting.get()
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A page that went away mid-answer (a reload, a closed tab) is nothing to report;
        anything else is a bug, reported in one line instead of a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            self.on_failure(f"{type(error).__name__}: {error}")

    def answers_to(self, host_header: str) -> bool:
        """Whether a request naming `host_header` is for this preview: its port, and
        this machine by name (`localhost`) or by an address, the one it serves on or,
        served on every address, any. A name other than `localhost` is a page
        elsewhere reaching this machine under its own name."""
        bound, port = self.server_address[:2]
        try:
            named = urlsplit(f"//{host_header}")
            if (named.port or 80) != port or not named.hostname:
                return False
        except ValueError:  # a port that is no number, a bracket unclosed
            return False
        host = named.hostname.lower()
        if host in ("localhost", "127.0.0.1", "::1", bound.lower()):
            return True
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return ipaddress.ip_address(bound).is_unspecified

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host if ':' not in host else f'[{host}]'}:{port}/"


class PreviewRequest(BaseHTTPRequestHandler):
    server: PreviewServer
    timeout = 10
    """Seconds a connection may keep a worker waiting for what it sends: a client that
    opens one and says nothing is let go."""
    ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
        (re.compile(r"/"), "index"),
        (re.compile(r"/print"), "print_pages"),
        # Numbers of up to nine digits: more is no page of any edition, and no number Python reads at once.
        (re.compile(r"/print/(\d{1,9})\.png"), "page_picture"),
        (re.compile(r"/epub/(\d{1,9})"), "chapter"),
        (re.compile(r"/book/(.+)"), "book_member"),
        (re.compile(r"/files/([^/]+)"), "edition_file"),
        (re.compile(r"/events"), "events"),
        (re.compile(r"/preview\.css"), "stylesheet"),
    )

    def do_GET(self) -> None:  # noqa: N802 (the name http.server looks for)
        if not self.server.answers_to(self.headers.get("Host", "")):
            # A page elsewhere that had its name point at this machine (DNS rebinding)
            # would read the unpublished edition: it names itself in the Host header.
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "this preview answers only to the address it serves on")
            return
        url = urlsplit(self.path)
        for pattern, name in self.ROUTES:
            if match := pattern.fullmatch(url.path):
                getattr(self, name)(*match.groups(), query=parse_qs(url.query))
                return
        self.send_error(HTTPStatus.NOT_FOUND)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal is for the desk's build messages."""

    @property
    def preview(self) -> Preview:
        return self.server.preview

    def index(self, query: dict[str, list[str]]) -> None:
        self._page("index.html")

    def print_pages(self, query: dict[str, list[str]]) -> None:
        self._page("print.html", waits_for_pages=True)

    def chapter(self, number: str, query: dict[str, list[str]]) -> None:
        shown = self.preview.shown
        chapters = shown.chapters if shown is not None else ()
        if not 1 <= int(number) <= len(chapters):
            self._page("index.html", status=HTTPStatus.NOT_FOUND)
            return
        self._page("chapter.html", chapter=chapters[int(number) - 1], chapters=chapters)

    def page_picture(self, number: str, query: dict[str, list[str]]) -> None:
        shown = self.preview.shown
        if shown is not None and 1 <= int(number) <= len(shown.pages):
            self._send_found((shown.page_picture(int(number)), "image/png"))
        else:
            self._send_found(None)

    def book_member(self, path: str, query: dict[str, list[str]]) -> None:
        shown = self.preview.shown
        self._send_found(shown.member(path) if shown is not None else None)

    def edition_file(self, name: str, query: dict[str, list[str]]) -> None:
        shown = self.preview.shown
        self._send_found(shown.file(name) if shown is not None else None)

    def stylesheet(self, query: dict[str, list[str]]) -> None:
        self._send(self.server.pages.stylesheet(), "text/css")

    def events(self, query: dict[str, list[str]]) -> None:
        """Server-sent events: a `build` event each time a build ends, a `chapter` event when
        the e-book is shown before the print pages are laid out; the pages reload."""
        try:
            seen = int(query.get("since", ["-1"])[0])
        except ValueError:
            seen = -1
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while not self.preview.closed:
                generation = self.preview.wait(seen, KEEP_ALIVE_SECONDS)
                if generation != seen:
                    self.wfile.write(f"event: {self.preview.kind}\ndata: {json.dumps(generation)}\n\n".encode())
                    seen = generation
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away or reloaded

    def _page(self, template: str, status: HTTPStatus = HTTPStatus.OK, **values: object) -> None:
        self._send(self.server.pages.render(template, self.preview, **values), "text/html; charset=utf-8", status)

    def _send_found(self, found: tuple[bytes, str] | None) -> None:
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND)
        else:
            self._send(*found)

    def _send(self, content: bytes, media_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")  # every reload shows the latest build
        self.end_headers()
        self.wfile.write(content)


@contextmanager
def changes_of(folders: Sequence[Path]) -> Iterator[threading.Event]:
    """An event set whenever a file under `folders` is saved, created or removed.

    watchfiles gathers a burst of saves (an editor writes a file, then its backup)
    into one change and ignores editors' swap and backup files.
    """
    import watchfiles

    changed = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        for _ in watchfiles.watch(*folders, stop_event=stop, raise_interrupt=False):
            changed.set()

    watcher = threading.Thread(target=watch, name="hkcq-press-watch", daemon=True)
    watcher.start()
    try:
        yield changed
    finally:
        stop.set()
        watcher.join(timeout=5)


def serve(
    manuscript_dir: Path,
    styles_dir: Path | None,
    limits: Limits,
    print_options: PrintOptions,
    address: tuple[str, int],
    *,
    ready: Callable[[str], None],
    built: Callable[[Attempt], None],
    failed: Callable[[str], None],
    jobs: int = 1,
) -> None:
    """Serve the preview until Ctrl-C (KeyboardInterrupt) or SIGTERM, then remove its folder.

    `ready` hears the address once the server listens; `built` hears each build's
    outcome; `failed`, a page that could not be served (a bug); `jobs`, as `build`'s.
    """
    build_date()  # the environment's, not the manuscript's to fix: refused before serving, as a build refuses it
    # Named for this process, as a build's scratch folder is: if the preview dies (its
    # terminal closed, a SIGKILL), the next build finds it and removes it.
    folder = process_folder("preview-")
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        preview = Preview(manuscript_dir, styles_dir, limits, print_options, folder, jobs)
        server = PreviewServer(address, preview, failed)
        serving = threading.Thread(target=server.serve_forever, name="hkcq-press-preview", daemon=True)
        watched = [manuscript_dir, *([styles_dir] if styles_dir is not None and styles_dir.is_dir() else [])]
        try:
            with changes_of(watched) as changed:  # watching before the first build misses no save
                serving.start()
                ready(server.url)
                built(preview.rebuild())
                while True:
                    changed.wait()
                    changed.clear()
                    built(preview.rebuild())
        finally:
            preview.close()
            if serving.is_alive():
                server.shutdown()
            server.server_close()
