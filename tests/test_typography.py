"""The print edition's typography, read back from the PDF: hyphenation, small caps and
italics from the fonts' own glyphs, and Chinese in the forms the edition asks for."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import uharfbuzz as hb
from conftest import CHINESE, SAMPLE, Built, copy_manuscript, print_edition_of, run_cli
from fontTools.ttLib import TTFont
from lxml import etree
from support import (
    RENDERER_HYPHEN,
    Line,
    collapse,
    column_lines,
    expected_from_manuscript,
    flow,
    pattern,
    pdf_lines,
)

from hkcq_press.build import build
from hkcq_press.errors import ManuscriptError
from hkcq_press.style.fonts import chinese_faces
from hkcq_press.reader.edition import load_edition
from hkcq_press.pdf.writer import write_pdf
from hkcq_press.verify.pdfcheck import pdf_fonts
from hkcq_press.style.house import HouseStyle

FONTS = Path(__file__).resolve().parent.parent / "src" / "hkcq_press" / "layouts" / "fonts"
DISTINCT_FORMS = "香直新等"
"""Characters of the Chinese fixture drawn differently in Hong Kong, Taiwan and
mainland forms (checked below against the typefaces themselves)."""


def glyph_outline(font: TTFont, glyph: str) -> list[tuple[int, int]]:
    coordinates, _, _ = font["glyf"][glyph].getCoordinates(font["glyf"])
    return [tuple(point) for point in coordinates]


def chinese_typeface(name: str) -> TTFont:
    forms = {"NotoSerifHK": "hong-kong", "NotoSerifTC": "taiwan", "NotoSerifSC": "mainland"}[name]
    return TTFont(chinese_faces(forms)[400], lazy=True)


# --- Hyphenation ------------------------------------------------------------------------


def test_body_copy_is_hyphenated_and_names_are_not(sample_edition: Built) -> None:
    """Words break at line ends with the renderer's hyphen, only in body copy: each
    broken word is a word of the copy, and no headline, byline, pull quote or
    credit is broken."""
    (article,) = expected_from_manuscript(SAMPLE)
    words = set(re.findall(r"\w+", " ".join(article.texts)))
    lines = pdf_lines(sample_edition.pdf)
    broken = [
        (line.split()[-1][:-1], following.split()[0])
        for line, following in zip(lines, lines[1:], strict=False)
        if line.endswith(RENDERER_HYPHEN)
    ]
    assert len(broken) >= 3, "the sample's two columns should need hyphenation"
    for head, tail in broken:
        word = re.match(r"\w+", head[::-1])[0][::-1] + re.match(r"\w+", tail)[0]
        assert word in words, f"{head}‐{tail} is not a word of the copy"
    unbreakable = [article.headline, article.byline, article.credit, *article.pull_quotes]
    for line in lines:
        if line.endswith(RENDERER_HYPHEN):
            assert not any(collapse(line[:-1]) in collapse(text) for text in unbreakable if text), line


LONG_WORD = "internationalisation"
PARAGRAPH = " ".join(["An", LONG_WORD, "of", "the", "market"] * 40) + "."


def broken_at(pdf: Path, word: str) -> set[str]:
    """How `word` is broken at the end of a line in the PDF: the part before the hyphen."""
    lines = pdf_lines(pdf)
    return {
        line.split()[-1][:-1] for line, following in zip(lines, lines[1:], strict=False)
        if line.endswith(RENDERER_HYPHEN) and word.startswith(line.split()[-1][:-1])
        and word.endswith(following.split()[0].rstrip(".,"))
    }


def test_a_hyphenation_exception_is_obeyed(tmp_path: Path) -> None:
    """Without an exception the patterns break the word in several places; with one,
    only where the house's list says; listed without a break, never."""
    article = f"---\nheadline: H\nbyline: B\n---\n\n{PARAGRAPH}\n"
    control = print_edition_of(tmp_path / "control" / "m", "Control", [article])
    assert len(broken_at(control, LONG_WORD)) >= 2, "the patterns break it in more than one place"

    styles = tmp_path / "listed" / "styles"
    styles.mkdir(parents=True)
    (styles / "hyphenation.txt").write_text("# ours\ninternational-isation\n", encoding="utf-8")
    manuscript = tmp_path / "listed" / "m"
    print_edition_of(manuscript, "Listed", [article])
    listed = build(manuscript, tmp_path / "listed" / "dist", formats=("pdf",), styles_dir=styles).outputs[0].path
    assert broken_at(listed, LONG_WORD) == {"international"}
    assert LONG_WORD in flow(pdf_lines(listed)).replace(RENDERER_HYPHEN + "\n", "")

    (styles / "hyphenation.txt").write_text("internationalisation\n", encoding="utf-8")
    never = build(manuscript, tmp_path / "listed" / "never", formats=("pdf",), styles_dir=styles).outputs[0].path
    assert broken_at(never, LONG_WORD) == set()


def test_a_malformed_exception_is_refused_at_its_line(tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "hyphenation.txt").write_text("start-ed\nstar ted\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as raised:
        build(SAMPLE, tmp_path / "dist", formats=("pdf",), styles_dir=styles)
    (problem,) = raised.value.problems
    assert (problem.path, problem.line, problem.message) == (
        styles / "hyphenation.txt", 2, "`star ted` is not a word with its breaks")
    checked = run_cli("check", "--manuscript", str(SAMPLE), "--styles", str(styles), cwd=tmp_path)
    assert checked.returncode == 1
    assert "styles/hyphenation.txt:2: error: `star ted` is not a word with its breaks" in checked.stderr


# --- Small capitals and italics from the fonts' own glyphs --------------------------------


def shaped_glyphs(font_file: Path, text: str, features: dict[str, bool]) -> set[int]:
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(font_file))))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, features)
    return {info.codepoint for info in buffer.glyph_infos}


def test_dateline_is_set_in_the_fonts_small_capitals(sample_edition: Built) -> None:
    """The PDF shows the small-cap glyphs of Noto Sans Bold (its `smcp` feature): the
    fonts keep their glyph ids when WeasyPrint subsets them."""
    small_caps = shaped_glyphs(FONTS / "NotoSans-Bold.ttf", "ong", {"smcp": True})
    lower_case = shaped_glyphs(FONTS / "NotoSans-Bold.ttf", "ong", {})
    assert small_caps.isdisjoint(lower_case)
    (bold_sans,) = [font for font in pdf_fonts(sample_edition.pdf) if font.base_font.endswith("+Noto-Sans-Bold")]
    assert small_caps <= bold_sans.shown


def test_italics_come_from_the_italic_font(sample_edition: Built) -> None:
    """Pull quotes are italic: the shipped italic font, not a slanted roman."""
    italics = [font for font in pdf_fonts(sample_edition.pdf) if font.base_font.endswith("+Noto-Serif-Italic")]
    assert [(font.family, font.subfamily) for font in italics] == [("Noto Serif", "Italic")]
    shipped = TTFont(FONTS / "NotoSerif-Italic.ttf")
    glyph = italics[0].glyph_for("a")
    assert glyph_outline(italics[0].program, glyph) == glyph_outline(shipped, shipped.getBestCmap()[ord("a")])


# --- Chinese --------------------------------------------------------------------------------


def test_the_fixture_characters_have_distinct_forms() -> None:
    faces = {name: chinese_typeface(name) for name in ("NotoSerifHK", "NotoSerifTC", "NotoSerifSC")}
    for char in DISTINCT_FORMS:
        outlines = [glyph_outline(face, face.getBestCmap()[ord(char)]) for face in faces.values()]
        assert outlines[0] != outlines[1] and outlines[0] != outlines[2], char


def assert_printed_in(pdf: Path, typeface: str) -> None:
    reference = chinese_typeface(typeface)
    chinese = [font for font in pdf_fonts(pdf) if font.family.startswith("Noto Serif ") and font.family[-2:].isupper()]
    assert {font.family for font in chinese} == {f"Noto Serif {typeface[-2:]}"}
    for char in DISTINCT_FORMS:
        (font,) = [font for font in chinese if font.subfamily == "Regular" and char in font.to_unicode.values()][:1]
        printed = glyph_outline(font.program, font.glyph_for(char))
        assert printed == glyph_outline(reference, reference.getBestCmap()[ord(char)]), char


def test_chinese_prints_in_hong_kong_forms_by_default(chinese_edition: Built) -> None:
    assert_printed_in(chinese_edition.pdf, "NotoSerifHK")


@pytest.mark.parametrize(("forms", "typeface"), [("mainland", "NotoSerifSC"), ("Taiwan", "NotoSerifTC")])
def test_an_edition_chooses_other_chinese_forms(forms: str, typeface: str, tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, CHINESE, f"chinese_forms: {forms}\n")
    result = build(manuscript, tmp_path / "dist")
    assert result.warnings == []
    assert_printed_in(result.outputs[0].path, typeface)
    with zipfile.ZipFile(result.outputs[1].path) as epub:
        assert f"EPUB/styles/fonts/{typeface}-Regular.ttf" in epub.namelist()


QUOTED_MAINLAND = "《成渝地区双城经济圈建设规划纲要》，两江新区，陈先生"
"""A Hong Kong desk quoting a mainland document: 区 纲 规 陈 are in no Hong Kong or Taiwan face."""
OWN_COPY = "團結村的梁錦輝說，香港和重慶的合作"


def chinese_manuscript(root: Path, forms: str = "") -> Path:
    manuscript = root / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    (manuscript / "edition.yaml").write_text(
        f"title: Two scripts\nlanguage: en\n{forms}articles: [articles/a.md]\n", encoding="utf-8")
    (manuscript / "articles" / "a.md").write_text(
        f"---\nheadline: Both scripts\nbyline: Desk\n---\n\nThe desk wrote {OWN_COPY} and quoted "
        f"{QUOTED_MAINLAND}.\n\n**Bold: {QUOTED_MAINLAND}**\n", encoding="utf-8")
    return manuscript


@pytest.mark.slow
def test_a_hong_kong_edition_prints_quoted_simplified_chinese_from_the_next_face(tmp_path: Path) -> None:
    """Each character in the first face of HK, TC, SC that has it, checked by outline;
    the desk's own traditional copy keeps Hong Kong forms."""
    result = build(chinese_manuscript(tmp_path), tmp_path / "dist")
    assert result.warnings == []
    pdf, epub = (output.path for output in result.outputs)
    faces = {name: chinese_typeface(name) for name in ("NotoSerifHK", "NotoSerifTC", "NotoSerifSC")}
    printed = [font for font in pdf_fonts(pdf) if font.family.startswith("Noto Serif ") and font.family[-2:].isupper()]
    assert {font.family for font in printed} == {"Noto Serif HK"}  # one face: the others' glyphs merged into it
    punctuation = set("《》，")
    expected_shown = {"Regular": set(OWN_COPY + QUOTED_MAINLAND) - punctuation, "Bold": set(QUOTED_MAINLAND) - punctuation}
    forms = {"Noto Serif HK": "hong-kong", "Noto Serif TC": "taiwan", "Noto Serif SC": "mainland"}
    for font in printed:
        shown = {char for char in expected_shown[font.subfamily] if char in font.to_unicode.values()}
        assert shown == expected_shown[font.subfamily], font.subfamily
        for char in shown:
            # The first of HK, TC, SC that has the character, in the same weight.
            family = next(face["name"].getDebugName(1) for face in faces.values() if ord(char) in face.getBestCmap())
            reference = TTFont(chinese_faces(forms[family])[700 if font.subfamily == "Bold" else 400], lazy=True)
            outline = glyph_outline(font.program, font.glyph_for(char))
            assert outline == glyph_outline(reference, reference.getBestCmap()[ord(char)]), (char, font.subfamily)
    with zipfile.ZipFile(epub) as book:
        names = book.namelist()
        embedded = TTFont(io.BytesIO(book.read("EPUB/styles/fonts/NotoSerifHK-Regular.ttf")))
    assert not [name for name in names if "NotoSerifSC" in name or "NotoSerifTC" in name]
    sc = faces["NotoSerifSC"]
    for char in "区纲规陈":
        assert glyph_outline(embedded, embedded.getBestCmap()[ord(char)]) == glyph_outline(sc, sc.getBestCmap()[ord(char)])
    assert glyph_outline(embedded, embedded.getBestCmap()[ord("香")]) == glyph_outline(
        faces["NotoSerifHK"], faces["NotoSerifHK"].getBestCmap()[ord("香")])


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")


def chinese_text_languages(epub: Path) -> list[tuple[str, str, str]]:
    """Each text of every XHTML document that has Chinese in it: (document, language it
    is in, text), its language being the nearest `lang` around it."""
    found = []
    with zipfile.ZipFile(epub) as book:
        for name in book.namelist():
            if not name.endswith(".xhtml"):
                continue
            root = etree.fromstring(book.read(name))

            def visit(element: etree._Element, language: str, name: str = name) -> None:
                if element.tag == "{http://www.w3.org/1999/xhtml}head":
                    return
                language = element.get(XML_LANG) or element.get("lang") or language
                if element.text and HAN.search(element.text):
                    found.append((name, language, element.text))
                for child in element:
                    visit(child, language)
                    if child.tail and HAN.search(child.tail):
                        found.append((name, language, child.tail))

            visit(root, "")
    return found


def test_every_run_of_chinese_in_the_epub_says_it_is_chinese(tmp_path: Path) -> None:
    result = build(chinese_manuscript(tmp_path), tmp_path / "dist", formats=("epub",))
    found = chinese_text_languages(result.outputs[0].path)
    assert found
    assert [(text, language) for _, language, text in found if not language.startswith("zh")] == []
    in_article = {text: language for name, language, text in found if name.endswith("/a.xhtml")}
    assert in_article[OWN_COPY] == "zh-Hant-HK"  # the desk's traditional copy
    assert in_article[QUOTED_MAINLAND] == "zh-Hans"  # the quoted document, from its opening bracket


@pytest.mark.parametrize("name, headlines", [
    ("chinese", {"港渝建立高層合作機制": "zh-Hant-HK", "重庆": "zh-Hans", "香港": "zh-Hant-HK"}),
    ("deskweek", {}),
])
def test_the_fixture_editions_mark_their_chinese(name: str, headlines: dict[str, str],
                                                 request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(f"{name}_edition")
    found = chinese_text_languages(built.epub)
    assert found
    assert [(document, text) for document, language, text in found if not language.startswith("zh")] == []
    navigation = {text: language for document, language, text in found if document.endswith("nav.xhtml")}
    assert navigation == headlines  # Chinese headlines in the contents are marked too


def test_a_character_no_chinese_face_has_is_refused_with_a_true_hint(tmp_path: Path) -> None:
    faces = [chinese_typeface(name).getBestCmap() for name in ("NotoSerifHK", "NotoSerifTC", "NotoSerifSC")]
    rare = next(chr(code) for code in range(0x20000, 0x2A6DF) if all(code not in cmap for cmap in faces))
    manuscript = chinese_manuscript(tmp_path)
    article = manuscript / "articles" / "a.md"
    article.write_text(article.read_text(encoding="utf-8") + f"\nA rare name: {rare}.\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as raised:
        build(manuscript, tmp_path / "dist")
    (problem,) = raised.value.problems
    assert problem.line == 10
    assert problem.message.startswith("this text has characters the house typefaces cannot print: U+2")
    assert problem.hint == ("Not even Noto Serif HK, TC or SC has them: replace each with its common form, or add "
                            "a typeface that has them to the house style (fonts.css).")


def test_chinese_without_the_faces_installed_says_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hkcq_press.style import fonts

    monkeypatch.setattr(fonts, "chinese_font_folders", lambda: (tmp_path / "nowhere",))
    with pytest.raises(ManuscriptError) as raised:
        build(chinese_manuscript(tmp_path), tmp_path / "dist")
    hints = {problem.hint for problem in raised.value.problems}
    assert hints == {"The Chinese typefaces are not installed: `hkcq-press fonts install` installs them."}


NAMES = ["周晓梅", "梁錦輝", "川劇", "磁器口", "洪崖洞", "李家超"]
NAMED = " ".join(f"The delegate {name} met the team of {name}s office and" for name in NAMES * 8) + " left."


def split_names(pdf: Path) -> list[tuple[str, str]]:
    """Pairs of lines where one line ends and the next begins inside a run of Chinese."""
    lines = pdf_lines(pdf)
    return [(line, following) for line, following in zip(lines, lines[1:], strict=False)
            if HAN.match(line[-1]) and HAN.match(following[0])]


def test_a_short_chinese_name_in_english_is_never_broken(tmp_path: Path) -> None:
    article = f"---\nheadline: Names\nbyline: Desk\n---\n\n{NAMED}\n"
    kept = print_edition_of(tmp_path / "kept" / "m", "Names", [article])
    assert split_names(kept) == []
    assert "周晓梅" in flow(pdf_lines(kept))
    broken = print_edition_of(tmp_path / "control" / "m", "Names", [article],
                              house_css=".chinese-name { white-space: normal; }")
    assert split_names(broken), "without the house rule, a name does break: the check can fail"


def test_a_chinese_dateline_ends_in_the_full_width_colon(tmp_path: Path) -> None:
    article = "---\nheadline: 港渝合作\nbyline: 中國日報\ndateline: 香港\nlanguage: zh-Hant-HK\n---\n\n香港與重慶建立合作。\n"
    pdf = print_edition_of(tmp_path / "m", "Dateline", [article])
    assert "香港：香港與重慶建立合作。" in flow(pdf_lines(pdf))


def test_chinese_punctuation_in_a_chinese_article_comes_from_the_chinese_face(tmp_path: Path) -> None:
    """Ellipsis and dash are in the Latin faces too, where they sit on the baseline; a
    Chinese article takes them, and its quotation marks, from the Chinese face."""
    article = "---\nheadline: 港渝合作\nbyline: 中國日報\nlanguage: zh-Hant-HK\n---\n\n他說：「合作……才剛開始——未來可期。」\n"
    pdf = print_edition_of(tmp_path / "m", "Punctuation", [article])
    shown_by = {
        char: {font.family for font in pdf_fonts(pdf) if any(char in text for text in font.to_unicode.values())}
        for char in "…—「」"
    }
    assert shown_by == {char: {"Noto Serif HK"} for char in "…—「」"}
    latin_first = print_edition_of(tmp_path / "control" / "m", "Punctuation", [article], house_css=(
        '.article:lang(zh) .article-body { font-family: "Noto Serif", "Noto Serif CJK"; }'))
    assert any("…" in text for font in pdf_fonts(latin_first) if font.family == "Noto Serif"
               for text in font.to_unicode.values()), "without the rule the Latin face sets it: the check can fail"


CHINESE_COPY = "香港與重慶建立高層合作機制，雙方將在經貿金融科技創新物流文化旅遊教育和人才交流等範疇加強合作並定期會面"


def test_a_chinese_paragraph_never_ends_with_a_lone_character(tmp_path: Path) -> None:
    """Paragraphs of every length from 20 to 60 characters: each last line (the one
    ending in 。) has at least its last four characters."""
    body = "\n\n".join(CHINESE_COPY[:length] + "。" for length in range(20, 61))
    article = f"---\nheadline: 港渝合作\nbyline: 中國日報\nlanguage: zh-Hant-HK\n---\n\n{body}\n"

    def last_lines(pdf: Path) -> list[str]:
        return [line for line in pdf_lines(pdf) if line.endswith("。")]

    kept_pdf = print_edition_of(tmp_path / "kept" / "m", "Ends", [article])
    kept = last_lines(kept_pdf)
    assert len(kept) == 41
    assert [line for line in kept if len(line) < 4] == []
    assert [line for line in pdf_lines(kept_pdf) if line[0] in "，。、」》）"] == []  # no closing mark starts a line
    loose = last_lines(print_edition_of(tmp_path / "loose" / "m", "Ends", [article],
                                        house_css=".paragraph-end { white-space: normal; }"))
    assert [line for line in loose if len(line) < 3], "without the rule a lone character ends a paragraph"


def test_unknown_chinese_forms_are_refused_naming_the_choices(tmp_path: Path) -> None:
    manuscript = copy_manuscript(tmp_path, CHINESE, "chinese_forms: cantonese\n")
    edition_yaml = manuscript / "edition.yaml"
    text = edition_yaml.read_text(encoding="utf-8")
    with pytest.raises(ManuscriptError) as raised:
        build(manuscript, tmp_path / "dist")
    assert [str(problem) for problem in raised.value.problems] == [
        f"{edition_yaml}:{len(text.splitlines())}: error: `cantonese` is not one of the Chinese glyph forms"
        " hkcq-press prints\n"
        "  Choose one of hong-kong, taiwan, mainland."
    ]
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_the_epub_embeds_the_chinese_face_cut_down(chinese_edition: Built) -> None:
    with zipfile.ZipFile(chinese_edition.epub) as epub:
        names = epub.namelist()
        stylesheet = epub.read("EPUB/styles/chinese.css").decode("utf-8")
        fonts = {weight: TTFont(io.BytesIO(epub.read(f"EPUB/styles/fonts/NotoSerifHK-{weight}.ttf")))
                 for weight in ("Regular", "Bold")}
        documents = [epub.read(name).decode("utf-8") for name in names if name.startswith("EPUB/text/")]
    assert 'font-family: "Noto Serif CJK"; font-weight: 400' in stylesheet
    assert "url(fonts/NotoSerifHK-Bold.ttf)" in stylesheet
    for font in fonts.values():
        assert font["name"].getDebugName(1) == "Noto Serif HK"
        assert ord("香") in font.getBestCmap()
        assert len(font.getBestCmap()) < 400, "the face is cut down to the book's characters"
    assert all('href="../styles/chinese.css"' in document for document in documents)


def test_an_edition_without_chinese_embeds_no_chinese_face(sample_edition: Built) -> None:
    with zipfile.ZipFile(sample_edition.epub) as epub:
        assert not [name for name in epub.namelist() if "chinese" in name or "NotoSerifHK" in name]
    assert all(font.family != "Noto Serif HK" for font in pdf_fonts(sample_edition.pdf))


# --- The check can fail ---------------------------------------------------------------------


def test_a_character_no_font_has_is_caught_by_the_missing_glyph_check(tmp_path: Path) -> None:
    """Past the manuscript check (skipped here), a character no house face has reaches
    WeasyPrint: the font test's oracle sees the missing glyph."""
    manuscript = tmp_path / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    (manuscript / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [articles/a.md]\n", encoding="utf-8")
    (manuscript / "articles" / "a.md").write_text("---\nheadline: H\nbyline: B\n---\n\nEye \U00013080.\n",
                                                  encoding="utf-8")
    edition, _ = load_edition(manuscript)
    style = HouseStyle(None)
    target = tmp_path / "t.pdf"
    warnings = write_pdf(edition, style, target).warnings
    assert any(".notdef" in problem.message for problem in warnings), warnings
    fonts = pdf_fonts(target)
    assert any(font.encoding != "/Identity-H" or 0 in font.shown for font in fonts) or not {
        font.family for font in fonts
    } <= {"Noto Serif", "Noto Serif Display", "Noto Sans"}


# --- Page and column breaks ------------------------------------------------------------------

FILLER = (
    "The cooperation framework with Chongqing is the first high-level government cooperation mechanism "
    "established by the Hong Kong Special Administrative Region with a mainland province or municipality "
    "since the current-term SAR government took office."
)
QUOTE = "“Hong Kong and Chongqing have always been very close”"


def breaking_edition(root: Path, styles: str | None = None) -> list[list[list[Line]]]:
    """Twenty articles whose crosshead and pull quote fall, one line further each
    time, across the foot of the page."""
    articles = []
    for number in range(20):
        body = [FILLER] * (17 + number // 4) + [f"Line {n}." for n in range(number % 4)]
        body += [f"## Crosshead {number}", f"::: pullquote\n{QUOTE}\n:::",
                 "“Hong Kong and Chongqing have always been very close,” Lee said.", *[FILLER] * 12]
        articles.append(
            f"---\nheadline: Article {number}\nbyline: China Daily\nstart: page\n---\n\n" + "\n\n".join(body) + "\n"
        )
    return column_lines(print_edition_of(root, "Breaks", articles, styles))


def badly_broken(pages: list[list[list[Line]]]) -> list[str]:
    """Crossheads left at the foot of a column, pull quotes split between columns, and
    paragraphs leaving one line alone at the foot (orphan) or head (widow) of a column."""
    problems = []
    columns = [column for page in pages[1:] for column in page if column]  # after the contents
    for index, column in enumerate(columns, 1):
        edge = min(line.left for line in column)
        indented = [line.left > edge + 3 for line in column]
        if re.fullmatch(r"Crosshead \d+", column[-1].text):
            problems.append(f"column {index} ends with {column[-1].text!r}")
        if indented[-1] and not column[-1].text.endswith("."):
            problems.append(f"column {index} ends with a paragraph's first line: {column[-1].text!r}")
        if len(column) > 1 and not indented[0] and indented[1] and column[0].text[0].islower():
            problems.append(f"column {index} starts with a paragraph's last line: {column[0].text!r}")
    whole_quotes = sum(len(pattern(QUOTE).findall(flow([line.text for line in column]))) for column in columns)
    if whole_quotes != 20:
        problems.append(f"only {whole_quotes} of 20 pull quotes are whole in one column")
    return problems


def test_no_crosshead_is_stranded_no_line_left_alone_and_no_pull_quote_split(tmp_path: Path) -> None:
    assert badly_broken(breaking_edition(tmp_path / "manuscript")) == []


@pytest.mark.slow
def test_without_the_break_rules_the_check_finds_badly_broken_copy(tmp_path: Path) -> None:
    loose = (
        ".crosshead { break-after: auto; } .pullquote { break-inside: auto; }"
        " .article-body p { orphans: 1; widows: 1; }\n"
    )
    problems = badly_broken(breaking_edition(tmp_path / "manuscript", styles=loose))
    for kind in ("ends with 'Crosshead", "ends with a paragraph's first line", "starts with a paragraph's last line"):
        assert any(kind in problem for problem in problems), (kind, problems)
