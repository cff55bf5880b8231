"""Changes to how WeasyPrint works, never to what it writes. Each is proven, on the
WeasyPrint versions in `PROVEN_ON`, to leave the PDF byte for byte as stock
WeasyPrint writes it (tests/test_tuning.py), and is left off on any other version.

- Tagging in linear time. The tag writer asks pydyf for a page's reference once
  per tagged element, and pydyf rebuilds the tuple of every page's reference at each
  ask: tagging is quadratic in pages (15 s of a 1,000-page edition's 36 s of CPU).
  While the tags are written, no page is added, so here the tuple is built once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PROVEN_ON = frozenset({"70.0"})
"""The WeasyPrint versions whose output these changes are proven not to change."""

_SWAPPING = threading.Lock()
"""Held while WeasyPrint's tag writer is swapped for the tuned one: one write at a time."""


def applies() -> bool:
    import weasyprint

    return weasyprint.__version__ in PROVEN_ON


@contextmanager
def tuned_writing() -> Iterator[None]:
    """Within the block, WeasyPrint writes PDFs with the tuned tag writer, when proven
    on the installed version; otherwise it writes them as it always does."""
    if not applies():
        yield
        return
    from weasyprint import pdf as weasyprint_pdf

    with _SWAPPING:
        stock = weasyprint_pdf.add_tags
        weasyprint_pdf.add_tags = _with_page_references_once(stock)
        try:
            yield
        finally:
            weasyprint_pdf.add_tags = stock


def _with_page_references_once(add_tags: Callable[..., Any]) -> Callable[..., Any]:
    def add_tags_in_linear_time(pdf: Any, *arguments: Any) -> Any:
        stock = type(pdf)
        # The same object, whose page references are, for the while, a fixed tuple.
        pdf.__class__ = type(stock.__name__, (stock,), {"page_references": pdf.page_references})
        try:
            return add_tags(pdf, *arguments)
        finally:
            pdf.__class__ = stock

    return add_tags_in_linear_time
