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
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

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


def pdf_fonts(pdf: Path | pikepdf.Pdf) -> list[PdfFont]:
    """Every font of every page (and of the forms pages draw), with the glyphs shown."""
    fonts: dict[tuple[int, int], PdfFont] = {}
    with pikepdf.open(pdf) if isinstance(pdf, Path) else nullcontext(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            _scan_content(page.obj, page.get("/Resources") or pikepdf.Dictionary(), fonts, number)
    return list(fonts.values())


def _scan_content(
    stream: pikepdf.Object, resources: pikepdf.Object, fonts: dict[tuple[int, int], PdfFont], page: int
) -> None:
    by_name = {}
    for name, font in (resources.get("/Font") or {}).items():
        key = font.objgen
        if key not in fonts:
            fonts[key] = _read_font(font)
        by_name[name] = fonts[key]
    current = None
    for operands, operator in pikepdf.parse_content_stream(stream):
        if operator == pikepdf.Operator("Tf"):
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
            xobject = resources.XObject[str(operands[0])]
            if xobject.Subtype == "/Form":
                _scan_content(xobject, xobject.get("/Resources") or resources, fonts, page)


def _read_font(font: pikepdf.Object) -> PdfFont:
    composite = font.get("/Subtype") == "/Type0"
    described = font.DescendantFonts[0] if composite else font
    descriptor = described.get("/FontDescriptor") or pikepdf.Dictionary()
    embedded = next((descriptor[key] for key in ("/FontFile2", "/FontFile3", "/FontFile") if key in descriptor), None)
    program = None
    if embedded is not None:
        try:
            program = TTFont(io.BytesIO(embedded.read_bytes()))
        except (TTLibError, AssertionError, struct.error):  # a damaged program counts as none
            program = None
    encoding = font.get("/Encoding")
    to_unicode = font.get("/ToUnicode")
    return PdfFont(
        base_font=str(font.get("/BaseFont", "/unnamed")),
        composite=composite,
        encoding=str(encoding) if isinstance(encoding, pikepdf.Name) else "custom",
        program=program,
        to_unicode=_to_unicode(to_unicode.read_bytes().decode("latin-1")) if to_unicode is not None else {},
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
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = start[:-1] + chr(ord(start[-1]) + offset)
    return mapping


def house_families(style: HouseStyle) -> frozenset[str]:
    """The family names of the faces the house style declares, and of the Chinese faces."""
    families = {TTFont(path, lazy=True)["name"].getDebugName(1) for path in house_fonts(style).values()}
    # NotoSerifHK → Noto Serif HK, as the typeface's own name table spells it
    families.update(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", typeface) for typeface in CHINESE_TYPEFACES.values())
    return frozenset(families)


def _font_faults(pdf: pikepdf.Pdf, families: frozenset[str]) -> Iterator[tuple[PdfFont, str, str]]:
    for font in pdf_fonts(pdf):
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


def _inside(inner: list[float], outer: list[float]) -> bool:
    tolerance = 0.01
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)


def check_pdf(pdf_path: Path, shown_as: Path, style: HouseStyle) -> list[Problem]:
    """Everything wrong with a print edition, each at its page where it has one."""
    problems: list[Problem] = []

    def error(message: str, hint: str = "", page: int | None = None) -> None:
        problems.append(Problem(shown_as, None, message, hint, place=f"page {page}" if page else ""))

    try:
        pdf = pikepdf.open(pdf_path)
    except pikepdf.PdfError as failure:
        return [Problem(shown_as, None, f"not a PDF that can be read: {failure}")]
    with pdf:
        root = pdf.Root
        structure = root.get("/StructTreeRoot")
        marked = root.get("/MarkInfo", pikepdf.Dictionary()).get("/Marked", False)
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
        if press:
            for message, page in _press_faults(pdf, press):
                error(message, "A printer's preflight refuses it: build it again with hkcq-press "
                      "--pdf-variant pdf/x-4 (and the printer's profile as print_profile).", page)
        if "/Outlines" not in root or "/First" not in root.Outlines:
            error("the PDF has no bookmarks (outline) to go to its articles")
        # One problem per family and fault (a regular and a bold are one family), at its first page.
        reported: set[str] = set()
        for font, fault, hint in sorted(_font_faults(pdf, house_families(style)), key=lambda found: found[0].pages):
            if fault not in reported:
                reported.add(fault)
                error(fault, hint, font.pages[0] if font.pages else None)
    return problems
