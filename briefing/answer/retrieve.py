"""Hybrid retrieval: the store's dense (cosine) and keyword (bm25) rankings fused with
reciprocal rank fusion, filtered by publication date and capped per document."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Sequence

import numpy as np

from briefing.errors import IndexError_
from briefing.store.base import Store
from briefing.text import is_content_word
from briefing.types import Hit

RRF_K = 60  # the usual constant: damps the head of each ranking so neither list dominates


@dataclass(frozen=True)
class SearchSettings:
    """Knobs of hybrid search: how deep each ranking goes, the fusion weights and the per-document cap."""

    k: int = 5
    depth: int = 50
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    per_doc: int = 2


def fts_query(question: str) -> str:
    """An FTS5 MATCH expression: quoted phrases kept as phrases, other meaningful words OR-ed (each quoted, so
    user text can never be FTS5 syntax)."""
    phrases = re.findall(r'"([^"]+)"', question)
    rest = re.sub(r'"[^"]*"', " ", question)
    terms = [f'"{p.strip()}"' for p in phrases if p.strip()]
    words = [w.strip("'’-") for w in re.findall(r"[\w][\w'’-]*", rest)]
    # An acronym spelled like a stopword (US, IT, WHO) is a name; in a question typed all in capitals it is not.
    shouting = sum(w.isupper() for w in words) * 2 > len(words)
    terms += ['"' + w.replace('"', "") + '"' for w in words if is_content_word(w, acronyms=not shouting)]
    return " OR ".join(dict.fromkeys(terms))


def search(store: Store, query_vector: np.ndarray | None, question: str, settings: SearchSettings = SearchSettings(),
           since: date | None = None, until: date | None = None) -> list[Hit]:
    """The top ``settings.k`` passages for ``question``, best first, at most ``per_doc`` from any one article."""
    allowed = store.chunk_ids_between(since, until) if (since or until) else None
    if allowed is not None and not allowed:
        return []
    dense: dict[int, tuple[int, float]] = {}
    if query_vector is not None:
        for rank, (cid, sc) in enumerate(store.dense(query_vector, settings.depth, allowed)):
            dense[cid] = (rank, sc)
    keyword: dict[int, tuple[int, float]] = {}
    limit = settings.depth if allowed is None else settings.depth * 20
    rank = 0
    for cid, bm in store.keyword(fts_query(question), limit):
        if allowed is not None and cid not in allowed:
            continue
        keyword[cid] = (rank, float(bm))
        rank += 1
        if rank >= settings.depth:
            break
    fused: dict[int, float] = {}
    for cid, (r, _) in dense.items():
        fused[cid] = fused.get(cid, 0.0) + settings.dense_weight / (RRF_K + r + 1)
    for cid, (r, _) in keyword.items():
        fused[cid] = fused.get(cid, 0.0) + settings.keyword_weight / (RRF_K + r + 1)
    order = sorted(fused, key=lambda c: -fused[c])
    chunks = store.chunks(order)
    docs = store.documents(c.doc_id for c in chunks.values())
    orphans = {c.doc_id for c in chunks.values()} - docs.keys()
    if orphans:  # passages whose document is gone: a hand-edited or damaged index
        raise IndexError_(f"the index is damaged (passages belong to {len(orphans)} missing documents); run "
                          "`briefing index --rebuild FOLDER` to start over")
    hits: list[Hit] = []
    per_doc: dict[str, int] = {}
    for cid in order:
        chunk = chunks.get(cid)
        if chunk is None:
            continue
        if per_doc.get(chunk.doc_id, 0) >= settings.per_doc:
            continue
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
        hits.append(Hit(chunk, docs[chunk.doc_id], fused[cid],
                        dense=dense[cid][1] if cid in dense else None,
                        keyword=keyword[cid][1] if cid in keyword else None))
        if len(hits) >= settings.k:
            break
    missing = [h.chunk.id for h in hits if h.dense is None]
    if query_vector is not None and missing:
        extra = dense_scores(store, query_vector, missing)
        hits = [h if h.dense is not None else replace(h, dense=extra.get(h.chunk.id)) for h in hits]
    return hits


def dense_scores(store: Store, query_vector: np.ndarray, chunk_ids: Sequence[int]) -> dict[int, float]:
    """Cosine similarity of the query to given chunks (for chunks that only the keyword ranking found)."""
    ids, vecs = store.vectors(chunk_ids)
    if not len(ids):
        return {}
    return dict(zip(ids.tolist(), (vecs @ np.asarray(query_vector, dtype="float32").ravel()).tolist()))
