"""The house typefaces: which characters they can print, and the fonts each edition embeds.

The Latin faces are the ones `fonts.css` declares with `@font-face`. Chinese is set
in Noto Serif HK, TC or SC, by the edition's `chinese_forms`: 10-15 MB a weight,
so setup installs them (`hkcq-press fonts install`) instead of the package shipping
them, and each edition embeds only the characters it uses. A character none of
the faces has would fall back to whatever the machine has, or print as an empty
box, so the manuscript reader refuses it by name instead.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import uharfbuzz as hb

from .errors import ManuscriptError, Problem
from .model import Edition
from .render import HouseStyle
from .stylesheets import FONTS_STYLESHEET, confined, references

CHINESE_TYPEFACES = {"hong-kong": "NotoSerifHK", "taiwan": "NotoSerifTC", "mainland": "NotoSerifSC"}
CHINESE_WEIGHTS = {400: "Regular", 700: "Bold"}


def house_fonts(style: HouseStyle) -> dict[str, Path]:
    """The font files `fonts.css` declares: each `url()` as written, and the file it
    names, resolved against the stylesheet's folder; each must be a file of the house
    style (a located error otherwise)."""
    stylesheet = style.find(FONTS_STYLESHEET)
    css = confined(style, stylesheet, stylesheet, None).read_text(encoding="utf-8")
    files: dict[str, Path] = {}
    for reference in references(css):
        if reference.kind == "font":
            path = stylesheet.parent / unquote(reference.url)
            files[reference.url] = confined(style, path, stylesheet, reference.line)
    return files


def data_folders(name: str) -> tuple[Path, ...]:
    """Where setup installs what the package does not ship (`fonts`, the `ace`
    validator), in the order they are looked for: beside the Python environment
    hkcq-press runs in, then in the user's data folder (for an installation the user
    cannot write into)."""
    user_data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return (Path(sys.prefix) / "share" / "hkcq-press" / name, user_data / "hkcq-press" / name)


def chinese_font_folders() -> tuple[Path, ...]:
    """Where `hkcq-press fonts install` puts the Chinese typefaces."""
    return data_folders("fonts")


def chinese_faces(forms: str) -> dict[int, Path]:
    """The Chinese font files for `forms`, by weight: where they are installed, else
    where they would be (they may not be installed)."""
    typeface = CHINESE_TYPEFACES[forms]
    faces = {}
    for weight, name in CHINESE_WEIGHTS.items():
        candidates = [folder / f"{typeface}-{name}.ttf" for folder in chinese_font_folders()]
        faces[weight] = next((path for path in candidates if path.is_file()), candidates[0])
    return faces


def subset_font(path: Path, text: str | set[str] | frozenset[str]) -> bytes:
    """The font cut down to the glyphs `text` needs (HarfBuzz, in milliseconds), keeping
    its copyright and licence names, as the SIL Open Font License asks."""
    subset_input = hb.SubsetInput()
    for char in set(text):
        subset_input.unicode_set.add(ord(char))
    for name_id in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14):
        subset_input.name_id_set.add(name_id)
    face = hb.subset(hb.Face(hb.Blob.from_file_path(str(path))), subset_input)
    return bytes(face.blob.data)


def _characters(path: Path) -> set[int]:
    """The font's character map, empty when the file is not a font."""
    return set(hb.Face(hb.Blob.from_file_path(str(path))).unicodes) if path.is_file() else set()


def house_characters(style: HouseStyle) -> frozenset[int]:
    """What the Latin faces of `fonts.css` can print."""
    characters: set[int] = set()
    for path in house_fonts(style).values():
        if not (found := _characters(path)):
            raise ManuscriptError([Problem(
                style.find(FONTS_STYLESHEET), None, f"the typeface {path.name} cannot be read",
                "Check the `src: url(…)` of its @font-face rule: it must name a TrueType or OpenType font.",
            )])
        characters |= found
    return frozenset(characters)


def printable_characters(style: HouseStyle, chinese_forms: str) -> frozenset[int]:
    """What an edition printing `chinese_forms` can print: the Latin faces and the
    Chinese regular weight (the bold has the same characters), if installed."""
    return house_characters(style) | _characters(chinese_faces(chinese_forms)[400])


@dataclass(frozen=True, slots=True)
class EmbeddedFont:
    """A font cut down to one edition's characters, for its editions to embed."""

    file_name: str
    weight: int
    data: bytes


@dataclass(frozen=True, slots=True)
class FontFace:
    """An `@font-face` the layouts declare for Chinese (`partials/chinese_fonts.css`,
    as the family "Noto Serif CJK" that ends the house font stacks)."""

    weight: int
    url: str


def chinese_fonts(edition: Edition, style: HouseStyle) -> tuple[EmbeddedFont, ...]:
    """The edition's Chinese faces, none when no Latin face lacks a character of its
    copy. They keep every character the copy has, not only the Chinese: the
    renderer sets the spaces and punctuation between Chinese characters in the
    Chinese face too."""
    house = house_characters(style)
    characters = frozenset("".join(_strings(edition)))
    if all(ord(char) in house or char.isspace() for char in characters):
        return ()
    return tuple(
        EmbeddedFont(path.name, weight, subset_font(path, characters))
        for weight, path in chinese_faces(edition.chinese_forms).items()
    )


def _strings(value: object) -> Iterator[str]:
    """Every piece of text the model holds, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list)):  # markdown-it tokens keep their children in lists
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        yield from _strings(list(value.values()))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for name in value.__dataclass_fields__:  # the model declares fields only, no pseudo-fields
            yield from _strings(getattr(value, name))
