"""Dates written in article sentences ("Tuesday evening", "last weekend", "Nov 22-23") resolved to calendar dates
against the article's publication date: the memo's timeline, what to watch and disagreements, and the
answers' "(20 Jan)" notes all read dates through here.

The rules, in one place (``tests/test_memo.py::RELATIVE`` holds the table that checks them):

- Written dates: ``2025-11-25``, ``November 25, 2025``, ``Nov 25``, ``25 November``, ranges ``Nov 22-23`` and
  ``November 22-23, 2025``. Without a year, the year is the one the window's articles write out for that day
  when used as a name (below), else the publication's, unless that puts the date more than 60 days after
  publication (then the year before: "December 28" in an article of January 3). A yearless date used as a name,
  modifying the noun after it ("the Jan. 6 attack", "Jan. 6 pardons"), takes the year the window's articles write
  out for that day ("Jan. 6, 2021"), and without one is left out of the timeline. "circa", "around", "about" before a date mark
  it approximate.
- Tense decides the direction. A weekday ("Tuesday", "on Tuesday evening") in past phrasing is the most recent
  such day on or before publication; "last Tuesday" is strictly before it. When a future cue stands before it in
  its clause ("will", "is set to", "is expected", "expected", "scheduled", "plans to", "before Trump is sworn in
  ... on Monday") with no past cue between ("was", "had", "ago"), it is the first such day on or after
  publication (the same day when published that weekday); "next Tuesday" is strictly after. Holiday names ("Fat Tuesday",
  "Black Friday") are not weekdays.
- ``yesterday`` / ``last night`` / ``overnight`` = publication - 1; ``today`` / ``tonight`` / ``this morning`` =
  publication; ``tomorrow`` = publication + 1.
- ``the previous night`` / ``the night before`` / ``the previous day`` / ``the day before``: the day before
  another date written in the same sentence when there is one, else publication - 1.
- Weeks run Monday to Sunday: ``this week`` is the publication's week, ``last week`` the one before, ``next week``
  the one after; ``earlier this week`` ends at publication, ``later this week`` starts there.
- ``last weekend`` / ``the previous weekend`` / ``the weekend`` / ``over the weekend``: the Saturday and Sunday
  before the publication's week (the current one when published on a Saturday or Sunday, except for "last"/
  "previous", and the coming one after a future cue: "expected to continue over the weekend"); ``this
  weekend``: the publication week's; ``next weekend``: the one after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name: i for i, names in enumerate(
    [("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"), ("May",), ("June", "Jun"),
     ("July", "Jul"), ("August", "Aug"), ("September", "Sep", "Sept"), ("October", "Oct"), ("November", "Nov"),
     ("December", "Dec")], start=1) for name in names}
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_APPROX = r"(?P<approx>(?:circa|around|round|about|approximately|roughly|c\.)\s+)?"
_ORD = r"(?:st|nd|rd|th)?"
_ABBR_DOT = r"(?:(?<=\b[A-Z][a-z]{2})\.|(?<=\bSept)\.)?"  # "Nov. 25", but "November." ends a sentence
_RANGE_END = r"(?:\s*[-–]\s*(?P<d2>\d{1,2})" + _ORD + r")?"
# Case matters: "May 5" is a date, "may 5" is not; "March" only counts followed by a day.
_ABSOLUTE = re.compile(
    r"\b" + _APPROX + r"(?:(?:" + "|".join(_DAYS) + r"),?\s+)?(?:"
    r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    rf"|(?P<mon>{_MON}){_ABBR_DOT}\s+(?P<md>\d{{1,2}}){_ORD}{_RANGE_END}(?:,?\s+(?P<my>\d{{4}}))?"
    rf"|(?P<dd>\d{{1,2}}){_ORD}{_RANGE_END.replace('d2', 'e2')}\s+(?P<dmon>{_MON})\b{_ABBR_DOT}"
    r"(?:,?\s+(?P<dy>\d{4}))?"
    r")(?![\d:])"
)
_WEEKDAY = re.compile(
    r"\b(?:(?P<mod>last|this|next|on|early|late)\s+)?(?P<day>" + "|".join(_DAYS) + r")"
    r"(?:\s+(?P<part>morning|afternoon|evening|night))?\b"
)
_HOLIDAY = {"fat", "ash", "good", "black", "cyber", "super", "easter", "holy", "maundy", "shrove", "pancake",
            "bloody", "giving", "palm", "plough", "blue"}
_PHRASES = re.compile(
    r"\b(?P<p>yesterday|last night|overnight|today|tonight|this morning|this afternoon|this evening|tomorrow"
    r"|the (?:previous|prior) (?:night|day|evening)|the (?:night|day|evening) before"
    r"|(?:earlier|later) this week|this week|last week|next week|the previous week|the past week"
    r"|(?:last|this|next|the previous|the past|over the|during the|at the|during) weekend)\b",
    re.IGNORECASE,
)
# A future cue before a weekday in its clause: "will meet on Friday", "is set to vote Tuesday", "questions expected
# Wednesday", "before Trump is sworn in ... on Monday" (a present tense after "before" speaks of what is ahead).
_FUTURE = re.compile(r"\b(?:will|'ll|shall|(?:is|are) set (?:to|for)|plans? to|planned for|(?:is|are) expected"
                     r"|expected|(?:is|are) due|due to|scheduled|slated|poised to|upcoming|is to|are to|going to|may|might|could"
                     r"|(?:preparing|prepares|ready|threatens?|threatening|vows?|intends?|aims?|hopes?|wants?) to"
                     r"|(?:before|until|ahead of|when)\s+(?:[A-Z][\w.-]*\s+){1,3}(?:is|are|takes?|becomes?|leaves?|"
                     r"gets?|moves?|returns?)\b)\b[^.;:!?]{0,110}$")
# Dots that end no clause: "until at least 11 a.m. Thursday", "U.S. officials will meet Friday"
_ABBREVIATION_DOTS = re.compile(r"\b[ap]\.m\.|\b(?:[A-Z]\.){2,}|\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Mr|Mrs|Ms|Dr"
                                r"|Sen|Rep|Gov|Gen|St|Jr|No|vs)\.")
_DEADLINE = re.compile(r"\b(?:by|come|until|starting|beginning)\s+(?:(?:close of business|the end of|end of|noon|"
                       r"midnight)\s+(?:on\s+)?)?$", re.IGNORECASE)
# A past cue between that cue and the weekday ends its reach: "will ... after he was elected on Tuesday".
_PAST = re.compile(r"\b(?:was|were|had|did|ago|last)\b")
# A dateline: the date comes right after "Published:", "date", "Updated on"... at the start of the sentence.
_LABEL = re.compile(r"^\W*(?:first\s+)?(?:published|posted|updated|dated?)\W*(?:on\s+)?(?:\w{3,9},?\s+)?$",
                    re.IGNORECASE)


@dataclass(frozen=True)
class DateRef:
    """A date expression at ``sentence[start:end]`` and the day or days it means (``first`` to ``last``)."""

    start: int
    end: int
    phrase: str
    first: date
    last: date
    approximate: bool = False
    relative: bool = False  # resolved against the publication date, not written out
    named: bool = False  # a yearless date naming an event ("the Jan. 6 attack"): its year is not the article's

    @property
    def single(self) -> bool:
        return self.first == self.last


def resolve(sentence: str, published: date, years: dict | None = None) -> list[DateRef]:
    """Every date expression in ``sentence`` resolved against ``published`` (see the module docstring), in order.

    A dateline such as "Published: November 26, 2025" at the start of a sentence is not an event and is left out.
    A yearless date used as a modifier names an event ("the Jan. 6 attack", "Jan. 6 pardons"): it takes the year
    ``years`` gives for that day (``written_years``: "Jan. 6, 2021" written elsewhere in the window), and without
    one is marked ``named`` (left out of the timeline).
    """
    refs: list[DateRef] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in _ABSOLUTE.finditer(sentence):
        yearless = not (m.group("iy") or m.group("my") or m.group("dy"))
        named = yearless and _attributive(sentence, m.end())
        span = _absolute(m, published, (years or {}) if named else {})
        if span and not _LABEL.search(sentence[: m.start()]):
            named = named and span[0].year == published.year  # "the Jan. 6 attack" with no year we know
            refs.append(DateRef(m.start(), m.end(), m.group(0), span[0], span[1], bool(m.group("approx")),
                                named=named))
        taken.append((m.start(), m.end()))
    for m in _WEEKDAY.finditer(sentence):
        if not free(m.start("day"), m.end("day")) or _holiday(sentence, m.start("day")):
            continue
        day = _weekday(m, sentence, published)
        refs.append(DateRef(m.start(), m.end(), m.group(0), day, day, relative=True))
        taken.append((m.start(), m.end()))
    relative_nights = []
    for m in _PHRASES.finditer(sentence):
        if not free(m.start(), m.end()):
            continue
        if m.group("p").isupper():
            continue  # "USA TODAY" is a newspaper
        phrase = m.group("p").lower()
        if phrase.startswith("the ") and ("previous" in phrase or "prior" in phrase or "before" in phrase) \
                and "week" not in phrase and "weekend" not in phrase:
            relative_nights.append(m)
            continue
        first, last = _phrase(phrase, published)
        if phrase in _OPEN_WEEKENDS and _FUTURE.search(sentence[: m.start()]) and published.weekday() < 5:
            monday = published - timedelta(days=published.weekday())  # "expected to continue over the weekend"
            first, last = monday + timedelta(days=5), monday + timedelta(days=6)
        refs.append(DateRef(m.start(), m.end(), m.group(0), first, last, relative=True))
        taken.append((m.start(), m.end()))
    for m in relative_nights:
        anchors = [r for r in refs if r.single]
        base = min(anchors, key=lambda r: abs(r.start - m.start())).first if anchors else published
        day = base - timedelta(days=1)
        refs.append(DateRef(m.start(), m.end(), m.group(0), day, day, relative=True))
    return sorted(refs, key=lambda r: r.start)


def _absolute(m: re.Match, published: date, years: dict) -> tuple[date, date] | None:
    g = m.groupdict()
    try:
        if g["iy"]:
            day = date(int(g["iy"]), int(g["im"]), int(g["id"]))
            return day, day
        if g["mon"]:
            month, d1, d2, year = _MONTHS[g["mon"]], int(g["md"]), g["d2"], g["my"]
        else:
            month, d1, d2, year = _MONTHS[g["dmon"]], int(g["dd"]), g["e2"], g["dy"]
        y = int(year) if year else years.get((month, d1)) or _guess_year(month, d1, published)
        first = date(y, month, d1)
        last = date(y, month, int(d2)) if d2 else first
    except ValueError:
        return None
    if last < first or not 1900 <= first.year <= 2100:
        return None
    return first, last


def _attributive(sentence: str, end: int) -> bool:
    """Whether a date is used as a modifier of the noun after it ("the Jan. 6 attack", "Jan. 6 pardons"): such a
    date names an event, often of another year."""
    from briefing.text import STOPWORDS

    if re.match(r"-[a-z]", sentence[end:]):
        return True  # "his Jan. 6-related conviction"
    m = re.match(r"\s+([A-Za-z][\w'’-]*)", sentence[end:])
    if not m:
        return False
    word = m.group(1).lower()
    return word not in STOPWORDS and word not in _NOT_NOUNS and word.capitalize() not in _DAYS \
        and word.capitalize() not in _MONTHS


_NOT_NOUNS = {"at", "when", "as", "after", "before", "through", "until", "till", "and", "or", "to", "from", "in",
              "on", "is", "was", "will", "would", "the", "a", "an", "this", "that", "local", "eastern", "et", "est",
              "pt", "ct", "gmt", "utc", "last", "next", "morning", "afternoon", "evening", "night", "deadline"}


def written_years(pool) -> dict:
    """``(month, day) -> year`` for the days the pool's sentences write out with a year other than their
    article's ("the Capitol attack Jan. 6, 2021"), when at least three in four of those mentions agree on one."""
    from collections import Counter

    seen: dict = {}
    for s in pool:
        if s.doc.published is None:
            continue
        for m in _ABSOLUTE.finditer(s.plain):
            year = m.group("my") or m.group("dy")
            if year and int(year) != s.doc.published.year:
                key = (_MONTHS[m.group("mon") or m.group("dmon")], int(m.group("md") or m.group("dd")))
                seen.setdefault(key, Counter())[int(year)] += 1
    out = {}
    for key, counts in seen.items():
        year, n = counts.most_common(1)[0]
        if n >= 0.75 * sum(counts.values()):
            out[key] = year
    return out


def _guess_year(month: int, day: int, published: date) -> int:
    try:
        guess = date(published.year, month, day)
    except ValueError:
        return published.year
    return published.year - 1 if guess > published + timedelta(days=60) else published.year


_OPEN_WEEKENDS = {"over the weekend", "during the weekend", "at the weekend", "during weekend"}


def _holiday(sentence: str, pos: int) -> bool:
    before = re.findall(r"[\w']+", sentence[max(0, pos - 20) : pos])
    return bool(before) and before[-1].lower() in _HOLIDAY and before[-1][0].isupper()


def _weekday(m: re.Match, sentence: str, published: date) -> date:
    target = _DAYS.index(m.group("day"))
    mod = (m.group("mod") or "").lower()
    back = (published.weekday() - target) % 7  # days back to the most recent such day, 0 if publication day
    before = _ABBREVIATION_DOTS.sub(lambda d: d.group(0).replace(".", ""), sentence[: m.start()])
    cue = _FUTURE.search(before)
    deadline = _DEADLINE.search(before)  # "by close of business Wednesday", "come Sunday"
    if mod == "next" or (mod != "last" and (deadline or cue and not _PAST.search(before[cue.end() :]))):
        ahead = (target - published.weekday()) % 7  # "will speak Wednesday" on a Wednesday is that day
        if mod == "next" and ahead == 0:
            ahead = 7
        return published + timedelta(days=ahead)
    if mod == "last" and back == 0:
        back = 7
    return published - timedelta(days=back)


def _phrase(phrase: str, published: date) -> tuple[date, date]:
    one = timedelta(days=1)
    monday = published - timedelta(days=published.weekday())
    if phrase in ("yesterday", "last night", "overnight"):
        return published - one, published - one
    if phrase == "tomorrow":
        return published + one, published + one
    if phrase in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return published, published
    if phrase == "this week":
        return monday, monday + 6 * one
    if phrase == "earlier this week":
        return monday, published
    if phrase == "later this week":
        return published, monday + 6 * one
    if phrase in ("last week", "the previous week", "the past week"):
        return monday - 7 * one, monday - one
    if phrase == "next week":
        return monday + 7 * one, monday + 13 * one
    # weekends
    if phrase == "this weekend":
        return monday + 5 * one, monday + 6 * one
    if phrase == "next weekend":
        return monday + 12 * one, monday + 13 * one
    if published.weekday() >= 5 and not phrase.startswith(("last", "the previous", "the past")):
        return monday + 5 * one, monday + 6 * one  # "over the weekend", written on that weekend
    return monday - 2 * one, monday - one


def describe(ref: DateRef) -> str:
    """The resolved date for display: ``2025-11-25``, ``2025-11-22 – 23``, ``2025-11-17 – 2025-11-23``."""
    if ref.single:
        text = ref.first.isoformat()
    elif (ref.first.year, ref.first.month) == (ref.last.year, ref.last.month):
        text = f"{ref.first.isoformat()} – {ref.last.day:02d}"
    else:
        text = f"{ref.first.isoformat()} – {ref.last.isoformat()}"
    return ("~" if ref.approximate else "") + text
