"""The house style: overrides file by file, one strict, autoescaping environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MULTI

from hkcq_press.build import build
from hkcq_press.epub.writer import write_epub
from hkcq_press.errors import ManuscriptError
from hkcq_press.reader.edition import load_edition
from hkcq_press.pdf.writer import print_html
from hkcq_press.style.house import PACKAGE_LAYOUTS, HouseStyle
from support import epub_documents, flow, in_order, pdf_lines


@pytest.fixture(scope="module")
def multi():
    return load_edition(MULTI)[0]


def test_defaults_ship_inside_the_package() -> None:
    style = HouseStyle(None)
    for name in ("print/edition.html", "epub/article.xhtml", "print.css", "epub.css", "fonts.css",
                 "house.css", "fonts/OFL.txt"):
        assert style.find(name) == PACKAGE_LAYOUTS / name


def test_a_project_file_replaces_the_default_of_the_same_name(tmp_path: Path, multi) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "credit.html").write_text(
        '{% if article.credit_line %}<p class="credit" role="doc-credit">Supplied: {{ article.credit_line }}</p>{% endif %}',
        encoding="utf-8",
    )
    (tmp_path / "print.css").write_text("@page { size: A5; }", encoding="utf-8")
    style = HouseStyle(tmp_path)
    assert style.find("print.css") == tmp_path / "print.css"
    assert style.find("epub.css") == PACKAGE_LAYOUTS / "epub.css"
    html = print_html(multi, style)
    assert "Supplied: –The Daily Mail-China Daily news exchange item" in html
    assert (tmp_path / "print.css").as_uri() in html


def test_an_override_can_extend_the_default_it_replaces(tmp_path: Path, multi) -> None:
    (tmp_path / "print").mkdir()
    (tmp_path / "print" / "edition.html").write_text(
        '{% extends "default/print/edition.html" %}', encoding="utf-8"
    )
    assert print_html(multi, HouseStyle(tmp_path)) == print_html(multi, HouseStyle(None))


def test_copy_is_escaped_in_both_editions(tmp_path: Path) -> None:
    manuscript = tmp_path / "m"
    (manuscript / "a").mkdir(parents=True)
    (manuscript / "edition.yaml").write_text(
        'title: "<script>alert(1)</script> & Co"\nlanguage: en\narticles: [a/x.md]\n', encoding="utf-8")
    (manuscript / "a" / "x.md").write_text(
        '---\nheadline: "<script>alert(1)</script> & <b>news</b>"\nbyline: "A & B <i>"\n---\n\nBody.\n',
        encoding="utf-8")
    result = build(manuscript, tmp_path / "out")
    edition = result.edition
    html = print_html(edition, HouseStyle(None))
    assert "<script>" not in html and (
        '&lt;script&gt;alert(1)&lt;/script&gt; <span class="kept">&amp; &lt;b&gt;news&lt;/b&gt;</span>' in html)
    (document,) = epub_documents(next(o.path for o in result.outputs if o.format == "epub"))
    assert document.blocks()[:2] == ["<script>alert(1)</script> & <b>news</b>", "A & B <i>"]
    assert document.root.find(".//{*}script") is None
    stream = flow(pdf_lines(next(o.path for o in result.outputs if o.format == "pdf")))
    in_order(stream, ["<script>alert(1)</script> & Co", "<script>alert(1)</script> & <b>news</b>", "A & B <i>"])


def test_a_misspelt_name_in_a_layout_is_an_error_at_its_line(tmp_path: Path, multi) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "credit.html").write_text("\n\n<p>{{ article.credits }}</p>\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as caught:
        print_html(multi, HouseStyle(tmp_path))
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == (tmp_path / "partials" / "credit.html", 3)
    assert "credits" in problem.message


def test_a_layout_syntax_error_is_located(tmp_path: Path, multi) -> None:
    (tmp_path / "epub").mkdir()
    (tmp_path / "epub" / "article.xhtml").write_text("<html>\n{% if %}\n</html>\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as caught:
        write_epub(multi, HouseStyle(tmp_path), tmp_path / "x.epub")
    (problem,) = caught.value.problems
    assert (Path(problem.path).name, problem.line) == ("article.xhtml", 2)


@pytest.mark.parametrize("reach", [
    "namespace.__init__.__globals__['os'].popen('id').read()",
    "article.__class__.__mro__",
    "''.__class__.__subclasses__()",
    "cycler.__init__.__globals__",
    "article.source.read_text()",
    "(edition.source_dir.parent / 'etc' / 'passwd').open()",
    "article.blocks[0].content.tokens[0].attrSet('href', 'x')",
    "edition.articles.__len__()",
])
def test_a_layout_cannot_reach_python_internals_or_files(tmp_path: Path, multi, reach: str) -> None:
    """A partner press's styles are data: a layout that reaches for Python's internals,
    a file or a command stops the build at its own line, with nothing rendered."""
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "credit.html").write_text(f"\n<p>{{{{ {reach} }}}}</p>\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as caught:
        print_html(multi, HouseStyle(tmp_path))
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == (tmp_path / "partials" / "credit.html", 2)
    assert "unsafe" in problem.message or "not safely callable" in problem.message, problem.message


@pytest.mark.parametrize("name", ["lipsum", "cycler", "joiner"])
def test_a_layout_has_no_globals_it_does_not_need(tmp_path: Path, multi, name: str) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "credit.html").write_text(f"{{{{ {name} }}}}\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as caught:
        print_html(multi, HouseStyle(tmp_path))
    assert f"'{name}' is undefined" in caught.value.problems[0].message


def test_a_layout_cannot_change_what_it_is_given(tmp_path: Path, multi) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "credit.html").write_text(
        "{% set names = [] %}{{ names.append(article.headline) }}\n", encoding="utf-8"
    )
    with pytest.raises(ManuscriptError) as caught:
        print_html(multi, HouseStyle(tmp_path))
    assert "unsafe" in caught.value.problems[0].message


def test_the_e_book_carries_pictures_no_larger_than_a_reader_shows() -> None:
    """A 3000 × 2000 camera JPEG (turned by its EXIF, with a colour profile) is carried at
    2,000 pixels on its long side, turned, its profile kept; smaller pictures and
    animations byte for byte."""
    import io

    from PIL import Image, ImageCms

    from hkcq_press.epub.pictures import for_the_reader

    camera = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn a quarter clockwise to show
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(camera, "JPEG", exif=exif, icc_profile=profile, dpi=(300, 300))
    with Image.open(io.BytesIO(for_the_reader(camera.getvalue()))) as carried:
        assert carried.format == "JPEG" and carried.size == (1333, 2000)
        assert carried.info.get("icc_profile") == profile and round(carried.info["dpi"][0]) == 300
        assert carried.getexif().get(0x0112) is None  # turned in its pixels, no EXIF left to turn it again
    small = io.BytesIO()
    Image.new("RGB", (1200, 800)).save(small, "PNG")
    assert for_the_reader(small.getvalue()) == small.getvalue()
    animation = io.BytesIO()
    frames = [Image.new("RGB", (2400, 100), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(animation, "GIF", save_all=True, append_images=frames[1:])
    assert for_the_reader(animation.getvalue()) == animation.getvalue()
    assert for_the_reader(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == b"<svg xmlns='http://www.w3.org/2000/svg'/>"
