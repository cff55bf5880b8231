"""Rules about characters: which cannot be published, which the house typefaces
cannot print, and how copy is compared (a pull quote with its article).

Each rule names the characters it refuses, so an editor can find and fix them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Embeddings, overrides and isolates: they reorder what a reader sees, so that the
editions would show other words than the desk wrote and the checks read."""

REFUSED = re.compile(f"{FORBIDDEN.pattern}|{BIDI_CONTROLS.pattern}")
"""Every character `refusals` reports: what is read on without them."""


def refusals(text: str) -> list[tuple[str, str]]:
    """Why `text` cannot be published as it is, each (problem, what to do); empty when it can."""
    found: list[tuple[str, str]] = []
    if forbidden := FORBIDDEN.findall(text):
        found.append((f"characters that cannot be published: {describe(sorted(set(forbidden)))}",
                      "Delete them; they usually come from copying text out of another program."))
    if reordering := BIDI_CONTROLS.findall(text):
        found.append((
            f"bidirectional controls, which show the reader the words in another order than they are written: "
            f"{describe(sorted(set(reordering)))}",
            "Delete them. Right-to-left words (Arabic, Hebrew) need none: type them in reading order and every "
            "reading system sets them right to left by themselves.",
        ))
    return found


def unprintable_characters(text: str, printable: frozenset[int]) -> list[str]:
    """Characters no house typeface has. White space and invisible format characters
    need no glyph."""
    return sorted(
        char for char in set(text)  # each character once: copy repeats a few dozen
        if ord(char) not in printable and not char.isspace() and unicodedata.category(char) != "Cf"
    )


def describe(chars: list[str]) -> str:
    return ", ".join(
        f"U+{ord(char):04X} ({unicodedata.name(char, 'control character' if ord(char) < 0xA0 else 'no name')})"
        + (f" {char}" if char.isprintable() else "")
        for char in chars
    )


@dataclass(frozen=True, slots=True)
class Printable:
    """What the house typefaces can print, as the house style tells the reader."""

    characters: frozenset[int]
    chinese_installed: bool = True
    """Whether the Chinese faces are installed: if so, a Chinese character missing is
    a rare one to replace; if not, the faces are what to install."""


def unprintable_message(what: str, missing: list[str], printable: Printable) -> tuple[str, str]:
    hint = "Replace them, or add a typeface that has them to the house style (fonts.css)."
    if any(unicodedata.name(char, "").startswith("CJK") for char in missing):
        if printable.chinese_installed:
            hint = ("Not even Noto Serif HK, TC or SC has them: replace each with its common form, or add a "
                    "typeface that has them to the house style (fonts.css).")
        else:
            hint = "The Chinese typefaces are not installed: `hkcq-press fonts install` installs them."
    return f"{what} has characters the house typefaces cannot print: {describe(missing)}", hint


def normalise_words(text: str) -> str:
    """Unicode NFC with whitespace runs collapsed: how copy is compared."""
    return " ".join(unicodedata.normalize("NFC", text).split())
