"""Messages a desk can act on: each names the file and line and says what to do,
suggests only keys that mean what the desk meant, and points at the character
that keeps a pull quote from matching its article. Tested word for word."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from hkcq_press.errors import Problem

EDITION = "title: M\nlanguage: en\narticles: [articles/a.md]\n"


def check(tmp_path: Path, article: str) -> list[str]:
    """`hkcq-press check` on a one-article manuscript: its messages, each with its hint."""
    (tmp_path / "manuscript" / "articles").mkdir(parents=True)
    (tmp_path / "manuscript" / "edition.yaml").write_text(EDITION, encoding="utf-8")
    (tmp_path / "manuscript" / "articles" / "a.md").write_text(article, encoding="utf-8")
    result = run_cli("check", cwd=tmp_path)
    return result.stderr.split("\nmanuscript/")


@pytest.mark.parametrize("key, hint", [
    ("bylin", "Did you mean `byline`?"),
    ("hed", "Did you mean `headline`?"),
    ("standfirst", "Did you mean `dek`?"),
    ("Headline", "Keys are written in lower case with underscores: `headline`."),
    ("author", "Did you mean `byline` (printed as written) or `authors` (the names the metadata lists as the "
               "article's authors)?"),
    ("writers", "Did you mean `byline` (printed as written) or `authors` (the names the metadata lists as the "
                "article's authors)?"),
    ("photo_credit", "A picture's credit is not a key: write it as the last line under the picture in the body, "
                     "`Photo: …` (see the README on figures). `credit:` is the story's news-exchange credit."),
    ("dateline_city", "Known keys: headline, dek, byline, authors, unsigned, dateline, date, credit, kicker, "
                      "language, start."),
])
def test_an_unknown_key_suggests_only_what_the_desk_meant(tmp_path: Path, key: str, hint: str) -> None:
    messages = check(tmp_path, f"---\nheadline: H\nbyline: Desk\n{key}: x\n---\n\nWords.\n")
    assert messages == [f"manuscript/articles/a.md:4: warning: unknown key `{key}` is ignored\n  {hint}\n"]


def test_where_an_article_starts_is_one_of_three_places(tmp_path: Path) -> None:
    messages = check(tmp_path, "---\nheadline: H\nbyline: Desk\nstart: next page\n---\n\nWords.\n")
    assert messages == [
        "manuscript/articles/a.md:4: error: `next page` is not where hkcq-press can start an article\n"
        "  Choose one of flow, page, column.\n"
        "hkcq-press: 1 error.\n"
    ]


def test_a_list_where_one_line_belongs_says_how_to_write_it(tmp_path: Path) -> None:
    messages = check(tmp_path, "---\nheadline: H\nbyline: Desk\ncredit: [Xinhua, Reuters]\n---\n\nWords.\n")
    assert messages[0] == (
        "manuscript/articles/a.md:4: error: `credit` must be text, not a list or a mapping\n"
        "  Write it on one line, `credit: …`; to give several, join them in that line as they should print "
        "(`A and B`).\nhkcq-press: 1 error.\n"
    )


@pytest.mark.parametrize("quoted, difference", [
    ("It's Chongqing’s time to grow",
     "From “It” on, the quote has U+0027 (APOSTROPHE) ' where the article has U+2019 (RIGHT SINGLE QUOTATION "
     "MARK) ’ (they look alike)."),
    ("It’s Chongqing’s time - to grow",
     "From “’s Chongqing’s time ” on, the quote has U+002D (HYPHEN-MINUS) - where the article has U+2013 "
     "(EN DASH) – (they look alike)."),
    ("It’s Chongqing’s tine – to grow",
     "From “It’s Chongqing’s ti” on, the quote has U+006E (LATIN SMALL LETTER N) n where the article has U+006D "
     "(LATIN SMALL LETTER M) m."),
])
def test_a_misquote_points_at_the_character_that_differs(tmp_path: Path, quoted: str, difference: str) -> None:
    messages = check(tmp_path, "---\nheadline: H\nbyline: Desk\n---\n\nIt’s Chongqing’s time – to grow, the "
                               f"mayor said.\n\n::: pullquote\n{quoted}\n:::\n")
    assert messages[0] == (
        f"manuscript/articles/a.md:8: error: the pull quote is not in the article: “{quoted}”\n"
        f"  The closest passage of the article: “{'It’s Chongqing’s time – to grow'[:len(quoted)]}”. {difference}\n"
        "hkcq-press: 1 error.\n"
    )


@pytest.mark.parametrize("body, quoted, passage, difference", [
    ("Visitors agree that the harbour city is great.", "the harbor city is great", "the harbour city is great",
     "From “the harbo” on, the quote leaves out the article’s U+0075 (LATIN SMALL LETTER U) u."),
    ("The har\u200bbour city.", "harbour city", "har\u200bbour city",
     "From “har” on, the quote leaves out the article’s U+200B (ZERO WIDTH SPACE)."),
])
def test_a_character_left_out_is_named_where_it_is_missing(tmp_path: Path, body: str, quoted: str, passage: str,
                                                           difference: str) -> None:
    messages = check(tmp_path, f"---\nheadline: H\nbyline: Desk\n---\n\n{body}\n\n::: pullquote\n{quoted}\n:::\n")
    assert messages[0] == (
        f"manuscript/articles/a.md:8: error: the pull quote is not in the article: “{quoted}”\n"
        f"  The closest passage of the article: “{passage}”. {difference}\n"
        "hkcq-press: 1 error.\n"
    )


@pytest.mark.parametrize("quoted, whole", [
    ("acceptable to both sides", "unacceptable to both sides"),
    ("the deal was un", "the deal was unworkable"),
])
def test_a_pull_quote_that_cuts_a_word_is_refused_with_the_whole_words(tmp_path: Path, quoted: str, whole: str) -> None:
    messages = check(tmp_path, "---\nheadline: H\nbyline: Desk\n---\n\nThe plan is unacceptable to both sides; "
                               f"the deal was unworkable.\n\n::: pullquote\n“{quoted}”\n:::\n")
    assert messages[0] == (
        f"manuscript/articles/a.md:8: error: the pull quote cuts a word of the article: “{quoted}” stands in "
        f"“{whole}”\n"
        "  A pull quote must begin and end with whole words of its paragraph, so that it cannot drop part of a "
        f"word and say the opposite (un-, -n’t). Quote “{whole}”, or choose other words.\n"
        "hkcq-press: 1 error.\n"
    )


def test_a_front_matter_that_does_not_parse_hides_none_of_the_body(tmp_path: Path) -> None:
    messages = check(tmp_path, "---\nheadline: [unclosed\nbyline: Desk\n---\n\nWords.\n\n::: pullquote\n"
                               "Not in the text\n:::\n")
    assert messages[0].startswith("manuscript/articles/a.md:2: error: the YAML cannot be read")
    assert messages[1].startswith("articles/a.md:8: error: the pull quote is not in the article: “Not in the text”")
    assert messages[1].endswith("hkcq-press: 2 errors.\n")


@pytest.mark.parametrize("mistake, message", [
    ("headline: Ferries\n", "manuscript/articles/b.md:1: error: the article has no byline\n"
     "  Add `byline: …` to the front matter: a name, a list of names, or the agency; a piece published unsigned "
     "on purpose (a letter, a leader, a brief) says `unsigned: true` instead.\n"),
    ("hedline: Ferries\nbyline: Desk\n", "manuscript/articles/b.md:2: warning: unknown key `hedline` is ignored\n"
     "  Did you mean `headline`?\n"
     "manuscript/articles/b.md:1: error: the article has no headline\n"
     "  Add `headline: …` to the front matter.\n"),
])
def test_an_article_with_an_error_is_still_one_the_links_to_it_lead_to(tmp_path: Path, mistake: str, message: str) -> None:
    """Only the first cause is reported: the links to that article and its crossheads are not."""
    articles = tmp_path / "manuscript" / "articles"
    articles.mkdir(parents=True)
    (tmp_path / "manuscript" / "edition.yaml").write_text(
        "title: M\nlanguage: en\narticles: [articles/a.md, articles/b.md]\n", encoding="utf-8"
    )
    (articles / "a.md").write_text("---\nheadline: H\nbyline: Desk\n---\n\nSee [the ferries](b.md) and "
                                   "[their fares](b.md#fares).\n", encoding="utf-8")
    (articles / "b.md").write_text(f"---\n{mistake}---\n\nWords.\n\n## Fares\n\nMore words.\n", encoding="utf-8")
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == message + "hkcq-press: 1 error.\n"


def test_a_link_to_an_article_the_edition_does_not_list_is_still_an_error(tmp_path: Path) -> None:
    messages = check(tmp_path, "---\nheadline: H\nbyline: Desk\n---\n\nSee [the ferries](b.md).\n")
    assert messages[0].startswith("manuscript/articles/a.md:6: error: the link `b.md` leads to no article of this "
                                  "edition\n")


def test_a_link_is_quoted_as_the_desk_wrote_it(tmp_path: Path) -> None:
    messages = check(tmp_path, "---\nheadline: H\nbyline: Desk\n---\n\nSee [the plan](<our plan.md>) and "
                               "[the site](https://例子.中国/../a..b) and [the other](https://例子..中国/).\n")
    assert messages[0] == (
        "manuscript/articles/a.md:6: error: the link `https://例子..中国/` cannot work: its site name has an "
        "empty part (`..`)\n"
        "  Copy the address again from the browser's address bar (or the number or e-mail address from its "
        "source); e-book stores refuse an EPUB with a broken link."
    )
    assert messages[1].startswith("articles/a.md:6: error: the link `our plan.md` leads to no article of this "
                                  "edition\n")


def test_a_file_name_cannot_split_a_message_or_drive_the_terminal() -> None:
    """A newline in a file's name, an escape sequence (a terminal's title, its colour),
    a bidirectional control: shown escaped, each problem on its own line."""
    problem = Problem(Path("photo\nbook\x1b]0;owned\x07.md"), 3, "the image `x\u202e.png` is damaged", "Export it again.")
    assert str(problem) == "photo\\nbook\\x1b]0;owned\\x07.md:3: error: the image `x\\u202e.png` is damaged\n  Export it again."
