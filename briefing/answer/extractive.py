"""The offline generator: an answer made of the retrieved passages' own best sentences, each cited, no LLM."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from briefing.text import near_duplicate, sentences, stems, words
from briefing.types import Hit

_BULLET = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+")  # a list marker the source put before the sentence
NOTE = "Extractive answer: sentences quoted from the sources, chosen by overlap with the question; no LLM was used."


@dataclass(frozen=True)
class Pick:
    """A candidate sentence: which passage (0-based), where in the chunk, and its score."""

    hit: int
    start: int
    end: int
    score: float


def _candidates(question: str, hits: Sequence[Hit]) -> list[Pick]:
    q = set(stems(question))
    if not q:
        return []
    # weight rarer question words higher: a word in every passage tells little about which sentence answers
    df = {w: sum(1 for h in hits if w in set(stems(h.chunk.text))) for w in q}
    weight = {w: math.log(1 + (len(hits) + 1) / (1 + df[w])) for w in q}
    total = sum(weight.values()) or 1.0
    out = []
    for i, hit in enumerate(hits):
        text = hit.chunk.text
        for a, b in sentences(text):
            sent = text[a:b]
            n_words = len(words(sent))
            if n_words < 6 or n_words > 80 or sent.rstrip()[-1:] not in ".!?\"”’)":
                continue  # headlines, captions and run-ons read badly as answer sentences
            overlap = set(stems(sent)) & q
            if not overlap:
                continue
            lexical = sum(weight[w] for w in overlap) / total
            # the passage's own rank and similarity break ties between equally worded sentences
            prior = 0.15 / (1 + i) + 0.2 * max(hit.dense or 0.0, 0.0)
            out.append(Pick(i, a, b, lexical + prior))
    return out


def extract(question: str, hits: Sequence[Hit], max_sentences: int = 4, per_passage: int = 2) -> str:
    """The answer text: a bullet per sentence, up to ``max_sentences`` verbatim sentences, each followed by ``[n]`` (n = passage number,
    1-based, in ``hits`` order), grouped by passage rank and kept in document order inside a passage."""
    picks = sorted(_candidates(question, hits), key=lambda p: -p.score)
    if not picks:
        return ""
    chosen: list[Pick] = []
    best = picks[0].score
    for p in picks:
        if len(chosen) >= max_sentences or p.score < 0.35 * best:
            break
        text = hits[p.hit].chunk.text[p.start : p.end]
        if sum(1 for c in chosen if c.hit == p.hit) >= per_passage:
            continue
        if any(near_duplicate(set(stems(text)), set(stems(hits[c.hit].chunk.text[c.start : c.end]))) for c in chosen):
            continue  # overlapping chunks and syndicated copies repeat sentences
        chosen.append(p)
    # passages in the order of their best sentence, sentences in reading order within a passage
    lead = {}
    for c in chosen:
        lead.setdefault(c.hit, len(lead))
    chosen.sort(key=lambda c: (lead[c.hit], c.start))
    lines = []
    for c in chosen:
        sentence = _BULLET.sub("", " ".join(hits[c.hit].chunk.text[c.start : c.end].split()))
        lines.append(f"- {sentence} [{c.hit + 1}]")
    return "\n".join(lines)
