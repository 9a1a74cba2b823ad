"""``ask``: retrieve, decide whether there is evidence, draft with a generator, then verify every citation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Protocol, Sequence

from .cite import check
from .errors import UsageError
from .evidence import assess
# one sentence for "nothing to answer from", decided before any LLM call or written by the model itself
from .prompting import NO_ANSWER as INSUFFICIENT
from .retrieve import SearchSettings
from .types import Answer, Hit



@dataclass(frozen=True)
class Draft:
    """What a generator wrote, against which numbered passages, and what it cost."""

    text: str
    passages: tuple[Hit, ...]
    llm: str
    usage: dict = field(default_factory=dict)


class Generator(Protocol):
    """Writes a draft answer citing ``[n]`` = ``passages[n-1]``."""

    name: str

    def draft(self, question: str, hits: Sequence[Hit], on_token: Callable[[str], None] | None = None) -> Draft: ...


class ExtractiveGenerator:
    """The embedded default: the passages' own best sentences, each cited."""

    name = "extractive"

    def draft(self, question, hits, on_token=None) -> Draft:
        from .extractive import extract

        return Draft(extract(question, hits), tuple(hits), self.name)


class LLMGenerator:
    """Any chat model behind the ``LLM`` protocol (the OpenAI-compatible client, or the stub)."""

    def __init__(self, llm, max_context: int = 3000):
        self.llm = llm
        self.name = llm.name
        self.max_context = max_context

    def draft(self, question, hits, on_token=None) -> Draft:
        from .prompting import ask_messages

        messages, used = ask_messages(question, hits, max_context=self.max_context)
        done = self.llm.complete(messages, on_token=on_token)
        return Draft(done.text, tuple(used), self.name, dict(done.usage))


def make_generator(kind: str = "auto", model: str | None = None, max_context: int | None = None) -> Generator:
    """``auto`` picks ``openai`` when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set, else ``extractive``."""
    if kind == "auto":
        kind = "openai" if (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")) else "extractive"
    budget = max_context or int(os.environ.get("BRIEFING_MAX_CONTEXT") or 3000)
    if kind == "extractive":
        return ExtractiveGenerator()
    if kind == "stub":
        from .llm import StubLLM

        return LLMGenerator(StubLLM(), budget)
    if kind == "openai":
        from .llm import OpenAIChat

        return LLMGenerator(OpenAIChat(model), budget)
    raise UsageError(f"unknown --llm {kind!r}; choose auto, openai, extractive or stub")


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
    if draft.text.strip().rstrip(".").lower() == INSUFFICIENT.rstrip(".").lower():
        return Answer(question, INSUFFICIENT, (), True, ("the model found no answer in the passages",), draft.llm,
                      draft.usage, draft.passages)
    checked = check(draft.text, draft.passages)
    warnings = list(checked.warnings)
    text = checked.text
    if not checked.citations and not text.strip():
        text = INSUFFICIENT
        warnings.append("the generator found no sentence in the passages that answers the question")
    return Answer(question, text, checked.citations, not checked.citations, tuple(warnings), draft.llm,
                  draft.usage, draft.passages)
