"""ICC output profiles: what the printer's characterisation of its press must be for
a PDF/X edition to name it as its output intent — a CMYK output profile (device
class `prtr`), which a display profile such as sRGB is not — and the one the house
ships for when a desk names none (`layouts/profiles/coated-fogra39.icc`)."""

from __future__ import annotations

from pathlib import Path

PRESS_VARIANTS = ("pdf/x-1a", "pdf/x-3", "pdf/x-4")
"""The PDF/X variants hkcq-press writes (WeasyPrint's); PDF/X-5g, whose output
intent is a reference to a profile outside the file, is not among them."""
DEFAULT_PROFILE = "profiles/coated-fogra39.icc"
"""The house style's CMYK output profile, a file of the layouts a desk may override."""
LARGEST_PROFILE = 16 * 1024 * 1024


def is_for_the_press(variant: str | None) -> bool:
    """Whether a PDF variant is one of PDF/X, which names the printer's output intent."""
    return variant in PRESS_VARIANTS


def profile_problem(path: Path) -> str | None:
    """What makes `path` unfit to be a PDF/X output intent, in words; None when it is a
    readable ICC output profile in CMYK."""
    from PIL import ImageCms

    try:
        if path.stat().st_size > LARGEST_PROFILE:
            return f"is larger than {LARGEST_PROFILE // (1024 * 1024)} MB, which no output profile needs"
        profile = ImageCms.getOpenProfile(str(path)).profile
    except OSError as error:
        return f"cannot be read as an ICC profile ({error.strerror or error})"
    except ImageCms.PyCMSError as error:
        return f"is not an ICC profile ({error})"
    space, device = profile.xcolor_space.strip(), profile.device_class.strip()
    if space != "CMYK":
        return f"is a profile of {space or 'no'} colour, not CMYK ({profile.profile_description or 'no description'})"
    if device != "prtr":
        kind = {"mntr": "a display", "scnr": "a scanner", "spac": "a colour space", "link": "a device link"}.get(
            device, f"a `{device}`")
        return f"is {kind} profile, not a printer's output profile"
    return None
