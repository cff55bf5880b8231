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
    FileSystemBytecodeCache,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it.token import Token

from hkcq_press.errors import ManuscriptError, Problem

PACKAGE_LAYOUTS = Path(__file__).resolve().parent.parent / "layouts"


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
                FileSystemLoader([str(directory) for directory in self.directories]),
                PrefixLoader({"default": FileSystemLoader(str(PACKAGE_LAYOUTS))}),
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
            raise ManuscriptError([Problem(
                self.directories[0] / str(error.name), None, f"the layout `{error.name}` does not exist",
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
