"""Which characters the house style can print: the union of its typefaces' character maps.

The typefaces are the ones `fonts.css` declares with `@font-face`. A character none
of them has would fall back to whatever the machine has, or print as an empty
box, so the manuscript reader refuses it by name instead.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import tinycss2
import uharfbuzz as hb
from fontTools.ttLib import TTFont, TTLibError

from .errors import ManuscriptError, Problem
from .render import HouseStyle

FONTS_STYLESHEET = "fonts.css"


def house_fonts(style: HouseStyle) -> dict[str, Path]:
    """The font files `fonts.css` declares: each `url()` as written, and the file it
    names, resolved against the stylesheet's folder."""
    stylesheet = style.find(FONTS_STYLESHEET)
    rules = tinycss2.parse_stylesheet(stylesheet.read_text(encoding="utf-8"), skip_comments=True)
    files: dict[str, Path] = {}
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        for token in rule.content:
            if token.type == "url" or (token.type == "function" and token.lower_name == "url"):
                reference = token.value if token.type == "url" else token.arguments[0].value
                files[reference] = (stylesheet.parent / unquote(reference)).resolve()
    return files


def subset_font(path: Path, text: str) -> bytes:
    """The font cut down to the glyphs `text` needs (HarfBuzz, in milliseconds), keeping
    its copyright and licence names, as the SIL Open Font License asks."""
    subset_input = hb.SubsetInput()
    for char in set(text):
        subset_input.unicode_set.add(ord(char))
    for name_id in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14):
        subset_input.name_id_set.add(name_id)
    face = hb.subset(hb.Face(hb.Blob.from_file_path(str(path))), subset_input)
    return bytes(face.blob.data)


def printable_characters(style: HouseStyle) -> frozenset[int]:
    characters: set[int] = set()
    for path in house_fonts(style).values():
        try:
            characters.update(TTFont(path, lazy=True).getBestCmap())
        except (OSError, TTLibError) as error:
            raise ManuscriptError([Problem(
                style.find(FONTS_STYLESHEET), None, f"the typeface {path.name} cannot be read: {error}",
                "Check the `src: url(…)` of its @font-face rule.",
            )]) from error
    return frozenset(characters)
