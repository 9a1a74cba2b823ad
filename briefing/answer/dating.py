"""Relative dates in an answer shown with the date they mean: "On Tuesday (25 Nov) evening", resolved against the
publication date of the article the sentence cites, after its citations were verified (the quote stays exact).

The resolving rules are ``briefing.written_dates``, shared with the memo's timeline so both say the same day for
the same words.
"""

from __future__ import annotations

import re
from typing import Sequence

from briefing.types import Citation

_MARKER = re.compile(r"\[(\d+)\??\]")
# Words that put a sentence in the future: a weekday resolved to a past day in such a sentence may be wrong
# ("is set to testify Wednesday and Thursday"), so it is left without a date rather than given a false one.
_FUTURE = re.compile(r"\b(?:will|'ll|shall|set to|plans? to|planning to|expected to|scheduled|due to|come|upcoming|"
                     r"next|would)\b", re.IGNORECASE)


def _short(day) -> str:
    return f"{day.day} {day.strftime('%b')}"


def _label(ref) -> str | None:
    if ref.single:
        return _short(ref.first)
    if ref.first.month == ref.last.month:
        return f"{ref.first.day}–{ref.last.day} {ref.first.strftime('%b')}"
    return f"{_short(ref.first)} – {_short(ref.last)}"


def _quoted(line: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks: a speaker's "today" is the day they spoke, not the article's."""
    return [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?", line)]


def resolve_relative_dates(text: str, citations: Sequence[Citation]) -> str:
    """``text`` with each relative date of a cited line followed by the day it resolves to, in brackets:
    "Tuesday" -> "Tuesday (25 Nov)", "last week" -> "last week (17–23 Nov)". A line whose first citation's
    article is undated, or that cites nothing, is left as it is, and so are a date resolved to the past in a
    sentence about the future and a date inside a quotation."""
    from briefing.written_dates import resolve

    by_n = {c.n: c for c in citations}
    out = []
    for line in text.split("\n"):
        m = _MARKER.search(line)
        cited = by_n.get(int(m.group(1))) if m else None
        published = cited.hit.doc.published if cited else None
        if published is None:
            out.append(line)
            continue
        body_end = m.start()
        future = bool(_FUTURE.search(line[:body_end]))
        quoted = _quoted(line[:body_end])
        for ref in reversed(resolve(line[:body_end], published)):
            label = _label(ref) if ref.relative and not (future and ref.first < published) else None
            if any(a <= ref.start < b for a, b in quoted):
                label = None
            if label and not line[ref.end:].lstrip().startswith("("):
                line = f"{line[:ref.end]} ({label}){line[ref.end:]}"
        out.append(line)
    return "\n".join(out)
