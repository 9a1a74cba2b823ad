"""Generators write a draft answer citing ``[n]`` = ``passages[n-1]``; :func:`make_generator` is the one place that
chooses which (extractive, an OpenAI-compatible endpoint, or the stub)."""

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

    def __init__(self, llm, max_context: int = config.DEFAULT_MAX_CONTEXT):
        self.llm = llm
        self.name = llm.name
        self.max_context = max_context

    def draft(self, question, hits, on_token=None) -> Draft:
        from briefing.answer.prompting import ask_messages

        messages, used = ask_messages(question, hits, max_context=self.max_context)
        done = self.llm.complete(messages, on_token=on_token)
        return Draft(done.text, tuple(used), self.name, dict(done.usage))


def make_generator(kind: str = "auto", model: str | None = None, max_context: int | None = None) -> Generator:
    """``auto`` picks ``openai`` when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set, else ``extractive``."""
    if kind == "auto":
        kind = "openai" if config.settings().endpoint_configured else "extractive"
    budget = config.max_context(max_context)
    if kind == "extractive":
        return ExtractiveGenerator()
    if kind == "stub":
        from briefing.answer.llm import StubLLM

        return LLMGenerator(StubLLM(), budget)
    if kind == "openai":
        from briefing.answer.llm import OpenAIChat

        return LLMGenerator(OpenAIChat(model), budget)
    raise UsageError(f"unknown --llm {kind!r}; choose auto, openai, extractive or stub")
