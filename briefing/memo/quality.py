"""Source quality: articles that read as machine-rewritten ("spun") or otherwise garbled text.

The measure is fluency (``fluency.py``): a language model's perplexity on the common words of a sample of each
source's body. A source is flagged when that is at least ``RATIO`` times the median of the memo's sources, so the
bar moves with the model and with what the week's news is about; it needs at least ``MIN_SOURCES`` scored sources
to compare with. Measured (README, memo section; ``benchmarks/source_quality.py``): on ``examples/articles`` only
``000_…`` is flagged; on the RealTimeQA dumps the flagged articles are listed there, each checked by hand.

A flagged source is still listed and may still be cited, marked as such, but only for what no other source
states (``build`` drops its sentences that another article's sentence says too, and ranks the rest last).
Without a local model nothing is scored, and the memo says so.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

from briefing.memo.fluency import Scorer, sample
from briefing.types import Document

RATIO = 4.0
MIN_SOURCES = 3


@dataclass(frozen=True)
class Quality:
    """A source's perplexity, its ratio to the median of the sources it was compared with, and the verdict."""

    perplexity: float
    median: float
    flagged: bool

    @property
    def ratio(self) -> float:
        return self.perplexity / self.median if self.median else 0.0

    @property
    def reason(self) -> str:
        return (f"reads as machine-rewritten or garbled text (a language model finds it {self.ratio:.1f} times "
                "harder to predict than the other sources' median)")


def assess_sources(docs: Sequence[Document], scorer: Scorer) -> dict[str, Quality]:
    """Each scorable source's ``Quality`` against the others in ``docs``, by document id; empty when fewer than
    ``MIN_SOURCES`` could be scored."""
    scored = {}
    for d in docs:
        f = scorer.fluency(sample(d.text, d.title))
        if f is not None:
            scored[d.id] = f.perplexity
    if len(scored) < MIN_SOURCES:
        return {}
    med = statistics.median(scored.values())
    return {i: Quality(p, med, p >= RATIO * med) for i, p in scored.items()}


def median_perplexity(qualities: dict[str, Quality]) -> float | None:
    """The median the sources were compared with, or None when none were."""
    return next(iter(qualities.values())).median if qualities else None


def checked_note(scorer: Scorer | bool | None, qualities: dict[str, Quality] | None) -> str:
    """The memo header's line on source quality: how the sources were checked, or why they were not."""
    if scorer is False:
        return "source fluency not checked (--no-check-sources)"
    if scorer is None:
        return "source fluency not checked (needs a local model: briefing local install)"
    if not qualities:
        return f"source fluency not checked (fewer than {MIN_SOURCES} sources to compare)"
    flagged = sum(q.flagged for q in qualities.values())
    return (f"source fluency checked with {scorer.name}: {flagged} of {len(qualities)} "
            f"source{'' if len(qualities) == 1 else 's'} flagged")
