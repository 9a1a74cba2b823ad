"""Where the window's sources disagree: figures and dates that differ between articles, and claims that a
source reports as disputed.

Rules (``tests/test_memo.py`` checks them on small articles):

- Figures: a number is attached to the noun phrase after it ("600,000 troops", "34 primarily European countries",
  "$67 billion in military assistance") or to the word its hyphen joins ("33-member" counts members). Heads are
  compared by stem, with members, countries, nations, states, participants and allies as one class (the size of a
  group). Two articles disagree when they give different values for the same head in sentences that share other
  words (so "seven people killed" in one story is not set against "12 people" in another). "About", "nearly",
  "more than"... make a value approximate: it does not conflict with one within 10%. Years, dates, times,
  durations, ages, article numbers and values of 1 or 2 are ignored.
- Dates: an event noun ("talks", "meeting", "summit", "vote"...) and a proper name near a date expression, in two
  articles, with dates (resolved by ``timeline.resolve``) that do not overlap.
- Claims: a sentence that disputes something ("disputing", "denied", "pushed back", "rejected the claims", "not
  true") set
  against the sentence of the window it shares the most words with (at least three), even in the same article:
  a report and its denial are what an analyst needs to see side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from briefing.text import STOPWORDS, THOUSANDS, stem, stems
from briefing.memo.timeline import resolve

_WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_QUANTITY = re.compile(
    r"(?<![\w.,$€£/-])(?P<approx>(?:about|around|nearly|almost|roughly|approximately|some|over|more than|less than"
    r"|fewer than|at least|up to|as many as|an estimated|estimated)\s+)?"
    r"(?P<cur>[$€£])?(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|"
    + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) +
    r")(?P<mult>\s*(?:million|billion|trillion|thousand|bn)\b)?(?:-(?P<unit>[a-z]+)\b)?"
    r"(?![\d:/%]|(?:st|nd|rd|th)\b)",  # ordinals ("the 39th president") rank, they do not count
    re.IGNORECASE)
_GROUP = {stem(w) for w in "member members country countries nation nations state states participant participants "
          "ally allies government governments".split()}
_IGNORED_HEADS = {stem(w) for w in """year years month months week weeks day days hour hours minute minutes second
    seconds time times percent per old point article articles page pages section sections am pm""".split()}
_BEFORE_IGNORED = re.compile(r"(?:article|section|resolution|no\.|number|page|chapter|amendment|paragraph|level|"
                             r"phase|round|stage|class|category|grade|covid|g|f)\s*$", re.IGNORECASE)
_SKIP = {"more", "than", "primarily", "mainly", "mostly", "largely", "new", "additional", "other", "extra",
         "total", "some", "about", "of", "the"}
# Words that end a noun phrase after a number without being its head: "50 years later", "two days ago".
_AFTER_HEAD = {"later", "ago", "earlier", "before", "after", "old", "apart", "each", "apiece", "long", "away"}
_EVENT_NOUNS = {stem(w) for w in """meeting meetings talks summit call conference videoconference vote votes
    election elections strike strikes attack attacks visit visits deadline announcement ceasefire deal agreement
    hearing trial funeral launch release ruling negotiations session speech rally protest referendum""".split()}
_DISPUTE = re.compile(r"\b(?:disput(?:ed|es|ing)|denied|denies|pushed back|push back|refuted|refutes|contradict\w*"
                      r"|not true|untrue|inaccurate|mischaracteri\w*"
                      r"|(?:rejected|dismissed) (?:the |these |those |such )?"
                      r"(?:claims?|reports?|allegations?|accusations?|characteri[sz]ations?|suggestions?))\b",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """A disagreement before citing: ``sides`` are ``(value as shown, sentence, (start, end) in its plain text)``."""

    subject: str
    kind: str
    sides: tuple
    note: str = ""


@dataclass(frozen=True)
class Quantity:
    """A number attached to a head noun in a sentence."""

    value: float
    shown: str
    head: str  # comparison key (a stem, or the group class)
    noun: str  # the head as written
    approximate: bool
    money: bool
    start: int
    end: int
    sentence: object


def quantities(sentence) -> list[Quantity]:
    """The figures of a sentence (see the module docstring for what counts)."""
    text = sentence.plain
    dates = [(r.start, r.end) for r in resolve(text, sentence.doc.published)] if sentence.doc.published else []
    out = []
    for m in _QUANTITY.finditer(text):
        raw = m.group("num")
        if any(a <= m.start("num") < b for a, b in dates) or _BEFORE_IGNORED.search(text[: m.start("num")]):
            continue
        word = raw.lower() in _WORD_NUMBERS
        value = float(_WORD_NUMBERS[raw.lower()]) if word else float(THOUSANDS.sub("", raw).replace(",", ""))
        mult = (m.group("mult") or "").strip().lower()
        value *= {"thousand": 1e3, "million": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}.get(mult, 1)
        money = bool(m.group("cur"))
        if not money and not mult and not word and 1900 <= value <= 2100 and "." not in raw and "," not in raw:
            continue  # a year
        if value <= 2 or re.match(r"\s*-?year-old|\s*(?:a\.m|p\.m)", text[m.end() :]):
            continue
        unit = (m.group("unit") or "").lower()
        noun, head = _head(text, m.end(), unit, money)
        if not head or head in _IGNORED_HEADS or head in STOPWORDS:
            continue
        shown = text[m.start("cur") if money else m.start("num") : m.end()]
        out.append(Quantity(value, shown, head, noun, bool(m.group("approx")), money, m.start(), m.end(), sentence))
    return out


def _head(text: str, pos: int, unit: str, money: bool) -> tuple[str, str]:
    """``(noun as written, key)`` of the noun a number counts: the first plain word after it, past adverbs,
    names and participles used as adjectives ("34 primarily European countries", "five living presidents"); for
    money, the noun of what it pays for ("$67 billion in military assistance")."""
    if unit:
        key = stem(unit)
        return unit, "group" if key in _GROUP else key
    words = re.findall(r"[A-Za-z][\w'’-]*|[^\sA-Za-z]", text[pos : pos + 80])
    if money and words and words[0].lower() in ("in", "of", "for", "worth"):
        words = words[1:]
    run: list[str] = []
    for i, w in enumerate(words):
        low = w.lower()
        following = words[i + 1] if i + 1 < len(words) else ""
        if not w[0].isalpha() or low in STOPWORDS or low in _AFTER_HEAD:
            break
        modifier = low in _SKIP or low.endswith("ly") or w[0].isupper() or \
            (low.endswith(("ing", "ed")) and following[:1].isalpha() and following[:1].islower())
        if modifier and not run:
            continue
        run.append(w)
        if not money or len(run) == 2:
            break
    if not run or any(stem(w.lower()) in _IGNORED_HEADS for w in run):
        return "", ""  # "50 years later", "three days of talks": a duration, not a count
    noun = run[-1]
    key = stem(noun.lower())
    return noun, "group" if key in _GROUP else key


def _context(sentence) -> set[str]:
    return {k for k in sentence.keys if not k.isdigit()}


def _related(a, b) -> bool:
    """Whether two sentences speak of the same thing: they share at least two other content words."""
    ka, kb = _context(a), _context(b)
    return len(ka & kb) >= 2


def figures(pool: Sequence) -> list[Found]:
    """Figures given differently by different articles."""
    by_head: dict[str, list[Quantity]] = {}
    for s in pool:
        for q in quantities(s):
            by_head.setdefault(("money:" if q.money else "") + q.head, []).append(q)
    out = []
    for head, qs in sorted(by_head.items()):
        edges = []
        for i, a in enumerate(qs):
            for b in qs[i + 1 :]:
                if a.sentence.doc.id == b.sentence.doc.id or _same(a, b):
                    continue
                if _related(a.sentence, b.sentence):
                    edges.append((a, b))
        if not edges:
            continue
        involved: list[Quantity] = []
        for a, b in edges:
            for q in (a, b):
                if q not in involved:
                    involved.append(q)
        # one side per article and value
        sides, seen = [], set()
        for q in sorted(involved, key=lambda q: (q.sentence.doc.published, q.sentence.doc.path, q.start)):
            key = (q.sentence.doc.id, q.value)
            if key in seen:
                continue
            seen.add(key)
            sides.append((q.shown + ("" if q.shown.endswith(q.noun) else f" {q.noun}"), q.sentence, (q.start, q.end)))
        out.append(Found(_subject(head, involved), "figure", tuple(sides)))
    return out


def _same(a: Quantity, b: Quantity) -> bool:
    if a.value == b.value:
        return True
    if a.approximate or b.approximate:
        return abs(a.value - b.value) <= 0.1 * max(a.value, b.value)
    return False


def _subject(head: str, qs: Sequence[Quantity]) -> str:
    if head == "group":
        return "How many members or countries"
    noun = max((q.noun for q in qs), key=len).lower()
    return f"Amount of {noun}" if head.startswith("money:") else f"Number of {noun}"


def dates(pool: Sequence) -> list[Found]:
    """Event dates that differ between articles (see the module docstring). Conservative, because a resolved
    weekday can be wrong when an article's date is its crawl date: the two mentions name the same event noun and
    proper name within 40 characters of the date, share three more words, lie within two weeks of each other,
    and at least one of them writes the date out."""
    mentions = []
    for s in pool:
        if s.doc.published is None:
            continue
        text = s.plain
        for ref in resolve(text, s.doc.published):
            if not ref.single or ref.approximate:
                continue
            near = text[max(0, ref.start - 40) : ref.end + 40]
            nouns = {k for k in stems(near) if k in _EVENT_NOUNS}
            names = {stem(w.lower()) for w in re.findall(r"(?<=[\w,] )[A-Z][a-z]{2,}", near)} - _CALENDAR
            if nouns and names:
                mentions.append((s, ref, nouns, names))
    groups: dict[tuple[str, str], dict] = {}
    for i, (sa, ra, na, ma) in enumerate(mentions):
        for sb, rb, nb, mb in mentions[i + 1 :]:
            if sa.doc.id == sb.doc.id or ra.first == rb.first or abs((ra.first - rb.first).days) > 14:
                continue
            if (ra.relative and rb.relative) or not (na & nb) or not (ma & mb):
                continue
            if len(_context(sa) & _context(sb)) < 3 + len((na & nb) | (ma & mb)):
                continue
            key = (sorted(na & nb)[0], sorted(ma & mb)[0])
            sides = groups.setdefault(key, {})
            for s, ref in ((sa, ra), (sb, rb)):
                sides.setdefault((s.doc.id, ref.first), (_when(ref), s, (ref.start, ref.end)))
    out = []
    for (what, where), sides in groups.items():
        ordered = sorted(sides.items(), key=lambda kv: (kv[0][1], kv[1][1].doc.path))
        out.append(Found(f"When the {where.capitalize()} {what} took place", "date", tuple(v for _, v in ordered)))
    return out


_CALENDAR = {stem(w.lower()) for w in """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
    March April May June July August September October November December The This That""".split()}


def _when(ref) -> str:
    from briefing.memo.timeline import describe

    return describe(ref) + (f' ("{ref.phrase}")' if ref.relative else "")


def claims(pool: Sequence) -> list[Found]:
    """Disputed claims: the disputing sentence and the claim it most likely answers."""
    from briefing.memo.actors import speaker

    out = []
    disputing = [s for s in pool if _DISPUTE.search(s.plain)]
    taken: set[int] = set()
    for d in disputing:
        best, overlap = None, 0
        for s in pool:
            if s is d or _DISPUTE.search(s.plain):
                continue
            if s.doc.id == d.doc.id and s.start > d.start:
                continue  # a denial answers what was reported before it, not the reactions after it
            shared = len(_context(d) & _context(s))
            if shared > overlap:
                best, overlap = s, shared
        if best is None or overlap < 3 or id(best) in taken:
            continue
        taken.add(id(best))
        m = _DISPUTE.search(d.plain)
        who = speaker(d.plain)
        out.append(Found(f"Disputed by {who}" if who else "A disputed claim", "claim",
                         (("reported", best, (0, len(best.plain))), ("disputed", d, (m.start(), m.end())))))
    return out


def find(pool: Sequence, salience=None, limit: int = 6) -> list[Found]:
    """Figures, then dates, then disputed claims; at most ``limit`` in all."""
    return (figures(pool) + dates(pool) + claims(pool))[:limit]
