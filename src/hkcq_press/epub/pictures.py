"""Pictures for the e-book: the desk's originals, but none larger than a reading
system shows. A tablet's screen is at most about 2,000 pixels on its long side; a
picture beyond that costs the reader's download and the store's size limit and is
scaled down by the reader anyway, so it is resized here once (LANCZOS, in its own
format, turned as its EXIF says, its colour profile and resolution kept). Smaller pictures, SVG and animated
GIFs are carried byte for byte.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

LONGEST_SIDE = 2000
"""Pixels on a picture's long side that an e-book carries at most."""
READER_QUALITY = 90
"""JPEG and WebP quality of a resized picture: as good as the screen shows."""


def for_the_reader(data: bytes) -> bytes:
    """`data`, a picture, resized to `LONGEST_SIDE` on its long side when it is larger;
    as it is otherwise (and when it is no still raster picture Pillow reads)."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if max(picture.size) <= LONGEST_SIDE or getattr(picture, "is_animated", False) \
                    or picture.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                return data
            kind, kept = picture.format, {key: picture.info[key] for key in ("icc_profile", "dpi")
                                          if key in picture.info}
            picture.load()
            resized = ImageOps.exif_transpose(picture)  # turned as the camera meant: the EXIF is not carried
    except (OSError, ValueError, Image.DecompressionBombError):  # the reader checked it; nothing to make smaller
        return data
    resized.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    written = io.BytesIO()
    quality = {"quality": READER_QUALITY} if kind in ("JPEG", "WEBP") else {}
    resized.save(written, kind, **quality, **kept)
    return written.getvalue()
