"""Body syntax, case by case: each file of tests/fixtures/body/ holds markdown-it-style
cases (title, the Markdown a desk writes, the blocks or the messages expected), so a
new construct is a new case, not new test code."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from markdown_it.utils import read_fixture_file

from hkcq_press.model.blocks import (
    Block, BlockQuote, Code, Correction, Crosshead, Factbox, Figure, ListBlock, PullQuote, Table,
)
from hkcq_press.errors import Diagnostics
from hkcq_press.reader.body import BodyParser

ARTICLE = Path("/desk/articles/story.md")
CASES = [
    pytest.param(path, title, source, expected, id=f"{path.stem}:{line}")
    for path in sorted((FIXTURES / "body").glob("*.md"))
    for line, title, source, expected in read_fixture_file(path)
]


def dump(blocks: tuple[Block, ...], indent: str = "") -> list[str]:
    """The blocks as one line each (nested ones indented): kind, line, what matters."""
    lines: list[str] = []
    for block in blocks:
        head = f"{indent}{block.kind} {block.line}"
        if isinstance(block, Crosshead):
            lines.append(f"{head} h{block.level} #{block.anchor}: {block.text}")
        elif isinstance(block, Figure):
            caption = block.caption.text if block.caption else None
            lines.append(f"{head} {block.source.name} alt={block.alt!r} caption={caption!r} credit={block.credit!r}")
        elif isinstance(block, Table):
            caption = f" caption={block.caption.text!r}" if block.caption else ""
            lines.append(f"{head}{caption} align={','.join(a or '-' for a in block.column_alignments)}")
            lines.extend(f"{indent}  | {' | '.join(cell.text for cell in row)}" for row in (block.header, *block.rows))
        elif isinstance(block, ListBlock):
            lines.append(f"{head} {'ordered from ' + str(block.start) if block.ordered else 'bullets'}"
                         f"{', tight' if block.tight else ''}")
            for item in block.items:
                lines.append(f"{indent}  item{' [' + item.task + ']' if item.task else ''}")
                lines.extend(dump(item.blocks, indent + "    "))
        elif isinstance(block, (BlockQuote, Correction, Factbox)):
            title = f" {block.title!r}" if isinstance(block, Factbox) and block.title else ""
            lines.append(head + title)
            lines.extend(dump(block.blocks, indent + "  "))
        elif isinstance(block, (PullQuote, Code)):
            lines.append(f"{head}: {block.text!r}")
        else:
            lines.append(f"{head}: {block.text}" if block.text else head)
    return lines


@pytest.mark.parametrize("path, title, source, expected", CASES)
def test_body_case(path: Path, title: str, source: str, expected: str) -> None:
    report = Diagnostics()
    body = BodyParser().parse(source, ARTICLE, "story", 1, report, lambda written, line: ARTICLE.parent / written)
    got = dump(body.blocks) + dump(body.corrections)
    got += [f"note {note.number} [^{note.label}] {note.line}: {note.text}" for note in body.footnotes]
    got += [f"{problem.severity} {problem.line}: {problem.message}" for problem in report.problems]
    assert "\n".join(got) == expected.rstrip("\n"), title
