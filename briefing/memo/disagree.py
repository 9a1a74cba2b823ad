"""Where the window's sources disagree: figures and dates that differ between articles, and claims that a
source reports as disputed.

Rules (``tests/test_memo.py`` checks them on small articles):

- Figures: the same measure of the same subject, given differently by two articles of one story
  (``stories``). A number is attached to the noun phrase after it ("600,000 troops", "34 primarily European
  countries", "$67 billion in military assistance") or to the word its hyphen joins ("33-member" counts the
  members of a coalition, "28-point" the points of a plan). Heads are compared by stem, with members, countries,
  nations, states, participants and allies as one class (the size of a group). Two figures conflict only when
  every one of these holds:

  - same measure and unit (same head; money only against money in the same currency);
  - same thing measured: a hyphen compound's noun ("plan", "coalition") must be the other side's too, or be
    named in the other sentence or just before it in its article; and the sentences share two other content
    words, or both name that compound's noun;
  - same scope: a place or name qualifying the count ("300 Michigan locations", "11,000 locations in North
    America") must be the same on both sides: a part is not the whole;
  - same aspect: the verb governing the number is of one kind on both sides. Gains ("added 16.6 million jobs"),
    losses ("wiped out 22 million jobs"), requirements ("needs 51 votes"), results ("received 77 million votes")
    and plans ("will cut", "plans to hire") only conflict with their own kind;
  - comparable size: values within a factor of two (reports of one quantity differ by a little; a factor of ten
    is a part against a whole, or another quantity).

  "About", "nearly", "more than"... make a value approximate: it does not conflict with one within 10%. Years,
  dates, times, durations, ages, article numbers and values of 1 or 2 are ignored.
- Dates (within one story): an event noun ("talks", "meeting", "summit", "vote"...) and a proper name near a date expression, in two
  articles, with dates (resolved by ``timeline.resolve``) that do not overlap.
- Claims (within one story): a sentence that disputes something ("disputing", "denied", "pushed back", "rejected the claims", "not
  true") set
  against the sentence of the window it shares the most words with (at least three), even in the same article:
  a report and its denial are what an analyst needs to see side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from briefing.text import STOPWORDS, THOUSANDS, stem, stems
from briefing.written_dates import resolve

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
    seconds time times percent per old article articles page pages section sections am pm""".split()}
_BEFORE_IGNORED = re.compile(r"(?:article|section|resolution|no\.|number|page|chapter|amendment|paragraph|level|"
                             r"phase|round|stage|class|category|grade|covid|g|f)\s*$", re.IGNORECASE)
_SKIP = {"more", "than", "primarily", "mainly", "mostly", "largely", "new", "additional", "other", "extra",
         "total", "some", "about", "of", "the"}
# Words that end a noun phrase after a number without being its head: "50 years later", "two days ago".
_AFTER_HEAD = {"later", "ago", "earlier", "before", "after", "old", "apart", "each", "apiece", "long", "away"}
_EVENT_NOUNS = {stem(w) for w in """meeting meetings talks summit call conference videoconference vote votes
    election elections strike strikes attack attacks visit visits deadline announcement ceasefire deal agreement
    hearing trial funeral launch release ruling negotiations session speech rally protest referendum""".split()}
_DISPUTE = re.compile(r"\b(?:disput(?:ed|ing)(?!\s+(?:\d|claims?|territor|region|area|border))|denied|denies|pushed back|push back|refuted|refutes|contradict\w*(?!\s+(?:him|her|them|me|us|you|himself|herself)\b)"
                      r"|not true|untrue|inaccurate|mischaracteri\w*"
                      r"|(?:rejected|dismissed) (?:the |these |those |such )?"
                      r"(?:claims?|reports?|allegations?|accusations?|characteri[sz]ations?|suggestions?))\b",
                      re.IGNORECASE)


# the vocabulary of disputing is not what a denial and the claim it answers share
_DISPUTE_WORDS = {stem(w) for w in "true untrue claim claims report reports allegation allegations accusation "
                  "deny denied denies dispute disputed disputing reject rejected".split()}


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
    entity: str = ""  # the noun a hyphen compound qualifies: "plan" of "28-point plan"
    aspect: str = "state"  # gain | loss | need | result | plan | state
    scope: frozenset = frozenset()  # places and names qualifying the count
    role: str = ""  # the participle after the head: "killed" of "67 people killed", "charged", "aboard"
    frame: frozenset = frozenset()  # content stems of the number's clause (what it is a number of)
    years: frozenset = frozenset()  # years the sentence names: "in 1982, 74 people were killed" is another time


def quantities(sentence) -> list[Quantity]:
    """The figures of a sentence (see the module docstring for what counts)."""
    text = sentence.plain
    dates = [(r.start, r.end) for r in resolve(text, sentence.doc.published)] if sentence.doc.published else []
    years = frozenset(re.findall(r"\b(?:19|20)\d\d\b", text))
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
        if _INCREMENT.search(text[max(0, m.start() - 40) : m.start()]) or \
                re.match(r"\s+(?:more|other|additional|extra|further)\b", text[m.end() :]):
            continue  # "in addition to them, four members", "12 more people": a part added to another count
        unit = (m.group("unit") or "").lower()
        noun, head = _head(text, m.end(), unit, money)
        if not head or head in _IGNORED_HEADS or head in STOPWORDS:
            continue
        if money:
            head = m.group("cur") + head
        shown = text[m.start("cur") if money else m.start("num") : m.end()]
        entity = _entity(text, m.end()) if unit else ""  # as written, lower case
        out.append(Quantity(value, shown, head, noun, bool(m.group("approx")), money, m.start(), m.end(), sentence,
                            entity, _aspect(text, m.start()), _scope(text, m.end(), noun), _role(text, m.end(), noun),
                            _frame(text, m.start(), m.end(), {head, entity, stem(noun.lower())}), years))
    return out


_ROLE = re.compile(r"\s+(?:(?:who|that)\s+)?(?:(?:were|was|are|is|have|has|had|been|being|still|reportedly)\s+)*"
                   r"(?P<role>[a-z]+ed|aboard|on board|killed|hurt|dead|missing|held|left|taken)\b")


def _role(text: str, pos: int, noun: str) -> str:
    """What the counted things did or had done to them, right after the head: "people killed", "people
    charged", "bodies were recovered", "people aboard"."""
    at = text.find(noun, pos) if noun else -1
    if at < 0:
        return ""
    m = _ROLE.match(text, at + len(noun))
    return stem(m.group("role").replace("on board", "aboard")) if m else ""


def _frame(text: str, start: int, end: int, besides: set) -> frozenset:
    """The content stems of the clause holding a number, up to eight words either side: what it counts."""
    lo = max((m.end() for m in _FRAME_CUT.finditer(text, 0, start)), default=0)
    hi = next((m.start() for m in _FRAME_CUT.finditer(text, end)), len(text))
    before = re.findall(r"\S+", text[lo:start])[-8:]
    after = re.findall(r"\S+", text[end:hi])[:8]
    return frozenset(k for k in stems(" ".join(before + after)) if k not in besides and not k.isdigit())


_FRAME_CUT = re.compile(r"[;:()]|,\s|\s[-–—]\s|\b(?:while|whereas|but)\b")


_INCREMENT = re.compile(r"\b(?:in addition to\b[^,]*,?|another|other|additional|further|extra|also)\s*$|"
                        r"\bin addition to\b", re.IGNORECASE)
_ASPECTS = {
    "gain": "added adds add gained gain gains created creates create raised raise raises increased increase grew "
            "grow rose rise hired hire boosted added",
    "loss": "lost lose loses cut cuts wiped wipe eliminated eliminate fell fall dropped drop shed sheds laid "
            "declined decline reduced reduce slashed slash killed kill",
    "need": "needs need needed requires require required takes",
    "result": "received receive receives won win wins got get gets earned earn secured garnered",
    "plan": "will would could may might proposed propose proposes",
}
_INTENT = re.compile(r"\b(?:plans?|planned|planning|aims?|aimed|expects?|expected|seeks?|wants?|hopes?|intends?|"
                     r"targets?|set|is to|are to|going) to\b", re.IGNORECASE)
_ASPECT_OF = {w: k for k, ws in _ASPECTS.items() for w in ws.split()}
_CLAUSE_END = re.compile(r"[,;:()\[\]\"“”]|\s[-–—]\s|\b(?:and|but|while|which|who|that)\b")


def _aspect(text: str, pos: int) -> str:
    """The kind of verb governing the number at ``pos``: the nearest known verb before it in its clause (a plan
    word anywhere there wins: "plans to cut 300 jobs" is a plan)."""
    before = text[max(0, pos - 80) : pos]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    words = re.findall(r"[a-z]+", before[cut:].lower())
    kinds = [_ASPECT_OF[w] for w in words if w in _ASPECT_OF]
    if "plan" in kinds or _INTENT.search(before[cut:]):
        return "plan"
    return kinds[-1] if kinds else "state"


def _entity(text: str, pos: int) -> str:
    """The noun a hyphen compound qualifies: "28-point plan" -> "plan" (past quotes and adjectives)."""
    for w in re.findall(r"[A-Za-z][\w'’-]*", text[pos : pos + 60])[:4]:
        low = w.lower()
        if low in STOPWORDS:
            return ""
        if not (low.endswith(("ed", "ly")) or low in _SKIP):
            return low
    return ""


_ADJECTIVE_ENDINGS = ("ean", "ian", "ish", "ese", "ican", "ern")


def _scope(text: str, pos: int, noun: str) -> frozenset:
    """Names qualifying a count: capitalised words between the number and its head ("300 Michigan locations")
    and an "in/at/across/of <Name>" right after it ("11,000 locations in North America")."""
    found = set()
    at = text.find(noun, pos) if noun else -1
    if at < 0:
        return frozenset()
    for w in re.findall(r"[A-Z][\w'’-]*", text[pos:at]):
        if not w.lower().endswith(_ADJECTIVE_ENDINGS):
            found.add(stem(w.lower()))
    after = re.match(r"\s+(?:in|at|across|of|from)\s+(?:the\s+)?((?:[A-Z][\w'’-]*\s?)+)", text[at + len(noun) :])
    if after:
        found.update(stem(w.lower()) for w in after.group(1).split())
    return frozenset(found)


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


def _related(a, b, besides=frozenset()) -> bool:
    """Whether two sentences speak of the same thing: they share at least two other content words."""
    ka, kb = _context(a), _context(b)
    return len((ka & kb) - set(besides)) >= 2


def figures(pool: Sequence, stories=None) -> list[Found]:
    """Figures given differently by different articles of one story (see the module docstring)."""
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
                if stories is not None and not stories.same_story(a.sentence.doc.id, b.sentence.doc.id):
                    continue
                if conflict(a, b):
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
        for q in sorted(involved, key=lambda q: (q.sentence.doc.published or date.min, q.sentence.doc.path, q.start)):
            key = (q.sentence.doc.id, q.value)
            if key in seen:
                continue
            seen.add(key)
            sides.append((q.shown + ("" if q.shown.endswith(q.noun) else f" {q.noun}"), q.sentence, (q.start, q.end)))
        if len({v for v, _, _ in sides}) > 1:
            out.append(Found(_subject(head, involved), "figure", tuple(sides)))
    return out


def conflict(a: Quantity, b: Quantity) -> bool:
    """Whether two figures of one head are the same measure of the same subject at odds (module docstring)."""
    if a.aspect != b.aspect or a.scope != b.scope or a.role != b.role or a.years != b.years:
        return False
    if max(a.value, b.value) > 2 * min(a.value, b.value):
        return False
    if a.entity or b.entity:  # "the 28-point plan": the compound names what is measured
        if a.entity and b.entity:
            return stem(a.entity) == stem(b.entity)
        named, other = (a, b) if a.entity else (b, a)
        return _names(other.sentence, stem(named.entity))
    # otherwise the clauses around the two numbers must say what is counted alike
    return len(a.frame & b.frame) >= 2 and _related(a.sentence, b.sentence, {a.head, b.head})


def _subject(head: str, qs: Sequence[Quantity]) -> str:
    """What the conflicting figures measure, for the memo: "Number of points in the plan"."""
    entity = next((q.entity for q in qs if q.entity), "")
    if head == "group":
        return "How many members or countries" + (f" the {entity} has" if entity else "")
    noun = max((q.noun for q in qs), key=len).lower()
    if head.startswith("money:"):
        return f"Amount of {noun}"
    if entity:
        return f"Number of {noun if noun.endswith('s') else noun + 's'} in the {entity}"
    return f"Number of {noun}"


def _names(sentence, key: str) -> bool:
    """Whether ``sentence``, or the two sentences before it in its article, or its title, uses the stem ``key``."""
    doc = sentence.doc
    before = doc.text[max(doc.body_start, sentence.start - 400) : sentence.start]
    return key in sentence.keys or key in stems(before) or key in stems(doc.title or "")


def _same(a: Quantity, b: Quantity) -> bool:
    if a.value == b.value:
        return True
    if a.approximate or b.approximate:
        return abs(a.value - b.value) <= 0.1 * max(a.value, b.value)
    return False


def dates(pool: Sequence, stories=None) -> list[Found]:
    """Event dates that differ between articles (see the module docstring). Conservative, because a resolved
    weekday can be wrong when an article's date is its crawl date: the two mentions name the same event noun and
    proper name within 40 characters of the date, share three more words, lie within two weeks of each other,
    and at least one of them writes the date out."""
    from briefing.written_dates import written_years

    mentions = []
    years = written_years(pool)
    for s in pool:
        if s.doc.published is None:
            continue
        text = s.plain
        for ref in resolve(text, s.doc.published, years):
            if not ref.single or ref.approximate or ref.named:
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
            if stories is not None and not stories.same_story(sa.doc.id, sb.doc.id):
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
    March April May June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct
    Nov Dec The This That""".split()}


def _when(ref) -> str:
    from briefing.written_dates import describe

    return describe(ref) + (f' ("{ref.phrase}")' if ref.relative else "")


def claims(pool: Sequence, stories=None) -> list[Found]:
    """Disputed claims: the disputing sentence and the claim it most likely answers."""
    from briefing.memo.actors import speaker

    out = []
    disputing = [s for s in pool if _DISPUTE.search(s.plain)]
    taken: set[int] = set()
    for d in disputing:
        what = _disputed(d)
        best, overlap = None, 0
        for s in pool:
            if s is d or _DISPUTE.search(s.plain):
                continue
            if s.doc.id == d.doc.id and s.start > d.start:
                continue  # a denial answers what was reported before it, not the reactions after it
            if s.doc.id != d.doc.id and stories is not None and not stories.same_story(s.doc.id, d.doc.id):
                continue
            shared = len((what & _context(s)) - _DISPUTE_WORDS)
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


_GENERIC_OBJECTS = {stem(w) for w in """characterization characterizations characterisation characterisations stance
    position account accounts idea notion suggestion suggestions something anything everything years decades
    repeatedly strongly publicly""".split()}


def _disputed(d) -> set[str]:
    """What a disputing sentence disputes: the words after "denied", "disputing"... ("denied abusing alcohol on
    the job"), or, when those are only "the characterizations" or "for years", the whole sentence (the quote it
    reports)."""
    m = _DISPUTE.search(d.plain)
    after = {k for k in stems(d.plain[m.end() :]) if not k.isdigit()} - _DISPUTE_WORDS - _GENERIC_OBJECTS
    return after if len(after) >= 2 else _context(d)


def find(pool: Sequence, salience=None, limit: int = 6, stories=None) -> list[Found]:
    """Figures, then dates, then disputed claims, each within one story when ``stories`` is given; at most
    ``limit`` in all."""
    return (figures(pool, stories) + dates(pool, stories) + claims(pool, stories))[:limit]
