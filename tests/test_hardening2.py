"""Hardening, round 2: odd names and bytes, hung LLM streams, the template sandbox, foreign folders, damaged vectors
and injected Markdown (issue 15). Each test here failed on the code before the fix.

Helpers come from ``test_hardening.py``: ``run`` (the CLI in this process, an escaping exception fails the test),
``cli`` (the CLI in a subprocess), ``one_line_error``, ``model_ready`` / ``copy_index`` (index folders that reuse the
session's model export), ``write`` and ``story`` (articles).
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from briefing.ingest.decode import decode
from briefing.store.sqlite import Store

from fakeopenai import openai_server  # noqa: F401
from test_hardening import (MACRON, PY, cli, copy_index, fake_build, model_ready, one_line_error, run,  # noqa: F401
                            small_disk, story, write)

BAD = b"bad\xff\xfename.txt"  # a file name that is not UTF-8
NEWLINE_NAME = "x\n- [9] fake source.txt"


def _fs(name: bytes) -> str:
    return os.fsdecode(name)


# -- 1. names and bytes -------------------------------------------------------------------------------------------


def _odd_names(docs: Path) -> None:
    write(docs, "good.txt", "The envoys met in Geneva on Monday to discuss a ceasefire.", title="Geneva talks")
    write(docs, _fs(BAD), "The ministers agreed a reconstruction fund for Kharkiv on Tuesday.", title="Kharkiv fund")
    write(docs / _fs(b"dir\xfe"), "inside.txt", "Negotiators in Istanbul exchanged prisoner lists on Friday.",
          title="Istanbul lists")
    write(docs, NEWLINE_NAME, "A Berlin summit on drones was announced for next month.", title="Berlin drones")


def test_names_that_are_not_utf8_are_indexed_stored_escaped_and_rerun_incrementally(seed_index, tmp_path):
    docs = tmp_path / "docs"
    _odd_names(docs)
    index = model_ready(seed_index, tmp_path / "index")
    code, out, err = run(["index", docs, "--index", index, "-q"])
    assert code == 0, err
    assert out.startswith("indexed 4 documents"), out
    code, out, err = run(["search", "reconstruction fund Kharkiv", "--index", index, "--json", "-k", "1"])
    assert code == 0, err
    assert json.loads(out)["hits"][0]["path"].endswith("bad\\xff\\xfename.txt")
    code, out, err = run(["search", "prisoner lists Istanbul", "--index", index, "--json", "-k", "1"])
    assert json.loads(out)["hits"][0]["path"].endswith("dir\\xfe/inside.txt")
    code, out, err = run(["index", docs, "--index", index, "-q"])  # nothing changed: nothing re-read or removed
    assert code == 0 and "0 new or changed files" in out and "0 files removed" in out, out
    (docs / _fs(BAD)).unlink()
    code, out, err = run(["index", docs, "--index", index, "-q"])
    assert code == 0 and "1 files removed" in out and out.startswith("indexed 3 documents"), out


def test_a_newline_in_a_file_name_stays_inside_its_markdown_line(seed_index, tmp_path):
    docs = tmp_path / "docs"
    _odd_names(docs)
    index = model_ready(seed_index, tmp_path / "index")
    assert run(["index", docs, "--index", index, "-q"])[0] == 0
    code, out, err = run(["ask", "Berlin summit on drones", "--index", index, "--llm", "extractive", "-k", "1"])
    assert code == 0, err
    sources = out.split("### Sources", 1)[1].strip().split("\n\n")[0].splitlines()
    assert len(sources) == 1 and sources[0].startswith("- [1] ") and "x\\n- [9] fake source.txt:L" in sources[0], out
    assert not any(line.startswith("- [9]") for line in out.splitlines())


@pytest.mark.parametrize("command", ["search", "ask"])
def test_a_question_that_is_not_utf8_is_one_line(seed_index, command):
    code, out, err = run([command, "what did Macron \udcff announce", "--index", seed_index, "--llm", "extractive"]
                         if command == "ask" else [command, "Macron \udcff", "--index", seed_index])
    assert code == 2
    one_line_error(err, "not valid UTF-8")


def test_a_batch_file_that_is_not_utf8_or_never_ends_is_one_line(seed_index, tmp_path):
    batch = tmp_path / "questions.txt"
    batch.write_bytes(b"what did Macron announce\nfrozen \xff assets\n")
    code, out, err = run(["search", "--batch", batch, "--index", seed_index])
    assert code == 2 and out == ""
    one_line_error(err, "not UTF-8", "line 2")
    proc = cli(["search", "--batch", "/dev/zero", "--index", seed_index], timeout=120)
    assert proc.returncode == 2
    one_line_error(proc.stderr, "more than 10 MB")
    batch.write_text(f"{MACRON}\n\n  frozen assets  \n")
    code, out, err = run(["search", "--batch", batch, "--index", seed_index, "--json", "-k", "1"])
    assert code == 0 and [json.loads(line)["question"] for line in out.splitlines()] == [MACRON, "frozen assets"]


def test_a_template_that_is_not_utf8_is_one_line(seed_index, tmp_path):
    template = tmp_path / "memo.md.j2"
    template.write_bytes(b"# {{ title }}\n\xff\xfe\n")
    code, out, err = run(["memo", "--index", seed_index, "--template", template, "--llm", "extractive"])
    assert code == 2
    one_line_error(err, "not UTF-8")


FIFO_SWAP = r"""
import os, sys
from pathlib import Path
import briefing.ingest.walk as walk
from briefing.ingest.indexer import build_index
from briefing.testing import FakeEmbedder, WhitespaceTokens

docs, index, fifo = map(Path, sys.argv[1:4])
real = walk.iter_files


def swapped(paths, exclude=()):
    # the walk saw a regular file; by the time it is read, a FIFO with no writer has taken its name
    yield from real(paths, exclude)
    yield fifo, None


walk.iter_files = swapped
report = build_index([docs], index, embedder=FakeEmbedder(32), tokens=WhitespaceTokens())
print(report.counts["documents"], [s.reason for s in report.skipped])
"""


def test_a_file_swapped_for_a_fifo_after_the_walk_is_skipped_not_waited_on(tmp_path):
    docs = tmp_path / "docs"
    write(docs, "good.txt", story(1))
    fifo = docs / "swapped.txt"
    os.mkfifo(fifo)
    script = tmp_path / "swap.py"
    script.write_text(FIFO_SWAP)
    try:
        proc = subprocess.run([PY, str(script), docs, tmp_path / "index", fifo], capture_output=True, text=True,
                              timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("indexing blocked on a FIFO")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1 ['unreadable: not a regular file']", proc.stdout


# -- 2. decoding --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_short_western_article_decodes_in_its_western_code_page(encoding):
    text = "naïve, déjà vu à Genève"
    assert decode(text.encode(encoding)) == text
    headline = "Élysée: à Genève, l'été déjà là\nLe garçon naïf a dit « oui » à la façade.\n"
    assert decode(headline.encode(encoding)) == headline


def test_a_file_mixing_utf8_and_cp1252_lines_decodes_line_by_line():
    data = ("Café au lait à Paris — “UTF-8 here”\n".encode("utf-8")
            + "Le garçon était déjà là, naïve, à Genève.\n".encode("cp1252")
            + "Zürich, Straße, Ærø\n".encode("utf-8"))
    assert decode(data) == ("Café au lait à Paris — “UTF-8 here”\nLe garçon était déjà là, naïve, à Genève.\n"
                            "Zürich, Straße, Ærø\n")


def test_random_bytes_are_binary_whatever_the_detector_guesses():
    rng = random.Random(15)
    for n in range(20):
        data = rng.randbytes(20_000)
        assert decode(data) is None
        assert decode(data.replace(b"\x00", b"")) is None  # no NUL to give it away


# -- 4. the template sandbox ----------------------------------------------------------------------------------------

PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('echo PWNED-$((6*7))').read() }}"


def test_a_user_template_cannot_run_python(seed_index, tmp_path):
    template = tmp_path / "evil.md.j2"
    template.write_text(f"# {{{{ title }}}}\n{PAYLOAD}\n")
    code, out, err = run(["memo", "--index", seed_index, "--template", template, "--llm", "extractive"])
    assert "PWNED-42" not in out + err
    assert code == 2
    one_line_error(err, "template evil.md.j2 was refused")
    # a template that only reads the memo's variables still renders
    template.write_text("# {{ title }}\n{% for c in citations %}[{{ c.n }}] {{ c.path | md_line }}\n{% endfor %}")
    code, out, err = run(["memo", "--index", seed_index, "--template", template, "--llm", "extractive"])
    assert code == 0 and out.startswith("# ") and "[1] " in out, err


def test_prompt_templates_render_in_the_sandbox():
    import jinja2.sandbox

    from briefing.answer.prompting import prompt_env

    env = prompt_env()
    assert isinstance(env, jinja2.sandbox.SandboxedEnvironment)
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.from_string(PAYLOAD).render()


# -- 5. escaping article fields in Markdown ---------------------------------------------------------------------

HOSTILE = """---
title: "Talks <b onmouseover=alert(1)>resume</b> [click](javascript:alert(2))"
date: 2025-11-26
source: "<script>alert(3)</script>"
url: "javascript:alert(4)"
---

French President Emmanuel Macron announced a joint working group on security guarantees on Tuesday, officials said.
The group will meet in London next week, the foreign ministry said on Wednesday.
"""


def test_article_fields_reach_markdown_escaped_and_only_http_urls_become_links(seed_index, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    index = model_ready(seed_index, tmp_path / "index")
    assert run(["index", docs, "--index", index, "-q"])[0] == 0
    for args in (["memo", "--index", index, "--llm", "extractive", "--since", "2025-11-20", "--until",
                  "2025-11-30"],
                 ["ask", "what did Macron announce", "--index", index, "--llm", "extractive"]):
        code, out, err = run(args)
        assert code == 0, err
        assert "hostile.md" in out
        assert re.search(r"(?<!\\)<", out) is None, out  # every "<" escaped: no raw HTML
        assert re.search(r"(?<!\\)\[[^\]]*\]\(javascript:", out) is None, out  # no link to a javascript: url
        assert "\\<script>alert(3)" in out  # shown, as text
    code, out, err = run(["memo", "--index", index, "--llm", "extractive", "--since", "2025-11-20", "--until",
                          "2025-11-30", "--format", "html"])
    assert code == 0 and "javascript:" not in out.split("<body", 1)[1].replace("javascript:alert(2)", "")
    assert 'href="javascript' not in out


# -- 9. small things ----------------------------------------------------------------------------------------------


def test_an_index_of_nothing_says_why_on_stderr(seed_index, tmp_path):
    docs = tmp_path / "junk"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    (docs / "notes.docx").write_bytes(b"PK\x03\x04")
    code, out, err = run(["index", docs, "--index", model_ready(seed_index, tmp_path / "index"), "-q"])
    assert code == 1
    one_line_error(err, "no document", "2 files were skipped")


def test_a_json_record_with_a_huge_unused_integer_is_indexed(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    huge = "9" * 5000
    (docs / "dump.json").write_text('[{"title": "Huge id", "id": ' + huge + ', "text": "' + story(3) + '"}]')
    (docs / "dump.jsonl").write_text('{"title": "Huge id too", "n": ' + huge + ', "text": "' + story(4) + '"}\n')
    report = fake_build(docs, tmp_path / "index")
    assert report.counts["documents"] == 2 and report.skipped == (), report.skipped


def test_indexing_the_current_folder_never_walks_the_index_folder(seed_index, tmp_path):
    docs = tmp_path / "project"
    write(docs, "a.txt", "The envoys met in Geneva on Monday to discuss a ceasefire.")
    model_ready(seed_index, docs / "index")
    for _ in range(2):
        proc = cli(["index", ".", "-q"], cwd=docs, env={"BRIEFING_INDEX": ""})
        assert proc.returncode == 0, proc.stderr
        assert "skipped" not in proc.stdout and "index" not in proc.stdout.split("—", 1)[1], proc.stdout


@pytest.mark.parametrize("command", ["ask", "memo"])
def test_an_output_file_inside_the_index_folder_is_refused(seed_index, tmp_path, command):
    index = copy_index(seed_index, tmp_path / "index")
    before = (index / "briefing.sqlite").read_bytes()
    args = ["ask", MACRON] if command == "ask" else ["memo"]
    for target in (index / "briefing.sqlite", index / "new.md", index / ".." / index.name / "manifest.json"):
        code, out, err = run(args + ["--index", index, "--llm", "extractive", "-o", target])
        assert code == 2
        one_line_error(err, "inside the index folder")
    assert (index / "briefing.sqlite").read_bytes() == before and not (index / "new.md").exists()
    assert Store.open(index).counts()["documents"] > 0


# -- 3 and 6. LLM servers that never finish, flood, or echo the key ----------------------------------------------

KEY = "sk-test-ROUND2-5ecret-0077"
MESSAGES = [{"role": "user", "content": "what did Macron announce"}]


class _Endless(BaseHTTPRequestHandler):
    """An OpenAI-style endpoint that misbehaves as ``server.mode`` says; it stops by itself after ``LIFETIME`` s so a
    client that never gives up cannot keep a test (or this thread) alive forever."""

    protocol_version = "HTTP/1.1"
    LIFETIME = 90.0

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests += 1
        mode = self.server.mode
        stream = bool(body.get("stream"))
        if mode == "flood" and not stream:
            content = "Macron " * 1_000_000  # 7 MB, whatever max_tokens said
            data = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self._send(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        ends = time.monotonic() + self.LIFETIME
        event = json.dumps({"id": "x", "object": "chat.completion.chunk", "model": "m",
                            "choices": [{"index": 0, "delta": {"content": "Macron "}, "finish_reason": None}]})
        while time.monotonic() < ends and not self.server.stopping.is_set():
            if mode == "keepalive":
                piece = b": keep-alive\n\n" if stream else b" "  # SSE comments, or JSON whitespace
            elif mode == "drip":
                piece = f"data: {event}\n\n".encode() if stream else b" "
            else:  # flood, streaming
                piece = f"data: {event}\n\n".encode() * 1000
            if not self._send(b"%x\r\n%s\r\n" % (len(piece), piece)):
                return
            if mode != "flood":
                self.server.stopping.wait(0.05)

    def _send(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:  # the client gave up
            return False


@pytest.fixture
def endless_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    server.requests, server.mode, server.stopping = 0, "keepalive", threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def _complete_in_thread(llm, on_token=None):
    """``llm.complete`` on a thread: (finished, exception). A call still running after a minute is a hang (the
    server gives up after 90 s, so even a hung client ends)."""
    outcome = {}

    def go():
        try:
            outcome["result"] = llm.complete(MESSAGES, on_token=on_token)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(60)
    return not thread.is_alive(), outcome.get("error")


@pytest.mark.parametrize("mode, stream, needle", [
    ("keepalive", True, "did not finish its answer within 2 s"),
    ("keepalive", False, "did not finish its answer within 2 s"),
    ("drip", True, "did not finish its answer within 2 s"),
    ("flood", True, "sent more than 4 MB"),
    ("flood", False, "sent more than 4 MB"),
], ids=["keepalive-stream", "keepalive-json", "drip-stream", "flood-stream", "flood-json"])
def test_an_llm_answer_that_never_ends_is_cut_at_the_deadline_or_the_size_cap(endless_server, mode, stream, needle):
    from briefing.answer.llm import OpenAIChat
    from briefing.errors import LLMError

    endless_server.mode = mode
    # a flood must hit the size cap, not the deadline, however slowly a loaded machine parses its events
    timeout = 2 if mode != "flood" else 45
    llm = OpenAIChat("m", base_url=endless_server.base_url, api_key=KEY, timeout=timeout, max_retries=2)
    finished, error = _complete_in_thread(llm, on_token=(lambda piece: None) if stream else None)
    assert finished, f"the {mode} answer was still being read after a minute"
    assert isinstance(error, LLMError), error
    assert needle in str(error) and "\n" not in str(error) and KEY not in str(error)
    assert endless_server.requests == 1  # a runaway answer is not asked for again


def test_the_retry_count_in_a_message_is_the_number_of_retries_made(openai_server):
    from briefing.answer.llm import OpenAIChat
    from briefing.errors import LLMError

    openai_server.enqueue(status=429, headers={"x-should-retry": "false"})
    llm = OpenAIChat("m", base_url=openai_server.base_url, api_key=KEY, timeout=5, max_retries=3)
    with pytest.raises(LLMError) as info:
        llm.complete(MESSAGES)
    assert len(openai_server.requests) == 1
    assert "HTTP 429" in str(info.value) and "retr" not in str(info.value)
    for _ in range(3):
        openai_server.enqueue(status=429)
    llm = OpenAIChat("m", base_url=openai_server.base_url, api_key=KEY, timeout=5, max_retries=2)
    with pytest.raises(LLMError) as info:
        llm.complete(MESSAGES)
    assert len(openai_server.requests) == 4 and "HTTP 429 after 2 retries" in str(info.value)


ECHO = "French President Emmanuel Macron announced a joint working group [1]. The request said: Bearer {key} [1]."


def test_an_api_key_echoed_by_the_server_is_redacted_everywhere(seed_index, tmp_path, openai_server):
    from briefing.answer.llm import OpenAIChat

    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": openai_server.base_url, "BRIEFING_LLM_TIMEOUT": "10"}
    openai_server.default_text = ECHO.format(key=KEY)
    texts = []
    for args in (["ask", MACRON], ["ask", MACRON, "--json"], ["memo", "--format", "html"], ["memo"],
                 ["memo", "--format", "json"]):
        code, out, err = run([*args, "--index", seed_index, "--llm", "openai"], env=env)
        assert code == 0, err
        texts += [out, err]
    assert openai_server.requests and all(r.headers["Authorization"] == f"Bearer {KEY}" for r in openai_server.requests)
    assert any("Bearer ***" in t for t in texts)
    for text in texts:
        assert KEY not in text and "5ecret" not in text
    # streamed: the key split over chunks never reaches the screen either
    openai_server.enqueue(ECHO.format(key=KEY))
    pieces: list[str] = []
    out = OpenAIChat("m", base_url=openai_server.base_url, api_key=KEY, timeout=10).complete(
        MESSAGES, on_token=pieces.append)
    assert "".join(pieces) == out.text == ECHO.format(key="***")


# -- 7. index integrity ---------------------------------------------------------------------------------------------


def _garble_vector_values(index: Path) -> None:
    """The vector file keeps its ids and size, but its vectors are someone else's: results would silently change."""
    import faiss

    (path,) = index.glob("vectors-*.faiss")
    flat = faiss.read_index(str(path))
    ids = faiss.vector_to_array(flat.id_map)
    vecs = faiss.downcast_index(flat.index).reconstruct_n(0, flat.ntotal)
    rng = np.random.default_rng(0)
    garbled = faiss.IndexIDMap2(faiss.IndexFlatIP(vecs.shape[1]))
    garbled.add_with_ids(np.ascontiguousarray(vecs[rng.permutation(len(vecs))]), ids)
    faiss.write_index(garbled, str(path))


def test_garbled_vectors_are_caught_by_check_never_used_and_rewritten_by_the_next_index(seed_index, tmp_path):
    index = copy_index(seed_index, tmp_path / "index")
    questions = [MACRON, "frozen assets", "security guarantees for Ukraine"]
    clean = [run(["search", q, "--index", index, "--json"])[1] for q in questions]
    _garble_vector_values(index)
    code, out, err = run(["status", "--check", "--index", index])
    assert code == 1 and "vector file vectors-" in out and "briefing index" in out, out
    assert [run(["search", q, "--index", index, "--json"])[1] for q in questions] == clean  # SQLite's vectors
    code, out, err = run(["index", seed_index.parent / "articles", "--index", index, "-q"])
    assert code == 0 and "0 new or changed files" in out, err
    code, out, err = run(["status", "--check", "--index", index])
    assert code == 0 and "check      ok" in out, out
    manifest = json.loads((index / "manifest.json").read_text())
    (name,) = manifest["checksums"]
    assert (index / name).exists() and name.startswith("vectors-")


@pytest.mark.parametrize("harm", ["emptied", "garbled"])
def test_a_damaged_model_export_fails_check(seed_index, tmp_path, harm):
    index = copy_index(seed_index, tmp_path / "index", copy_model=True)
    assert run(["status", "--check", "--index", index])[0] == 0
    for name in ("model.onnx", "model_int8.onnx"):
        path = index / "onnx" / name
        if path.exists():
            if harm == "emptied":
                path.write_bytes(b"")
            else:
                data = bytearray(path.read_bytes())
                data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # same size, other weights
                path.write_bytes(bytes(data))
    code, out, err = run(["status", "--check", "--index", index])
    assert code == 1 and "model export onnx/" in out and "--rebuild" in out, out
    code, out, err = run(["index", seed_index.parent / "articles", "--index", index, "--rebuild", "-q"])
    assert code == 0, err
    code, out, err = run(["status", "--check", "--index", index])
    assert code == 0 and "check      ok" in out, out


def _edit_database(index: Path, *sql: str) -> None:
    import sqlite3

    con = sqlite3.connect(index / "briefing.sqlite")
    with con:
        for statement in sql:
            con.execute(statement)
    con.close()


@pytest.mark.parametrize("edit", ["orphan-passages", "short-vector"])
def test_hand_edited_rows_are_one_line_naming_rebuild(seed_index, tmp_path, edit):
    index = copy_index(seed_index, tmp_path / "index")
    if edit == "orphan-passages":
        _edit_database(index, "DELETE FROM documents WHERE id IN (SELECT doc_id FROM chunks ORDER BY id LIMIT 1)")
    else:
        _edit_database(index, "UPDATE chunks SET vector = x'0000' WHERE id = (SELECT min(id) FROM chunks)")
        for path in index.glob("vectors-*.faiss"):
            path.unlink()  # the vectors are read from the database again
    for args in (["search", MACRON], ["ask", MACRON, "--llm", "extractive"], ["search", "Geneva talks"],
                 ["memo", "--llm", "extractive"]):
        code, out, err = run([*args, "--index", index])
        if code:
            assert code == 1
            one_line_error(err, "damaged", "--rebuild")
    code, out, err = run(["search", MACRON, "--index", index])
    assert code == 1, out
    code, out, err = run(["status", "--check", "--index", index])
    assert code == 1 and "Traceback" not in err
    assert "--rebuild" in out + err
    code, out, err = run(["index", seed_index.parent / "articles", "--index", index, "--rebuild", "-q"])
    assert code == 0, err
    assert run(["status", "--check", "--index", index])[0] == 0


# -- 8. other people's folders --------------------------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _foreign_sqlite(path: Path) -> None:
    import sqlite3

    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE people (name TEXT)")
        con.execute("INSERT INTO people VALUES ('Ada')")
    con.close()


@pytest.mark.parametrize("what", ["files", "onnx", "sqlite"])
def test_a_foreign_folder_is_refused_and_left_untouched(seed_index, tmp_path, what):
    docs = tmp_path / "docs"
    write(docs, "a.txt", "The envoys met in Geneva on Monday to discuss a ceasefire.")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    if what == "files":
        (theirs / "vectors-mine.faiss").write_bytes(b"my own vectors")
        (theirs / "notes.txt").write_text("my notes\n")
    elif what == "onnx":
        (theirs / "onnx").mkdir()
        (theirs / "onnx" / "model.onnx").write_bytes(b"my own model")
    else:
        _foreign_sqlite(theirs / "briefing.sqlite")
    before = _tree(theirs)
    for rebuild in ([], ["--rebuild"]):
        code, out, err = run(["index", docs, "--index", theirs, "-q", *rebuild])
        assert code == 1
        one_line_error(err, "is not a briefing index", "--index")
    if what == "sqlite":  # reading it is no better an idea
        code, out, err = run(["search", MACRON, "--index", theirs])
        assert code == 1
        one_line_error(err, "is not a briefing index")
    assert _tree(theirs) == before and sorted(os.listdir(theirs)) == sorted({p.split("/")[0] for p in before})


def test_briefings_own_folders_are_recognised_marked_and_only_its_files_touched(seed_index, tmp_path):
    docs = tmp_path / "docs"
    write(docs, "a.txt", "The envoys met in Geneva on Monday to discuss a ceasefire.")
    # an index made before the marker existed: adopted, and marked
    old = copy_index(seed_index, tmp_path / "old")
    (old / ".briefing-index").unlink()
    code, out, err = run(["index", docs, "--index", old, "-q"])
    assert code == 0, err
    assert (old / ".briefing-index").is_file()
    # inside briefing's folder, a file of someone else's is left alone, whatever its name
    (old / "vectors-mine.faiss").write_bytes(b"mine")
    write(docs, "b.txt", "The ministers agreed a reconstruction fund for Kharkiv on Tuesday.")
    for rebuild in ([], ["--rebuild"]):
        code, out, err = run(["index", docs, "--index", old, "-q", *rebuild])
        assert code == 0, err
    assert (old / "vectors-mine.faiss").read_bytes() == b"mine"
    # a new and an empty folder become briefing's
    empty = model_ready(seed_index, tmp_path / "empty")
    for folder in (empty, tmp_path / "new" / "index"):
        code, out, err = run(["index", docs, "--index", folder, "-q"])
        assert code == 0, err
        assert (folder / ".briefing-index").is_file()


def test_a_full_index_disk_is_named_not_the_model_cache(seed_index, small_disk, tmp_path):
    docs = tmp_path / "docs"
    write(docs, "a.txt", "The envoys met in Geneva on Monday to discuss a ceasefire.")
    cache = os.environ["BRIEFING_CACHE_DIR"]
    proc = cli(["index", docs, "--index", small_disk / "index", "-q"], timeout=600)
    assert proc.returncode == 1
    line = one_line_error(proc.stderr, "No space left on device", "free some space")
    assert str(small_disk) in line and cache not in line, line
