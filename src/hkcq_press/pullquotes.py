"""Pull quotes repeat their article word for word: the check that no layout misquotes.

A pull quote's plain text (see `characters.pull_quote_words`) must occur in one
paragraph of its own article's story. The paragraphs are indexed by their whole
words once, so a quote is compared only with the paragraphs that hold its inner
words: the check stays near-linear in the article's length, however many quotes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from .characters import normalise_words


@dataclass(frozen=True, slots=True)
class Closest:
    """The passage of the article a wrong pull quote comes nearest to."""

    passage: str
    """As long as the quote, from where it would begin in the article."""
    differs_at: int
    """The index, in the quote, of the first character that differs."""


class QuotableText:
    """The paragraphs a pull quote may quote, indexed for the check."""

    def __init__(self, paragraphs: Sequence[str]) -> None:
        self.paragraphs = [normalise_words(text) for text in paragraphs]
        self.joined = "\n".join(self.paragraphs)
        """One string to search for quotes too short to index: no quote holds a line end."""
        self.by_word: dict[str, list[int]] = {}
        for number, text in enumerate(self.paragraphs):
            for word in set(text.split(" ")):
                self.by_word.setdefault(word, []).append(number)

    def quotes(self, quoted: str) -> bool:
        """Whether `quoted` (normalised, framing quotation marks stripped) occurs in
        one paragraph. Its first and last words may be parts of words; the words
        between are whole, so only paragraphs holding them are searched."""
        inner = quoted.split(" ")[1:-1]
        if not inner:
            return quoted in self.joined
        candidates = min((self.by_word.get(word, []) for word in inner), key=len)
        return any(quoted in self.paragraphs[number] for number in candidates)

    def closest(self, quoted: str) -> Closest | None:
        """The passage that shares the longest run of characters with `quoted`, aligned
        with it, if one shares a few words' worth: the place a sub-editor looks for
        the character that differs."""
        best: tuple[int, str, int] | None = None
        for paragraph in self.paragraphs:
            match = SequenceMatcher(None, paragraph, quoted, autojunk=False).find_longest_match()
            if best is None or match.size > best[0]:
                best = (match.size, paragraph, max(match.a - match.b, 0))
        if best is None or best[0] < min(len(quoted) // 2, 12):
            return None
        _, paragraph, start = best
        passage = paragraph[start:start + len(quoted)]
        return Closest(passage, len(os.path.commonprefix([quoted, passage])))
