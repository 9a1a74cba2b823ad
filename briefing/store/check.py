"""``briefing status --check``: verify that the FAISS ids and vectors, SQLite rows, FTS rows and spans all agree,
and that the model's ONNX export is the one recorded."""

from __future__ import annotations

import numpy as np

from briefing.store.sqlite import REBUILD, Store
from briefing.store.vectors import all_ids

_DERIVED = "it is derived from the database: the next `briefing index` writes it again"


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
    return problems + _vector_file_problems(store) + _export_problems(store)


def with_remedy(problems: list[str]) -> list[str]:
    """``problems`` and, when some are rows of the database (which only a rebuild mends; the derived files name
    their own remedy), a last line saying so."""
    if any("briefing index" not in p for p in problems):
        return problems + [f"the database's rows above are damaged: {REBUILD}"]
    return problems


def _vector_file_problems(store: Store) -> list[str]:
    """The vector file on disk against the database: its recorded sha256, and every vector it holds against the
    passage's vector in SQLite (right ids with wrong values would silently change results)."""
    import faiss

    from briefing.embed.model import file_sha256

    gen = store.generation()
    path = store.root / f"vectors-{gen}.faiss"
    if not path.exists():
        return []  # a build stopped between its commit and the file: readers rebuild it from the database
    recorded = store.vectors_sha256(gen)
    problems = []
    if recorded is not None and file_sha256(path) != recorded:
        problems.append(f"vector file {path.name} fails its sha256 check; {_DERIVED}")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError:
        return problems or [f"vector file {path.name} cannot be read; {_DERIVED}"]
    try:
        ids, vecs = store.vectors()
    except Exception as exc:  # noqa: BLE001 - a damaged row: its own line
        return problems + [str(exc)]
    if index.ntotal != len(ids) or not len(ids):
        return problems  # counted above
    if hasattr(index, "nlist"):
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        on_disk_ids, on_disk = ids, np.vstack([index.reconstruct(int(i)) for i in ids])
    else:
        on_disk_ids = faiss.vector_to_array(index.id_map)
        on_disk = faiss.downcast_index(index.index).reconstruct_n(0, index.ntotal)
    disk_order, db_order = np.argsort(on_disk_ids), np.argsort(ids)
    if not np.array_equal(on_disk_ids[disk_order], ids[db_order]):
        return problems  # the ids differ: reported above
    on_disk, vecs = on_disk[disk_order], vecs[db_order]
    differ = int((np.abs(on_disk - vecs).max(axis=1) > 1e-5).sum())
    if differ:
        problems.append(f"vector file {path.name}: {differ} of {len(ids)} vectors differ from the database; {_DERIVED}")
    return problems


def _export_problems(store: Store) -> list[str]:
    """The index's ONNX export (what embeds queries) against the sizes and sha256 its onnx.json records."""
    from briefing.embed.export import wanted_files
    from briefing.embed.model import ONNX_DIR, export_problem

    meta = store.meta()
    folder = store.root / ONNX_DIR
    if not folder.is_dir() or not meta.get("model_sha256"):
        return []  # an index embedded by sentence-transformers, or a custom model: nothing exported
    problem = export_problem(folder, meta["model_sha256"], wanted_files(meta.get("int8") == "1"))
    return [f"model export {ONNX_DIR}/: {problem}; {REBUILD}"] if problem else []


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
