"""The store seam: what the indexer, retrieval, the memo and ``status`` ask of an index. Only stores run SQL.

:class:`~briefing.store.sqlite.Store` (SQLite + FAISS in one folder) is the one store today; a second (say
PostgreSQL + pgvector) plugs in by implementing this protocol and being chosen in :func:`briefing.store.open_store`.
Chunk ids are the store's own integers; every method returns plain data from :mod:`briefing.types`.
:mod:`briefing.store.postgres` is the second store (PostgreSQL + pgvector)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import ContextManager, Iterable, Protocol, Sequence

import numpy as np

from briefing.errors import IndexError_
from briefing.types import Chunk, Document


class Store(Protocol):
    """A read view of one index; a writer (``Store.writer``) also takes :meth:`apply` and friends."""

    # The folder the index lives in (where its query model's export is kept), or None for an index on a server.
    local_dir: Path | None

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


def manifest_of(meta: dict[str, str], counts: dict[str, int], schema_version: int) -> dict:
    """What ``briefing status`` shows of an index: its manifest ``meta`` (as stored) and its ``counts``."""
    return {
        "schema_version": int(meta.get("schema_version", schema_version)),
        "model": meta.get("model"),
        "model_sha256": meta.get("model_sha256"),
        "dim": int(meta["dim"]) if "dim" in meta else None,
        "int8": meta.get("int8") == "1",
        "backend": meta.get("backend"),
        "chunking": json.loads(meta.get("chunking", "{}")),
        "generation": int(meta.get("generation", 0)),
        "built_at": meta.get("built_at"),
        "counts": counts,
    }


def check_same_model(meta: dict[str, str], model: str, sha256: str, dim: int, chunking: dict) -> None:
    """Refuse to mix vectors of two models or two chunkings in one index (``meta`` is its manifest)."""
    if "model" not in meta:
        return
    if meta["model"] != model or meta.get("model_sha256", "") != sha256 or int(meta["dim"]) != dim:
        raise IndexError_(f"this index was built with model {meta['model']}, not {model}; "
                          f"pass --model {meta['model']} or add --rebuild to start over with {model}")
    if json.loads(meta.get("chunking", "{}")) != json.loads(json.dumps(chunking)):
        raise IndexError_("this index was built with other chunking settings; add --rebuild to re-chunk")
