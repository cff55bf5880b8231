"""Open-ended input: whatever text an editor types reaches the model and the EPUB as written."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hkcq_press.build import build
from hkcq_press.errors import ManuscriptError
from hkcq_press.manuscript import load_edition, pull_quote_words, slugify
from support import collapse, epub_documents

# Text an editor can type: any printable character of any script (no control
# characters or surrogates, which XHTML cannot carry), in one line.
LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1, max_size=40,
).map(collapse).filter(bool)

# Body words: no Markdown syntax, so the body's text is the words themselves.
WORD = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd"), max_codepoint=0x2FFFF),
    min_size=1, max_size=8,
)
PARAGRAPH = st.lists(WORD, min_size=3, max_size=12).map(" ".join)

ARTICLE = st.fixed_dictionaries({
    "headline": LINE, "byline": st.lists(LINE, min_size=1, max_size=3), "dek": LINE,
    "credit": LINE, "paragraphs": st.lists(PARAGRAPH, min_size=1, max_size=3),
})


def write_article(path: Path, article: dict) -> None:
    front = yaml.safe_dump(
        {key: article[key] for key in ("headline", "byline", "dek", "credit")}, allow_unicode=True
    )
    path.write_text(f"---\n{front}---\n\n" + "\n\n".join(article["paragraphs"]) + "\n", encoding="utf-8")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ARTICLE, min_size=1, max_size=6))
def test_any_copy_reaches_the_epub_verbatim(articles: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "m"
        root.mkdir()
        names = [f"a{number}.md" for number in range(len(articles))]
        for name, article in zip(names, articles, strict=True):
            write_article(root / name, article)
        (root / "edition.yaml").write_text(
            yaml.safe_dump({"title": "T", "language": "en", "articles": names}), encoding="utf-8"
        )
        result = build(root, Path(scratch) / "out", formats=("epub",))
        documents = epub_documents(result.outputs[0].path)
    for document, article in zip(documents, articles, strict=True):
        byline = article["byline"]
        names = byline[0] if len(byline) == 1 else ", ".join(byline[:-1]) + " and " + byline[-1]
        credit = article["credit"] if article["credit"][0] in "–—-" else "–" + article["credit"]
        expected = [article["headline"], article["dek"], names, *article["paragraphs"], credit]
        assert document.blocks() == [collapse(text) for text in expected]


@given(PARAGRAPH, st.data())
def test_any_run_of_words_from_a_paragraph_is_a_valid_pull_quote(paragraph: str, data: st.DataObject) -> None:
    words = paragraph.split(" ")
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, len(words)))
    quote = "“" + " ".join(words[start:end]) + "”"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "edition.yaml").write_text("title: T\nlanguage: en\narticles: [a.md]\n", encoding="utf-8")
        (root / "a.md").write_text(
            f"---\nheadline: H\nbyline: B\n---\n\n{paragraph}\n\n::: pullquote\n{quote}\n:::\n", encoding="utf-8"
        )
        edition, _ = load_edition(root)
    assert pull_quote_words(edition.articles[0].blocks[1].text) == collapse(" ".join(words[start:end]))


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
            load_edition(root)
        except ManuscriptError as error:
            assert error.problems and all(problem.path.name == "a.md" for problem in error.problems)
