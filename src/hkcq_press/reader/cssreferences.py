"""The files and addresses a piece of CSS names, read as a browser reads it
(tinycss2: escapes decoded, comments skipped), for the rule that nothing an edition
carries reaches outside it: a stylesheet of the house style, an SVG's `<style>`
element or its `style` attribute.

A reference is any `url()`, a string `@import` names, and a string that stands for
an image in `image-set()`, `-webkit-image-set()`, `cross-fade()`, `image()` or `src()` (CSS
Images 4, CSS Values 4): `u\\72l(…)` is `url(…)`, and `image-set("http://…")` loads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import tinycss2

IMAGE_FUNCTIONS = frozenset({"image-set", "-webkit-image-set", "cross-fade", "-webkit-cross-fade", "src", "image"})
"""CSS functions whose string arguments are addresses a browser loads."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A file or address CSS names."""

    url: str
    line: int
    kind: str
    """`import`, `font` (a `src` of an @font-face rule) or `url`."""


def references(css: str) -> Iterator[Reference]:
    """Every reference of a stylesheet, with its line."""
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            for token in _tokens(rule.prelude):
                if token.type in ("string", "url") or (token.type == "function" and token.lower_name == "url"):
                    yield Reference(_url(token), rule.source_line, "import")
                    break
            continue
        kind = "font" if rule.type == "at-rule" and rule.lower_at_keyword == "font-face" else "url"
        nodes = _tokens(getattr(rule, "prelude", None) or []) + _tokens(getattr(rule, "content", None) or [])
        yield from _named(nodes, kind)


def declaration_references(css: str) -> Iterator[Reference]:
    """Every reference of a list of declarations (a `style` attribute)."""
    yield from _named(_tokens(tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True)), "url")


def _named(nodes: Sequence[Any], kind: str) -> Iterator[Reference]:
    for token in nodes:
        if token.type == "url" or (token.type == "function" and token.lower_name == "url"):
            yield Reference(_url(token), token.source_line, kind)
        elif token.type == "function" and token.lower_name in IMAGE_FUNCTIONS:
            for argument in _tokens(token.arguments):
                if argument.type == "string":
                    yield Reference(str(argument.value), argument.source_line, kind)


def _tokens(tokens: Sequence[Any]) -> list[Any]:
    """Tokens with those inside blocks, functions, rules and declarations, in order."""
    found = []
    for token in tokens:
        found.append(token)
        if token.type in ("() block", "[] block", "{} block"):
            found.extend(_tokens(token.content))
        elif token.type == "function":
            found.extend(_tokens(token.arguments))
        elif token.type == "declaration":
            found.extend(_tokens(token.value))
        elif token.type in ("qualified-rule", "at-rule"):
            found.extend(_tokens(token.prelude) + _tokens(token.content or []))
    return found


def _url(token: Any) -> str:
    if token.type in ("url", "string"):
        return str(token.value)
    strings = [argument.value for argument in token.arguments if argument.type == "string"]
    return strings[0] if strings else ""
