"""Structured output for small models: the reply is constrained to a JSON schema in which every sentence carries
the numbers of the passages it cites, then turned back into the usual ``sentence [n].`` draft, which is checked
like any other (``answer/cite.py``). :class:`StructuredChat` wraps any LLM whose ``complete`` takes ``schema=``
(the local model, an OpenAI-compatible server) and falls back to plain text where the server refuses the schema or
the reply does not parse."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Callable

from briefing.answer.llm import Completion, StructuredRefused
from briefing.text import sentences

_PASSAGE_N = re.compile(r'<passage n="(\d+)"')
_MARKER = re.compile(r"\s*\[(\d+)\??\]")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_END = re.compile(r"^(.*?)([.!?]+)([\"'\u201d\u2019)]*)$", re.DOTALL)
MAX_SENTENCES = 12

INSTRUCTION = (
    "\n\nReply in JSON only, in this form: "
    '{"sentences": [{"text": "One sentence of your reply.", "cites": [1]}, {"text": "Another one.", "cites": [2, 3]}]}. '
    'Each item is one sentence (or one bullet) of your reply, and "cites" lists the numbers of the passages that '
    'state it. Put no [n] markers inside "text". If the passages do not answer, reply {"sentences": []}.'
)


def schema(passages: int) -> dict:
    """The JSON schema of a reply citing passages ``1..passages``: a list of sentences, each citing at least one."""
    return {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "maxItems": MAX_SENTENCES,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "cites": {"type": "array", "minItems": 1, "maxItems": 4,
                                  "items": {"type": "integer", "enum": list(range(1, passages + 1))}},
                    },
                    "required": ["text", "cites"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["sentences"],
        "additionalProperties": False,
    }


def passage_count(messages: list[dict]) -> int:
    """How many numbered passages the last user message holds (their highest ``n``)."""
    user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
    return max((int(n) for n in _PASSAGE_N.findall(user)), default=0)


def with_instruction(messages: list[dict]) -> list[dict]:
    """``messages`` with the JSON reply format explained at the end of the system message."""
    out = [dict(m) for m in messages]
    system = next((m for m in out if m.get("role") == "system"), None)
    if system is None:
        out.insert(0, {"role": "system", "content": INSTRUCTION.strip()})
    else:
        system["content"] = f"{system.get('content', '')}{INSTRUCTION}"
    return out


def to_text(content: str, no_answer: str) -> str | None:
    """The draft text of a structured reply: each sentence ending with its ``[n]`` markers before its final stop,
    bullets kept as lines; ``no_answer`` for an empty list. ``None`` when ``content`` is not such a reply."""
    try:
        data = json.loads(content)
    except ValueError:
        return None
    items = data.get("sentences") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    lines: list[tuple[bool, str]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            return None
        cites = item.get("cites") if isinstance(item.get("cites"), list) else []
        text = item["text"].strip()
        numbers = [n for n in cites if isinstance(n, int) and not isinstance(n, bool)]
        said_all = _plain(text)
        if not said_all or _same(said_all, no_answer):
            continue
        bullet = bool(_BULLET.match(text))
        text = _BULLET.sub("", text)
        # markers the model wrote inside the text anyway cite the sentence they are in; the item's "cites" go to
        # its sentences that carry none (all of them, usually)
        said: list[tuple[str, list[int]]] = []
        for a, b in sentences(text) or [(0, len(text))]:
            own = [int(n) for n in _MARKER.findall(text[a:b])]
            if plain := _plain(text[a:b]):
                said.append((plain, own))
            elif said:  # markers after the stop ("Done. [2]") belong to the sentence before them
                said[-1][1].extend(own)
        lines.append((bullet, " ".join(_cite(plain, _marks(own or numbers)) for plain, own in said)))
    if not lines:
        return no_answer
    if any(bullet for bullet, _ in lines):
        return "\n".join(f"- {line}" for _, line in lines)
    return " ".join(line for _, line in lines)


def _plain(text: str) -> str:
    """``text`` without ``[n]`` markers, with no space left before punctuation and no comma before a stop
    ("on May 5, [1]." is "on May 5.")."""
    text = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", text))
    return re.sub(r"[,;:]+(?=[.!?])", "", text).strip()


def _marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in dict.fromkeys(numbers))


def _cite(sentence: str, marks: str) -> str:
    """``sentence`` with ``marks`` just before its final punctuation (and after a closing quote)."""
    sentence = sentence.strip()
    if not marks:
        return sentence
    m = _END.match(sentence)
    if m is None:  # a sentence left open ("... on May 5,": the model meant to go on) is closed where it stopped
        return f"{sentence.rstrip(',;:-–— ')} {marks}."
    body, stop, close = m.groups()
    return f"{body.rstrip()}{close} {marks}{stop[0]}"


def _same(a: str, b: str) -> bool:
    return a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower()


class StructuredChat:
    """An LLM whose replies are constrained to :func:`schema` and returned as ordinary cited draft text.

    ``llm.complete`` must accept ``schema=``. A server that refuses it (HTTP 400/422) is asked in plain text from
    then on; a reply that does not parse is asked again in plain text. Either is said in ``Completion.notes``."""

    def __init__(self, llm, no_answer: str | None = None) -> None:
        from briefing.answer.prompting import NO_ANSWER

        self.llm = llm
        self.name = llm.name
        self.no_answer = no_answer or NO_ANSWER
        self.refused: str | None = None

    def complete(self, messages: list[dict], *, on_token: Callable[[str], None] | None = None) -> Completion:
        count = passage_count(messages)
        if self.refused or count == 0:
            return self.llm.complete(messages, on_token=on_token)
        try:
            done = self.llm.complete(with_instruction(messages), schema=schema(count))
        except StructuredRefused as err:
            self.refused = str(err)
            plain = self.llm.complete(messages, on_token=on_token)
            return replace(plain, notes=(*plain.notes, f"the server refused structured output ({err}); "
                                         "the answer was asked for in plain text"))
        text = to_text(done.text, self.no_answer)
        if text is None:
            plain = self.llm.complete(messages, on_token=on_token)
            return replace(plain, notes=(*plain.notes, "the model's structured reply was not valid JSON; "
                                         "the answer was asked for again in plain text"),
                           usage=_add(done.usage, plain.usage))
        if on_token is not None:
            on_token(text)
        return replace(done, text=text)


def _add(a: dict, b: dict) -> dict:
    return {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b} if isinstance(a.get(k, 0), int) and
            isinstance(b.get(k, 0), int)}
