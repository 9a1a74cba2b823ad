"""Where an index lives: the store protocol (:mod:`.base`), the SQLite + FAISS store (:mod:`.sqlite`), its vector
file (:mod:`.vectors`) and consistency check (:mod:`.check`)."""

from __future__ import annotations

from pathlib import Path


def open_store(location: Path):
    """The store holding the index at ``location`` (one place chooses the store kind), opened for reading."""
    from briefing.store.sqlite import Store

    return Store.open(Path(location))


def store_writer(location: Path, *, rebuild: bool = False):
    """The store at ``location`` opened for writing (a context manager holding the writer's lock)."""
    from briefing.store.sqlite import Store

    return Store.writer(Path(location), rebuild=rebuild)
