"""``ask``: retrieve, decide whether there is evidence, draft with a generator, then verify every citation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from briefing.answer.cite import check
from briefing.answer.complete import LEAD, left_out
from briefing.answer.dating import resolve_relative_dates
from briefing.errors import UsageError
from briefing.answer.evidence import FLOOR, asks_whats_new, assess, unmentioned
from briefing.answer.generate import Draft, ExtractiveGenerator, Generator
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
    warnings = list(draft.warnings)
    if draft.text.strip().rstrip(".").lower() == INSUFFICIENT.rstrip(".").lower():
        # The evidence check found passages that bear on the question: do not give up silently on the model's say.
        return _fallback(question, hits, draft, warnings, lead,
                         f"{draft.llm} said the sources do not answer, but the evidence check found relevant passages",
                         "the model found no answer in the passages")
    completes = getattr(generator, "focused", False)
    # a completed answer is checked twice: by the rules to see what it leaves out, then whole (the second opinion
    # of ``verifier`` only then, so it is asked once per sentence)
    checked = own = check(draft.text, draft.passages, second=None if completes else verifier)
    if completes:
        extra = left_out(question, hits, draft.passages, checked.text)
        if extra:
            warnings.append(f"{draft.llm}'s answer leaves out what {len(extra)} source sentence"
                            f"{'' if len(extra) == 1 else 's'} state: quoted after it")
        if extra or verifier is not None:
            text = "\n\n".join([draft.text.rstrip(), "\n".join([LEAD, *extra])]) if extra else draft.text
            checked = check(text, draft.passages, second=verifier)
            own = own if extra else checked
    warnings += list(getattr(verifier, "notes", ()))
    usage = dict(draft.usage)
    for key, value in getattr(verifier, "usage", {}).items():
        usage[f"verify_{key}"] = value
    text = checked.text
    if not checked.citations and not text.strip():
        return Answer(question, INSUFFICIENT, (), True, (*warnings, *checked.warnings,
                      "the generator found no sentence in the passages that answers the question"), draft.llm,
                      draft.usage, draft.passages)
    absent = unmentioned(question, text, checked.citations) if checked.citations else []
    if absent:
        reason = f"no cited sentence mentions {', '.join(absent)}"
        if draft.llm == ExtractiveGenerator.name:
            # the answer is about something else than what was asked: say so rather than quote its neighbours
            return Answer(question, INSUFFICIENT, (), True, (f"insufficient evidence: {reason}",), draft.llm,
                          draft.usage, draft.passages)
        return _fallback(question, hits, draft, warnings, lead, f"{draft.llm}'s answer: {reason}",
                         f"insufficient evidence: {reason}")
    warnings += checked.warnings
    if checked.citations:
        text = lead + resolve_relative_dates(text, checked.citations)
    failed = sum(not c.supported for c in own.citations)  # the model's own, not the quotes that complete it
    if own.citations and failed * 2 > len(own.citations):
        warnings.append(f"{failed} of {len(own.citations)} citations could not be verified against their "
                        "passages: read this answer against the quotes")
    return Answer(question, text, checked.citations, not checked.citations, tuple(warnings), draft.llm,
                  usage, draft.passages)


def _fallback(question: str, hits, draft: Draft, warnings: list[str], lead: str, why: str, nothing: str) -> Answer:
    """The sources' own sentences (extractive) where a model's draft cannot stand, said in ``warnings``; the
    no-answer sentence with ``nothing`` when they hold no answer either."""
    fallback = ExtractiveGenerator().draft(question, hits)
    checked = check(fallback.text, fallback.passages)
    if not checked.citations or unmentioned(question, checked.text, checked.citations):
        return Answer(question, INSUFFICIENT, (), True, (*warnings, nothing), draft.llm, draft.usage, draft.passages)
    warnings.append(f"{why}: this answer is their own sentences (extractive), not the model's")
    text = lead + resolve_relative_dates(checked.text, checked.citations)
    return Answer(question, text, checked.citations, False, (*warnings, *checked.warnings),
                  f"extractive (after {draft.llm})", draft.usage, fallback.passages)
