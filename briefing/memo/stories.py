"""Stories of the memo window: articles grouped by what they report, and syndicated copies of one article.

- Two articles tell the same *story* when the cosine of their tf-idf vectors (stems of their readable sentences,
  weighted by how few of the window's articles use them (log(1 + n/df), so a word every article of a
  one-story window uses still counts); the headline and the lede count more) reaches
  ``STORY_COSINE``; stories are grouped by average link (two groups join while their articles' mean cosine is
  that high), so one broad article does not chain unrelated stories together.
- A *syndicated copy* is one article carried by another outlet with small edits: most of its sentences
  (``COPY_SHARE``) have a near-duplicate in the other article. The earliest (then shortest path) is the original;
  the copies are counted once and shown as "also in ...".

Measured on ``../shared/corpus/realtimeqa-2025-01`` (README, memo section): the thresholds keep unrelated stories
of one week apart and join the reports of one event.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from briefing.text import near_duplicate, sentences, stems

STORY_COSINE = 0.15
COPY_SHARE = 0.6
TITLE_WEIGHT = 3
LEAD = 5


@dataclass(frozen=True)
class Stories:
    """``story[doc id]`` is the story number (0 = the story with most articles); ``copies[original id]`` the ids of
    its syndicated copies; ``original[copy id]`` the original it copies."""

    story: dict
    copies: dict
    original: dict

    def same_story(self, a: str, b: str) -> bool:
        return a in self.story and self.story.get(a) == self.story.get(b)

    def members(self, n: int) -> list[str]:
        return [d for d, s in self.story.items() if s == n]

    def sizes(self) -> Counter:
        """Articles per story, syndicated copies not counted."""
        return Counter(s for d, s in self.story.items() if d not in self.original)


def doc_vectors(pool: Sequence) -> dict[str, dict[str, float]]:
    """Unit tf-idf vectors of the articles of ``pool`` (stem -> weight)."""
    tf: dict[str, Counter] = {}
    for s in pool:
        counts = tf.get(s.doc.id)
        if counts is None:  # the headline says what the story is: its words count as much as a lede's three
            counts = tf[s.doc.id] = Counter({k: TITLE_WEIGHT for k in stems(s.doc.title or "")})
        counts.update({k: 2 if s.ordinal < LEAD else 1 for k in s.keys})
    df: Counter = Counter()
    for counts in tf.values():
        df.update(counts.keys())
    n = len(tf)
    out = {}
    for doc, counts in tf.items():
        vec = {k: (1 + math.log(max(c, 1))) * math.log(1 + n / df[k]) for k, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out[doc] = {k: v / norm for k, v in vec.items() if v > 0}
    return out


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def find_stories(pool: Sequence, docs: Sequence = (), threshold: float = STORY_COSINE) -> Stories:
    """The window's stories and syndicated copies (see the module docstring). ``docs`` are the window's articles
    (by default those of ``pool``): a copy whose every sentence the pool already holds from its original has no
    sentence of its own there, and is still found."""
    import numpy as np

    vectors = doc_vectors(pool)
    ids = list(vectors)
    n = len(ids)
    sim = np.full((n, n), -1.0)
    for i in range(n):
        for j in range(i + 1, n):
            sim[i, j] = sim[j, i] = cosine(vectors[ids[i]], vectors[ids[j]])
    groups = [[i] for i in range(n)]
    alive = list(range(n))
    while len(alive) > 1:  # average link: merge the two closest stories while they are close enough
        best, pair = threshold, None
        for x, a in enumerate(alive):
            for b in alive[x + 1 :]:
                if sim[a, b] >= best:
                    best, pair = sim[a, b], (a, b)
        if pair is None:
            break
        a, b = pair
        wa, wb = len(groups[a]), len(groups[b])
        sim[a, :] = sim[:, a] = (sim[a] * wa + sim[b] * wb) / (wa + wb)
        groups[a] += groups[b]
        groups[b] = []
        alive.remove(b)
    ordered = sorted(([ids[i] for i in g] for g in groups if g), key=lambda g: (-len(g), min(g)))
    story = {d: n for n, g in enumerate(ordered) for d in g}
    everyone = {s.doc.id: s.doc for s in pool}
    everyone.update({d.id: d for d in docs})
    copies, original = _copies(list(everyone.values()))
    for c, o in original.items():
        story[c] = story.get(o, story.get(c, len(ordered)))
    return Stories(story, copies, original)


def _copies(docs: Sequence) -> tuple[dict, dict]:
    """Syndicated copies among ``docs``: ``({original: [copies]}, {copy: original})``, the earliest the original."""
    keys = {d.id: _sentence_keys(d) for d in docs}
    words = {d: frozenset().union(*k) if k else frozenset() for d, k in keys.items()}
    order = sorted(docs, key=lambda d: (str(d.published or "9999"), d.path, d.id))
    copies: dict[str, list[str]] = {}
    original: dict[str, str] = {}
    for i, a in enumerate(order):
        if a.id in original:
            continue
        for b in order[i + 1 :]:
            if b.id in original or b.id in copies:
                continue
            wa, wb = words[a.id], words[b.id]
            if not wa or not wb or len(wa & wb) < COPY_SHARE * min(len(wa), len(wb)):
                continue  # most sentences shared means most words shared: a cheap test first
            if copied(keys[b.id], keys[a.id]) or copied(keys[a.id], keys[b.id]):
                copies.setdefault(a.id, []).append(b.id)
                original[b.id] = a.id
    return copies, original


def _sentence_keys(doc) -> list[frozenset]:
    out = []
    for a, b in sentences(doc.text, doc.body_start):
        k = frozenset(stems(doc.text[a:b]))
        if len(k) >= 4:
            out.append(k)
    return out


def copied(these: Sequence[frozenset], other: Sequence[frozenset], share: float = COPY_SHARE) -> bool:
    """Whether most of ``these`` sentences (as stem sets) have a near-duplicate among ``other``'s."""
    if len(these) < 3:
        return False
    exact = set(other)
    hits = sum(1 for s in these if s in exact or any(near_duplicate(s, o, 0.8) for o in other))
    return hits >= share * len(these)
