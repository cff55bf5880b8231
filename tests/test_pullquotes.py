"""A pull quote is a run of whole words of one paragraph of its article, and the hint
for one that is not points at the first character that really differs."""

from __future__ import annotations

import os

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hkcq_press.reader.characters import normalise_words
from hkcq_press.reader.pullquotes import WORD_BOUNDARY, QuotableText

BODY = ("The minister said the plan was unacceptable to both sides. “We are unhappy with it,” she said; "
        "selling it abroad is illegal, and the deal was unworkable. We can’t agree on 3.5 million.")


@pytest.mark.parametrize("quoted, whole", [
    ("acceptable to both sides", "unacceptable to both sides"),
    ("happy with it", "unhappy with it"),
    ("legal", "illegal"),
    ("the deal was un", "the deal was unworkable"),
    ("We can", "We can’t"),
    ("agree on 3", "agree on 3.5"),
    ("inister said", "minister said"),
])
def test_a_quote_that_cuts_a_word_is_refused_and_names_the_whole_words(quoted: str, whole: str) -> None:
    story = QuotableText([BODY])
    assert not story.quotes(quoted)
    cut = story.cut_word(quoted)
    assert cut is not None and cut.whole == whole


@pytest.mark.parametrize("quoted", [
    "unacceptable to both sides", "We are unhappy with it,", "We are unhappy with it,” she said;",
    "illegal", "We can’t agree on 3.5 million.", "minister", "3.5",
])
def test_whole_words_are_quoted_with_punctuation_beside_them_or_in_them(quoted: str) -> None:
    assert QuotableText([BODY]).quotes(quoted)


def test_every_chinese_character_is_a_word_of_its_own() -> None:
    story = QuotableText(["兩地：重慶與香港的合作日益緊密。"])
    assert story.quotes("香港的合作")
    assert story.quotes("重慶與香港的合作日益緊密。")
    assert not story.quotes("香港的合作日益緊密了")


def test_a_quote_found_inside_words_first_and_whole_later_is_accepted() -> None:
    story = QuotableText(["Reunion planning comes before the union vote."])
    assert story.quotes("union")
    assert story.quotes("union vote.")
    assert not story.quotes("union planning")


def test_a_quote_recurring_inside_one_long_word_stays_one_search() -> None:
    """However often the quote recurs cut, the check is one search of the paragraph's words."""
    story = QuotableText(["a" * 200_000 + " b"])
    assert not story.quotes("a" * 1000)
    assert story.quotes("b")


# --- Properties -------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzéüøß0123456789"
PUNCTUATION = ["", "", "", "“", "”", "‘", "(", ")", ",", ".", ";", ":", "—", "!", "?", "–"]
WORD = st.text(alphabet=LETTERS, min_size=2, max_size=9)
CHINESE = st.text(alphabet="香港重慶合作經濟發展城市市民政府", min_size=1, max_size=4)
TOKEN = st.tuples(st.sampled_from(PUNCTUATION), st.one_of(WORD, WORD, WORD, CHINESE), st.sampled_from(PUNCTUATION))


def _boundaries(text: str) -> set[int]:
    return {match.start() for match in WORD_BOUNDARY.finditer(text)}


def _quoted_on_boundaries(quoted: str, paragraphs: list[str]) -> bool:
    """What the check must decide, by brute force: some occurrence of the quote has a
    word boundary at both ends."""
    for paragraph in map(normalise_words, paragraphs):
        bounds = _boundaries(paragraph)
        start = paragraph.find(quoted)
        while start >= 0:
            if start in bounds and start + len(quoted) in bounds:
                return True
            start = paragraph.find(quoted, start + 1)
    return False


def _joined(tokens: list[tuple[str, str, str]]) -> str:
    return " ".join("".join(token) for token in tokens)


@settings(max_examples=300)
@given(st.lists(st.lists(TOKEN, min_size=1, max_size=8).map(_joined), min_size=1, max_size=4), st.data())
def test_the_check_agrees_with_trying_every_place_in_every_paragraph(paragraphs: list[str], data: st.DataObject) -> None:
    """Runs cut anywhere (mid-word too) from a paragraph, or across two, are accepted
    exactly when some place in one paragraph has them on word boundaries."""
    story = QuotableText(paragraphs)
    source = data.draw(st.sampled_from([*paragraphs, " ".join(paragraphs)]))
    start = data.draw(st.integers(0, max(0, len(source) - 1)))
    end = data.draw(st.integers(start, len(source)))
    quoted = normalise_words(source[start:end])
    assume(quoted)
    assert story.quotes(quoted) == _quoted_on_boundaries(quoted, paragraphs)


@given(st.lists(TOKEN, min_size=1, max_size=12), st.data())
def test_any_run_of_whole_words_is_accepted(tokens: list[tuple[str, str, str]], data: st.DataObject) -> None:
    """From the first word's first letter or the punctuation before it, to the last
    word's last letter or the punctuation after it."""
    first = data.draw(st.integers(0, len(tokens) - 1))
    last = data.draw(st.integers(first, len(tokens) - 1))
    run = tokens[first:last + 1]
    opening = run[0][0] if data.draw(st.booleans()) else ""
    closing = run[-1][2] if data.draw(st.booleans()) else ""
    middle = " ".join("".join(token) for token in run)
    quoted = opening + middle[len(run[0][0]):len(middle) - len(run[-1][2])] + closing
    assert QuotableText([_joined(tokens)]).quotes(quoted)


@given(st.lists(WORD, min_size=2, max_size=10, unique=True), st.data())
def test_any_quote_cut_inside_a_word_is_refused(words: list[str], data: st.DataObject) -> None:
    """A run of at least two words whose first or last word is cut: the only place it
    occurs is inside the cut word (the words are all different)."""
    first = data.draw(st.integers(0, len(words) - 2))
    last = data.draw(st.integers(first + 1, len(words) - 1))
    run = words[first:last + 1]
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(1, len(run[0]) - 1))
        run = [run[0][cut:], *run[1:]]
    else:
        cut = data.draw(st.integers(1, len(run[-1]) - 1))
        run = [*run[:-1], run[-1][:cut]]
    quoted = " ".join(run)
    story = QuotableText([" ".join(words)])
    assert not story.quotes(quoted)
    found = story.cut_word(quoted)
    assert found is not None and found.whole == " ".join(words[first:last + 1])


EDITS = st.sampled_from(["insert", "delete", "replace"])


@settings(max_examples=300)
@given(st.lists(WORD, min_size=3, max_size=14, unique=True), st.data(), EDITS, st.sampled_from(LETTERS + " ,’-"))
def test_the_hint_points_at_the_first_character_that_really_differs(
    words: list[str], data: st.DataObject, edit: str, letter: str,
) -> None:
    """One character added, left out or changed anywhere in a quote of whole words: the
    hint's passage agrees with the quote up to the character it points at, which
    differs; and where the article holds the agreeing part once and nothing longer,
    that character is the first the quote changed."""
    paragraph = " ".join(words)
    first = data.draw(st.integers(0, len(words) - 2))
    last = data.draw(st.integers(first + 1, len(words) - 1))
    original = " ".join(words[first:last + 1])
    at = data.draw(st.integers(0, len(original) - (edit != "insert")))
    changed = {
        "insert": original[:at] + letter + original[at:],
        "delete": original[:at] + original[at + 1:],
        "replace": original[:at] + letter + original[at + 1:],
    }[edit]
    quoted = normalise_words(changed)
    story = QuotableText([paragraph])
    assume(quoted and not story.quotes(quoted) and story.cut_word(quoted) is None)
    closest = story.closest(quoted)
    assert closest is not None
    pointed = closest.differs_at
    assert quoted[:pointed] == closest.passage[:pointed]
    assert pointed == len(quoted) or pointed == len(closest.passage) or quoted[pointed] != closest.passage[pointed]
    really = len(os.path.commonprefix([quoted, original]))
    if paragraph.count(quoted[:really]) == 1 and quoted[:really + 1] not in paragraph:
        assert pointed == really


@pytest.mark.parametrize("quoted, passage, at, edit", [
    ("The harbor city is great", "The harbour city is great", 9, "leaves out"),
    ("The harbourr city", "The harbour city", 11, "adds"),
    ("Te harbour city is great", "The harbour city is great", 1, "leaves out"),
    ("The harbour citi is great", "The harbour city is great", 15, "differs"),
    ("Teh harbour city is graet", "The harbour city is great", 1, "differs"),
])
def test_the_hint_tells_a_letter_left_out_from_one_added_or_changed(quoted: str, passage: str, at: int, edit: str) -> None:
    closest = QuotableText(["Visitors agree: The harbour city is great for walking."]).closest(quoted)
    assert closest is not None
    assert (closest.passage, closest.differs_at, closest.edit) == (passage, at, edit)
