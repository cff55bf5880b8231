"""`hkcq-press fonts install`: the house Chinese typefaces, Noto Serif HK, TC and SC
(SIL Open Font License), fetched and checked.

Each is 10-15 MB a weight, too large to ship inside the package, so they are
fetched from the npm registry (Google Fonts' static instances, as packaged by
@expo-google-fonts), each download checked against the digest pinned here, and
only the regular and bold weights and the licence are kept, in the first folder
of `fonts.chinese_font_folders()` that can be written (the Python environment's,
else the user's).
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from hkcq_press.errors import ExitStatus, PressError
from hkcq_press.style.fonts import CHINESE_TYPEFACES, chinese_font_folders, first_writable, intact

VERSION = "0.4.3"
PACKAGES = {
    # typeface: sha512 integrity of the npm tarball
    "NotoSerifHK": "TgG8I1I1cH1ZdgyFGGnxMzT9OibnJCujD8ykmt5x3s4V8/xcSOLF8jhX9oNr2vFeADFlc1nf0Fn5L+/ZqWLy7Q==",
    "NotoSerifTC": "ttIT30fA0HVxQ/Fu3jHxWfqMbH9YRfMh5eEROpScuyJ5m84sDeAns6AKxO3zfQKPkf7diC3tGMYwX1ssu9LxjQ==",
    "NotoSerifSC": "fSmUpiSFtSeyHV45/2xUOy5SdfExklQwwMKN3cQjAZAujITHDmSbpMHCVdCMhRqMjQtu0ZRgc29u8A+CU3akfw==",
}
WEIGHTS = {"400Regular": "Regular", "700Bold": "Bold"}
REGISTRY = "https://registry.npmjs.org/@expo-google-fonts"


class FontInstallError(PressError):
    """The typefaces cannot be fetched or stored: the machine's condition, not a bug."""

    exit_status = ExitStatus.INPUT_ERROR


def install_all(say: Callable[[str], None] = print) -> Path:
    """Fetch and install every typeface not yet installed; the folder used."""
    folder = first_writable(chinese_font_folders())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FontInstallError(f"cannot make {folder}: {error.strerror or error}") from error
    for typeface, integrity in PACKAGES.items():
        _install(typeface, integrity, folder, say)
    return folder


def _install(typeface: str, integrity: str, folder: Path, say: Callable[[str], None]) -> None:
    wanted = {
        f"package/{weight}/{typeface}_{weight}.ttf": f"{typeface}-{style}.ttf" for weight, style in WEIGHTS.items()
    }
    wanted["package/LICENSE_FONT"] = f"{typeface}-OFL.txt"
    if all((folder / name).is_file() for name in wanted.values()) and all(
        intact(folder / name) for name in wanted.values() if name.endswith(".ttf")
    ):
        say(f"{typeface}: installed in {folder}")
        return
    package = "noto-serif-" + typeface.removeprefix("NotoSerif").lower()
    url = f"{REGISTRY}/{package}/-/{package}-{VERSION}.tgz"
    say(f"{typeface}: fetching {url}")
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            data = response.read()
    except OSError as error:  # URLError, timeouts, refused connections
        raise FontInstallError(
            f"cannot fetch {url} ({error}); the npm registry must be reachable to install "
            f"the Chinese typefaces, or copy {typeface}-Regular.ttf, {typeface}-Bold.ttf and "
            f"{typeface}-OFL.txt into {folder} by hand"
        ) from None
    if base64.b64encode(hashlib.sha512(data).digest()).decode() != integrity:
        raise FontInstallError(f"{url} does not match its pinned digest; nothing installed")
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member, name in wanted.items():
                source = archive.extractfile(member)
                if source is None:
                    raise FontInstallError(f"{member} is missing from {url}")
                staged = folder / f".{name}.part"
                staged.write_bytes(source.read())
                staged.replace(folder / name)
    except OSError as error:
        raise FontInstallError(f"cannot write into {folder}: {error.strerror or error}") from error


def installed() -> dict[str, Path | None]:
    """Each typeface's regular weight as hkcq-press finds it, or None."""
    return {
        typeface: next((folder / f"{typeface}-Regular.ttf" for folder in chinese_font_folders()
                        if (folder / f"{typeface}-Regular.ttf").is_file()), None)
        for typeface in CHINESE_TYPEFACES.values()
    }
