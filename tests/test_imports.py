"""The package's imports point one way: read from its source (ast), every run of the
suite. A new arrow against a rule fails here, naming the module and what it imports.

The folders are the stages: `model/` (what an edition says), `reader/` (manuscript in,
model out), `style/` (the house style), `markup/` (the HTML both editions share),
`pdf/` with `pdf/parallel/` (the print edition, and laying it out side by side),
`epub/`, `verify/`, `preview/`, `commands/` (a module per command); the command line, `build()` and
their helpers at the top.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "hkcq_press"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, for_types_too: bool = False) -> set[str]:
    """The package's modules `path` imports when it runs (and, `for_types_too`, those
    imported only for type checking), by dotted name below `hkcq_press`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = set() if for_types_too else {
        id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in checking or node.level:
            continue
        module = node.module or ""
        if module == "hkcq_press":
            found |= {alias.name for alias in node.names}
        elif module.startswith("hkcq_press."):
            base = module.removeprefix("hkcq_press.")
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}
    return found


MODULES = {_module(path) for path in PACKAGE.rglob("*.py")}
GRAPH = {_module(path): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}
NAMED = {_module(path): _imports(path, for_types_too=True) for path in sorted(PACKAGE.rglob("*.py"))}
"""What each module names, types included."""


def _in(module: str, *folders: str) -> bool:
    return any(module == folder or module.startswith(f"{folder}.") for folder in folders)


def test_the_graph_is_read() -> None:
    assert {"reader.edition", "pdf.writer", "epub.writer", "pdf.parallel.parts"} <= GRAPH.keys()
    assert "model.edition" in GRAPH["reader.edition"] and "pdf.parallel.messages" in GRAPH["pdf.parallel.worker"]


def test_every_relative_import_was_made_absolute() -> None:
    relative = [_module(path) for path in PACKAGE.rglob("*.py")
                if any(isinstance(node, ast.ImportFrom) and node.level
                       for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))]
    assert relative == []


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


@pytest.mark.parametrize("module", sorted(module for module in GRAPH if _in(module, "model")))
def test_the_model_imports_nothing_but_the_model(module: str) -> None:
    assert {imported for imported in GRAPH[module] if not _in(imported, "model")} == set()


@pytest.mark.parametrize("module", sorted(module for module in GRAPH if _in(module, "reader")))
def test_the_reader_imports_no_writer_and_not_the_house_style(module: str) -> None:
    """The house style tells the reader what it can print (`reader.characters.Printable`)."""
    assert {imported for imported in GRAPH[module]
            if _in(imported, "markup", "pdf", "epub", "verify", "preview", "style")} == set()


@pytest.mark.parametrize("module", sorted(module for module in GRAPH if _in(module, "pdf", "epub", "markup")))
def test_a_writer_imports_nothing_of_the_reader(module: str) -> None:
    assert {imported for imported in GRAPH[module] if _in(imported, "reader")} == set()


def test_only_the_print_edition_names_the_parallel_modules() -> None:
    """Not even for a type: the parallel layout is the print edition's business."""
    naming = {module for module, imported in NAMED.items()
              if any(_in(name, "pdf.parallel") for name in imported) and not _in(module, "pdf")}
    assert naming == set()


def test_the_commands_are_reached_only_from_the_command_line() -> None:
    """The commands are a thin layer over the API: nothing but `cli` imports them, and
    they import nothing of `cli`."""
    assert {module for module, imported in GRAPH.items()
            if any(_in(name, "commands") for name in imported) and not _in(module, "commands", "cli")} == set()
    assert {module for module in GRAPH if _in(module, "commands") and "cli" in GRAPH[module]} == set()


@pytest.mark.slow
def test_without_the_parallel_folder_a_build_of_one_job_writes_the_same_editions(tmp_path: Path) -> None:
    """The parallel layout is an addition behind one seam (`pdf/printing.py`): the
    package without it builds an edition of sections at `--jobs 1`, byte for byte."""
    bare = tmp_path / "bare"
    shutil.copytree(PACKAGE, bare / "hkcq_press", ignore=shutil.ignore_patterns("parallel", "__pycache__"))
    manuscript = tmp_path / "manuscript"
    shutil.copytree(PACKAGE.parent.parent / "tests" / "fixtures" / "sections", manuscript)
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}

    def built(package_root: Path, out: Path) -> dict[str, bytes]:
        run = subprocess.run(
            [sys.executable, "-c", "import sys; from hkcq_press.cli import main; sys.exit(main(sys.argv[1:]))",
             "build", "--jobs", "1", "--manuscript", str(manuscript), "--out", str(out)],
            env={**environment, "PYTHONPATH": str(package_root)}, capture_output=True, text=True, cwd=tmp_path,
        )
        assert run.returncode == 0, run.stderr
        return {path.name: path.read_bytes() for path in out.iterdir() if path.suffix in {".pdf", ".epub"}}

    probe = subprocess.run([sys.executable, "-c", "import hkcq_press.pdf.parallel"],
                           env={**environment, "PYTHONPATH": str(bare)}, capture_output=True, text=True)
    assert "No module named 'hkcq_press.pdf.parallel'" in probe.stderr
    without = built(bare, tmp_path / "without")
    assert len(without) == 2
    assert without == built(PACKAGE.parent, tmp_path / "with")
