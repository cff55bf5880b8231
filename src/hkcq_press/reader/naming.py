"""Names made from copy: file-name-safe slugs, unique within their scope."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str, fallback: str = "edition") -> str:
    """Fold to ASCII, lower case, words joined by hyphens."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.split(r"[^a-z0-9]+", ascii_text.lower())
    return "-".join(word for word in words if word) or fallback


def unique(key: str, taken: set[str]) -> str:
    """`key`, or `key-2`, `key-3`… if it is taken; the result is added to `taken`."""
    candidate, number = key, 2
    while candidate in taken:
        candidate, number = f"{key}-{number}", number + 1
    taken.add(candidate)
    return candidate
