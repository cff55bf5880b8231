"""Dates as a desk prints them: `23 November 2026`, `November 23, 2026`, `2026年11月23日`.

The manuscript writes ISO 8601 (`2026-11-23`, or `2026-11`, `2026`), which the
metadata keeps; the editions print the house form of the edition's (or the
article's) language, or the edition's own `date_format`.
"""

from __future__ import annotations

import re
import string
from datetime import date

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIELDS = frozenset({"weekday", "day", "month", "month_number", "year"})
"""What a `date_format` may name, in braces: `{weekday}, {day} {month} {year}`."""


def house_pattern(language: str) -> tuple[str, str, str]:
    """The day, month and year patterns of the language's house form."""
    tag = language.lower()
    if tag.startswith("zh"):
        return "{year}年{month_number}月{day}日", "{year}年{month_number}月", "{year}年"
    if tag in ("en-us", "en-ph"):
        return "{month} {day}, {year}", "{month} {year}", "{year}"
    return "{day} {month} {year}", "{month} {year}", "{year}"


def unknown_fields(pattern: str) -> list[str]:
    """The names in braces a `date_format` uses that are not date fields; a pattern
    that does not parse is reported as a whole."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        return [pattern]
    return [name for name in names if name not in FIELDS]


def printed_date(iso: str, language: str, pattern: str | None = None) -> str:
    """An ISO 8601 date (a day, a month or a year; a time of day is left out) as printed."""
    parts = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", iso)
    if parts is None:
        return iso
    year, month, day = (int(part) if part else None for part in parts.groups())
    day_form, month_form, year_form = house_pattern(language)
    values: dict[str, object] = {"year": year}
    if month is None:
        return year_form.format(**values)
    values |= {"month": MONTHS[month - 1], "month_number": month}
    if day is None:
        return month_form.format(**values)
    values |= {"day": day, "weekday": WEEKDAYS[date(year, month, day).weekday()]}
    return (pattern or day_form).format(**values)
