"""Hardening: bad input, crashes, concurrent runs, broken index files, LLM faults and hostile articles lose nothing.

What is already covered elsewhere is not repeated here: kill -9 mid-build and two writers (test_index.py), the
OpenAI client's faults one by one (test_llm.py), prompt injection and ``</passage>`` in an article (test_ask.py).

Real processes where it matters (exit codes, one-line errors, signals, locks); the real model where the CLI needs
it, with the ONNX export copied from the session's ``seed_index`` so that no test pays for a second export; the fake
embedder wherever the model changes nothing. Set BRIEFING_SLOW_TESTS=1 to also run the slow ones (a 50 MB article
through the real model, the full-disk model export, the model re-export of ``--rebuild``).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from briefing.answer.ask import answer
from briefing.answer.generate import ExtractiveGenerator
from briefing.store.check import check_index
from briefing.cli import main
from briefing.testing import FakeEmbedder, WhitespaceTokens
from briefing.errors import IndexError_
from briefing.ingest.indexer import build_index
from briefing.answer.retrieve import SearchSettings, search
from briefing.answer.session import Session
from briefing.store.sqlite import Store
from briefing.text import make_span

from fakeopenai import openai_server  # noqa: F401

slow = pytest.mark.skipif(os.environ.get("BRIEFING_SLOW_TESTS") != "1",
                          reason="slow: set BRIEFING_SLOW_TESTS=1 to run it")

PY = sys.executable
KEY = "sk-test-HARDENING-5ecret-0042"
MACRON = "what did Macron announce"
ARTICLE = "{title}\nPublished: November {day}, 2025\n\n{body}\n"


# -- helpers -----------------------------------------------------------------------------------------------------


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _main(ctx):
    main(list(ctx.args))


def run(args, env=None):
    """The CLI in this process, as ``main`` runs it: (exit code, stdout, stderr). An exception that escapes ``main``
    (a traceback for a user) fails the test."""
    result = CliRunner().invoke(_main, [str(a) for a in args], env=env or {}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def cli(args, *, env=None, timeout=120, **kw) -> subprocess.CompletedProcess:
    """The CLI in a process of its own."""
    return subprocess.run([PY, "-m", "briefing.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, **kw)


def one_line_error(stderr: str, *needles: str) -> str:
    """The error printed on stderr: exactly one non-blank line, no traceback, containing every needle."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def model_ready(seed_index: Path, index: Path, *, copy: bool = False) -> Path:
    """An empty index folder that already holds the model export of ``seed_index`` (symlinked, or copied)."""
    index.mkdir(parents=True, exist_ok=True)
    if copy:
        shutil.copytree(seed_index / "onnx", index / "onnx")
    else:
        (index / "onnx").symlink_to(seed_index / "onnx")
    return index


def copy_index(seed_index: Path, dest: Path, *, copy_model: bool = False) -> Path:
    """A private copy of ``seed_index``: the database, vectors and manifest; the model export linked or copied."""
    model_ready(seed_index, dest, copy=copy_model)
    for p in seed_index.iterdir():
        if p.is_file():
            shutil.copy2(p, dest / p.name)
    return dest


def write(folder: Path, name: str, body: str, title: str | None = None, day: int = 26) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(title=title or f"Bulletin {Path(name).stem}", day=day, body=body),
                    encoding="utf-8")
    return path


def story(i: int, sentences: int = 12, tag: str = "") -> str:
    """Distinct text per ``i``: its own rare words, so rankings have no ties."""
    return " ".join(f"Sentence {j} of story {i}{tag} mentions topic{i}x{j % 5} and place{i}{tag} near river{j}."
                    for j in range(sentences))


def fake_build(docs: Path, index: Path, **kw):
    return build_index([docs], index, embedder=FakeEmbedder(32), tokens=WhitespaceTokens(), **kw)


def fake_hits(index: Path, questions, settings: SearchSettings = SearchSettings(k=6), ordered: bool = True) -> list:
    """Search results as comparable data: per question, the hits' [path, char start, char end] in rank order (or
    sorted, where ties between equally scored passages may break either way)."""
    store = Store.open(index)
    out = []
    for q in questions:
        with store.snapshot():
            hits = search(store, FakeEmbedder(32).embed([q])[0], q, settings)
        found = [[h.doc.path, h.chunk.span.char_start, h.chunk.span.char_end] for h in hits]
        out.append(found if ordered else sorted(found))
    return out


def fake_answer(index: Path, question: str) -> list:
    result = answer(Session(index, embedder=FakeEmbedder(32)), question, ExtractiveGenerator())
    return [result.text] + [(c.hit.doc.path, c.quote_span.char_start, c.quote_span.char_end) for c in result.citations]


# `briefing` itself (cli.main: argument parsing, summary, errors, exit codes) with the embedding model replaced by
# the fake one, optionally slowed down; FAKE_EMBED_MARK names a file that gets a line each time it embeds, and with
# FAKE_EMBED_HOLD set the first embedding waits (up to two minutes) until that file exists: a test can interrupt the
# build while it is certainly embedding, however loaded the machine.
FAKE_CLI = r"""
import os, sys, time
import briefing.ingest.indexer as indexer
from briefing.testing import FakeEmbedder, WhitespaceTokens

DELAY = float(os.environ.get("FAKE_EMBED_DELAY", "0"))
MARK = os.environ.get("FAKE_EMBED_MARK")
HOLD = os.environ.get("FAKE_EMBED_HOLD")


class Slow(FakeEmbedder):
    def embed(self, texts):
        if MARK:
            with open(MARK, "a") as f:
                f.write("embedding\n")
        if HOLD:
            held_until = time.monotonic() + 120
            while not os.path.exists(HOLD) and time.monotonic() < held_until:
                time.sleep(0.01)
        time.sleep(DELAY)
        return super().embed(texts)


real_build = indexer.build_index


def build_index(paths, root, **kw):
    for name in ("model", "backend", "quantize"):
        kw.pop(name, None)
    return real_build(paths, root, embedder=Slow(32), tokens=WhitespaceTokens(), **kw)


indexer.build_index = build_index
from briefing.cli import main

main(sys.argv[1:])
"""


def fake_cli(tmp_path: Path, args, *, env=None, **kw):
    script = tmp_path / "fake_cli.py"
    if not script.exists():
        script.write_text(FAKE_CLI)
    return subprocess.Popen([PY, str(script), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, **kw)


_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _drop_dac() -> None:
    """In the child, before exec: root without the capabilities that let it ignore file permissions."""
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def permission_enforcer():
    """A ``preexec_fn`` under which file permissions hold, or None when they already do (not root). As root,
    ``os.setuid`` to nobody is no use here (the Python interpreter lives under /root, which nobody cannot enter), so
    the child keeps uid 0 but loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Skips when that is not permitted."""
    if os.geteuid() != 0:
        return None
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f".briefing-perm-probe-{os.getpid()}"
    probe.write_text("x")
    probe.chmod(0)
    try:
        r = subprocess.run([PY, "-c", f"open({str(probe)!r}).read()"], preexec_fn=_drop_dac, capture_output=True,
                           text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop root's file-permission override here: {exc}")
    finally:
        probe.unlink()
    if "PermissionError" not in r.stderr:
        pytest.skip("cannot drop root's file-permission override here")
    return _drop_dac


# -- 1. a junk corpus --------------------------------------------------------------------------------------------


def junk_corpus(folder: Path) -> dict[str, str]:
    """Good and bad files side by side; returns ``{file name: expected skip reason (prefix)}`` for the bad ones."""
    folder.mkdir(parents=True)
    write(folder, "good.txt", "French President Emmanuel Macron announced a joint working group on Tuesday.",
          title="Working group")
    (folder / "latin1.txt").write_bytes(
        "Café talks\n\nThe café owner in Montréal said the garçon's résumé was naïve, and the minister agreed.\n"
        .encode("latin-1"))
    (folder / "cp1252.txt").write_bytes(
        "Smart quotes\n\n“The talks are over,” the minister said – and the € fell again… for now.\n".encode("cp1252"))
    (folder / "broken.html").write_bytes(
        b"<html><head><title>Talks resume</title></head><body><article><h1>Talks resume</h1><p>Negotiators "
        b"announced that talks resume in Geneva on Monday, officials said in Paris.<p>The group will meet in London "
        b"next week to discuss security guarantees for Ukraine.<div><span>unclosed <b>bold <i>italic</article></bo")
    nested = folder / "deep"
    for i in range(50):
        nested = nested / f"level{i:02d}"
    write(nested, "deep.txt", "The deepest article says the envoys met again in Istanbul.", title="Deep news")

    (folder / "empty.txt").write_bytes(b"")
    (folder / "random.txt").write_bytes(random.Random(7).randbytes(4096))
    with (folder / "big.txt").open("wb") as f:  # 50 MB of real text: too large under the default 20 MB limit
        block = ("The minister said talks would continue while the coalition weighed security guarantees. " * 100
                 + "\n").encode()
        f.write(b"A very long bulletin\n\n")
        for _ in range(50_000_000 // len(block) + 1):
            f.write(block)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage\n%%EOF")
    (folder / "hopeless.html").write_bytes(b"<<<<>>>> </html> <body <p <div")
    (folder / "selfloop.txt").symlink_to("selfloop.txt")
    (folder / "loop").symlink_to(".")  # a folder loop: walked once
    write(folder, "noperm.txt", "A secret article nobody may read.")
    (folder / "noperm.txt").chmod(0)
    write(folder / "locked", "inside.txt", "An article in a folder nobody may list.")
    (folder / "locked").chmod(0)
    return {"empty.txt": "empty", "random.txt": "binary", "big.txt": "too large (50 MB > limit 20 MB)",
            "corrupt.pdf": "corrupt pdf: ", "hopeless.html": "no article text",
            "selfloop.txt": "unreadable: symlink loop", "noperm.txt": "unreadable: permission denied",
            "locked": "unreadable: permission denied"}


GOOD = {"good.txt", "latin1.txt", "cp1252.txt", "broken.html", "deep.txt"}


def test_junk_corpus_indexes_every_good_file_and_reports_every_bad_one(seed_index, tmp_path):
    preexec = permission_enforcer()
    docs = tmp_path / "junk"
    expected = junk_corpus(docs)
    index = model_ready(seed_index, tmp_path / "index")
    try:
        proc = cli(["index", docs, "--index", index, "--json", "-q"], preexec_fn=preexec)
    finally:
        (docs / "noperm.txt").chmod(0o644)
        (docs / "locked").chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["counts"]["documents"] == len(GOOD) and report["counts"]["duplicates"] == 0
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert set(reasons) == set(expected)
    for name, reason in expected.items():
        assert reasons[name].startswith(reason), (name, reasons[name])

    store = Store.open(index)
    assert {Path(p).name for (p,) in store.con.execute("SELECT path FROM documents")} == GOOD
    texts = "\n".join(t for (t,) in store.con.execute("SELECT text FROM documents"))
    assert "garçon's résumé was naïve" in texts  # latin-1, decoded
    assert "“The talks are over,” the minister said – and the € fell again…" in texts  # cp1252, decoded
    assert check_index(store) == []
    docs_by_id = store.documents()
    for cid, doc_id, cs, ce, ls, le in store.con.execute(
            "SELECT id, doc_id, char_start, char_end, line_start, line_end FROM chunks"):
        span = make_span(docs_by_id[doc_id], cs, ce)
        assert (ls, le) == (span.line_start, span.line_end), cid

    # `briefing status` lists every bad file with its reason too
    code, out, err = run(["status", "--index", index])
    assert code == 0, err
    for name, reason in expected.items():
        assert any(line.strip().endswith(f"{name}: {reasons[name]}") for line in out.splitlines()), name


def test_nothing_indexable_exits_1_with_every_reason(seed_index, tmp_path):
    docs = tmp_path / "junk"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"   \n")
    (docs / "random.txt").write_bytes(random.Random(3).randbytes(2048))
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\nnot really")
    (docs / "hopeless.html").write_bytes(b"<html><body><script>x()</script></body></html>")
    code, out, err = run(["index", docs, "--index", model_ready(seed_index, tmp_path / "index"), "-q"])
    assert code == 1 and "Traceback" not in err
    assert out.startswith("indexed 0 documents")
    for line in ("empty.txt: empty", "random.txt: binary", "corrupt.pdf: corrupt pdf", "hopeless.html: no article"):
        assert line in out


def test_an_output_file_that_cannot_be_written_is_a_one_line_error(seed_index, tmp_path):
    code, out, err = run(["ask", MACRON, "--index", seed_index, "--llm", "extractive", "-o",
                          tmp_path / "no" / "such" / "folder" / "answer.md"])
    assert code == 1
    one_line_error(err, "No such file or directory", "answer.md")


@slow
def test_a_50_mb_article_indexes_with_bounded_memory(seed_index, tmp_path):
    """Through the real CLI and model. Measured here (2 shared, loaded cores; fp32 model): 77 minutes, peak RSS
    1.2 GB, most of it embedding ~65,000 passages. Loading and chunking alone take about a minute."""
    docs = tmp_path / "big"
    docs.mkdir()
    lines = [f"Paragraph {i}: the minister said talks on item {i} would continue while the coalition weighed "
             f"guarantee {i % 97} for region {i % 13}. Officials in city {i % 31} agreed." for i in range(2000)]
    block = ("\n".join(lines) + "\n").encode()
    with (docs / "big.txt").open("wb") as f:
        f.write(b"A very long bulletin\nPublished: November 26, 2025\n\n")
        while f.tell() < 50_000_000:
            f.write(block)
    index = model_ready(seed_index, tmp_path / "index")
    measure = ("import resource, subprocess, sys\n"
               "code = subprocess.call(sys.argv[1:])\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")
    started = time.monotonic()
    proc = subprocess.run([PY, "-c", measure, PY, "-m", "briefing.cli", "index", str(docs), "--index", str(index),
                           "--max-file-mb", "60", "-q"], capture_output=True, text=True, timeout=3 * 3600)
    seconds = time.monotonic() - started
    peak_kb, code = map(int, proc.stdout.split()[-2:])
    print(f"50 MB article: {seconds:.0f} s, peak RSS {peak_kb / 1024:.0f} MB")
    assert code == 0, proc.stderr
    assert peak_kb < 1_500_000
    store = Store.open(index)
    counts = store.counts()
    assert counts["documents"] == 1 and counts["chunks"] > 20_000
    assert store.faiss_index().ntotal == counts["chunks"]
    assert check_index(store) == []  # every span, the 50 MB text read once
    (doc,) = store.documents().values()
    for cid, cs, ce, ls, le in store.con.execute(
            "SELECT id, char_start, char_end, line_start, line_end FROM chunks ORDER BY id"):
        span = make_span(doc, cs, ce)
        assert (ls, le) == (span.line_start, span.line_end), cid


# -- 2. Ctrl-C ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rebuild", [False, True], ids=["update", "rebuild"])
def test_ctrl_c_exits_130_keeps_the_index_and_a_rerun_matches_a_clean_build(tmp_path, rebuild):
    docs, index = tmp_path / "docs", tmp_path / "index"
    for i in range(3):
        write(docs, f"old{i}.txt", story(i), title=f"Old story {i}")
    fake_build(docs, index)
    before = Store.open(index).counts()
    questions = ["topic1x3 place1", "story 7 river4", "topic12x0 place12 river2"]
    before_hits = fake_hits(index, questions)
    for i in range(3, 40):
        write(docs, f"new{i}.txt", story(i, 40), title=f"New story {i}")

    mark = tmp_path / "embedding.mark"
    args = ["index", docs, "--index", index, "-q"] + (["--rebuild"] if rebuild else [])
    # the child holds in its first embedding until interrupted (the hold file is never made): a state, not a time
    proc = fake_cli(tmp_path, args, env={"FAKE_EMBED_MARK": str(mark), "FAKE_EMBED_HOLD": str(tmp_path / "never")})
    deadline = time.monotonic() + 60
    while not mark.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert mark.exists(), "the build never started embedding"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    one_line_error(err, "interrupted")
    assert out == ""
    store = Store.open(index)
    assert store.counts() == before and check_index(store) == []
    assert fake_hits(index, questions) == before_hits
    assert not list(index.glob(".*.tmp")) and not (index / ".rebuild.sqlite").exists()

    again = fake_cli(tmp_path, args)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    fake_build(docs, tmp_path / "clean")
    assert Store.open(index).counts() == Store.open(tmp_path / "clean").counts()
    assert check_index(Store.open(index)) == []
    assert fake_hits(index, questions) == fake_hits(tmp_path / "clean", questions)
    assert fake_answer(index, "topic7x2 place7 river3") == fake_answer(tmp_path / "clean", "topic7x2 place7 river3")


# -- 3. readers during writes ----------------------------------------------------------------------------------

READER = r"""
import json, sys, time
from pathlib import Path
from briefing.testing import FakeEmbedder
from briefing.answer.retrieve import SearchSettings, search
from briefing.store.sqlite import Store

index, stop = Path(sys.argv[1]), Path(sys.argv[2])
questions = json.loads(sys.argv[3])
vectors = FakeEmbedder(32).embed(questions)
deadline = time.monotonic() + 60
kept = Store.open(index)  # one long-lived reader...
n = after_stop = 0
while after_stop < 2 and time.monotonic() < deadline:  # once told to stop, two more reads (one fresh), then stop
    after_stop += stop.exists()
    store = kept if n % 2 else Store.open(index)  # ...and a fresh one every other time, as each CLI run opens it
    with store.snapshot():
        seen = [sorted([h.doc.path, h.chunk.span.char_start, h.chunk.span.char_end] for h in
                       search(store, v, q, SearchSettings(k=100, per_doc=100))) for q, v in zip(questions, vectors)]
    print(json.dumps({"t": time.time(), "fresh": store is not kept, "hits": seen}), flush=True)
    n += 1
"""


def _state(docs: Path, which: str) -> None:
    """Two versions of one folder: B changes two articles, deletes one and adds two (most have several passages)."""
    for i in range(6):
        write(docs, f"s{i}.txt", story(i, 30), title=f"Story {i}")
    for name in ("s6.txt", "s7.txt"):
        (docs / name).unlink(missing_ok=True)
    if which == "B":
        write(docs, "s1.txt", story(1, 34, tag="b"), title="Story 1, updated")
        write(docs, "s4.txt", story(4, 3, tag="b"), title="Story 4, updated")
        (docs / "s5.txt").unlink()
        write(docs, "s6.txt", story(6, 25), title="Story 6")
        write(docs, "s7.txt", story(7, 40, tag="b"), title="Story 7")


class _SlowFake(FakeEmbedder):
    """Embeds only once the reader has logged a read since the call began (or after a minute): every build spans
    at least one read, however the machine schedules the two processes."""

    def __init__(self, dim: int, log: Path) -> None:
        super().__init__(dim)
        self.log = log

    def embed(self, texts):
        reads = self.log.read_text().count("\n")
        until = time.monotonic() + 60
        while self.log.read_text().count("\n") <= reads and time.monotonic() < until:
            time.sleep(0.01)
        return super().embed(texts)


def test_a_reader_sees_the_old_or_the_new_index_never_a_mix(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    questions = ["topic1x2 place1 river3", "topic4x1 place4b story", "topic7x0 place7b", "place5 topic5x3",
                 "topic6x4 river5 place6"]
    expected = {}
    for which in ("A", "B"):
        _state(docs, which)
        fake_build(docs, tmp_path / f"ref{which}")
        # every passage that matches at all, as a sorted list: which passages, with which spans
        expected[which] = fake_hits(tmp_path / f"ref{which}", questions, SearchSettings(k=100, per_doc=100),
                                    ordered=False)
    assert all(a != b for a, b in zip(expected["A"], expected["B"])) and len(expected["A"][0]) > 10
    _state(docs, "A")
    fake_build(docs, index)

    script, stop, log, errors = (tmp_path / name for name in ("reader.py", "stop", "reads.jsonl", "reader.err"))
    script.write_text(READER)
    with log.open("w") as out, errors.open("w") as err:  # files, not pipes: a full pipe would stall the reader
        reader = subprocess.Popen([PY, str(script), str(index), str(stop), json.dumps(questions)], stdout=out,
                                  stderr=err)
    try:
        deadline = time.monotonic() + 60
        while not log.read_text() and reader.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert log.read_text(), errors.read_text()  # the reader is running
        began = time.time()
        for n in range(11):  # A -> B -> A ... -> B, two of them full --rebuild runs
            _state(docs, "B" if n % 2 == 0 else "A")
            # embedding takes a while, as it does with a real model: readers run during the whole build
            build_index([docs], index, embedder=_SlowFake(32, log), tokens=WhitespaceTokens(), rebuild=n in (4, 9))
        ended = time.time()
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert reader.returncode == 0, errors.read_text()
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    for s in seen:
        assert s["hits"] in (expected["A"], expected["B"]), "a reader saw a mix of two index generations"
    during = [s for s in seen if began <= s["t"] <= ended]
    assert len(during) >= 10, f"only {len(during)} reads happened during the writes"
    # a long-lived reader keeps the database it opened when a --rebuild replaces it; a fresh one sees the last
    assert seen[0]["hits"] == expected["A"] and [s for s in seen if s["fresh"]][-1]["hits"] == expected["B"]
    assert check_index(Store.open(index)) == []


# -- 4. a read-only index folder, a full disk ------------------------------------------------------------------


def _mount(*args) -> bool:
    try:
        return subprocess.run(["mount", *map(str, args)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


@pytest.fixture
def read_only_index(seed_index, tmp_path):
    """A copy of the seed index on a read-only bind mount (as root), else a folder made read-only by permissions."""
    index = copy_index(seed_index, tmp_path / "ro")
    if os.geteuid() == 0:
        if not (_mount("--bind", index, index) and _mount("-o", "remount,bind,ro", index)):
            _umount(index)
            pytest.skip("cannot make a read-only bind mount here")
        try:
            yield index
        finally:
            _umount(index)
    else:
        files = [p for p in index.iterdir() if p.is_file() and not p.is_symlink()]
        for p in files + [index]:
            p.chmod(0o555)
        try:
            yield index
        finally:
            for p in files + [index]:
                p.chmod(0o755)


@pytest.mark.parametrize("rebuild", [False, True], ids=["update", "rebuild"])
def test_read_only_index_folder_is_a_one_line_error_and_still_searchable(read_only_index, tmp_path, rebuild):
    index = read_only_index
    before = Store.open(index).counts()
    docs = tmp_path / "docs"
    write(docs, "new.txt", "Rubio said the United States wants a peace deal first.")
    proc = cli(["index", docs, "--index", index, "-q"] + (["--rebuild"] if rebuild else []))
    assert proc.returncode == 1
    one_line_error(proc.stderr, "cannot write the index")
    store = Store.open(index)
    assert store.counts() == before and check_index(store) == []
    if not rebuild:
        code, out, err = run(["search", MACRON, "--index", index, "--json", "-k", "1"])
        assert code == 0, err
        assert json.loads(out)["hits"][0]["path"].endswith("003_f5fb50542c4e2589.txt")


@pytest.fixture
def small_disk(tmp_path):
    """A 512 KiB tmpfs (root only; skipped when mounting is not permitted)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield mnt
    finally:
        _umount(mnt)


def _fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` to the last byte."""
    ballast = folder / "ballast"
    with ballast.open("wb", buffering=0) as f:
        for size in (65536, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return ballast


@pytest.mark.parametrize("rebuild", [False, True], ids=["update", "rebuild"])
def test_full_disk_is_a_one_line_error_and_the_previous_index_stands(small_disk, tmp_path, rebuild):
    index = small_disk / "index"
    small, docs = tmp_path / "small", tmp_path / "docs"
    write(small, "a.txt", story(0, 6))
    proc = fake_cli(tmp_path, ["index", small, "--index", index, "-q"])
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    before = Store.open(index).counts()
    for i in range(60):
        write(docs, f"{i}.txt", story(i, 40))
    proc = fake_cli(tmp_path, ["index", docs, "--index", index, "-q"] + (["--rebuild"] if rebuild else []))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    one_line_error(err, "disk is full", "free some space")
    store = Store.open(index)
    assert store.counts() == before and check_index(store) == []
    assert sorted(p.name for p in index.iterdir()) == [".briefing-index", ".lock", "briefing.sqlite", "manifest.json",
                                                        f"vectors-{store.generation()}.faiss"]


@pytest.mark.parametrize("stage", ["vectors", "manifest"])
def test_full_disk_after_the_commit_loses_nothing(small_disk, tmp_path, monkeypatch, stage):
    """The disk fills up between the SQLite commit and the derived files: a clear error, no partial temporary file,
    and the committed index is whole (its FAISS file is rebuilt from SQLite)."""
    index = small_disk / "index"
    docs = tmp_path / "docs"
    write(docs, "a.txt", story(0, 6))
    fake_build(docs, index)
    write(docs, "b.txt", story(1, 6))
    ballast: list[Path] = []
    name = "_write_faiss" if stage == "vectors" else "write_manifest"
    real = getattr(Store, name)

    def fill_then_write(self, *args):
        ballast.append(_fill(small_disk))
        return real(self, *args)

    monkeypatch.setattr(Store, name, fill_then_write)
    with pytest.raises(IndexError_) as info:
        fake_build(docs, index)
    msg = str(info.value)
    assert "\n" not in msg and "the index was updated" in msg
    assert ("vector file" if stage == "vectors" else "manifest.json") in msg
    assert not [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
    ballast[0].unlink()
    monkeypatch.undo()
    store = Store.open(index)
    assert store.counts()["documents"] == 2 and check_index(store) == []
    assert fake_hits(index, ["topic1x2 place1"])[0][0][0].endswith("b.txt")


@slow
def test_full_disk_while_exporting_the_model_is_a_one_line_error(small_disk, tmp_path):
    docs = tmp_path / "docs"
    write(docs, "a.txt", "Macron announced a joint working group.")
    proc = cli(["index", docs, "--index", small_disk / "index", "-q"], timeout=600)
    assert proc.returncode == 1
    one_line_error(proc.stderr, "No space left on device", "free some space")


# -- 5. damaged index files --------------------------------------------------------------------------------------


def _truncate_sqlite(index: Path) -> None:
    db = index / "briefing.sqlite"
    os.truncate(db, db.stat().st_size // 2)


def _garble_sqlite_second_half(index: Path) -> None:
    """Same size, second half garbage: SQLite's size check passes, queries that reach those pages fail."""
    db = index / "briefing.sqlite"
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(random.Random(1).randbytes(size - f.tell()))


def _garble_faiss(index: Path) -> None:
    (faiss_file,) = index.glob("vectors-*.faiss")
    faiss_file.write_bytes(random.Random(2).randbytes(5000))


def _truncate_faiss(index: Path) -> None:
    (faiss_file,) = index.glob("vectors-*.faiss")
    os.truncate(faiss_file, faiss_file.stat().st_size // 2)


def _delete_manifest(index: Path) -> None:
    (index / "manifest.json").unlink()


def _garble_model(index: Path) -> None:
    meta = json.loads((index / "manifest.json").read_text())
    for name in ("model.onnx", "model_int8.onnx"):  # whichever this CPU uses
        if (index / "onnx" / name).exists():
            (index / "onnx" / name).write_bytes(b"garbage" * 1000)
    assert meta["model"] == "all-MiniLM-L6-v2"


DAMAGE = {
    "sqlite-truncated": (_truncate_sqlite, "briefing index --rebuild"),
    "sqlite-garbage": (_garble_sqlite_second_half, "briefing index --rebuild"),
    "faiss-garbage": (_garble_faiss, "vector"),
    "faiss-truncated": (_truncate_faiss, "vector"),
    "manifest-deleted": (_delete_manifest, None),
    "model-garbage": (_garble_model, "rebuild"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_files_give_one_line_errors_or_are_repaired(seed_index, tmp_path, damage):
    harm, remedy = DAMAGE[damage]
    index = copy_index(seed_index, tmp_path / "index", copy_model=damage == "model-garbage")
    code, clean, _ = run(["search", MACRON, "--index", index, "--json"])
    assert code == 0
    harm(index)
    for args in (["search", MACRON, "--json"], ["status", "--check"], ["ask", MACRON, "--llm", "extractive"]):
        if remedy == "rebuild" and args[0] == "status":
            continue  # status reads no model
        code, out, err = run([*args, "--index", index])
        if remedy in (None, "vector"):  # derived or informational files: repaired on the fly, same answers
            if remedy == "vector" and args[0] == "status":  # ... but --check says the file on disk is bad
                assert code == 1 and "vector file vectors-" in out and "briefing index" in out, out
                continue
            assert code == 0, err
            assert "Traceback" not in err
            if args[0] == "search":
                assert out == clean
            if args[0] == "status":
                assert "check      ok" in out
        else:
            assert code == 1, out
            one_line_error(err, remedy)


def test_rebuild_repairs_a_damaged_database(seed_index, tmp_path):
    index = copy_index(seed_index, tmp_path / "index")
    _garble_sqlite_second_half(index)
    articles = seed_index.parent / "articles"
    code, _, err = run(["index", articles, "--index", index, "-q"])
    if code:  # unchanged files are not read again, so this run may not reach the damaged pages at all
        assert code == 1
        one_line_error(err, "briefing index --rebuild")
    code, out, err = run(["index", articles, "--index", index, "--rebuild", "-q"])
    assert code == 0, err
    code, out, err = run(["search", MACRON, "--index", index, "--json", "-k", "1"])
    assert code == 0, err
    assert json.loads(out)["hits"][0]["path"].endswith("003_f5fb50542c4e2589.txt")
    assert check_index(Store.open(index)) == []


@slow
def test_rebuild_repairs_a_damaged_model_export(seed_index, tmp_path):
    index = copy_index(seed_index, tmp_path / "index", copy_model=True)
    _garble_model(index)
    code, _, err = run(["search", MACRON, "--index", index])
    assert code == 1
    code, _, err = run(["index", seed_index.parent / "articles", "--index", index, "--rebuild", "-q"])
    assert code == 0, err
    code, out, err = run(["search", MACRON, "--index", index, "--json", "-k", "1"])
    assert code == 0, err
    assert json.loads(out)["hits"][0]["path"].endswith("003_f5fb50542c4e2589.txt")


# -- 6. hostile articles, secrets --------------------------------------------------------------------------------


def test_article_text_stays_literal_and_inert_in_ask_output(seed_index, tmp_path):
    docs = tmp_path / "docs"
    write(docs, "plain.txt", "Rubio said the United States wants a peace deal first.", title="Rubio")
    write(docs, "hostile.txt", "At the summit Macron announced a {{ 7*7 }} point plan <script>alert(1)</script> "
                               "with [a link](http://evil.example/) for Ukraine.", title="Summit notes")
    index = model_ready(seed_index, tmp_path / "index")
    build_index([docs], index)
    question = "what did Macron announce at the summit"
    code, md, err = run(["ask", question, "--index", index, "--llm", "extractive"])
    assert code == 0, err
    assert "{{ 7*7 }} point plan" in md and "49 point plan" not in md  # literal, never evaluated
    assert not re.search(r"(?<!\\)<", md) and "\\<script>alert(1)\\</script>" in md  # inert in any renderer
    assert not re.search(r"(?<!\\)\[a link\]", md) and "\\[a link](http://evil.example/)" in md
    code, out, err = run(["ask", question, "--index", index, "--llm", "extractive", "--json"])
    assert code == 0, err
    result = json.loads(out)
    assert "{{ 7*7 }} point plan <script>alert(1)</script>" in result["answer"]  # JSON keeps the exact text
    assert any("{{ 7*7 }}" in c["quote"] and c["supported"] for c in result["citations"])


def test_the_api_key_never_reaches_the_index_or_the_output(seed_index, tmp_path, openai_server):
    docs = tmp_path / "docs"
    write(docs, "a.txt", "French President Emmanuel Macron announced a joint working group on Tuesday.")
    index = model_ready(seed_index, tmp_path / "index", copy=True)
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": openai_server.base_url, "BRIEFING_LLM_TIMEOUT": "5"}
    outputs = []
    code, out, err = run(["index", docs, "--index", index, "-q"], env=env)
    assert code == 0, err
    outputs += [out, err]
    openai_server.enqueue("French President Emmanuel Macron announced a joint working group [1].")
    openai_server.enqueue("French President Emmanuel Macron announced a joint working group [1].")
    answer_file = tmp_path / "answer.md"
    for args in (["ask", MACRON, "-o", answer_file], ["ask", MACRON, "--json"], ["status"], ["status", "--json"]):
        code, out, err = run([*args, "--index", index], env=env)
        assert code == 0, err
        outputs += [out, err]
    assert openai_server.requests[-1].headers["Authorization"] == f"Bearer {KEY}"  # the key was in use
    assert "joint working group [1]" in outputs[2]
    for text in outputs + [answer_file.read_text()]:
        assert KEY not in text and "5ecret" not in text
    for path in index.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.encode() not in data and b"5ecret" not in data, path


# -- 7. LLM faults through `briefing ask` --------------------------------------------------------------------------


def llm_env(server) -> dict:
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.base_url, "BRIEFING_LLM_TIMEOUT": "5"}


@pytest.mark.parametrize("reply, needle", [
    ({"raw": b'{"id": "x", "choices": [{"message": {"content": "Macron announced'}, "not valid chat-completions JSON"),
    ({"text": ""}, "empty answer"),
    ({"text": "   \n "}, "empty answer"),
], ids=["malformed-json", "empty", "blank"])
def test_llm_fault_is_a_one_line_error(seed_index, openai_server, reply, needle):
    for _ in range(5):  # enough for every retry the client might make
        openai_server.enqueue(**reply)
    code, out, err = run(["ask", MACRON, "--index", seed_index], env=llm_env(openai_server))
    assert code == 1 and out == ""
    line = one_line_error(err, needle)
    assert KEY not in line


def test_stream_cut_mid_answer_on_a_terminal_is_a_one_line_error(seed_index, openai_server):
    """On a terminal `ask` streams the draft; a cut stream ends the preview line and reports on a line of its own."""
    import pty

    openai_server.enqueue("French President Emmanuel Macron announced the creation of a new joint working group "
                          "led by France and Great Britain [1].", cut=True)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([PY, "-m", "briefing.cli", "ask", MACRON, "--index", str(seed_index)],
                                stdout=slave, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **llm_env(openai_server), "TERM": "xterm"})
        os.close(slave)
        _, err = proc.communicate(timeout=120)
        screen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(master)
    assert proc.returncode == 1
    assert openai_server.requests[-1].body.get("stream") is True  # it did stream
    lines = err.splitlines()
    assert "Macron" in err.split("error:")[0]  # the part that came was shown as it came
    assert lines[-1].startswith("error: the LLM's stream ended early")
    assert sum("error:" in line for line in lines) == 1 and "Traceback" not in err
    assert b"Sources" not in screen  # no half answer presented as an answer


def test_a_model_that_ignores_the_citation_format_gets_flagged_never_a_false_source(seed_index, openai_server):
    text = ("French President Emmanuel Macron announced a new joint working group (Source 1). "
            "It is led by France and Great Britain【2†source】. "
            "The coalition will meet again soon^3. "
            "See [the report](http://evil.example/report) and [1](http://evil.example/fake-source).")
    openai_server.enqueue(text)
    openai_server.enqueue(text)
    code, out, err = run(["ask", MACRON, "--index", seed_index, "--json", "--strict"], env=llm_env(openai_server))
    assert code == 1, err  # --strict: warnings remain
    result = json.loads(out)
    assert result["citations"] == [] and result["insufficient_evidence"] is True
    assert sum(w.startswith("uncited sentence") for w in result["warnings"]) == 4
    code, md, err = run(["ask", MACRON, "--index", seed_index], env=llm_env(openai_server))
    assert code == 0, err
    assert "### Sources" not in md
    assert "](http" not in md.replace("\\[the report](http", "").replace("\\[1](http", "")  # no live link
    assert "\\[1](http://evil.example/fake-source)" in md  # a link dressed as a citation stays inert text
