"""Themes of the memo window: its sentences clustered by meaning and labelled, the title phrase, and the sentences
picked for the summary and for what to watch."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

from briefing.memo.actors import ROLES, pronoun_speaker
from briefing.memo.model import Window
from briefing.memo.pool import Salience, Sentence, similar
from briefing.text import STOPWORDS, stem, stems


MAX_THEMES = 5
MAX_STORY_THEMES = 10  # every story with several articles gets a theme, up to this many


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
        label = _label(members, pool, phrases, used) or _title_label(members, pool, used)
        ordered = _label_first(ordered, pool, label)
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
    """The phrase most particular to a theme (c-TF-IDF): used by several of its sentences, by as many of its
    articles as possible, and by few sentences outside it (so it tells the theme from the others); two to four
    words shaped like a topic (``_shape``), never a lone word; sharing no word with an earlier label. "" when no
    phrase qualifies."""
    inside = set(members)
    docs = len({pool[i].doc.id for i in members})
    scored = []
    for key, e in phrases.items():
        mine = e["sents"] & inside
        if len(key) < 2 or len(mine) < 2 or used & set(key):
            continue
        spread = len({pool[i].doc.id for i in mine}) / docs
        form = e["forms"].most_common(1)[0][0]
        outside = (len(e["sents"] - inside) + 1) / len(pool)
        share = len(e["sents"]) / len(pool)
        generic = 1.0 if share <= 0.2 else ((1 - share) / 0.8) ** 4  # "Ukraine" in a memo about Ukraine
        score = len(mine) ** 1.2 * math.log(1 + 1 / outside) * _shape(form) * spread ** 2 * generic
        scored.append((-score, key))
    scored.sort()
    if not scored:
        return ""
    best = scored[0][1]
    used.update(k for k in best if k not in _INNER)
    form = phrases[best]["forms"].most_common(1)[0][0]
    return form[:1].upper() + form[1:]


def _title_label(members: Sequence[int], pool: Sequence[Sentence], used: set[str]) -> str:
    """A label from the headline of the theme's most cited article, when no phrase of its sentences qualifies:
    its first words up to a colon, a dash or six words."""
    count: Counter = Counter(pool[i].doc.id for i in members)
    doc = next(pool[i].doc for i in members if pool[i].doc.id == count.most_common(1)[0][0])
    head = re.split(r"\s*[:|?!–—]\s*|\s+-\s+|\.\s", " ".join((doc.title or "").split()))[0]
    words = head.split()[:6]
    used.update(stem(w.lower()) for w in words)
    return " ".join(words) or "Other developments"


def story_themes(pool: Sequence[Sentence], stories, salience: Salience, limit: int = MAX_STORY_THEMES
                 ) -> list[Theme]:
    """One theme per story of several articles (``stories``; syndicated copies not counted), the stories with
    the most articles and salience first: its sentences, most salient first, labelled by ``_label`` against the
    other stories' sentences."""
    sizes = stories.sizes()
    by_story: dict[int, list[int]] = {}
    for i, s in enumerate(pool):
        n = stories.story.get(s.doc.id)
        if n is not None and sizes.get(n, 0) >= 2:
            by_story.setdefault(n, []).append(i)
    ranked = sorted(by_story.items(), key=lambda kv: (-sizes[kv[0]], -sum(salience(pool[i]) for i in kv[1])))
    phrases = _phrases(pool)
    used: set[str] = set()
    themes = []
    for _, members in ranked[:limit]:
        label = _label(members, pool, phrases, used) or _title_label(members, pool, used)
        ordered = _label_first(sorted(members, key=lambda i: -salience(pool[i])), pool, label)
        themes.append(Theme(label, tuple(pool[i] for i in ordered), label))
    return themes


def _label_first(ordered: list[int], pool: Sequence[Sentence], label: str) -> list[int]:
    """``ordered`` with the sentences that use the label's words first, so a theme's lines say what it is called."""
    want = {stem(w.lower()) for w in _TOKEN.findall(label)} - {stem(w) for w in _INNER}
    return sorted(ordered, key=lambda i: not want <= pool[i].keys)


def _shape(form: str) -> float:
    """How much a phrase looks like a topic label: several words ("peace deal", "working group") beat one word;
    names ("Marco Rubio", "Secretary of State"), nationalities ("European counterparts") and verb forms
    ("emphasizing", "led via France") are what people and places are called, not what happened."""
    words = form.split()
    first = words[0]
    if first.lower().endswith(("ing", "ed", "ly")) or (first[:1].isupper() and first.endswith(_NATIONALITY)):
        return 0.2
    capital = [w[:1].isupper() or w.lower() in ROLES for w in words if w.lower() not in _INNER]
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
    from briefing.answer.retrieve import SearchSettings

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


# ---- the summary and what to watch ----------------------------------------------------------------------------------
_ACTION = re.compile(r"\b(?:announced|agreed|met|gathered|launched|signed|approved|rejected|proposed|unveiled|"
                     r"confirmed|declared|voted|killed|attacked|arrived|held|opened|created|decided|ordered|"
                     r"passed|won|lost|resigned|appointed|began|ended|convened|informed|told)\b")


def newsworthy(s: Sentence, window: Window) -> float:
    """How much a sentence reports this window's news rather than background: a date inside the window (or a day
    or two before it) and an action verb ("announced", "met", "agreed"...)."""
    from briefing.written_dates import resolve

    score = 0.0
    if s.doc.published and any(window.since - timedelta(days=2) <= r.first and r.last <= window.until
                               and (r.last - r.first).days <= 2 for r in resolve(s.plain, s.doc.published)):
        score += 0.5
    if _ACTION.search(s.plain):
        score += 0.25
    if pronoun_speaker(s.plain):
        score -= 0.5  # "..., he told French radio": out of its paragraph nobody knows who "he" is
    return score


def pick_summary(pool: Sequence[Sentence], salience: Salience, window: Window, meaning: dict, most: int = 5
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
