"""Generators write a draft answer citing ``[n]`` = ``passages[n-1]``; :func:`make_generator` is the one place that
chooses which (extractive, an OpenAI-compatible endpoint, the local model, or the stub)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from briefing import config
from briefing.errors import UsageError
from briefing.types import Hit


@dataclass(frozen=True)
class Draft:
    """What a generator wrote, against which numbered passages, and what it cost."""

    text: str
    passages: tuple[Hit, ...]
    llm: str
    usage: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # how the draft was obtained, when the reader should know (a fallback, say)


class Generator(Protocol):
    """Writes a draft answer citing ``[n]`` = ``passages[n-1]``."""

    name: str

    def draft(self, question: str, hits: Sequence[Hit], on_token: Callable[[str], None] | None = None) -> Draft: ...


class ExtractiveGenerator:
    """The embedded default: the passages' own best sentences, each cited."""

    name = "extractive"

    def draft(self, question, hits, on_token=None) -> Draft:
        from briefing.answer.extractive import extract

        return Draft(extract(question, hits), tuple(hits), self.name)


class LLMGenerator:
    """Any chat model behind the ``LLM`` protocol (the OpenAI-compatible client, or the stub)."""

    def __init__(self, llm, max_context: int = config.DEFAULT_MAX_CONTEXT, focused: bool = False):
        self.llm = llm
        self.name = llm.name
        self.max_context = max_context
        # a small model: shown only the sentences that bear on the question (``focus``), and ``ask`` quotes what
        # its answer leaves out (``answer/complete.py``)
        self.focused = focused

    def draft(self, question, hits, on_token=None) -> Draft:
        from briefing.answer.prompting import ask_messages

        shown = list(hits)
        if self.focused:
            from briefing.answer.extractive import focus

            shown = focus(question, hits)
        messages, used = ask_messages(question, shown, max_context=self.max_context)
        if self.focused:  # citations are checked against the whole passages, not the excerpts the model saw;
            # the passages it was not shown are numbered after them, for the quotes that complete its answer
            whole = {(h.chunk.doc_id, h.chunk.ord): h for h in hits}
            used = [whole[(h.chunk.doc_id, h.chunk.ord)] for h in used]
            used += [h for h in hits if all(h is not u for u in used)]
        done = self.llm.complete(messages, on_token=on_token)
        return Draft(done.text, tuple(used), self.name, dict(done.usage), tuple(getattr(done, "notes", ())))


def choose(kind: str = "auto", local_model: str | None = None) -> str:
    """What ``auto`` means here: ``openai`` when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set, else ``local``
    when a local model is given or installed (with the llama.cpp bindings), else ``extractive``."""
    if kind != "auto":
        return kind
    env = config.settings()
    if env.endpoint_configured:
        return "openai"
    if local_model or env.local_model:
        return "local"
    from briefing.answer.local_models import bindings_available, installed_model

    return "local" if bindings_available() and installed_model() is not None else "extractive"


def make_generator(kind: str = "auto", model: str | None = None, max_context: int | None = None, *,
                   local_model: str | None = None, structured: bool | None = None) -> Generator:
    """The generator for ``--llm kind`` (see :func:`choose` for ``auto``). ``structured``: constrain the reply to
    the cited-sentences JSON schema (``answer/structured.py``); the default is on for the local model and
    ``BRIEFING_STRUCTURED`` (default off) for OpenAI-compatible servers."""
    kind = choose(kind, local_model)
    budget = config.max_context(max_context, config.DEFAULT_LOCAL_MAX_CONTEXT if kind == "local"
                                else config.DEFAULT_MAX_CONTEXT)
    focused = False  # a small model answers better from the few sentences that bear on the question
    if kind == "extractive":
        return ExtractiveGenerator()
    if kind == "stub":
        from briefing.answer.llm import StubLLM

        return LLMGenerator(StubLLM(), budget)
    if kind == "openai":
        from briefing.answer.llm import OpenAIChat

        llm = OpenAIChat(model)
        structured = config.settings().structured if structured is None else structured
    elif kind == "local":
        from briefing.answer.local import LocalChat

        llm = LocalChat(local_model, max_context=budget)
        structured = True if structured is None else structured
        focused = True
    else:
        raise UsageError(f"unknown --llm {kind!r}; choose auto, openai, local, extractive or stub")
    if structured:
        from briefing.answer.structured import StructuredChat

        llm = StructuredChat(llm)
    return LLMGenerator(llm, budget, focused)
