"""Open-ended input: whatever an editor types reaches both editions as written, or is
refused with a message that names the characters that cannot be published."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import collapse, epub_documents, flow, in_order, pdf_lines

from hkcq_press.build import build
from hkcq_press.errors import ManuscriptError
from hkcq_press.style.fonts import chinese_faces, house_characters, printable_characters
from hkcq_press.reader.characters import Printable
from hkcq_press.reader.pullquotes import pull_quote_words
from hkcq_press.reader.edition import load_edition
from hkcq_press.reader.naming import slugify
from hkcq_press.style.house import HouseStyle

LATIN = house_characters(HouseStyle(None))
HOUSE = printable_characters(HouseStyle(None), "hong-kong")
"""The Latin faces and the Chinese face of the default (Hong Kong) forms."""


def _shared_glyphs(font: Path) -> frozenset[int]:
    """Characters the font draws with the glyph of another character (Noto Serif HK
    draws ⑧ and ➇, – and ‒ alike)."""
    if not font.is_file():
        return frozenset()
    by_glyph: dict[str, list[int]] = {}
    for code, glyph in TTFont(font).getBestCmap().items():
        by_glyph.setdefault(glyph, []).append(code)
    return frozenset(code for codes in by_glyph.values() if len(codes) > 1 for code in codes)


SHARED = _shared_glyphs(chinese_faces("hong-kong")[400])


def _visible(code: int) -> bool:
    """Characters a reader can see and a PDF text extractor can give back: not white
    space, not invisible format characters, not combining marks (which extractors
    may reorder), not Markdown syntax; not the ligature characters ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ,
    whose glyphs are also the ligatures of ff, fi, fl…, nor characters the Chinese
    face draws with another's glyph: a PDF's text layer can give back only one text
    per glyph."""
    char = chr(code)
    category = unicodedata.category(char)
    return not (
        char.isspace() or category[0] in "CMZ" or char in "\\`*_[]<>!#&|:~-+=" or 0xFB00 <= code <= 0xFB4F
        or code in SHARED
    )


VISIBLE = sorted(chr(code) for code in LATIN if _visible(code))
CHINESE_VISIBLE = sorted(chr(code) for code in HOUSE - LATIN if _visible(code))
# Mostly words the Latin faces print, now and then Chinese (or anything else the
# Chinese face has: kana, full-width forms…).
HOUSE_WORD = st.one_of(
    *[st.text(alphabet=st.sampled_from(VISIBLE), min_size=1, max_size=10)] * 3,
    st.text(alphabet=st.sampled_from(CHINESE_VISIBLE), min_size=1, max_size=6),
)
ANY_WORD = st.text(
    alphabet=st.characters(blacklist_categories=("Zs", "Zl", "Zp"), blacklist_characters="\n\r\t"),
    min_size=1, max_size=6,
)
# Mostly printable words, now and then anything at all.
MIXED_WORD = st.one_of(HOUSE_WORD, HOUSE_WORD, HOUSE_WORD, ANY_WORD)


def line(word: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(word, min_size=1, max_size=6).map(" ".join)


def article(word: st.SearchStrategy[str]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({
        "headline": line(word), "byline": st.lists(line(word), min_size=1, max_size=3), "dek": line(word),
        "credit": line(word), "paragraphs": st.lists(line(word), min_size=1, max_size=3),
    })


def write_edition(root: Path, articles: list[dict]) -> None:
    root.mkdir()
    names = [f"a{number}.md" for number in range(len(articles))]
    for name, article in zip(names, articles, strict=True):
        front = yaml.safe_dump({key: article[key] for key in ("headline", "byline", "dek", "credit")},
                               allow_unicode=True)
        # Each paragraph starts with a letter so no word can begin a Markdown block.
        body = "\n\n".join(f"P {paragraph}" for paragraph in article["paragraphs"])
        # A lone surrogate cannot be encoded: the file is then not UTF-8, as it would be
        # if an editor's program wrote one.
        (root / name).write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8", errors="surrogatepass")
    (root / "edition.yaml").write_text(
        yaml.safe_dump({"title": "T", "language": "en", "articles": names}), encoding="utf-8"
    )


def expected_texts(article: dict) -> list[str]:
    byline = article["byline"]
    names = byline[0] if len(byline) == 1 else ", ".join(byline[:-1]) + " and " + byline[-1]
    credit = article["credit"] if article["credit"][0] in "–—-" else "–" + article["credit"]
    return [article["headline"], article["dek"], names, *(f"P {p}" for p in article["paragraphs"]), credit]


def unpublishable(articles: list[dict]) -> set[str]:
    text = "".join(
        "".join(value) if isinstance(value, list) else value for article in articles for value in article.values()
    )
    return {
        char for char in text
        if (ord(char) not in HOUSE and unicodedata.category(char) != "Cf")
        or re.match("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]", char)
        or re.match("[\u202a-\u202e\u2066-\u2069]", char)  # bidirectional controls reorder what is read
    } - {" "}


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(article(HOUSE_WORD), min_size=4, max_size=10))
def test_any_printable_copy_reaches_both_editions_verbatim(articles: list[dict]) -> None:
    """Many articles a build, so one render checks many examples."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "m"
        write_edition(root, articles)
        result = build(root, Path(scratch) / "out")
        pdf = next(output.path for output in result.outputs if output.format == "pdf")
        epub = next(output.path for output in result.outputs if output.format == "epub")
        stream = flow(pdf_lines(pdf))
        documents = epub_documents(epub)
    position = 0
    for document, expected in zip(documents, map(expected_texts, articles), strict=True):
        assert document.blocks() == [collapse(text) for text in expected]
        position += in_order(stream[position:], expected, any_break=True)[-1][1]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(article(MIXED_WORD), min_size=1, max_size=4))
def test_unpublishable_copy_is_refused_naming_every_character(articles: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "m"
        write_edition(root, articles)
        refused = unpublishable(articles)
        try:
            result = build(root, Path(scratch) / "out", formats=("epub",))
        except ManuscriptError as error:
            assert refused, str(error)
            if any(re.search("[\ud800-\udfff]", paragraph) for a in articles for paragraph in a["paragraphs"]):
                # Such a file cannot be decoded at all: that is what the message says.
                assert "the file is not UTF-8 text" in str(error)
                return
            for char in refused:
                assert f"U+{ord(char):04X}" in str(error)
            return
        assert not refused
        documents = epub_documents(result.outputs[0].path)
    for document, expected in zip(documents, map(expected_texts, articles), strict=True):
        assert document.blocks() == [collapse(text) for text in expected]


@given(st.lists(HOUSE_WORD, min_size=3, max_size=12), st.data())
def test_any_run_of_words_from_a_paragraph_is_a_valid_pull_quote(words: list[str], data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, len(words)))
    quote = "“" + " ".join(words[start:end]) + "”"
    assume(pull_quote_words(quote))  # words, not just quotation marks
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [a.md]\n", encoding="utf-8")
        (root / "a.md").write_text(
            f"---\nheadline: H\nbyline: B\n---\n\nP {' '.join(words)}\n\n::: pullquote\n{quote}\n:::\n",
            encoding="utf-8",
        )
        edition, _ = load_edition(root)
    assert pull_quote_words(edition.articles[0].blocks[1].text) == pull_quote_words(quote)


@given(st.text())
def test_slug_is_always_a_safe_file_name(title: str) -> None:
    slug = slugify(title)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert slugify(slug) == slug


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_the_reader_never_crashes_on_any_front_matter(front: str) -> None:
    """Whatever is between the `---` lines, the answer is an edition or a located error."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [a.md]\n", encoding="utf-8")
        (root / "a.md").write_text(f"---\n{front}\n---\n\nText.\n", encoding="utf-8", errors="surrogatepass")
        try:
            load_edition(root, repertoire=lambda forms: Printable(HOUSE))
        except ManuscriptError as error:
            assert error.problems and all(problem.path.name == "a.md" for problem in error.problems)


def _shape(node: yaml.Node | None) -> object:
    """A composed YAML node as plain data: tag, value and line of every node (but an
    empty value's: libyaml puts the empty value of a `? key` on the next line, and
    the reader never reports at a value's line)."""
    if node is None:
        return None
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, node.start_mark.line if node.value else None)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, [_shape(item) for item in node.value], node.start_mark.line)
    return (node.tag, [(_shape(key), _shape(value)) for key, value in node.value], node.start_mark.line)


YAML_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["key: value", "- item", "  nested: 1", "[a, b", "'quoted", "x: \"2024-01-05\"", ": ", "#"]),
        st.text(max_size=30),
    ),
    max_size=6,
).map("\n".join)


@settings(max_examples=300)
@given(YAML_TEXT)
def test_libyaml_reads_front_matter_as_the_python_reader_does(text: str) -> None:
    """The manuscript reader parses with libyaml for speed and explains refusals with
    the pure-Python parser: where both read a text, they read it alike. libyaml also
    reads tabs as the white space YAML says they are, where PyYAML's own scanner
    refuses some (a trailing tab, a tab after `key:`)."""
    from hkcq_press.reader.yamlfields import _FastTextLoader, _TextLoader

    def compose(loader: type) -> object:
        try:
            return _shape(yaml.compose(text, Loader=loader))
        except yaml.YAMLError:
            return "refused"

    fast, python = compose(_FastTextLoader), compose(_TextLoader)
    if python == "refused" and fast != "refused":
        assert "\t" in text
    else:
        assert fast == "refused" or fast == python


CELL = st.lists(HOUSE_WORD, min_size=1, max_size=3).map(" ".join)


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    """A header row and body rows of printable words, every row as wide as the header."""
    columns = draw(st.integers(1, 4))
    return draw(st.lists(st.lists(CELL, min_size=columns, max_size=columns), min_size=2, max_size=5))


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(tables(), min_size=1, max_size=4))
def test_any_table_reaches_both_editions_cell_for_cell(drawn: list[list[list[str]]]) -> None:
    """Whatever words a table holds, each cell reaches both editions verbatim, row by row."""
    body = "P Tables follow.\n\n" + "\n\n".join(
        "\n".join([f"| {' | '.join(rows[0])} |", "|" + "---|" * len(rows[0]),
                   *(f"| {' | '.join(row)} |" for row in rows[1:])])
        for rows in drawn
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "m"
        root.mkdir()
        (root / "a.md").write_text(f"---\nheadline: H\nbyline: B\n---\n\n{body}\n", encoding="utf-8")
        (root / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [a.md]\n", encoding="utf-8")
        result = build(root, Path(scratch) / "out")
        pdf = next(output.path for output in result.outputs if output.format == "pdf")
        epub = next(output.path for output in result.outputs if output.format == "epub")
        stream = flow(pdf_lines(pdf))
        (document,) = epub_documents(epub)
    built = [
        [[collapse("".join(cell.itertext())) for cell in row] for row in table.iter("{*}tr")]
        for table in document.article().iter("{*}table")
    ]
    assert built == [[[collapse(cell) for cell in row] for row in rows] for rows in drawn]
    in_order(stream, [cell for rows in drawn for row in rows for cell in row], any_break=True)


MARKDOWN_PIECES = st.sampled_from([
    "| a | b |", "|---|--:|", "| 1 |", "[^1]", "[^1]: note", "::: factbox Facts", "::: correction",
    "::: pullquote", ":::", "::: sidebar", "- [ ] task", "- [x] done", "> quote", "# h1", "## h2", "~~gone~~",
    "![alt](x.png)", "[link](#h2)", "[l](other.md)", "<https://example.com>", "```", "    code", "---",
    "Table: caption", "Photo: credit", "1. one", "  - nested", "", "text",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=12)), max_size=12).map("\n".join))
def test_the_reader_never_crashes_on_any_body(body: str) -> None:
    """Whatever mix of tables, notes, boxes, links and stray syntax a body holds, the
    answer is an edition or errors located in the article."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [a.md]\n", encoding="utf-8")
        (root / "a.md").write_text(f"---\nheadline: H\nbyline: B\n---\n\nText.\n\n{body}\n", encoding="utf-8",
                                   errors="surrogatepass")
        try:
            load_edition(root, repertoire=lambda forms: Printable(HOUSE))
        except ManuscriptError as error:
            assert error.problems and all(problem.path.name == "a.md" for problem in error.problems)
