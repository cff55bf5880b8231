"""The same manuscript built twice gives the same bytes, whatever the machine's time zone."""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import CHINESE, MULTI, ROOT, SAMPLE, run_cli, run_cli_here
from hypothesis import given
from hypothesis import strategies as st

from hkcq_press.outputs import UnreadableBuildDate, build_date

EPOCH = "1767571200"  # 2026-01-05T00:00:00Z


@pytest.mark.parametrize("manuscript", [
    pytest.param(SAMPLE, id="sample", marks=pytest.mark.slow), pytest.param(MULTI, id="multi"),
    pytest.param(CHINESE, id="chinese", marks=pytest.mark.slow),
])
def test_two_builds_are_byte_identical(tmp_path: Path, manuscript: Path) -> None:
    shutil.copytree(manuscript, tmp_path / "manuscript")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    first = run_cli("build", "--out", "first", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH, "TZ": "UTC"})
    assert first.returncode == 0, first.stderr
    time.sleep(1.1)  # a clock that leaked into the files would now read differently
    second = run_cli("build", "--out", "second", cwd=tmp_path,
                     env={"SOURCE_DATE_EPOCH": EPOCH, "TZ": "Asia/Hong_Kong"})
    assert second.returncode == 0, second.stderr
    names = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert names == sorted(path.name for path in (tmp_path / "second").iterdir())
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_epub_dates_and_layout_follow_source_date_epoch(tmp_path: Path) -> None:
    result = run_cli("epub", "--manuscript", str(SAMPLE), "--out", str(tmp_path), cwd=tmp_path,
                     env={"SOURCE_DATE_EPOCH": EPOCH, "TZ": "America/New_York"})
    assert result.returncode == 0, result.stderr
    (epub,) = tmp_path.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
        assert {info.date_time for info in archive.infolist()} == {(2026, 1, 5, 0, 0, 0)}
        assert '<meta property="dcterms:modified">2026-01-05T00:00:00Z</meta>' in archive.read(
            "EPUB/content.opf").decode()


def test_without_source_date_epoch_the_build_time_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = run_cli("epub", "--manuscript", str(SAMPLE), "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (epub,) = tmp_path.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    modified = re.search(r'"dcterms:modified">([^<]+)<', opf).group(1)
    stamp = datetime.strptime(modified, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= stamp <= datetime.now(timezone.utc)


@pytest.mark.parametrize("value", ["", " ", "1.5", "2026-01-05", "1767571200s", "0x10", "99999999999999999999"])
@pytest.mark.parametrize("command", ["check", "pdf", "epub", "build", "fit"])
def test_a_source_date_epoch_that_is_no_time_is_one_message_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, value: str,
) -> None:
    # The font tools read it too: a value they cannot read was a traceback from deep in the layout.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    out = ("--out", str(tmp_path / "dist")) if command in ("pdf", "epub", "build") else ()
    result = run_cli_here(command, "--manuscript", str(CHINESE), *out, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"hkcq-press: SOURCE_DATE_EPOCH is set to {value!r}, which is not a time: set it to the whole number of "
        "seconds since 1970-01-01 UTC that the editions are to be dated by (what `date +%s` prints), or unset it "
        "to date them when they are written"
    ]
    assert not (tmp_path / "dist").exists()


def test_the_preview_refuses_a_source_date_epoch_that_is_no_time_before_it_serves(tmp_path: Path) -> None:
    result = run_cli("preview", "--manuscript", str(SAMPLE), "--port", "0", cwd=tmp_path,
                     env={"SOURCE_DATE_EPOCH": "soon"})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("hkcq-press: SOURCE_DATE_EPOCH is set to 'soon', which is not a time: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(("epoch", "archived", "modified"), [
    ("-86400", (1980, 1, 1, 0, 0, 0), "1969-12-31T00:00:00Z"),
    ("253402300799", (2107, 12, 31, 23, 59, 58), "9999-12-31T23:59:59Z"),
])
def test_the_earliest_and_latest_dates_build_each_as_near_as_a_zip_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: str, archived: tuple[int, ...], modified: str,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = run_cli_here("build", "--manuscript", str(CHINESE), "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (epub,) = tmp_path.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        assert {info.date_time for info in archive.infolist()} == {archived}
        assert f'<meta property="dcterms:modified">{modified}</meta>' in archive.read("EPUB/content.opf").decode()
    assert len(list(tmp_path.glob("*.pdf"))) == 1


@given(st.text(st.characters(blacklist_characters="\x00"), max_size=24) | st.integers().map(str))
def test_any_source_date_epoch_is_a_date_or_refused(value: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", value)
        try:
            dated = build_date()
        except UnreadableBuildDate as refused:
            assert repr(value[:40]) in str(refused)
        else:
            assert dated is not None and int(dated.timestamp()) == int(value)
