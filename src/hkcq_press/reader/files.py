"""Files of the manuscript read within the limits the desk sets: text that is
UTF-8 and not too large, pictures that are inside the manuscript, whole, and not too
large to decode. Copy comes from many desks and is untrusted."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hkcq_press.errors import Diagnostics
from hkcq_press.reader.characters import REFUSED, refusals
from hkcq_press.reader.images import damage, looks_like_image, pixels, svg_hazards
from hkcq_press.reader.yamlfields import NEAR_SPELLING

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest files the reader accepts: copy comes from many desks and is untrusted."""

    text_bytes: int = 5 * MB
    image_bytes: int = 20 * MB
    image_pixels: int = 50_000_000
    """Decoding a picture takes about four bytes a pixel, whatever its file size."""


DEFAULT_LIMITS = Limits()


def read_text(path: Path, limit: int, report: Diagnostics) -> str | None:
    """The file as text with a BOM dropped and every line end made `\\n`; None,
    with the problem reported, if it is too large or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > limit:
            report.error(
                path, None, f"the file is {_megabytes(size)}, over the limit of {_megabytes(limit)} for text",
                "Split the article, or raise the limit with --max-text-mb.",
            )
            return None
        data = path.read_bytes()
    except OSError as error:
        report.error(path, None, f"cannot be read: {error.strerror}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1)
        report.error(
            path, line, f"the file is not UTF-8 text (byte {column + 1} of the line, offset {error.start})",
            "Save the file as UTF-8 in your editor.",
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, content in enumerate(text.split("\n"), 1):
        for problem, hint in refusals(content):
            report.error(path, number, problem, hint)
    # Reported; the rest of the file is still read so every other problem shows too.
    return REFUSED.sub("", text)


def _megabytes(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def _megapixels(pixels: int) -> str:
    """Three significant figures, so a limit under a million pixels is never "0"."""
    amount = f"{pixels / 1e6:.3g}"
    return f"{amount} megapixel{'' if amount == '1' else 's'}"


def check_image(written: str, referrer: Path, line: int, root: Path, limits: Limits, report: Diagnostics) -> Path:
    """The image file that `referrer` names at `line`, checked: a regular image file
    inside the manuscript `root`, within the size limit. Paths are relative to the
    referring file."""
    if urlsplit(written).scheme or written.startswith("//"):
        report.error(
            referrer, line, f"the image `{written}` is not a file in the manuscript",
            "Save the picture in the manuscript folder and give its path relative to this file.",
        )
        return Path(written)
    try:
        path = (referrer.parent / unquote(written)).resolve()
        problem = _image_problem(written, path, root, limits)
    except (OSError, ValueError, RuntimeError) as error:  # a loop of links, a NUL, a name too long…
        path, problem = referrer.parent / written, (
            f"the image `{written}` cannot be read: {reason(error)}",
            "Check the path: it must name a picture file in the manuscript folder.",
        )
    if problem:
        report.error(referrer, line, *problem)
    return path


def _nearest_name(path: Path, written: str) -> str | None:
    """`written` with the name in the missing file's folder nearest its own
    (`chan-yuk-lan.jpg` for `chan-yuk-Ian.jpg`), if one is near."""
    try:
        names = [entry.name for entry in path.parent.iterdir() if entry.is_file()]
    except OSError:
        return None
    folded = {name.casefold(): name for name in names}
    close = difflib.get_close_matches(path.name.casefold(), folded, n=1, cutoff=NEAR_SPELLING)
    if not close:
        return None
    folder, slash, _ = written.rpartition("/")
    return f"{folder}{slash}{folded[close[0]]}"


def _image_problem(written: str, path: Path, root: Path, limits: Limits) -> tuple[str, str] | None:
    if not is_inside(path, root):
        return (f"the image `{written}` is outside the manuscript directory",
                "Keep pictures inside the manuscript folder.")
    if not path.exists():
        near = _nearest_name(path, written)
        return (f"the image `{written}` does not exist",
                f"Did you mean `{near}`?" if near else
                "Check the spelling; image paths are relative to the file that names them.")
    if not path.is_file():
        return f"`{written}` is not a regular file", "Point to an image file."
    if (size := path.stat().st_size) > limits.image_bytes:
        return (
            f"the image `{written}` is {_megabytes(size)}, over the limit of {_megabytes(limits.image_bytes)}",
            "Save a smaller copy of the picture, or raise the limit with --max-image-mb.",
        )
    if not looks_like_image(path):
        return f"`{written}` is not a PNG, JPEG, GIF, WebP or SVG image", "Export the picture in one of these formats."
    if path.suffix.lower() == ".svg":
        if hazards := svg_hazards(path):
            return (
                f"the SVG `{written}` has {', '.join(hazards)}, which e-books refuse and which could run code "
                "or fetch from the network", "Export the picture again as plain SVG, or as PNG.",
            )
        return None
    try:
        size = pixels(path)
    except (OSError, SyntaxError, ValueError):
        return f"the image `{written}` is damaged: its header cannot be read", "Export or download the picture again."
    if size is None:
        return (
            f"the image `{written}` declares more pixels than any picture could need "
            "(it would take gigabytes to decode)",
            "Export the picture again at the size it prints (about 2,000 pixels across a page).",
        )
    width, height = size
    if width * height > limits.image_pixels:
        return (
            f"the image `{written}` is {width} × {height} pixels ({_megapixels(width * height)}), "
            f"over the limit of {_megapixels(limits.image_pixels)}",
            "Save a smaller copy of the picture (print needs about 2,000 pixels across a page), "
            "or raise the limit with --max-image-megapixels.",
        )
    if problem := damage(path):
        return f"the image `{written}` is {problem}", "The file is incomplete or damaged: export or copy it again."
    return None


def reason(error: Exception) -> str:
    """What went wrong, in words: the system's for a file error, else the error's own."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error).split(":")[0].lower() or type(error).__name__


def is_inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())
