"""How fluently a source reads: a language model's perplexity on a sample of its body text.

Edited news prose is what a language model predicts well; text put through an article spinner (thesaurus words
where the plain word belongs: "coalition of the prepared", "led via", "a gaggle of") or otherwise garbled is not.
The score is the perplexity of the sample's *common words* only: the tokens that start a lower-case word. Names,
figures and punctuation are left out, because they make a story hard to predict for reasons that have nothing to do
with how it is written (a sports roundup full of names scores like an essay), and a spinner rewrites exactly the
common words. Measured with Qwen2.5-Coder-0.5B on the 626 RealTimeQA articles and the five seeds (README, memo
section): the spun seed ``000_…`` scores 11.5 times the median, the next article 5.7 times, the 99th percentile 3.1
times; with the 1.5B model ``000_…`` is 13.7 times the seeds' median. The score still means
something only against the other sources of the same memo (``quality.py`` compares it with their median).

The model is the smallest installed local model (``briefing local install --model qwen2.5-0.5b`` is the quick
one), run in process through llama.cpp. A sample is the body's first sentences of at least ``MIN_WORDS`` words
(titles, headings and captions left out), cut to ``SAMPLE_TOKENS`` tokens; its score is cached per model and
sample text under briefing's cache folder, so a source is scored once.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from briefing import config
from briefing.text import sentences, words

SAMPLE_TOKENS = 160
MIN_WORDS = 8
MIN_SCORED = 24  # common-word tokens a sample needs to say anything
_SAMPLE_CHARS = 1600  # comfortably more than SAMPLE_TOKENS tokens of English
_LOCK = threading.Lock()
_COMMON = re.compile(r" [a-z]+$")  # a token that starts a lower-case word


@dataclass(frozen=True)
class Fluency:
    """A sample's common-word perplexity (exp of the mean negative log-likelihood of the tokens that start a
    lower-case word) and how many such tokens it had."""

    perplexity: float
    tokens: int


def sample(text: str, title: str | None = None) -> str:
    """The body text a source is scored on: its first full sentences, the title and short lines left out."""
    out: list[str] = []
    size = 0
    for a, b in sentences(text):
        sent = text[a:b]
        if (title and sent.strip() == title.strip()) or len(words(sent)) < MIN_WORDS:
            continue
        out.append(sent)
        size += len(sent) + 1
        if size >= _SAMPLE_CHARS:
            break
    return " ".join(out)


class Scorer:
    """Scores samples with the GGUF model at ``path``; ``scored`` counts the samples the model ran on (not cached)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.stem
        self.scored = 0
        self._cache_file = config.cache_dir() / "fluency" / f"{self.name}.common-words.json"
        self._cache: dict[str, list] | None = None

    def fluency(self, text: str) -> Fluency | None:
        """The ``Fluency`` of ``text`` (a ``sample``), or None when it has too few tokens to say."""
        if not text.strip():
            return None
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        with _LOCK:  # one model and one cache per scorer, shared by the web UI's worker threads
            cache = self._load_cache()
            if key in cache:
                ppl, n = cache[key]
                return Fluency(ppl, n) if n else None
            result = self._score(text)
            cache[key] = [result.perplexity, result.tokens] if result else [0.0, 0]
            self._save_cache()
        return result

    def _score(self, text: str) -> Fluency | None:
        import numpy as np

        from briefing.answer.local import load

        llm = load(self.path, SAMPLE_TOKENS + 16, logits_all=True)
        tokens = llm.tokenize(text.encode("utf-8", "replace"), add_bos=False)[:SAMPLE_TOKENS]
        if len(tokens) < 16:
            return None
        llm.reset()
        llm.eval(tokens)
        logits = np.asarray(llm.scores[: len(tokens) - 1], dtype=np.float64)
        self.scored += 1
        logits -= logits.max(axis=1, keepdims=True)
        logprob = logits[np.arange(len(tokens) - 1), tokens[1:]] - np.log(np.exp(logits).sum(axis=1))
        common = [i for i, t in enumerate(tokens[1:]) if _COMMON.match(llm.detokenize([t]).decode("utf-8", "replace"))]
        if len(common) < MIN_SCORED:
            return None
        return Fluency(float(math.exp(-logprob[common].mean())), len(common))

    def _load_cache(self) -> dict[str, list]:
        if self._cache is None:
            try:
                data = json.loads(self._cache_file.read_text(encoding="utf-8"))
                self._cache = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._cache = {}
        return self._cache

    def _save_cache(self) -> None:
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._cache), encoding="utf-8")
            os.replace(tmp, self._cache_file)
        except OSError:
            pass  # a cache that cannot be written costs time, not results


def local_scorer(check: bool | None = None, model: str | None = None) -> Scorer | bool | None:
    """The source-fluency scorer for ``--check-sources`` (``check``; None: when a model is at hand): a ``Scorer`` on
    the smallest installed local model, else on ``model`` (``--local-model``: a GGUF path or an installed model's
    name). False when not asked to check (``quality.checked_note`` says so), None when, unasked, the llama.cpp
    bindings or a model are missing; asked, that is a ``UsageError``."""
    from briefing.answer.local_models import MODELS, bindings_available, resolve, verified
    from briefing.errors import UsageError

    if check is False:
        return False
    installed = [m for m in MODELS.values() if verified(m)]
    if bindings_available() and (installed or model):
        return Scorer(min(installed, key=lambda m: m.size).path() if installed else resolve(model))
    if check:
        raise UsageError("--check-sources needs a local model; run: briefing local install --model qwen2.5-0.5b")
    return None
