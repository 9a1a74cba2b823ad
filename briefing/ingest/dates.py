"""Publication dates from metadata values and from a date line near the top of an article."""

from __future__ import annotations

import re
from datetime import date, datetime

from briefing.ingest.article import _lines
from briefing.ingest.article import HEADER_LINES


_MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))  # longest first: "sept" before "sep"
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
    r"\b\.?,?\s+)?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (
    _WEEKDAY
    + r"(?:(?P<iy>\d{4})(?P<sep>[-/.])(?P<im>\d{1,2})(?P=sep)(?P<id>\d{1,2})"  # 2025-11-26, 2025/01/03
    + rf"|(?P<mon>{_MONTH_NAMES})\b\.?\s+(?P<md>\d{{1,2}}){_ORD},?\s+(?P<my>\d{{4}})"  # November 26, 2025
    + rf"|(?P<dd>\d{{1,2}}){_ORD}\s+(?P<dmon>{_MONTH_NAMES})\b\.?,?\s+(?P<dy>\d{{4}})"  # 26 Nov 2025
    + r")"
)
# An optional time after the date: "T10:00:00Z", " 11:52:00 +0200", ", 3:15 p.m. EST", "/00:09".
_TIME = (
    r"(?:(?:T|[\s,/]+(?:at\s+)?)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:\s*[ap]\.?m\.?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|(?-i:[A-Z]{2,5})\b))?)?"
)
_DATE_RE = re.compile(_DATE + _TIME + r"(?![\d:])", re.I)
# Words that introduce a date line: "Published: ...", "date 2025-11-26 ...", "Updated on ...".
_LABEL = re.compile(
    r"(?:(?:first\s+|last\s+)?(?:published|posted|updated|modified|dated|date|pubdate)"
    r"(?:\s+(?:on|at))?\s*[:|\-–—]?\s*)?",
    re.I,
)
# A short byline-like line may carry its date after a separator: "By Jane Doe | Nov 26, 2025".
_SEPARATOR = re.compile(r"\s[|·•—–]\s*")
_SHORT_LINE = 100


def parse_date(value: str) -> date | None:
    """A calendar date from a whole string such as "2025-11-26", "Nov 26, 2025", "26 November 2025",
    "Thu, 27 Nov 2025 11:52:00 +0200" or "2025-11-26T10:00:00Z"; None if the string is not just a date.

    The date is the one written (no time-zone conversion): the day the article says it was published.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    m = _DATE_RE.match(value)
    if m and m.end() == len(value):
        return _match_date(m)
    try:  # other ISO 8601 shapes, e.g. the compact "20251126"
        parsed = datetime.fromisoformat(value).date() if len(value) >= 8 else None
    except ValueError:
        return None
    return parsed if parsed and 1900 <= parsed.year <= 2100 else None


def _match_date(m: re.Match) -> date | None:
    g = m.groupdict()
    if g["iy"]:
        y, mo, d = int(g["iy"]), int(g["im"]), int(g["id"])
    elif g["my"]:
        y, mo, d = int(g["my"]), _MONTHS[g["mon"].lower()], int(g["md"])
    else:
        y, mo, d = int(g["dy"]), _MONTHS[g["dmon"].lower()], int(g["dd"])
    if not 1900 <= y <= 2100:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _line_date(line: str) -> tuple[date, str] | None:
    """``(date, text after it)`` if ``line`` is a date line: it starts with a date, maybe after a label like
    "Published:", or it is short and has the date after a separator. Else None."""
    line = line.strip()
    label = _LABEL.match(line)
    m = _DATE_RE.match(line, label.end())
    if m is None and len(line) <= _SHORT_LINE:
        for sep in _SEPARATOR.finditer(line):
            m = _DATE_RE.match(line, _LABEL.match(line, sep.end()).end())
            if m:
                break
    if m is None:
        return None
    when = _match_date(m)
    if when is None:
        return None
    rest = line[m.end() :].strip(" \t|·•—–-:,;")
    return when, rest


def find_date_line(text: str, start: int = 0) -> date | None:
    """The date of a date line among the first non-empty lines of ``text[start:]`` ("Published: November 26,
    2025 | ...", "Thu, 27 Nov 2025 11:52:00 +0200", " date 2025-11-26 European leaders ..."), else None.

    Only lines that begin with a date (after an optional label) count, or short byline-like lines with the date
    after a separator: a date mentioned inside a sentence is not a publication date.
    """
    for n, line in enumerate(_lines(text, start)):
        if n >= HEADER_LINES:
            break
        found = _line_date(line)
        if found:
            return found[0]
    return None
