"""The PostgreSQL + pgvector store: one shared archive that several analysts index into and query at once.

Same semantics as the SQLite store (:mod:`briefing.store.sqlite`): documents, their occurrences and passages with
exact spans; vectors in a pgvector column with an HNSW index (cosine), keywords in a ``tsvector`` with a GIN index
ranked by BM25; a manifest (``briefing_meta``) that refuses to mix models or chunkings. A writer holds a
transaction-scoped advisory lock for its whole run, so two ``briefing index`` runs (from any machines) never
interleave: the second waits, then finds the work done. The run's changes are one transaction. Readers query inside
REPEATABLE READ snapshots. Nothing is written to local disk."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from datetime import date
from typing import Iterable, Iterator, Sequence

import numpy as np

from briefing.errors import IndexError_
import briefing.store.pgsql as pgsql
from briefing.store.base import check_same_model, manifest_of
from briefing.store.pgsql import SCHEMA_VERSION, display_url
from briefing.store.sqlite import FileState, _doc
from briefing.types import Chunk, Document, Span

_DOC_COLS = ("id, path, title, text, published::text, source, url, authors, kind, verbatim, body_start, line, "
             "record")


def _connect(url: str, *, autocommit: bool):
    try:
        import psycopg
    except ImportError:
        raise IndexError_("the PostgreSQL store needs its client: pip install 'briefing[postgres]'") from None
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, application_name="briefing")
    except psycopg.Error as exc:
        raise pgsql.server_error(exc, url) from None


class Store:
    """An index in a PostgreSQL database. Open with :meth:`open` to read, or :meth:`writer` to change it."""

    local_dir = None  # nothing lives on local disk: the query model's export comes from this machine's cache

    def __init__(self, url: str, con):
        self.root = display_url(url)
        self.url = url
        self.con = con
        self._empty = False  # --rebuild: the index reads as empty until apply replaces it

    # ---- opening -------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str) -> "Store":
        """Open an existing index for reading; a missing or unfinished one is a clear error naming the fix."""
        con = _connect(url, autocommit=True)
        import psycopg

        store = cls(url, con)
        try:
            if not store._has_table("briefing_meta"):
                con.close()
                raise IndexError_(f"no index at {store.root}; run `briefing index FOLDER --index URL` first")
            meta = store.meta()
            if not meta or not store._has_table("briefing_chunks"):
                con.close()
                raise IndexError_(f"the index at {store.root} was never completed; run `briefing index FOLDER`")
            if int(meta.get("schema_version", 0)) != SCHEMA_VERSION:
                con.close()
                raise IndexError_(f"the index at {store.root} has schema {meta.get('schema_version')}, this "
                                  f"briefing reads {SCHEMA_VERSION}; run `briefing index --rebuild FOLDER`")
            store._prepare()
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            con.read_only = True
        except psycopg.Error as exc:
            con.close()
            raise pgsql.server_error(exc, url) from None
        return store

    @classmethod
    @contextlib.contextmanager
    def writer(cls, url: str, *, rebuild: bool = False) -> Iterator["Store"]:
        """Open (creating the tables if needed) for writing, inside one transaction that holds the index's advisory
        lock: a second writer waits until this one commits or rolls back. With ``rebuild`` the index reads as empty
        and :meth:`apply` replaces it whole; readers see the previous index until then."""
        con = _connect(url, autocommit=False)
        import psycopg

        store = cls(url, con)
        try:
            try:
                schema = con.execute("SELECT current_schema()").fetchone()[0]
                if schema is None:
                    raise IndexError_(f"{store.root} has no schema to write to; check the URL's search_path")
                key = pgsql.lock_key(schema)
                if not con.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()[0]:
                    print(f"another `briefing index` is writing {store.root}; waiting for it to finish",
                          file=sys.stderr, flush=True)
                    con.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
                store._create_schema()
            except psycopg.Error as exc:
                raise pgsql.server_error(exc, url) from None
            store._empty = rebuild
            yield store
        finally:
            with contextlib.suppress(Exception):
                con.rollback()  # a run that did not reach apply changes nothing
            con.close()

    def _create_schema(self) -> None:
        con = self.con
        if not con.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
            try:
                with con.transaction():
                    con.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except Exception as exc:
                raise IndexError_(f"{self.root} has no pgvector extension and this user cannot add it ({exc}); "
                                  "ask the database's administrator to run CREATE EXTENSION vector") from None
        self._prepare()
        if not con.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s AND cfgnamespace = "
                           "current_schema()::regnamespace", (pgsql.TS_CONFIG,)).fetchone():
            con.execute(pgsql.TS_CONFIG_SQL)
        con.execute(pgsql.SCHEMA)

    def _prepare(self) -> None:
        import psycopg
        from pgvector.psycopg import register_vector

        try:
            register_vector(self.con)
        except psycopg.ProgrammingError:
            raise IndexError_(f"{self.root} has no pgvector `vector` type on its search_path; add the schema that "
                              "holds the extension (public) to it, e.g. ?options=-csearch_path%3Ddesk_a,public, "
                              "or run CREATE EXTENSION vector") from None
        self.con.execute("SELECT set_config('hnsw.ef_search', %s, false), "
                         "set_config('hnsw.iterative_scan', 'relaxed_order', false)", (str(pgsql.EF_SEARCH),))

    @contextlib.contextmanager
    def snapshot(self) -> Iterator["Store"]:
        """A REPEATABLE READ transaction: every query inside sees one state of the index, even while a writer
        commits."""
        if not self.con.autocommit or self.con.info.transaction_status != 0:
            yield self  # a writer's transaction, or already inside a snapshot
            return
        with self.con.transaction():
            yield self

    def _has_table(self, name: str) -> bool:
        """Whether the current schema (not just any schema on the search_path) holds the table ``name``."""
        return self.con.execute("SELECT to_regclass(format('%%I.%%I', current_schema(), %s::text)) IS NOT NULL",
                                (name,)).fetchone()[0]

    def _rows(self, sql: str, args=None) -> list:
        return self.con.execute(sql, args).fetchall()

    # ---- metadata -------------------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return {} if self._empty else self._meta()

    def _meta(self) -> dict[str, str]:
        return dict(self._rows("SELECT key, value FROM briefing_meta"))

    def generation(self) -> int:
        return int(self.meta().get("generation", 0))

    def manifest(self) -> dict:
        return manifest_of(self.meta(), self.counts(), SCHEMA_VERSION)

    def counts(self) -> dict[str, int]:
        if self._empty:
            return dict.fromkeys(("files", "documents", "undated", "chunks", "duplicates", "skipped"), 0)
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM briefing_files WHERE status = 'ok'), "
            "(SELECT count(*) FROM briefing_documents), "
            "(SELECT count(*) FROM briefing_documents WHERE published IS NULL), "
            "(SELECT count(*) FROM briefing_chunks), (SELECT count(*) FROM briefing_occurrences), "
            "(SELECT count(*) FROM briefing_skips)").fetchone()
        return {"files": row[0], "documents": row[1], "undated": row[2], "chunks": row[3],
                "duplicates": row[4] - row[1], "skipped": row[5]}

    def check_model(self, model: str, sha256: str, dim: int, chunking: dict) -> None:
        """Refuse to mix vectors of two models or two chunkings in one index."""
        check_same_model(self.meta(), model, sha256, dim, chunking)

    def size_on_disk(self) -> int:
        """Bytes the index's tables and their indexes take on the server."""
        return int(self.con.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c WHERE c.relkind = 'r' "
            "AND c.relname LIKE 'briefing\\_%%' AND c.relnamespace = current_schema()::regnamespace").fetchone()[0])

    # ---- reading ----------------------------------------------------------------------------------------------
    def files(self) -> dict[str, FileState]:
        if self._empty:
            return {}
        return {r[0]: FileState(*r) for r in self._rows(
            "SELECT path, size, mtime_ns, sha256, status, reason FROM briefing_files")}

    def skips(self) -> list[tuple[str, str]]:
        if self._empty:
            return []
        return [tuple(r) for r in self._rows("SELECT path, reason FROM briefing_skips ORDER BY path COLLATE \"C\"")]

    def has_document(self, doc_id: str) -> bool:
        return not self._empty and bool(self._rows("SELECT 1 FROM briefing_documents WHERE id = %s", (doc_id,)))

    def documents(self, ids: Iterable[str] | None = None) -> dict[str, Document]:
        if ids is None:
            rows = self._rows(f"SELECT {_DOC_COLS} FROM briefing_documents")
        else:
            rows = self._rows(f"SELECT {_DOC_COLS} FROM briefing_documents WHERE id = ANY(%s)",
                              (list(dict.fromkeys(ids)),))
        return {r[0]: _doc(r) for r in rows}

    def occurrences(self, doc_id: str) -> list[tuple[str, int]]:
        if self._empty:
            return []
        return [tuple(r) for r in self._rows(
            "SELECT path, record FROM briefing_occurrences WHERE doc_id = %s ORDER BY path COLLATE \"C\", record",
            (doc_id,))]

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        rows = self._rows("SELECT id, doc_id, ord, text, char_start, char_end, line_start, line_end "
                          "FROM briefing_chunks WHERE id = ANY(%s)", ([int(i) for i in ids],))
        return {r[0]: Chunk(r[1], r[2], r[3], Span(r[4], r[5], r[6], r[7]), id=r[0]) for r in rows}

    def chunk_ids_between(self, since: date | None, until: date | None) -> set[int]:
        return {r[0] for r in self._rows(
            "SELECT c.id FROM briefing_chunks c JOIN briefing_documents d ON d.id = c.doc_id "
            "WHERE d.published IS NOT NULL AND (%(s)s::date IS NULL OR d.published >= %(s)s) "
            "AND (%(u)s::date IS NULL OR d.published <= %(u)s)", {"s": since, "u": until})}

    def date_range(self) -> tuple[date | None, date | None, int, int]:
        oldest, newest, dated, total = self.con.execute(
            "SELECT min(published), max(published), count(published), count(*) FROM briefing_documents").fetchone()
        return oldest, newest, dated, total - dated

    def count_published(self, since: date, until: date) -> int:
        return self.con.execute("SELECT count(*) FROM briefing_documents WHERE published BETWEEN %s AND %s",
                                (since, until)).fetchone()[0]

    def undated_ids(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT id FROM briefing_documents WHERE published IS NULL")]

    # ---- the two rankings ---------------------------------------------------------------------------------------
    def dense(self, query_vector: np.ndarray, depth: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """The ``depth`` passages nearest to ``query_vector`` by cosine, as ``(chunk id, cosine)`` best first; only
        ids in ``allowed`` when given. Through the HNSW index, or an exact scan below ``pgsql.EXACT_BELOW``
        passages."""
        vec = np.asarray(query_vector, dtype="float32").ravel()
        where, args = "", {"v": vec, "n": int(depth)}
        if allowed is not None:
            if not allowed:
                return []
            where, args["ids"] = "WHERE id = ANY(%(ids)s)", sorted(int(i) for i in allowed)
        with self.snapshot():
            # "+ 0" orders by an expression the HNSW index cannot serve: an exact scan
            exact = " + 0" if int(self._meta().get("passages", 0)) < pgsql.EXACT_BELOW else ""
            if depth > pgsql.EF_SEARCH and not exact:
                self.con.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(min(depth, 1000)),))
            rows = self._rows(f"SELECT id, 1 - (embedding <=> %(v)s) FROM briefing_chunks {where} "
                              f"ORDER BY (embedding <=> %(v)s){exact} LIMIT %(n)s", args)
        return sorted(((int(i), float(s)) for i, s in rows), key=lambda r: (-r[1], r[0]))

    def keyword(self, match: str, limit: int) -> list[tuple[int, float]]:
        """BM25 over the passages' ``tsvector`` for an FTS5-style ``match`` (quoted terms OR-ed): ``(chunk id,
        -bm25)`` best first, as the SQLite store's FTS5 ranks them. Terms only ever reach SQL as parameters."""
        terms = pgsql.match_terms(match)
        if not terms:
            return []
        with self.snapshot():
            words, phrases = [], []
            for _, lexemes, tsquery in self._rows(pgsql.TERMS, (terms,)):
                if not lexemes or not tsquery:
                    continue  # nothing left to search for (punctuation only)
                (words if len(lexemes) == 1 else phrases).append((lexemes[0], tsquery))
            if not words and not phrases:
                return []
            stats = self._meta()
            total, tokens = int(stats.get("passages", 0)), int(stats.get("tokens", 0))
            if not total:
                return []
            idfs = [pgsql.idf(total, self.con.execute(pgsql.HITS, (tq,)).fetchone()[0]) for _, tq in words + phrases]
            rows = self._rows(pgsql.BM25, {
                "any": " | ".join(f"( {tq} )" for _, tq in words + phrases),
                "lex": [lex for lex, _ in words], "lidf": idfs[: len(words)],
                "phr": [tq for _, tq in phrases], "pidf": idfs[len(words):],
                "avglen": max(tokens / total, 1e-9), "limit": int(limit)})
        return [(int(i), float(s)) for i, s in rows]

    def vectors(self, ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        dim = int(self.meta().get("dim", 0))
        if ids is None:
            rows = self._rows("SELECT id, embedding FROM briefing_chunks ORDER BY id")
        else:
            rows = self._rows("SELECT id, embedding FROM briefing_chunks WHERE id = ANY(%s) ORDER BY id",
                              ([int(i) for i in ids],))
        idx = np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))
        vecs = np.vstack([np.asarray(r[1].to_numpy(), dtype="float32") for r in rows]) if rows \
            else np.zeros((0, dim), dtype="float32")
        return idx, vecs

    # ---- writing (only inside Store.writer) ---------------------------------------------------------------------
    def apply(self, *, meta: dict[str, str], touched: Sequence[FileState], removed: Sequence[str],
              new_docs: Sequence[tuple[Document, list[tuple[str, int, int | None]], list[Chunk], np.ndarray]],
              aliases: Sequence[tuple[str, str, int, int | None]], skips: dict[str, list[str]],
              restamped: Sequence[FileState] = ()) -> int:
        """Apply one build and commit the run's transaction (see :meth:`briefing.store.sqlite.Store.apply` for
        what each argument means). Returns the new generation."""
        import psycopg

        gen = int(self._meta().get("generation", 0)) + 1
        try:
            self._apply(gen, meta, touched, removed, new_docs, aliases, skips, restamped)
            self.con.commit()
        except psycopg.Error as exc:
            self.con.rollback()
            err = pgsql.server_error(exc, self.url)
            raise IndexError_(f"{err}; the previous index is intact") from None
        self._empty = False
        return gen

    def _apply(self, gen, meta, touched, removed, new_docs, aliases, skips, restamped) -> None:
        con = self.con
        fresh = self._empty or not self._has_table("briefing_chunks")
        if self._empty:  # --rebuild: the previous index goes in this same transaction
            con.execute("DROP TABLE IF EXISTS " + ", ".join(pgsql.TABLES))
            con.execute("DELETE FROM briefing_meta")
            con.execute(pgsql.SCHEMA)
        if fresh:
            con.execute(pgsql.chunks_table(int(meta["dim"])))
        gone = [f.path for f in touched] + list(removed)
        affected = {r[0] for r in self._rows(
            "DELETE FROM briefing_occurrences WHERE path = ANY(%s) RETURNING doc_id", (gone,))}
        con.execute("DELETE FROM briefing_skips WHERE path = ANY(%s)", (gone,))
        con.execute("DELETE FROM briefing_files WHERE path = ANY(%s)", (list(removed),))
        now = time.time()
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO briefing_files (path, size, mtime_ns, sha256, status, reason, indexed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, "
                "mtime_ns = EXCLUDED.mtime_ns, sha256 = EXCLUDED.sha256, status = EXCLUDED.status, "
                "reason = EXCLUDED.reason, indexed_at = EXCLUDED.indexed_at",
                [(f.path, f.size, f.mtime_ns, f.sha256, f.status, f.reason, now) for f in touched])
            cur.executemany("UPDATE briefing_files SET size = %s, mtime_ns = %s WHERE path = %s",
                            [(f.size, f.mtime_ns, f.path) for f in restamped])
            cur.executemany("INSERT INTO briefing_skips (path, reason) VALUES (%s, %s)",
                            [(p, r) for p, reasons in skips.items() for r in reasons])
            occurrences = [(p, r, doc_id, ln) for doc_id, p, r, ln in aliases]
            occurrences += [(p, r, doc.id, ln) for doc, occs, _, _ in new_docs for p, r, ln in occs]
            cur.executemany(
                "INSERT INTO briefing_occurrences (path, record, doc_id, line) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (path, record) DO UPDATE SET doc_id = EXCLUDED.doc_id, line = EXCLUDED.line",
                occurrences)
        affected.update(doc_id for doc_id, *_ in aliases)
        self._copy_documents(new_docs)
        self._copy_chunks(new_docs, int(meta["dim"]))
        self._settle(sorted(affected))
        passages, tokens = con.execute("SELECT count(*), coalesce(sum(nlen), 0) FROM briefing_chunks").fetchone()
        values = {**meta, "generation": str(gen), "schema_version": str(SCHEMA_VERSION), "passages": str(passages),
                  "tokens": str(tokens)}
        with con.cursor() as cur:
            cur.executemany("INSERT INTO briefing_meta (key, value) VALUES (%s, %s) "
                            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", list(values.items()))
        if fresh:  # built after the load: much faster than maintaining them row by row
            # an HNSW build is several times faster when its graph fits in memory (for this transaction only)
            con.execute("SELECT set_config('maintenance_work_mem', %s, true)", (pgsql.BUILD_MEMORY,))
            con.execute(pgsql.SEARCH_INDEXES)
            con.execute("ANALYZE briefing_chunks")
            con.execute("ANALYZE briefing_documents")

    def _copy_documents(self, new_docs) -> None:
        if not new_docs:
            return
        with self.con.cursor() as cur, cur.copy(
                "COPY briefing_documents (id, path, record, line, title, published, source, url, authors, kind, "
                "verbatim, body_start, text) FROM STDIN") as copy:
            for doc, _, _, _ in new_docs:
                copy.write_row((doc.id, doc.path, doc.record, doc.line, pgsql.stored(doc.title), doc.published,
                                pgsql.stored(doc.source), pgsql.stored(doc.url), json.dumps(list(doc.authors)),
                                doc.kind, doc.verbatim, doc.body_start, pgsql.stored(doc.text)))

    def _copy_chunks(self, new_docs, dim: int) -> None:
        """Passages go through a staging table by binary COPY; the insert from it computes their ``tsvector``."""
        if not any(chunks for _, _, chunks, _ in new_docs):
            return
        con = self.con
        con.execute(pgsql.STAGE.format(dim=int(dim)))
        n = 0
        with con.cursor() as cur, cur.copy(f"COPY briefing_stage ({pgsql.STAGE_COLUMNS}) FROM STDIN "
                                           "WITH (FORMAT BINARY)") as copy:
            copy.set_types(pgsql.STAGE_TYPES)
            for doc, _, chunks, vecs in new_docs:
                title = pgsql.keyword_text(doc.title or "")
                for chunk, vec in zip(chunks, vecs):
                    s, text = chunk.span, pgsql.stored(chunk.text)
                    copy.write_row((n, doc.id, chunk.ord, s.char_start, s.char_end, s.line_start, s.line_end, text,
                                    title, pgsql.keyword_text(text), np.asarray(vec, dtype="float32")))
                    n += 1
        con.execute(pgsql.FROM_STAGE)
        con.execute("DROP TABLE briefing_stage")

    def _settle(self, doc_ids: list[str]) -> None:
        """Delete documents that lost every occurrence; re-point the rest to their first remaining occurrence."""
        if not doc_ids:
            return
        con = self.con
        orphans = [r[0] for r in self._rows(
            "SELECT d.id FROM briefing_documents d WHERE d.id = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM briefing_occurrences o WHERE o.doc_id = d.id)", (doc_ids,))]
        con.execute("DELETE FROM briefing_chunks WHERE doc_id = ANY(%s)", (orphans,))
        con.execute("DELETE FROM briefing_documents WHERE id = ANY(%s)", (orphans,))
        moved = self._rows(
            "UPDATE briefing_documents d SET path = o.path, record = o.record, line = o.line FROM ("
            "SELECT DISTINCT ON (doc_id) doc_id, path, record, line FROM briefing_occurrences WHERE doc_id = ANY(%s) "
            "ORDER BY doc_id, path COLLATE \"C\", record) o "
            "WHERE d.id = o.doc_id AND (d.path, d.record) IS DISTINCT FROM (o.path, o.record) RETURNING d.id, o.line",
            (doc_ids,))
        with con.cursor() as cur:  # a json(l) record: every span reports the record's line
            cur.executemany("UPDATE briefing_chunks SET line_start = %s, line_end = %s WHERE doc_id = %s",
                            [(line, line, doc_id) for doc_id, line in moved if line is not None])

    def ensure_manifest(self) -> None:
        """Nothing to do: the manifest is the ``briefing_meta`` table, written with every change."""

    def restamp(self, files: Sequence[FileState]) -> None:
        """Record new size and mtime for files whose content did not change, and commit."""
        with self.con.cursor() as cur:
            cur.executemany("UPDATE briefing_files SET size = %s, mtime_ns = %s WHERE path = %s",
                            [(f.size, f.mtime_ns, f.path) for f in files])
        self.con.commit()

    def problems(self) -> list[str]:
        """``status --check``: every inconsistency found, one line each (see :mod:`briefing.store.check`)."""
        from briefing.store.pgcheck import problems

        return problems(self)
