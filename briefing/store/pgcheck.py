"""``briefing status --check`` on the PostgreSQL store: passages, keyword vectors, embeddings, search indexes and
spans all agree (the checks of :mod:`briefing.store.check`, run on the server)."""

from __future__ import annotations


def problems(store) -> list[str]:
    """Every inconsistency found in the index ``store`` (a :class:`briefing.store.postgres.Store`), one line each."""
    con = store.con
    one = lambda sql, args=None: con.execute(sql, args).fetchone()[0]  # noqa: E731
    out: list[str] = []
    meta = store.meta()
    with store.snapshot():
        passages = one("SELECT count(*) FROM briefing_chunks")
        if str(passages) != meta.get("passages"):
            out.append(f"the manifest counts {meta.get('passages')} passages, the table holds {passages}")
        empty = one("SELECT count(*) FROM briefing_chunks WHERE tsv = ''::tsvector OR nlen = 0")
        if empty:
            out.append(f"keyword index out of step: {empty} passages have no keywords")
        dim = int(meta.get("dim", 0))
        wrong = one("SELECT count(*) FROM briefing_chunks WHERE vector_dims(embedding) <> %s", (dim,))
        if wrong:
            out.append(f"{wrong} passages have vectors of another dimension than {dim}")
        valid = dict(con.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'briefing_chunks'::regclass").fetchall())
        for name, what in (("briefing_chunks_hnsw", "vector (HNSW)"), ("briefing_chunks_tsv", "keyword (GIN)")):
            if not valid.get(name):
                out.append(f"the {what} index {name} is {'invalid' if name in valid else 'missing'}")
        orphans = one("SELECT count(*) FROM briefing_chunks c WHERE NOT EXISTS "
                      "(SELECT 1 FROM briefing_documents d WHERE d.id = c.doc_id)")
        if orphans:
            out.append(f"{orphans} passages belong to no document")
        unlinked = one("SELECT count(*) FROM briefing_documents d WHERE NOT EXISTS "
                       "(SELECT 1 FROM briefing_occurrences o WHERE o.doc_id = d.id)")
        if unlinked:
            out.append(f"{unlinked} documents belong to no file")
        dup = one("SELECT count(*) FROM (SELECT doc_id, ord FROM briefing_chunks GROUP BY doc_id, ord "
                  "HAVING count(*) > 1) x")
        if dup:
            out.append(f"{dup} duplicated passages")
        for cid, start, end in con.execute(
                "SELECT c.id, c.char_start, c.char_end FROM briefing_chunks c JOIN briefing_documents d "
                "ON d.id = c.doc_id WHERE substr(d.text, c.char_start + 1, c.char_end - c.char_start) "
                "IS DISTINCT FROM c.text ORDER BY c.id"):
            out.append(f"passage {cid} does not match its document's text at {start}:{end}")
    return out
