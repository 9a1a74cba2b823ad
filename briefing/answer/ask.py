"""``ask``: retrieve, decide whether there is evidence, draft with a generator, then verify every citation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from briefing.answer.cite import check
from briefing.answer.dating import resolve_relative_dates
from briefing.errors import UsageError
from briefing.answer.evidence import FLOOR, asks_whats_new, assess, unmentioned
from briefing.answer.generate import Generator
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
    lead = ""
    recent = asks_whats_new(question) and since is None and until is None
    if recent:  # "what's new": the newest week of articles, newest first
        newest = session.store.date_range()[1]
        if newest is not None:
            since = newest - timedelta(days=6)
            lead = (f"From the newest articles, {since.isoformat()} to {newest.isoformat()} "
                    "(`briefing memo` writes the full weekly briefing):\n")
    hits = session.search(question, SearchSettings(k=k), since=since, until=until)
    if recent:
        hits = sorted(hits, key=lambda h: h.doc.published or date.min, reverse=True)
    evidence = assess(question, hits, floor=0.0 if recent else FLOOR)
    if not evidence.sufficient:
        return Answer(question, INSUFFICIENT, (), True, (f"insufficient evidence: {evidence.reason}",),
                      generator.name, {}, tuple(hits))
    draft = generator.draft(question, hits, on_token=on_token)
    if draft.text.strip().rstrip(".").lower() == INSUFFICIENT.rstrip(".").lower():
        return Answer(question, INSUFFICIENT, (), True, ("the model found no answer in the passages",), draft.llm,
                      draft.usage, draft.passages)
    checked = check(draft.text, draft.passages)
    warnings = list(checked.warnings)
    text = checked.text
    if not checked.citations and not text.strip():
        text = INSUFFICIENT
        warnings.append("the generator found no sentence in the passages that answers the question")
    elif checked.citations and (absent := unmentioned(question, text, checked.citations)):
        # the answer is about something else than what was asked: say so rather than quote its neighbours
        return Answer(question, INSUFFICIENT, (), True,
                      (f"insufficient evidence: no cited sentence mentions {', '.join(absent)}",), draft.llm,
                      draft.usage, draft.passages)
    elif checked.citations:
        text = lead + resolve_relative_dates(text, checked.citations)
    return Answer(question, text, checked.citations, not checked.citations, tuple(warnings), draft.llm,
                  draft.usage, draft.passages)
