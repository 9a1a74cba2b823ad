"""The FAISS file of an index: a derived, generation-stamped copy of the vectors in SQLite, with its sha256 recorded
in the database. Loaded when it is the file recorded for the current generation, else rebuilt from SQLite (after a
crash between a commit and the file's write, or when the file is missing, damaged or garbled)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from briefing.store.folder import vectors_generation, write_replace as _write_replace

# Vector files up to this size are checked against their recorded sha256 each time they are loaded (about 30 ms
# per 100 MB); larger ones only by `briefing status --check`.
VERIFY_ON_LOAD_BYTES = 256_000_000


class VectorFile:
    """What :class:`briefing.store.sqlite.Store` does with its FAISS file (it needs ``root``, ``con``, ``meta()``,
    ``generation()``, ``vectors()`` and the ``_faiss``, ``_faiss_gen`` and ``_fresh`` attributes)."""

    def faiss_index(self):
        """The FAISS index of the current generation: loaded from disk when its file matches, else rebuilt from
        SQLite (after a crash between commit and file write, or if the file is missing or damaged)."""
        from briefing.store.vectors import tune

        gen = self.generation()
        if self._faiss is not None and self._faiss_gen == gen:
            return self._faiss
        path = self.root / f"vectors-{gen}.faiss"
        index = None
        if path.exists():
            try:
                index = self._read_vectors(path, gen)
                if index is not None:
                    tune(index)
            except (RuntimeError, OSError):
                index = None
        counts = self.con.execute("SELECT count(*) FROM chunks").fetchone()[0]
        if index is None or index.ntotal != counts:
            index = self._build_faiss()
        self._faiss, self._faiss_gen = index, gen
        return index

    def _read_vectors(self, path: Path, gen: int):
        """The FAISS index in ``path``, or None when its bytes are not the ones recorded for generation ``gen``
        (garbled vectors with the right ids would silently change results); files over ``VERIFY_ON_LOAD_BYTES``
        are read unchecked (``status --check`` still compares them with the database)."""
        import faiss

        recorded = self.vectors_sha256(gen)
        if recorded is None or path.stat().st_size > VERIFY_ON_LOAD_BYTES:
            return faiss.read_index(str(path))
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != recorded:
            return None
        return faiss.deserialize_index(np.frombuffer(data, dtype="uint8"))

    def vectors_sha256(self, gen: int) -> str | None:
        """The sha256 recorded for generation ``gen``'s vector file (None when none is: an older index, or a build
        that stopped between its commit and the file)."""
        stamp = self.meta().get("vectors_sha256", "")
        recorded_gen, _, sha = stamp.partition(":")
        return sha if recorded_gen == str(gen) and sha else None

    def _build_faiss(self):
        from briefing.store.vectors import new_index

        ids, vecs = self.vectors()
        return new_index(int(self.meta().get("dim", 0)) or 1, ids, vecs)

    def _write_faiss(self, gen: int, deleted: list[int], added: list[int], vecs: list[np.ndarray]) -> None:
        """Update the previous generation's FAISS index and write it under the new generation's name (built
        afresh when there is none, or when the collection outgrew its kind: see ``vectors.outgrown``)."""
        import faiss

        from briefing.store.vectors import outgrown

        prev = None if self._fresh else self._faiss  # a rebuild never starts from the previous index's vectors
        if prev is None and not self._fresh:
            old = sorted(self.root.glob("vectors-*.faiss"))
            if old and old[-1].name == f"vectors-{gen - 1}.faiss":
                try:
                    prev = faiss.read_index(str(old[-1]))
                except RuntimeError:
                    prev = None
        total = self.con.execute("SELECT count(*) FROM chunks").fetchone()[0]
        if prev is None or outgrown(prev, total):
            index = self._build_faiss()
        else:
            index = prev
            if deleted:
                index.remove_ids(np.asarray(deleted, dtype="int64"))
            if added:
                index.add_with_ids(np.vstack(vecs).astype("float32"), np.asarray(added, dtype="int64"))
            if index.ntotal != total:
                index = self._build_faiss()
        self._faiss, self._faiss_gen = index, gen

        self._save_faiss(index, gen)
        for p in self.root.glob("vectors-*.faiss"):
            # only briefing's own vectors-N.faiss files: someone's vectors-mine.faiss is not ours to delete
            if vectors_generation(p.name) not in (None, gen):
                p.unlink(missing_ok=True)

    def _save_faiss(self, index, gen: int) -> None:
        """Write ``index`` as generation ``gen``'s vector file and record its sha256 in the database."""
        import faiss

        tmp = self.root / f".vectors-{gen}.faiss.tmp"
        digest = hashlib.sha256()

        def write() -> None:
            # through a Python file: faiss.write_index(index, path) only prints a failed write (a full disk) on
            # stderr and leaves a truncated file behind; here the OSError is raised
            with open(tmp, "wb") as f:
                def put(data: bytes) -> int:
                    digest.update(data)
                    return f.write(data)

                faiss.write_index(index, faiss.PyCallbackIOWriter(put))

        _write_replace(tmp, self.root / f"vectors-{gen}.faiss", write)
        self._record_sha256(gen, digest.hexdigest())

    def heal_vectors(self) -> None:
        """Write the current generation's vector file again from SQLite when it is missing, unreadable or not the
        file recorded; an intact-looking file of an index made before checksums were recorded gets its sha256
        recorded as it is (``status --check`` compares its vectors with the database)."""
        import faiss

        gen = self.generation()
        path = self.root / f"vectors-{gen}.faiss"
        recorded = self.vectors_sha256(gen)
        try:
            data = path.read_bytes() if path.exists() else None
            if data is not None and recorded is None:
                faiss.deserialize_index(np.frombuffer(data, dtype="uint8"))  # raises when unreadable
                self._record_sha256(gen, hashlib.sha256(data).hexdigest())
                return
            if data is not None and hashlib.sha256(data).hexdigest() == recorded:
                return
        except RuntimeError:
            pass
        self._faiss = None
        self._save_faiss(self._build_faiss(), gen)

    def _record_sha256(self, gen: int, sha: str) -> None:
        try:
            with self.con:
                self.con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('vectors_sha256', ?)",
                                 (f"{gen}:{sha}",))
        except sqlite3.Error as exc:
            raise OSError(f"could not record the vector file's checksum ({exc})") from None

