"""Read sessions for the web app's worker threads: each request runs inside one read snapshot of the index, on a
session that is reopened when the index folder changed, so a re-index while serving shows the old index or the new
one, never a mix."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable, Hashable, TypeVar

from briefing import config
from briefing.answer.session import Session

T = TypeVar("T")
CACHED = 8  # results kept by key (memos)


def _embedder_key(meta: dict) -> tuple:
    return tuple(meta.get(k) for k in ("model", "model_sha256", "int8"))


class Reader:
    """A bounded pool of worker threads, each with its own session over the index at ``root`` (SQLite connections
    belong to the thread that opened them); the query embedder is loaded once and shared.

    A build changes the index folder (a new vectors file, the journal of its commit, a rebuilt database renamed over
    the old one), so a worker reopens its session when the folder's inode or mtime differ from when it opened it;
    the stamp is taken before opening, so no change is ever missed. Inside a request every query runs in one read
    transaction (:meth:`Store.snapshot`), which sees one generation of the index even while a build commits."""

    def __init__(self, root: Path | str, workers: int = 4):
        self.root = root if config.is_server_url(root) else Path(root)
        self._local = threading.local()
        self._embedders: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefing-read")

    def _stamp(self) -> tuple[int, int] | None:
        if config.is_server_url(self.root):
            # a database has no folder to stat: its manifest's generation changes with every committed build
            current = getattr(self._local, "session", None)
            if current is None:
                return None
            try:
                return (0, current.store.generation())
            except Exception:  # noqa: BLE001 - a dropped connection: open a new session
                return None
        try:
            st = os.stat(self.root)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def session(self) -> Session:
        """This thread's session, reopened when the index changed since it was opened."""
        stamp = self._stamp()
        current = getattr(self._local, "session", None)
        if current is not None and self._local.stamp == stamp:
            return current
        session = Session(self.root)
        key = _embedder_key(session.store.meta())
        with self._lock:
            embedder = self._embedders.get(key)
            if embedder is None:
                embedder = self._embedders[key] = session.embedder()
        session._embedder = embedder
        self._local.session, self._local.stamp = session, stamp
        return session

    def read(self, work: Callable[[Session], T], key: Hashable | None = None) -> T:
        """``work(session)`` inside one read snapshot (on the calling thread). With a ``key`` the result is kept
        for the same key while the index does not change (the few newest kept: a memo takes seconds to build)."""
        session = self.session()
        stamp = (self._local.stamp, key)
        if key is not None:
            with self._lock:
                if stamp in self._cache:
                    self._cache.move_to_end(stamp)
                    return self._cache[stamp]
        with session.store.snapshot():
            result = work(session)
        if key is not None:
            with self._lock:
                self._cache[stamp] = result
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)
        return result

    async def run(self, work: Callable[[Session], T], key: Hashable | None = None) -> T:
        """:meth:`read` on a worker thread; requests beyond the pool's size wait their turn."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(self.read, work, key))

    def warm(self) -> None:
        """Open a session and load the query model now, so the first request does not pay for it."""
        self._pool.submit(lambda: self.session().query_vector("warm up")).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
