"""Pictures for the press: in a PDF/X edition, each raster picture is separated into
the printer's CMYK (the output intent's profile) before WeasyPrint embeds it.

WeasyPrint 70 writes every RGB picture as `/DeviceRGB`, which PDF/X-1a forbids and
PDF/X-4 allows only with an RGB output intent; it writes a CMYK JPEG as
`/DeviceCMYK`, which both take. So the picture is converted here, with Pillow's
ImageCms (LittleCMS): from its own embedded profile, else sRGB (what a camera or a
screen means by RGB), perceptually, as a repro house separates photographs; any
transparency laid on white paper first (PDF/X-1a has none). Grey pictures stay grey
(K only) and CMYK ones stay as the desk separated them. The e-book keeps the originals.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageCms

PRESS_QUALITY = 95
"""JPEG quality of a separated picture, at full chroma: no loss a press could print."""


class Separator:
    """Separates pictures into one printer's CMYK: made once a layout, its profile read once."""

    def __init__(self, profile: Path) -> None:
        self.profile = ImageCms.ImageCmsProfile(str(profile))
        self.srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        self._from_srgb: ImageCms.ImageCmsTransform | None = None

    def __call__(self, data: bytes) -> bytes | None:
        """`data`, a raster picture, as a CMYK JPEG in the printer's colours; None when it
        is already fit for the press (grey or CMYK) or is no raster picture Pillow reads."""
        try:
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                if picture.mode in ("1", "L", "CMYK"):
                    return None
                embedded = picture.info.get("icc_profile")
                dpi = picture.info.get("dpi")
                rgb = _on_white(picture)
        except (OSError, ValueError, Image.DecompressionBombError):  # not a picture: WeasyPrint says so itself
            return None
        separated = ImageCms.applyTransform(rgb, self._transform(embedded))
        written = io.BytesIO()
        separated.save(written, "JPEG", quality=PRESS_QUALITY, subsampling=0, **({"dpi": dpi} if dpi else {}))
        return written.getvalue()

    def _transform(self, embedded: bytes | None) -> ImageCms.ImageCmsTransform:
        """From the picture's own profile, else sRGB (a damaged profile too)."""
        if embedded:
            try:
                return ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(embedded)), self.profile,
                                               "RGB", "CMYK", renderingIntent=ImageCms.Intent.PERCEPTUAL)
            except (ImageCms.PyCMSError, OSError):
                pass
        if self._from_srgb is None:
            self._from_srgb = ImageCms.buildTransform(self.srgb, self.profile, "RGB", "CMYK",
                                                      renderingIntent=ImageCms.Intent.PERCEPTUAL)
        return self._from_srgb


def _on_white(picture: Image.Image) -> Image.Image:
    """The picture as RGB, any transparency laid on white, as it prints on paper."""
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return picture.convert("RGB")
