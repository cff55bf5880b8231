"""The house style: one Jinja2 environment over the project's `styles/` and the defaults.

A file in the project's `styles/` replaces the package's file of the same name,
the way Sphinx and MkDocs themes are overridden; `default/<name>` always reaches
the package's own file, so an override can extend the layout it replaces.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path, PurePath
from typing import Any

from jinja2 import (
    nodes,
    FileSystemBytecodeCache,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it.token import Token

from hkcq_press.errors import ManuscriptError, Problem

PACKAGE_LAYOUTS = Path(__file__).resolve().parent.parent / "layouts"
LAYOUT_SUFFIXES = (".html", ".xhtml", ".svg")
"""The house style's files that are layouts (rendered by Jinja2), not stylesheets or fonts."""
LAYOUT_NAMES_HINT = ("A layout can include or extend only the house style's layouts, by their names under "
                     "styles/ (such as partials/credit.html).")


def confined_to(folders: tuple[Path, ...], path: Path, referrer: Path, line: int | None) -> Path:
    """`path` with links followed, if it is a regular file inside one of `folders`;
    otherwise a located error: nothing outside the house style reaches an edition, and
    nothing of a file refused is ever shown."""
    resolved = path.resolve()
    if not resolved.exists():
        problem = f"`{path.name}` does not exist (looked for {resolved})"
    elif not any(resolved.is_relative_to(folder.resolve()) for folder in folders):
        problem = f"`{path.name}` is not a file of the house style (it is {resolved})"
    elif not resolved.is_file():
        problem = f"`{path.name}` is not a regular file"
    else:
        return resolved
    raise ManuscriptError([Problem(
        referrer, line, problem,
        "Keep the house style's files inside its folder, as regular files, not links to files elsewhere; "
        "a file is named relative to the one that names it.",
    )])


class ConfinedLoader(FileSystemLoader):
    """Jinja2's file loader, refusing a layout that is a link to a file outside its folder
    before reading it (Jinja2 follows links)."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            candidate = Path(folder, *pieces)
            if candidate.is_file() or candidate.is_symlink():
                confined_to((Path(folder),), candidate, candidate, None)
                break
        return super().get_source(environment, template)


class LayoutSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox, also closed around the model's file paths (a layout sees a
    file's name, never opens it or walks to its neighbours) and markdown-it's tokens
    (their fields, not their methods)."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, PurePath):
            return attr in ("name", "stem", "suffix")
        if isinstance(obj, Token):
            return not callable(value) and super().is_safe_attribute(obj, attr, value)
        return super().is_safe_attribute(obj, attr, value)


class HouseStyle:
    """Finds layouts, stylesheets and fonts, project first, and renders the layouts."""

    def __init__(self, styles_dir: Path | None = None) -> None:
        candidates = (styles_dir.resolve() if styles_dir else None, PACKAGE_LAYOUTS)
        self.directories: tuple[Path, ...] = tuple(d for d in candidates if d is not None and d.is_dir())
        # Sandboxed: a partner press's styles/ is data, never code. Its layouts can show
        # the model's fields and call what the writers hand them, but not reach
        # private attributes, Python's internals or the files and commands behind them.
        self.environment = LayoutSandbox(
            loader=ChoiceLoader([
                ConfinedLoader([str(directory) for directory in self.directories]),
                PrefixLoader({"default": ConfinedLoader(str(PACKAGE_LAYOUTS))}),
            ]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Compiled layouts are kept (in the system's temporary folder, keyed by
            # each layout's checksum): compiling them anew costs every build ~10 ms.
            # Named for the sandbox: Jinja2 keys its cache by the layout's source only, and
            # code compiled outside a sandbox must never be loaded into one.
            bytecode_cache=FileSystemBytecodeCache(pattern="hkcq-press-sandboxed-layout-%s.cache"),
            # A build makes its own HouseStyle: its layouts cannot change while it runs.
            auto_reload=False,
        )
        # Least privilege: a layout has no use for generated filler text or Python objects
        # that carry state between calls; range, dict and namespace stay.
        for unused in ("lipsum", "cycler", "joiner"):
            del self.environment.globals[unused]
        self._block_layouts: dict[tuple[str, str], str] = {}
        self.environment.globals["block_layout"] = self.block_layout
        self.environment.filters["isbn"] = printed_isbn

    def block_layout(self, edition_kind: str, kind: str) -> str:
        """The layout of a kind of block in an edition: the edition's own
        (`print/blocks/<kind>.html`) where the house style has one, else the shared
        `blocks/<kind>.html`. Looked up once a build, not once a block."""
        key = (edition_kind, kind)
        if key not in self._block_layouts:
            names = [f"{edition_kind}/blocks/{kind}.html", f"blocks/{kind}.html"]
            self._block_layouts[key] = self.environment.select_template(names).name or names[-1]
        return self._block_layouts[key]

    def check_layouts(self) -> None:
        """The project's own layouts read as rendering reads them, before anything is
        rendered: each a file of the house style, parsed, and every layout it names by
        its name one that exists. What a build would refuse, `check` refuses too."""
        problems: list[Problem] = []
        for folder in self.directories:
            if folder == PACKAGE_LAYOUTS:
                continue
            for path in sorted(folder.rglob("*")):
                if path.suffix not in LAYOUT_SUFFIXES or not (path.is_file() or path.is_symlink()):
                    continue
                try:
                    confined_to((folder,), path, path, None)
                    name = path.relative_to(folder).as_posix()
                    tree = self.environment.parse(path.read_text(encoding="utf-8"), name, str(path))
                except ManuscriptError as error:
                    problems.extend(error.problems)
                    continue
                except TemplateSyntaxError as error:
                    problems.append(Problem(path, error.lineno, f"layout error: {error.message}"))
                    continue
                except UnicodeDecodeError:
                    problems.append(Problem(path, None, "the layout is not UTF-8 text",
                                            "Save it as UTF-8 in your editor."))
                    continue
                problems.extend(self._unknown_layouts(tree, path))
        if problems:
            raise ManuscriptError(problems)

    def _unknown_layouts(self, tree: nodes.Template, path: Path) -> list[Problem]:
        """Each layout `tree` includes, extends or imports by name that does not exist."""
        problems = []
        for node in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
            if getattr(node, "ignore_missing", False):
                continue
            named = node.template
            names = [item.value for item in named.items] if isinstance(named, (nodes.List, nodes.Tuple)) \
                else [named.value] if isinstance(named, nodes.Const) else []
            if not all(isinstance(name, str) for name in names):
                continue
            if names and not any(self._exists(name) for name in names):
                problems.append(Problem(
                    path, node.lineno, f"the layout names `{names[0]}`, which is not a layout of the house style",
                    LAYOUT_NAMES_HINT,
                ))
        return problems

    def _exists(self, name: str) -> bool:
        try:
            self.environment.loader.get_source(self.environment, name)  # type: ignore[union-attr]
        except TemplateNotFound:
            return False
        return True

    def find(self, name: str) -> Path:
        """The file that serves `name`: the project's if it has one, else the default."""
        for directory in self.directories:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        raise ManuscriptError([Problem(
            self.directories[0] / name, None, f"the style file `{name}` does not exist",
            "Restore it, or delete the override so the default is used.",
        )])

    def render(self, template: str, **context: Any) -> str:
        try:
            return self.environment.get_template(template).render(**context)
        except TemplateNotFound as error:
            if error.name == template:
                raise ManuscriptError([Problem(
                    self.directories[0] / template, None, f"the layout `{template}` does not exist",
                )]) from error
            # A layout named another that is not one: the fault is in the one that named it.
            path, line = _template_location(template)
            raise ManuscriptError([Problem(
                path, line, f"the layout names `{error.name}`, which is not a layout of the house style",
                LAYOUT_NAMES_HINT,
            )]) from error
        except TemplateSyntaxError as error:
            raise ManuscriptError([Problem(
                Path(error.filename or template), error.lineno, f"layout error: {error.message}",
            )]) from error
        except TemplateError as error:
            path, line = _template_location(template)
            raise ManuscriptError([Problem(
                path, line, f"layout error: {error.message}",
                "A layout uses a name the document model does not have; check its spelling.",
            )]) from error


def _template_location(template: str) -> tuple[Path, int | None]:
    """Where in a layout the error being handled happened (the innermost template frame)."""
    frames = traceback.extract_tb(sys.exc_info()[2])
    for frame in reversed(frames):
        if frame.filename.endswith((".html", ".xhtml")):
            return Path(frame.filename), frame.lineno
    return Path(template), None


def printed_isbn(isbn: str) -> str:
    """An ISBN as printed: hyphenated by its registration group, registrant and
    publication (isbnlib's copy of the International ISBN Agency's ranges); as written
    when the ranges do not place it."""
    import isbnlib

    return isbnlib.mask(isbn) or isbn
