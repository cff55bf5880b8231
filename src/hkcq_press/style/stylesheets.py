"""The house style's stylesheets and fonts, under one rule for both editions.

The print edition's fetcher reads only regular files inside the manuscript, the
style folders and the package; the e-book carries its stylesheets and fonts into
every reader. So a stylesheet or font that is a link to a file elsewhere is
refused, `@import` is never followed (an e-book would fetch it when read), and a
stylesheet may name no file but the typefaces `fonts.css` declares, which both
editions carry. Each refusal names the style file and line.
"""

from __future__ import annotations

from pathlib import Path

from hkcq_press.errors import ManuscriptError, Problem
from hkcq_press.profiles import DEFAULT_PROFILE, profile_problem
from hkcq_press.reader.cssreferences import references
from hkcq_press.style.house import HouseStyle, confined_to

FONTS_STYLESHEET = "fonts.css"
STYLESHEETS = {
    "print": (FONTS_STYLESHEET, "print.css", "house.css"),
    "press": (FONTS_STYLESHEET, "print.css", "press.css", "house.css"),
    "epub": (FONTS_STYLESHEET, "epub.css", "house.css"),
}
"""The stylesheets each edition links, in order: the desk's house.css last. `press`
is the print edition in a PDF/X variant: its colours in the printer's CMYK."""


def confined(style: HouseStyle, path: Path, referrer: Path, line: int | None) -> Path:
    """`path` with links followed, if it is a regular file inside the style folders;
    otherwise a located error (`house.confined_to`)."""
    return confined_to(style.directories, path, referrer, line)


def check_stylesheets(style: HouseStyle) -> None:
    """Every stylesheet of either edition, checked as `stylesheet` checks it; every
    problem reported at once. Both editions and `check` run this, so `check` refuses
    whatever a build would."""
    problems = []
    for name in dict.fromkeys(name for names in STYLESHEETS.values() for name in names):
        try:
            stylesheet(style, name)
        except ManuscriptError as error:
            problems.extend(error.problems)
    if problems:
        raise ManuscriptError(problems)


def stylesheet(style: HouseStyle, name: str) -> bytes:
    """A stylesheet of the house style, checked (see the module's docstring): the same
    rule for both editions, since the e-book would fetch what it names when read."""
    path = style.find(name)
    data = confined(style, path, path, None).read_bytes()
    problems = []
    for reference in references(data.decode("utf-8", errors="replace")):
        if reference.kind == "import":
            problems.append(Problem(
                path, reference.line, f"`@import` of `{reference.url}` cannot be carried by the e-book",
                "Copy the rules you need into this stylesheet (or into house.css).",
            ))
        elif reference.kind == "url" and not reference.url.startswith("#"):
            problems.append(Problem(
                path, reference.line, f"the e-book cannot carry `{reference.url}`, which this stylesheet names",
                "A stylesheet may name no file but the typefaces of fonts.css; the e-book carries those.",
            ))
        elif reference.kind == "font" and name != FONTS_STYLESHEET:
            problems.append(Problem(
                path, reference.line, "typefaces are declared in fonts.css only",
                "Move this @font-face rule to your fonts.css, so the e-book carries its font.",
            ))
    if problems:
        raise ManuscriptError(problems)
    return data


def press_profile(style: HouseStyle, manuscript_profile: Path | None) -> Path:
    """The output profile of a PDF/X edition: the manuscript's `print_profile` (checked
    when it was read), else the house style's, checked here as the manuscript's was."""
    if manuscript_profile is not None:
        return manuscript_profile
    path = style.find(DEFAULT_PROFILE)
    found = confined(style, path, path, None)
    if (problem := profile_problem(found)) is not None:
        raise ManuscriptError([Problem(
            path, None, f"the house's output profile {problem}",
            "A PDF/X edition names a CMYK output profile: put the printer's .icc file in the manuscript "
            "and name it with `print_profile:` in edition.yaml.",
        )])
    return found
