"""The on-disk index: SQLite (documents, chunks, vectors, FTS5) is the source of truth and commits atomically;
the FAISS file is a derived, generation-stamped copy of the vectors, rebuilt from SQLite whenever it is stale."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from briefing.errors import IndexError_
from briefing.store.base import check_same_model, manifest_of
from briefing.store.faiss_file import VectorFile
from briefing.store.folder import (DB_NAME, MANIFEST, REBUILD_DB, claim, is_briefing_folder,
                                   unlink_db as _unlink_db, vectors_generation, write_replace as _write_replace)
from briefing.types import Chunk, Document, Span

SCHEMA_VERSION = 1
REBUILD = "run `briefing index --rebuild FOLDER` to start over"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    status TEXT NOT NULL, reason TEXT, indexed_at REAL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, record INTEGER, line INTEGER, title TEXT NOT NULL,
    published TEXT, source TEXT, url TEXT, authors TEXT NOT NULL, kind TEXT NOT NULL,
    verbatim INTEGER NOT NULL, body_start INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_published ON documents(published);
CREATE TABLE IF NOT EXISTS occurrences (
    path TEXT NOT NULL, record INTEGER NOT NULL, doc_id TEXT NOT NULL, line INTEGER,
    PRIMARY KEY (path, record));
CREATE INDEX IF NOT EXISTS occurrences_doc ON occurrences(doc_id);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, ord INTEGER NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, line_start INTEGER NOT NULL, line_end INTEGER NOT NULL,
    text TEXT NOT NULL, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS skips (path TEXT NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS skips_path ON skips(path);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text, title, tokenize='porter unicode61 remove_diacritics 2');
"""


@dataclass(frozen=True)
class FileState:
    """What the index remembers about a file, to tell whether it changed."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    status: str
    reason: str | None


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def db_error(exc: sqlite3.Error, root: Path | None = None) -> IndexError_:
    """One line for an SQLite error, naming the fix. A full disk, a read-only place or a busy index is not damage:
    only real damage (or an unknown error) is sent to ``--rebuild``."""
    where = f"the index at {root}/" if root is not None else "the index"
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return IndexError_(f"{where} could not be written: the disk is full ({exc}); free some space and run again")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return IndexError_(f"{where} cannot be opened or written ({exc}); check the folder's permissions and "
                           "free space, or pass --index DIR")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return IndexError_(f"{where} is busy ({exc}); wait for the other `briefing` to finish and try again")
    return IndexError_(f"{where} is damaged ({exc}); {REBUILD}")


def _last_generation(root: Path) -> int:
    """The highest generation the index directory has seen (its database or any vectors file), for ``--rebuild`` to
    continue from; 0 when there is nothing readable."""
    gens = [g for p in root.glob("vectors-*.faiss") if (g := vectors_generation(p.name)) is not None]
    if (root / DB_NAME).exists():
        con = None
        try:
            # an ordinary read-write connection: a hot journal left by a crashed build is rolled back here, so it
            # cannot later be paired with the new database swapped in under the same name
            con = _connect(root / DB_NAME)
            row = con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            gens.append(int(row[0]) if row else 0)
        except (sqlite3.Error, ValueError, TypeError):
            pass  # a damaged index is what --rebuild is for
        finally:
            if con is not None:
                con.close()
    return max(gens, default=0)


class Store(VectorFile):
    """An index directory. Open with :meth:`open` to read, or :meth:`writer` to change it under a lock."""

    def __init__(self, root: Path, con: sqlite3.Connection):
        self.root = root
        self.local_dir = root  # the index folder, which also holds the query model's export
        self.con = con
        self._faiss = None
        self._faiss_gen: int | None = None
        self._swap: Path | None = None  # --rebuild: the new database, renamed over DB_NAME when it commits
        self._fresh = False  # --rebuild: never start the FAISS file from the previous index's

    # ---- opening -------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path) -> "Store":
        """Open an existing index for reading; a missing or damaged index is a clear error naming the fix."""
        db = root / DB_NAME
        if not db.exists():
            raise IndexError_(f"no index at {root}/; run `briefing index FOLDER` first (or pass --index DIR)")
        try:
            con = _connect(db)
            store = cls(root, con)
            meta = store.meta()
        except sqlite3.DatabaseError as exc:
            if not is_briefing_folder(root):  # someone else's briefing.sqlite: --rebuild is not the remedy
                if _sqlite_header(db):
                    raise IndexError_(f"{root}/ is not a briefing index (its {DB_NAME} is another program's); pass "
                                      "--index with the folder `briefing index` made") from None
                raise IndexError_(f"{root}/{DB_NAME} is not a database: a damaged index or another program's file; "
                                  "if briefing made it, delete the folder and run `briefing index FOLDER` again "
                                  "(--rebuild only writes into folders it recognises), else pass --index with the "
                                  "folder `briefing index` made") from None
            raise db_error(exc, root) from None
        if not meta:
            raise IndexError_(f"the index at {root}/ was never completed; run `briefing index FOLDER`")
        if int(meta.get("schema_version", 0)) != SCHEMA_VERSION:
            raise IndexError_(f"the index at {root}/ has schema {meta.get('schema_version')}, "
                              f"this briefing reads {SCHEMA_VERSION}; {REBUILD}")
        return store

    @classmethod
    @contextlib.contextmanager
    def writer(cls, root: Path, *, rebuild: bool = False) -> Iterator["Store"]:
        """Open (creating if needed) for writing, holding an exclusive lock so two builds never interleave.

        With ``rebuild`` the previous index is not touched: a new database is built beside it and renamed over it
        when the run commits (see :meth:`apply`), so an interrupted or failed rebuild loses nothing and readers see
        the old index until the new one is complete."""
        claim(root)  # a folder briefing did not make is refused before anything is written in it
        try:
            lock = open(root / ".lock", "a+")
        except OSError as exc:
            raise IndexError_(f"cannot write the index at {root}/: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexError_(f"another `briefing index` is writing {root}/; wait for it to finish") from None
            db = root / DB_NAME
            if rebuild:
                db = root / REBUILD_DB
                _unlink_db(db)  # left by a rebuild that was killed
                gen = _last_generation(root)
            con = _connect(db)
            try:
                con.executescript(_SCHEMA)
                if rebuild:
                    # generations keep counting up across a rebuild, so no reader can take a vectors file of the
                    # old index for one of the new
                    con.execute("INSERT INTO meta(key, value) VALUES ('generation', ?)", (str(gen),))
            except sqlite3.DatabaseError as exc:
                con.close()
                if rebuild:
                    _unlink_db(db)
                raise db_error(exc, root) from None
            store = cls(root, con)
            if rebuild:
                store._swap, store._fresh = db, True
            try:
                yield store
            finally:
                store.con.close()
                if store._swap is not None:  # the rebuild did not commit: drop it, the previous index stands
                    _unlink_db(store._swap)
        finally:
            lock.close()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator["Store"]:
        """A read transaction: every query inside sees one generation of the index, even while a build commits."""
        if self.con.in_transaction:
            yield self
            return
        self.con.execute("BEGIN")
        try:
            yield self
        finally:
            self.con.execute("COMMIT")

    # ---- metadata -------------------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM meta"))

    def generation(self) -> int:
        return int(self.meta().get("generation", 0))

    def manifest(self) -> dict:
        """Schema, model, dimension, chunking settings, counts and build time, as stored in the index."""
        meta = self.meta()
        out = manifest_of(meta, self.counts(), SCHEMA_VERSION)
        gen, _, sha = meta.get("vectors_sha256", "").partition(":")
        out["checksums"] = {f"vectors-{gen}.faiss": sha} if sha else {}
        return out

    def counts(self) -> dict[str, int]:
        q = lambda sql: self.con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "files": q("SELECT count(*) FROM files WHERE status = 'ok'"),
            "documents": q("SELECT count(*) FROM documents"),
            "undated": q("SELECT count(*) FROM documents WHERE published IS NULL"),
            "chunks": q("SELECT count(*) FROM chunks"),
            "duplicates": q("SELECT count(*) FROM occurrences") - q("SELECT count(*) FROM documents"),
            "skipped": q("SELECT count(*) FROM skips"),
        }

    def check_model(self, model: str, sha256: str, dim: int, chunking: dict) -> None:
        """Refuse to mix vectors of two models or two chunkings in one index."""
        check_same_model(self.meta(), model, sha256, dim, chunking)

    # ---- reading ----------------------------------------------------------------------------------------------
    def files(self) -> dict[str, FileState]:
        return {r[0]: FileState(*r) for r in self.con.execute(
            "SELECT path, size, mtime_ns, sha256, status, reason FROM files")}

    def skips(self) -> list[tuple[str, str]]:
        return list(self.con.execute("SELECT path, reason FROM skips ORDER BY path"))

    def has_document(self, doc_id: str) -> bool:
        return self.con.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None

    def documents(self, ids: Iterable[str] | None = None) -> dict[str, Document]:
        """Documents by id (all of them when ``ids`` is None)."""
        cols = "id, path, title, text, published, source, url, authors, kind, verbatim, body_start, line, record"
        if ids is None:
            rows = self.con.execute(f"SELECT {cols} FROM documents")
        else:
            ids = list(dict.fromkeys(ids))
            rows = []
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                rows += self.con.execute(
                    f"SELECT {cols} FROM documents WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
        return {r[0]: _doc(r) for r in rows}

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        out: dict[int, Chunk] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            for r in self.con.execute(
                "SELECT id, doc_id, ord, text, char_start, char_end, line_start, line_end FROM chunks "
                f"WHERE id IN ({','.join('?' * len(part))})", part):
                out[r[0]] = Chunk(r[1], r[2], r[3], Span(r[4], r[5], r[6], r[7]), id=r[0])
        return out

    def chunk_ids_between(self, since: date | None, until: date | None) -> set[int]:
        """Ids of chunks whose document is published inside the inclusive window (undated ones never are)."""
        sql = "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.published IS NOT NULL"
        args: list = []
        if since:
            sql += " AND d.published >= ?"
            args.append(since.isoformat())
        if until:
            sql += " AND d.published <= ?"
            args.append(until.isoformat())
        return {r[0] for r in self.con.execute(sql, args)}

    def date_range(self) -> tuple[date | None, date | None, int, int]:
        """``(oldest, newest, dated, undated)``: the publication dates and counts of the index's documents."""
        oldest, newest, dated = self.con.execute(
            "SELECT min(published), max(published), count(published) FROM documents").fetchone()
        undated = self.con.execute("SELECT count(*) FROM documents WHERE published IS NULL").fetchone()[0]
        return (date.fromisoformat(oldest) if oldest else None, date.fromisoformat(newest) if newest else None,
                dated, undated)

    def count_published(self, since: date, until: date) -> int:
        """How many documents were published inside the inclusive window."""
        return self.con.execute("SELECT count(*) FROM documents WHERE published BETWEEN ? AND ?",
                                (since.isoformat(), until.isoformat())).fetchone()[0]

    def undated_ids(self) -> list[str]:
        """Ids of the documents with no publication date."""
        return [r[0] for r in self.con.execute("SELECT id FROM documents WHERE published IS NULL")]

    def occurrences(self, doc_id: str) -> list[tuple[str, int]]:
        """Where a stored document occurs: ``(path, record)`` pairs in order."""
        return list(self.con.execute("SELECT path, record FROM occurrences WHERE doc_id = ? ORDER BY path, record",
                                     (doc_id,)))

    def dense(self, query_vector: np.ndarray, depth: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """The ``depth`` passages nearest to ``query_vector`` (inner product of normalised vectors), as
        ``(chunk id, cosine)`` best first; only ids in ``allowed`` when it is given."""
        index = self.faiss_index()
        if not index.ntotal:
            return []
        wanted = index.ntotal if allowed is not None else min(depth, index.ntotal)
        scores, ids = index.search(np.asarray(query_vector, dtype="float32").reshape(1, -1), wanted)
        out: list[tuple[int, float]] = []
        for cid, sc in zip(ids[0], scores[0]):
            if cid < 0 or (allowed is not None and int(cid) not in allowed):
                continue
            out.append((int(cid), float(sc)))
            if len(out) >= depth:
                break
        return out

    def keyword(self, match: str, limit: int) -> list[tuple[int, float]]:
        """FTS5 bm25 search (title weighted half as much as text); ``(chunk id, bm25)`` best first."""
        if not match:
            return []
        try:
            return list(self.con.execute(
                "SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
                "ORDER BY s LIMIT ?", (match, limit)))
        except sqlite3.OperationalError:
            return []

    def vectors(self, ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, vectors)`` straight from SQLite, the source of truth."""
        dim = int(self.meta().get("dim", 0))
        if ids is None:
            rows = self.con.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        else:
            rows = []
            ids = list(ids)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                rows += self.con.execute(
                    f"SELECT id, vector FROM chunks WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
        bad = next((r for r in rows if len(r[1]) != 4 * dim), None)
        if bad is not None:
            raise IndexError_(f"the index at {self.root}/ is damaged (passage {bad[0]} has a vector of {len(bad[1])} "
                              f"bytes, not {4 * dim}); {REBUILD}")
        idx = np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype="float32").reshape(len(rows), dim) if rows \
            else np.zeros((0, dim), dtype="float32")
        return idx, vecs

    # ---- writing (only inside Store.writer) ---------------------------------------------------------------------
    def apply(self, *, meta: dict[str, str], touched: Sequence[FileState], removed: Sequence[str],
              new_docs: Sequence[tuple[Document, list[tuple[str, int, int | None]], list[Chunk], np.ndarray]],
              aliases: Sequence[tuple[str, str, int, int | None]], skips: dict[str, list[str]],
              restamped: Sequence[FileState] = ()) -> int:
        """Apply one build in a single transaction: files re-read (``touched``) and ``removed`` lose their old
        occurrences; ``new_docs`` (document, its occurrences, chunks, vectors) and ``aliases`` (doc id, path,
        record, line: a known document seen in another place) are added; documents left with no occurrence are
        deleted with their chunks; ``restamped`` files only get their new size and mtime (same content). Then the
        FAISS file of the new generation is written. Returns the generation."""
        gen = self.generation() + 1
        try:
            deleted, added_ids, added_vecs = self._apply(gen, meta, touched, removed, new_docs, aliases, skips,
                                                         restamped)
        except sqlite3.Error as exc:
            hint = "; free some space and run again" if "SQLITE_FULL" in getattr(exc, "sqlite_errorname", "") else ""
            raise IndexError_(f"could not write the index at {self.root}/ ({exc}); the previous index is intact"
                              f"{hint}") from None
        if self._swap is not None:
            # --rebuild: the new database is complete and committed; one rename publishes it. Readers that opened
            # the old one keep reading it whole. The old database's journal goes first: it must never be taken for
            # the journal of the new one.
            try:
                (self.root / (DB_NAME + "-journal")).unlink(missing_ok=True)
                os.replace(self._swap, self.root / DB_NAME)
            except OSError as exc:
                raise IndexError_(f"could not replace the index at {self.root}/ ({exc.strerror or exc}); the "
                                  "previous index is intact") from None
            self._swap = None
            # SQLite refuses writes through a connection whose file was renamed: go on under the new name
            self.con.close()
            self.con = _connect(self.root / DB_NAME)
        try:
            self._write_faiss(gen, deleted, added_ids, added_vecs)
        except (OSError, RuntimeError) as exc:
            # the commit stands: readers rebuild the vector file from SQLite, so nothing is lost
            raise IndexError_(f"the index was updated but its vector file could not be written ({_short(exc)}); "
                              "it will be rebuilt on next use") from None
        try:
            self.write_manifest()
        except OSError as exc:
            raise IndexError_(f"the index was updated but {MANIFEST} could not be written ({exc.strerror or exc}); "
                              "the next `briefing index` writes it") from None
        return gen

    def _apply(self, gen, meta, touched, removed, new_docs, aliases, skips, restamped):
        """The transaction of :meth:`apply`; returns the passage ids deleted and added, and the added vectors."""
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            gone_paths = [f.path for f in touched] + list(removed)
            affected: set[str] = set()
            for p in gone_paths:
                affected.update(r[0] for r in con.execute("SELECT doc_id FROM occurrences WHERE path = ?", (p,)))
                con.execute("DELETE FROM occurrences WHERE path = ?", (p,))
                con.execute("DELETE FROM skips WHERE path = ?", (p,))
            con.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])
            con.executemany(
                "INSERT OR REPLACE INTO files(path, size, mtime_ns, sha256, status, reason, indexed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(f.path, f.size, f.mtime_ns, f.sha256, f.status, f.reason, time.time()) for f in touched])
            con.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                            [(f.size, f.mtime_ns, f.path) for f in restamped])
            for path, reasons in skips.items():
                con.executemany("INSERT INTO skips(path, reason) VALUES (?, ?)", [(path, r) for r in reasons])
            for doc_id, path, record, line in aliases:
                con.execute("INSERT OR REPLACE INTO occurrences(path, record, doc_id, line) VALUES (?, ?, ?, ?)",
                            (path, record, doc_id, line))
                affected.add(doc_id)
            added_ids: list[int] = []
            added_vecs: list[np.ndarray] = []
            for doc, occs, chunks, vecs in new_docs:
                con.execute(
                    "INSERT INTO documents(id, path, record, line, title, published, source, url, authors, kind, "
                    "verbatim, body_start, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, doc.path, doc.record, doc.line, doc.title,
                     doc.published.isoformat() if doc.published else None, doc.source, doc.url,
                     json.dumps(list(doc.authors)), doc.kind, int(doc.verbatim), doc.body_start, doc.text))
                con.executemany("INSERT OR REPLACE INTO occurrences(path, record, doc_id, line) VALUES (?, ?, ?, ?)",
                                [(p, r, doc.id, ln) for p, r, ln in occs])
                for chunk, vec in zip(chunks, vecs):
                    s = chunk.span
                    cur = con.execute(
                        "INSERT INTO chunks(doc_id, ord, char_start, char_end, line_start, line_end, text, vector) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc.id, chunk.ord, s.char_start, s.char_end, s.line_start, s.line_end, chunk.text,
                         np.asarray(vec, dtype="float32").tobytes()))
                    con.execute("INSERT INTO chunks_fts(rowid, text, title) VALUES (?, ?, ?)",
                                (cur.lastrowid, chunk.text, doc.title))
                    added_ids.append(cur.lastrowid)
                    added_vecs.append(vec)
            deleted_ids = self._settle(affected)
            for k, v in {**meta, "generation": str(gen), "schema_version": str(SCHEMA_VERSION)}.items():
                con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (k, v))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return deleted_ids, added_ids, added_vecs

    def _settle(self, doc_ids: set[str]) -> list[int]:
        """Delete documents that lost every occurrence; re-point the rest to a remaining occurrence."""
        con = self.con
        deleted: list[int] = []
        for doc_id in doc_ids:
            occ = con.execute("SELECT path, record, line FROM occurrences WHERE doc_id = ? ORDER BY path, record",
                              (doc_id,)).fetchone()
            if occ is None:
                ids = [r[0] for r in con.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
                con.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
                con.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                con.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
                deleted += ids
                continue
            row = con.execute("SELECT path, record, line FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is not None and (row[0], row[1]) != (occ[0], occ[1]):
                con.execute("UPDATE documents SET path = ?, record = ?, line = ? WHERE id = ?", (*occ, doc_id))
                if occ[2] is not None:  # a json(l) record: every span reports the record's line
                    con.execute("UPDATE chunks SET line_start = ?, line_end = ? WHERE doc_id = ?",
                                (occ[2], occ[2], doc_id))
        return deleted

    def write_manifest(self) -> None:
        """Mirror the manifest to ``manifest.json`` (for people and tools; SQLite stays authoritative)."""
        tmp = self.root / ".manifest.json.tmp"
        text = json.dumps(self.manifest(), indent=2) + "\n"
        _write_replace(tmp, self.root / MANIFEST, lambda: tmp.write_text(text))

    def ensure_manifest(self) -> None:
        """Mend what is derived after a run that changed nothing: the vector file when it is missing or not the one
        recorded (damaged, or never written after a commit), and ``manifest.json`` when it is missing or stale."""
        if not self.meta():
            return
        self.heal_vectors()
        try:
            current = json.loads((self.root / MANIFEST).read_text()) == json.loads(json.dumps(self.manifest()))
        except (OSError, ValueError):
            current = False
        if not current:
            self.write_manifest()

    def restamp(self, files: Sequence[FileState]) -> None:
        """Record new size and mtime for files whose content did not change (touched, copied back...)."""
        with self.con:
            self.con.execute("BEGIN IMMEDIATE")
            self.con.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                                 [(f.size, f.mtime_ns, f.path) for f in files])

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.root.iterdir() if p.is_file())


def _short(exc: BaseException) -> str:
    """An exception on one line (FAISS errors carry a C++ stack trace over several lines)."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]


def _sqlite_header(db: Path) -> bool:
    """Whether ``db`` starts like an SQLite database (another program's, when its tables are not briefing's)."""
    try:
        with db.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _doc(r) -> Document:
    return Document(
        id=r[0], path=r[1], title=r[2], text=r[3], published=date.fromisoformat(r[4]) if r[4] else None,
        source=r[5], url=r[6], authors=tuple(json.loads(r[7])), kind=r[8], verbatim=bool(r[9]), body_start=r[10],
        line=r[11], record=r[12])
