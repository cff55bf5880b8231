"""hkcq-press as an editor runs it: in a project folder, in its own process."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SAMPLE, run_cli

from hkcq_press import __version__

BROKEN = sorted(path for path in (FIXTURES / "broken").iterdir() if path.is_dir())


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
    assert f"wrote {Path('dist') / pdf.name} (2 pages," in result.stdout
    assert f"wrote {Path('dist') / epub.name} (1 article," in result.stdout
    assert sorted(path.name for path in (project / "dist").iterdir()) == sorted([pdf.name, epub.name])


@pytest.mark.parametrize("command, suffix", [("pdf", ".pdf"), ("epub", ".epub")])
def test_each_edition_alone(project: Path, command: str, suffix: str) -> None:
    result = run_cli(command, "--out", "public", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [path.suffix for path in (project / "public").iterdir()] == [suffix]


def test_manuscript_and_out_options(tmp_path: Path) -> None:
    result = run_cli("epub", "--manuscript", str(FIXTURES / "multi"), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "test-edition-two-cities-three-stories.epub").is_file()


@pytest.mark.parametrize("fixture", BROKEN, ids=[path.name for path in BROKEN])
def test_broken_manuscript_names_file_and_line_and_writes_nothing(tmp_path: Path, fixture: Path) -> None:
    shutil.copytree(fixture, tmp_path / "manuscript")
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    expected = (fixture / "expected-errors.txt").read_text(encoding="utf-8").strip()
    assert f"{Path('manuscript')}/{expected}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_failed_build_leaves_the_previous_good_editions_untouched(project: Path) -> None:
    assert run_cli("build", cwd=project).returncode == 0
    before = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    article = project / "manuscript" / "articles" / "chongqing-hong-kong-cooperation.md"
    article.write_text(article.read_text(encoding="utf-8").replace("headline:", "headlne:"), encoding="utf-8")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert "error: the article has no headline" in result.stderr
    assert "warning: unknown key `headlne` is ignored\n  Did you mean `headline`?" in result.stderr
    after = {path.name: path.read_bytes() for path in (project / "dist").iterdir()}
    assert after == before


def test_a_failing_stylesheet_stops_the_build(project: Path) -> None:
    """WeasyPrint only logs a stylesheet it cannot load; hkcq-press refuses to print unstyled."""
    (project / "styles" / "print.css").symlink_to("/etc/hostname")
    result = run_cli("pdf", cwd=project)
    assert result.returncode == 1
    assert "refused to read /etc/hostname" in result.stderr
    assert not (project / "dist").exists()


def test_usage_errors_exit_2(project: Path) -> None:
    assert run_cli(cwd=project).returncode == 2
    assert run_cli("publish", cwd=project).returncode == 2
    assert run_cli("build", "--colour", cwd=project).returncode == 2


def test_help_and_version(project: Path) -> None:
    result = run_cli("--help", cwd=project)
    assert result.returncode == 0
    for command in ("pdf", "epub", "build"):
        assert command in result.stdout
    version = run_cli("--version", cwd=project)
    assert version.stdout.strip() == f"hkcq-press {__version__}"


def test_missing_manuscript_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("build", cwd=tmp_path)
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
