"""The markup of the fixture editions, pinned: the print HTML and every member of the
EPUB, compared exactly with reviewed copies under tests/golden/. Builds are
reproducible, so any difference is a change of markup: a lost `role`, a renamed
class a desk's styles/ depends on, a reordered element.

After an intended change:

    .venv/bin/python -m pytest tests/test_golden.py tests/test_visual.py --update-golden

then review `git diff tests/golden tests/references` before committing it with the
change that explains it. Font and picture members are compared by name only: their
bytes depend on the HarfBuzz that cut them down.
"""

from __future__ import annotations

import difflib
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import CHINESE, DESKWEEK, MULTI, ROOT, SAMPLE, SECTIONS

from hkcq_press.build import build
from hkcq_press.reader.edition import load_edition
from hkcq_press.pdf.writer import print_html
from hkcq_press.style.house import HouseStyle

GOLDEN = Path(__file__).resolve().parent / "golden"
EDITIONS = {"sample": SAMPLE, "multi": MULTI, "chinese": CHINESE, "deskweek": DESKWEEK, "sections": SECTIONS}
TEXT_MEMBERS = (".xhtml", ".opf", ".ncx", ".css", ".xml", ".svg", "mimetype")
EPOCH = "1767571200"


def markup(name: str, manuscript: Path, scratch: Path) -> dict[str, str]:
    """The edition's markup by file name: `print.html` with this checkout's folder as
    `ROOT`, every text member of the EPUB, and `epub/MEMBERS` listing all members."""
    styles = ROOT / "styles" if name == "sample" else None
    result = build(manuscript, scratch, formats=("epub",), styles_dir=styles)
    files: dict[str, str] = {}
    with zipfile.ZipFile(result.outputs[0].path) as archive:
        members = archive.namelist()
        files["epub/MEMBERS"] = "\n".join(members) + "\n"
        for member in members:
            if member.endswith(TEXT_MEMBERS):
                files[f"epub/{member}"] = archive.read(member).decode("utf-8")
    edition, _ = load_edition(manuscript)
    html = print_html(edition, HouseStyle(styles))
    files["print.html"] = html.replace(ROOT.as_uri(), "file://ROOT")
    return files


def stored(name: str) -> dict[str, str]:
    folder = GOLDEN / name
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


@pytest.mark.parametrize("name", list(EDITIONS))
def test_markup_is_as_reviewed(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    actual = markup(name, EDITIONS[name], tmp_path)
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN / name, ignore_errors=True)
        for relative, text in actual.items():
            (GOLDEN / name / relative).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name / relative).write_text(text, encoding="utf-8")
        pytest.skip(f"golden markup of {name} rewritten: review the diff before committing")
    expected = stored(name)
    assert sorted(actual) == sorted(expected), "the files of the edition changed"
    for relative in expected:
        if actual[relative] != expected[relative]:
            diff = "".join(difflib.unified_diff(
                expected[relative].splitlines(keepends=True), actual[relative].splitlines(keepends=True),
                f"golden/{name}/{relative}", "built", n=2,
            ))
            pytest.fail(f"the markup of {relative} changed:\n{diff[:4000]}")


def test_a_changed_class_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison sees a one-word change of a shared layout."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    styles = tmp_path / "styles"
    (styles / "partials").mkdir(parents=True)
    credit = (ROOT / "src" / "hkcq_press" / "layouts" / "partials" / "credit.html").read_text(encoding="utf-8")
    (styles / "partials" / "credit.html").write_text(credit.replace('class="credit"', 'class="credits"'),
                                                     encoding="utf-8")
    edition, _ = load_edition(MULTI)
    assert print_html(edition, HouseStyle(styles)).replace(ROOT.as_uri(), "file://ROOT") != stored("multi")["print.html"]
