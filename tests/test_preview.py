"""`hkcq-press preview`: the server and its pages, then the whole loop in a real Chromium."""

from __future__ import annotations

import contextlib
import http.client
import os
import queue
import re
from html import escape
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, run_cli_here
from playwright.sync_api import Page, expect, sync_playwright
from support import browser_path

from hkcq_press.errors import ExitStatus
from hkcq_press.reader.files import DEFAULT_LIMITS
from hkcq_press.model.edition import HOUSE_PRINT_OPTIONS
from hkcq_press.preview.server import Preview, PreviewError, PreviewRequest, PreviewServer
from hkcq_press.scaffold import new_project

ARTICLE = Path("manuscript/articles/first-story.md")
STRAY_PULL_QUOTE = "\n::: pullquote\nWords that are nowhere in the article\n:::\n"
WAIT_MS = 60_000
"""How long the browser may wait for a rebuild: generous, as these machines are shared."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new edition as `hkcq-press new` makes it, at the book size, where it fills two pages."""
    new_project(tmp_path / "edition")
    with (tmp_path / "edition" / "manuscript" / "edition.yaml").open("a", encoding="utf-8") as edition:
        edition.write("page_size: book\n")
    return tmp_path / "edition"


@pytest.fixture
def served(project: Path, tmp_path: Path) -> Iterator[tuple[Preview, str]]:
    """The preview's server in this process, its first build done."""
    preview = Preview(project / "manuscript", None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private")
    preview.rebuild()
    server = PreviewServer(("127.0.0.1", 0), preview)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield preview, server.url
    finally:
        preview.close()
        server.shutdown()
        server.server_close()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], b""


def test_index_links_the_print_pages_and_every_chapter(served: tuple[Preview, str]) -> None:
    preview, url = served
    status, media_type, index = fetch(url)
    assert (status, media_type) == (200, "text/html; charset=utf-8")
    page = index.decode()
    assert '<a href="/print">Print edition</a>' in page
    assert "2 pages, as the PDF lays them out." in page
    titles = re.findall(r'<li><a href="/epub/(\d+)">([^<]+)</a></li>', page)
    assert titles == [("1", "Cover"), ("2", "Title page"), ("3", "Contents"),
                      ("4", "Your headline here, as it should print"), ("5", "Colophon")]
    assert "Built at " in page and "it rebuilds when you save" in page


def test_print_pages_are_pictures_of_the_pdf_with_their_text(served: tuple[Preview, str]) -> None:
    preview, url = served
    page = fetch(url + "print")[2].decode()
    assert page.count('<section class="page"') == 2
    assert "Your headline here, as it" in page  # the text PDFium reads back from page 1
    status, media_type, picture = fetch(url + "print/1.png")
    assert (status, media_type) == (200, "image/png")
    assert picture.startswith(b"\x89PNG")
    width = int.from_bytes(picture[16:20], "big")
    assert width == 6 * 144  # a book page, 6 inches wide, at 144 dpi
    assert fetch(url + "print/3.png")[0] == 404
    assert fetch(url + "print/0.png")[0] == 404


def test_chapters_and_files_come_from_the_built_epub(served: tuple[Preview, str]) -> None:
    preview, url = served
    chapter = fetch(url + "epub/4")[2].decode()
    assert '<iframe class="chapter" src="/book/EPUB/text/first-story.xhtml"' in chapter
    status, media_type, document = fetch(url + "book/EPUB/text/first-story.xhtml")
    assert (status, media_type) == (200, "application/xhtml+xml")
    assert "Your headline here, as it should print" in document.decode()
    assert fetch(url + "book/EPUB/styles/epub.css")[1] == "text/css"
    status, media_type, epub = fetch(url + "files/my-first-edition.epub")
    assert (status, media_type) == (200, "application/epub+zip")
    assert epub.startswith(b"PK")
    assert fetch(url + "epub/6")[0] == 404


@pytest.mark.parametrize("path", [
    "book/mimetype",  # in the EPUB but not in its package: not a document to show
    "book/../../../../etc/passwd",
    "book/EPUB/../../../etc/passwd",
    "book/%2e%2e/%2e%2e/etc/passwd",
    "files/..%2f..%2fetc%2fpasswd",
    "files/edition.yaml",
    "nowhere",
    "print/" + "9" * 5000 + ".png",
    "epub/" + "9" * 5000,
    "epub/0",
])
def test_nothing_but_the_editions_is_served(served: tuple[Preview, str], path: str) -> None:
    assert fetch(served[1] + path)[0] == 404


def _status_for_host(url: str, host: str | None) -> int:
    """The status of `GET /` sent naming `host` in its Host header (None: no header)."""
    address = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.putrequest("GET", "/", skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1:{port}", 200),
    ("localhost:{port}", 200),
    ("LOCALHOST:{port}", 200),
    ("evil.example:{port}", 421),
    ("evil.example", 421),
    ("localhost.evil.example:{port}", 421),
    ("127.0.0.1:{other}", 421),
    ("127.0.0.1", 421),
    ("[::1:{port}", 421),
    ("127.0.0.1:port", 421),
    ("10.0.0.7:{port}", 421),
    ("", 421),
    (None, 421),
])
def test_the_preview_answers_only_to_its_own_address(served: tuple[Preview, str], host: str | None,
                                                      status: int) -> None:
    """A page elsewhere whose name it made point at this machine (DNS rebinding) names
    itself in the Host header, and reads nothing: 421 Misdirected Request."""
    port = urllib.parse.urlsplit(served[1]).port
    named = host.format(port=port, other=port + 1) if host is not None else None
    assert _status_for_host(served[1], named) == status


def test_a_preview_served_on_every_address_answers_to_any_address_not_to_a_name(project: Path, tmp_path: Path) -> None:
    preview = Preview(project / "manuscript", None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private")
    server = PreviewServer(("0.0.0.0", 0), preview)
    try:
        port = server.server_address[1]
        assert server.answers_to(f"10.0.0.7:{port}") and server.answers_to(f"[fe80::1]:{port}")
        assert server.answers_to(f"localhost:{port}")
        assert not server.answers_to(f"evil.example:{port}") and not server.answers_to("10.0.0.7:1")
    finally:
        preview.close()
        server.server_close()


def test_a_broken_manuscript_keeps_the_last_good_edition_and_shows_why(
    served: tuple[Preview, str], project: Path
) -> None:
    preview, url = served
    article = project / ARTICLE
    good = article.read_text(encoding="utf-8")
    article.write_text(good.replace("Your headline here", "Ferries resume") + STRAY_PULL_QUOTE, encoding="utf-8")
    attempt = preview.rebuild()
    assert attempt.failed
    page = fetch(url + "epub/4")[2].decode()
    line = good.count("\n") + 2
    assert re.search(rf"<code>[^<]*first-story\.md:{line}</code>: error: ", page), page
    assert "below is the last good edition" in page
    document = fetch(url + "book/EPUB/text/first-story.xhtml")[2].decode()
    assert "Your headline here" in document and "Ferries resume" not in document

    article.write_text(good.replace("Your headline here", "Ferries resume"), encoding="utf-8")
    assert not preview.rebuild().failed
    assert "first-story.md" not in fetch(url + "epub/4")[2].decode()
    assert "Ferries resume" in fetch(url + "book/EPUB/text/first-story.xhtml")[2].decode()
    assert "Ferries resume" in fetch(url + "print")[2].decode()


def test_a_page_waiting_for_a_build_hears_of_it(served: tuple[Preview, str]) -> None:
    preview, url = served
    generation = preview.generation
    heard: list[bytes] = []
    with urllib.request.urlopen(f"{url}events?since={generation}", timeout=30) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        builder = threading.Thread(target=preview.rebuild)
        builder.start()
        heard.append(stream.readline())
        heard.append(stream.readline())
        builder.join()
    assert heard == [b"event: build\n", f"data: {generation + 1}\n".encode()]


def test_a_page_that_goes_away_mid_answer_is_nothing_to_report(
    served: tuple[Preview, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A reload cuts the answers still being sent; no traceback reaches the desk's terminal."""
    preview, url = served
    port = int(url.rsplit(":", 1)[1].strip("/"))
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(b"GET /print/1.png HTTP/1.1\r\nHost: x\r\n\r\n")
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not closed
    assert fetch(url)[0] == 200  # still serving
    assert "Traceback" not in capsys.readouterr().err


def test_a_bug_serving_a_page_is_one_line_not_a_traceback(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    preview = Preview(project / "manuscript", None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private")
    failures: list[str] = []
    server = PreviewServer(("127.0.0.1", 0), preview, failures.append)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(PreviewRequest, "print_pages", lambda self, query: 1 / 0)
    try:
        with contextlib.suppress(ConnectionError, urllib.error.URLError):
            fetch(server.url + "print")
    finally:
        server.shutdown()
        server.server_close()
    assert failures == ["ZeroDivisionError: division by zero"]
    assert "Traceback" not in capsys.readouterr().err


def test_a_bug_in_a_build_is_shown_and_the_next_save_is_built(
    served: tuple[Preview, str], project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The preview lives all day: a bug that stops one build is said on the page and in
    one line, the last good editions stay, and the desk's next save builds as any other."""
    from hkcq_press.preview import server

    preview, url = served
    article = project / ARTICLE
    good = article.read_text(encoding="utf-8")
    article.write_text(good.replace("Your headline here", "Ferries resume"), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(server, "build", lambda *_, **__: 1 / 0)
        attempt = preview.rebuild()
    assert attempt.bug == "ZeroDivisionError: division by zero"
    assert [problem.message for problem in attempt.problems] == ["internal error: ZeroDivisionError: division by zero"]
    page = fetch(url + "epub/4")[2].decode()
    assert "internal error: ZeroDivisionError: division by zero" in page and "This is a bug in hkcq-press" in page
    assert "Your headline here" in fetch(url + "print")[2].decode()

    assert not preview.rebuild().failed
    assert "Ferries resume" in fetch(url + "print")[2].decode()
    assert "internal error" not in fetch(url + "epub/4")[2].decode()


def test_the_terminal_hears_a_bug_in_a_build_in_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hkcq_press.preview import server

    def serving_one_buggy_build(*_: object, built, **__: object) -> None:  # type: ignore[no-untyped-def]
        built(server.Attempt("14:02:07", 0.4, (), "ZeroDivisionError: division by zero"))

    monkeypatch.setattr(server, "serve", serving_one_buggy_build)
    result = run_cli_here("preview", cwd=project)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "hkcq-press: internal error while building: ZeroDivisionError: division by zero",
        "This is a bug in hkcq-press, not in your manuscript; the preview goes on.",
    ]


def test_a_port_in_use_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    preview = Preview(project / "manuscript", None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(PreviewError, match=r"port \d+ of 127\.0\.0\.1 is in use; choose another with --port"):
            PreviewServer(("127.0.0.1", taken.getsockname()[1]), preview)
    assert PreviewError.exit_status == ExitStatus.USAGE


# --- the command, in a real browser --------------------------------------------------


class RunningPreview:
    """`hkcq-press preview` in its own process, its output read as it comes."""

    def __init__(self, project: Path, *arguments: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hkcq_press", "preview", *arguments], cwd=project, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.heard: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str) -> re.Match[str]:
        while True:
            line = self.lines.get(timeout=WAIT_MS / 1000)
            self.heard.append(line)
            if match := re.search(pattern, line):
                return match

    def stop(self, how: signal.Signals = signal.SIGINT) -> tuple[int, str, str]:
        """Stop it as a desk does (Ctrl-C) or as the system does; its status, output and errors."""
        self.process.send_signal(how)
        status = self.process.wait(timeout=60)
        self.reader.join(timeout=60)
        while not self.lines.empty():
            self.heard.append(self.lines.get())
        assert self.process.stderr is not None
        return status, "".join(self.heard), self.process.stderr.read()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_preview_in_chromium_follows_every_save(project: Path, tmp_path: Path) -> None:
    """Load the pages, change an article, break it, fix it: the browser follows each save."""
    private = tmp_path / "tmp"
    private.mkdir()
    opened = tmp_path / "opened"
    browser_stand_in = tmp_path / "browser"
    browser_stand_in.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser_stand_in.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(private), "BROWSER": f"{browser_stand_in} %s"}
    port = free_port()
    running = RunningPreview(project, "--port", str(port), "--open", env=env)
    try:
        url = running.wait_for(r"previewing manuscript at (\S+) \(Ctrl-C to stop\)")[1]
        assert url == f"http://127.0.0.1:{port}/"
        running.wait_for(r"built in [\d.]+ s")
        assert len(list(private.glob("hkcq-press-*-preview-*/editions/*.pdf"))) == 1  # built privately
        article = project / ARTICLE
        good = article.read_text(encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path())
            index = browser.new_page()
            index.goto(url)
            index.get_by_role("link", name="Your headline here, as it should print").click()
            chapter = index
            printed = browser.new_page()
            printed.goto(url + "print")
            expect(chapter.frame_locator("iframe.chapter").locator("h1")).to_have_text(
                "Your headline here, as it should print"
            )
            expect(printed.locator("#page-1 img")).to_have_js_property("complete", True)

            article.write_text(good.replace("Your headline here", "Ferries resume"), encoding="utf-8")
            changed = "Ferries resume, as it should print"
            expect(chapter.frame_locator("iframe.chapter").locator("h1")).to_have_text(changed, timeout=WAIT_MS)
            expect(printed.locator("#page-1 pre")).to_contain_text(changed, timeout=WAIT_MS)

            article.write_text(good.replace("Your headline here", "Ferries resume") + STRAY_PULL_QUOTE,
                               encoding="utf-8")
            problems = chapter.get_by_role("region", name="Problems in the manuscript")
            line = good.count("\n") + 2
            expect(problems).to_contain_text(f"first-story.md:{line}: error:", timeout=WAIT_MS)
            expect(chapter.get_by_role("status")).to_contain_text("below is the last good edition")
            expect(chapter.frame_locator("iframe.chapter").locator("h1")).to_have_text(changed)
            expect(printed.locator("#page-1 pre")).to_contain_text(changed)

            article.write_text(good.replace("Your headline here", "Harbour reopens"), encoding="utf-8")
            expect(problems).to_have_count(0, timeout=WAIT_MS)
            expect(chapter.frame_locator("iframe.chapter").locator("h1")).to_have_text(
                "Harbour reopens, as it should print", timeout=WAIT_MS
            )
            expect(printed.locator("#page-1 pre")).to_contain_text("Harbour reopens", timeout=WAIT_MS)
            _every_page_picture_loads(printed)
            browser.close()
    finally:
        status, out, err = running.stop()
    assert status == ExitStatus.OK, err
    assert out.rstrip().endswith("preview stopped")
    assert "Traceback" not in err
    assert opened.read_text().strip() == url
    assert not (project / "dist").exists()
    assert list(private.glob("hkcq-press*")) == []  # its private folder went with it


def _every_page_picture_loads(page: Page) -> None:
    """Scrolled to, each page's picture (loaded lazily) arrives whole."""
    pictures = page.locator("section.page img")
    assert pictures.count() == 2
    for picture in pictures.all():
        picture.scroll_into_view_if_needed()
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("image => image.naturalWidth") == 6 * 144  # a book page at 144 dpi


def test_preview_stops_cleanly_on_sigterm_before_any_browser(project: Path) -> None:
    running = RunningPreview(project, env=dict(os.environ))
    url = running.wait_for(r"previewing manuscript at (\S+)")[1]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
    running.wait_for(r"built in")
    status, out, err = running.stop(signal.SIGTERM)
    assert status == ExitStatus.OK, err
    assert out.rstrip().endswith("preview stopped")


def test_preview_takes_no_build_output_options(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "hkcq_press", "preview", "--out", "x"], cwd=project,
                            capture_output=True, text=True)
    assert result.returncode == ExitStatus.USAGE
    assert "unrecognized arguments: --out x" in result.stderr


def test_a_fixture_edition_with_chinese_and_figures_previews(tmp_path: Path) -> None:
    preview = Preview(FIXTURES / "deskweek", ROOT / "styles", DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path)
    assert not preview.rebuild().failed
    shown = preview.shown
    assert shown is not None
    with zipfile.ZipFile(tmp_path / "editions" / shown.epub_name) as book:
        documents = [name for name in book.namelist() if name.endswith(".xhtml")]
    assert len(shown.chapters) == len(documents)
    assert all(shown.page_picture(page.number).startswith(b"\x89PNG") for page in shown.pages[:2])
    preview.close()


def test_a_save_lays_out_only_its_section_again(tmp_path: Path) -> None:
    """An edition of sections previewed on two cores: a word changed in one section
    lays out that section again and takes the others from the last build."""
    from support import generated_article, generated_edition
    from test_partcache import kept, swap_a_word

    manuscript = generated_edition(tmp_path / "m", [generated_article(seed, 3) for seed in range(6)],
                                   sections=[2, 2, 2])
    preview = Preview(manuscript, None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private", jobs=2)
    try:
        assert not preview.rebuild().failed
        before = kept(preview.out_dir)
        assert len(before) == 3
        swap_a_word(manuscript / "articles" / "story-04.md")
        assert not preview.rebuild().failed
        after = kept(preview.out_dir)
        assert len(after) == 3 and len(set(after.items()) & set(before.items())) == 2
    finally:
        preview.close()


def test_the_print_pages_come_with_the_copy_fit_report(served: tuple[Preview, str]) -> None:
    """What `hkcq-press fit` says, beside the pages it measures."""
    preview, url = served
    page = fetch(url + "print")[2].decode()
    fit = preview.shown.copy_fit if preview.shown else None
    assert fit is not None and len(fit.pages) == 2
    assert f"<p>{escape(fit.summary())}</p>" in page
    for measured in fit.pages:
        free = f"{measured.lines_free} line{'' if measured.lines_free == 1 else 's'} free"
        assert f"Page {measured.number}: {measured.full * 100:.0f}% full, {free}" in page


def test_the_print_view_keeps_the_readers_place_and_goes_to_the_change(project: Path, tmp_path: Path) -> None:
    """`/print#page-3` opens on page 3; a rebuild reloads the page where the reader was
    (the pictures hold their places before they load); "Go to the change" goes to the
    first page whose text changed."""
    article = project / ARTICLE
    article.write_text(article.read_text(encoding="utf-8") + "".join(
        f"\nParagraph {number}: the ferry timetable for the harbour routes, as the operators "
        f"published it, with the changes to the evening sailings and the fares for the week ahead.\n"
        for number in range(1, 90)), encoding="utf-8")
    preview = Preview(project / "manuscript", None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private")
    preview.rebuild()
    assert preview.shown is not None and len(preview.shown.pages) >= 6
    server = PreviewServer(("127.0.0.1", 0), preview)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    top_of = "number => document.getElementById('page-' + number).getBoundingClientRect().top"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path())
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(server.url + "print#page-3", wait_until="load")
            assert 0 <= page.evaluate(top_of, 3) <= 100, "page 3 at the top, below the bar"

            page.evaluate("document.getElementById('page-4').scrollIntoView()")
            page.mouse.wheel(0, 150)
            page.wait_for_timeout(300)
            place = page.evaluate("window.scrollY")
            assert place > 0
            number = preview.shown.pages[4].text.split("Paragraph ", 1)[1].split(":")[0]  # one that starts on page 5
            article.write_text(article.read_text(encoding="utf-8").replace(
                f"Paragraph {number}:", f"Passage {number}:"), encoding="utf-8")
            preview.rebuild()
            change = page.get_by_role("link", name="Go to the change: page 5")
            expect(change).to_be_visible(timeout=WAIT_MS)
            page.wait_for_function(f"Math.abs(window.scrollY - {place}) <= 2", timeout=WAIT_MS)

            change.click()
            page.wait_for_function(f"({top_of})(5) >= 0 && ({top_of})(5) <= 100", timeout=WAIT_MS)
            browser.close()
    finally:
        preview.close()
        server.shutdown()
        server.server_close()


def test_the_first_change_is_the_first_page_whose_text_differs() -> None:
    from hkcq_press.preview.server import PrintedPage, first_change

    def pages(*texts: str) -> tuple[PrintedPage, ...]:
        return tuple(PrintedPage(number, 420.0, 595.0, text) for number, text in enumerate(texts, 1))

    assert first_change(pages("a", "b", "c"), pages("a", "b", "c")) is None
    assert first_change(pages("a", "b", "c"), pages("a", "B", "c")) == 2
    assert first_change(pages("a", "b"), pages("a", "b", "c")) == 3
    assert first_change(pages("a", "b", "c"), pages("a", "b")) is None  # fewer pages: nothing new to show


def test_a_flood_of_connections_costs_refusals_never_threads_or_bug_reports(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """400 connections that say nothing: a fixed pool answers, the rest wait or are
    refused; each silent one is let go after the read time-out; then a page is served."""
    monkeypatch.setattr(PreviewRequest, "timeout", 1)
    preview = Preview(project / "manuscript", None, DEFAULT_LIMITS, HOUSE_PRINT_OPTIONS, tmp_path / "private")
    preview.rebuild()
    failures: list[str] = []
    server = PreviewServer(("127.0.0.1", 0), preview, failures.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    threads_before = threading.active_count()
    silent = []
    try:
        for _ in range(400):
            silent.append(socket.create_connection(server.server_address[:2], timeout=10))
        time.sleep(0.5)  # every one accepted by now
        assert threading.active_count() <= threads_before  # the pool was started with the server
        silent[0].settimeout(10)
        assert silent[0].recv(1) == b"", "a connection that says nothing is closed after the time-out"
        for connection in silent:  # the flood ends: what waited is let go at once
            connection.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, page = fetch(server.url)
                break
            except (ConnectionError, http.client.RemoteDisconnected, urllib.error.URLError):  # refused while it drains
                assert time.monotonic() < deadline, "served again once the flood ended"
                time.sleep(0.2)
        assert status == 200 and b"Print edition" in page
    finally:
        for connection in silent:
            connection.close()
        preview.close()
        server.shutdown()
        server.server_close()
    assert failures == []


def test_many_tabs_of_one_browser_follow_every_save(served: tuple[Preview, str]) -> None:
    """Nine tabs: one event stream among them (a browser keeps six connections to a
    server), each tab told of the build and reloaded."""
    preview, url = served
    article = preview.manuscript_dir / "articles" / "first-story.md"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path())
        context = browser.new_context()
        tabs = [context.new_page() for _ in range(9)]
        for number, tab in enumerate(tabs):
            tab.goto(url + ("print" if number % 2 else ""))
            expect(tab.get_by_role("status")).to_contain_text("Built at")
        article.write_text(article.read_text(encoding="utf-8").replace("Your headline here", "Ferries resume"),
                           encoding="utf-8")
        preview.rebuild()
        for number, tab in enumerate(tabs):
            shown = tab.locator("#page-1 pre") if number % 2 else tab.get_by_role("link", name=re.compile("Ferries"))
            expect(shown).to_contain_text("Ferries resume", timeout=WAIT_MS)
        browser.close()


def test_a_save_shows_its_chapter_before_its_print_pages_are_laid_out(
    served: tuple[Preview, str], project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The e-book needs no print layout: it is shown first (a `chapter` event), beside
    the last print pages, which say they are being laid out; then the build replaces both."""
    import hkcq_press.preview.server

    preview, url = served
    release, stock = threading.Event(), hkcq_press.preview.server.build

    def build_when_released(*arguments: object, **options: object) -> object:
        assert release.wait(60), "the test never let the build go on"
        return stock(*arguments, **options)

    monkeypatch.setattr(hkcq_press.preview.server, "build", build_when_released)
    article = project / ARTICLE
    article.write_text(article.read_text(encoding="utf-8").replace("Your headline here", "Ferries resume"),
                       encoding="utf-8")
    generation = preview.generation
    builder = threading.Thread(target=preview.rebuild)
    with urllib.request.urlopen(f"{url}events?since={generation}", timeout=30) as stream:
        builder.start()
        assert [stream.readline(), stream.readline()] == [b"event: chapter\n", f"data: {generation + 1}\n".encode()]
        assert "Ferries resume" in fetch(url + "book/EPUB/text/first-story.xhtml")[2].decode()
        printed = fetch(url + "print")[2].decode()
        assert "Your headline here" in printed and "Ferries resume" not in printed
        assert '<span id="pages-pending">' in printed, "the print pages say they are the last build's"
        release.set()
        stream.readline()
        assert [stream.readline(), stream.readline()] == [b"event: build\n", f"data: {generation + 2}\n".encode()]
    builder.join()
    printed = fetch(url + "print")[2].decode()
    assert "Ferries resume" in printed and '<span id="pages-pending" hidden>' in printed
