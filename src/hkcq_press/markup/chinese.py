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
            element.text, spans = _split_runs(element.text, forms)
            for index, span in enumerate(spans):
                element.insert(index, span)
        for child in list(element):
            visit(child, language)
            if foreign and child.tail:
                child.tail, spans = _split_runs(child.tail, forms)
                previous = child
                for span in spans:
                    previous.addnext(span)
                    previous = span

    visit(root, "")


def _split_runs(text: str, forms: str) -> tuple[str | None, list[etree._Element]]:
    """The text before the first run of Chinese, and a span for each run, whose tail is
    the text up to the next run."""
    pieces = RUN.split(text)
    spans = []
    for run, following in zip(RUN.findall(text), pieces[1:], strict=True):
        language = run_language(run, forms)
        span = etree.Element(f"{XHTML}span", {"lang": language, XML_LANG: language})
        span.text = run
        span.tail = following or None
        spans.append(span)
    return pieces[0] or None, spans
