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
import io
import json
import os
import sys
from contextlib import suppress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import uharfbuzz as hb

from hkcq_press.errors import ExitStatus, ManuscriptError, PressError, Problem
from hkcq_press.outputs import file_digest
from hkcq_press.model.edition import Edition
from hkcq_press.reader.characters import Printable
from hkcq_press.style.house import HouseStyle
from hkcq_press.reader.cssreferences import references
from hkcq_press.style.stylesheets import FONTS_STYLESHEET, confined

CHINESE_TYPEFACES = {"hong-kong": "NotoSerifHK", "taiwan": "NotoSerifTC", "mainland": "NotoSerifSC"}
CHINESE_FALLBACKS = {
    "hong-kong": ("hong-kong", "taiwan", "mainland"),
    "taiwan": ("taiwan", "hong-kong", "mainland"),
    "mainland": ("mainland", "taiwan", "hong-kong"),
}
"""For each edition's forms, the faces a Chinese character is looked for in, in order:
the edition's own forms first, then the nearest script (traditional, then
simplified, for a Hong Kong edition quoting a mainland document), so quoted text
in the other script prints without changing the desk's own copy."""
CHINESE_WEIGHTS = {400: "Regular", 700: "Bold"}
FACE_DIGESTS = {
    # SHA-256 of each face as `fonts install` writes it (from the npm tarballs pinned in typefaces.py).
    "NotoSerifHK-Regular.ttf": "636dac589831ccdd5e75efa30c7c7ae8327e5cd36c3fec16d5b493f939627c72",
    "NotoSerifHK-Bold.ttf": "a6522f2e0cd47fdbb2bf12abd982568ee3f87e62306801d9163796c487cd4ba2",
    "NotoSerifTC-Regular.ttf": "b0acf9799d5dc656cdeff077d36b2ee9032b762e05b3f8a7b76c81dee4eec08c",
    "NotoSerifTC-Bold.ttf": "98c207d0254a6b0b4b5611dd8d5bcc37af4482494477d43eba6b2409ed083140",
    "NotoSerifSC-Regular.ttf": "c358a69de3df5f423a8946a7b03e3126fb6ba116f1130a463455b4e39e1f0742",
    "NotoSerifSC-Bold.ttf": "9c6a2ba736e4b499c84f65ce366bd3625c0401885fd3e585ace50fb738b96ff6",
}
FACE_RECORD = "faces-checked.json"
"""Beside the faces: each face's size and modification time when its digest was last
found right, so a build reads a 10-15 MB face again only when it has changed."""


class DamagedFace(PressError):
    """An installed Chinese face is not the file hkcq-press installed (cut short, changed)."""

    exit_status = ExitStatus.INPUT_ERROR


def intact(face: Path) -> bool:
    """Whether an installed Chinese face has the bytes pinned for it; read again only
    when its size or time differ from the record of its last check."""
    pinned = FACE_DIGESTS.get(face.name)
    if pinned is None:
        return True
    status = face.stat()
    record_path = face.parent / FACE_RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    stamp = [status.st_size, status.st_mtime_ns]
    if isinstance(record, dict) and record.get(face.name) == stamp:
        return True
    if file_digest(face) != pinned:
        return False
    record = record if isinstance(record, dict) else {}
    with suppress(OSError):  # a folder the build cannot write: checked again next time
        record_path.write_text(json.dumps({**record, face.name: stamp}, sort_keys=True), encoding="utf-8")
    return True


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


def first_writable(folders: tuple[Path, ...]) -> Path:
    """Where to install: the first of `folders` that can be written (made, if need be)."""
    for folder in folders:
        probe = folder if folder.exists() else next((p for p in folder.parents if p.exists()), folder)
        if os.access(probe, os.W_OK):
            return folder
    return folders[-1]


def chinese_font_folders() -> tuple[Path, ...]:
    """Where `hkcq-press fonts install` puts the Chinese typefaces."""
    return data_folders("fonts")


def chinese_faces(forms: str) -> dict[int, Path]:
    """The Chinese font files for `forms`, by weight: where they are installed, else
    where they would be (they may not be installed). An installed one that is not the
    file installed (`intact`) is refused: its glyphs would print as blanks."""
    typeface = CHINESE_TYPEFACES[forms]
    faces = {}
    for weight, name in CHINESE_WEIGHTS.items():
        candidates = [folder / f"{typeface}-{name}.ttf" for folder in chinese_font_folders()]
        face = next((path for path in candidates if path.is_file()), candidates[0])
        if face.is_file() and not intact(face):
            raise DamagedFace(
                f"the Chinese face {face} is damaged: its bytes are not those hkcq-press installed "
                "(cut short or changed); run `hkcq-press fonts install` to fetch it again"
            )
        faces[weight] = face
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


def repertoire(style: HouseStyle, chinese_forms: str) -> Printable:
    """What an edition printing `chinese_forms` can print, as the reader takes it."""
    return Printable(printable_characters(style, chinese_forms), chinese_installed())


def printable_characters(style: HouseStyle, chinese_forms: str) -> frozenset[int]:
    """What an edition printing `chinese_forms` can print: the Latin faces and every
    Chinese face it falls back on (regular weight: the bold has the same characters),
    if installed."""
    chinese = set().union(*(_characters(chinese_faces(forms)[400]) for forms in CHINESE_FALLBACKS[chinese_forms]))
    return house_characters(style) | chinese


def chinese_installed() -> bool:
    """Whether `hkcq-press fonts install` has put every Chinese face in place."""
    return all(path.is_file() for forms in CHINESE_TYPEFACES for path in chinese_faces(forms).values())


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


def chinese_fonts(edition: Edition, style: HouseStyle, copy: str | None = None) -> tuple[EmbeddedFont, ...]:
    """The edition's Chinese face, one file a weight, none when no Latin face lacks a
    character of its copy (or of `copy`, a part of the print edition's HTML). It
    keeps every character the copy has, not only the Chinese: the renderer sets the
    spaces and punctuation between Chinese characters in the Chinese face too. A
    character the face of the edition's forms lacks is taken from the next face that
    has it (`CHINESE_FALLBACKS`) and merged into the same file: one family, so both
    editions, and WeasyPrint, which tells fonts apart by family and weight, print it
    without a second face to fall back on."""
    house = house_characters(style)
    characters = frozenset(copy if copy is not None else "".join(_strings(edition)))
    if all(ord(char) in house or char.isspace() for char in characters):
        return ()
    wanting = {char for char in characters if ord(char) not in house and not char.isspace()}
    own, *others = CHINESE_FALLBACKS[edition.chinese_forms]
    wanting -= {char for char in wanting if ord(char) in _characters(chinese_faces(own)[400])}
    borrowed: list[tuple[str, frozenset[str]]] = []
    for forms in others:
        covered = _characters(chinese_faces(forms)[400])
        if found := frozenset(char for char in wanting if ord(char) in covered):
            borrowed.append((forms, found))
            wanting -= found
    fonts = []
    for weight, path in chinese_faces(own).items():
        parts = [subset_font(path, characters)]
        parts += [subset_font(chinese_faces(forms)[weight], found) for forms, found in borrowed]
        fonts.append(EmbeddedFont(path.name, weight, parts[0] if len(parts) == 1 else _merged(parts)))
    return tuple(fonts)


def _merged(fonts: list[bytes]) -> bytes:
    """One font of the glyphs of all: the first keeps its names and metrics; the others
    add only characters it lacks (fontTools' merger; the Noto CJK faces share their
    design grid, 1,000 units to the em)."""
    from fontTools.merge import Merger, Options

    merged = Merger(options=Options(drop_tables=[])).merge([io.BytesIO(data) for data in fonts])
    output = io.BytesIO()
    merged.save(output)
    return output.getvalue()


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
