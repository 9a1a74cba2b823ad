"""A read session over one index: the store plus the query embedder that matches the model that built it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from .errors import IndexError_
from .retrieve import SearchSettings, search
from .store import Store
from .types import Hit


class Session:
    """Opens the index once and embeds queries with the same model (loaded on first use)."""

    def __init__(self, root: Path, embedder=None):
        self.store = Store.open(root)
        self._embedder = embedder

    def embedder(self):
        """The query embedder: the index's ONNX export when it matches the model (no torch import), else
        sentence-transformers with the same weights."""
        if self._embedder is None:
            from .embedder import ONNX_DIR, SentenceTransformerEmbedder, onnx_current, resolve_model

            meta = self.store.meta()
            int8 = meta.get("int8") == "1"
            if meta.get("model_sha256") and onnx_current(meta["model_sha256"], self.store.root, int8):
                from .onnx_embed import OnnxEmbedder

                self._embedder = OnnxEmbedder(self.store.root / ONNX_DIR, quantized=int8)
                return self._embedder
            if int8:
                raise IndexError_(f"the int8 model export in {self.store.root}/onnx is missing; run "
                                  "`briefing index FOLDER` to restore it")
            info = resolve_model(meta.get("model"))
            if meta.get("model_sha256") and info.sha256 != meta["model_sha256"]:
                raise IndexError_(f"the model {info.name} on disk differs from the one that built this index; "
                                  "run `briefing index --rebuild FOLDER`")
            self._embedder = SentenceTransformerEmbedder(info)
        return self._embedder

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder().embed([text])[0]

    def search(self, question: str, settings: SearchSettings = SearchSettings(), *, since: date | None = None,
               until: date | None = None) -> list[Hit]:
        vector = self.query_vector(question)
        with self.store.snapshot():
            return search(self.store, vector, question, settings, since, until)
