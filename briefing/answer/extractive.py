"""The offline generator: an answer made of the retrieved passages' own best sentences, each cited, no LLM.

How a sentence is chosen (see ``extract``):

- the question is cut into the parts it asks (``question.parts``: "Which teams..., and when and where...") and
  each part's kind of answer is recognised (who, when, where, how many, how much, why, what);
- a sentence scores by the question's words it shares (rarer words weigh more), the words of the part it answers,
  whether it holds that part's kind of answer (a date for "when", a number for "how many"...), whether it names
  the question's subjects, and its passage's rank;
- every part gets its best sentence before the rest fill up, so both halves of a two-part question are answered;
- a sentence that leans on the one before ("It aims to...", "This decision...") brings that sentence along, or
  gives way to one that stands alone; headings, questions, captions and promo lines are never chosen;
- when the figure a "how many"/"how much" part asks for differs between sources, both are given, each cited.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from briefing.answer.evidence import asks_whats_new
from briefing.answer.question import AMOUNT, COUNT, Part, Subject, mentions, parts, subjects, terms
from briefing.answer.readable import figures, holds, lead_in, leans_on_previous, never_an_answer
from briefing.text import near_duplicate, sentences, stems, words
from briefing.types import Hit

_BULLET = re.compile(r"^(?:[-*•–—]|\d{1,2}[.)])\s+")  # a list marker the source put before the sentence
NOTE = "Extractive answer: sentences quoted from the sources, chosen for what the question asks; no LLM was used."
DIFFER = "The sources give different figures:"
_KIND_WEIGHT = 0.25  # holding the kind of answer a part asks for counts about as much as a quarter of its words
_SUBJECT_WEIGHT = 0.15
_PHRASE_WEIGHT = 0.2
_FOCUS_WEIGHT = 0.15
_SAME_TIME_DAYS = 14  # figures of articles further apart than this are updates, not a disagreement  # the noun asked about ("which three Delawareans") in the sentence
_UNRESOLVED = 0.2  # a sentence leaning on one the passage does not hold


@dataclass(frozen=True)
class Pick:
    """A candidate sentence: which passage (0-based), where in the chunk, its score overall and per question part,
    and where the sentence it leans on starts (None when it stands alone)."""

    hit: int
    start: int
    end: int
    score: float
    by_part: tuple[float, ...] = ()
    antecedent: tuple[int, int] | None = None
    kinds: tuple[float, ...] = ()  # how well it holds each part's kind of answer (``readable.holds``)


def _weights(question_stems: set[str], hits: Sequence[Hit]) -> dict[str, float]:
    # weight rarer question words higher: a word in every passage tells little about which sentence answers
    df = {w: sum(1 for h in hits if w in set(terms(h.chunk.text))) for w in question_stems}
    return {w: math.log(1 + (len(hits) + 1) / (1 + df[w])) for w in question_stems}


def _share(have: set[str], want: set[str] | frozenset[str], weight: dict[str, float]) -> float:
    total = sum(weight.get(w, 1.0) for w in want)
    return sum(weight.get(w, 1.0) for w in have & want) / total if total else 0.0


def _usable(text: str, a: int, b: int) -> tuple[int, int] | None:
    """The span of a sentence that can be quoted as an answer (past any dateline), or None."""
    a += lead_in(text[a:b])
    sent = text[a:b]
    n_words = len(words(sent))
    # a headline ends without a full stop, also when it ends with a quotation: 'warns of "unresolved issues"'
    if n_words < 6 or n_words > 80 or sent.rstrip().rstrip("\"”’'») ")[-1:] not in ".!":
        return None  # headlines, captions and run-ons read badly as answer sentences
    if never_an_answer(_BULLET.sub("", sent)):
        return None
    return a, b


def _pairs(found: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(found, found[1:]))


def _candidates(question: str, hits: Sequence[Hit], asks: Sequence[Part], named: Sequence[Subject]) -> list[Pick]:
    q = set(terms(question))
    if not q:
        return []
    weight = _weights(q | set().union(*(p.stems for p in asks)), hits)
    q_pairs = _pairs(terms(question))
    out = []
    for i, hit in enumerate(hits):
        text = hit.chunk.text
        spans = sentences(text)
        usable = [_usable(text, a, b) for a, b in spans]
        for j, span in enumerate(usable):
            if span is None:
                continue
            a, b = span
            sent = text[a:b]
            found = terms(sent)
            have = set(found)
            lexical = _share(have, q, weight)
            # the question's words in the same order ("joint working group") say more than scattered ones
            phrase = len(_pairs(found) & q_pairs) / len(q_pairs) if q_pairs else 0.0
            if not have & q:
                continue
            antecedent, penalty = None, 0.0
            if leans_on_previous(sent):
                antecedent = _antecedent(text, usable, j)
                penalty = _UNRESOLVED if antecedent is None else 0.0
            context = sent if antecedent is None else text[antecedent[0]:b]
            about = sum(mentions(context, s) for s in named) / len(named) if named else 0.0
            # the passage's own rank and similarity break ties between equally worded sentences
            prior = 0.15 / (1 + i) + 0.2 * max(hit.dense or 0.0, 0.0) + _SUBJECT_WEIGHT * about \
                + _PHRASE_WEIGHT * phrase - penalty
            kinds = tuple(holds(p.kind, sent, question) for p in asks)
            by_part = tuple(0.4 * lexical + 0.6 * _share(have, p.stems, weight) + _KIND_WEIGHT * kind
                            + (_FOCUS_WEIGHT if p.focus and p.focus in have else 0.0)
                            for p, kind in zip(asks, kinds))
            out.append(Pick(i, a, b, max(by_part) + prior, tuple(x + prior for x in by_part), antecedent, kinds))
    return out


def _antecedent(text: str, usable: list, j: int, reach: int = 2) -> tuple[int, int] | None:
    """The span from the nearest sentence before sentence ``j`` that stands alone (at most ``reach`` back, all
    quotable) to the one just before ``j``; None when there is none in the passage."""
    for back in range(1, reach + 1):
        if j - back < 0 or any(usable[x] is None for x in range(j - back, j)):
            return None
        first = usable[j - back]
        if not leans_on_previous(text[first[0]:first[1]]):
            return first[0], usable[j - 1][1]
    return None


def extract(question: str, hits: Sequence[Hit], max_sentences: int = 4, per_passage: int = 3) -> str:
    """The answer text: a bullet per sentence, verbatim, each followed by ``[n]`` (n = passage number, 1-based, in
    ``hits`` order), the best first, each after the sentences it leans on. Up to
    ``max_sentences`` chosen sentences (one more per extra question part), each with the sentence it leans on."""
    chosen, differ = _select(question, hits, max_sentences, per_passage)
    if chosen is None:
        return _leads(hits, max_sentences) if asks_whats_new(question) or not stems(question) else ""
    return _write(chosen, hits, differ)


def evidence(question: str, hits: Sequence[Hit], max_sentences: int = 6) -> dict[int, list[tuple[int, int]]]:
    """The sentences that answer ``question``, as spans into each hit's chunk text by hit index (0-based), in the
    order they stand in the chunk, each with the sentence it leans on: the same choice as ``extract``, with room for
    ``max_sentences``. Empty when no sentence bears on the question."""
    chosen, _ = _select(question, hits, max_sentences, 3)
    out: dict[int, list[tuple[int, int]]] = {}
    for c in chosen or ():
        if c.antecedent is not None:
            out.setdefault(c.hit, []).extend(sentences(hits[c.hit].chunk.text, *c.antecedent))
        out.setdefault(c.hit, []).append((c.start, c.end))
    return {i: sorted(set(spans)) for i, spans in out.items()}


def focus(question: str, hits: Sequence[Hit]) -> list[Hit]:
    """What a small model is shown for ``question``: each hit that holds ``evidence`` cut down to those sentences
    (joined by " … " where the chunk skips some), in rank order; the hits unchanged when none does."""
    from dataclasses import replace

    found = evidence(question, hits)
    if not found:
        return list(hits)
    out = []
    for i, hit in enumerate(hits):
        if i not in found:
            continue
        text, last = "", None
        for a, b in found[i]:
            gap = hit.chunk.text[last:a] if last is not None else ""
            text += (" " if not gap.strip() else " … ") if last is not None else ""
            text += hit.chunk.text[a:b]
            last = b
        out.append(replace(hit, chunk=replace(hit.chunk, text=text)))
    return out


def _select(question: str, hits: Sequence[Hit], max_sentences: int, per_passage: int
            ) -> tuple[list[Pick] | None, bool]:
    """The chosen sentences, best first (None when no sentence bears on the question), and whether they open with
    two sources' differing figures."""
    asks = parts(question)
    named = subjects(question)
    picks = _candidates(question, hits, asks, named)
    if not picks:
        return None, False
    limit = max_sentences + len(asks) - 1
    per_passage = max(per_passage, len(asks))
    best = max(p.score for p in picks)
    chosen: list[Pick] = []

    def text_of(p: Pick) -> str:
        return hits[p.hit].chunk.text[p.start : p.end]

    def take(p: Pick, floor: float) -> bool:
        if p in chosen or len(chosen) >= limit or p.score < floor:
            return False
        if sum(1 for c in chosen if c.hit == p.hit) >= per_passage:
            return False
        if any(near_duplicate(set(stems(text_of(p))), set(stems(text_of(c)))) for c in chosen):
            return False  # overlapping chunks and syndicated copies repeat sentences
        chosen.append(p)
        return True

    # every part of the question first gets its own best sentence, one holding the kind of answer it asks for
    # (a calendar date for "when", a number for "how many") when there is one, then the best of the rest fill up
    for k in range(len(asks)):
        ranked = sorted(picks, key=lambda p: -p.by_part[k])
        strong = [p for p in ranked if p.kinds[k] >= 1 and p.by_part[k] >= 0.35 * best]
        for p in strong or ranked:
            if p.by_part[k] < 0.35 * best:
                break
            if p in chosen or take(p, 0.35 * best):
                break
    for p in sorted(picks, key=lambda p: -p.score):
        if len(chosen) >= limit or p.score < 0.35 * best:
            break
        take(p, 0.35 * best)
    differ = _other_figure(asks, picks, chosen, hits)
    if differ is not None:  # both figures first, under a line that says they differ
        chosen = list(differ) + [c for c in chosen if c not in differ]
    return chosen, differ is not None


def _other_figure(asks: Sequence[Part], picks: Sequence[Pick], chosen: list[Pick], hits: Sequence[Hit]
                  ) -> tuple[Pick, Pick] | None:
    """For a "how many"/"how much" part: the best sentence stating the asked figure and one of another article
    stating a different figure for it, nearly as well; None when the sources agree."""
    for k, part in enumerate(asks):
        if part.kind not in (COUNT, AMOUNT):
            continue
        near = set(part.stems) | ({part.focus} if part.focus else set())
        stated = [(p, figures(hits[p.hit].chunk.text[p.start:p.end], near)) for p in picks]
        stated = sorted(((p, f) for p, f in stated if f), key=lambda x: -x[0].by_part[k])
        if not stated or stated[0][0] not in chosen:
            continue
        top, mine = stated[0]
        about = _about(hits, top, part)
        for p, theirs in stated[1:6]:
            if hits[p.hit].doc.id == hits[top.hit].doc.id or theirs & mine or p.by_part[k] < 0.5 * top.by_part[k]:
                continue
            # the same measure (most of the part's words), reported at about the same time: a figure that
            # changed between two months is an update, not a disagreement
            if _about(hits, p, part) >= max(0.3, 0.5 * about) - 1e-9 and _same_time(hits[p.hit].doc, hits[top.hit].doc):
                return top, p
    return None


def _about(hits: Sequence[Hit], p: Pick, part: Part) -> float:
    """The share of the part's words the sentence holds."""
    return len(set(terms(hits[p.hit].chunk.text[p.start:p.end])) & part.stems) / len(part.stems) if part.stems \
        else 0.0


def _same_time(a, b, days: int = _SAME_TIME_DAYS) -> bool:
    return a.published is None or b.published is None or abs((a.published - b.published).days) <= days


def _write(chosen: list[Pick], hits: Sequence[Hit], differ: bool) -> str:
    # the best sentence first (each part's in the order of the question, then the rest by score), every one
    # after the sentences it leans on
    spans: list[tuple[int, int, int]] = []
    for c in chosen:
        if c.antecedent is not None:
            spans += [(c.hit, a, b) for a, b in sentences(hits[c.hit].chunk.text, *c.antecedent)]
        spans.append((c.hit, c.start, c.end))
    spans = list(dict.fromkeys(spans))
    lines = [f"- {DIFFER}"] if differ else []
    for hit, a, b in spans:
        sentence = _BULLET.sub("", " ".join(hits[hit].chunk.text[a:b].split()))
        lines.append(f"- {sentence} [{hit + 1}]")
    return "\n".join(lines)


def _leads(hits: Sequence[Hit], max_sentences: int) -> str:
    """For a question with no content words ("What's new?"): the first quotable sentence of each passage."""
    chosen = []
    for i, hit in enumerate(hits):
        text = hit.chunk.text
        for a, b in sentences(text):
            span = _usable(text, a, b)
            if span and not leans_on_previous(text[span[0]:span[1]]):
                chosen.append(Pick(i, span[0], span[1], 0.0))
                break
        if len(chosen) >= max_sentences:
            break
    return _write(chosen, hits, False)
