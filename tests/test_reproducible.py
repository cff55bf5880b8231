"""The same manuscript built twice gives the same bytes, whatever the machine's time zone."""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import CHINESE, MULTI, ROOT, SAMPLE, run_cli

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


def test_without_source_date_epoch_the_build_time_is_used(tmp_path: Path) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = run_cli("epub", "--manuscript", str(SAMPLE), "--out", str(tmp_path), cwd=tmp_path,
                     env={"SOURCE_DATE_EPOCH": ""})
    assert result.returncode == 0, result.stderr
    (epub,) = tmp_path.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    modified = re.search(r'"dcterms:modified">([^<]+)<', opf).group(1)
    stamp = datetime.strptime(modified, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= stamp <= datetime.now(timezone.utc)
