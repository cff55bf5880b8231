"""Copy from many desks is untrusted: it cannot make hkcq-press reach the network,
read files outside the manuscript and the house style, or inject markup."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import CHINESE, ROOT, SAMPLE, run_cli_here


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
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert f"{ARTICLE}:{last_line(project)}: error: the image `{url}/photo.png` is not a file in the manuscript" in result.stderr
    assert requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize("markdown", [
    "The ferry ![x]({url}/pixel.png) sails at nine.",
    "| Ferry | Time |\n|---|---|\n| ![x]({url}/pixel.png) | 9:00 |",
    "::: factbox Ferries\nThe ferry ![x]({url}/pixel.png) sails.\n:::",
    "- The ferry ![x]({url}/pixel.png) sails.",
])
@pytest.mark.parametrize("command", ["check", "epub", "build"])
def test_a_tracking_pixel_in_running_text_is_refused_by_every_command(
    project: Path, local_server, markdown: str, command: str,
) -> None:
    """An image inside a sentence, a table cell, a box or a list item never reaches an
    edition as `<img src="http://…">`: it is refused at its line, nothing fetched."""
    url, requests = local_server
    add_to_article(project, markdown.format(url=url))
    result = run_cli_here(command, cwd=project)
    assert result.returncode == 1, result.stderr
    assert ": error: an image inside running text" in result.stderr
    assert requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize("reference, refusal", [
    ("@import url({url}/more.css);", "`@import` of `{url}/more.css` cannot be carried"),
    ("body {{ background: url({url}/paper.png); }}", "the e-book cannot carry `{url}/paper.png`"),
    ("body {{ background: url(file:///etc/passwd); }}", "the e-book cannot carry `file:///etc/passwd`"),
    ("@import url(missing.css);", "`@import` of `missing.css` cannot be carried"),
    ("body {{ background: url(data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A//www.w3.org/2000/svg%22/%3E); }}",
     "the e-book cannot carry `data:image/svg+xml"),
    ('body {{ background: image-set("{url}/paper.png" 1x); }}', "the e-book cannot carry `{url}/paper.png`"),
    ('body {{ background: -webkit-image-set("{url}/paper.png" 1x); }}', "the e-book cannot carry `{url}/paper.png`"),
    ('body {{ background: cross-fade("{url}/a.png", "{url}/b.png"); }}', "the e-book cannot carry `{url}/a.png`"),
    ("body {{ background: u\\72l({url}/escaped.png); }}", "the e-book cannot carry `{url}/escaped.png`"),
    ('body {{ background: image("{url}/paper.png"); }}', "the e-book cannot carry `{url}/paper.png`"),
])
def test_a_stylesheet_cannot_reach_outside_the_manuscript(
    project: Path, local_server, reference: str, refusal: str,
) -> None:
    url, requests = local_server
    stylesheet = project / "styles" / "house.css"
    stylesheet.write_text(reference.format(url=url) + "\n", encoding="utf-8")
    result = run_cli_here("pdf", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "styles/house.css:1: error: " + refusal.format(url=url) in result.stderr
    assert requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize("element", [
    '<link rel="stylesheet" href="{url}/more.css">',
    '<img src="{url}/pixel.png" alt="">',
    '<img src="file:///etc/passwd" alt="">',
])
def test_a_layout_cannot_make_the_renderer_fetch(project: Path, local_server, element: str) -> None:
    """Behind the stylesheet rule, the print renderer's own fetcher reads nothing but
    files of the manuscript and the house style, whatever a layout names."""
    url, requests = local_server
    default = (ROOT / "src" / "hkcq_press" / "layouts" / "print" / "edition.html").read_text(encoding="utf-8")
    (project / "styles" / "print").mkdir()
    (project / "styles" / "print" / "edition.html").write_text(
        default.replace("</body>", element.format(url=url) + "\n</body>"), encoding="utf-8"
    )
    result = run_cli_here("pdf", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "styles/print/edition.html:" in result.stderr and "refused to" in result.stderr
    assert requests == []
    assert not (project / "dist").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd"])
def test_an_image_outside_the_manuscript_is_refused(project: Path, target: str) -> None:
    add_to_article(project, f"![A picture]({target})")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert f"{ARTICLE}:{last_line(project)}: error: the image `{target}` is outside the manuscript directory" in result.stderr


def test_a_symlink_that_escapes_the_manuscript_is_refused(project: Path) -> None:
    (project / "manuscript" / "articles" / "photo.png").symlink_to("/etc/passwd")
    add_to_article(project, "![A picture](photo.png)")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert "error: the image `photo.png` is outside the manuscript directory" in result.stderr


def test_an_article_symlinked_from_outside_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\nheadline: H\nbyline: B\n---\n\nText.\n", encoding="utf-8")
    (project / "manuscript" / "articles" / "linked.md").symlink_to(outside)
    edition = project / "manuscript" / "edition.yaml"
    edition.write_text(edition.read_text(encoding="utf-8") + "  - articles/linked.md\n", encoding="utf-8")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert "error: `articles/linked.md` is outside the manuscript directory" in result.stderr


def test_a_pipe_posing_as_an_image_is_refused_without_reading_it(project: Path) -> None:
    os.mkfifo(project / "manuscript" / "articles" / "photo.png")
    add_to_article(project, "![A picture](photo.png)")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1
    assert "error: `photo.png` is not a regular file" in result.stderr


def test_css_the_renderer_ignores_is_a_warning(project: Path) -> None:
    (project / "styles" / "house.css").write_text(".kicker {\n  colour: red;\n}\n", encoding="utf-8")
    result = run_cli_here("pdf", cwd=project)
    assert result.returncode == 0
    assert "styles/house.css:2: warning: Ignored `colour: red` at 2:3, unknown property." in result.stderr


# --- The house style: the e-book under the print edition's rule -------------------------------


@pytest.mark.parametrize("command", ["epub", "pdf", "check"])
def test_an_imported_stylesheet_on_the_network_is_refused_and_never_fetched(
    project: Path, local_server, command: str,
) -> None:
    url, requests = local_server
    (project / "styles" / "house.css").write_text(f"/* partner press */\n@import url({url}/track.css);\n",
                                                  encoding="utf-8")
    result = run_cli_here(command, cwd=project)
    assert result.returncode == 1, result.stderr
    assert "styles/house.css:2: error: `@import` of" in result.stderr
    assert requests == []
    assert not (project / "dist").exists() or not list((project / "dist").glob("*.epub"))


@pytest.mark.parametrize("command", ["check", "epub", "pdf"])
def test_a_stylesheet_url_the_e_book_cannot_carry_is_refused(project: Path, command: str) -> None:
    (project / "styles" / "house.css").write_text(
        ".masthead {\n  background: url(images/logo.png);\n}\n", encoding="utf-8"
    )
    result = run_cli_here(command, cwd=project)
    assert result.returncode == 1
    assert "styles/house.css:2: error: the e-book cannot carry `images/logo.png`" in result.stderr


def test_a_font_outside_the_house_style_is_refused_by_every_command(project: Path) -> None:
    """fonts.css naming a file outside the styles folder: neither read nor stored in the
    e-book (as the zip entry `EPUB/../Outside.ttf`), nor embedded in the PDF."""
    shutil.copytree(ROOT / "src" / "hkcq_press" / "layouts" / "fonts", project / "styles" / "fonts")
    shutil.copy(project / "styles" / "fonts" / "NotoSans-Regular.ttf", project / "Outside.ttf")
    fonts = (ROOT / "src" / "hkcq_press" / "layouts" / "fonts.css").read_text(encoding="utf-8")
    (project / "styles" / "fonts.css").write_text(
        fonts.replace("url(fonts/NotoSans-Regular.ttf)", "url(../Outside.ttf)"), encoding="utf-8"
    )
    line = next(number for number, text in enumerate(
        (project / "styles" / "fonts.css").read_text(encoding="utf-8").splitlines(), 1) if "Outside" in text)
    for command in ("check", "epub", "pdf"):
        result = run_cli_here(command, cwd=project)
        assert result.returncode == 1, (command, result.stderr)
        assert f"styles/fonts.css:{line}: error: `Outside.ttf` is not a file of the house style" in result.stderr
    assert not (project / "dist").exists()


def test_a_stylesheet_that_links_to_a_file_elsewhere_is_refused(project: Path) -> None:
    (project / "styles" / "house.css").unlink()
    (project / "styles" / "house.css").symlink_to("/etc/hostname")
    result = run_cli_here("epub", cwd=project)
    assert result.returncode == 1
    assert "error: `house.css` is not a file of the house style (it is /etc/hostname)" in result.stderr


@pytest.mark.parametrize("command", ["check", "pdf"])
def test_a_hyphenation_list_that_links_to_a_file_elsewhere_is_refused_without_printing_it(
    project: Path, command: str,
) -> None:
    """Its lines would be printed back as malformed entries, and shown on the preview's page."""
    (project / "styles" / "hyphenation.txt").symlink_to("/etc/passwd")
    result = run_cli_here(command, cwd=project)
    assert result.returncode == 1
    assert "error: `hyphenation.txt` is not a file of the house style (it is /etc/passwd)" in result.stderr
    assert "root:x:0" not in result.stderr
    assert not (project / "dist").exists()


@pytest.mark.parametrize("command", ["check", "pdf"])
def test_a_hyphenation_list_that_is_not_utf8_is_refused_at_its_line(project: Path, command: str) -> None:
    (project / "styles" / "hyphenation.txt").write_bytes("bu-reau\ncaf\u00e9-ine\n".encode("latin-1"))
    result = run_cli_here(command, cwd=project)
    assert result.returncode == 1, result.stderr
    assert "styles/hyphenation.txt:2: error: the line is not UTF-8 text" in result.stderr
    assert "internal error" not in result.stderr


# --- The Chinese typefaces: fetched, checked against their pinned digests -------------------


def test_fonts_list_says_where_each_typeface_is(tmp_path: Path) -> None:
    result = run_cli_here("fonts", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for typeface in ("NotoSerifHK", "NotoSerifTC", "NotoSerifSC"):
        assert re.search(rf"^{typeface}: /.*/{typeface}-Regular\.ttf$", result.stdout, re.M), result.stdout


def test_fonts_install_fetches_nothing_when_they_are_installed(tmp_path: Path, local_server) -> None:
    url, requests = local_server
    result = run_cli_here("fonts", "install", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": installed in ") == 3
    assert requests == []


@pytest.mark.parametrize("registry", ["refusing", "serving the wrong file"])
def test_fonts_install_refuses_what_it_cannot_fetch_or_trust(
    tmp_path: Path, local_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    registry: str,
) -> None:
    from hkcq_press.style import typefaces
    from hkcq_press.cli import main

    url, requests = local_server
    monkeypatch.setattr(typefaces, "chinese_font_folders", lambda: (tmp_path / "fonts",))
    monkeypatch.setattr(typefaces, "REGISTRY", "http://127.0.0.1:9" if registry == "refusing" else url)
    assert main(["fonts", "install"]) == 1
    stderr = capsys.readouterr().err
    expected = "cannot fetch" if registry == "refusing" else "does not match its pinned digest; nothing installed"
    assert stderr.startswith("hkcq-press: ") and expected in stderr and "Traceback" not in stderr
    assert not list((tmp_path / "fonts").glob("*.ttf"))


def test_a_damaged_chinese_face_is_refused_and_fetched_again(
    tmp_path: Path, local_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A face cut to half prints its glyphs as blanks: the build refuses it, saying what
    to run, and `fonts install` no longer calls it installed."""
    from hkcq_press.cli import main
    from hkcq_press.style import fonts, typefaces

    installed = {face.name: face for face in fonts.first_writable(fonts.chinese_font_folders()).glob("NotoSerif*")}
    folder = tmp_path / "fonts"
    folder.mkdir()
    for name, face in installed.items():
        shutil.copy(face, folder / name)
    regular = folder / "NotoSerifHK-Regular.ttf"
    regular.write_bytes(regular.read_bytes()[: regular.stat().st_size // 2])
    monkeypatch.setattr(fonts, "chinese_font_folders", lambda: (folder,))
    monkeypatch.setattr(typefaces, "chinese_font_folders", lambda: (folder,))
    url, requests = local_server
    monkeypatch.setattr(typefaces, "REGISTRY", url)  # serves nothing of npm's: the fetch is refused
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CHINESE, tmp_path / "manuscript")
    assert main(["build"]) == 1
    stderr = capsys.readouterr().err
    assert f"hkcq-press: the Chinese face {regular} is damaged" in stderr
    assert "run `hkcq-press fonts install` to fetch it again" in stderr and not (tmp_path / "dist").exists()
    assert main(["fonts", "install"]) == 1, "not called installed: it is fetched again"
    assert "NotoSerifHK: installed" not in capsys.readouterr().out
    assert len(requests) >= 1


# --- Input that must never reach exit 3 --------------------------------------------------------


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` × `height` pixels, with no pixels at all."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_picture_declaring_billions_of_pixels_is_refused_at_its_line(project: Path) -> None:
    (project / "manuscript" / "articles" / "bomb.png").write_bytes(_png_declaring(65000, 65000))
    add_to_article(project, "![A picture](bomb.png)")
    result = run_cli_here("check", cwd=project)
    assert result.returncode == 1, result.stderr
    assert (f"{ARTICLE}:{last_line(project)}: error: the image `bomb.png` declares more pixels than any picture "
            "could need") in result.stderr


@pytest.mark.parametrize(("option", "value", "message"), [
    *(("--max-text-mb", value, f"{value!r} is not a positive number of megabytes") for value in ("inf", "nan", "-1", "abc")),
    ("--max-image-megapixels", "lots", "'lots' is not a positive number of megapixels"),
    ("--jobs", "two", "'two' is not a number of processes, 1 or more"),
    ("--jobs", "0", "'0' is not a number of processes, 1 or more"),
])
def test_limits_that_are_not_numbers_are_usage_errors(project: Path, option: str, value: str, message: str) -> None:
    """Said in the option's own words, never in the name of the code that read it."""
    result = run_cli_here("build" if option == "--jobs" else "check", option, value, cwd=project)
    assert result.returncode == 2, (value, result.stderr)
    assert f"argument {option}: {message}" in result.stderr
    assert "invalid" not in result.stderr and "_" not in result.stderr.split(option)[-1]


def test_a_slug_too_long_for_a_file_name_is_refused_at_its_line(project: Path) -> None:
    edition = project / "manuscript" / "edition.yaml"
    edition.write_text(edition.read_text(encoding="utf-8") + "slug: " + "a" * 240 + "\n", encoding="utf-8")
    line = len(edition.read_text(encoding="utf-8").splitlines())
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 1, result.stderr
    assert f"manuscript/edition.yaml:{line}: error: `{'a' * 60}…` cannot be used as a file name" in result.stderr


def test_a_listed_word_that_matches_only_by_simple_case_folding_is_left_alone(project: Path) -> None:
    (project / "styles" / "hyphenation.txt").write_text("Kı-rık-ka-le\n", encoding="utf-8")
    add_to_article(project, "Officials from KIRIKKALE and Kırıkkale attended.")
    result = run_cli_here("pdf", cwd=project)
    assert result.returncode == 0, result.stderr


def test_an_svg_with_any_processing_instruction_is_refused(project: Path) -> None:
    (project / "manuscript" / "articles" / "chart.svg").write_text(
        '<?xml version="1.0"?>\n<?php echo 1; ?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n',
        encoding="utf-8")
    add_to_article(project, "![A chart](chart.svg)")
    result = run_cli_here("check", cwd=project)
    assert result.returncode == 1
    assert "the SVG `chart.svg` has a processing instruction (<?php?>)" in result.stderr


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(["url", "image-set", "-webkit-image-set", "cross-fade", "image", "src"]),
    escapes=st.lists(st.sampled_from(["plain", "hex", "backslash"]), min_size=20, max_size=20),
    address=st.sampled_from(["http://127.0.0.1:9/a.png", "file:///etc/passwd", "//example.com/x", "../up.png"]),
    quoted=st.booleans(),
    nested=st.sampled_from(["rule", "media", "declarations"]),
)
def test_any_css_that_names_a_file_however_written_is_caught(  # type: ignore[no-untyped-def]
    name, escapes, address, quoted, nested,
) -> None:
    """The property behind the stylesheet and SVG rule: escapes in the function's name,
    any of the functions that load a resource, quoted or not, in a rule, inside
    `@media` or in a `style` attribute: the address is found."""
    from hkcq_press.reader.cssreferences import declaration_references, references

    def escaped(char: str, how: str) -> str:
        if how == "hex" and char.isalpha():
            return f"\\{ord(char):x} "
        if how == "backslash" and char.isalpha() and char.lower() not in "abcdef":  # `\\e` is a hex escape
            return f"\\{char}"
        return char

    function = "".join(escaped(char, how) for char, how in zip(name, escapes, strict=False))
    argument = f'"{address}"' if quoted or name != "url" else address
    declaration = f"background: {function}({argument}) 1x"
    if nested == "declarations":
        found = [reference.url for reference in declaration_references(declaration)]
    elif nested == "media":
        found = [reference.url for reference in references(f"@media print {{ p {{ {declaration} }} }}")]
    else:
        found = [reference.url for reference in references(f"p {{ {declaration} }}")]
    assert address in found, (declaration, found)


@pytest.mark.parametrize("named", ["/etc/passwd", "../../../../etc/passwd", "partials/nowhere.html"])
def test_a_layout_that_names_what_is_not_a_layout_is_refused_at_its_own_line(project: Path, named: str) -> None:
    """The error is the including layout's, at its line: never a file outside named as the place."""
    partials = project / "styles" / "partials"
    partials.mkdir(parents=True, exist_ok=True)
    shipped = (ROOT / "src" / "hkcq_press" / "layouts" / "partials" / "credit.html").read_text(encoding="utf-8")
    (partials / "credit.html").write_text(f"{{# the desk's credit #}}\n{{% include '{named}' %}}\n{shipped}",
                                          encoding="utf-8")
    for command in ("check", "build"):  # check refuses what the build would
        result = run_cli_here(command, cwd=project)
        assert result.returncode == 1, result.stderr
        assert (f"styles/partials/credit.html:2: error: the layout names `{named}`, which is not a layout of the "
                "house style") in result.stderr
        assert "root:" not in result.stderr and not re.search(r"^/etc/passwd", result.stderr, re.M)
        assert "internal error" not in result.stderr
    assert not (project / "dist").exists()


def test_a_layout_linked_to_a_file_elsewhere_is_refused_and_never_printed(project: Path) -> None:
    """Jinja2 follows links: a layout that is a link to a file outside the house style
    (/etc/hostname, say) would print that file in the edition."""
    partials = project / "styles" / "partials"
    partials.mkdir(parents=True, exist_ok=True)
    secret = project / "elsewhere" / "secret.html"
    secret.parent.mkdir()
    secret.write_text("Zq7-private-words", encoding="utf-8")
    (partials / "credit.html").symlink_to(secret)
    for command in ("check", "build"):
        result = run_cli_here(command, cwd=project)
        assert result.returncode == 1, result.stderr
        assert f"credit.html: error: `credit.html` is not a file of the house style (it is {secret})" in result.stderr
        assert "Zq7-private-words" not in result.stderr and "internal error" not in result.stderr
    assert not (project / "dist").exists()


def test_a_layout_that_cannot_be_parsed_is_refused_by_check_at_its_line(project: Path) -> None:
    partials = project / "styles" / "partials"
    partials.mkdir(parents=True, exist_ok=True)
    (partials / "credit.html").write_text("<p>\n{% if %}\n</p>\n", encoding="utf-8")
    result = run_cli_here("check", cwd=project)
    assert result.returncode == 1
    assert "styles/partials/credit.html:2: error: layout error: " in result.stderr


@pytest.mark.parametrize("fixture", ["image-damaged", "image-truncated-jpeg"])
def test_a_damaged_picture_is_refused_in_a_process_that_has_laid_out_an_edition(fixture: str) -> None:
    """WeasyPrint, once imported, tells Pillow to load truncated pictures for the whole
    process: the preview, or a script that built an edition, must refuse them still."""
    import weasyprint  # noqa: F401 (imported for what it does to Pillow)
    from PIL import ImageFile

    from hkcq_press.errors import ManuscriptError
    from hkcq_press.reader.edition import load_edition

    assert ImageFile.LOAD_TRUNCATED_IMAGES, "WeasyPrint no longer loads truncated pictures: this test tests nothing"
    with pytest.raises(ManuscriptError) as refused:
        load_edition(Path(__file__).parent / "fixtures" / "broken" / fixture)
    assert any("is damaged" in problem.message or "cut short" in problem.message
               for problem in refused.value.problems), refused.value.problems
    assert ImageFile.LOAD_TRUNCATED_IMAGES, "and WeasyPrint's own choice is left as it was"
