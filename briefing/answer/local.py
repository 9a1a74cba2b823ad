"""``--llm local``: a GGUF chat model run in this process through llama.cpp (``llama_cpp``), behind the same ``LLM``
protocol as the OpenAI-compatible client. The model is loaded once per process (a memo's calls reuse it, and
llama.cpp reuses the cached prefix they share), with as many threads as this process may use and a context sized
to the prompt."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

from briefing import config
from briefing.answer.llm import Completion, StructuredRefused
from briefing.errors import LLMError

CONTEXT_STEP = 512
TEMPLATE_TOKENS = 64  # the chat template's role markers around the messages
_LOADED: dict[str, object] = {}
_LOCK = threading.Lock()


def threads() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def load(path: Path, n_ctx: int, *, logits_all: bool = False):
    """The ``llama_cpp.Llama`` for ``path`` with a context of at least ``n_ctx`` tokens, loaded once per process
    (again only when a longer prompt needs a bigger context). ``logits_all``: keep every position's logits (for
    scoring text, ``memo/fluency.py``), a separate instance."""
    key = f"{path}|logits" if logits_all else str(path)
    with _LOCK:
        llm = _LOADED.get(key)
        if llm is not None and llm.n_ctx() >= n_ctx:
            return llm
        # llama.cpp's OpenMP threads spin while they wait; on a CPU shared with other work that halves the speed
        # (600 prompt tokens at 4 tok/s with 2 spinning threads against 7.6 passive, load average 17 on 2 cores).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import llama_cpp
        except ImportError:
            raise LLMError("the llama.cpp bindings are not installed; run: briefing local install") from None
        if llm is not None:
            llm.close()
        cores = threads()
        try:
            llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=CONTEXT_STEP, n_ubatch=CONTEXT_STEP,
                                  n_threads=cores, n_threads_batch=cores, logits_all=logits_all, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"llama.cpp cannot load {path} ({' '.join(str(exc).split())[:160]}); "
                           "check that it is a GGUF chat model, or run: briefing local install") from None
        _LOADED[key] = llm
        return llm


def _round_up(n: int) -> int:
    return -(-n // CONTEXT_STEP) * CONTEXT_STEP


class LocalChat:
    """A local GGUF model. ``model``: a path, an installed model's name, else ``BRIEFING_LOCAL_MODEL``, else the
    installed default (see :func:`briefing.answer.local_models.resolve`). ``max_context`` is the prompt budget the
    context is first sized for; ``complete`` grows it when a prompt needs more."""

    def __init__(self, model: str | None = None, *, max_context: int = config.DEFAULT_MAX_CONTEXT,
                 max_tokens: int = 700, temperature: float = 0.0) -> None:
        from briefing.answer.local_models import resolve

        self.path = resolve(model)
        self.name = f"local:{self.path.stem}"
        self.max_context = max_context
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.last_perf: dict = {}

    def complete(self, messages: list[dict], *, on_token: Callable[[str], None] | None = None,
                 schema: dict | None = None) -> Completion:
        """Answer ``messages``; with ``schema``, constrained to that JSON schema by llama.cpp's grammar sampler."""
        llm = load(self.path, _round_up(self.max_context + self.max_tokens + TEMPLATE_TOKENS))
        text = "\n".join(str(m.get("content", "")) for m in messages)
        prompt_tokens = len(llm.tokenize(text.encode("utf-8"), add_bos=False)) + TEMPLATE_TOKENS
        need = prompt_tokens + self.max_tokens
        if need > llm.n_ctx():
            llm = load(self.path, _round_up(need))
        kwargs: dict = {"messages": messages, "temperature": self.temperature,
                        "max_tokens": min(self.max_tokens, llm.n_ctx() - prompt_tokens)}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        import llama_cpp

        from briefing.answer import prefix_cache

        system = next((str(m.get("content", "")) for m in messages if m.get("role") == "system"), "")
        kept = prefix_cache.location(self.path, system) if system else None
        restored = prefix_cache.restore(llm, kept)
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        start = time.perf_counter()
        try:
            if on_token is not None and schema is None:
                text, usage, finish = self._stream(llm, kwargs, on_token)
            else:
                resp = llm.create_chat_completion(**kwargs)
                choice = resp["choices"][0]
                text, usage, finish = choice["message"]["content"] or "", dict(resp.get("usage") or {}), \
                    choice.get("finish_reason")
        except ValueError as exc:  # llama.cpp's errors: a prompt over the context, a schema it cannot compile
            detail = " ".join(str(exc).split())[:200]
            if schema is not None and "grammar" in detail.lower():
                raise StructuredRefused(f"llama.cpp cannot use the JSON schema: {detail}") from None
            raise LLMError(f"the local model failed: {detail}") from None
        self.last_perf = _perf(llm, time.perf_counter() - start)
        read = self.last_perf["prompt_n"]
        if usage.get("prompt_tokens", 0) > read:  # the prefix llama.cpp did not read again (kept, or restored)
            usage["cached_prompt_tokens"] = usage["prompt_tokens"] - read
        if not restored:
            prefix_cache.save(llm, kept, system)
        if not text.strip():
            raise LLMError("the local model returned an empty answer; try again or try another model (--local-model)")
        return Completion(text=text, usage=usage, model=self.path.stem, finish_reason=finish)

    @staticmethod
    def _stream(llm, kwargs: dict, on_token: Callable[[str], None]) -> tuple[str, dict, str | None]:
        parts: list[str] = []
        finish = None
        for chunk in llm.create_chat_completion(**kwargs, stream=True):
            choice = chunk["choices"][0]
            piece = choice.get("delta", {}).get("content")
            if piece:
                parts.append(piece)
                on_token(piece)
            finish = choice.get("finish_reason") or finish
        text = "".join(parts)
        completion = len(llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
        return text, {"completion_tokens": completion}, finish


def _perf(llm, wall: float) -> dict:
    """llama.cpp's own counters for the last call (prompt and generation tokens and milliseconds) and its wall
    time: what ``benchmarks/local_llm.py`` compares briefing's throughput with."""
    import llama_cpp

    d = llama_cpp.llama_perf_context(llm._ctx.ctx)
    return {"prompt_n": d.n_p_eval, "prompt_ms": d.t_p_eval_ms, "eval_n": d.n_eval, "eval_ms": d.t_eval_ms,
            "wall_ms": wall * 1000}
