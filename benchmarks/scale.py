"""Search at scale with synthetic vectors: the IVF index briefing switches to above its threshold, against exact
search over the same vectors, in the same run.

Usage: .venv/bin/python benchmarks/scale.py [N] [QUERIES]   (default 1,000,000 vectors, 200 queries)
Vectors are 384-d, L2-normalised, drawn around 2,000 random centres (news passages cluster by story), queries are
perturbed passages. Prints build time, recall@10 against exact search, and warm p50/p95 query latency.
"""

from __future__ import annotations

import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from briefing.store import vectors  # noqa: E402


def synthetic(n: int, dim: int = 384, centres: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, dim)).astype("float32")
    out = np.empty((n, dim), dtype="float32")
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        out[lo:hi] = c[rng.integers(0, centres, hi - lo)] + 0.6 * rng.standard_normal((hi - lo, dim)).astype("float32")
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def main() -> None:
    import faiss

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    nq = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    vecs = synthetic(n)
    ids = np.arange(n, dtype="int64")
    rng = np.random.default_rng(1)
    queries = vecs[rng.integers(0, n, nq)] + 0.3 * rng.standard_normal((nq, vecs.shape[1])).astype("float32")
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    exact = faiss.IndexFlatIP(vecs.shape[1])
    exact.add(vecs)
    t = time.perf_counter()
    _, truth = exact.search(queries, 10)
    exact_ms = (time.perf_counter() - t) / nq * 1000

    t = time.perf_counter()
    index = vectors.new_index(vecs.shape[1], ids, vecs)
    build = time.perf_counter() - t
    lat = []
    found = np.empty((nq, 10), dtype="int64")
    index.search(queries[:5], 10)  # warm up
    for i in range(nq):
        t = time.perf_counter()
        _, f = index.search(queries[i : i + 1], 10)
        lat.append((time.perf_counter() - t) * 1000)
        found[i] = f[0]
    recall = np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(nq)])
    kind = f"IVF nlist={index.nlist} nprobe={index.nprobe}" if vectors.is_ivf(index) else "flat"
    print(f"{n:,} vectors, {nq} queries, index {kind}, built in {build:.1f} s")
    print(f"recall@10 vs exact {recall:.3f}")
    print(f"warm latency p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms "
          f"(exact search: {exact_ms:.1f} ms per query in a batch of {nq})")


if __name__ == "__main__":
    main()
