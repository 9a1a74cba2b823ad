"""Where an index lives: the store protocol (:mod:`.base`), the SQLite + FAISS store (:mod:`.sqlite`), its vector
file (:mod:`.vectors`) and consistency check (:mod:`.check`), and the PostgreSQL + pgvector store (:mod:`.postgres`)
for an index at a ``postgresql://`` URL."""

from __future__ import annotations

from pathlib import Path

from briefing.config import is_server_url as is_server


def open_store(location: str | Path):
    """The store holding the index at ``location`` (one place chooses the store kind), opened for reading."""
    if is_server(location):
        from briefing.store.postgres import Store as PgStore

        return PgStore.open(location)
    from briefing.store.sqlite import Store

    return Store.open(Path(location))


def store_writer(location: str | Path, *, rebuild: bool = False):
    """The store at ``location`` opened for writing (a context manager holding the writer's lock)."""
    if is_server(location):
        from briefing.store.postgres import Store as PgStore

        return PgStore.writer(location, rebuild=rebuild)
    from briefing.store.sqlite import Store

    return Store.writer(Path(location), rebuild=rebuild)


def server_error(exc: BaseException):
    """The one-line :class:`~briefing.errors.IndexError_` for a database server's error, None for anything else."""
    if type(exc).__module__.split(".")[0] != "psycopg":
        return None
    from briefing.store.pgsql import server_error as explain

    return explain(exc)
