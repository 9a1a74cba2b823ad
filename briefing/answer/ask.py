"""``ask``: retrieve, decide whether there is evidence, draft with a generator, then verify every citation."""

from __future__ import annotations

from datetime import date
from typing import Callable

from briefing.answer.cite import check
from briefing.errors import UsageError
from briefing.answer.evidence import assess
from briefing.answer.generate import ExtractiveGenerator, Generator
# one sentence for "nothing to answer from", decided before any LLM call or written by the model itself
from briefing.answer.prompting import NO_ANSWER as INSUFFICIENT
from briefing.answer.retrieve import SearchSettings
from briefing.types import Answer



def answer(session, question: str, generator: Generator, *, k: int = 6, since: date | None = None,
           until: date | None = None, on_token: Callable[[str], None] | None = None) -> Answer:
    """Answer ``question`` from the index: every kept ``[n]`` resolves to a passage and an exact quote."""
    question = question.strip()
    if not question:
        raise UsageError('the question is empty; try: briefing ask "what did Macron announce"')
    hits = session.search(question, SearchSettings(k=k), since=since, until=until)
    evidence = assess(question, hits)
    if not evidence.sufficient:
        return Answer(question, INSUFFICIENT, (), True, (f"insufficient evidence: {evidence.reason}",),
                      generator.name, {}, tuple(hits))
    draft = generator.draft(question, hits, on_token=on_token)
    warnings = list(draft.warnings)
    if draft.text.strip().rstrip(".").lower() == INSUFFICIENT.rstrip(".").lower():
        # The evidence check found passages that bear on the question: do not give up silently on the model's say.
        fallback = ExtractiveGenerator().draft(question, hits)
        checked = check(fallback.text, fallback.passages)
        if not checked.citations:
            return Answer(question, INSUFFICIENT, (), True, (*warnings, "the model found no answer in the passages"),
                          draft.llm, draft.usage, draft.passages)
        warnings.append(f"{draft.llm} said the sources do not answer, but the evidence check found relevant "
                        "passages: this answer is their own sentences (extractive), not the model's")
        return Answer(question, checked.text, checked.citations, False, (*warnings, *checked.warnings),
                      f"extractive (after {draft.llm})", draft.usage, fallback.passages)
    checked = check(draft.text, draft.passages)
    warnings += checked.warnings
    text = checked.text
    if not checked.citations and not text.strip():
        text = INSUFFICIENT
        warnings.append("the generator found no sentence in the passages that answers the question")
    failed = sum(not c.supported for c in checked.citations)
    if checked.citations and failed * 2 > len(checked.citations):
        warnings.append(f"{failed} of {len(checked.citations)} citations could not be verified against their "
                        "passages: read this answer against the quotes")
    return Answer(question, text, checked.citations, not checked.citations, tuple(warnings), draft.llm,
                  draft.usage, draft.passages)
