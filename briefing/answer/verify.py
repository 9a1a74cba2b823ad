"""``--verify llm``: a second opinion from the configured LLM on every citation the rules passed.

One short call per cited sentence: the sentence and the quotes that support it (not whole passages), and the model
answers ``YES: <span>`` or ``NO: <what is not stated>``. A "no" flags the sentence's citations like a failed rule,
with the model's words as the reason; a "yes", an unreadable reply or a failed call never verifies anything the
rules did not: the opinion can only add flags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefing import config
from briefing.errors import BriefingError, UsageError

VERIFY_CHOICES = ("rules", "llm")
_VERDICT = re.compile(r"^\W*(yes|no)\b\W*(.*)", re.IGNORECASE | re.DOTALL)
_REASON_CHARS = 100
_SPACE_BEFORE = re.compile(r"\s+([.,;:!?])")  # left where a citation marker was cut out


class LLMVerifier:
    """A ``cite.SecondOpinion`` backed by an ``LLM``; ``notes`` collects replies it could not use, and ``usage``
    the tokens spent."""

    def __init__(self, llm) -> None:
        self.llm = llm
        self.notes: list[str] = []
        self.usage: dict[str, int] = {}
        self.calls = 0

    def __call__(self, sentence: str, quotes: Sequence[str]) -> str | None:
        from briefing.answer.prompting import neutralise, prompt_env

        env = prompt_env()
        messages = [
            {"role": "system", "content": env.get_template("verify_system.j2").render()},
            {"role": "user", "content": env.get_template("verify_user.j2").render(
                quotes=[neutralise(" ".join(q.split())).replace("</quote", "\u2039/quote") for q in quotes],
                sentence=_SPACE_BEFORE.sub(r"\1", " ".join(sentence.split())))},
        ]
        self.calls += 1
        try:
            done = self.llm.complete(messages)
        except BriefingError as exc:
            self.notes.append(f"--verify llm: no second opinion on \"{_short(sentence)}\": {exc}")
            return None
        for k, v in (done.usage or {}).items():
            if isinstance(v, int):
                self.usage[k] = self.usage.get(k, 0) + v
        m = _VERDICT.match(done.text.strip())
        if m is None:
            self.notes.append(f"--verify llm: unreadable reply about \"{_short(sentence)}\": {_short(done.text)}")
            return None
        if m.group(1).lower() == "yes":
            return None
        why = _short(m.group(2).strip().strip('"')) or "it is not stated"
        return f"the model finds {{where}} does not state it: {why}"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _REASON_CHARS else flat[: _REASON_CHARS - 3].rstrip() + "..."


def make_verifier(kind: str, generator=None, model: str | None = None):
    """``rules`` -> None (the rules alone); ``llm`` -> an ``LLMVerifier`` on the generator's own LLM when it has
    one, else on the configured OpenAI-compatible endpoint (a usage error when there is none)."""
    if kind == "rules":
        return None
    if kind != "llm":
        raise UsageError(f"unknown --verify {kind!r}; choose rules or llm")
    llm = getattr(generator, "llm", None)
    if llm is None:
        if not config.settings().endpoint_configured:
            raise UsageError("--verify llm needs an LLM: set OPENAI_BASE_URL (a local server) or OPENAI_API_KEY")
        from briefing.answer.llm import OpenAIChat

        llm = OpenAIChat(model)
    return LLMVerifier(llm)
