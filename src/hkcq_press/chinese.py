"""Chinese inside copy in another language: each run marked with its language.

A reading system reads a run of Chinese in an English article with a Chinese
voice only when the run says it is Chinese (`lang`). Which Chinese: the script the
run is written in (hanzidentifier, from the Unihan variants), with the region of
the edition's glyph forms when that is Hong Kong; a run whose characters are the
same in both scripts takes the edition's own.
"""

from __future__ import annotations

import re

import hanzidentifier
from lxml import etree
from zhon import hanzi

RUN = re.compile(f"[{hanzi.punctuation}]*[{hanzi.characters}][{hanzi.characters}{hanzi.punctuation}]*")
"""Han characters, with the Chinese punctuation around and between them (《…》，)."""
EDITION_LANGUAGE = {"hong-kong": "zh-Hant-HK", "taiwan": "zh-Hant", "mainland": "zh-Hans"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML = "{http://www.w3.org/1999/xhtml}"
UNMARKABLE = frozenset({"head", "title", "script", "style"})


def run_language(run: str, forms: str) -> str:
    script = hanzidentifier.identify(run)
    if script == hanzidentifier.TRADITIONAL:
        return "zh-Hant-HK" if forms == "hong-kong" else "zh-Hant"
    if script == hanzidentifier.SIMPLIFIED:
        return "zh-Hans"
    return EDITION_LANGUAGE[forms]


def mark_chinese_runs(root: etree._Element, forms: str) -> None:
    """Wrap each run of Chinese in text of another language in `<span lang>`."""

    def visit(element: etree._Element, language: str) -> None:
        if not isinstance(element.tag, str) or element.tag.removeprefix(XHTML) in UNMARKABLE:
            return
        language = element.get(XML_LANG) or element.get("lang") or language
        foreign = not language.lower().startswith("zh")
        if foreign and element.text:
            element.text = _wrapped(element.text, forms, lambda span, index: element.insert(index, span))
        for child in list(element):
            visit(child, language)
            if foreign and child.tail:
                anchor = [child]

                def after(span: etree._Element, index: int, anchor: list[etree._Element] = anchor) -> None:
                    anchor[0].addnext(span)
                    anchor[0] = span

                child.tail = _wrapped(child.tail, forms, after)

    visit(root, "")


def _wrapped(text: str, forms: str, place) -> str | None:  # type: ignore[no-untyped-def]
    """The text before the first run; each run placed as a span (`place(span, index)`)
    whose tail is the text up to the next run."""
    pieces = RUN.split(text)
    runs = RUN.findall(text)
    if not runs:
        return text
    for index, (run, following) in enumerate(zip(runs, pieces[1:], strict=True)):
        language = run_language(run, forms)
        span = etree.Element(f"{XHTML}span", {"lang": language, XML_LANG: language})
        span.text = run
        span.tail = following or None
        place(span, index)
    return pieces[0] or None
