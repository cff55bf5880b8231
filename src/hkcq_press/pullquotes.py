"""Pull quotes repeat their article word for word: the check that no layout misquotes.

A pull quote's plain text (see `characters.pull_quote_words`) must occur in one
paragraph of its own article's story. The paragraphs are indexed by their whole
words once, so a quote is compared only with the paragraphs that hold its inner
words: the check stays near-linear in the article's length, however many quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

from .characters import normalise_words


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
