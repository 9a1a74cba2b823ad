"""The weekly memo: choose the window, build its sections from the window's articles, and cite and verify every line.

``choose_window`` -> ``build_memo``: the sentences of the dated articles inside the window are grouped into themes
and picked for the summary, the actors' positions and what to watch; ``timeline`` dates events and ``disagree``
finds conflicting figures, dates and claims. Each piece of text is checked by ``cite.check`` against its own
passages, then renumbered into one memo-wide sources list by ``Register``. Rendering: ``briefing.cli_memo``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Sequence

from .cite import check
from .errors import BriefingError, UsageError
from .text import STOPWORDS, make_span, sentences, stem, stems
from .types import Chunk, Citation, Document, Hit

EXTRACTIVE_NOTE = "Extractive memo: every line is a sentence quoted from the sources, chosen by rules; no LLM was used."
WINDOW_DAYS = 7
MAX_THEMES = 5
MAX_CLUSTERED = 400
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


# ---- the memo ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The inclusive publication-date window and how it was chosen (shown in the memo's header)."""

    since: date
    until: date
    how: str


@dataclass(frozen=True)
class Section:
    """A prose section: ``body`` is Markdown (``### label`` sub-headings, ``- `` bullets) with ``[n]`` markers."""

    key: str  # summary | developments | actors | watch
    heading: str
    body: str


@dataclass(frozen=True)
class Event:
    """A timeline entry: the day(s) it happened, what happened (cited) and the date expression it was read from."""

    first: date
    last: date
    text: str
    citations: tuple[int, ...]
    phrase: str
    published: date
    approximate: bool = False
    relative: bool = False


@dataclass(frozen=True)
class Side:
    """One side of a disagreement: the value an article gives and its cited sentence."""

    value: str
    text: str
    citations: tuple[int, ...]
    path: str


@dataclass(frozen=True)
class Disagreement:
    """Conflicting figures, dates or claims (``kind``) about one ``subject``, each side cited."""

    subject: str
    kind: str  # figure | date | claim
    sides: tuple[Side, ...]
    note: str = ""


@dataclass(frozen=True)
class Memo:
    """Everything a template renders. Every ``[n]`` in any text resolves to ``citations[n-1]``."""

    title: str
    window: Window
    sections: tuple[Section, ...]
    timeline: tuple[Event, ...]
    disagreements: tuple[Disagreement, ...]
    citations: tuple[Citation, ...]
    documents: tuple[Document, ...]
    undated: tuple[Document, ...]
    warnings: tuple[str, ...]
    llm: str
    topics: tuple[str, ...] = ()
    usage: dict = field(default_factory=dict)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


# ---- the window --------------------------------------------------------------------------------------------------
def parse_week(text: str) -> tuple[date, date]:
    """``2025-W48`` -> Monday and Sunday of that ISO week. ``UsageError`` for anything else."""
    m = _WEEK.fullmatch(text.strip())
    if not m:
        raise UsageError(f"--week {text!r} is not an ISO week like 2025-W48")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise UsageError(f"--week {text!r}: {m.group(1)} has no week {int(m.group(2))}; try e.g. {m.group(1)}-W01") \
            from None
    return monday, monday + timedelta(days=6)


def dated_range(store) -> tuple[date | None, date | None, int, int]:
    """``(oldest, newest, dated, undated)`` publication dates and counts of the index's documents."""
    oldest, newest, dated = store.con.execute(
        "SELECT min(published), max(published), count(published) FROM documents").fetchone()
    undated = store.con.execute("SELECT count(*) FROM documents WHERE published IS NULL").fetchone()[0]
    return (date.fromisoformat(oldest) if oldest else None, date.fromisoformat(newest) if newest else None,
            dated, undated)


def choose_window(store, week: str | None = None, since: date | None = None, until: date | None = None) -> Window:
    """The memo's window. ``--week`` is that ISO week; ``--since``/``--until`` are inclusive (one alone means the
    seven days starting or ending there); nothing means the seven days ending at the newest dated article.

    Raises ``UsageError`` (exit 2) for conflicting options and ``BriefingError`` (exit 1) when no dated article
    falls inside, naming the oldest and newest publication dates there are.
    """
    oldest, newest, dated, undated = dated_range(store)
    if week and (since or until):
        raise UsageError("give either --week or --since/--until, not both")
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    if week:
        lo, hi = parse_week(week)
        window = Window(lo, hi, f"ISO week {week.strip().upper()}, Monday to Sunday")
    elif since and until:
        window = Window(since, until, "as given")
    elif since:
        window = Window(since, since + timedelta(days=WINDOW_DAYS - 1), "the seven days from --since")
    elif until:
        window = Window(until - timedelta(days=WINDOW_DAYS - 1), until, "the seven days to --until")
    else:
        if newest is None:
            raise BriefingError(_no_dates(undated))
        window = Window(newest - timedelta(days=WINDOW_DAYS - 1), newest,
                        f"the seven days ending at the newest dated article ({newest})")
    inside = store.con.execute("SELECT count(*) FROM documents WHERE published BETWEEN ? AND ?",
                               (window.since.isoformat(), window.until.isoformat())).fetchone()[0]
    if not inside:
        if newest is None:
            raise BriefingError(_no_dates(undated))
        raise BriefingError(
            f"no dated article was published from {window.since} to {window.until}; the {dated} dated article"
            f"{'s run' if dated > 1 else ' is'} from {oldest} (oldest) to {newest} (newest): choose a window there "
            f"with --since/--until or --week {newest.isocalendar()[0]}-W{newest.isocalendar()[1]:02d}")
    return window


def _no_dates(undated: int) -> str:
    return (f"none of the {undated} indexed articles has a publication date, so no window can hold one; add a "
            "'Published: November 26, 2025' line near the top (or 'date:' front matter in Markdown) and re-index")


def dating_hint(doc: Document) -> str:
    """How to give an undated article a date, for its kind of file."""
    if doc.kind in ("jsonl", "json"):
        return "add a \"published\" (or \"date\") field to its record, then re-index"
    if doc.kind == "md":
        return "add 'date: 2025-11-26' front matter or a 'Published: November 26, 2025' line, then re-index"
    if doc.kind == "html":
        return "add a 'Published: November 26, 2025' line (or an article:published_time meta tag), then re-index"
    return "add a 'Published: November 26, 2025' line near the top, then re-index"


# ---- sentences -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sentence:
    """A readable sentence ``doc.text[start:end]`` of an article in the window, with the chunk that holds it."""

    doc: Document
    start: int
    end: int
    ordinal: int  # position among the article's sentences: news puts the essentials first
    chunk: Chunk | None
    keys: frozenset[str]  # its stems

    @property
    def text(self) -> str:
        return self.doc.text[self.start : self.end]

    @property
    def plain(self) -> str:
        """One line; list markers and a list item's "Label: " dropped; bracketed numbers made harmless (they
        would read as citations). Always a verbatim piece of the sentence, apart from whitespace and brackets."""
        flat = _DATELINE_PREFIX.sub("", " ".join(self.text.split()))
        if _LEAD.match(flat):
            flat = _ITEM_LABEL.sub("", _LEAD.sub("", flat))
        return _BRACKETED.sub(r"(\1)", flat)

    def hit(self) -> Hit:
        """The sentence as a passage of its own, so its citation quotes exactly this sentence."""
        span = make_span(self.doc, self.start, self.end)
        ord_ = self.chunk.ord if self.chunk else 0
        return Hit(Chunk(self.doc.id, ord_, self.text, span), self.doc, 1.0)


_DATELINE = re.compile(r"\W*(?:published|posted|updated|date[d]?)\b", re.IGNORECASE)
# "WASHINGTON - ", "KYIV (Reuters) — " before the first word of a story
_DATELINE_PREFIX = re.compile(r"^[A-Z][A-Z .,'’]{2,40}(?:\([A-Za-z.]+\))?\s*[-–—―]\s+(?=[A-Z\"“])")
_ITEM_LABEL = re.compile(r"^[A-Z][\w/-]*(?:\s+[\w/-]+){0,3}:\s+(?=[A-Z])")
_LEAD = re.compile(r"^(?:[-–—*•]|\d{1,2}[.)])\s+")
_BRACKETED = re.compile(r"\[(\s*\d[\d\s,\-–]*\??\s*)\]")


def readable(text: str) -> bool:
    """Whether a sentence can stand alone in a memo: 6 to 70 words, a finished statement, not a question or a
    heading, mostly lower-case prose."""
    flat = text.strip()
    n = len(flat.split())
    if n < 6 or n > 70 or not re.search(r"[.!][\"”’')]*$", flat):
        return False  # questions, headlines and captions ('London warns of "unresolved issues"')
    if not (flat[0].isupper() or flat[0] in "\"“‘'(-–—•*" or flat[0].isdigit()):
        return False  # a fragment left by a bad split
    letters = [c for c in flat if c.isalpha()]
    return sum(c.islower() for c in letters) > 0.6 * len(letters) and "http" not in flat


def sentence_pool(docs: Sequence[Document], chunks: Sequence[Chunk]) -> list[Sentence]:
    """The readable sentences of ``docs`` in document order; a sentence repeated verbatim is kept once."""
    by_doc: dict[str, list[Chunk]] = {}
    for c in sorted(chunks, key=lambda c: (c.doc_id, c.span.char_start)):
        by_doc.setdefault(c.doc_id, []).append(c)
    seen: set[str] = set()
    out: list[Sentence] = []
    for doc in docs:
        mine = by_doc.get(doc.id, [])
        for i, (a, b) in enumerate(_split_glued(doc.text, sentences(doc.text, doc.body_start))):
            text = doc.text[a:b]
            flat = " ".join(text.split()).lower()
            if not readable(text) or flat in seen or _DATELINE.match(text):
                continue
            seen.add(flat)
            holder = next((c for c in mine if c.span.char_start <= a and b <= c.span.char_end), None)
            out.append(Sentence(doc, a, b, i, holder, frozenset(stems(text))))
    return out


# Scraped pages glue sentences together ('might entail."Secretary Rubio', '(R-Neb.).Since Russia'), which
# ``text.sentences`` leaves joined; a memo line must be one sentence, so such spans are cut there too. A straight
# quote between the two belongs to the second sentence when the first has no quotation left open.
_GLUED = re.compile(r"(?:(?<=[a-z]{2}[.!?])|(?<=[.a-z][)\]][.!?]))(?P<q>[\"”’]?)(?=[\"“]?[A-Z][a-z])")


def _split_glued(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in spans:
        cut = a
        for m in _GLUED.finditer(text, a, b):
            at = m.end()
            if m.group("q") == '"' and text.count('"', cut, m.start("q")) % 2 == 0:
                at = m.start("q")  # an opening quote of the next sentence, not a closing one
            if at > cut:
                out.append((cut, at))
                cut = at
        if b > cut:
            out.append((cut, b))
    return out


def similar(a: Sentence, b: Sentence) -> bool:
    """Near-duplicates: most content words shared (syndicated copies, a summary repeating the lede)."""
    if not a.keys or not b.keys:
        return False
    return len(a.keys & b.keys) / min(len(a.keys), len(b.keys)) > 0.6


_ADVICE = set("""use utilize plot subscribe track verify avoid consider check follow read monitor stay keep remember
    note see click visit contact reference engage prioritize navigate learn join share sign try make take look watch
    ask""".split())


class Salience:
    """How central a sentence is to the window: its words recur across articles; early sentences and concrete ones
    (names, numbers) count a little more; advice to the reader and rhetorical filler count less."""

    def __init__(self, pool: Sequence[Sentence]):
        docs: dict[str, set[str]] = {}
        count: Counter[str] = Counter()
        within: Counter[tuple[str, str]] = Counter()
        for s in pool:
            count.update(s.keys)
            for k in s.keys:
                docs.setdefault(k, set()).add(s.doc.id)
                within[(k, s.doc.id)] += 1
        repeat: dict[str, int] = {}
        for (k, _), c in within.items():
            repeat[k] = max(repeat.get(k, 0), c)
        n = max(len(pool), 1)
        # recurring across articles is what makes a word central, and so, less, does recurring within one article
        # ("working group" three times in the one report of it); being in every sentence makes a word generic
        self.weight = {k: (len(d) - 0.5 + 0.3 * min(2, repeat[k] - 1)) * max(0.1, 1 - count[k] / n)
                       for k, d in docs.items()}
        self._cache: dict[tuple[str, int], float] = {}
        self._pool = pool
        self._max: float | None = None

    def __call__(self, s: Sentence) -> float:
        key = (s.doc.id, s.start)
        if key not in self._cache:
            base = sum(self.weight.get(k, 0.0) for k in s.keys) / (math.sqrt(len(s.keys)) + 2)
            flat = s.plain
            bonus = 0.3 if s.ordinal < 4 else 0.0
            bonus += 0.1 * min(3, len(re.findall(r"(?<=\w )[A-Z][a-z]+|\d", flat)) // 2)
            if re.search(r"\b(?:you|your|we|our|us)\b", flat, re.IGNORECASE) and not re.search(r"[\"“”]", flat):
                bonus -= 0.6  # addressed to the reader: advice, not news
            if flat.split()[0].lower().strip("\"“") in _ADVICE:
                bonus -= 0.6  # "Utilize timelines: ...", "Subscribe to ...": instructions to the reader
            if len(flat.split()) > 45:
                bonus -= 0.2
            self._cache[key] = base * (1 + bonus)
        return self._cache[key]

    def norm(self, s: Sentence) -> float:
        """Salience scaled to 0..1 within the window, for mixing with other scores."""
        if self._max is None:
            self._max = max((self(x) for x in self._pool), default=1.0) or 1.0
        return self(s) / self._max


# ---- themes --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Theme:
    """A group of sentences under a short label: a topic the user gave, or a phrase the articles share."""

    label: str
    members: tuple[Sentence, ...]  # best first
    query: str = ""


_TOKEN = re.compile(r"[A-Za-z][\w'’-]*")
_INNER = {"of", "the", "and", "for", "de", "von", "der"}
_NOT_THEMES = {stem(w) for w in """year years week weeks month months day days time times people way percent
    also like including last first next publication writes wrote reported report reports news article statement
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december today yesterday mr ms mrs part number thing things lot many much well
    even still yet however although though since while via per apart place instead""".split()}


def derive_themes(pool: Sequence[Sentence], salience: Salience, vectors, limit: int = MAX_THEMES) -> list[Theme]:
    """Themes of the window: its sentences clustered by meaning, each cluster labelled with a phrase it uses.

    ``vectors`` are the sentences' embeddings (rows in ``pool`` order, unit length). Clusters come from
    average-link agglomeration that stops when the closest two clusters are less similar than the window's mean
    similarity plus 1.5 standard deviations (kept within 0.25..0.6): the bar adapts to one story told by three
    articles as well as to a week of unrelated stories. Clusters rank by how many articles they draw on and their
    sentences' salience; a theme needs two sentences (three if from one article when the window has several).
    The label is the cluster's most distinctive phrase (``_label``).
    """
    import numpy as np

    if len(pool) < 2:
        return []
    groups = _agglomerate(np.asarray(vectors, dtype="float32"))
    n_docs = len({s.doc.id for s in pool})
    scored = []
    for members in groups:
        docs = {pool[i].doc.id for i in members}
        if len(members) < (3 if len(pool) > 60 else 2) or (len(docs) < 2 and n_docs > 1 and len(members) < 3):
            continue
        sub = vectors[members] @ vectors[members].T
        cohesion = (sub.sum() - len(members)) / (len(members) * (len(members) - 1))
        # a tight cluster is one development; a loose one is a grab-bag of background sentences
        weight = math.sqrt(len(docs)) * sum(salience.norm(pool[i]) for i in members) * max(cohesion, 0.05)
        scored.append((weight, members))
    scored.sort(key=lambda x: -x[0])
    phrases = _phrases(pool)
    themes: list[Theme] = []
    used: set[str] = set()
    for _, members in scored[:limit]:
        centre = vectors[members].mean(axis=0)
        ordered = sorted(members, key=lambda i: -(salience(pool[i]) * (0.5 + float(vectors[i] @ centre))))
        label = _label(members, pool, phrases, used)
        themes.append(Theme(label, tuple(pool[i] for i in ordered), label))
    return themes


def _agglomerate(vectors, spread: float = 1.5) -> list[list[int]]:
    """Average-link clusters of unit vectors (see ``derive_themes`` for where it stops)."""
    import numpy as np

    n = len(vectors)
    sim = vectors @ vectors.T
    off = sim[~np.eye(n, dtype=bool)]
    bar = float(np.clip(off.mean() + spread * off.std(), 0.25, 0.6)) if n > 1 else 1.0
    np.fill_diagonal(sim, -np.inf)
    members = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    while alive.sum() > 1:
        flat = int(np.argmax(sim))
        i, j = divmod(flat, n)
        if sim[i, j] < bar:
            break
        a, b = len(members[i]), len(members[j])
        merged = (sim[i] * a + sim[j] * b) / (a + b)  # Lance-Williams update for average linkage
        sim[i, :] = merged
        sim[:, i] = merged
        sim[i, i] = -np.inf
        sim[j, :] = -np.inf
        sim[:, j] = -np.inf
        alive[j] = False
        members[i] += members[j]
        members[j] = []
    return [sorted(m) for m in members if m]


def headline_phrase(pool: Sequence[Sentence]) -> str:
    """What the window is about in a few words: the phrase most of its articles share ("security guarantees"),
    preferring topic-shaped phrases to names; "the week's articles" when none is shared."""
    phrases = _phrases(pool)
    best, best_score = None, 0.0
    for key, e in phrases.items():
        docs = len({pool[i].doc.id for i in e["sents"]})
        form = e["forms"].most_common(1)[0][0]
        score = docs ** 1.5 * math.log2(1 + len(e["sents"])) * _shape(form) ** 2  # names make poor titles
        if len(e["sents"]) >= 2 and (score > best_score or (score == best_score and best and key < best)):
            best, best_score = key, score
    if best is None:
        return "the week's articles"
    form = phrases[best]["forms"].most_common(1)[0][0]
    return form[:1].upper() + form[1:]


def _phrases(pool: Sequence[Sentence]) -> dict[tuple[str, ...], dict]:
    """Runs of one to four words starting and ending with a content word ("peace deal", "coalition of the
    willing"), with the sentences that use them and their written forms."""
    found: dict[tuple[str, ...], dict] = {}
    for i, s in enumerate(pool):
        toks = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(s.plain)]
        for a in range(len(toks)):
            for n in range(1, 5):
                run = toks[a : a + n]
                if len(run) < n or not _phrase_ok(s.plain, run):
                    continue
                key = tuple(stem(w.lower()) for w, _, _ in run)
                entry = found.setdefault(key, {"sents": set(), "forms": Counter()})
                entry["sents"].add(i)
                entry["forms"][" ".join(w for w, _, _ in run)] += 1
    return found


def _label(members: Sequence[int], pool: Sequence[Sentence], phrases: dict, used: set[str]) -> str:
    """The phrases most particular to a cluster (c-TF-IDF): used by several of its sentences, by as many of its
    articles as possible, and by few sentences outside it; shaped like a topic (``_shape``); sharing no word with
    an earlier label."""
    inside = set(members)
    docs = len({pool[i].doc.id for i in members})
    scored = []
    for key, e in phrases.items():
        mine = e["sents"] & inside
        if len(mine) < 2 or used & set(key):
            continue
        spread = len({pool[i].doc.id for i in mine}) / docs
        form = e["forms"].most_common(1)[0][0]
        share = len(e["sents"]) / len(pool)
        generic = 1.0 if share <= 0.2 else ((1 - share) / 0.8) ** 4  # "Ukraine" in a memo about Ukraine
        score = len(mine) ** 1.2 * math.log(1 + 1 / share) * _shape(form) * spread ** 2 * generic
        scored.append((-score, key))
    scored.sort()
    if not scored:
        return "Other developments"
    best = scored[0][1]
    used.update(k for k in best if k not in _INNER)
    form = phrases[best]["forms"].most_common(1)[0][0]
    return form[:1].upper() + form[1:]


def _shape(form: str) -> float:
    """How much a phrase looks like a topic label: several words ("peace deal", "working group") beat one word;
    names ("Marco Rubio", "Secretary of State"), nationalities ("European counterparts") and verb forms
    ("emphasizing", "led via France") are what people and places are called, not what happened."""
    words = form.split()
    first = words[0]
    if first.lower().endswith(("ing", "ed", "ly")) or (first[:1].isupper() and first.endswith(_NATIONALITY)):
        return 0.2
    capital = [w[:1].isupper() or w.lower() in _ROLE for w in words if w.lower() not in _INNER]
    if len(words) == 1:
        return 0.5 if capital[0] else 0.6
    if all(capital):
        return 0.4  # a name or a title: "Marco Rubio", "former President"
    return 1.7 if len(words) == 2 else 1.8


_NATIONALITY = ("an", "ans", "ish", "ese", "ch", "i")


def _phrase_ok(text: str, run) -> bool:
    words = [w for w, _, _ in run]
    first, last = words[0].lower(), words[-1].lower()
    for w in (first, last):
        if w in STOPWORDS or w in _INNER or len(w) < 3 or stem(w) in _NOT_THEMES:
            return False
    if any(w.lower() in STOPWORDS and w.lower() not in _INNER for w in words[1:-1]):
        return False
    # the words must be adjacent: only spaces (or a hyphen) between them, no comma or full stop
    return all(re.fullmatch(r"\s+", text[run[j][2] : run[j + 1][1]]) for j in range(len(run) - 1))


def topic_themes(session, topics: Sequence[str], pool: Sequence[Sentence], salience: Salience, window: Window,
                 per_topic: int = 12) -> list[Theme]:
    """One theme per ``--topic``: the window's passages retrieved for it (hybrid search), their sentences ranked by
    overlap with the topic and salience."""
    from .retrieve import SearchSettings

    themes = []
    for topic in topics:
        hits = session.search(topic, SearchSettings(k=per_topic, per_doc=4), since=window.since,
                              until=window.until)
        spans = {(h.doc.id, h.chunk.span.char_start, h.chunk.span.char_end) for h in hits}
        want = set(stems(topic))
        members = [s for s in pool if any(d == s.doc.id and a <= s.start and s.end <= b for d, a, b in spans)]
        members.sort(key=lambda s: -(salience(s) * (1 + len(want & s.keys) / max(len(want), 1))))
        themes.append(Theme(" ".join(topic.split()), tuple(members), topic))
    return themes


# ---- picking sentences ---------------------------------------------------------------------------------------------
def pick(candidates: Sequence[Sentence], n: int, used: list[Sentence], per_doc: int = 2) -> list[Sentence]:
    """Up to ``n`` of ``candidates`` (best first) that repeat nothing in ``used``, at most ``per_doc`` per article;
    the picks are appended to ``used``."""
    out: list[Sentence] = []
    for s in candidates:
        if len(out) >= n:
            break
        if sum(1 for o in out if o.doc.id == s.doc.id) >= per_doc:
            continue
        if any(s is u or similar(s, u) for u in used):
            continue
        out.append(s)
        used.append(s)
    return out


# Present-tense "states", "promises", "claims" are left out: in news they are mostly nouns.
_SPEECH = (r"said|says|told|tells|stated|announced|announces|argued|argues|warned|warns|promised|"
           r"added|adds|emphasi[sz]ed|stressed|noted|urged|insisted|claimed|confirmed|denied|acknowledged|"
           r"explained|wrote|revealed|declared|cautioned|vowed|asserted|admitted|reiterated|informed|"
           r"predicted|countered|replied|conceded")
_SPEECH_RE = re.compile(rf"\b(?:{_SPEECH})\b")
_NAME_WORD = r"(?:[A-Z][\w'’-]*\.?|[A-Z]\.|von|van|der|de|da|di|del|bin|al|la|le|of)"
_NAME = rf"(?:{_NAME_WORD}\s+){{0,6}}[A-Z][\w'’-]+"
# A lower-case role between an organisation and a name: "State Department spokesperson Tommy Pigott".
_ROLE_WORDS = (r"spokesperson|spokesman|spokeswoman|official|minister|secretary|adviser|advisor|aide|envoy|"
               r"ambassador|analyst|director|chief|head|leader|lawmaker|senator|researcher|professor|economist")
_BEFORE = re.compile(rf"(?:^|(?P<prev>[\w'’]+)\W+)(?P<name>(?:(?:[A-Z][\w.'’-]*\s+){{0,3}}(?:{_ROLE_WORDS})\s+)?"
                     rf"{_NAME})\s*(?:,[^,]{{2,80}},\s*)?"
                     r"(?:(?:has|have|had|also|again|later|repeatedly|reportedly|previously|publicly|then)\s+)*$")
# "Ed Arnold of the Royal United Services think tank in London warned"
_AFFILIATED = re.compile(rf"(?P<name>[A-Z][\w'’-]+(?:\s+{_NAME_WORD}){{1,3}})\s+(?:of|from|at)\s+(?:the\s+)?"
                         r"[A-Z][^,;:\"“”]{0,70}$")
# '..., said Rep. Don Bacon (R-Neb.).' and 'according to European Commission President Ursula von der Leyen'
_AFTER = re.compile(rf"^\s*(?P<name>{_NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording to (?P<name>{_NAME})")
_PREPOSITIONS = {"in", "of", "from", "at", "to", "with", "by", "for", "on", "about", "against", "between", "into",
                 "like", "than", "over", "under", "across", "after", "before", "during", "through", "toward",
                 "towards", "via", "and", "or", "including"}
_ROLE = {"president", "president-elect", "former", "first", "lady", "minister", "secretary", "spokesperson",
         "spokesman", "spokeswoman", "chancellor", "prime",
         "foreign", "defence", "defense", "rep.", "sen.", "gov.", "senator", "representative", "governor", "general",
         "commissioner", "ambassador", "envoy", "adviser", "advisor", "chief", "director", "leader", "mayor",
         "chair", "chairman", "chairwoman", "ceo", "head", "deputy", "vice", "state", "department", "house"}
_NOT_NAMES = {"The", "A", "An", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "You", "His",
              "Her", "Their", "Our", "But", "And", "However", "While", "When", "After", "Before", "In", "On", "At",
              "For", "As", "If", "Some", "One", "Two", "Many", "Several", "Other", "Others", "Officials", "Analysts",
              "Critics", "Experts", "Sources", "Diplomats", "Reuters", "Politico", "AP", "AFP", "Bloomberg", "CNN",
              "BBC", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Both", "Each",
              "All", "No", "Yet", "So", "Also", "Then", "There", "Here", "What", "Who", "Which", "Where", "Why"}


@dataclass(frozen=True)
class Statement:
    """A sentence in which a named person states a position: ``speaker`` as written and a ``key`` to group by."""

    speaker: str
    key: str
    sentence: Sentence


def speaker(text: str) -> str | None:
    """The named speaker of a sentence with a speech verb ("Macron promised", "said Rep. Don Bacon",
    "State Department spokesperson Tommy Pigott said", "according to Ursula von der Leyen"), or None: no verb
    outside quotation marks, or only a pronoun, an unnamed official ("one European diplomat said") or a place
    that is the object of a preposition ("a think tank in London warned")."""
    quoted = _quoted_spans(text)
    for m in _SPEECH_RE.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue  # a speech verb inside a quotation belongs to the quote, not the attribution
        before, after = text[: m.start()], text[m.end() :]
        found = _BEFORE.search(before)
        if found and (found.group("prev") or "").lower() not in _PREPOSITIONS:
            if name := _clean_name(found.group("name")):
                return name
        found = _AFFILIATED.search(before)
        if found and (name := _clean_name(found.group("name"))):
            return name
        if m.group(0) in ("said", "says", "added", "wrote") and re.search(r"[,\"”’]\s*$", before):
            found = _AFTER.match(after)
            if found and (name := _clean_name(found.group("name"))):
                return name
    m = _ACCORDING.search(text)
    if m and (name := _clean_name(m.group("name"))):
        return name
    return None


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[\"“][^\"“”]{3,}[\"”]", text)]


def _clean_name(raw: str) -> str | None:
    """The speaker's name and role as written, or None when it is not a person's or an institution's name."""
    words = raw.split()
    while words and (words[0] in _NOT_NAMES or words[0].lower() in ("one", "a", "an", "the", "of")):
        words = words[1:]
    if not words:
        return None
    last = words[-1].rstrip(".")
    if last in _NOT_NAMES or last.lower() in _ROLE or not last[:1].isupper() or len(last) < 2 or last.isupper():
        return None
    return " ".join(words)


def statements(pool: Sequence[Sentence]) -> list[Statement]:
    """Every sentence of the pool with a named speaker, keyed by the speaker's surname."""
    out = []
    for s in pool:
        who = speaker(s.plain)
        if who:
            out.append(Statement(who, _surname(who), s))
    return out


def _surname(name: str) -> str:
    return name.split()[-1].rstrip(".").lower()


def speakers(found: Sequence[Statement], salience: Salience, limit: int = 8, per_speaker: int = 2,
             pool: Sequence[Sentence] = ()) -> list[tuple[str, list[Sentence]]]:
    """Speakers with their most salient statements, those quoted in most articles (then most often, then most
    centrally) first; a speaker is shown under the longest form of the name seen ("French President Emmanuel
    Macron" for "Macron"). A bare surname counts as the one full name of that surname that the ``pool`` mentions,
    if only one is."""
    names: dict[str, Counter] = {}
    for s in pool:
        for first, last in re.findall(r"\b([A-Z][a-z]+) ([A-Z][a-z]+)\b", s.plain):
            if first.lower() not in _ROLE and first not in _NOT_NAMES:
                names.setdefault(last.lower(), Counter())[first] += 1
    # a full name is its own person ("Jimmy Carter", "Jason Carter"); a bare surname joins the most quoted person
    # of that surname, or stands alone
    full: dict[str, list[Statement]] = {}
    bare: list[Statement] = []
    for st in found:
        person = _person(st.speaker)
        (full.setdefault(" ".join(person).lower(), []) if len(person) > 1 else bare).append(st)
    groups = dict(full)
    inferred: dict[str, str] = {}
    for st in bare:
        # "Carter" is the Carter the articles name most often (Jimmy, not Jason or Amy); a tie leaves it bare
        firsts = names.get(st.key, Counter()).most_common(2)
        if firsts and (len(firsts) == 1 or firsts[0][1] > firsts[1][1]):
            whole = f"{firsts[0][0]} {st.speaker.split()[-1]}"
            inferred[whole.lower()] = whole
            groups.setdefault(whole.lower(), []).append(st)
        else:
            groups.setdefault(st.key, []).append(st)
    ranked = sorted(groups.items(), key=lambda kv: (-len({st.sentence.doc.id for st in kv[1]}), -len(kv[1]),
                                                    -max(salience(st.sentence) for st in kv[1]), kv[0]))
    out = []
    used: list[Sentence] = []
    for key, group in ranked[:limit]:
        written = [st.speaker for st in group if len(_person(st.speaker)) > 1]
        name = max(written, key=len) if written else inferred.get(key, group[0].speaker)
        best = pick(sorted((st.sentence for st in group), key=lambda s: -salience(s)), per_speaker, used)
        if best:
            out.append((name, best))
    return out


def _person(name: str) -> list[str]:
    """The name without its role: the capitalised run at the end ("Tommy Pigott" of "State Department
    spokesperson Tommy Pigott", "Marco Rubio" of "Secretary of State Marco Rubio")."""
    words = name.split()
    out: list[str] = []
    for w in reversed(words):
        if w.lower() in _ROLE or w.lower() == "of" or not w[:1].isupper() and w not in ("von", "van", "der", "de"):
            break
        out.insert(0, w)
    return out or words[-1:]


_FORWARD_STRONG = re.compile(
    r"\b(?:in the coming (?:days|weeks|months)|next (?:week|month|year)|this weekend|the coming week|coming weeks"
    r"|later this (?:week|month|year)|looking ahead|expected to|set to|plans? to|planning to|due to (?!the)"
    r"|scheduled|will (?:hold|meet|vote|decide|travel|visit|present|announce|publish|host|sign|begin|start|launch"
    r"|resume|return|be able|have to|need)|deadline|remains to be seen|watch(?:ing)? for)\b", re.IGNORECASE)
_FORWARD_WEAK = re.compile(r"\b(?:will|is to|are to|may lead|could lead)\b", re.IGNORECASE)


def forward_looking(pool: Sequence[Sentence], salience: Salience) -> list[Sentence]:
    """Sentences about what comes next ("in the coming days", "next week", "plans to", "expected to", "will"),
    explicit timing first, then by salience."""
    scored = []
    for s in pool:
        strong = len(_FORWARD_STRONG.findall(s.plain))
        weak = len(_FORWARD_WEAK.findall(s.plain))
        if strong or weak:
            scored.append((2.0 * min(strong, 2) + min(weak, 1) + salience.norm(s), s))
    return [s for _, s in sorted(scored, key=lambda x: -x[0])]


# ---- citations -----------------------------------------------------------------------------------------------------
_MARK = re.compile(r"\[(\d+)(\?)?\](?!\()")


class Register:
    """One memo-wide sources list. Each piece of memo text is checked by ``cite.check`` against the passages it
    was written from; its citations are then renumbered globally, in order of first appearance: the same quote of
    the same article (with the same verdict) keeps one number wherever it is cited."""

    def __init__(self) -> None:
        self.keys: dict[tuple, int] = {}
        self.citations: list[Citation] = []
        self.warnings: list[str] = []

    def verify(self, text: str, hits: Sequence[Hit], where: str) -> tuple[str, tuple[int, ...]]:
        """``text`` (citing ``[k]`` = ``hits[k-1]``) checked and renumbered, and the memo numbers it cites."""
        checked = check(text, hits)
        local: dict[int, int] = {}
        for c in checked.citations:
            key = (c.hit.doc.id, c.quote_span.char_start, c.quote_span.char_end, c.supported)
            if key not in self.keys:
                self.keys[key] = len(self.citations) + 1
                self.citations.append(replace(c, n=self.keys[key]))
            local[c.n] = self.keys[key]
        cited: list[int] = []

        def renumber(m: re.Match) -> str:
            n = local.get(int(m.group(1)))
            if n is None:
                return ""
            cited.append(n)
            return f"[{n}{m.group(2) or ''}]"

        out = _MARK.sub(renumber, checked.text)
        for w in checked.warnings:
            w = re.sub(r"^\[(\d+)\]", lambda m: f"[{local.get(int(m.group(1)), m.group(1))}]", w)
            line = f"{where}: {w}"
            if line not in self.warnings:
                self.warnings.append(line)
        return out, tuple(dict.fromkeys(cited))


# ---- building the memo ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    """What one prose section is made from: its sentences (extractive) and the task an LLM gets for it."""

    key: str
    heading: str
    kind: str
    label: str
    sentences: tuple[Sentence, ...]
    lines: tuple[str, ...]  # the extractive text, one line per sentence, citing [k] = sentences[k-1]


def build_memo(session, window: Window, *, topics: Sequence[str] = (), llm=None, max_context: int = 3000,
               title: str | None = None) -> Memo:
    """The memo for ``window`` from ``session``'s index. ``llm`` (an object with ``complete``) writes the prose
    sections one at a time from their own passages; without it the sections are the sources' own sentences.
    Timeline and disagreements are found by rules either way. Every citation is verified (see ``Register``)."""
    from . import disagree, timeline

    store = session.store
    ids = store.chunk_ids_between(window.since, window.until)
    chunks = list(store.chunks(sorted(ids)).values())
    docs = sorted(store.documents({c.doc_id for c in chunks}).values(), key=lambda d: (d.published, d.path))
    undated = tuple(sorted((d for d in _undated(store)), key=lambda d: d.path))
    pool = sentence_pool(docs, chunks)
    salience = Salience(pool)
    if topics:  # the memo is about the topics: everything else comes from the passages found for them
        themes = topic_themes(session, topics, pool, salience, window)
        keep = {(s.doc.id, s.start) for t in themes for s in t.members}
        pool = [s for s in pool if (s.doc.id, s.start) in keep]
    # only the most salient sentences are embedded: enough for five themes and a summary, and it stays quick
    top = sorted(pool, key=lambda s: -salience(s))[:MAX_CLUSTERED]
    vectors = session.embedder().embed([s.plain for s in top]) if top else None
    if not topics:
        # a few articles hold fewer distinct stories than a week of news: a theme per article, 2 to 5
        themes = derive_themes(top, salience, vectors, min(MAX_THEMES, max(2, len(docs))))
    meaning = {id(s): vectors[i] for i, s in enumerate(top)}
    plans = _plans(themes, pool, salience, window, meaning)
    register = Register()
    sections, usage = _write(plans, register, llm, max_context, window)
    events = _events(timeline.pick_events(pool, window, salience), register)
    conflicts = _disagreements(disagree.find(pool, salience), register)
    if title is None:
        title = "Weekly briefing: " + (", ".join(topics) if topics else headline_phrase(pool))
    return Memo(title=title, window=window, sections=tuple(sections), timeline=tuple(events),
                disagreements=tuple(conflicts), citations=tuple(register.citations), documents=tuple(docs),
                undated=undated, warnings=tuple(register.warnings), llm=getattr(llm, "name", None) or "extractive",
                topics=tuple(topics), usage=usage)


def _undated(store) -> list[Document]:
    ids = [r[0] for r in store.con.execute("SELECT id FROM documents WHERE published IS NULL")]
    return list(store.documents(ids).values()) if ids else []


_ACTION = re.compile(r"\b(?:announced|agreed|met|gathered|launched|signed|approved|rejected|proposed|unveiled|"
                     r"confirmed|declared|voted|killed|attacked|arrived|held|opened|created|decided|ordered|"
                     r"passed|won|lost|resigned|appointed|began|ended|convened|informed|told)\b")


def newsworthy(s: Sentence, window: Window) -> float:
    """How much a sentence reports this window's news rather than background: a date inside the window (or a day
    or two before it) and an action verb ("announced", "met", "agreed"...)."""
    from .timeline import resolve

    score = 0.0
    if s.doc.published and any(window.since - timedelta(days=2) <= r.first and r.last <= window.until
                               and (r.last - r.first).days <= 2 for r in resolve(s.plain, s.doc.published)):
        score += 0.5
    if _ACTION.search(s.plain):
        score += 0.25
    if _PRONOUN_SPEAKER.search(s.plain):
        score -= 0.5  # "..., he told French radio": out of its paragraph nobody knows who "he" is
    return score


_PRONOUN_SPEAKER = re.compile(rf"\b(?:he|she|they|it)\s+(?:also\s+)?(?:{_SPEECH})\b|^(?:He|She|They|It)\b")


def _summary(pool: Sequence[Sentence], salience: Salience, window: Window, meaning: dict, most: int = 5
             ) -> list[Sentence]:
    """Three to five sentences that lead with the week's news, each adding something: greedy maximal marginal
    relevance over salience plus ``newsworthy``, minus the closest meaning (cosine of the sentence embeddings)
    to a pick so far, so the same meeting told by two articles is summarised once."""
    import numpy as np

    lead = {id(s): salience.norm(s) + newsworthy(s, window) for s in pool}
    chosen: list[Sentence] = []
    candidates = [s for s in sorted(pool, key=lambda s: -lead[id(s)]) if id(s) in meaning][:200]
    if not candidates:
        return []
    vecs = np.stack([meaning[id(s)] for s in candidates])
    usual = float((vecs @ vecs.T).mean())  # how alike any two sentences of this window are anyway
    while len(chosen) < most and candidates:
        def gain(s: Sentence) -> float:
            closest = max((float(meaning[id(s)] @ meaning[id(c)]) for c in chosen), default=usual)
            return lead[id(s)] - 1.5 * max(closest - usual, 0.0)
        best = max(candidates, key=gain)
        if len(chosen) >= 3 and gain(best) < 0.4 * lead[id(chosen[0])]:
            break
        candidates.remove(best)
        if sum(c.doc.id == best.doc.id for c in chosen) >= 2 or any(similar(best, c) for c in chosen):
            continue
        chosen.append(best)
    return chosen


def _plans(themes: Sequence[Theme], pool: Sequence[Sentence], salience: Salience, window: Window,
           meaning: dict) -> list[_Plan]:
    used: list[Sentence] = []
    summary = _summary(pool, salience, window, meaning)
    used += summary
    plans = [_Plan("summary", "Executive summary", "summary", "", tuple(summary), _bullets(summary))]
    for t in themes:
        chosen = pick(t.members, 3, used)
        if chosen:
            plans.append(_Plan("developments", "Key developments", "theme", t.label, tuple(chosen),
                               _bullets(chosen)))
    quotes = speakers(statements(pool), salience, pool=pool)
    lines, said = [], []
    for name, sents in quotes:
        lines.append(("\n" if lines else "") + f"**{_md_plain(name[:1].upper() + name[1:])}**")
        for s in sents:
            said.append(s)
            lines.append(f"- {s.plain} [{len(said)}]")
    plans.append(_Plan("actors", "Who said what", "actors", "", tuple(said), tuple(lines)))
    forward = forward_looking(pool, salience)
    ahead = pick(forward, 5, [s for p in plans for s in p.sentences if p.key != "actors"], per_doc=3)
    if len(ahead) < 2:  # a short window: better to repeat a sentence than to miss what comes next
        ahead += pick([s for s in forward if s not in ahead], 2 - len(ahead), list(ahead), per_doc=3)
    plans.append(_Plan("watch", "What to watch next", "watch", "", tuple(ahead), _bullets(ahead)))
    return plans


def _bullets(chosen: Sequence[Sentence]) -> tuple[str, ...]:
    return tuple(f"- {s.plain} [{i}]" for i, s in enumerate(chosen, 1))


def _md_plain(text: str) -> str:
    return text.replace("*", "").replace("[", "(").replace("]", ")")


_EMPTY = {
    "summary": "The window's articles yielded no sentence that summarises them.",
    "actors": "No named person is quoted with a stated position in the window's articles.",
    "watch": "The window's articles announce nothing ahead (no \"will\", \"next week\", \"plans to\"...).",
}


def _write(plans: Sequence[_Plan], register: Register, llm, max_context: int, window: Window
           ) -> tuple[list[Section], dict]:
    """Each plan written (by ``llm`` or extractively), verified, and gathered into sections in plan order."""
    bodies: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    usage: Counter = Counter()
    for plan in plans:
        headings.setdefault(plan.key, plan.heading)
        where = plan.heading + (f" / {plan.label}" if plan.label else "")
        text = None
        if llm is not None and plan.sentences:
            text, used = _llm_text(llm, plan, max_context, window, usage)
            body, cited = register.verify(text, used, where) if text else ("", ())
            if not cited:
                register.warnings.append(f"{where}: the LLM's text had no verifiable citation; "
                                         "the sources' own sentences are shown instead")
                text = None
        if text is None:
            body, _ = register.verify("\n".join(plan.lines), [s.hit() for s in plan.sentences], where)
        if plan.label:
            body = f"### {_md_plain(plan.label)}\n\n{body}"
        bodies.setdefault(plan.key, []).append(body.strip())
    sections = []
    for key, parts in bodies.items():
        body = "\n\n".join(p for p in parts if p) or _EMPTY.get(key, "Nothing found.")
        sections.append(Section(key, headings[key], body))
    return sections, dict(usage)


def _llm_text(llm, plan: _Plan, max_context: int, window: Window, usage: Counter) -> tuple[str, list[Hit]]:
    """The LLM's text for one section, written from that section's own passages (the chunks holding its
    sentences), and the passages it was given, numbered as in the prompt. Article text goes in as data only."""
    from .prompting import TOKENS_PER_MESSAGE, _passage, estimate_tokens, neutralise, prompt_env

    hits: list[Hit] = []
    seen: set = set()
    for s in plan.sentences:
        key = s.chunk.id if s.chunk else (s.doc.id, s.start)
        if key not in seen:
            seen.add(key)
            hits.append(Hit(s.chunk, s.doc, 1.0) if s.chunk else s.hit())
    env = prompt_env()
    system = env.get_template("memo_system.j2").render()
    template = env.get_template("memo_section.j2")
    label = neutralise(" ".join(plan.label.split()))

    def user(passages: list[dict]) -> str:
        return template.render(kind=plan.kind, heading=plan.heading, label=label, since=window.since.isoformat(),
                               until=window.until.isoformat(), passages=passages)

    passages: list[dict] = []
    used: list[Hit] = []
    for hit in hits:
        candidate = [*passages, _passage(len(used) + 1, hit, hit.chunk.text)]
        if estimate_tokens(system) + estimate_tokens(user(candidate)) + 2 * TOKENS_PER_MESSAGE <= max_context:
            passages, used = candidate, [*used, hit]
    if not used:
        return "", []
    done = llm.complete([{"role": "system", "content": system}, {"role": "user", "content": user(passages)}])
    usage.update({k: v for k, v in done.usage.items() if isinstance(v, int)})
    return done.text, used


def _events(found, register: Register) -> list[Event]:
    """Timeline entries: the clause around each date, cited to its sentence."""
    from .timeline import excerpt

    from .timeline import resolve

    out = []
    for s, ref in found:
        several = len(resolve(s.plain, s.doc.published)) > 1
        text = excerpt(s.plain, ref.start, ref.end, grow=not several)
        body, cited = register.verify(f"{text} [1]", [s.hit()], "Timeline")
        if cited:
            out.append(Event(ref.first, ref.last, _MARK.sub("", body).strip(), cited, ref.phrase, s.doc.published,
                             ref.approximate, ref.relative))
    return out


def _disagreements(found, register: Register) -> list[Disagreement]:
    """Each side of each disagreement, cited to its sentence."""
    from .config import display_path
    from .timeline import excerpt

    out = []
    for f in found:
        sides = []
        for value, s, (a, b) in f.sides:
            text = excerpt(s.plain, a, b, limit=260)
            body, cited = register.verify(f"{text} [1]", [s.hit()], "Where sources disagree")
            if cited:
                sides.append(Side(value, _MARK.sub("", body).strip(), cited, display_path(s.doc.path)))
        if len(sides) >= 2:
            out.append(Disagreement(f.subject, f.kind, tuple(sides), f.note))
    return out
