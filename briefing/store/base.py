"""The store seam: what the indexer, retrieval, the memo and ``status`` ask of an index. Only stores run SQL.

:class:`~briefing.store.sqlite.Store` (SQLite + FAISS in one folder) is the one store today; a second (say
PostgreSQL + pgvector) plugs in by implementing this protocol and being chosen in :func:`briefing.store.open_store`.
Chunk ids are the store's own integers; every method returns plain data from :mod:`briefing.types`."""

from __future__ import annotations

from datetime import date
from typing import ContextManager, Iterable, Protocol, Sequence

import numpy as np

from briefing.types import Chunk, Document


class Store(Protocol):
    """A read view of one index; a writer (``Store.writer``) also takes :meth:`apply` and friends."""

    # ---- what the index is
    def meta(self) -> dict[str, str]:
        """The manifest's key/value settings: model, model_sha256, dim, int8, backend, chunking, built_at."""

    def manifest(self) -> dict:
        """What ``briefing status`` shows: counts, model, size on disk, last build time."""

    def counts(self) -> dict[str, int]:
        """Documents, undated documents, passages, duplicates and skipped files."""

    def snapshot(self) -> ContextManager["Store"]:
        """A read transaction: every query inside sees one generation of the index, even while a build commits."""

    # ---- documents and passages
    def files(self) -> dict:
        """Per indexed path, its :class:`~briefing.store.sqlite.FileState` (size, mtime, sha256, status)."""

    def skips(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of every skipped file or record."""

    def has_document(self, doc_id: str) -> bool: ...

    def documents(self, ids: Iterable[str] | None = None) -> dict[str, Document]:
        """Documents by id (all of them when ``ids`` is None)."""

    def occurrences(self, doc_id: str) -> list[tuple[str, int]]:
        """``(path, record)`` pairs where a stored document occurs, in order."""

    def undated_ids(self) -> list[str]: ...

    def date_range(self) -> tuple[date | None, date | None, int, int]:
        """``(oldest, newest, dated, undated)``."""

    def count_published(self, since: date, until: date) -> int: ...

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]: ...

    def chunk_ids_between(self, since: date | None, until: date | None) -> set[int]:
        """Ids of passages whose document is published inside the inclusive window (undated ones never are)."""

    # ---- the two rankings
    def dense(self, query_vector: np.ndarray, depth: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """``(chunk id, cosine)`` of the ``depth`` nearest passages, best first, limited to ``allowed``."""

    def keyword(self, match: str, limit: int) -> list[tuple[int, float]]:
        """``(chunk id, bm25)`` best first for an FTS5-style ``match`` expression (quoted terms OR-ed)."""

    def vectors(self, ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, vectors)`` of the given passages (all when None)."""
