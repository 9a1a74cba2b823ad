"""Chat prompts for cited answers: Jinja templates from ``briefing.prompts``, filled within a token budget."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import replace
from importlib import resources
from typing import Callable, Sequence

import jinja2

from briefing import config
from briefing.config import display_path
from briefing.errors import UsageError
from briefing.text import sentences
from briefing.types import Hit, Span

# Fits a 4096-token local model (llama.cpp's and many Ollama setups' default) with room for a 700-token answer
# and a few hundred tokens of slack for the estimate's error.
DEFAULT_MAX_CONTEXT = config.DEFAULT_MAX_CONTEXT
# The fixed sentence the model must answer with when the passages do not answer; callers detect it verbatim.
NO_ANSWER = "The sources do not answer this question."
# Chat templates wrap each message in a few special tokens (role markers, separators).
TOKENS_PER_MESSAGE = 4
# A passage cut to fewer tokens than this tells the model too little to be worth its place in the prompt.
MIN_CUT_TOKENS = 40

_TAG = re.compile(r"<(\s*/?\s*)(passage)", re.IGNORECASE)
_WIDE = re.compile(r"[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


@functools.lru_cache(maxsize=1)
def prompt_env() -> jinja2.Environment:
    """The Jinja environment for ``prompts/*.j2``: Jinja2's sandbox (a prompt template reads its variables and
    nothing of Python's internals), strict undefined, no autoescape, trailing newlines kept."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=jinja2.FunctionLoader(_load_template),
        undefined=jinja2.StrictUndefined,  # a misspelt variable is a bug, not an empty string in the prompt
        autoescape=False,  # plain text for a model, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # packaged templates do not change while we run
    )


def _load_template(name: str) -> tuple[str, None, Callable[[], bool]] | None:
    res = resources.files("briefing.prompts").joinpath(name)
    if not res.is_file():
        return None  # -> jinja2.TemplateNotFound
    return res.read_text(encoding="utf-8"), None, lambda: True


def estimate_tokens(text: str) -> int:
    """Roughly how many tokens ``text`` costs, with no tokenizer: ASCII at 4 characters a token, other letters
    (accented Latin, Cyrillic, Greek...) at 2, CJK and other wide characters at 1 each, rounded up.

    About right for English in GPT and Llama tokenizers, and on the high side elsewhere, so a budget holds.
    """
    if not text:
        return 0
    ascii_n = len(text.encode("ascii", "ignore"))
    wide_n = len(_WIDE.findall(text)) if ascii_n < len(text) else 0
    other_n = len(text) - ascii_n - wide_n
    return math.ceil(ascii_n / 4 + other_n / 2 + wide_n)


def system_prompt() -> str:
    """The system message: the citation rules, with valid and invalid examples. The same for every question."""
    return prompt_env().get_template("ask_system.j2").render(no_answer=NO_ANSWER)


def ask_messages(
    question: str, hits: Sequence[Hit], *, max_context: int = DEFAULT_MAX_CONTEXT
) -> tuple[list[dict], list[Hit]]:
    """Chat messages asking ``question`` about ``hits``, and the hits they include, numbered ``[1]..[k]`` in order.

    ``hits`` come best first. The whole prompt (system + user, by ``estimate_tokens``) stays within
    ``max_context`` tokens: passages are added in order, one that does not fit whole is cut at a sentence or
    word boundary when at least ``MIN_CUT_TOKENS`` remain (its returned hit then holds the shortened chunk, so
    ``chunk.text`` is exactly what the model saw), otherwise it is dropped and smaller later ones may still fit.
    Raises ``UsageError`` when the instructions and question alone do not fit, or no passage fits at all.
    """
    question = " ".join(question.split())
    if not question:
        raise UsageError("the question is empty; ask something, e.g. briefing ask \"what did Macron announce\"")
    system = system_prompt()
    user_template = prompt_env().get_template("ask_user.j2")

    def cost(passages: list[dict]) -> int:
        user = user_template.render(passages=passages, question=question, no_answer=NO_ANSWER)
        return estimate_tokens(system) + estimate_tokens(user) + 2 * TOKENS_PER_MESSAGE

    base = cost([])
    if base > max_context:
        raise UsageError(
            f"--max-context {max_context} is too small for the instructions and the question (about {base} "
            f"tokens); raise it to at least {base + 500}, or use the default {DEFAULT_MAX_CONTEXT}"
        )

    included: list[Hit] = []
    passages: list[dict] = []
    for hit in hits:
        n = len(included) + 1
        whole = passage_fields(n, hit, hit.chunk.text)
        if cost([*passages, whole]) <= max_context:
            included.append(hit)
            passages.append(whole)
            continue
        room = max_context - cost([*passages, passage_fields(n, hit, "")])
        if room < MIN_CUT_TOKENS:
            continue  # no room for a useful piece of this one; a shorter passage further down may still fit
        cut = _cut_to_fit(hit.chunk.text, lambda t: cost([*passages, passage_fields(n, hit, t)]) <= max_context)
        if not cut:
            continue
        short = _shorten(hit, cut)
        included.append(short)
        passages.append(passage_fields(n, short, short.chunk.text))
        break  # the budget is spent

    if hits and not included:
        raise UsageError(
            f"--max-context {max_context} leaves no room for any passage after the instructions and the question "
            f"(about {base} tokens); raise it, e.g. to the default {DEFAULT_MAX_CONTEXT}"
        )
    user = user_template.render(passages=passages, question=question, no_answer=NO_ANSWER)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], included


def passage_fields(n: int, hit: Hit, text: str) -> dict:
    """The template variables of passage ``n`` (``hit`` showing ``text``), for the ask and memo prompts. Everything
    from the article is defused: it is untrusted. The location names the file as the user sees it
    (``config.display_path``: relative to the working directory when under it), as the sources list does."""
    doc, span = hit.doc, hit.chunk.span
    return {
        "n": n,
        "title": _attr(doc.title) or "untitled",
        "source": _attr(doc.source or "") or "unknown",
        "date": doc.published.isoformat() if doc.published else "undated",
        "location": _attr(f"{display_path(doc.path)}:L{span.line_start}-L{span.line_end}"),
        "text": neutralise(text.strip()),
    }


def neutralise(text: str) -> str:
    """Article text that cannot open or close a ``<passage>`` delimiter: ``</passage`` becomes ``‹/passage``.

    Jinja never compiles variable values, so ``{{ 7*7 }}`` or ``{% raw %}`` in an article already stay literal;
    this only stops an article from ending its own passage early and posing as instructions or the question.
    """
    return _TAG.sub(lambda m: "\u2039" + m.group(1) + m.group(2), text)


def _attr(value: str) -> str:
    """A value safe inside ``attr="..."``: one line, no quotes or angle brackets, at most 160 characters."""
    value = " ".join(value.split()).replace('"', "'").replace("<", "\u2039").replace(">", "\u203a")
    return value if len(value) <= 160 else value[:159] + "\u2026"


def _cut_to_fit(text: str, fits: Callable[[str], bool]) -> str:
    """The longest prefix of ``text`` for which ``fits`` holds, pulled back to a sentence end, else a word end."""
    lo, hi = 0, len(text)  # invariant: text[:lo] fits (an empty passage fits: the caller checked the room)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(text[:mid]):
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return ""
    ends = [end for _, end in sentences(text) if end <= lo]
    # A sentence end is the cleanest cut, unless it would throw away more than half of what fits.
    if ends and ends[-1] >= lo // 2:
        return text[: ends[-1]]
    if lo < len(text) and not text[lo].isspace():  # mid-word: back up to the last whitespace, if any
        word = re.search(r"\s\S*$", text[:lo])
        if word and word.start() > 0:
            lo = word.start()
    return text[:lo].rstrip()


def _shorten(hit: Hit, prefix: str) -> Hit:
    """``hit`` with its chunk cut to ``prefix`` (a prefix of its text): same start, fewer characters and lines."""
    chunk, span = hit.chunk, hit.chunk.span
    line_end = min(span.line_end, span.line_start + prefix.count("\n"))
    new_span = Span(span.char_start, span.char_start + len(prefix), span.line_start, line_end)
    return replace(hit, chunk=replace(chunk, text=prefix, span=new_span))
