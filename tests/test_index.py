"""Indexing end to end on real files: incremental add/change/delete, duplicates, model mismatch, the FAISS + SQLite
round trip, and a kill -9 in the middle of a build."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from briefing.ingest.chunking import ChunkSettings
from briefing.testing import FakeEmbedder, WhitespaceTokens
from briefing.errors import IndexError_
from briefing.ingest.indexer import build_index
from briefing.store.check import check_index
from briefing.answer.retrieve import search
from briefing.store.sqlite import Store

ARTICLE = "Daily bulletin\nPublished: November 26, 2025\n\n{body}\n"


class CountingEmbedder(FakeEmbedder):
    """A fake that remembers how many texts it embedded."""

    def __init__(self):
        super().__init__(dim=32)
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return super().embed(texts)


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(body=body), encoding="utf-8")
    return path


def build(folder: Path, index: Path, emb=None, **kw):
    return build_index([folder], index, embedder=emb or CountingEmbedder(), tokens=WhitespaceTokens(), **kw)


def test_incremental_add_change_delete(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.txt", "French President Emmanuel Macron announced a joint working group.")
    write(docs, "b.txt", "Rubio said the United States wants a peace deal first.")
    emb = CountingEmbedder()
    first = build(docs, index, emb)
    assert first.counts["documents"] == 2 and emb.texts == first.chunks_added > 0

    emb = CountingEmbedder()
    again = build(docs, index, emb)
    assert emb.calls == 0 and again.files_changed == 0 and again.generation == first.generation

    write(docs, "b.txt", "Rubio now says guarantees come with the deal.")
    write(docs, "c.txt", "Germany considers its brigade in Lithuania enough.")
    (docs / "a.txt").unlink()
    emb = CountingEmbedder()
    third = build(docs, index, emb)
    assert third.files_changed == 2 and third.files_removed == 1
    assert third.counts["documents"] == 2
    store = Store.open(index)
    texts = " ".join(r[0] for r in store.con.execute("SELECT text FROM chunks"))
    assert "Macron" not in texts and "peace deal first" not in texts and "Lithuania" in texts
    assert check_index(store) == []


def test_touched_but_unchanged_file_is_not_reembedded(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    path = write(docs, "a.txt", "Macron announced a joint working group.")
    build(docs, index)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    emb = CountingEmbedder()
    report = build(docs, index, emb)
    assert emb.calls == 0 and report.files_changed == 0


def test_identical_articles_are_stored_once(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.txt", "Macron announced a joint working group.")
    write(docs, "sub/copy.txt", "Macron announced a joint working group.")
    report = build(docs, index)
    assert report.counts["documents"] == 1 and report.counts["duplicates"] == 1
    assert len(report.duplicates) == 1
    # deleting the first copy keeps the article, now pointing at the other file
    (docs / "a.txt").unlink()
    report = build(docs, index)
    store = Store.open(index)
    assert report.counts["documents"] == 1
    assert store.con.execute("SELECT path FROM documents").fetchone()[0].endswith("copy.txt")
    assert check_index(store) == []


def test_check_reports_each_passage_that_no_longer_matches_its_document(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    for name in ("a", "b", "c"):
        write(docs, f"{name}.txt", " ".join(f"Sentence {i} of article {name} on the talks." for i in range(40)))
    build(docs, index, settings=ChunkSettings(max_tokens=20, overlap_tokens=5))
    store = Store.open(index)
    assert check_index(store) == []
    con = store.con
    per_doc: dict[str, list[int]] = {}
    for cid, doc_id in con.execute("SELECT id, doc_id FROM chunks ORDER BY id"):
        per_doc.setdefault(doc_id, []).append(cid)
    first, second, third = sorted(per_doc.values())
    assert min(map(len, (first, second, third))) > 5  # several passages per document
    con.execute("UPDATE chunks SET char_start = char_start + 1 WHERE id = ?", (third[2],))  # a shifted span
    con.execute("UPDATE chunks SET text = 'Sentence' WHERE id = ?", (first[-1],))  # a changed passage
    con.execute("UPDATE chunks SET char_end = char_end + 1 WHERE id = ?", (first[3],))
    con.execute("UPDATE chunks SET doc_id = 'gone' WHERE id = ?", (second[1],))  # no document: counted, not compared
    spans = {cid: (lo, hi) for cid, lo, hi in con.execute("SELECT id, char_start, char_end FROM chunks")}
    assert check_index(store) == ["1 passages belong to no document"] + [
        f"passage {cid} does not match its document's text at {spans[cid][0]}:{spans[cid][1]}"
        for cid in sorted((third[2], first[-1], first[3]))]


def test_each_passage_keeps_its_own_vector(tmp_path):
    """Passages are embedded shortest first, not in file order; every stored vector must still be the one of its
    own passage (title included), across more passages than one embedding call takes."""
    from types import SimpleNamespace

    from briefing.ingest.indexer import embed_text

    docs, index = tmp_path / "docs", tmp_path / "index"
    for i in range(60):
        sentences = []
        for j in range(3 + i % 7):
            words = " ".join(f"w{i}x{j}y{k}" for k in range(1 + (i * j) % 9))
            sentences.append(f"Sentence {j} of story {i} says {words}.")
        write(docs, f"{i:02d}.txt", " ".join(sentences))
    build(docs, index, settings=ChunkSettings(max_tokens=20, overlap_tokens=0))
    store = Store.open(index)
    rows = store.con.execute(
        "SELECT c.id, c.text, d.title FROM chunks c JOIN documents d ON d.id = c.doc_id").fetchall()
    assert len(rows) > 256
    ids, vecs = store.vectors()
    stored = dict(zip(ids.tolist(), vecs))
    fake = FakeEmbedder(dim=32)
    for cid, text, title in rows:
        want = fake.embed([embed_text(SimpleNamespace(title=title), SimpleNamespace(text=text))])[0]
        assert np.allclose(stored[cid], want, atol=1e-6), text


def test_faiss_and_sqlite_round_trip(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    for i in range(5):
        write(docs, f"{i}.txt", f"Story {i}: " + " ".join(f"word{i}x{j}" for j in range(40)) + ".")
    build(docs, index)
    store = Store.open(index)
    ids, vecs = store.vectors()
    faiss_index = store.faiss_index()
    assert faiss_index.ntotal == len(ids)
    scores, found = faiss_index.search(vecs[:3], 1)
    assert found[:, 0].tolist() == ids[:3].tolist()
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["model"] == "fake-hash" and manifest["dim"] == 32 and manifest["counts"]["chunks"] == len(ids)
    # a lost or stale FAISS file is rebuilt from SQLite, the source of truth
    for p in index.glob("vectors-*.faiss"):
        p.unlink()
    store = Store.open(index)
    assert store.faiss_index().ntotal == len(ids)
    hits = search(store, FakeEmbedder(32).embed(["word3x7 word3x8"])[0], "word3x7 word3x8")
    assert hits and hits[0].doc.path.endswith("3.txt")


def test_index_refuses_another_model(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.txt", "Macron announced a joint working group.")
    build(docs, index)

    class Other(FakeEmbedder):
        name = "other-model"

    with pytest.raises(IndexError_, match="--rebuild"):
        build_index([docs], index, embedder=Other(32), tokens=WhitespaceTokens())
    report = build_index([docs], index, embedder=Other(32), tokens=WhitespaceTokens(), rebuild=True)
    assert report.counts["documents"] == 1
    assert Store.open(index).meta()["model"] == "other-model"


def test_an_index_keeps_its_chunking_until_rebuilt(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.txt", " ".join(f"Sentence {i} of the article on the talks." for i in range(40)))
    build(docs, index, settings=ChunkSettings(max_tokens=30, overlap_tokens=10))
    small = Store.open(index).counts()["chunks"]
    write(docs, "b.txt", "Macron announced a joint working group.")
    build(docs, index)  # no settings: the index's own are kept, not the defaults
    assert Store.open(index).manifest()["chunking"]["max_tokens"] == 30
    with pytest.raises(IndexError_, match="--rebuild"):
        build(docs, index, settings=ChunkSettings(max_tokens=60, overlap_tokens=0))
    build(docs, index, settings=ChunkSettings(max_tokens=60, overlap_tokens=0), rebuild=True)
    store = Store.open(index)
    assert store.manifest()["chunking"]["max_tokens"] == 60
    assert store.counts()["chunks"] < small + 1
    build(docs, index, rebuild=True)  # --rebuild without settings starts again from the defaults
    assert Store.open(index).manifest()["chunking"] == ChunkSettings().as_dict()


def test_missing_and_corrupt_index_errors(tmp_path):
    with pytest.raises(IndexError_, match="briefing index"):
        Store.open(tmp_path / "nothing")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "briefing.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexError_, match="delete the folder and run `briefing index FOLDER` again"):
        Store.open(bad)


def test_second_writer_is_refused_while_locked(tmp_path):
    index = tmp_path / "index"
    with Store.writer(index):
        with pytest.raises(IndexError_, match="another `briefing index`"):
            with Store.writer(index):
                pass


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from briefing.testing import FakeEmbedder, WhitespaceTokens
from briefing.ingest.indexer import build_index

class Slow(FakeEmbedder):
    def embed(self, texts):
        print("embedding", flush=True)
        time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0.2)
        return super().embed(texts)

build_index([Path(sys.argv[1])], Path(sys.argv[2]), embedder=Slow(32), tokens=WhitespaceTokens())
print("done", flush=True)
"""


@pytest.mark.parametrize("when", ["embedding", "after-commit"])
def test_kill_during_build_then_clean_rebuild(tmp_path, when):
    docs, index = tmp_path / "docs", tmp_path / "index"
    for i in range(3):
        write(docs, f"old{i}.txt", f"Old story {i} about the coalition of the willing and Macron.")
    build(docs, index, CountingEmbedder())
    before = Store.open(index).counts()
    for i in range(40):
        write(docs, f"new{i}.txt", " ".join(f"Sentence {j} of new story {i}." for j in range(60)))
    script = tmp_path / "slow.py"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(docs), str(index)], stdout=subprocess.PIPE, text=True)
    if when == "embedding":
        assert proc.stdout.readline().strip() == "embedding"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # the previous index is intact and usable
        store = Store.open(index)
        assert store.counts() == before and check_index(store) == []
    else:
        proc.wait()
        # simulate a kill between the commit and the FAISS write: the FAISS file is of an older generation
        store = Store.open(index)
        gen = store.generation()
        (index / f"vectors-{gen}.faiss").rename(index / f"vectors-{gen - 1}.faiss")
        assert check_index(Store.open(index)) == []
    report = build(docs, index, CountingEmbedder())
    store = Store.open(index)
    assert report.counts["documents"] == 43
    assert check_index(store) == []
    assert store.faiss_index().ntotal == store.counts()["chunks"]


def test_two_processes_one_index_the_second_stops_with_a_clear_message(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    for i in range(30):
        write(docs, f"{i}.txt", " ".join(f"Sentence {j} of story {i}." for j in range(40)))
    script = tmp_path / "slow.py"
    script.write_text(KILL_SCRIPT)
    first = subprocess.Popen([sys.executable, str(script), str(docs), str(index), "8"], stdout=subprocess.PIPE,
                             text=True)
    assert first.stdout.readline().strip() == "embedding"  # the first run holds the lock now
    second = subprocess.run([sys.executable, "-m", "briefing.cli", "index", str(docs), "--index", str(index)],
                            capture_output=True, text=True, timeout=60)
    assert first.poll() is None, "the first run should still hold the lock"
    assert second.returncode == 1
    assert "another `briefing index` is writing" in second.stderr and "Traceback" not in second.stderr
    assert first.wait(timeout=120) == 0
    store = Store.open(index)
    assert store.counts()["documents"] == 30 and check_index(store) == []


def test_large_collections_switch_to_a_trained_ivf_index(tmp_path, monkeypatch):
    from briefing.store import vectors

    monkeypatch.setattr(vectors, "IVF_THRESHOLD", 100)
    docs, index = tmp_path / "docs", tmp_path / "index"
    for i in range(150):
        write(docs, f"{i}.txt", f"Story {i} about topic{i % 7} and item{i}.")
    build(docs, index)
    store = Store.open(index)
    faiss_index = store.faiss_index()
    assert vectors.is_ivf(faiss_index) and faiss_index.is_trained
    assert check_index(store) == []
    hits = search(store, FakeEmbedder(32).embed(["item42 topic0"])[0], "item42 topic0")
    assert hits[0].doc.path.endswith("/42.txt")
    # shrinking far below the threshold goes back to exact search
    for i in range(140):
        (docs / f"{i}.txt").unlink()
    build(docs, index)
    store = Store.open(index)
    assert not vectors.is_ivf(store.faiss_index()) and check_index(store) == []


@pytest.mark.parametrize(
    ("meta", "backend", "quantize", "amx", "vnni", "expected"),
    [
        ({}, "auto", "auto", True, True, ("bf16", False)),  # AMX: bf16 vectors, as exact as fp32 and faster
        ({}, "auto", "auto", False, True, ("onnx", True)),  # VNNI only: int8
        ({}, "auto", "auto", False, False, ("onnx", False)),
        ({}, "auto", "no", True, True, ("bf16", False)),
        ({}, "auto", "no", False, True, ("onnx", False)),
        ({}, "auto", "yes", True, True, ("onnx", True)),
        ({}, "onnx", "auto", True, True, ("onnx", True)),
        ({}, "torch", "auto", True, True, ("torch", False)),
        ({}, "bf16", "auto", False, False, ("bf16", False)),  # asked for: runs, only slower without AMX
        ({"int8": "1"}, "auto", "auto", True, True, ("onnx", True)),  # an int8 index stays int8
        ({"int8": "0"}, "auto", "auto", False, True, ("onnx", False)),  # a float index never turns int8
        ({"int8": "0"}, "auto", "auto", True, False, ("bf16", False)),  # float vectors from either backend
        ({"int8": "0"}, "onnx", "no", True, True, ("onnx", False)),
    ],
)
def test_which_backend_embeds(monkeypatch, meta, backend, quantize, amx, vnni, expected):
    from briefing.embed import cpu, select

    monkeypatch.setattr(cpu, "cpu_supports_bf16", lambda: amx)
    monkeypatch.setattr(cpu, "cpu_supports_int8", lambda: vnni)
    assert select.index_variant(meta, backend, quantize) == expected


@pytest.mark.parametrize(
    ("meta", "backend", "quantize", "needle"),
    [
        ({"int8": "1"}, "bf16", "auto", "--backend onnx"),
        ({"int8": "1"}, "torch", "auto", "--backend onnx"),
        ({"int8": "1"}, "auto", "no", "--rebuild"),
        ({"int8": "0"}, "auto", "yes", "--rebuild"),
        ({}, "bf16", "yes", "--int8 yes needs --backend onnx"),
    ],
)
def test_backend_conflicts_are_usage_errors(meta, backend, quantize, needle):
    from briefing.embed import select
    from briefing.errors import UsageError

    with pytest.raises(UsageError, match=re.escape(needle)):
        select.index_variant(meta, backend, quantize)


def test_a_run_with_nothing_to_do_restores_a_missing_manifest(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.txt", "Macron announced a joint working group.")
    build(docs, index)
    (index / "manifest.json").unlink()  # as after a failed manifest write that followed a commit
    report = build(docs, index)
    assert report.embedded == 0
    assert json.loads((index / "manifest.json").read_text())["counts"]["documents"] == 1


def test_the_committed_index_folder_of_a_fresh_clone_is_briefings_own(tmp_path):
    # `make demo` indexes into index/, which a clone holds with its README and .gitignore: what git tracks there
    # must be enough for briefing to write into it (a folder of other files is refused)
    import shutil

    from briefing.store.folder import claim

    root = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(["git", "ls-files", "index"], cwd=root, capture_output=True, text=True, check=True)
    names = [Path(p).name for p in tracked.stdout.split()]
    assert "README.md" in names and ".briefing-index" in names, names
    clone = tmp_path / "index"
    clone.mkdir()
    for name in names:
        shutil.copy(root / "index" / name, clone / name)
    claim(clone)  # raises when the folder is not briefing's
