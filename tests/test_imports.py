"""The package's imports point one way: read from its source (ast), every run of the
suite. A new arrow against a rule fails here, naming the module and what it imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "hkcq_press"

READER = frozenset({"manuscript", "markdown", "yamlfields", "characters", "naming", "pullquotes", "images",
                    "addresses", "dates"})
"""Manuscript in, model out."""
WRITERS = frozenset({"pdf", "epub", "typesetting", "inline", "pagemap", "placement", "chinese", "printing"})
"""Model in, editions out."""
PARALLEL = frozenset({"layout_process", "parts", "part_process", "partjobs", "partcache", "pdfjoin",
                      "weasyprint_parts"})
"""What `--jobs` needs to lay an edition out in parts, side by side."""
PARALLEL_IMPORTED_BY = frozenset({"printing", "pdf", "typesetting"})
"""The modules outside the parallel ones that name them: the print layout's one
decision (`printing`), the writer that follows it (`pdf`), and the engine that stops a
part whose pages moved (`typesetting`, `PartDiverged`). The command line and
`build()` know only a `Printer`."""


def _imports(path: Path) -> set[str]:
    """The package's modules `path` imports when it runs: not those imported only for
    type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {
        id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in checking:
            found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
    return found


GRAPH = {path.stem: _imports(path) for path in sorted(PACKAGE.glob("*.py"))}


def test_the_graph_is_read() -> None:
    assert {"manuscript", "pdf", "epub", "parts"} <= GRAPH.keys()
    assert "model" in GRAPH["manuscript"] and "partjobs" in GRAPH["part_process"]


def test_no_module_imports_itself_through_others() -> None:
    def circle_from(start: str) -> list[str] | None:
        path, seen = [start], set()

        def visit(module: str) -> list[str] | None:
            for imported in sorted(GRAPH.get(module, ())):
                if imported == start:
                    return [*path, start]
                if imported not in seen:
                    seen.add(imported)
                    path.append(imported)
                    if found := visit(imported):
                        return found
                    path.pop()
            return None

        return visit(start)

    circles = [" → ".join(circle) for module in GRAPH if (circle := circle_from(module))]
    assert circles == []


@pytest.mark.parametrize("module", sorted(READER))
def test_the_reader_imports_no_writer_and_nothing_of_the_parallel_layout(module: str) -> None:
    assert GRAPH[module] & (WRITERS | PARALLEL) == set()


@pytest.mark.parametrize("module", ["pdf", "epub"])
def test_a_writer_imports_nothing_of_the_reader(module: str) -> None:
    assert GRAPH[module] & READER == set()


def test_only_the_print_layout_names_the_parallel_modules() -> None:
    assert not GRAPH["cli"] & PARALLEL and not GRAPH["build"] & PARALLEL
    naming = {module for module, imported in GRAPH.items() if imported & PARALLEL and module not in PARALLEL}
    assert naming <= PARALLEL_IMPORTED_BY
