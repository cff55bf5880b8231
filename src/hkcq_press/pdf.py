"""The print edition: model → print HTML (house style) → WeasyPrint → PDF.

WeasyPrint reports what it cannot load only in its log and writes the PDF anyway;
here every such failure stops the build with a message, and the URL fetcher
reads nothing but regular files of the manuscript and the house style.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .errors import ManuscriptError, Problem
from .model import Edition
from .render import HouseStyle

PRINT_LAYOUT = "print/edition.html"


@dataclass(frozen=True, slots=True)
class PdfResult:
    pages: int
    warnings: list[Problem]


def print_html(edition: Edition, style: HouseStyle) -> str:
    """The print layout rendered: one HTML document holding the whole edition."""
    return style.render(
        PRINT_LAYOUT,
        edition=edition,
        style_url=lambda name: style.find(name).as_uri(),
        image_url=lambda figure: figure.source.as_uri(),
    )


def write_pdf(edition: Edition, style: HouseStyle, target: Path) -> PdfResult:
    html = print_html(edition, style)
    # Imported here, not at the top: loading WeasyPrint costs more than half a
    # second, which `--help`, `check` and the EPUB build should not pay.
    import weasyprint

    fetcher = _confined_fetcher(weasyprint.URLFetcher, (edition.source_dir, *style.directories))
    layout_path = style.find(PRINT_LAYOUT)
    with _weasyprint_log() as records:
        document = weasyprint.HTML(
            string=html, base_url=edition.source_dir.as_uri() + "/", url_fetcher=fetcher
        ).render()
        document.write_pdf(target)
    errors = [Problem(layout_path, None, message) for level, message in records if level == "error"]
    if errors:
        raise ManuscriptError(errors)
    warnings = [
        Problem(layout_path, None, message, severity="warning") for level, message in records if level == "warning"
    ]
    return PdfResult(pages=len(document.pages), warnings=warnings)


def _confined_fetcher(base: type, roots: tuple[Path, ...]):  # type: ignore[no-untyped-def]
    """A WeasyPrint fetcher that opens only regular files under `roots`: no network,
    no device, nothing outside the manuscript and the house style."""
    allowed = tuple(root.resolve() for root in roots)

    class ConfinedFetcher(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: object = None):  # type: ignore[no-untyped-def]
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise ValueError(f"refused to fetch {url}: only files of the manuscript and its styles are read")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if not any(path.is_relative_to(root) for root in allowed) or not path.is_file():
                raise ValueError(f"refused to read {path}: not a file of the manuscript or its styles")
            return super().fetch(url, headers)

    return ConfinedFetcher()


@contextmanager
def _weasyprint_log() -> Iterator[list[tuple[str, str]]]:
    """Collect WeasyPrint's log while it renders: ('error'|'warning', message) pairs."""
    records: list[tuple[str, str]] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if record.levelno >= logging.ERROR or message.startswith("Failed to load font"):
                records.append(("error", message))
            elif record.levelno >= logging.WARNING:
                records.append(("warning", message))

    logger = logging.getLogger("weasyprint")
    handler = Collector(logging.DEBUG)
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate
