"""`check` refuses exactly what a build would refuse, at the same file and line: a desk
that runs `check` before sending an edition to press is never surprised by the build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from hkcq_press.cli import main

BROKEN = sorted(path for path in (FIXTURES / "broken").iterdir() if path.is_dir())


def run(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The exit status and every located message (the closing tally, which says
    whether anything was written, aside)."""
    status = main(arguments)
    lines = capsys.readouterr().err.splitlines()
    return status, "\n".join(line for line in lines if not line.startswith("hkcq-press: "))


@pytest.mark.parametrize("fixture", BROKEN, ids=[path.name for path in BROKEN])
def test_check_and_build_give_the_same_verdict_and_messages(
    fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(fixture, tmp_path / "manuscript")
    monkeypatch.chdir(tmp_path)
    options = fixture / "options.txt"
    extra = options.read_text(encoding="utf-8").split() if options.exists() else []
    checked = run(["check", *extra], capsys)
    built = run(["build", *extra], capsys)
    assert checked == built
    status, messages = checked
    expected = (fixture / ("expected-errors.txt" if status else "expected-warnings.txt")).read_text(encoding="utf-8")
    assert status == (1 if (fixture / "expected-errors.txt").exists() else 0)
    for message in expected.strip().split("\n"):
        assert message.strip() in messages
    assert (tmp_path / "dist").exists() == (status == 0)
