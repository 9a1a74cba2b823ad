"""Is there anything to answer from? The check that runs before any generator, so no LLM is called for nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from briefing.answer.question import is_soft, mentions, subjects
from briefing.text import STOPWORDS, THOUSANDS, words
from briefing.types import Hit

# Cosine similarities of all-MiniLM-L6-v2 between a question and a passage: below FLOOR nothing is on topic;
# below NAMED a passage is only loosely related, so a name of the question missing from every passage decides.
FLOOR = 0.20
NAMED = 0.60
_CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
             "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
_QUESTION_WORDS = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "did", "does", "do",
                   "is", "are", "was", "were", "has", "have", "will", "can", "could", "should", "would"}


@dataclass(frozen=True)
class Evidence:
    """The verdict and why, for the answer's warnings and for ``briefing eval``."""

    sufficient: bool
    reason: str
    missing: tuple[str, ...] = ()
    best_similarity: float = 0.0


def key_names(question: str) -> list[str]:
    """Names and numbers the question hinges on: capitalised words not at the start, digits, quoted phrases."""
    out = [p.strip() for p in re.findall(r'"([^"]+)"', question) if p.strip()]
    tokens = re.findall(r"[\w][\w'’.-]*", THOUSANDS.sub("", question))
    for i, tok in enumerate(tokens):
        t = re.sub(r"['’]s$", "", tok).strip(".'’-")
        if not t or t.lower() in STOPWORDS or t.lower() in _QUESTION_WORDS or t.lower() in _CALENDAR:
            continue
        if is_soft(t):
            continue  # "American chain": a demonym or a title says where from or what role, not what about
        if any(ch.isdigit() for ch in t) or (i > 0 and t[0].isupper()) or (t.isupper() and len(t) > 1):
            out.append(t)
    return list(dict.fromkeys(out))


def _present(name: str, vocabulary: set[str], text: str) -> bool:
    if " " in name:
        return name.lower() in text
    key = name.lower()
    # "China" should match "Chinese", "Ukraine" "Ukrainian": compare a stem of the name with word prefixes
    stem = key[: max(4, len(key) - 2)] if len(key) > 4 else key
    return any(w == key or (len(key) > 4 and w.startswith(stem)) for w in vocabulary)


def assess(question: str, hits: Sequence[Hit], floor: float = FLOOR) -> Evidence:
    """Insufficient when nothing was retrieved, when the best passage is barely similar, or when at least half of
    the question's key names appear in no retrieved passage and the best similarity is not high."""
    if not hits:
        return Evidence(False, "no passage matched the question")
    best = max((h.dense for h in hits if h.dense is not None), default=0.0)
    if best < floor:
        return Evidence(False, f"the closest passage is too far from the question (similarity {best:.2f})",
                        best_similarity=best)
    text = THOUSANDS.sub("", " ".join(f"{h.doc.title} {h.chunk.text}" for h in hits).lower())
    vocabulary = set(words(text))
    names = key_names(question)
    missing = tuple(n for n in names if not _present(n, vocabulary, text))
    # one unknown name among several ("Former US senator Robert Menendez") is weaker evidence than the only name
    # of the question ("the Pope") or most of them being absent
    if missing and len(missing) * 2 >= len(names) and best < NAMED:
        return Evidence(False, "no retrieved passage mentions " + ", ".join(missing), missing, best)
    # a named subject of the question that no passage mentions ("Donald Tusk", "Australian Open") means the
    # passages are about something else, however similar they read; demonyms and titles never count here
    absent = tuple(s.phrase for s in subjects(question)
                   if not any(mentions(f"{h.doc.title}\n{h.chunk.text}", s) for h in hits))
    if absent:
        return Evidence(False, "no retrieved passage mentions " + ", ".join(absent), absent, best)
    return Evidence(True, "ok", missing, best)


def unmentioned(question: str, answer_text: str, citations: Sequence) -> tuple[str, ...]:
    """The question's named subjects when neither the answer, nor any quote it cites, nor a cited article's
    title mentions any of them: an answer about something else than what was asked. Empty when one is
    mentioned (the passages were checked for every subject before: an answer need not repeat them all)."""
    context = "\n".join([answer_text] + [c.quote for c in citations] + [c.hit.doc.title for c in citations])
    named = subjects(question)
    if any(mentions(context, s) for s in named):
        return ()
    return tuple(s.phrase for s in named)


_WHATS_NEW = re.compile(r"^\s*(?:so,?\s+)?(?:what'?s|what is|what are|what has been|anything)\s+(?:new|the latest|"
                        r"the news|happening|(?:the )?latest (?:news|developments?|updates?))\b|^\s*(?:latest|recent) "
                        r"(?:news|developments?|updates?)\b|^\s*what(?:'s| has) (?:changed|happened) (?:this|last|in "
                        r"the (?:last|past)) (?:week|few days|days)\b", re.IGNORECASE)


def asks_whats_new(question: str) -> bool:
    """Whether the question asks what is new ("What's new?", "What are the latest developments on the
    coalition?"): such a question is answered from the newest articles, not abstained on."""
    return bool(_WHATS_NEW.search(question))
