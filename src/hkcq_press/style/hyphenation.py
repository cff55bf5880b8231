"""The house's hyphenation exceptions: words the pattern hyphenation breaks badly
("star-ted", "arbit-ration"), listed once with the breaks they allow.

The list is `hyphenation.txt`, one word a line with its allowed breaks marked by
`-`, as TeX's `\\hyphenation` takes them (`start-ed`, `arbi-tra-tion`; a word with
no `-` is never broken); `#` begins a comment. The package ships a default list;
a project's `styles/hyphenation.txt` adds words and overrides the default's. In the
print edition each listed word gets soft hyphens at its allowed breaks, which
WeasyPrint then uses instead of its patterns (CSS Text: a word with a soft hyphen
is broken only there); a word with no allowed break is set where it cannot break.
A break that would leave fewer than `FEWEST_LETTERS` letters on a side is dropped,
as the house style's `hyphenate-limit-chars` drops them from the patterns' breaks
(WeasyPrint applies that limit to its own breaks only, not to soft hyphens).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from hkcq_press.errors import ManuscriptError, Problem
from hkcq_press.style.house import HouseStyle
from hkcq_press.style.stylesheets import confined

EXCEPTIONS_FILE = "hyphenation.txt"
SOFT_HYPHEN = "\u00ad"
FEWEST_LETTERS = 3
"""Letters a break leaves on either side at least (print.css: `hyphenate-limit-chars: 6 3 3`)."""
_ENTRY = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class HyphenationExceptions:
    breaks: dict[str, tuple[int, ...]]
    """Each word, case-folded, and where it may break (indexes into the word)."""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    """Any listed word, the longest first: built once, as copy is set a run at a time."""

    def __post_init__(self) -> None:
        words = sorted(self.breaks, key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
        object.__setattr__(self, "_pattern", pattern)

    def apply(self, text: str) -> Markup:
        """`text`, escaped, with each listed word broken only where the list allows."""
        if not self.breaks:
            return Markup(escape(text))
        pieces = []
        position = 0
        for match in self._pattern.finditer(text):
            pieces.append(escape(text[position:match.start()]))
            word = match.group()
            listed = self.breaks.get(word.casefold())
            if listed is None or len(word) != len(word.casefold()):
                # Matched by the pattern's simple case folding only ("KIRIKKALE" for
                # "Kırıkkale"), or folded to another length: not the listed word.
                pieces.append(escape(word))
                position = match.end()
                continue
            breaks = tuple(at for at in listed if FEWEST_LETTERS <= at <= len(word) - FEWEST_LETTERS)
            if breaks:
                pieces.append(escape(SOFT_HYPHEN.join(word[start:end] for start, end in _spans(word, breaks))))
            else:
                pieces.append(Markup('<span class="unbroken">{}</span>').format(word))
            position = match.end()
        pieces.append(escape(text[position:]))
        return Markup("").join(pieces)


def _spans(word: str, breaks: tuple[int, ...]) -> list[tuple[int, int]]:
    edges = (0, *breaks, len(word))
    return list(zip(edges, edges[1:], strict=False))


def hyphenation_exceptions(style: HouseStyle) -> HyphenationExceptions:
    """The default list, then the project's, later entries winning; a malformed line
    is a located error, and so is a list that is not a regular file of the house style."""
    breaks: dict[str, tuple[int, ...]] = {}
    problems = []
    for directory in reversed(style.directories):
        path = directory / EXCEPTIONS_FILE
        if not path.exists() and not path.is_symlink():
            continue
        # A link to a file elsewhere is refused as a stylesheet's is: its lines would be
        # printed back as errors (and shown on the preview's page).
        text = confined(style, path, path, None).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            entry = line.split("#", 1)[0].strip()
            if not entry:
                continue
            if "\ufffd" in entry:  # bytes that are not UTF-8, read as replacement characters
                problems.append(Problem(path, number, "the line is not UTF-8 text",
                                        "Save hyphenation.txt as UTF-8 in your editor."))
            elif not _ENTRY.fullmatch(entry):
                problems.append(Problem(
                    path, number, f"`{entry}` is not a word with its breaks",
                    "Write one word a line, its allowed breaks marked with `-`: `arbi-tra-tion`.",
                ))
                continue
            parts = entry.split("-")
            offsets = tuple(sum(len(part) for part in parts[:index]) for index in range(1, len(parts)))
            breaks["".join(parts).casefold()] = offsets
    if problems:
        raise ManuscriptError(problems)
    return HyphenationExceptions(breaks)
