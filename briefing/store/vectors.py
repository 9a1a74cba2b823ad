"""Which FAISS index holds the vectors: exact inner-product search up to a size threshold, then an inverted-file
(IVF) index, trained on the index's own vectors, that scans only the closest clusters."""

from __future__ import annotations

import math

import numpy as np

from briefing import config

# Below this many passages exact search is fast enough (about 20 ms at 100k on 2 cores) and needs no training.
IVF_THRESHOLD = config.settings().ivf_threshold
# Clusters scanned per query: the recall/latency knob (see benchmarks/scale.py for the measured trade-off).
NPROBE = config.settings().nprobe
_TRAIN_PER_LIST = 40  # FAISS warns below ~39 training points per cluster


def nlist_for(n: int) -> int:
    """Clusters for ``n`` vectors: about 4·sqrt(n), the usual rule for IVF, rounded to a multiple of 64, and never
    more than the vectors can train (``_TRAIN_PER_LIST`` each)."""
    return max(1, min(max(64, int(round(4 * math.sqrt(n) / 64)) * 64), n // _TRAIN_PER_LIST))


def new_index(dim: int, ids: np.ndarray, vecs: np.ndarray):
    """A fresh index holding ``vecs`` under ``ids``: flat below ``IVF_THRESHOLD`` vectors, IVF-flat above."""
    import faiss

    n = len(ids)
    if n < IVF_THRESHOLD:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = nlist_for(n)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vecs[rng.choice(n, size=min(n, nlist * _TRAIN_PER_LIST), replace=False)]
        index.train(np.ascontiguousarray(sample, dtype="float32"))
    if n:
        index.add_with_ids(np.ascontiguousarray(vecs, dtype="float32"), np.asarray(ids, dtype="int64"))
    tune(index)
    return index


def tune(index) -> None:
    """Set the query-time knobs that are not worth persisting."""
    if hasattr(index, "nprobe"):
        index.nprobe = min(NPROBE, index.nlist)


def is_ivf(index) -> bool:
    return hasattr(index, "nlist")


def outgrown(index, n: int) -> bool:
    """Whether the index kind no longer fits ``n`` vectors: flat past the threshold, or IVF trained for far fewer
    (or far more) vectors than it now holds, so its clusters are too big or too small."""
    if not is_ivf(index):
        return n >= IVF_THRESHOLD
    if n < IVF_THRESHOLD // 2:
        return True
    return not (0.5 <= nlist_for(n) / index.nlist <= 2.0)


def all_ids(index) -> set[int]:
    """Every id stored in the index (for consistency checks)."""
    import faiss

    if not is_ivf(index):
        return set(faiss.vector_to_array(index.id_map).tolist())
    lists = index.invlists
    out: set[int] = set()
    for i in range(index.nlist):
        size = lists.list_size(i)
        if size:
            out.update(faiss.rev_swig_ptr(lists.get_ids(i), size).tolist())
    return out
