"""Which characters the house style can print: the union of its typefaces' character maps.

The typefaces are the ones `fonts.css` declares with `@font-face`. A character none
of them has would fall back to whatever the machine has, or print as an empty
box, so the manuscript reader refuses it by name instead.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import tinycss2
from fontTools.ttLib import TTFont, TTLibError

from .errors import ManuscriptError, Problem
from .render import HouseStyle

FONTS_STYLESHEET = "fonts.css"


def house_fonts(style: HouseStyle) -> list[Path]:
    """The font files `fonts.css` declares, resolved against the stylesheet's folder."""
    stylesheet = style.find(FONTS_STYLESHEET)
    rules = tinycss2.parse_stylesheet(stylesheet.read_text(encoding="utf-8"), skip_comments=True)
    files: list[Path] = []
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        for token in rule.content:
            if token.type == "url" or (token.type == "function" and token.lower_name == "url"):
                reference = token.value if token.type == "url" else token.arguments[0].value
                files.append((stylesheet.parent / unquote(reference)).resolve())
    return files


def printable_characters(style: HouseStyle) -> frozenset[int]:
    characters: set[int] = set()
    for path in house_fonts(style):
        try:
            characters.update(TTFont(path, lazy=True).getBestCmap())
        except (OSError, TTLibError) as error:
            raise ManuscriptError([Problem(
                style.find(FONTS_STYLESHEET), None, f"the typeface {path.name} cannot be read: {error}",
                "Check the `src: url(…)` of its @font-face rule.",
            )]) from error
    return frozenset(characters)
