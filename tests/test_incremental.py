"""Rebuilding: what is up to date is left alone and said to be; any change to the
manuscript, the style, an option or the outputs rebuilds. Also the kept print
HTML, progress on a terminal, and `--quiet`."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CHINESE, ROOT, SAMPLE, editions_in, run_cli, run_cli_here
from support import pdf_lines

PDF = Path("dist") / "hong-kong-chongqing-dispatch.pdf"
EPUB = Path("dist") / "hong-kong-chongqing-dispatch.epub"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    first = run_cli("build", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    return tmp_path


def snapshot(project: Path) -> dict[str, tuple[int, bytes]]:
    return {
        name: ((project / "dist" / name).stat().st_mtime_ns, (project / "dist" / name).read_bytes())
        for name in editions_in(project / "dist")
    }


def rebuilt(result: subprocess.CompletedProcess[str]) -> dict[str, bool]:
    """For each edition the command names: True if it wrote it, False if up to date."""
    assert result.returncode == 0, result.stderr
    said: dict[str, bool] = {}
    for line in result.stdout.splitlines():
        if line.startswith("wrote "):
            said[line.split()[1]] = True
        elif line.startswith("up to date: "):
            said[line.removeprefix("up to date: ")] = False
    return said


def test_nothing_changed_nothing_rebuilt(project: Path) -> None:
    before = snapshot(project)
    result = run_cli_here("build", cwd=project)
    assert rebuilt(result) == {str(PDF): False, str(EPUB): False}
    assert result.stderr == ""
    assert snapshot(project) == before


@pytest.mark.parametrize("change", ["article", "edition", "style", "new image"])
def test_a_changed_input_rebuilds(project: Path, change: str) -> None:
    path = {
        "article": project / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md",
        "edition": project / "manuscript" / "edition.yaml",
        "style": project / "styles" / "house.css",
        "new image": project / "manuscript" / "images" / "unused.png",
    }[change]
    if change == "new image":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes((ROOT / "tests" / "fixtures" / "multi" / "images" / "night-view.png").read_bytes())
    else:
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): True, str(EPUB): True}
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): False, str(EPUB): False}


def test_a_change_to_a_module_in_a_subfolder_of_the_package_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """hkcq-press's own code is digested however deep its modules lie, so an upgrade
    that changes only a submodule never leaves old editions marked up to date."""
    from hkcq_press import freshness
    from hkcq_press.reader.files import DEFAULT_LIMITS
    from hkcq_press.model.edition import HOUSE_PRINT_OPTIONS
    from hkcq_press.style.house import HouseStyle

    package = tmp_path / "package"
    (package / "writers").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    module = package / "writers" / "deep.py"
    module.write_text("VERSION = 1\n", encoding="utf-8")
    monkeypatch.setattr(freshness, "PACKAGE", package)

    def digests() -> dict[str, str]:
        return freshness.input_digests(SAMPLE, HouseStyle(None), ("pdf", "epub"), HOUSE_PRINT_OPTIONS,
                                       DEFAULT_LIMITS, keep_html=False)

    before = digests()
    module.write_text("VERSION = 2\n", encoding="utf-8")
    after = digests()
    assert all(before[kind] != after[kind] for kind in ("pdf", "epub"))


def test_a_print_option_rebuilds_only_the_pdf(project: Path) -> None:
    assert rebuilt(run_cli_here("build", "--print-marks", cwd=project)) == {str(PDF): True, str(EPUB): False}
    assert rebuilt(run_cli_here("build", "--print-marks", cwd=project)) == {str(PDF): False, str(EPUB): False}
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): True, str(EPUB): False}


def test_the_page_size_rebuilds_both_editions(project: Path) -> None:
    """The e-book marks where the printed pages begin: other pages, other marks."""
    assert rebuilt(run_cli_here("build", "--page-size", "letter", cwd=project)) == {str(PDF): True, str(EPUB): True}
    assert rebuilt(run_cli_here("build", "--page-size", "letter", cwd=project)) == {str(PDF): False, str(EPUB): False}
    assert rebuilt(run_cli_here("epub", "--page-size", "letter", cwd=project)) == {str(EPUB): False}
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): True, str(EPUB): True}


def test_a_different_source_date_rebuilds(project: Path) -> None:
    result = run_cli_here("build", cwd=project, env={"SOURCE_DATE_EPOCH": "1767571200"})
    assert rebuilt(result) == {str(PDF): True, str(EPUB): True}


@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_a_damaged_or_missing_output_is_rebuilt(project: Path, damage: str) -> None:
    good = (project / PDF).read_bytes()
    if damage == "deleted":
        (project / PDF).unlink()
    else:
        (project / PDF).write_bytes(good[: len(good) // 2])
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): True, str(EPUB): False}
    assert (project / PDF).read_bytes()[:5] == b"%PDF-" and len((project / PDF).read_bytes()) > len(good) // 2


def test_force_rebuilds(project: Path) -> None:
    assert rebuilt(run_cli_here("build", "--force", cwd=project)) == {str(PDF): True, str(EPUB): True}


def test_a_broken_manuscript_is_checked_again_not_skipped(project: Path) -> None:
    before = snapshot(project)
    edition = project / "manuscript" / "edition.yaml"
    good = edition.read_text(encoding="utf-8")
    edition.write_text(good.replace("title:", "titel:"), encoding="utf-8")
    for _ in range(2):
        result = run_cli_here("build", cwd=project)
        assert result.returncode == 1 and "the edition has no `title:`" in result.stderr
    assert snapshot(project) == before
    edition.write_text(good, encoding="utf-8")
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): False, str(EPUB): False}


def test_an_unreadable_record_means_a_rebuild(project: Path) -> None:
    (project / "dist" / ".hkcq-press.json").write_text("{not json", encoding="utf-8")
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): True, str(EPUB): True}


def _reshaped(record: dict, how: str) -> object:
    if how == "a list":
        return [record]
    if how == "no format":
        return {key: value for key, value in record.items() if key != "format"}
    if how == "a later format":
        return {**record, "format": record["format"] + 1}
    if how == "editions a list":
        return {**record, "editions": list(record["editions"])}
    if how == "an entry's files a list":
        return {**record, "editions": {manuscript: {kind: {**entry, "files": list(entry["files"])}
                                                    for kind, entry in kinds.items()}
                                       for manuscript, kinds in record["editions"].items()}}
    if how == "an entry without its detail":
        return {**record, "editions": {manuscript: {kind: {"inputs": entry["inputs"], "files": entry["files"]}
                                                    for kind, entry in kinds.items()}
                                       for manuscript, kinds in record["editions"].items()}}
    assert how == "a file's stamp a number"
    return {**record, "files": {path: 7 for path in record["files"]}}


@pytest.mark.parametrize("how", ["a list", "no format", "a later format", "editions a list", "an entry's files a list",
                                 "an entry without its detail", "a file's stamp a number"])
def test_a_record_of_another_shape_or_format_is_no_record(project: Path, how: str) -> None:
    """Valid JSON that no build of this version wrote: the editions are built again, and
    the record rewritten, never an internal error."""
    import json

    record = project / "dist" / ".hkcq-press.json"
    saved = json.loads(record.read_text(encoding="utf-8"))
    record.write_text(json.dumps(_reshaped(saved, how)), encoding="utf-8")
    result = run_cli_here("build", cwd=project)
    assert result.returncode == 0, result.stderr
    if how == "a file's stamp a number":  # the editions' own entries still stand: only the inputs are read again
        assert rebuilt(result) == {str(PDF): False, str(EPUB): False}
    else:
        assert rebuilt(result) == {str(PDF): True, str(EPUB): True}
    assert json.loads(record.read_text(encoding="utf-8"))["format"] == saved["format"]
    assert rebuilt(run_cli_here("build", cwd=project)) == {str(PDF): False, str(EPUB): False}


# --- The kept print HTML ----------------------------------------------------------------------


@pytest.mark.parametrize("manuscript", [SAMPLE, CHINESE], ids=["sample", "chinese"])
def test_kept_html_renders_on_its_own_to_the_same_pdf_text(tmp_path: Path, manuscript: Path) -> None:
    result = run_cli_here("pdf", "--manuscript", str(manuscript), "--out", "out", "--keep-html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (html,) = (tmp_path / "out").glob("*.html")
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    assert f"wrote {Path('out') / html.name} (print HTML" in result.stdout
    # Bare WeasyPrint, in a process of its own, from the HTML file alone.
    script = (
        "import sys, weasyprint; "
        "weasyprint.HTML(sys.argv[1]).write_pdf(sys.argv[2], pdf_variant='pdf/ua-1', pdf_tags=True)"
    )
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(html, alone / html.name)
    subprocess.run([sys.executable, "-c", script, html.name, "bare.pdf"], cwd=alone, check=True)
    assert pdf_lines(alone / "bare.pdf") == pdf_lines(pdf)
    if manuscript == CHINESE:
        assert "data:font/ttf;base64," in html.read_text(encoding="utf-8")


def test_kept_html_is_written_with_the_pdf_only(tmp_path: Path) -> None:
    result = run_cli_here("epub", "--manuscript", str(SAMPLE), "--out", "out", "--keep-html", cwd=tmp_path)
    assert result.returncode == 2 and "--keep-html" in result.stderr


# --- Progress and --quiet ---------------------------------------------------------------------


def run_on_a_terminal(*arguments: str, cwd: Path) -> tuple[int, str]:
    """hkcq-press with its output on a pseudo-terminal, as an editor sees it."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "hkcq_press", *arguments], cwd=cwd, stdout=secondary, stderr=secondary,
        stdin=subprocess.DEVNULL,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_shows_progress_and_the_time_taken(tmp_path: Path) -> None:
    status, shown = run_on_a_terminal("build", "--manuscript", str(ROOT / "tests" / "fixtures" / "multi"),
                                      "--out", "out", cwd=tmp_path)
    assert status == 0, shown
    assert "reading articles: 3 of 3" in shown
    assert "laying out the print edition: page 2" in shown
    assert "done in " in shown
    assert "wrote " in shown


def test_no_progress_when_not_a_terminal(tmp_path: Path) -> None:
    result = run_cli_here("build", "--manuscript", str(SAMPLE), "--out", "out", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == "" and "\r" not in result.stdout and "reading articles" not in result.stdout


def test_quiet_prints_nothing_but_errors(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    status, shown = run_on_a_terminal("build", "--quiet", cwd=tmp_path)
    assert (status, shown) == (0, "")
    assert run_cli_here("check", "--quiet", cwd=tmp_path).stdout == ""
    article = tmp_path / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md"
    article.write_text(article.read_text(encoding="utf-8").replace("byline:", "bylin:"), encoding="utf-8")
    failed = run_cli_here("build", "--quiet", cwd=tmp_path)
    assert failed.returncode == 1
    assert "error: the article has no byline" in failed.stderr
    assert "warning" not in failed.stderr
    assert failed.stdout == ""


def test_an_unchanged_file_is_trusted_by_its_stat_data_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large file left beside the manuscript is read once for the build record; after
    that, while its size, time and inode stay the same, it costs a stat, not a read."""
    from hkcq_press import freshness
    from hkcq_press.build import build

    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    video = tmp_path / "manuscript" / "raw-footage.mp4"
    video.write_bytes(b"\0" * (3 << 20))
    an_hour_ago = time.time() - 3600
    for path in (tmp_path / "manuscript").rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    build(tmp_path / "manuscript", tmp_path / "dist", formats=("epub",))

    read: list[Path] = []
    original = freshness.file_digest
    monkeypatch.setattr(freshness, "file_digest", lambda path: read.append(path) or original(path))
    result = build(tmp_path / "manuscript", tmp_path / "dist", formats=("epub",))
    assert [output.rebuilt for output in result.outputs] == [False]
    assert video not in read and not any(path.is_relative_to(tmp_path / "manuscript") for path in read)

    video.write_bytes(b"\1" * (3 << 20))  # same size; a new time
    result = build(tmp_path / "manuscript", tmp_path / "dist", formats=("epub",))
    assert video in read, "a changed file is read again"
    assert [output.rebuilt for output in result.outputs] == [True]


def _distribution(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """An installed distribution's metadata, as pip leaves it, in `folder` (put on the path)."""
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             *(f"Requires-Dist: {requirement}" for requirement in requires)]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_library_installed_beside_hkcq_press_rebuilds_nothing(project: Path, tmp_path: Path) -> None:
    """The build record counts hkcq-press's code, the libraries it needs (transitively)
    and the system's Pango and HarfBuzz: an unrelated package installed since leaves
    the editions up to date."""
    unrelated = _distribution(tmp_path / "site", "an-unrelated-spreadsheet-tool", "1.0", ("xlrd>=2",))
    result = run_cli("build", cwd=project, env={"PYTHONPATH": f"{unrelated}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    assert rebuilt(result) == {str(PDF): False, str(EPUB): False}


def test_the_libraries_that_write_the_editions_are_those_hkcq_press_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hkcq_press.freshness import _edition_libraries

    libraries = _edition_libraries()
    names = {entry.partition("==")[0] for entry in libraries if "==" in entry}
    assert {"hkcq-press", "weasyprint", "pydyf", "ebooklib", "fonttools", "pillow", "markdown-it-py",
            "mdit-py-plugins", "jinja2", "tinycss2"} <= names
    assert any(entry.startswith("libpango-1.0.so.0: 1.") for entry in libraries)
    assert any(entry.startswith("libharfbuzz.so.0: ") for entry in libraries)
    monkeypatch.syspath_prepend(str(_distribution(tmp_path / "site", "an-unrelated-spreadsheet-tool", "1.0")))
    assert _edition_libraries() == libraries
    # A library hkcq-press needs, found first on the path at another version, counts.
    monkeypatch.syspath_prepend(str(_distribution(tmp_path / "newer", "pydyf", "99.0")))
    assert "pydyf==99.0" in _edition_libraries()


# --- The e-book built alone from the last print layout's page map -----------------------------


def _no_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    import hkcq_press.pdf.writer

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("the print edition was laid out")

    monkeypatch.setattr(hkcq_press.pdf.writer, "laid_out", refused)


def _page_list(epub: Path) -> list[str]:
    import re
    import zipfile

    with zipfile.ZipFile(epub) as book:
        return sorted(re.findall(r'id="page-\d+"[^>]*', " ".join(
            book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xhtml"))))


def test_the_epub_alone_takes_its_page_list_from_the_last_print_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After `pdf`, `epub` lays nothing out: its page list is the print layout's, and
    the EPUB is byte for byte the one a build laying the edition out again writes."""
    from hkcq_press.build import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the same time in every archive, to compare bytes
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    manuscript = tmp_path / "manuscript"
    build(manuscript, tmp_path / "dist", formats=("pdf",))
    laid_out_again = build(manuscript, tmp_path / "again", formats=("epub",), force=True).outputs[0].path
    with monkeypatch.context() as patched:
        _no_layout(patched)
        epub = build(manuscript, tmp_path / "dist", formats=("epub",)).outputs[0].path
    assert len(_page_list(epub)) >= 2
    assert epub.read_bytes() == laid_out_again.read_bytes()


@pytest.mark.parametrize("change", ["a word", "the page size", "force", "a damaged page map"])
def test_the_epub_alone_lays_the_pages_out_again_when_they_may_have_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str,
) -> None:
    import json

    from hkcq_press.build import build
    from hkcq_press.model.edition import HOUSE_PRINT_OPTIONS

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    shutil.copytree(SAMPLE, tmp_path / "manuscript")
    manuscript = tmp_path / "manuscript"
    build(manuscript, tmp_path / "dist", formats=("pdf",))
    options, force = HOUSE_PRINT_OPTIONS, False
    if change == "a word":
        article = next((manuscript / "articles").glob("*.md"))
        article.write_text(article.read_text(encoding="utf-8").replace(" the ", " the whole ", 1), encoding="utf-8")
    elif change == "the page size":
        from dataclasses import replace

        options = replace(HOUSE_PRINT_OPTIONS, page_size="letter")
    elif change == "force":
        force = True
    else:
        record = tmp_path / "dist" / ".hkcq-press.json"
        saved = json.loads(record.read_text(encoding="utf-8"))
        for entry in saved["page_maps"].values():
            entry["starts"] = [{"page": "two"}]
        record.write_text(json.dumps(saved), encoding="utf-8")
    import hkcq_press.pdf.writer

    stock, calls = hkcq_press.pdf.writer.laid_out, []
    monkeypatch.setattr(hkcq_press.pdf.writer, "laid_out", lambda *a, **k: calls.append(1) or stock(*a, **k))
    epub = build(manuscript, tmp_path / "dist", formats=("epub",), print_options=options, force=force).outputs[0].path
    assert calls == [1]
    fresh = build(manuscript, tmp_path / "fresh", formats=("epub",), print_options=options, force=True)
    assert epub.read_bytes() == fresh.outputs[0].path.read_bytes()
