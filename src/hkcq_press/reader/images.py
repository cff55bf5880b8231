"""Untrusted picture files: what a picture must be before either edition embeds it.

A file of an accepted type (by its first bytes, not its name), of a size in pixels
the renderer can decode without running out of memory (read from the header,
before anything is decoded), whole and decodable (a truncated download or a
damaged file is refused, not embedded as a corrupt stream), and, for SVG, plain drawing: no document type, no scripts,
no foreign content and no reference to any other file or address, which an
e-book must not carry and a reader could fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from lxml import etree

from hkcq_press.reader.cssreferences import Reference, declaration_references, references

SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    ".png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    ".jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    ".jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    ".gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    ".webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    ".svg": lambda head: b"<svg" in head,
}
"""What each accepted picture file starts with."""

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
UNSAFE_SVG_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "handler", "listener"}
ANIMATIONS = {"set", "animate", "animateTransform", "animateMotion", "animateColor"}
"""SVG's animation elements (SMIL), which may set an attribute, a link among them, when shown."""


def looks_like_image(path: Path) -> bool:
    signature = SIGNATURES.get(path.suffix.lower())
    if signature is None:
        return False
    with path.open("rb") as handle:
        return signature(handle.read(4096))


def damage(path: Path) -> str | None:
    """What is wrong with a raster file's data, or None when it is whole: it must not
    stop before its format's end (PNG's IEND chunk, JPEG's end-of-image marker,
    GIF's trailer, the length a WebP file declares), and must decode. Call it only
    within the pixel limit: decoding takes memory by the pixel (JPEG is decoded at
    an eighth of its size, which reads every byte of its data all the same)."""
    if _cut_short(path):
        return "cut short"
    from PIL import Image, ImageFile

    # Pillow decodes a damaged stream as far as it can, silently, once told to load
    # truncated pictures: WeasyPrint tells it so for the whole process when imported,
    # so in a process that has laid an edition out (the preview, a script) the check
    # would pass what a new command refuses. Refused here, whoever imported what.
    loads_truncated, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(path) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's words for a damaged file
        return f"damaged ({str(error).rstrip('.') or type(error).__name__})"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = loads_truncated
    return None


def _cut_short(path: Path) -> bool:
    suffix = path.suffix.lower()
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(12)
        handle.seek(max(0, size - 4096))
        tail = handle.read()
    if suffix == ".png":
        return not tail.endswith(b"IEND\xaeB`\x82")
    if suffix in (".jpg", ".jpeg"):
        return b"\xff\xd9" not in tail
    if suffix == ".gif":
        return not tail.rstrip(b"\x00").endswith(b";")
    if suffix == ".webp":
        return int.from_bytes(head[4:8], "little") + 8 > size
    return False


def pixels(path: Path) -> tuple[int, int] | None:
    """Width and height from the file's header; nothing is decoded. None for a picture
    so large that Pillow refuses even to open it (a decompression bomb: a few KB that
    would decode to gigabytes)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except Image.DecompressionBombError:
        return None


def svg_hazards(path: Path) -> list[str]:
    """What makes an SVG unsafe to publish, in words; empty when it is plain drawing:
    scripts and foreign content, event handlers, and anything that would load another
    file when the SVG is shown (a link, a stylesheet by processing instruction or by
    CSS, an animation that sets a link)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as error:
        return [f"XML that cannot be read ({error.msg})"]
    hazards = []
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        hazards.append("a document type declaration")
    root = tree.getroot()
    around = [*root.itersiblings(preceding=True), *root.itersiblings()]
    for node in [*around, *root.iter()]:
        if isinstance(node, etree._ProcessingInstruction):  # the XML declaration is none
            hazards.append(f"a processing instruction (<?{node.target}?>)")
            continue
        if not isinstance(node.tag, str):
            continue
        hazards.extend(_element_hazards(node))
    return sorted(set(hazards))


def _element_hazards(element: etree._Element) -> Iterator[str]:
    name = etree.QName(element).localname
    if name in UNSAFE_SVG_ELEMENTS:
        yield f"a <{name}> element"
    for attribute, value in element.attrib.items():
        local = etree.QName(attribute).localname
        if local.lower().startswith("on"):
            yield f"an event handler ({local})"
        elif local == "href" and not value.strip().startswith("#"):
            yield f"a reference to {value.strip()[:60]!r}"
        elif local == "style" and _reaches_out(declaration_references(value)):
            yield "a style that loads another file"
    if name == "style" and _reaches_out(references(element.text or "")):
        yield "a style sheet that loads another file"
    if name in ANIMATIONS and element.get("attributeName", "").strip().rpartition(":")[2] == "href":
        targets = [element.get(key, "") for key in ("to", "from", "by")] + element.get("values", "").split(";")
        if any(target.strip() and not target.strip().startswith("#") for target in targets):
            yield f"an animation that sets a link (<{name}>)"


def _reaches_out(found: Iterable[Reference]) -> bool:
    return any(not reference.url.startswith("#") for reference in found)
