"""The EPUB is accessible and says so: Ace by DAISY finds nothing, and the package
carries EPUB Accessibility 1.1 metadata that an edition can override."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import MULTI, Built, copy_manuscript
from lxml import etree
from support import ace_violations, epubcheck_messages

from hkcq_press.build import build

OPF = "{http://www.idpf.org/2007/opf}"


def package(epub: Path) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read("EPUB/content.opf"))


def metadata(epub: Path) -> list[tuple[str, str, str | None]]:
    return [
        (meta.get("property"), meta.text, meta.get("refines"))
        for meta in package(epub).iter(f"{OPF}meta")
        if meta.get("property", "").startswith(("schema:", "dcterms:conformsTo", "a11y:"))
    ]


def test_ace_finds_no_violation(edition: Built, tmp_path: Path) -> None:
    assert ace_violations(edition.epub) == []


def test_default_accessibility_metadata(sample_edition: Built, multi_edition: Built) -> None:
    sample = metadata(sample_edition.epub)
    assert ("schema:accessMode", "textual", None) in sample
    assert ("schema:accessMode", "visual", None) not in sample
    assert ("schema:accessModeSufficient", "textual", None) in sample
    for feature in ("structuralNavigation", "tableOfContents", "readingOrder"):
        assert ("schema:accessibilityFeature", feature, None) in sample
    assert ("schema:accessibilityFeature", "alternativeText", None) not in sample
    assert ("schema:accessibilityHazard", "none", None) in sample
    summary = next(text for prop, text, _ in sample if prop == "schema:accessibilitySummary")
    assert "not certified by a third party" in summary
    assert "epubcheck" not in summary and "Ace" not in summary  # not verified: no check is claimed
    assert "picture" not in summary  # the sample has none
    assert "Pull quotes repeat words of their article" in summary
    assert ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA", None) in sample
    assert ("a11y:certifiedBy", "Hong Kong–Chongqing News Desk", "#conformance") in sample
    with_images = metadata(multi_edition.epub)
    assert ("schema:accessMode", "visual", None) in with_images
    assert ("schema:accessibilityFeature", "alternativeText", None) in with_images


def test_an_edition_overrides_the_accessibility_metadata(tmp_path: Path) -> None:
    manuscript = tmp_path / "manuscript"
    shutil.copytree(MULTI, manuscript)
    edition = manuscript / "edition.yaml"
    edition.write_text(edition.read_text(encoding="utf-8") + (
        "accessibility:\n"
        "  access_mode_sufficient: [textual, 'textual,visual']\n"
        "  features: [structuralNavigation, tableOfContents, readingOrder, alternativeText, ARIA]\n"
        "  hazards: [noFlashingHazard, noMotionSimulationHazard, noSoundHazard]\n"
        "  summary: Checked by the desk's accessibility editor.\n"
        "  certified_by: An Accessibility Auditor\n"
    ), encoding="utf-8")
    result = build(manuscript, tmp_path / "out", formats=("epub",))
    found = metadata(result.outputs[0].path)
    assert ("schema:accessModeSufficient", "textual,visual", None) in found
    assert ("schema:accessibilityFeature", "ARIA", None) in found
    assert [text for prop, text, _ in found if prop == "schema:accessibilityHazard"] == [
        "noFlashingHazard", "noMotionSimulationHazard", "noSoundHazard",
    ]
    assert ("schema:accessibilitySummary", "Checked by the desk's accessibility editor.", None) in found
    assert ("a11y:certifiedBy", "An Accessibility Auditor", "#conformance") in found


def test_package_language_and_landmarks(multi_edition: Built) -> None:
    assert package(multi_edition.epub).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    with zipfile.ZipFile(multi_edition.epub) as archive:
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
    landmarks = nav.find(".//{*}nav[@{http://www.idpf.org/2007/ops}type='landmarks']")
    links = [(a.get("{http://www.idpf.org/2007/ops}type"), a.get("href")) for a in landmarks.iter("{*}a")]
    assert links == [
        ("cover", "text/cover.xhtml"), ("titlepage", "text/titlepage.xhtml"), ("toc", "nav.xhtml"),
        ("bodymatter", "text/framework.xhtml"),
    ]


def spine(epub: Path) -> list[str]:
    opf = package(epub)
    hrefs = {item.get("id"): item.get("href") for item in opf.iter(f"{OPF}item")}
    return [hrefs[itemref.get("idref")] for itemref in opf.iter(f"{OPF}itemref")]


def test_reading_order_cover_title_contents_articles_colophon(multi_edition: Built) -> None:
    assert spine(multi_edition.epub) == [
        "text/cover.xhtml", "text/titlepage.xhtml", "nav.xhtml",
        "text/framework.xhtml", "text/delegation.xhtml", "text/cafe.xhtml", "text/colophon.xhtml",
    ]


def page_text(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as archive:
        root = etree.fromstring(archive.read(f"EPUB/text/{name}.xhtml"))
    return " ".join("".join(root.find("{*}body").itertext()).split())


def test_title_page_and_colophon(multi_edition: Built) -> None:
    assert page_text(multi_edition.epub, "titlepage") == (
        "Test Edition: Two Cities, Three Stories A fixture with several articles Fixture Press & Co. 5 January 2026"
    )
    colophon = page_text(multi_edition.epub, "colophon")
    assert "Test Edition: Two Cities, Three Stories, published by Fixture Press & Co., 5 January 2026." in colophon
    assert "For testing only." in colophon
    assert "The Daily Mail-China Daily news exchange item (2 articles)" in colophon
    assert "Identifier: 9789629370000" in colophon


def test_a_cover_is_drawn_from_the_title(multi_edition: Built) -> None:
    opf = package(multi_edition.epub)
    cover = next(item for item in opf.iter(f"{OPF}item") if item.get("properties") == "cover-image")
    assert (cover.get("href"), cover.get("media-type")) == ("images/cover.svg", "image/svg+xml")
    with zipfile.ZipFile(multi_edition.epub) as archive:
        svg = etree.fromstring(archive.read("EPUB/images/cover.svg"))
    lines = [" ".join(text.itertext()) for text in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert lines == ["Test Edition:", "Two Cities,", "Three Stories", "A fixture with several articles",
                     "Fixture Press & Co."]


def test_the_edition_names_its_cover(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, edition_lines="cover: images/night-view.png\n")
    result = build(manuscript, tmp_path / "out", formats=("epub",))
    opf = package(result.outputs[0].path)
    cover = next(item for item in opf.iter(f"{OPF}item") if item.get("properties") == "cover-image")
    assert (cover.get("href"), cover.get("media-type")) == ("images/cover.png", "image/png")
    with zipfile.ZipFile(result.outputs[0].path) as archive:
        assert archive.read("EPUB/images/cover.png") == (MULTI / "images" / "night-view.png").read_bytes()
    assert epubcheck_messages(result.outputs[0].path) == []


def test_a_missing_cover_is_an_error_at_its_line(tmp_path: Path) -> None:
    from hkcq_press.errors import ManuscriptError

    manuscript = copy_manuscript(tmp_path, edition_lines="cover: images/front.jpg\n")
    with pytest.raises(ManuscriptError) as caught:
        build(manuscript, tmp_path / "out")
    assert [(p.path.name, p.line, p.message) for p in caught.value.problems] == [
        ("edition.yaml", 13, "the image `images/front.jpg` does not exist"),
    ]


@pytest.mark.parametrize("key", ["accessibility: yes\n", "accessibility:\n  sumary: typo\n"])
def test_accessibility_section_mistakes(tmp_path: Path, key: str) -> None:
    from hkcq_press.errors import ManuscriptError
    from hkcq_press.reader.edition import load_edition

    manuscript = copy_manuscript(tmp_path, edition_lines=key)
    if "sumary" in key:
        _, warnings = load_edition(manuscript)
        assert [(w.line, w.message, w.hint) for w in warnings] == [
            (14, "unknown key `sumary` is ignored", "Did you mean `summary`?"),
        ]
    else:
        with pytest.raises(ManuscriptError, match="`accessibility` must be a mapping"):
            load_edition(manuscript)


def test_the_house_typefaces_are_embedded_cut_to_the_text(multi_edition: Built) -> None:
    from io import BytesIO

    from fontTools.ttLib import TTFont

    opf = package(multi_edition.epub)
    fonts = {item.get("href"): item.get("media-type") for item in opf.iter(f"{OPF}item")
             if item.get("href").startswith("styles/fonts/")}
    assert fonts == {f"styles/fonts/{name}.ttf": "font/ttf" for name in (
        "NotoSerif-Regular", "NotoSerif-Italic", "NotoSerif-Bold", "NotoSerif-BoldItalic",
        "NotoSerifDisplay-Bold", "NotoSans-Regular", "NotoSans-Bold", "NotoSansMono-Regular", "NotoSansMono-Bold",
        "NotoSansSymbols2-Regular", "NotoEmoji-Regular")}
    with zipfile.ZipFile(multi_edition.epub) as archive:
        css = archive.read("EPUB/styles/fonts.css").decode()
        article = archive.read("EPUB/text/framework.xhtml").decode()
        regular = TTFont(BytesIO(archive.read("EPUB/styles/fonts/NotoSerif-Regular.ttf")))
    assert "url(fonts/NotoSerif-Regular.ttf)" in css
    assert article.index("../styles/fonts.css") < article.index("../styles/epub.css")
    cmap = regular.getBestCmap()
    assert all(ord(char) in cmap for char in "“closer ties” — 11 areas’Chongqing")
    assert len(cmap) < 400, "the font should be cut down to the e-book's characters"
    names = {record.nameID: record.toUnicode() for record in regular["name"].names}
    assert "SIL Open Font License" in names[13] and "Google" in names[0]
