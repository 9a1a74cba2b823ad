"""A read session over one index: the store plus the query embedder that matches the model that built it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from briefing.answer.retrieve import SearchSettings, search
from briefing.store import open_store
from briefing.types import Hit


class Session:
    """Opens the index once and embeds queries with the same model (loaded on first use)."""

    def __init__(self, root: str | Path, embedder=None):
        self.store = open_store(root)
        self._embedder = embedder

    def embedder(self):
        """The query embedder that matches the model that built the index (see :func:`briefing.embed.select.query_embedder`)."""
        if self._embedder is None:
            from briefing.embed.select import query_embedder, query_export

            meta = self.store.meta()
            self._embedder = query_embedder(meta, query_export(meta, self.store.local_dir))
        return self._embedder

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder().embed([text])[0]

    def search(self, question: str, settings: SearchSettings = SearchSettings(), *, since: date | None = None,
               until: date | None = None) -> list[Hit]:
        vector = self.query_vector(question)
        with self.store.snapshot():
            return search(self.store, vector, question, settings, since, until)
