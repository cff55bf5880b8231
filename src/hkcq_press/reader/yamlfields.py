"""YAML for editors: every scalar kept as the editor wrote it, every value located.

`2024-01-05` and `0123` stay text (no implicit typing), the safe loader is the only
one used, and each value carries its line so a problem is reported where it is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from hkcq_press.reader.characters import REFUSED, refusals
from hkcq_press.model.dates import date_problem
from hkcq_press.errors import Diagnostics

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_NULLS = ("", "~", "null", "Null", "NULL")


class _TextLoader(yaml.SafeLoader):
    """A safe loader that resolves no plain scalar: `2024-01-05` and `0123` stay text."""

    yaml_implicit_resolvers: dict = {}


class _FastTextLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, parsing with libyaml when PyYAML has it: several times faster, which
    an anthology of hundreds of articles feels. Its error messages are terser, so a
    text it refuses is read again by `_TextLoader` to explain why."""

    yaml_implicit_resolvers: dict = {}


@dataclass(frozen=True, slots=True)
class Located:
    node: yaml.Node
    line: int


NEAR_SPELLING = 0.8
"""How alike (difflib's ratio) an unknown key must be to a known one to be suggested."""


def _key_hint(key: str, known: tuple[str, ...], aliases: dict[str, str]) -> str:
    folded = key.lower().replace("-", "_")
    if folded in known:
        return f"Keys are written in lower case with underscores: `{folded}`."
    if folded.rstrip("s") in ("author", "writer") and "authors" in known:
        return ("Did you mean `byline` (printed as written) or `authors` (the names the metadata lists as the "
                "article's authors)?")
    if folded in aliases:
        return f"Did you mean `{aliases[folded]}`?"
    close = difflib.get_close_matches(folded, known, n=1, cutoff=NEAR_SPELLING)
    return f"Did you mean `{close[0]}`?" if close else f"Known keys: {', '.join(known)}."


def read_mapping(text: str, path: Path, first_line: int, report: Diagnostics) -> dict[str, Located] | None:
    try:
        try:
            root = yaml.compose(text, Loader=_FastTextLoader)
        except yaml.YAMLError:
            root = yaml.compose(text, Loader=_TextLoader)
    except yaml.MarkedYAMLError as error:
        # Where a construct was opened (an unclosed quote or bracket) is where the
        # editor must look; where the parser gave up is often the end of the text.
        mark = error.context_mark or error.problem_mark
        line = first_line + mark.line if mark else first_line
        what = ": ".join(part for part in (error.context, error.problem) if part)
        report.error(
            path,
            line,
            f"the YAML cannot be read ({what})",
            "Check this line: a quotation mark or bracket that is opened must be closed, and "
            "text that contains `: ` or starts with `\"`, `'`, `*`, `&`, `!`, `[` or `{` must be put in quotes.",
        )
        return None
    except yaml.YAMLError as error:
        report.error(path, first_line, f"the YAML cannot be read: {error}")
        return None
    except RecursionError:
        report.error(
            path, first_line, "the YAML is nested too deeply to be read",
            "Lists and mappings inside each other go a few levels deep at most; look for a run of `[` or `{`.",
        )
        return None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        report.error(path, first_line + root.start_mark.line, "expected `key: value` lines")
        return None
    fields: dict[str, Located] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
        line = first_line + key_node.start_mark.line
        if key in fields:
            report.error(path, line, f"`{key}` is given twice", f"The first is at line {fields[key].line}.")
        fields[key] = Located(value_node, line)
    return fields


UNKNOWN_KEYS_SHOWN = 10
"""Unknown keys warned about one by one; past these, one warning counts the rest."""


class Fields:
    """Typed access to one YAML mapping, reporting wrong types at their line."""

    def __init__(
        self, fields: dict[str, Located], path: Path, first_line: int, report: Diagnostics, at: int | None = None
    ) -> None:
        self.fields = fields
        self.path = path
        self.first_line = first_line
        self.report = report
        self.at = at or first_line
        """The line the mapping starts at, for what is missing from it."""

    def warn_unknown(
        self, known: tuple[str, ...], aliases: dict[str, str] | None = None, explained: dict[str, str] | None = None
    ) -> None:
        """A warning at each unknown key, up to `UNKNOWN_KEYS_SHOWN`; one more counts the rest.

        A key is suggested only for a near spelling (`bylin`) or a word a desk types for
        it (`author`), never for a key that only shares letters and means something
        else (`photo_credit` is not `credit`); `explained` keys get their own hint."""
        unknown = [(key, located) for key, located in self.fields.items() if key not in known]
        for key, located in unknown[:UNKNOWN_KEYS_SHOWN]:
            hint = (explained or {}).get(key.lower()) or _key_hint(key, known, aliases or {})
            self.report.warning(self.path, located.line, f"unknown key `{key}` is ignored", hint)
        if len(unknown) > UNKNOWN_KEYS_SHOWN:
            rest = unknown[UNKNOWN_KEYS_SHOWN:]
            self.report.warning(
                self.path, rest[0][1].line, f"{len(rest)} more unknown keys are ignored, from this line on",
                f"Known keys: {', '.join(known)}.",
            )

    def line(self, key: str) -> int | None:
        located = self.fields.get(key)
        return located.line if located else None

    def text(self, key: str) -> str | None:
        located = self.fields.get(key)
        if located is None:
            return None
        node = located.node
        if not isinstance(node, yaml.ScalarNode):
            self.report.error(
                self.path, located.line, f"`{key}` must be text, not a list or a mapping",
                f"Write it on one line, `{key}: …`; to give several, join them in that line as they "
                "should print (`A and B`).",
            )
            return None
        if node.style is None and node.value in _NULLS:
            return None
        value = str(node.value)
        value = self._published(key, value, located.line)
        return value.strip() or None

    def texts(self, key: str) -> list[tuple[str, int]] | None:
        """A list of text items with their lines; a single text counts as a list of one."""
        located = self.fields.get(key)
        if located is None:
            return None
        node = located.node
        if isinstance(node, yaml.ScalarNode):
            value = self.text(key)
            return [(value, located.line)] if value else []
        if not isinstance(node, yaml.SequenceNode):
            self.report.error(self.path, located.line, f"`{key}` must be a list")
            return None
        items: list[tuple[str, int]] = []
        for item in node.value:
            line = self.first_line + item.start_mark.line
            value = str(item.value) if isinstance(item, yaml.ScalarNode) else ""
            value = self._published(key, value, line)
            if not value.strip():
                self.report.error(self.path, line, f"each entry of `{key}` must be non-empty text")
                continue
            items.append((value.strip(), line))
        return items

    def _published(self, key: str, value: str, line: int) -> str:
        """`value` without the characters that cannot be published, each kind reported:
        the other checks go on and speak too."""
        for problem, hint in refusals(value):
            self.report.error(self.path, line, f"`{key}` has {problem}", hint)
        return REFUSED.sub("", value)

    def mapping(self, key: str) -> Fields | None:
        """A nested `key:` mapping, typed the same way; None (reported) if it is not one."""
        located = self.fields.get(key)
        if located is None:
            return None
        if not isinstance(located.node, yaml.MappingNode):
            self.report.error(self.path, located.line, f"`{key}` must be a mapping of `name: value` lines")
            return None
        return Fields(self._located(located.node), self.path, self.first_line, self.report)

    def mappings(self, key: str, what: str) -> list[Fields] | None:
        """A `key:` list of mappings (`what` names one, for the message), each typed the
        same way; None (reported) if it is not a list, and an item that is no mapping is
        reported and left out."""
        located = self.fields.get(key)
        if located is None:
            return None
        if not isinstance(located.node, yaml.SequenceNode):
            self.report.error(self.path, located.line, f"`{key}` must be a list of {what}s, each item starting `- `")
            return None
        found: list[Fields] = []
        for item in located.node.value:
            line = self.first_line + item.start_mark.line
            if not isinstance(item, yaml.MappingNode):
                self.report.error(self.path, line, f"each entry of `{key}` must be a {what} of `name: value` lines")
                continue
            found.append(Fields(self._located(item), self.path, self.first_line, self.report, line))
        return found

    def _located(self, node: yaml.MappingNode) -> dict[str, Located]:
        return {
            str(key_node.value): Located(value_node, self.first_line + key_node.start_mark.line)
            for key_node, value_node in node.value
            if isinstance(key_node, yaml.ScalarNode)
        }

    def scalars(self, key: str) -> list[tuple[str, int]]:
        """The text values under `key` with their lines, reporting nothing (for checks
        that run beside the typed accessors)."""
        located = self.fields.get(key)
        if located is None:
            return []
        nodes = located.node.value if isinstance(located.node, yaml.SequenceNode) else [located.node]
        return [
            (str(node.value), self.first_line + node.start_mark.line)
            for node in nodes if isinstance(node, yaml.ScalarNode)
        ]

    def language(self, required: bool) -> str | None:
        language = self.text("language")
        if language is None:
            if required:
                self.report.error(
                    self.path, 1, "the edition has no `language:`",
                    "Give a BCP 47 language tag, for example `language: en` or `language: zh-Hant-HK`.",
                )
            return None
        if not LANGUAGE_TAG.match(language):
            self.report.error(
                self.path, self.line("language"), f"`{language}` is not a language tag",
                "Use a BCP 47 tag, for example `en`, `en-GB` or `zh-Hant-HK`.",
            )
            return None
        return language

    def choice(self, key: str, choices: tuple[str, ...], what: str, fold_case: bool = False) -> str | None:
        """`key`'s value if it is one of `choices` (lower-cased first with `fold_case`);
        otherwise reported, naming the choices, and None."""
        written = self.text(key)
        if written is None:
            return None
        value = written.lower() if fold_case else written
        if value not in choices:
            self.report.error(
                self.path, self.line(key), f"`{written}` is not {what}", f"Choose one of {', '.join(choices)}."
            )
            return None
        return value

    def date(self) -> str | None:
        date = self.text("date")
        if date is not None and (problem := date_problem(date)):
            self.report.error(
                self.path, self.line("date"), f"`date: {date}` cannot be printed: {problem}",
                "Write dates as YYYY-MM-DD (or YYYY-MM, or YYYY), for example `date: 2026-11-25`.",
            )
            return None
        return date

    def texts_by_name(self, key: str) -> dict[str, tuple[str, int]] | None:
        """`key: text`, or a mapping `key: {name: text, …}`: the texts by name, with their
        lines; a single text is named "". None when the key is absent or wrong (reported)."""
        located = self.fields.get(key)
        if located is None:
            return None
        if not isinstance(located.node, yaml.MappingNode):
            value = self.text(key)
            return {"": (value, located.line)} if value else None
        nested = Fields(self._located(located.node), self.path, self.first_line, self.report)
        return {name: (value, nested.line(name) or located.line)
                for name in nested.fields if (value := nested.text(name)) is not None}
