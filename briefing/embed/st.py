"""sentence-transformers in float32: the reference backend, and the query embedder for a model with no export."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from briefing.embed.model import ModelInfo
from briefing.errors import ModelError


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, loaded lazily and offline."""

    def __init__(self, info: ModelInfo, batch_size: int = 32):
        self.info = info
        self.name = info.name
        self.batch_size = batch_size
        self._model = None
        self.dim = info.dim

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(self.info.path), device="cpu")
            except Exception as exc:  # any loader failure is the model's, not ours
                raise ModelError(f"cannot load model {self.info.name}: {str(exc).splitlines()[0]}") from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vecs = self._load().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype="float32")
