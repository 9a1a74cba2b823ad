"""Source quality: articles whose text was machine-rewritten ("spun") or is otherwise of low fluency.

Article spinners replace words by thesaurus entries without regard to sense or grammar. What they leave is
recognisable: paraphrases no editor writes, in places where the plain word belongs ("essentially the most" for
"most", "make stronger" for "support", "becoming a member of" for "joining", "the former night time" for "the
previous night", "led via" for "led by", "the place Russia pledged" for "where"). ``_MARKERS`` lists such forms;
each is a pattern of broken grammar, not a topic word, so it holds for any subject.

An article is flagged when it shows at least ``MIN_FORMS`` different forms and at least one per ``PER_SENTENCES``
sentences. Measured (README, memo section): on ``examples/articles`` only ``000_…`` is flagged; on the 616
articles of ``../shared/corpus/realtimeqa-2025-01`` the number flagged is reported there, each checked by hand.

A flagged source is still listed and may still be cited, marked as such, but only for what no other source
states (``build`` drops its sentences that another article's sentence says too, and ranks the rest last).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefing.text import sentences

MIN_FORMS = 3
PER_SENTENCES = 12

# Each form is the spinner's paraphrase of a plain word put where that word's grammar does not allow it.
_MARKERS = [re.compile(p) for p in (
    r"\b[Ee]ssentially the most\b",                              # most
    r"\b(?:the|a|in|for|of|[a-z]+wide|escalated) make stronger\b",  # support (as a noun)
    r"\b[Bb]ecoming a member of\b",                              # joining
    r"\bout of doors\b",                                         # outside
    r"\bin particular person\b",                                 # in person
    r"\b's web hosting\b",                                       # hosting
    r"\bthe former (?:night time|night|weekend|week)\b",         # the previous night
    r"\bnight time,? (?:[a-z]+ing|prior)\b",                     # night, setting ...
    r"\bper week (?:prior|previous|in the past)\b",              # a week earlier
    r"\bjust about per\b",                                       # nearly a
    r"\blooked as if it would\b",                                # appeared to
    r"\b(?:[Ll]ed|[Hh]osted|[Oo]rgani[sz]ed) via\b",             # led by
    r"\bthe place [A-Z][a-z]+ [a-z]+ed\b",                       # where
    r"\bby means of (?:videoconference|video|telephone)\b",      # by
    r"\bto start with [a-z]+ed\b",                               # initially
    r"\bsurroundings an? [a-z]+\b",                              # setting a
    r"\battached on-line\b",                                     # connected online
    r"\b[a-z]+ [a-z]+ calls for, apart from\b",                  # demands, excluding
)]


@dataclass(frozen=True)
class Quality:
    """How an article reads: the spinner forms found in it (``forms``, distinct) and whether it is flagged."""

    forms: tuple[str, ...]
    sentences: int
    flagged: bool

    @property
    def reason(self) -> str:
        shown = ", ".join(f'"{f}"' for f in self.forms[:3])
        return f"reads as machine-rewritten text ({len(self.forms)} garbled phrasings such as {shown})"


def assess(text: str) -> Quality:
    """The ``Quality`` of an article's text (see the module docstring)."""
    n = len(sentences(text))
    forms: dict[str, None] = {}
    for pattern in _MARKERS:
        m = pattern.search(text)
        if m:
            forms.setdefault(" ".join(m.group(0).split()).lower(), None)
    found = tuple(forms)
    flagged = len(found) >= MIN_FORMS and len(found) * PER_SENTENCES >= n
    return Quality(found, n, flagged)
