"""The memo window's sentences: which can stand alone, how central each is, and picking ones that repeat nothing."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from briefing.text import make_span, near_duplicate, sentences, stems
from briefing.types import Chunk, Document, Hit


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
        span = make_span(self.doc, self.start, self.end, after=self.chunk.span if self.chunk else None)
        ord_ = self.chunk.ord if self.chunk else 0
        return Hit(Chunk(self.doc.id, ord_, self.text, span), self.doc, 1.0)


# Promotion and page chrome that survive extraction as sentences: never evidence.
_PROMO = re.compile(r"\b(?:subscribe (?:to|now|today)|sign up (?:for|to|now)|click here|follow us|download (?:the|our) app"
                    r"|all rights reserved|copyright ©|newsletter|this (?:article|story) (?:was|has been|is) "
                    r"(?:updated|produced|written|originally)|(?:read|see|watch) (?:more|also|next):|for more "
                    r"(?:news|stories|information), (?:visit|go to)|support (?:our|local) journalism|advertisement)\b",
                    re.IGNORECASE)
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
        for i, (a, b) in enumerate(sentences(doc.text, doc.body_start)):
            text = doc.text[a:b]
            flat = " ".join(text.split()).lower()
            if not readable(text) or flat in seen or _DATELINE.match(text) or _PROMO.search(text):
                continue
            seen.add(flat)
            holder = next((c for c in mine if c.span.char_start <= a and b <= c.span.char_end), None)
            out.append(Sentence(doc, a, b, i, holder, frozenset(stems(text))))
    return out


def prefer_sources(pool: Sequence[Sentence], stories, flagged: set[str]) -> list[Sentence]:
    """``pool`` without what another source says better: a syndicated copy's sentences that its original has
    too (the original is cited, the copy named "also in"), and a low-quality source's sentences (``flagged``
    doc ids) that a sentence of another source states too."""
    by_doc: dict[str, list[Sentence]] = {}
    for s in pool:
        by_doc.setdefault(s.doc.id, []).append(s)
    sound = [s for s in pool if s.doc.id not in flagged]
    out = []
    for s in pool:
        original = stories.original.get(s.doc.id)
        if original and any(near_duplicate(s.keys, o.keys, 0.8) for o in by_doc.get(original, [])):
            continue
        if s.doc.id in flagged and any(o.doc.id != s.doc.id and similar(s, o) for o in sound):
            continue
        out.append(s)
    return out


def similar(a: Sentence, b: Sentence) -> bool:
    """Near-duplicates: most content words shared (syndicated copies, a summary repeating the lede)."""
    return near_duplicate(a.keys, b.keys)


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


_ADVICE = set("""use utilize plot subscribe track verify avoid consider check follow read monitor stay keep remember
    note see click visit contact reference engage prioritize navigate learn join share sign try make take look watch
    ask""".split())


class Salience:
    """How central a sentence is to the window: its words recur across articles; early sentences and concrete ones
    (names, numbers) count a little more; advice to the reader and rhetorical filler count less."""

    def __init__(self, pool: Sequence[Sentence], demote: set[str] = frozenset()):
        self._demote = demote  # ids of low-quality sources: ranked after every other source
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
            self._cache[key] = base * (1 + bonus) * (0.3 if s.doc.id in self._demote else 1.0)
        return self._cache[key]

    def norm(self, s: Sentence) -> float:
        """Salience scaled to 0..1 within the window, for mixing with other scores."""
        if self._max is None:
            self._max = max((self(x) for x in self._pool), default=1.0) or 1.0
        return self(s) / self._max
