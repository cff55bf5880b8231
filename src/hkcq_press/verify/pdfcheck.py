"""What `verify` checks in a print edition: what a printer, an archive and a screen
reader need of the PDF, read back from the file itself.

No validator for PDF/UA or PDF/A can be installed from the package registries
(veraPDF is not in them), so these are the properties that matter, checked
structurally with pikepdf: the structure tree, the language and the title a
reader shows; every font embedded, and only the house faces (a machine's font
standing in for a character shows here); no character printed as the
missing-glyph box, and every glyph shown mapped back to text; bookmarks; the
markers of the PDF variant it claims; for PDF/X, what a printer's preflight checks
first (a CMYK output intent, a TrimBox on every page inside its BleedBox and
MediaBox).
"""

from __future__ import annotations

import io
import re
import struct
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from fontTools.ttLib import TTFont, TTLibError

from hkcq_press.errors import Problem
from hkcq_press.style.fonts import CHINESE_TYPEFACES, house_fonts
from hkcq_press.style.house import HouseStyle


@dataclass
class PdfFont:
    """A font as the PDF embeds it, with the glyphs its text shows and where."""

    base_font: str
    composite: bool
    encoding: str
    """`/Identity-H`, unless the renderer had to map some characters to `.notdef`."""
    program: TTFont | None
    """None when the font is not embedded."""
    to_unicode: dict[int, str]
    shown: set[int] = field(default_factory=set)
    """Glyph ids (CIDs) the page content shows in this font."""
    pages: list[int] = field(default_factory=list)
    """The pages (from 1) that show text in it."""

    @property
    def family(self) -> str:
        if self.program is None:
            return self.base_font.partition("+")[2] or self.base_font.lstrip("/")
        return self.program["name"].getDebugName(1)

    @property
    def subfamily(self) -> str:
        return self.program["name"].getDebugName(2) if self.program is not None else ""

    def glyph_for(self, char: str) -> str:
        """The name, in the embedded program, of the glyph shown for `char`."""
        assert self.program is not None
        (cid,) = [cid for cid, text in self.to_unicode.items() if text == char and cid in self.shown]
        return self.program.getGlyphOrder()[cid]


LARGEST_STREAM = 64 * 1024 * 1024
"""Bytes a content stream, font program or CMap may decode to: the largest face an
edition embeds is a few megabytes; more is a decompression bomb, never decoded."""


class UnreadablePdf(Exception):
    """The file is not built as a PDF hkcq-press writes: a finding, not a crash."""


@dataclass
class _Scan:
    """What the pages' content streams show, read once: the fonts, and the pages that
    set a colour in RGB (which a PDF/X file must not)."""

    fonts: dict[tuple[int, int], PdfFont] = field(default_factory=dict)
    rgb_pages: set[int] = field(default_factory=set)


def pdf_fonts(pdf: Path | pikepdf.Pdf) -> list[PdfFont]:
    """Every font of every page (and of the forms pages draw), with the glyphs shown.
    Raises `UnreadablePdf` where the file's structure is not what a PDF's must be."""
    with pikepdf.open(pdf) if isinstance(pdf, Path) else nullcontext(pdf) as document:
        return list(_scanned(document).fonts.values())


def _scanned(document: pikepdf.Pdf) -> _Scan:
    scan = _Scan()
    for number, page in enumerate(document.pages, start=1):
        _scan_content(document, page.obj, _dictionary(page.get("/Resources")), scan, number, set())
    return scan


def _scan_content(
    document: pikepdf.Pdf, stream: pikepdf.Object, resources: pikepdf.Dictionary, scan: _Scan, page: int,
    drawing: set[tuple[int, int]],
) -> None:
    """`drawing`: the forms being drawn around this one, so a form that draws itself is
    read once, not forever."""
    fonts = scan.fonts
    by_name = {}
    for name, font in _dictionary(resources.get("/Font")).items():
        key = font.objgen
        if key not in fonts:
            fonts[key] = _read_font(_dictionary(font))
        by_name[name] = fonts[key]
    current = None
    for operands, operator in pikepdf.parse_content_stream(_bounded_stream(document, stream)):
        if str(operator) in ("rg", "RG"):
            scan.rgb_pages.add(page)
        elif operator == pikepdf.Operator("Tf"):
            if str(operands[0]) not in by_name:
                raise UnreadablePdf(f"page {page} sets text in the font {operands[0]}, which it does not name")
            current = by_name[str(operands[0])]
        elif operator in (pikepdf.Operator("Tj"), pikepdf.Operator("TJ")) and current is not None:
            strings = operands[0] if operator == pikepdf.Operator("TJ") else operands
            width = 2 if current.composite else 1
            for item in strings:
                if isinstance(item, pikepdf.String):
                    data = bytes(item)
                    current.shown.update(int.from_bytes(data[i:i + width], "big") for i in range(0, len(data), width))
            if not current.pages or current.pages[-1] != page:
                current.pages.append(page)
        elif operator == pikepdf.Operator("Do"):
            xobject = _dictionary(resources.get("/XObject")).get(str(operands[0]))
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                if xobject.objgen in drawing:
                    raise UnreadablePdf(f"page {page} draws a form that draws itself: a reader would never finish")
                inner = _dictionary(xobject.get("/Resources")) if "/Resources" in xobject else resources
                _scan_content(document, xobject, inner, scan, page, drawing | {xobject.objgen})


def _dictionary(value: object) -> pikepdf.Dictionary:
    """`value` where a PDF must have a dictionary (an absent one is empty)."""
    if value is None:
        return pikepdf.Dictionary()
    if not isinstance(value, pikepdf.Dictionary):
        raise UnreadablePdf(f"a dictionary is expected where the file has {str(value)[:40]}")
    return value


def _bounded_stream(document: pikepdf.Pdf, stream: pikepdf.Object) -> pikepdf.Object:
    """A page's or form's content, checked to decode within `LARGEST_STREAM` first."""
    if isinstance(stream, pikepdf.Dictionary) and "/Contents" in stream:  # a page: its contents, joined
        contents = stream.Contents
        parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        return pikepdf.Stream(document, b"\n".join(_bounded_bytes(part) for part in parts))
    if isinstance(stream, pikepdf.Stream):
        return pikepdf.Stream(document, _bounded_bytes(stream))
    return pikepdf.Stream(document, b"")  # a page with no content


def _bounded_bytes(stream: object) -> bytes:
    """A stream's decoded bytes, never more than `LARGEST_STREAM`: Flate is inflated here
    with that cap (the only filter hkcq-press writes); other filters decoded by pikepdf
    only when their encoded size could not hide a bomb."""
    if not isinstance(stream, pikepdf.Stream):
        raise UnreadablePdf(f"a stream is expected where the file has {str(stream)[:40]}")
    filters = stream.get("/Filter")
    chain = list(filters) if isinstance(filters, pikepdf.Array) else [filters] if filters is not None else []
    raw = stream.read_raw_bytes()
    if not chain:
        return raw
    if [str(name) for name in chain] == ["/FlateDecode"] and "/DecodeParms" not in stream:
        inflating = zlib.decompressobj()
        try:
            data = inflating.decompress(raw, LARGEST_STREAM + 1)
        except zlib.error as error:
            raise UnreadablePdf(f"a compressed stream is damaged ({error})") from None
        if len(data) > LARGEST_STREAM:
            raise UnreadablePdf(f"a stream decodes to more than {LARGEST_STREAM // 2 ** 20} MB: a decompression bomb")
        return data
    if len(raw) * 1032 > LARGEST_STREAM:  # no filter expands more than Flate's 1032:1
        raise UnreadablePdf("a stream uses filters hkcq-press does not write, too large to decode safely")
    return bytes(stream.read_bytes())


def _read_font(font: pikepdf.Dictionary) -> PdfFont:
    composite = font.get("/Subtype") == "/Type0"
    descendants = font.get("/DescendantFonts")
    if composite and not (isinstance(descendants, pikepdf.Array) and len(descendants) > 0):
        raise UnreadablePdf(f"the composite font {font.get('/BaseFont', '')} has no descendant font")
    described = _dictionary(descendants[0]) if composite else font
    descriptor = _dictionary(described.get("/FontDescriptor"))
    embedded = next((descriptor[key] for key in ("/FontFile2", "/FontFile3", "/FontFile") if key in descriptor), None)
    program = None
    if embedded is not None:
        try:
            program = TTFont(io.BytesIO(_bounded_bytes(embedded)))
        except (TTLibError, AssertionError, struct.error):  # a damaged program counts as none
            program = None
    encoding = font.get("/Encoding")
    to_unicode = font.get("/ToUnicode")
    return PdfFont(
        base_font=str(font.get("/BaseFont", "/unnamed")),
        composite=composite,
        encoding=str(encoding) if isinstance(encoding, pikepdf.Name) else "custom",
        program=program,
        to_unicode=_to_unicode(_bounded_bytes(to_unicode).decode("latin-1")) if to_unicode is not None else {},
    )


def _to_unicode(cmap: str) -> dict[int, str]:
    """A ToUnicode CMap's `bfchar` and `bfrange` entries: code → text."""
    mapping: dict[int, str] = {}

    def text(hex_string: str) -> str:
        return bytes.fromhex(hex_string).decode("utf-16-be", errors="replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(code, 16)] = text(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = text(target)
            # A range covers at most 256 codes (the CMap standard); past U+10FFFF is no character.
            for offset, code in enumerate(range(int(first, 16), min(int(last, 16), int(first, 16) + 255) + 1)):
                if start and ord(start[-1]) + offset <= sys.maxunicode:
                    mapping[code] = start[:-1] + chr(ord(start[-1]) + offset)
    return mapping


def house_families(style: HouseStyle) -> frozenset[str]:
    """The family names of the faces the house style declares, and of the Chinese faces."""
    families = {TTFont(path, lazy=True)["name"].getDebugName(1) for path in house_fonts(style).values()}
    # NotoSerifHK → Noto Serif HK, as the typeface's own name table spells it
    families.update(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", typeface) for typeface in CHINESE_TYPEFACES.values())
    return frozenset(families)


def _font_faults(fonts: list[PdfFont], families: frozenset[str]) -> Iterator[tuple[PdfFont, str, str]]:
    for font in fonts:
        if font.program is None:
            yield font, f"the font {font.family} is not embedded: the printer would substitute its own", ""
            continue
        if font.family not in families:
            yield (font, f"the font {font.family} is not a house face: a font of the machine that made the PDF "
                   "stood in for the house style's", "The house faces are " + ", ".join(sorted(families)) + ".")
        if font.composite and (font.encoding != "/Identity-H" or 0 in font.shown):
            yield font, f"a character in {font.family} prints as the missing-glyph box (.notdef)", ""
        if not font.shown <= set(font.to_unicode):
            yield font, f"text in {font.family} cannot be read back: glyphs with no Unicode mapping", ""
        if blanks := _blank_glyphs(font):
            yield (font, f"{len(blanks)} character{'s' if len(blanks) > 1 else ''} in {font.family} print as blanks: "
                   f"the embedded face has no outline for {' '.join(blanks[:12])}{' …' if len(blanks) > 12 else ''}",
                   "The face it was built with is damaged: run `hkcq-press fonts install`, then build again.")


def _blank_glyphs(font: PdfFont) -> list[str]:
    """The visible characters the text shows with a glyph that draws nothing (a face cut
    short prints them as blanks, though the text layer still has them)."""
    if font.program is None or not font.composite or "glyf" not in font.program:
        return []
    order, outlines = font.program.getGlyphOrder(), font.program["glyf"]
    blanks = []
    for cid in sorted(font.shown):
        text = font.to_unicode.get(cid, "")
        if cid < len(order) and text and any(unicodedata.category(char)[0] in "LNPS" for char in text) \
                and _contours(outlines, order[cid]) == 0:
            blanks.append(text)
    return blanks


def _contours(outlines: Any, name: str) -> int:
    """How many contours a glyph has (-1: made of others); 0 when it has no data to read."""
    try:
        return int(outlines[name].numberOfContours)
    except (struct.error, ValueError, IndexError, KeyError, AssertionError, TTLibError):
        return 0


def _press_faults(pdf: pikepdf.Pdf, claimed: str) -> Iterator[tuple[str, int | None]]:
    """What a printer's preflight finds wrong with a file that claims PDF/X (`claimed`,
    its `GTS_PDFXVersion`): an output intent for PDF/X whose profile is a CMYK one; a
    TrimBox on every page, inside its BleedBox, inside its MediaBox."""
    intents = [intent for intent in pdf.Root.get("/OutputIntents", pikepdf.Array())
               if str(intent.get("/S", "")) == "/GTS_PDFX"]
    if not intents:
        yield f"the PDF claims {claimed} but has no PDF/X output intent (the press's colour profile)", None
    elif "/DestOutputProfile" not in intents[0] or int(intents[0].DestOutputProfile.get("/N", 0)) != 4:
        yield f"the PDF claims {claimed} but its output intent is not a CMYK profile", None
    for number, page in enumerate(pdf.pages, 1):
        if "/TrimBox" not in page.obj:
            yield "the page has no TrimBox: the printer cannot tell where it is cut", number
            continue
        trim = [float(value) for value in page.obj.TrimBox]
        bleed = [float(value) for value in page.obj.get("/BleedBox", page.obj.TrimBox)]
        media = [float(value) for value in page.obj.MediaBox]
        if not (_inside(trim, bleed) and _inside(bleed, media)):
            yield "the page's boxes are out of order: its TrimBox must lie in its BleedBox, in its MediaBox", number


LOWEST_PRESS_PPI, HIGHEST_PRESS_PPI = 150, 450
"""The resolution band a printer's preflight checks pictures against: under it a
picture prints soft; over it the file carries pixels no press can use."""


def _picture_faults(pdf: pikepdf.Pdf, claimed: str, rgb_pages: set[int]) -> Iterator[tuple[str, str, int, str]]:
    """What a printer's preflight finds in a PDF/X file's pictures and colours, at their
    pages: RGB (PDF/X wants the printer's CMYK, or grey), transparency where the file
    claims PDF/X-1a, and each picture's resolution at its printed size."""
    import pypdfium2
    import pypdfium2.raw as pdfium

    flattened = claimed.startswith("PDF/X-1")
    rendered = pypdfium2.PdfDocument(pdf.filename)  # PDFium measures each picture at its printed size
    try:
        for number, page in enumerate(pdf.pages, 1):
            if number in rgb_pages:
                yield ("a colour is set in RGB, which a PDF/X file must not use: the printer's CMYK or grey",
                       "Write the house colours as device-cmyk() in the print stylesheet (press.css).", number, "error")
            if flattened and _transparent(_dictionary(page.get("/Resources"))):
                yield ("the page uses transparency, which PDF/X-1a forbids", "Build it as PDF/X-4, which keeps it.",
                       number, "error")
            for image in rendered[number - 1].get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=8):
                shown = image.get_metadata()
                if shown.colorspace in (pdfium.FPDF_COLORSPACE_DEVICERGB, pdfium.FPDF_COLORSPACE_CALRGB):
                    yield ("a picture is in RGB, which a PDF/X file must not use: the printer's CMYK or grey",
                           "Build it with hkcq-press, which separates pictures into the output intent's CMYK.",
                           number, "error")
                ppi = round(min(shown.horizontal_dpi, shown.vertical_dpi))
                if 0 < ppi < LOWEST_PRESS_PPI:
                    yield (f"a picture prints at {ppi} ppi, under the {LOWEST_PRESS_PPI} ppi a press needs: it will "
                           "look soft", "Use a larger original.", number, "warning")
                elif ppi > HIGHEST_PRESS_PPI:
                    yield (f"a picture prints at {ppi} ppi, more than the {HIGHEST_PRESS_PPI} ppi a press can use",
                           "Set print_ppi (300 suits most presses) so pictures are resampled.", number, "warning")
    finally:
        rendered.close()


def _transparent(resources: pikepdf.Dictionary, seen: frozenset[tuple[int, int]] = frozenset()) -> bool:
    """Whether the resources (and the forms they draw) use transparency: a graphics
    state with an opacity under 1 or a soft mask, or a picture with a soft mask."""
    for state in _dictionary(resources.get("/ExtGState")).values():
        state = _dictionary(state)
        if any(float(state.get(key, 1)) < 1 for key in ("/CA", "/ca")) \
                or str(state.get("/SMask", "/None")) != "/None":
            return True
    for xobject in _dictionary(resources.get("/XObject")).values():
        if not isinstance(xobject, pikepdf.Stream) or xobject.objgen in seen:
            continue
        if xobject.get("/Subtype") == "/Image" and "/SMask" in xobject:
            return True
        if xobject.get("/Subtype") == "/Form" and (
                "/Group" in xobject or _transparent(_dictionary(xobject.get("/Resources")), seen | {xobject.objgen})):
            return True
    return False


def _inside(inner: list[float], outer: list[float]) -> bool:
    tolerance = 0.01
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)


def check_pdf(pdf_path: Path, shown_as: Path, style: HouseStyle) -> list[Problem]:
    """Everything wrong with a print edition, each at its page where it has one."""
    problems: list[Problem] = []

    def error(message: str, hint: str = "", page: int | None = None, severity: str = "error") -> None:
        problems.append(Problem(shown_as, None, message, hint, severity,  # type: ignore[arg-type]
                                place=f"page {page}" if page else ""))

    try:
        pdf = pikepdf.open(pdf_path)
    except pikepdf.PdfError as failure:
        return [Problem(shown_as, None, f"not a PDF that can be read: {failure}")]
    with pdf:
        try:
            _check_structure(pdf, style, error)
        except (UnreadablePdf, pikepdf.PdfError, KeyError, TypeError, ValueError, AttributeError, IndexError) as why:
            # Read as hkcq-press writes a PDF; any other shape is a finding, never a crash.
            error(f"the PDF is not built as a PDF must be, so it cannot be checked: {str(why)[:200]}",
                  "Build it again with hkcq-press; a file changed by another program is not the edition it built.")
    return problems


def _check_structure(pdf: pikepdf.Pdf, style: HouseStyle, error: Callable[..., None]) -> None:
    """What a screen reader, an archive and a printer need, read with the types a PDF
    must have (`UnreadablePdf` where it has others)."""
    root = pdf.Root
    structure = root.get("/StructTreeRoot")
    marked = _dictionary(root.get("/MarkInfo")).get("/Marked", False)
    if structure is not None:
        structure = _dictionary(structure)
    if structure is None or not bool(marked) or len(structure.get("/K", pikepdf.Array())) == 0:
        error("the PDF is not tagged: it has no structure for a screen reader to follow",
              "Build it with hkcq-press: every PDF variant it writes is tagged.")
    if not str(root.get("/Lang", "")).strip():
        error("the PDF does not say its language (/Lang), so a screen reader cannot choose a voice")
    if not bool(root.get("/ViewerPreferences", pikepdf.Dictionary()).get("/DisplayDocTitle", False)):
        error("a reader is not told to show the document's title (DisplayDocTitle) instead of its file name")
    with pdf.open_metadata() as metadata:
        title = metadata.get("dc:title") or str(pdf.docinfo.get("/Title", ""))
        claims = {key: metadata.get(key) for key in ("pdfuaid:part", "pdfaid:part", "pdfaid:conformance",
                                                      "pdfxid:GTS_PDFXVersion")}
    press = claims["pdfxid:GTS_PDFXVersion"] or str(pdf.docinfo.get("/GTS_PDFXVersion", ""))
    if not title.strip():
        error("the PDF has no title")
    if not claims["pdfuaid:part"] and not claims["pdfaid:part"] and not press:
        error("the PDF claims no conformance: neither PDF/UA, PDF/A nor PDF/X markers in its metadata")
    if claims["pdfaid:part"] and len(root.get("/OutputIntents", pikepdf.Array())) == 0:
        error(f"the PDF claims PDF/A-{claims['pdfaid:part']} but has no output intent (colour profile)")
    scan = _scanned(pdf)
    if press:
        for message, page in _press_faults(pdf, press):
            error(message, "A printer's preflight refuses it: build it again with hkcq-press "
                  "--pdf-variant pdf/x-4 (and the printer's profile as print_profile).", page)
        for message, hint, page, severity in _picture_faults(pdf, press, scan.rgb_pages):
            error(message, hint, page, severity)
    if "/Outlines" not in root or "/First" not in _dictionary(root.Outlines):
        error("the PDF has no bookmarks (outline) to go to its articles")
    # One problem per family and fault (a regular and a bold are one family), at its first page.
    reported: set[str] = set()
    fonts = list(scan.fonts.values())
    for font, fault, hint in sorted(_font_faults(fonts, house_families(style)), key=lambda found: found[0].pages):
        if fault not in reported:
            reported.add(fault)
            error(fault, hint, font.pages[0] if font.pages else None)
