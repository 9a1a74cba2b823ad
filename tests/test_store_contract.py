"""The store contract, written once and run against both stores: SQLite + FAISS in a folder, and PostgreSQL +
pgvector on a real server (tests/pgserver.py, started once per session). Indexing goes through the real indexer
with fast fake vectors; what is checked is what the rest of briefing relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from briefing.answer.retrieve import SearchSettings, fts_query, search
from briefing.errors import IndexError_
from briefing.ingest.chunking import ChunkSettings
from briefing.ingest.indexer import build_index, embed_text
from briefing.store import open_store
from briefing.store.check import check_index
from briefing.testing import FakeEmbedder, WhitespaceTokens

ARTICLE = "{title}\nPublished: {date}\n\n{body}\n"


@pytest.fixture(params=["sqlite", "postgres"])
def location(request, tmp_path):
    """Where an index goes: a folder, or a fresh PostgreSQL database."""
    return tmp_path / "index" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def write(folder: Path, name: str, body: str, title: str = "Daily bulletin", when: str = "November 26, 2025") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ARTICLE.format(title=title, date=when, body=body) if when else f"{title}\n\n{body}\n"
    path.write_text(text, encoding="utf-8")
    return path


class Counting(FakeEmbedder):
    def __init__(self):
        super().__init__(dim=32)
        self.texts = 0

    def embed(self, texts):
        self.texts += len(texts)
        return super().embed(texts)


def build(docs: Path, location, emb=None, **kw):
    return build_index([docs], location, embedder=emb or Counting(), tokens=WhitespaceTokens(), **kw)


def hits(location, question: str, **kw):
    store = open_store(location)
    with store.snapshot():
        return search(store, FakeEmbedder(32).embed([question])[0], question, SearchSettings(**kw))


def names(found) -> list[str]:
    return [Path(h.doc.path).name for h in found]


def corpus(docs: Path) -> None:
    write(docs, "macron.txt", "French President Emmanuel Macron announced a joint working group on Ukraine.",
          title="Macron announces a working group", when="November 25, 2025")
    write(docs, "rubio.txt", "Rubio said the United States wants a peace deal first. Talks went on in Geneva.",
          title="Rubio on the peace deal", when="November 27, 2025")
    write(docs, "perez.txt", "The film Emilia Pérez won prizes; critics in Paris disagreed about the prizes.",
          title="Awards season", when="November 28, 2025")
    write(docs, "undated.txt", "An undated note about grain exports through the Black Sea corridor.",
          title="Grain note", when="")


def test_incremental_add_change_delete(tmp_path, location):
    docs = tmp_path / "docs"
    corpus(docs)
    emb = Counting()
    first = build(docs, location, emb)
    assert first.counts["documents"] == 4 and first.counts["undated"] == 1 and emb.texts == first.chunks_added
    assert names(hits(location, "Macron working group"))[0] == "macron.txt"
    again = Counting()
    second = build(docs, location, again)
    assert again.texts == 0 and second.files_changed == 0 and second.generation == first.generation
    write(docs, "macron.txt", "Macron now proposed a reassurance force for Kyiv.", title="Macron proposes a force")
    (docs / "rubio.txt").unlink()
    third = build(docs, location, Counting())
    assert third.files_removed == 1 and third.counts["documents"] == 3 and third.generation == first.generation + 1
    assert "rubio.txt" not in names(hits(location, "Rubio peace deal Geneva", k=10))
    assert names(hits(location, "reassurance force Kyiv"))[0] == "macron.txt"
    assert "working group" not in " ".join(h.chunk.text for h in hits(location, "working group", k=10))
    assert check_index(open_store(location)) == []


def test_passages_keep_exact_spans_and_their_own_vectors(tmp_path, location):
    docs = tmp_path / "docs"
    corpus(docs)
    write(docs, "long.txt", " ".join(f"Sentence {j} about café prices in Zürich." for j in range(80)))
    build(docs, location, settings=ChunkSettings(48, 0))
    store = open_store(location)
    all_docs = store.documents()
    ids, vecs = store.vectors()
    chunks = store.chunks(ids.tolist())
    assert len(chunks) == len(ids) > 6 and vecs.shape == (len(ids), 32) and vecs.dtype == np.float32
    for cid, vec in zip(ids.tolist(), vecs):
        chunk = chunks[cid]
        doc = all_docs[chunk.doc_id]
        assert doc.text[chunk.span.char_start:chunk.span.char_end] == chunk.text
        line = doc.text.count("\n", 0, chunk.span.char_start) + 1
        assert chunk.span.line_start == line
        np.testing.assert_allclose(vec, FakeEmbedder(32).embed([embed_text(doc, chunk)])[0], atol=1e-6)
    assert check_index(store) == []


def test_identical_articles_are_stored_once_and_survive_losing_one_name(tmp_path, location):
    docs = tmp_path / "docs"
    corpus(docs)
    (docs / "copy.txt").write_bytes((docs / "macron.txt").read_bytes())
    report = build(docs, location)
    assert report.counts["documents"] == 4 and report.counts["duplicates"] == 1 and len(report.duplicates) == 1
    store = open_store(location)
    doc_id = next(d.id for d in store.documents().values() if d.path.endswith("copy.txt") or
                  d.path.endswith("macron.txt"))
    assert [Path(p).name for p, _ in store.occurrences(doc_id)] == ["copy.txt", "macron.txt"]
    assert Path(store.documents([doc_id])[doc_id].path).name == "copy.txt"
    (docs / "copy.txt").unlink()
    build(docs, location)
    store = open_store(location)
    assert Path(store.documents([doc_id])[doc_id].path).name == "macron.txt"
    assert store.counts()["duplicates"] == 0 and check_index(store) == []


def test_touched_but_unchanged_files_are_restamped_not_reembedded(tmp_path, location):
    import os

    docs = tmp_path / "docs"
    corpus(docs)
    build(docs, location)
    path = docs / "macron.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    emb = Counting()
    build(docs, location, emb)
    assert emb.texts == 0
    assert open_store(location).files()[str(path)].mtime_ns == path.stat().st_mtime_ns


def test_the_manifest_refuses_to_mix_models_or_chunkings(tmp_path, location):
    docs = tmp_path / "docs"
    corpus(docs)
    build(docs, location)
    manifest = open_store(location).manifest()
    assert manifest["model"] == "fake-hash" and manifest["dim"] == 32 and manifest["schema_version"] == 1
    assert manifest["chunking"] == ChunkSettings().as_dict() and manifest["counts"]["chunks"] > 0
    with pytest.raises(IndexError_, match="built with model fake-hash"):
        build(docs, location, FakeEmbedder(48))
    with pytest.raises(IndexError_, match="other chunking"):
        build(docs, location, settings=ChunkSettings(64, 8))
    rebuilt = build(docs, location, FakeEmbedder(48), rebuild=True)
    assert rebuilt.generation == manifest["generation"] + 1 and open_store(location).manifest()["dim"] == 48
    store = open_store(location)
    assert store.vectors()[1].shape[1] == 48 and check_index(store) == []


def test_rankings_dense_keyword_and_the_date_window(tmp_path, location):
    docs = tmp_path / "docs"
    corpus(docs)
    build(docs, location)
    store = open_store(location)
    query = FakeEmbedder(32).embed(["Rubio peace deal"])[0]
    dense = store.dense(query, 3)
    assert len(dense) == 3 and [s for _, s in dense] == sorted((s for _, s in dense), reverse=True)
    by_path = {Path(d.path).name: d.id for d in store.documents().values()}
    assert store.chunks([dense[0][0]])[dense[0][0]].doc_id == by_path["rubio.txt"]
    _, vecs = store.vectors([dense[0][0]])
    assert dense[0][1] == pytest.approx(float(vecs[0] @ query), abs=1e-5)
    keyword = store.keyword(fts_query("Geneva"), 10)
    assert len(keyword) == 1 and keyword[0][1] < 0
    # diacritics fold both ways, as FTS5's remove_diacritics does
    assert [c for c, _ in store.keyword(fts_query("Perez"), 10)] == [c for c, _ in store.keyword(fts_query("Pérez"), 10)]
    assert len(store.keyword(fts_query("Perez"), 10)) == 1
    # a rare word outweighs a common one (BM25's idf)
    ranked = store.keyword('"the" OR "Geneva"', 10)
    assert len(ranked) >= 3 and store.chunks([ranked[0][0]])[ranked[0][0]].doc_id == by_path["rubio.txt"]
    # user text is never syntax
    for nasty in ['"; DROP TABLE briefing_chunks; --', "a' OR 1=1", "!!! & | <-> :*", '"" OR ""', ""]:
        assert isinstance(store.keyword(fts_query(nasty), 10), list)
    assert check_index(store) == []
    # date window
    window = store.chunk_ids_between(date(2025, 11, 26), date(2025, 11, 27))
    assert {store.chunks([c])[c].doc_id for c in window} == {
        d.id for d in store.documents().values() if d.path.endswith("rubio.txt")}
    assert store.date_range() == (date(2025, 11, 25), date(2025, 11, 28), 3, 1)
    assert store.count_published(date(2025, 11, 25), date(2025, 11, 27)) == 2
    assert [Path(store.documents()[i].path).name for i in store.undated_ids()] == ["undated.txt"]
    allowed = store.dense(query, 5, allowed=window)
    assert allowed and {c for c, _ in allowed} <= window
    found = hits(location, "peace deal prizes", k=5)
    assert names(found)[:2] in (["rubio.txt", "perez.txt"], ["perez.txt", "rubio.txt"])
    store = open_store(location)
    with store.snapshot():
        windowed = search(store, FakeEmbedder(32).embed(["prizes"])[0], "prizes", SearchSettings(),
                          date(2025, 11, 25), date(2025, 11, 27))
    assert "perez.txt" not in names(windowed)


def test_both_stores_rank_alike(tmp_path, pg_url):
    """The same corpus in both stores gives the same hits for the same questions (fake vectors: exact search)."""
    docs = tmp_path / "docs"
    corpus(docs)
    words = ["markets", "grain", "Black Sea", "talks", "Geneva", "exports", "critics", "week"]
    for i in range(30):  # each filler its own mix and length, so no two score alike (ties may break either way)
        body = " ".join(f"{words[(i + j) % len(words)]} {'again ' * (j % 3)}" for j in range(i % 7 + 2))
        write(docs, f"filler{i}.txt", f"Filler story about {body}. {f'code{i} ' * (i + 1)}", title=f"Filler {i}")
    build(docs, tmp_path / "index")
    build(docs, pg_url)
    for q in ["Macron working group", "peace deal Geneva", "grain exports Black Sea", "prizes critics Paris",
              "markets week", '"Black Sea" talks']:
        a, b = hits(tmp_path / "index", q, k=5), hits(pg_url, q, k=5)
        assert names(a) == names(b), q
        assert [h.chunk.span for h in a] == [h.chunk.span for h in b]
        assert [h.score for h in a] == [h.score for h in b]
        assert [h.keyword for h in a] == pytest.approx([h.keyword for h in b], abs=1e-6)


def test_a_postgres_snapshot_sees_one_state_while_a_build_commits(tmp_path, pg_url):
    """A reader's REPEATABLE READ snapshot keeps its view while a writer commits beside it (the SQLite store makes
    the writer wait instead: tests/test_hardening.py)."""
    location = pg_url
    docs = tmp_path / "docs"
    corpus(docs)
    build(docs, location)
    reader = open_store(location)
    with reader.snapshot():
        before = reader.counts()
        write(docs, "late.txt", "A late story about Geneva talks.")
        build(docs, location)
        assert reader.counts() == before
        assert len(reader.keyword(fts_query("Geneva"), 10)) == 1
    assert reader.counts()["documents"] == before["documents"] + 1
    assert len(reader.keyword(fts_query("Geneva"), 10)) == 2


def test_a_missing_index_is_a_clear_error(tmp_path, location):
    with pytest.raises(IndexError_, match="run `briefing index"):
        open_store(location)


def test_status_check_reports_a_passage_that_no_longer_matches(tmp_path, location):
    docs = tmp_path / "docs"
    corpus(docs)
    build(docs, location)
    store = open_store(location)
    cid = min(store.vectors()[0].tolist())
    if isinstance(location, str):
        import psycopg

        with psycopg.connect(location, autocommit=True) as con:
            con.execute("UPDATE briefing_chunks SET text = 'tampered' WHERE id = %s", (cid,))
    else:
        import sqlite3

        with sqlite3.connect(location / "briefing.sqlite") as con:
            con.execute("UPDATE chunks SET text = 'tampered' WHERE id = ?", (cid,))
    problems = check_index(open_store(location))
    assert any(f"passage {cid} does not match" in p for p in problems)


WRITER = """
import sys, time
from pathlib import Path
from briefing.testing import FakeEmbedder, WhitespaceTokens
from briefing.ingest.indexer import build_index, embed_text

class Slow(FakeEmbedder):
    def embed(self, texts):
        print("embedding", flush=True)
        if len(sys.argv) > 3:
            while not Path(sys.argv[3]).exists():  # hold the lock until the test says so
                time.sleep(0.01)
        return super().embed(texts)

report = build_index([Path(sys.argv[1])], sys.argv[2], embedder=Slow(32), tokens=WhitespaceTokens())
print("done", report.documents_added, flush=True)
"""


def test_two_writers_on_one_database_never_interleave(tmp_path, pg_url):
    """The second writer waits for the advisory lock, then finds the work done: no duplicate anywhere."""
    docs = tmp_path / "docs"
    corpus(docs)
    for i in range(20):
        write(docs, f"s{i}.txt", " ".join(f"Sentence {j} of story {i}." for j in range(30)))
    script, go = tmp_path / "writer.py", tmp_path / "go"
    script.write_text(WRITER)
    first = subprocess.Popen([sys.executable, str(script), str(docs), pg_url, str(go)], stdout=subprocess.PIPE,
                             text=True)
    assert first.stdout.readline().strip() == "embedding"  # holds the lock now
    second = subprocess.Popen([sys.executable, str(script), str(docs), pg_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert "waiting for it to finish" in second.stderr.readline()
    go.touch()
    out1, _ = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err2
    assert out1.split()[-1] == "24" and out2.split() == ["done", "0"]  # the second found nothing new
    store = open_store(pg_url)
    assert store.counts()["documents"] == 24 and store.counts()["duplicates"] == 0 and check_index(store) == []
    import psycopg

    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*), count(DISTINCT (doc_id, ord)) FROM briefing_chunks").fetchone() == (
            store.counts()["chunks"],) * 2
        assert con.execute("SELECT count(*) FROM briefing_files").fetchone()[0] == 24


def test_urls_pass_through_and_never_show_a_password(monkeypatch):
    from briefing import config
    from briefing.store.pgsql import display_url

    monkeypatch.setenv("BRIEFING_INDEX", "postgresql://ann:s3cret@db.example:5433/news")
    assert config.index_location(None) == "postgresql://ann:s3cret@db.example:5433/news"
    assert config.index_location("postgres://h/db") == "postgres://h/db"
    assert config.index_location("some/folder") == Path("some/folder")
    assert display_url("postgresql://ann:s3cret@db.example:5433/news") == "postgresql://ann@db.example:5433/news"


def test_an_unreachable_server_is_one_line(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    r = subprocess.run([sys.executable, "-m", "briefing.cli", "search", "anything", "--index",
                        f"postgresql://ann:s3cret@127.0.0.1:{port}/news"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "cannot reach" in r.stderr and "s3cret" not in r.stderr


def test_one_database_holds_one_index_per_schema(tmp_path, pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE SCHEMA desk_a; CREATE SCHEMA desk_b")
    desk_a, desk_b = (f"{pg_url}?options=-csearch_path%3D{name}%2Cpublic" for name in ("desk_a", "desk_b"))
    docs = tmp_path / "docs"
    corpus(docs)
    build(docs, desk_a)
    write(tmp_path / "other", "only.txt", "A single story about Geneva talks.")
    build(tmp_path / "other", desk_b, FakeEmbedder(48))
    assert open_store(desk_a).counts()["documents"] == 4 and open_store(desk_b).counts()["documents"] == 1
    assert open_store(desk_b).manifest()["dim"] == 48 and check_index(open_store(desk_a)) == []
    with pytest.raises(IndexError_, match="no index"):
        open_store(pg_url)  # the public schema holds none
    with pytest.raises(IndexError_, match="no schema"):
        build(docs, f"{pg_url}?options=-csearch_path%3Dmissing")
    with pytest.raises(IndexError_, match="no pgvector `vector` type on its search_path"):
        build(docs, f"{pg_url}?options=-csearch_path%3Ddesk_a")
