"""Key facts ("nuggets"): which of the facts a correct answer must state an answer does state.

A question may carry ``"nuggets": [["France", "French"], ["Britain", "British"]]``: each inner list is one key fact
written in alternative ways. A fact is stated when any alternative occurs in the answer's text as whole words,
compared case-insensitively after Unicode normalisation (:func:`normalise`), with the
citation markers ``[n]`` taken out. An abstention states no fact.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

_QUOTES = re.compile(r"[\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_ABBREVIATION = re.compile(r"(?<!\w)[^\W\d](?:\.\w)+\.?(?!\w)")  # d.c., U.S.; not a number such as 3.5


def normalise(text: str) -> str:
    """Text for answer-string matching: NFKC, case-folded, quote marks dropped, dashes as "-", the dots of
    abbreviations dropped, runs of whitespace as one space, trimmed. An answer written as “Emilia Pérez” is found
    in text that says Emilia Pérez, and "Washington, DC" in "Washington, D.C."."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ABBREVIATION.sub(lambda m: m.group().replace(".", ""), _QUOTES.sub("", text))
    return " ".join(_DASHES.sub("-", text).split())


def contains(text: str, part: str) -> bool:
    """Whether normalised ``part`` occurs in normalised ``text`` as whole words: "India" is not found in "Indiana",
    "$15,000" is found in "rose to $15,000."."""
    # A number's digit groups count as part of it: "$15" is not found in "$15,000", nor "000" in it.
    after = r"(?![.,]?\w)" if part[-1:].isdigit() else r"(?!\w)"
    return re.search(r"(?<!\w)(?<!\d[.,])" + re.escape(part) + after, text) is not None


def answer_parts(answer: str) -> list[str]:
    """The normalised parts an answer needs: "Philadelphia Eagles & Kansas City Chiefs" needs both teams."""
    return [p for p in (normalise(x) for x in re.split(r"\s+&\s+", answer)) if p]


_MARKERS = re.compile(r"\[\d+\??\]")


def answer_body(text: str) -> str:
    """An answer's text without its citation markers, so "[1]" never counts as a stated "1"."""
    return _MARKERS.sub(" ", text)


@dataclass(frozen=True)
class Facts:
    """One question's key facts: those the answer stated, those it missed (each named by its first alternative),
    and how many the passages it was given hold (what an answer could have stated)."""

    stated: tuple[str, ...]
    missed: tuple[str, ...]
    in_passages: int

    @property
    def total(self) -> int:
        return len(self.stated) + len(self.missed)

    @property
    def recall(self) -> float:
        return len(self.stated) / self.total if self.total else 0.0


def parse_nuggets(value: object) -> tuple[tuple[str, ...], ...] | None:
    """``[["a", "b"], ["c"]]`` (or ``["a", "c"]``, one alternative each) to a tuple of alternatives; None when
    the value is not of that shape."""
    if value is None:
        return ()
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        alternatives = [item] if isinstance(item, str) else item
        if not isinstance(alternatives, list) or not alternatives:
            return None
        if not all(isinstance(a, str) and a.strip() for a in alternatives):
            return None
        out.append(tuple(a.strip() for a in alternatives))
    return tuple(out)


def states(text: str, alternatives: Sequence[str]) -> bool:
    """Whether normalised ``text`` states one of ``alternatives`` as whole words."""
    return any(contains(text, normalise(a)) for a in alternatives if normalise(a))


def check_facts(nuggets: Sequence[Sequence[str]], answer: str | None, passages: Iterable[str]) -> Facts:
    """Score ``answer`` (None when it abstained) and the ``passages`` it was drawn from against ``nuggets``."""
    said = normalise(answer_body(answer)) if answer else ""
    pool = normalise(" \n ".join(passages))
    stated, missed = [], []
    for alternatives in nuggets:
        (stated if said and states(said, alternatives) else missed).append(alternatives[0])
    held = sum(states(pool, alternatives) for alternatives in nuggets)
    return Facts(tuple(stated), tuple(missed), held)
