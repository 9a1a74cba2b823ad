"""Fast stand-ins for the embedding model, for tests of the pipeline that do not depend on its vectors."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: fast stand-in for unit tests (shares words -> similar)."""

    name = "fake-hash"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for i, text in enumerate(texts):
            for w in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


class WhitespaceTokens:
    """Whitespace tokens, a stand-in for a model tokenizer in unit tests."""

    def offsets(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        return [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]


class FakeFluency:
    """A source-fluency scorer (``memo.fluency.Scorer``) without a model: the perplexity of a sample is the value of
    the first key of ``perplexities`` it contains, else ``default``; ``samples`` records what it was asked."""

    name = "fake-fluency"

    def __init__(self, perplexities: dict[str, float], default: float = 40.0) -> None:
        self.perplexities = perplexities
        self.default = default
        self.samples: list[str] = []

    def fluency(self, text: str):
        from briefing.memo.fluency import Fluency

        if not text.strip():
            return None
        self.samples.append(text)
        value = next((v for k, v in self.perplexities.items() if k in text), self.default)
        return Fluency(value, 100)
