"""The print edition is a tagged PDF/UA-1 by default; an archive variant can be asked
for, and keeps the tags and the language so the archived edition stays accessible."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from conftest import DESKWEEK, MULTI, Built, copy_manuscript, run_cli_here

from hkcq_press.errors import ManuscriptError
from hkcq_press.reader.edition import load_edition
from hkcq_press.verify.pdfcheck import check_pdf
from hkcq_press.style.house import HouseStyle


def xmp(pdf: pikepdf.Pdf, key: str) -> str | None:
    with pdf.open_metadata() as metadata:
        return metadata.get(key)


def assert_fit_to_publish(path: Path) -> None:
    """Tagged, in English, its title shown, only house fonts, bookmarks, a variant
    claimed: `verify`'s own PDF checks find nothing."""
    assert check_pdf(path, path, HouseStyle(None)) == []
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "en"


def test_pdf_is_tagged_pdf_ua_1_by_default(edition: Built) -> None:
    assert_fit_to_publish(edition.pdf)
    with pikepdf.open(edition.pdf) as pdf:
        assert xmp(pdf, "pdfuaid:part") == "1"
        assert pdf.pdf_version == "1.7"


@pytest.mark.parametrize("how", ["option", "edition.yaml", "both"])
def test_an_archive_variant_keeps_tags_and_language(tmp_path: Path, how: str) -> None:
    # With both, the option wins over the edition's choice.
    chosen = {"option": "", "both": "pdf_variant: pdf/a-2b\n", "edition.yaml": "pdf_variant: pdf/a-3b\n"}[how]
    copy_manuscript(tmp_path, edition_lines=chosen)
    options = ["--pdf-variant", "pdf/a-3b"] if how != "edition.yaml" else []
    result = run_cli_here("pdf", *options, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "dist").glob("*.pdf")
    with pikepdf.open(path) as pdf:
        assert xmp(pdf, "pdfaid:part") == "3"
        assert xmp(pdf, "pdfaid:conformance") == "B"
        assert len(pdf.Root.OutputIntents) == 1
    assert_fit_to_publish(path)


def test_an_unknown_variant_is_refused(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="pdf_variant: pdf/z-9\n")
    with pytest.raises(ManuscriptError) as caught:
        load_edition(manuscript)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (13, "`pdf/z-9` is not a PDF variant hkcq-press writes")
    assert run_cli_here("pdf", "--pdf-variant", "pdf/z-9", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("size, box", [
    ("a4", [595.28, 841.89]), ("letter", [612, 792]), ("tabloid", [792, 1224]), ("book", [432, 648]),
])
def test_page_sizes(tmp_path: Path, size: str, box: list[float]) -> None:
    shutil.copytree(MULTI, tmp_path / "manuscript")
    result = run_cli_here("pdf", "--page-size", size, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "dist").glob("*.pdf")
    with pikepdf.open(path) as pdf:
        assert {(round(float(page.MediaBox[2]), 1), round(float(page.MediaBox[3]), 1)) for page in pdf.pages} == {
            tuple(round(v, 1) for v in box)}


def test_page_size_from_the_edition_and_the_option_wins(tmp_path: Path) -> None:
    copy_manuscript(tmp_path, edition_lines="page_size: Letter\n")
    assert run_cli_here("pdf", "--out", "a", cwd=tmp_path).returncode == 0
    assert run_cli_here("pdf", "--out", "b", "--page-size", "tabloid", cwd=tmp_path).returncode == 0
    for out, width in (("a", 612), ("b", 792)):
        (path,) = (tmp_path / out).glob("*.pdf")
        with pikepdf.open(path) as pdf:
            assert round(float(pdf.pages[0].MediaBox[2])) == width


@pytest.mark.parametrize(("written", "millimetres"), [
    (None, 3), pytest.param("5mm", 5, marks=pytest.mark.slow), pytest.param("2.5", 2.5, marks=pytest.mark.slow),
])
def test_print_marks_sit_in_a_slug_outside_the_bleed(tmp_path: Path, written: str | None, millimetres: float) -> None:
    """As printers want them: TrimBox the page, BleedBox the printer's bleed beyond it
    (`bleed:`, 3 mm unless told), the MediaBox a slug beyond that, where the crop marks
    are drawn, clear of the bleed; every page alike."""
    import subprocess

    from PIL import Image

    shutil.copytree(MULTI, tmp_path / "manuscript")
    if written:
        with (tmp_path / "manuscript" / "edition.yaml").open("a", encoding="utf-8") as edition:
            edition.write(f"bleed: {written}\n")
    result = run_cli_here("pdf", "--print-marks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "dist").glob("*.pdf")
    mm = 72 / 25.4
    with pikepdf.open(path) as pdf:
        boxes = [[[float(value) for value in page.obj[box]] for box in ("/TrimBox", "/BleedBox", "/MediaBox")]
                 for page in pdf.pages]
    trim, bleed, media = boxes[0]
    assert all(page == [trim, bleed, media] for page in boxes)
    assert [round(value, 1) for value in trim] == [0, 0, 595.3, 841.9]
    assert [round(edge, 2) for edge in (trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2],
                                        bleed[3] - trim[3])] == [round(millimetres * mm, 2)] * 4
    assert bleed[0] - media[0] >= 6 * mm and media[3] - bleed[3] >= 6 * mm, "a slug for the marks"
    # At 144 dpi, so a 1 pt mark is a whole pixel row wherever it falls.
    subprocess.run(["pdftoppm", "-r", "144", "-f", "1", "-l", "1", "-gray", "-png", str(path), str(tmp_path / "page")],
                   check=True)
    (picture,) = tmp_path.glob("page*.png")
    ink = Image.open(picture).convert("L").point(lambda grey: 255 if grey < 128 else 0)

    def inked(left: float, top: float, right: float, bottom: float) -> bool:
        """Whether anything is drawn in the box (PDF points from the MediaBox's top left)."""
        return ink.crop((round(2 * left), round(2 * top), round(2 * right), round(2 * bottom))).getbbox() is not None

    slug_width, bleed_width = bleed[0] - media[0], trim[0] - bleed[0]
    assert inked(0, 0, slug_width, slug_width + bleed_width + 1), "a crop mark in the slug at the top left"
    band = slug_width + 1
    assert not inked(band, band, band + bleed_width - 2, band + bleed_width - 2), "nothing in the bleed at the corner"


def test_an_edition_with_marks_is_the_same_bytes_built_again(tmp_path: Path) -> None:
    """Its BleedBox is set after WeasyPrint writes: the file's identifier from its content."""
    shutil.copytree(MULTI, tmp_path / "manuscript")
    built = []
    for _ in range(2):
        result = run_cli_here("pdf", "--print-marks", "--force", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1767571200"})
        assert result.returncode == 0, result.stderr
        built.append(next((tmp_path / "dist").glob("*.pdf")).read_bytes())
    assert built[0] == built[1]


@pytest.mark.parametrize("written", ["0.5mm", "12mm", "3 inches", "three"])
def test_a_bleed_out_of_range_is_refused_at_its_line(tmp_path: Path, written: str) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines=f"bleed: {written}\n")
    line = (manuscript / "edition.yaml").read_text(encoding="utf-8").splitlines().index(f"bleed: {written}") + 1
    result = run_cli_here("check", "--manuscript", str(manuscript), cwd=tmp_path)
    assert result.returncode == 1
    assert f"edition.yaml:{line}: error: `bleed: {written}` is not a bleed hkcq-press prints" in result.stderr


def test_an_unknown_page_size_is_refused_at_its_line(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="page_size: Foolscap\n")
    with pytest.raises(ManuscriptError) as caught:
        load_edition(manuscript)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (13, "`Foolscap` is not a page size hkcq-press knows")
    assert problem.hint == "Choose one of a4, letter, tabloid, book."


# --- PDF/X: the edition for the printer ---------------------------------------------------------

PROFILES = Path(__file__).resolve().parent.parent / "src" / "hkcq_press" / "layouts" / "profiles"


def described(profile: Path | bytes) -> str:
    """An ICC profile's description, as LittleCMS reads it (WeasyPrint writes the profile
    again through it, so its bytes change, not what it says)."""
    import io

    from PIL import ImageCms

    source = io.BytesIO(profile) if isinstance(profile, bytes) else str(profile)
    return str(ImageCms.getOpenProfile(source).profile.profile_description)


def colour_operators(pdf: pikepdf.Pdf) -> set[str]:
    """Every colour the pages' content streams set, as operator and operands."""
    found = set()
    for page in pdf.pages:
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) in {"rg", "RG", "k", "K", "g", "G", "sc", "SC", "scn", "SCN", "cs", "CS"}:
                found.add(" ".join([*(str(operand) for operand in operands), str(operator)]))
    return found


@pytest.fixture(scope="module")
def press_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The desk's week as PDF/X-4 and as the default PDF/UA-1, both with their EPUBs."""
    root = tmp_path_factory.mktemp("press")
    for name, options in (("press", ["--pdf-variant", "pdf/x-4"]), ("plain", [])):
        result = run_cli_here("build", "--manuscript", str(DESKWEEK), "--out", str(root / name), *options, cwd=root,
                         env={"SOURCE_DATE_EPOCH": "1767571200"})
        assert result.returncode == 0, result.stderr
    return root / "press", root / "plain"


def test_a_pdf_x_4_names_the_press_profile_as_its_output_intent_and_keeps_its_tags(
    press_week: tuple[Path, Path],
) -> None:
    press, _ = press_week
    (path,) = press.glob("*.pdf")
    with pikepdf.open(path) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert str(intent.S) == "/GTS_PDFX" and int(intent.DestOutputProfile.N) == 4
        assert str(intent.OutputConditionIdentifier) == described(PROFILES / "coated-fogra39.icc")
        assert described(intent.DestOutputProfile.read_bytes()) == described(PROFILES / "coated-fogra39.icc")
        assert xmp(pdf, "pdfxid:GTS_PDFXVersion") == "PDF/X-4"
        for page in pdf.pages:
            trim, bleed, media = ([float(value) for value in page.obj[box]] for box in ("/TrimBox", "/BleedBox",
                                                                                       "/MediaBox"))
            assert media[0] <= bleed[0] <= trim[0] and trim[2] <= bleed[2] <= media[2]
        assert "/StructTreeRoot" in pdf.Root and str(pdf.Root.Lang) == "en", "the tags are kept"
        colours = colour_operators(pdf)
    assert not any(colour.endswith((" rg", " RG")) for colour in colours), f"no RGB colour: {colours}"
    assert "0 0 0 1 scn" in colours, "text in black ink alone (K 100)"
    assert_fit_to_publish(path)


def test_the_e_book_of_a_pdf_x_build_is_the_same(press_week: tuple[Path, Path]) -> None:
    press, plain = press_week
    assert next(press.glob("*.epub")).read_bytes() == next(plain.glob("*.epub")).read_bytes()
    with pikepdf.open(next(plain.glob("*.pdf"))) as pdf:
        assert "/OutputIntents" not in pdf.Root
        assert any(colour.endswith(" rg") for colour in colour_operators(pdf)), "the screen edition keeps RGB"


@pytest.mark.parametrize(("variant", "version"), [("pdf/x-1a", "PDF/X-1a:2003"), ("pdf/x-3", "PDF/X-3:2003")])
def test_the_older_pdf_x_variants_are_written_too(tmp_path: Path, variant: str, version: str) -> None:
    copy_manuscript(tmp_path, edition_lines=f"pdf_variant: {variant}\n")
    result = run_cli_here("pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "dist").glob("*.pdf")
    with pikepdf.open(path) as pdf:
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == version
        assert str(pdf.Root.OutputIntents[0].S) == "/GTS_PDFX"


def test_the_printers_own_profile_is_the_output_intent(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="pdf_variant: pdf/x-4\nprint_profile: press/printer.icc\n")
    (manuscript / "press").mkdir()
    # The house's profile, its description changed in place: another press's, for the test.
    printer = (PROFILES / "coated-fogra39.icc").read_bytes().replace(b"Coated FOGRA39", b"Printer Press7")
    (manuscript / "press" / "printer.icc").write_bytes(printer)
    assert described(manuscript / "press" / "printer.icc").startswith("Printer Press7")
    result = run_cli_here("pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(next((tmp_path / "dist").glob("*.pdf"))) as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert described(intent.DestOutputProfile.read_bytes()) == described(manuscript / "press" / "printer.icc")


@pytest.mark.parametrize(("profile", "problem"), [
    ("display", "is a profile of RGB colour, not CMYK"),
    ("missing", "does not exist, or is not a regular file"),
    ("damaged", "is not an ICC profile"),
])
def test_a_print_profile_that_is_no_press_profile_is_refused_at_its_line(
    tmp_path: Path, profile: str, problem: str,
) -> None:
    import weasyprint

    manuscript = copy_manuscript(tmp_path, edition_lines="print_profile: press.icc\n")
    if profile == "display":
        shutil.copy(Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc", manuscript / "press.icc")
    elif profile == "damaged":
        (manuscript / "press.icc").write_bytes((PROFILES / "coated-fogra39.icc").read_bytes()[:200])
    line = len((manuscript / "edition.yaml").read_text(encoding="utf-8").splitlines())
    for command in ("check", "pdf"):
        result = run_cli_here(command, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert f"manuscript/edition.yaml:{line}: error: `print_profile: press.icc` {problem}" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_verify_refuses_a_pdf_x_without_its_output_intent_or_its_trim_box(press_week: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    press, _ = press_week
    (path,) = press.glob("*.pdf")
    for fault in ("no output intent", "no trim box"):
        broken = tmp_path / f"{fault}.pdf"
        with pikepdf.open(path) as pdf:
            if fault == "no output intent":
                del pdf.Root["/OutputIntents"]
            else:
                del pdf.pages[1].obj["/TrimBox"]
            pdf.save(broken)
        problems = check_pdf(broken, broken, HouseStyle(None))
        expected = ("the PDF claims PDF/X-4 but has no PDF/X output intent" if fault == "no output intent"
                    else "the page has no TrimBox")
        assert any(problem.message.startswith(expected) for problem in problems), problems
        if fault == "no trim box":
            assert [problem.place for problem in problems if problem.message.startswith(expected)] == ["page 2"]


# --- Pictures at the press's resolution ------------------------------------------------------------


def embedded_pictures(pdf_path: Path) -> list[tuple[int, int]]:
    """Each picture the PDF embeds once (its pages share one set of resources)."""
    with pikepdf.open(pdf_path) as pdf:
        found = {image.objgen: (int(image.Width), int(image.Height))
                 for page in pdf.pages for image in page.get_images().values()}
    return list(found.values())


@pytest.mark.parametrize(("pixels", "ppi", "widest"), [
    ((3000, 2000), None, 1005),  # a column of about 85 mm at 300 ppi
    pytest.param((3000, 2000), 150, 503, marks=pytest.mark.slow),
    pytest.param((600, 400), None, 600, marks=pytest.mark.slow),  # never upsampled
])
def test_pictures_are_resampled_to_the_press_resolution_at_their_printed_size(
    tmp_path: Path, pixels: tuple[int, int], ppi: int | None, widest: int,
) -> None:
    from support import generated_article, generated_edition

    manuscript = generated_edition(tmp_path / "m", [generated_article(1, 6, figure_after=1)],
                                   f"print_ppi: {ppi}\n" if ppi else "", picture=pixels)
    result = run_cli_here("pdf", "--manuscript", str(manuscript), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (picture,) = embedded_pictures(next((tmp_path / "out").glob("*.pdf")))
    assert picture[0] <= widest and (picture[0] == pixels[0] or picture[0] >= widest - 12)
    assert abs(picture[0] / picture[1] - pixels[0] / pixels[1]) < 0.01, "in proportion"
    with zipfile.ZipFile(next(iter(run_cli_epub(manuscript, tmp_path)))) as book:
        (carried,) = [name for name in book.namelist() if name.startswith("EPUB/images/image-")]
        if max(pixels) <= 2000:
            assert book.read(carried) == (manuscript / "images" / "picture.png").read_bytes(), "the original"
        else:  # no larger than a reader shows: 2,000 pixels on the long side, in proportion
            from PIL import Image

            with Image.open(io.BytesIO(book.read(carried))) as shown:
                assert max(shown.size) == 2000 and shown.format == "PNG"
                assert abs(shown.width / shown.height - pixels[0] / pixels[1]) < 0.01


def run_cli_epub(manuscript: Path, tmp_path: Path) -> list[Path]:
    result = run_cli_here("epub", "--manuscript", str(manuscript), "--out", str(tmp_path / "book"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return list((tmp_path / "book").glob("*.epub"))


@pytest.mark.parametrize("written", ["72", "3000", "high", "300.5"])
def test_a_print_resolution_out_of_range_is_refused_at_its_line(tmp_path: Path, written: str) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines=f"print_ppi: {written}\n")
    line = len((manuscript / "edition.yaml").read_text(encoding="utf-8").splitlines())
    result = run_cli_here("check", cwd=tmp_path)
    assert result.returncode == 1
    assert f"manuscript/edition.yaml:{line}: error: `print_ppi: {written}` is not a resolution" in result.stderr


# --- Pictures separated into the printer's CMYK ------------------------------------------------------


def _pictures_as_shown(pdf_path: Path) -> list[tuple[int, int, float]]:
    """Each picture as PDFium draws it: its page, colour space and mean brightness."""
    import pypdfium2
    import pypdfium2.raw as pdfium
    from PIL import ImageStat

    document = pypdfium2.PdfDocument(pdf_path)
    try:
        shown = []
        for number, page in enumerate(document, 1):
            for image in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=8):
                drawn = image.get_bitmap(render=True).to_pil().convert("RGB")
                shown.append((number, image.get_metadata().colorspace, sum(ImageStat.Stat(drawn).mean) / 3))
        return shown
    finally:
        document.close()


@pytest.mark.parametrize("variant", ["pdf/x-4", pytest.param("pdf/x-1a", marks=pytest.mark.slow)])
def test_pictures_of_a_pdf_x_edition_are_separated_into_the_printers_cmyk(
    press_week: tuple[Path, Path], tmp_path: Path, variant: str,
) -> None:
    """Each picture in DeviceCMYK, no soft mask; it looks as the RGB edition's does (PDFium
    draws both: their mean brightness within 12 %); the preflight passes; the e-book keeps
    the original picture."""
    import pypdfium2.raw as pdfium

    _, plain = press_week
    out = tmp_path / "out"
    result = run_cli_here("build", "--manuscript", str(DESKWEEK), "--out", str(out), "--pdf-variant", variant, cwd=tmp_path,
                     env={"SOURCE_DATE_EPOCH": "1767571200"})
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("*.pdf")
    with pikepdf.open(path) as pdf:
        images = {image.objgen: image for page in pdf.pages for image in page.get_images().values()}
        assert images and all(str(image.ColorSpace) == "/DeviceCMYK" and "/SMask" not in image
                              for image in images.values())
    separated, original = _pictures_as_shown(path), _pictures_as_shown(next(plain.glob("*.pdf")))
    assert [shown[:2] for shown in separated] == [(page, pdfium.FPDF_COLORSPACE_DEVICECMYK) for page, *_ in original]
    assert [shown[1] for shown in original] == [pdfium.FPDF_COLORSPACE_DEVICERGB] * len(original)
    for (_, _, cmyk), (_, _, rgb) in zip(separated, original, strict=True):
        assert abs(cmyk - rgb) < 0.12 * 255, (cmyk, rgb)
    assert check_pdf(path, path, HouseStyle(None)) == []
    assert next(out.glob("*.epub")).read_bytes() == next(plain.glob("*.epub")).read_bytes()


def test_the_preflight_finds_rgb_transparency_and_pictures_out_of_the_resolution_band(
    press_week: tuple[Path, Path], tmp_path: Path,
) -> None:
    """A PDF/X file whose picture is RGB (as WeasyPrint writes one unseparated); one with a
    graphics state at 50 % opacity, claiming PDF/X-1a; a picture at 600 ppi."""
    press, plain = press_week
    (good,) = press.glob("*.pdf")
    with pikepdf.open(good) as pdf, pikepdf.open(next(plain.glob("*.pdf"))) as screen:
        (rgb,) = {image.objgen: image for page in screen.pages for image in page.get_images().values()}.values()
        for page in pdf.pages:
            for name in list(page.get_images()):
                page.Resources.XObject[name] = pdf.copy_foreign(rgb)
        pdf.save(tmp_path / "rgb.pdf")
    found = check_pdf(tmp_path / "rgb.pdf", Path("rgb.pdf"), HouseStyle(None))
    assert [(problem.place, problem.message) for problem in found] == [
        ("page 2", "a picture is in RGB, which a PDF/X file must not use: the printer's CMYK or grey")]

    with pikepdf.open(good) as pdf:
        with pdf.open_metadata() as metadata:
            metadata["pdfxid:GTS_PDFXVersion"] = "PDF/X-1a:2003"
        pdf.pages[0].Resources.ExtGState = pikepdf.Dictionary(Half=pikepdf.Dictionary(ca=0.5, CA=0.5))
        pdf.save(tmp_path / "transparent.pdf")
    found = check_pdf(tmp_path / "transparent.pdf", Path("transparent.pdf"), HouseStyle(None))
    assert ("page 1", "the page uses transparency, which PDF/X-1a forbids") in [
        (problem.place, problem.message) for problem in found]

    from PIL import Image

    copy = tmp_path / "fine-manuscript"
    shutil.copytree(DESKWEEK, copy)
    with Image.open(copy / "images" / "opera-house.jpg") as picture:  # 3000 pixels across an 85 mm column
        picture.resize((3000, 2000)).save(copy / "images" / "opera-house.jpg", quality=90)
    (copy / "edition.yaml").write_text((copy / "edition.yaml").read_text(encoding="utf-8") + "print_ppi: 600\n",
                                       encoding="utf-8")
    result = run_cli_here("pdf", "--manuscript", str(copy), "--out", str(tmp_path / "fine"), "--pdf-variant", "pdf/x-4",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = check_pdf(next((tmp_path / "fine").glob("*.pdf")), Path("fine.pdf"), HouseStyle(None))
    assert [(problem.severity, problem.place) for problem in found] == [("warning", "page 2")]
    assert re.fullmatch(r"a picture prints at \d+ ppi, more than the 450 ppi a press can use", found[0].message)
