"""A small model's answer, completed with the sources' own sentences for what it leaves out.

A 1.5B model writes fluent, cited sentences but drops facts: asked for a number and a reaction it gives one, asked
for three names it gives two. The extractive choice of sentences (``extractive.evidence``, what ``extract`` would
answer with) is made anyway; each of those sentences whose figures, or most of whose content words, no *verified*
sentence of the model's answer states is quoted after the answer, verbatim and cited, under ``LEAD``. What the
model got wrong stays flagged ``[n?]``; the quote beside it is the passage's own words.
"""

from __future__ import annotations

import re
from typing import Sequence

from briefing.answer import numbers
from briefing.answer.claims import keys
from briefing.text import sentences
from briefing.types import Hit

LEAD = "Quoted from the sources, for what the answer above leaves out:"
COVERED = 0.6  # share of a source sentence's content words the verified answer must state for it to be covered
_VERIFIED = re.compile(r"\[\d+\](?!\?)")


def verified_text(checked_text: str) -> str:
    """The sentences of a checked answer that carry at least one verified ``[n]`` and no ``[n?]``."""
    out = []
    for a, b in sentences(checked_text):
        sent = checked_text[a:b]
        if _VERIFIED.search(sent) and "?]" not in sent:
            out.append(sent)
    return "\n".join(out)


def left_out(question: str, hits: Sequence[Hit], passages: Sequence[Hit], checked_text: str) -> list[str]:
    """Bullets ``- sentence [n]`` for each evidence sentence of ``hits`` (the retrieved passages, as ``extract``
    chooses from them) that the verified part of ``checked_text`` does not state: one of its figures is missing,
    or most of its content words are. ``n`` numbers the sentence's passage in ``passages`` (the draft's); a
    passage the draft does not number cannot be quoted."""
    from briefing.answer.extractive import evidence

    stated = verified_text(checked_text)
    have = keys(stated)
    number = {(h.chunk.doc_id, h.chunk.ord): n for n, h in enumerate(passages, 1)}
    out = []
    for i, spans in sorted(evidence(question, hits, max_sentences=4).items()):
        n = number.get((hits[i].chunk.doc_id, hits[i].chunk.ord))
        if n is None:
            continue
        text = passages[n - 1].chunk.text
        for a, b in spans:
            sent = " ".join(hits[i].chunk.text[a:b].split())
            if sent not in " ".join(text.split()):
                continue  # the draft's copy of the passage was cut before this sentence
            want = keys(sent)
            share = len(want & have) / len(want) if want else 1.0
            if numbers.unmatched(sent, stated) or share < COVERED:
                out.append(f"- {sent} [{n}]")
    return out
