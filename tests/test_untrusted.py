"""Copy from many desks is untrusted: it cannot make hkcq-press reach the network,
read files outside the manuscript and the house style, or inject markup."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, run_cli


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on the loopback interface that records every request it gets."""

    class Recorder(_Recorder):
        requests: list[str] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    return tmp_path


ARTICLE = "manuscript/articles/chongqing-hong-kong-cooperation.md"


def add_to_article(project: Path, markdown: str) -> None:
    article = project / ARTICLE
    article.write_text(article.read_text(encoding="utf-8") + "\n" + markdown + "\n", encoding="utf-8")


def last_line(project: Path) -> int:
    return len((project / ARTICLE).read_text(encoding="utf-8").splitlines())


def test_an_image_on_the_network_is_refused_and_never_fetched(project: Path, local_server) -> None:
    url, requests = local_server
    add_to_article(project, f"![A picture]({url}/photo.png)")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert f"{ARTICLE}:{last_line(project)}: error: the image `{url}/photo.png` is not a file in the manuscript" in result.stderr
    assert requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize("reference", [
    "@import url({url}/more.css);",
    "body {{ background: url({url}/paper.png); }}",
    "body {{ background: url(file:///etc/passwd); }}",
    "@import url(missing.css);",
    "body {{ background: url(data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A//www.w3.org/2000/svg%22/%3E); }}",
])
def test_a_stylesheet_cannot_reach_outside_the_manuscript(project: Path, local_server, reference: str) -> None:
    url, requests = local_server
    stylesheet = project / "styles" / "house.css"
    stylesheet.write_text(reference.format(url=url) + "\n", encoding="utf-8")
    result = run_cli("pdf", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "styles/house.css:1: error:" in result.stderr
    assert "refused to" in result.stderr or "missing.css does not exist" in result.stderr
    assert requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd"])
def test_an_image_outside_the_manuscript_is_refused(project: Path, target: str) -> None:
    add_to_article(project, f"![A picture]({target})")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert f"{ARTICLE}:{last_line(project)}: error: the image `{target}` is outside the manuscript directory" in result.stderr


def test_a_symlink_that_escapes_the_manuscript_is_refused(project: Path) -> None:
    (project / "manuscript" / "articles" / "photo.png").symlink_to("/etc/passwd")
    add_to_article(project, "![A picture](photo.png)")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert "error: the image `photo.png` is outside the manuscript directory" in result.stderr


def test_an_article_symlinked_from_outside_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\nheadline: H\nbyline: B\n---\n\nText.\n", encoding="utf-8")
    (project / "manuscript" / "articles" / "linked.md").symlink_to(outside)
    edition = project / "manuscript" / "edition.yaml"
    edition.write_text(edition.read_text(encoding="utf-8") + "  - articles/linked.md\n", encoding="utf-8")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert "error: `articles/linked.md` is outside the manuscript directory" in result.stderr


def test_a_pipe_posing_as_an_image_is_refused_without_reading_it(project: Path) -> None:
    os.mkfifo(project / "manuscript" / "articles" / "photo.png")
    add_to_article(project, "![A picture](photo.png)")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert "error: `photo.png` is not a regular file" in result.stderr


def test_css_the_renderer_ignores_is_a_warning(project: Path) -> None:
    (project / "styles" / "house.css").write_text(".kicker {\n  colour: red;\n}\n", encoding="utf-8")
    result = run_cli("pdf", cwd=project)
    assert result.returncode == 0
    assert "styles/house.css:2: warning: Ignored `colour: red` at 2:3, unknown property." in result.stderr
