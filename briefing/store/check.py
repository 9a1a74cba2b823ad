"""``briefing status --check``: verify that the FAISS ids, SQLite rows, FTS rows and spans all agree."""

from __future__ import annotations

from briefing.store.sqlite import Store
from briefing.store.vectors import all_ids


def check_index(store: Store) -> list[str]:
    """Every inconsistency found, one line each (empty when the index is sound)."""
    if not isinstance(store, Store):  # another store checks itself (the PostgreSQL store: on its server)
        return store.problems()
    problems: list[str] = []
    con = store.con
    chunk_ids = {r[0] for r in con.execute("SELECT id FROM chunks")}
    fts_ids = {r[0] for r in con.execute("SELECT rowid FROM chunks_fts")}
    if chunk_ids != fts_ids:
        problems.append(f"keyword index out of step: {len(chunk_ids - fts_ids)} passages missing, "
                        f"{len(fts_ids - chunk_ids)} orphaned")
    index = store.faiss_index()
    if index.ntotal != len(chunk_ids):
        problems.append(f"vector index holds {index.ntotal} vectors for {len(chunk_ids)} passages")
    elif all_ids(index) != chunk_ids:
        problems.append("vector ids and passage ids differ")
    orphans = con.execute("SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT id FROM documents)").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} passages belong to no document")
    unlinked = con.execute(
        "SELECT count(*) FROM documents WHERE id NOT IN (SELECT doc_id FROM occurrences)").fetchone()[0]
    if unlinked:
        problems.append(f"{unlinked} documents belong to no file")
    dup = con.execute("SELECT count(*) FROM (SELECT doc_id, ord FROM chunks GROUP BY doc_id, ord HAVING count(*) > 1)"
                      ).fetchone()[0]
    if dup:
        problems.append(f"{dup} duplicated passages")
    problems += _span_problems(con)
    return problems


def _span_problems(con) -> list[str]:
    """Passages whose text is not their document's text at their offsets, by passage id.

    One document at a time: its text is fetched once and each of its passages, read one by one, is checked against
    it, so a 50 MB article is read once (not once per passage) and memory holds one document's text at a time.
    Sorted by passage id, as the single join this replaces reported them."""
    bad: list[tuple[int, str]] = []
    docs = con.execute("SELECT id, text FROM documents d WHERE EXISTS (SELECT 1 FROM chunks WHERE doc_id = d.id)")
    for doc_id, doc_text in docs:
        for cid, text, start, end in con.execute(
                "SELECT id, text, char_start, char_end FROM chunks WHERE doc_id = ?", (doc_id,)):
            if doc_text[start:end] != text:
                bad.append((cid, f"passage {cid} does not match its document's text at {start}:{end}"))
    return [line for _, line in sorted(bad)]
