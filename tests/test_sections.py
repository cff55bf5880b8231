"""Editions of sections (`sections:` in edition.yaml): each starts a new page under
its title, which the running heads, the contents and the bookmarks carry; the
e-book gives it a page of its own and lists its articles under it. Read back from
the built files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import zipfile

import pikepdf
import pytest
import yaml
from conftest import SECTIONS, Built, run_cli
from lxml import etree
from support import (
    pdf_page_texts,
    FURNITURE_BAND,
    ace_violations,
    epubcheck_messages,
    epub_documents,
    expected_from_manuscript,
    flow,
    generated_article,
    generated_edition,
    in_order,
    pdf_lines,
    running_heads,
)

from hkcq_press.build import build

SECTION_TITLES = {
    "Hong Kong": ["framework", "delegation"],
    "Chongqing": ["cafe", "markets", "explainer"],
    "Letters and lives": ["letters", "obituary"],
}

HEADLINES = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])["headline"]
    for path in (SECTIONS / "articles").glob("*.md")
}


@pytest.fixture(scope="module")
def sectioned(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(SECTIONS, build(SECTIONS, tmp_path_factory.mktemp("sections-dist")))


def first_lines(pdf: Path) -> list[str]:
    """Each page's first line of copy, under its running head."""
    with pikepdf.open(pdf) as document:
        height = float(document.pages[0].MediaBox[3])
    return [text.split("\n")[0] for text in pdf_page_texts(
        pdf, "-raw", "-x", "0", "-y", str(round(FURNITURE_BAND)), "-W", "2000",
        "-H", str(round(height - 2 * FURNITURE_BAND)))]


def page_texts(pdf: Path) -> list[str]:
    return pdf_page_texts(pdf)


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """Every bookmark as (depth, title, page from 1), in order."""
    with pikepdf.open(pdf) as document, document.open_outline() as tree:
        pages = {page.objgen: number for number, page in enumerate(document.pages, 1)}
        found: list[tuple[int, str, int]] = []

        def visit(items, depth: int) -> None:
            for item in items:
                found.append((depth, str(item.title), pages[item.destination[0].objgen]))
                visit(item.children, depth + 1)

        visit(tree.root, 0)
        return found


def _opening(texts: list[str], title: str, page: int) -> bool:
    body = [line for line in texts[page - 1].splitlines() if line.strip()]
    return title in body[:3]


def test_each_section_opens_a_page_under_its_title_or_flows_on_under_its_bar(sectioned: Built) -> None:
    """The first follows the contents on the front page; each other opens a page, but
    Chongqing, whose page before would hold only a third of its lines (the Hong Kong
    section's last story and its picture), flows on under its bar."""
    texts = page_texts(sectioned.pdf)
    marks = outline(sectioned.pdf)
    sections = [(title, page) for depth, title, page in marks if depth == 0]
    assert [title for title, _ in sections] == list(SECTION_TITLES)
    assert sections[0][1] == 1
    assert {title: _opening(texts, title, page) for title, page in sections[1:]} == {
        "Chongqing": False, "Letters and lives": True}
    chongqing = dict(sections)["Chongqing"]
    assert HEADLINES["delegation"].split(" & ")[0] in texts[chongqing - 1].split("Chongqing")[0], "under the copy"
    for title, page in sections[1:]:
        assert title not in texts[page - 2].split("\n\n")[-1], "the page before must not end with the section's title"
    assert [page for _, page in sections] == sorted({page for _, page in sections}), "one section a page at least"


def test_the_bookmarks_hold_each_sections_articles_under_it(sectioned: Built) -> None:
    headlines = set(HEADLINES.values())
    marks = outline(sectioned.pdf)
    current = None
    held: dict[str, list[str]] = {}
    for depth, title, _ in marks:
        if depth == 0:
            current = title
            held[current] = []
        elif depth == 1:
            assert title in headlines, f"{title!r} is not a headline at the second level"
            held[current].append(title)
    assert held == {section: [HEADLINES[key] for key in keys] for section, keys in SECTION_TITLES.items()}


def test_the_running_heads_name_the_section(tmp_path: Path) -> None:
    """Over every page of a section, its opening page too, after the paper's name and
    date; the front page has no running head, and a page the imprint opens names no section."""
    articles = [generated_article(seed, 24) for seed in range(6)]
    manuscript = generated_edition(tmp_path / "manuscript", articles, sections=[2, 3, 1])
    pdf = build(manuscript, tmp_path / "dist", formats=("pdf",)).outputs[0].path
    paper = "The Generated Edition of a Week of Trade News · 23 November 2026"
    starts = [(title, page) for depth, title, page in outline(pdf) if depth == 0]
    heads = running_heads(pdf)
    imprint = [number for number, line in enumerate(first_lines(pdf), 1) if line == "Imprint"]
    assert heads[0] == ""
    for index, (title, first) in enumerate(starts):
        last = starts[index + 1][1] - 1 if index + 1 < len(starts) else len(heads)
        for page in range(max(first, 2), last + 1):
            expected = paper if page in imprint else f"{paper} {title}"
            assert heads[page - 1] == expected, f"page {page}"
    assert len(heads) >= 6


def test_the_contents_list_sections_and_their_articles_with_their_pages(sectioned: Built) -> None:
    front = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", "-enc", "UTF-8", str(sectioned.pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    entries = [" ".join(line.split()) for line in front.splitlines() if line.strip()]
    listed = [f"{title} {page}" for depth, title, page in outline(sectioned.pdf) if depth < 2]
    assert len(listed) == len(SECTION_TITLES) + len(HEADLINES)
    start = entries.index("In this edition") + 1
    assert entries[start:start + len(listed)] == listed


def test_every_article_prints_whole_in_its_section(sectioned: Built) -> None:
    """The three articles the small manuscript reader understands, read back whole."""
    stream = flow(pdf_lines(sectioned.pdf))
    body = stream[stream.index("Hong Kong\nCooperation"):]  # after the contents, where the first section opens
    articles = {article.headline: article for article in expected_from_manuscript(SECTIONS, ("framework", "delegation", "cafe"))}
    for article in articles.values():
        in_order(body, article.texts)


def test_the_ebook_gives_each_section_a_page_before_its_articles(sectioned: Built) -> None:
    documents = [document.name.rsplit("/", 1)[-1] for document in epub_documents(sectioned.epub)]
    assert documents == [f"{key}.xhtml" for keys in SECTION_TITLES.values() for key in keys]
    with zipfile.ZipFile(sectioned.epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
        manifest = {item.get("id"): item.get("href") for item in opf.find("{*}manifest")}
        spine = [manifest[ref.get("idref")] for ref in opf.find("{*}spine")]
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
        section_page = etree.fromstring(archive.read("EPUB/text/section-chongqing.xhtml"))
    body = [name.removeprefix("text/") for name in spine if name.startswith("text/")][2:-1]
    expected: list[str] = []
    for title, keys in SECTION_TITLES.items():
        expected += [f"section-{title.lower().replace(' ', '-')}.xhtml", *(f"{key}.xhtml" for key in keys)]
    assert body == expected
    assert "".join(section_page.find(".//{*}h1").itertext()) == "Chongqing"
    toc = nav.find(".//{*}nav[@id='toc']/{*}ol")
    listed = {
        "".join(item.find("{*}a").itertext()): ["".join(a.itertext()) for a in item.findall("{*}ol/{*}li/{*}a")]
        for item in toc.findall("{*}li") if item.find("{*}ol") is not None
    }
    assert listed == {title: [HEADLINES[key] for key in keys] for title, keys in SECTION_TITLES.items()}


def test_the_page_list_marks_the_pages_a_section_opens_on_its_own_page(sectioned: Built) -> None:
    marks = outline(sectioned.pdf)
    with zipfile.ZipFile(sectioned.epub) as archive:
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
    pages = {"".join(a.itertext()): a.get("href") for a in nav.iterfind(".//{*}nav[@id='page-list']//{*}a")}
    texts = page_texts(sectioned.pdf)
    opened = [(title, page) for depth, title, page in marks if depth == 0 and page > 1 and _opening(texts, title, page)]
    assert opened
    for title, page in opened:
        assert pages[str(page)] == f"text/section-{title.lower().replace(' ', '-')}.xhtml#page-{page}"


@pytest.mark.slow
def test_the_sectioned_epub_passes_epubcheck_and_ace(sectioned: Built) -> None:
    assert epubcheck_messages(sectioned.epub) == []
    assert ace_violations(sectioned.epub) == []


@pytest.mark.parametrize("edition, message", [
    ("articles: [articles/a.md]\nsections:\n  - title: S\n    articles: [articles/a.md]\n",
     "manuscript/edition.yaml:4: error: the edition lists both `articles:` and `sections:`\n"
     "  An edition of sections lists each section's articles under it: move the `articles:` entries into the "
     "sections, or drop `sections:`.\n"),
    ("sections:\n  - articles: [articles/a.md]\n",
     "manuscript/edition.yaml:4: error: this section has no `title:`\n"
     "  Name it as the running head and the contents should print it, e.g. `title: Hong Kong`.\n"),
    ("sections:\n  - title: City\n",
     "manuscript/edition.yaml:4: error: the section `City` lists no articles\n"
     "  List its article files under its `articles:`, one `- path/to/article.md` a line.\n"),
    ("sections:\n  - title: City\n    articles: [articles/a.md]\n  - Sport\n",
     "manuscript/edition.yaml:6: error: each entry of `sections` must be a section of `name: value` lines\n"),
    ("sections: City\n",
     "manuscript/edition.yaml:3: error: `sections` must be a list of sections, each item starting `- `\n"),
    ("sections:\n  - title: A\n    articles: [articles/a.md]\n  - title: B\n    articles:\n      - articles/a.md\n",
     "manuscript/edition.yaml:8: error: `articles/a.md` is listed twice\n  It is already at line 5.\n"),
    ("sections:\n  - title: A\n    articles: [articles/b.md]\n",
     "manuscript/articles/a.md: warning: this article is not listed in edition.yaml and is left out\n"
     "  Add it under a section's `articles:` to publish it.\n"),
    ("sections:\n  - title: A\n    articles: [articles/a.md]\n    pages: 4\n",
     "manuscript/edition.yaml:6: warning: unknown key `pages` is ignored\n  Known keys: title, articles.\n"),
])
def test_a_wrong_section_is_reported_at_its_line(tmp_path: Path, edition: str, message: str) -> None:
    manuscript = tmp_path / "manuscript"
    (manuscript / "articles").mkdir(parents=True)
    (manuscript / "edition.yaml").write_text("title: M\nlanguage: en\n" + edition, encoding="utf-8")
    for name in ("a", "b") if "articles/b.md" in edition else ("a",):
        (manuscript / "articles" / f"{name}.md").write_text("---\nheadline: H\nbyline: Desk\n---\n\nWords.\n",
                                                           encoding="utf-8")
    result = run_cli("check", cwd=tmp_path)
    assert message in result.stderr
    assert result.returncode != 0 or "warning" in message
