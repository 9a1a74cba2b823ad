"""``ask``: retrieve, decide whether there is evidence, draft with a generator, then verify every citation."""

from __future__ import annotations

from datetime import date
from typing import Callable

from briefing.answer.cite import check
from briefing.errors import UsageError
from briefing.answer.evidence import assess
from briefing.answer.generate import Generator
# one sentence for "nothing to answer from", decided before any LLM call or written by the model itself
from briefing.answer.prompting import NO_ANSWER as INSUFFICIENT
from briefing.answer.retrieve import SearchSettings
from briefing.types import Answer



def answer(session, question: str, generator: Generator, *, k: int = 6, since: date | None = None,
           until: date | None = None, on_token: Callable[[str], None] | None = None, verifier=None) -> Answer:
    """Answer ``question`` from the index: every kept ``[n]`` resolves to a passage and an exact quote.
    ``verifier`` (``verify.make_verifier``) gives a second opinion on each citation the rules pass."""
    question = question.strip()
    if not question:
        raise UsageError('the question is empty; try: briefing ask "what did Macron announce"')
    hits = session.search(question, SearchSettings(k=k), since=since, until=until)
    evidence = assess(question, hits)
    if not evidence.sufficient:
        return Answer(question, INSUFFICIENT, (), True, (f"insufficient evidence: {evidence.reason}",),
                      generator.name, {}, tuple(hits))
    draft = generator.draft(question, hits, on_token=on_token)
    if draft.text.strip().rstrip(".").lower() == INSUFFICIENT.rstrip(".").lower():
        return Answer(question, INSUFFICIENT, (), True, ("the model found no answer in the passages",), draft.llm,
                      draft.usage, draft.passages)
    checked = check(draft.text, draft.passages, second=verifier)
    warnings = list(checked.warnings) + list(getattr(verifier, "notes", ()))
    usage = dict(draft.usage)
    for k, v in getattr(verifier, "usage", {}).items():
        usage[f"verify_{k}"] = v
    text = checked.text
    if not checked.citations and not text.strip():
        text = INSUFFICIENT
        warnings.append("the generator found no sentence in the passages that answers the question")
    return Answer(question, text, checked.citations, not checked.citations, tuple(warnings), draft.llm,
                  usage, draft.passages)
