"""Dates as a desk prints them: `23 November 2026`, `November 23, 2026`, `2026年11月23日`.

The manuscript writes ISO 8601 (`2026-11-23`, or `2026-11`, `2026`), which the
metadata keeps; the editions print the house form of the article's (or the
edition's) language, or the edition's `date_format` for that language, with the
names of months and weekdays in that language where the package has them
(English and Chinese), else in English, marked as such.
"""

from __future__ import annotations

import calendar
import re
import string
from collections.abc import Mapping
from datetime import date, datetime

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NAMES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (MONTHS, WEEKDAYS),
    "zh": (tuple(f"{number}月" for number in range(1, 13)),
           ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")),
}
"""Month and weekday names by primary language subtag: `{month}` and `{weekday}` print these."""
FIELDS = frozenset({"weekday", "day", "month", "month_number", "year"})
"""What a `date_format` may name, in braces: `{weekday}, {day} {month} {year}`."""
NAMED_FIELDS = frozenset({"weekday", "month"})
"""The fields that print words, not numbers."""
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?=$|T)")


def primary(language: str) -> str:
    """The language of a BCP 47 tag, without its script and region: `zh` of `zh-Hant-HK`."""
    return language.lower().split("-")[0]


def names_language(language: str) -> str:
    """The language whose month and weekday names a date in `language` prints."""
    return primary(language) if primary(language) in NAMES else "en"


def house_pattern(language: str) -> tuple[str, str, str]:
    """The day, month and year patterns of the language's house form."""
    tag = language.lower()
    if tag.startswith("zh"):
        return "{year}年{month_number}月{day}日", "{year}年{month_number}月", "{year}年"
    if tag in ("en-us", "en-ph"):
        return "{month} {day}, {year}", "{month} {year}", "{year}"
    return "{day} {month} {year}", "{month} {year}", "{year}"


def pattern_problem(pattern: str, language: str) -> str | None:
    """Why `pattern` cannot be a `date_format` for `language`, in words; None when it can."""
    try:
        parsed = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)
                  if name is not None]
    except ValueError as error:
        return f"`date_format` cannot be read: {error}"
    if unknown := [name or "{}" for name, _, _ in parsed if name not in FIELDS]:
        return f"`date_format` names what a date does not have: {', '.join(unknown)}"
    if dressed := [name for name, spec, conversion in parsed if spec or conversion]:
        return f"`date_format` takes field names only, without a format or conversion: {{{dressed[0]}…}}"
    if primary(language) not in NAMES and (named := sorted({name for name, _, _ in parsed} & NAMED_FIELDS)):
        return (f"`date_format` for `{language}` names {', '.join(f'{{{name}}}' for name in named)}: hkcq-press "
                "has the names of months and weekdays in English and Chinese only")
    return None


def date_problem(text: str) -> str | None:
    """Why `text` is not a date an edition can print, in words; None when it is one."""
    if found := re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text):
        year, month = found.groups()
        return _month_problem(int(month)) if month else None
    if found := _ISO_DAY.match(text):
        year, month, day = (int(part) for part in found.groups())
        if problem := _month_problem(month):
            return problem
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            return f"{MONTHS[month - 1]} {year} has {days} days"
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return "it is not an ISO 8601 date"
    return None


def _month_problem(month: int) -> str | None:
    return None if 1 <= month <= 12 else f"there is no month {month:02d}: months are 01 to 12"


def pattern_for(patterns: Mapping[str, str], language: str) -> str | None:
    """The edition's `date_format` for `language`: its own tag's, else the nearest shorter
    one's (`zh-hant` for `zh-Hant-HK`, then `zh`); None for the house form."""
    parts = language.lower().split("-")
    return next((patterns[tag] for end in range(len(parts), 0, -1) if (tag := "-".join(parts[:end])) in patterns),
                None)


def printed_date(iso: str, language: str, pattern: str | None = None) -> str:
    """An ISO 8601 date (a day, a month or a year; a time of day is left out) as printed."""
    return _printed(iso, language, pattern)[0]


def words_language(iso: str, language: str, pattern: str | None = None) -> str | None:
    """The language of the words a date printed in `language` has (a month's or weekday's
    name), when it is another than `language`'s: what its `lang` must say."""
    names = names_language(language)
    return names if _printed(iso, language, pattern)[1] and names != primary(language) else None


def _printed(iso: str, language: str, pattern: str | None) -> tuple[str, bool]:
    """The date as printed, and whether it names a month or a weekday."""
    parts = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", iso)
    if parts is None:
        return iso, False
    year, month, day = (int(part) if part else None for part in parts.groups())
    day_form, month_form, year_form = house_pattern(language)
    form = year_form if month is None else month_form if day is None else pattern or day_form
    months, weekdays = NAMES[names_language(language)]
    values: dict[str, object] = {"year": year}
    if month is not None:
        values |= {"month": months[month - 1], "month_number": month}
    if day is not None and month is not None:
        values |= {"day": day, "weekday": weekdays[date(year, month, day).weekday()]}
    return form.format(**values), any(f"{{{name}}}" in form for name in NAMED_FIELDS)
