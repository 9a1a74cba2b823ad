"""What to watch next: what the window's sources say is planned, expected or undecided after the window ends.

A sentence is a watch item when it speaks of what is ahead ("will", "is expected to", "plans to", "is set to",
"scheduled", "next week", "in the coming days", a deadline) or of what is undecided ("has not decided",
"remains unclear", "will decide whether", "yet to be"), and it is still ahead when the window ends: a date it
gives (resolved against its article, see ``timeline``) that falls inside the window is an event the memo's reader
has already seen happen ("Biden will speak Wednesday" in a week that holds that Wednesday), so it is left out;
a date after the window ranks first; a time of day with no date ("expected to arrive at 2:30 p.m.") is the
article's own day. "would" alone (reported speech about the past) is not a cue.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Sequence

from briefing.memo.model import Window
from briefing.memo.pool import Salience, Sentence

_FORWARD = re.compile(
    r"\b(?:in the coming (?:days|weeks|months)|next (?:week|month|year)|the coming week|coming weeks"
    r"|later this (?:week|month|year)|looking ahead|(?:is|are) expected to|set to|plans to|planning to"
    r"|due to (?!the)|scheduled|slated|deadline|will|'ll|is to|are to|(?:is|are) going to|upcoming)\b",
    re.IGNORECASE)
_UNDECIDED = re.compile(
    r"\b(?:(?:has|have) (?:not|yet to) (?:decided|said whether|announced|determined)|yet to be (?:decided|determined"
    r"|announced|scheduled)|undecided|remains? (?:unclear|uncertain|to be seen|an open question)|(?:it is|it's) "
    r"(?:not |un)clear (?:whether|if|when|how)|(?:will|must|to) decide (?:whether|if|when)|(?:is|are) weighing"
    r"|considering whether|pending)\b", re.IGNORECASE)
_EXPLICIT = re.compile(r"\b(?:in the coming|next (?:week|month|year)|later this|deadline|scheduled|slated|set to"
                       r"|(?:is|are) expected to|plans to)\b", re.IGNORECASE)
# A time of day with no date: the day of the article ("coverage begins at 7 a.m. ET")
_CLOCK = re.compile(r"\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\bnoon\b|\bmidnight\b", re.IGNORECASE)
_WAS = re.compile(r"\b(?:was|were|had been|had)\s+(?:\w+\s+)?$", re.IGNORECASE)


def ahead(pool: Sequence[Sentence], salience: Salience, window: Window) -> list[Sentence]:
    """The pool's watch items (module docstring), best first: a date after the window, then explicit timing or
    an open question, then salience."""
    from briefing.written_dates import DateRef, resolve, written_years

    years = written_years(pool)
    scored = []
    for s in pool:
        text = s.plain
        forward = next((m for m in _FORWARD.finditer(text) if not _WAS.search(text[: m.start()])), None)
        undecided = _UNDECIDED.search(text)
        if not (forward or undecided):
            continue  # "was due to start on Tuesday": a plan of the past
        refs = [r for r in resolve(text, s.doc.published, years) if not r.named] if s.doc.published else []
        if not refs and s.doc.published and _CLOCK.search(text):  # "expected to arrive at about 2:30 p.m."
            refs = [DateRef(0, 0, "", s.doc.published, s.doc.published)]
        later = [r for r in refs if r.first > window.until]
        if not later and any(r.last <= window.until and (r.last - r.first).days <= 7
                             and r.last >= (s.doc.published or window.since) - timedelta(days=1) for r in refs):
            continue  # what it announced has happened, or not, by the window's end: not ahead any more
        if not later and any(r.last < (s.doc.published or window.since) - timedelta(days=1) for r in refs) \
                and not _EXPLICIT.search(text):
            continue  # a sentence about the past that happens to say "will"
        score = 2.0 * bool(later) + 1.0 * bool(_EXPLICIT.search(text)) + 1.0 * bool(undecided) + salience.norm(s)
        scored.append((score, s))
    return [s for _, s in sorted(scored, key=lambda x: -x[0])]
