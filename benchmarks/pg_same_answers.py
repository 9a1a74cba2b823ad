"""Same answers from both stores: an existing SQLite index is copied, vectors and all, into a PostgreSQL index on a
private server (tests/pgserver.py), then every question of a question set is searched and answered (extractive) on
both. Since the passages and vectors are the same, every difference comes from the stores themselves.

Usage: .venv/bin/python benchmarks/pg_same_answers.py [SQLITE_INDEX] [QUESTIONS.jsonl]
       (default: index, ../shared/eval/realtimeqa-2025-01.jsonl)
Prints how many questions get the same top-5 passages, the same top file, the same cited quotes, and every
difference with the two rankings' legs.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from briefing.answer.ask import answer  # noqa: E402
from briefing.answer.generate import make_generator  # noqa: E402
from briefing.answer.retrieve import SearchSettings, fts_query  # noqa: E402
from briefing.answer.session import Session  # noqa: E402
from briefing.store import open_store, store_writer  # noqa: E402


def copy_index(src, url: str) -> float:
    """Everything of the SQLite index at ``src`` applied to the PostgreSQL index at ``url`` in one run."""
    started = time.perf_counter()
    store = open_store(src)
    meta = {k: v for k, v in store.meta().items() if k not in ("generation", "schema_version")}
    docs = store.documents()
    ids, vecs = store.vectors()
    chunks = store.chunks(ids.tolist())
    row = {cid: i for i, cid in enumerate(ids.tolist())}
    per_doc: dict[str, list] = {}
    for cid in ids.tolist():
        per_doc.setdefault(chunks[cid].doc_id, []).append(chunks[cid])
    occurrences: dict[str, list] = {}
    for p, r, doc_id, line in store.con.execute("SELECT path, record, doc_id, line FROM occurrences"):
        occurrences.setdefault(doc_id, []).append((p, r, line))
    new_docs = []
    for doc_id, doc in docs.items():
        cs = sorted(per_doc.get(doc_id, []), key=lambda c: c.ord)
        new_docs.append((doc, occurrences[doc_id], cs, vecs[[row[c.id] for c in cs]] if cs else vecs[:0]))
    skips: dict[str, list[str]] = {}
    for p, r in store.skips():
        skips.setdefault(p, []).append(r)
    with store_writer(url) as writer:
        writer.apply(meta=meta, touched=list(store.files().values()), removed=[], new_docs=new_docs, aliases=[],
                     skips=skips)
    return time.perf_counter() - started


def main() -> None:
    import pgserver

    src = Path(sys.argv[1] if len(sys.argv) > 1 else "index")
    questions = [json.loads(line)["question"] for line in
                 Path(sys.argv[2] if len(sys.argv) > 2 else ROOT.parent / "shared/eval/realtimeqa-2025-01.jsonl")
                 .read_text(encoding="utf-8").splitlines() if line.strip()]
    server, stop = pgserver.start(tempfile.gettempdir())
    try:
        url = pgserver.new_database(server)
        print(f"copied {src} into PostgreSQL in {copy_index(src, url):.1f} s", flush=True)
        local, pg = Session(src), Session(url)
        print(f"counts equal: {local.store.counts() == pg.store.counts()} {pg.store.counts()}")
        same_hits = same_top = same_files = same_quotes = 0
        diffs = []
        gen = make_generator("extractive")
        for q in questions:
            vector = local.query_vector(q)
            a, b = _search(local, q, vector), _search(pg, q, vector)
            same_hits += [h.chunk.span for h in a] == [h.chunk.span for h in b] and \
                [h.doc.path for h in a] == [h.doc.path for h in b]
            same_top += bool(a and b and a[0].doc.path == b[0].doc.path) or (not a and not b)
            same_files += [h.doc.path for h in a] == [h.doc.path for h in b]
            qa, qb = answer(local, q, gen), answer(pg, q, gen)
            same_quotes += [(c.hit.doc.path, c.quote, c.supported) for c in qa.citations] == \
                [(c.hit.doc.path, c.quote, c.supported) for c in qb.citations] and qa.text == qb.text
            if [h.chunk.span for h in a] != [h.chunk.span for h in b] or [h.doc.path for h in a] != \
                    [h.doc.path for h in b]:
                diffs.append((q, a, b, local.store, pg.store, vector))
        n = len(questions)
        print(f"{n} questions: same top-5 passages {same_hits}/{n}, same top-5 files in order {same_files}/{n}, "
              f"same top file {same_top}/{n}, same cited quotes (ask, extractive) {same_quotes}/{n}")
        for q, a, b, sa, sb, vector in diffs:
            print(f"- {q!r}")
            print("    sqlite  ", [(Path(h.doc.path).name, h.chunk.id) for h in a])
            print("    postgres", [(Path(h.doc.path).name, h.chunk.id) for h in b])
            for name, s in (("sqlite", sa), ("postgres", sb)):
                with s.snapshot():
                    print(f"    {name} dense  ", [(c, round(x, 5)) for c, x in s.dense(vector, 8)])
                    print(f"    {name} keyword", [(c, round(x, 4)) for c, x in s.keyword(fts_query(q), 8)])
    finally:
        stop()


def _search(session, q, vector):
    from briefing.answer.retrieve import search

    with session.store.snapshot():
        return search(session.store, vector, q, SearchSettings(k=5))


if __name__ == "__main__":
    main()
