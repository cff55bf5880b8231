"""Pull quotes repeat their article word for word: the check that no layout misquotes.

A pull quote's plain text (`pull_quote_words`) must occur in one
paragraph of its own article's story, and begin and end there on word boundaries
(Unicode's default word boundaries, UAX #29): "acceptable" is not quoted from
"unacceptable", nor "we can" from "we can’t", nor "3" from "3.5"; every Chinese
character is a word of its own, so a Chinese quote may begin at any character.

The paragraphs are indexed by their whole words once, so a quote is compared only
with the paragraphs that hold its inner words. Every search is a substring search
of the standard library's, so the check and the hint for a wrong quote both stay
near-linear in the article's length, however long the quote. `misquotes` is the
check as the reader runs it: each wrong quote's line, message and hint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from hkcq_press.model.blocks import Block, PullQuote
from hkcq_press.reader.body import body_paragraph_texts
from hkcq_press.reader.characters import describe, normalise_words

QUOTATION_MARKS = "\"'“”‘’«»「」『』"

LOOK_ALIKES = (frozenset("'’‘′"), frozenset('"“”″'), frozenset("-‐‑–—−"), frozenset(",，"), frozenset(":："))
"""Characters a sub-editor cannot tell apart on screen: one typed for the other is the
usual reason a pull quote does not match its article."""

WORD_BOUNDARY = regex.compile(r"(?w)\b")
"""Matches where Unicode's default word boundaries (UAX #29) fall."""

_LONGEST_WORD = 80
"""How far a cut word is followed to its ends before the message shortens it."""

_ANCHORS = 8
"""How many of a wrong quote's first words the hint tries as the place to align it."""

_ALIGNED_AHEAD = 8
"""How many characters past a difference must agree for it to count as one added or left out."""


@dataclass(frozen=True, slots=True)
class Misquote:
    """A pull quote that does not repeat whole words of its article, at its line."""

    line: int
    message: str
    hint: str = ""


def misquotes(blocks: Sequence[Block]) -> Iterator[Misquote]:
    """Each pull quote among an article's `blocks` that does not repeat, character for
    character, whole words of one paragraph of the article's story."""
    pull_quotes = [block for block in blocks if isinstance(block, PullQuote)]
    if not pull_quotes:  # nothing to check: the story need not be indexed
        return
    story = QuotableText(body_paragraph_texts(blocks))
    for block in pull_quotes:
        quoted = pull_quote_words(block.text)
        if not quoted:
            yield Misquote(block.line, "the pull quote has only quotation marks, no words")
        elif not story.quotes(quoted):
            yield _misquote(block.line, quoted, story)


def pull_quote_words(text: str) -> str:
    """A pull quote's words without the quotation marks that frame it."""
    return normalise_words(text).strip(QUOTATION_MARKS + " ").strip()


def _misquote(line: int, quoted: str, story: QuotableText) -> Misquote:
    if (cut := story.cut_word(quoted)) is not None:
        return Misquote(
            line, f"the pull quote cuts a word of the article: “{quoted}” stands in “{cut.whole}”",
            "A pull quote must begin and end with whole words of its paragraph, so that it cannot drop "
            f"part of a word and say the opposite (un-, -n’t). Quote “{cut.whole}”, or choose other words.",
        )
    hint = ("A pull quote must repeat, character for character, words of one paragraph of "
            "this article (no elisions). Check spelling, punctuation and quotation marks.")
    if (closest := story.closest(quoted)) is not None:
        at = closest.differs_at
        hint = (f"The closest passage of the article: “{_excerpt(closest.passage, at)}”. "
                f"From “{quoted[:at][-20:]}” on, {difference(quoted, closest.passage, at, closest.edit)}.")
    return Misquote(line, f"the pull quote is not in the article: “{_excerpt(quoted, 0)}”", hint)


def difference(quoted: str, original: str, at: int, edit: str) -> str:
    """The first character that differs, named: one the quote adds, one it leaves out,
    or one in place of another, and whether the two look alike."""
    mine = quoted[at] if at < len(quoted) else ""
    theirs = original[at] if at < len(original) else ""
    if not mine:
        return "the quote ends where the article goes on"
    if not theirs:
        return f"the quote goes on with {describe([mine])} where the passage ends"
    if edit == "adds":
        return f"the quote adds {describe([mine])}, which the article does not have"
    if edit == "leaves out":
        return f"the quote leaves out the article’s {describe([theirs])}"
    alike = any(mine in group and theirs in group for group in LOOK_ALIKES)
    return (f"the quote has {describe([mine])} where the article has {describe([theirs])}"
            + (" (they look alike)" if alike else ""))


def _excerpt(passage: str, at: int, around: int = 80) -> str:
    """A long passage shortened to the words around `at`, where the sub-editor looks."""
    if len(passage) <= 2 * around:
        return passage
    start, end = max(at - around, 0), at + around
    return ("…" if start else "") + passage[start:end] + ("…" if end < len(passage) else "")


@dataclass(frozen=True, slots=True)
class CutWord:
    """A quote that occurs in the article only by cutting a word at one of its ends."""

    whole: str
    """The article's words the quote cuts into, from word boundary to word boundary."""


@dataclass(frozen=True, slots=True)
class Closest:
    """The passage of the article a wrong pull quote comes nearest to."""

    passage: str
    """The article's text from where the quote would begin, as long as the quote
    (one character longer or shorter when the quote leaves one out or adds one)."""
    differs_at: int
    """The index, in the quote, of the first character that differs."""
    edit: Literal["differs", "adds", "leaves out"]
    """Whether the quote has another character there, has one the article does not,
    or leaves out the article's."""


class QuotableText:
    """The paragraphs a pull quote may quote, indexed for the check."""

    def __init__(self, paragraphs: Sequence[str]) -> None:
        self.paragraphs = [normalise_words(text) for text in paragraphs]
        self.joined = "\n".join(self.paragraphs)
        """One string for the searches that need not know the paragraphs: no quote holds a line end."""
        self.by_word: dict[str, list[int]] = {}
        for number, text in enumerate(self.paragraphs):
            for word in set(text.split(" ")):
                self.by_word.setdefault(word, []).append(number)
        self._words: dict[int, str] = {}

    def quotes(self, quoted: str) -> bool:
        """Whether `quoted` (normalised, framing quotation marks stripped) is a run of
        whole words of one paragraph."""
        return any(self._quotes_whole_words(number, quoted) for number in self._holding(quoted))

    def cut_word(self, quoted: str) -> CutWord | None:
        """Where `quoted` occurs in a paragraph but only by cutting a word, the words it
        cuts into, whole; None when it does not occur at all."""
        holding = self._holding(quoted)
        if not holding:
            return None
        paragraph = self.paragraphs[holding[0]]
        start = paragraph.find(quoted)
        return CutWord(paragraph[_word_start(paragraph, start):_word_end(paragraph, start + len(quoted))])

    def closest(self, quoted: str) -> Closest | None:
        """The passage the quote comes nearest to, aligned with it, if it shares a few
        words' worth: the place a sub-editor looks for the character that differs.

        Aligned by the longest beginning of the quote the article holds; failing that,
        by its longest ending; failing that, from one of its first words (the quote's
        first word misspelt). Each is a binary search of substring searches."""
        enough = max(min(len(quoted) // 2, 12), 1)
        text = self.joined
        start: int | None = None
        length, found = _longest_prefix_found(quoted, text)
        if length >= enough:
            start = found
        else:
            length, found = _longest_prefix_found(quoted[::-1], text[::-1])
            if length >= enough:
                end = len(text) - found
                start = self._best_start(quoted, end - len(quoted))
            else:
                for offset in _word_starts(quoted)[1:_ANCHORS + 1]:
                    length, found = _longest_prefix_found(quoted[offset:], text)
                    # The words before the anchor must fit in its paragraph.
                    if length >= enough and found >= offset and "\n" not in text[found - offset:found]:
                        start = self._best_start(quoted, found - offset)
                        break
        if start is None:
            return None
        paragraph_end = text.find("\n", start)
        article = text[start:paragraph_end if paragraph_end >= 0 else len(text)]
        at = _common_prefix_length(quoted, article)
        edit: Literal["differs", "adds", "leaves out"] = "differs"
        length = len(quoted)
        if at < len(quoted) and at < len(article):
            if _agree(quoted[at + 1:], article[at:]):
                edit, length = "adds", length - 1
            elif _agree(quoted[at:], article[at + 1:]):
                edit, length = "leaves out", length + 1
        return Closest(article[:length], at, edit)

    def _holding(self, quoted: str) -> list[int]:
        """The paragraphs that hold `quoted` as a run of characters, words cut or not."""
        inner = quoted.split(" ")[1:-1]
        if inner:
            candidates = min((self.by_word.get(word, []) for word in inner), key=len)
        else:
            candidates = range(len(self.paragraphs))
        return [number for number in candidates if quoted in self.paragraphs[number]]

    def _quotes_whole_words(self, number: int, quoted: str) -> bool:
        paragraph = self.paragraphs[number]
        start = paragraph.find(quoted)
        if _on_word_boundaries(paragraph, start, start + len(quoted)):
            return True
        # The first place cuts a word; compare as runs of words, so that however often
        # the quote recurs inside longer words, the search stays one substring search.
        if number not in self._words:
            self._words[number] = _between_words(paragraph)
        return _between_words(quoted) in self._words[number]

    def _best_start(self, quoted: str, near: int) -> int:
        """Of the starts within a few characters of `near`, the one the quote agrees
        with longest: an ending aligned by length is off by what the quote added or left out."""
        candidates = range(max(near - 3, 0), max(min(near + 4, len(self.joined)), 1))
        return max(candidates, key=lambda start: _common_prefix_length(quoted, self.joined, start))


def _between_words(text: str) -> str:
    """`text` with a NUL at each word boundary: one of these holds another exactly when
    the other's text is a run of its whole words."""
    return "\0".join(WORD_BOUNDARY.split(text))


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    return WORD_BOUNDARY.match(text, start) is not None and WORD_BOUNDARY.match(text, end) is not None


def _word_start(text: str, at: int) -> int:
    limit = max(at - _LONGEST_WORD, 0)
    while at > limit and WORD_BOUNDARY.match(text, at) is None:
        at -= 1
    return at


def _word_end(text: str, at: int) -> int:
    limit = min(at + _LONGEST_WORD, len(text))
    while at < limit and WORD_BOUNDARY.match(text, at) is None:
        at += 1
    return at


def _word_starts(text: str) -> list[int]:
    return [0, *(index + 1 for index, char in enumerate(text) if char == " ")]


def _longest_prefix_found(needle: str, haystack: str) -> tuple[int, int]:
    """The length of the longest beginning of `needle` that `haystack` holds, and where
    it is first found. Whatever holds a beginning holds every shorter one, so a
    binary search finds it in a logarithmic number of substring searches."""
    low, high = 0, len(needle)
    while low < high:
        middle = (low + high + 1) // 2
        if needle[:middle] in haystack:
            low = middle
        else:
            high = middle - 1
    return low, haystack.find(needle[:low])


def _common_prefix_length(first: str, second: str, start: int = 0) -> int:
    """How many characters `first` and `second` from `start` have in common at their beginning."""
    low, high = 0, min(len(first), len(second) - start)
    while low < high:
        middle = (low + high + 1) // 2
        if second.startswith(first[:middle], start):
            low = middle
        else:
            high = middle - 1
    return low


def _agree(quoted_rest: str, article_rest: str) -> bool:
    """Whether the quote goes on as the article does for the next few characters (or to its end)."""
    ahead = min(_ALIGNED_AHEAD, len(quoted_rest))
    return quoted_rest[:ahead] == article_rest[:ahead]
