"""Every command on a PostgreSQL index, through the CLI with the real bundled model, against a real server: the
answers are the SQLite index's answers, and two `briefing index` runs started at once leave no duplicate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ARTICLES, SHARED

QUESTIONS = ["what did Macron announce", "frozen Russian assets in Europe", "US combat troops in Ukraine",
             "how many troops would Ukraine's army be allowed", "coalition of the willing security guarantees"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "briefing.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


def ok(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def indexes(tmp_path_factory, pg_server):
    """The same copy of examples/articles indexed into a folder and, by two runs at once, into PostgreSQL."""
    import pgserver

    work = tmp_path_factory.mktemp("pg-cli")
    shutil.copytree(ARTICLES, work / "articles")
    url = pgserver.new_database(pg_server)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = [subprocess.Popen([sys.executable, "-m", "briefing.cli", "index", "articles", "--index", url, "-q",
                              "--json"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for _ in range(2)]
    outs = [r.communicate(timeout=600) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [e for _, e in outs]
    reports = [json.loads(out) for out, _ in outs]
    ok(cli("index", "articles", "--index", "local", "-q", cwd=work))
    return work, url, reports


def test_two_index_runs_at_once_add_each_document_once(indexes):
    work, url, reports = indexes
    assert sorted(r["documents_added"] for r in reports) == [0, 5]  # one waited for the other, then had nothing to do
    status = json.loads(ok(cli("status", "--index", url, "--json", "--check", cwd=work)))
    local = json.loads(ok(cli("status", "--index", "local", "--json", cwd=work)))
    assert status["problems"] == [] and status["counts"] == local["counts"]
    assert status["counts"]["duplicates"] == 0 and status["counts"]["documents"] == 5
    for key in ("model", "model_sha256", "dim", "int8", "backend", "chunking", "schema_version"):
        assert status[key] == local[key], key
    text = ok(cli("status", "--index", url, "--check", cwd=work))
    assert "check      ok" in text and "passages   " in text


def test_search_gives_the_same_passages(indexes):
    work, url, _ = indexes
    for q in QUESTIONS:
        pg = json.loads(ok(cli("search", q, "--index", url, "--json", "-k", "5", cwd=work)))["hits"]
        local = json.loads(ok(cli("search", q, "--index", "local", "--json", "-k", "5", cwd=work)))["hits"]
        assert [(h["path"], h["char_start"], h["char_end"]) for h in pg] == \
            [(h["path"], h["char_start"], h["char_end"]) for h in local], q
        assert [h["score"] for h in pg] == pytest.approx([h["score"] for h in local], abs=1e-9)
    windowed = json.loads(ok(cli("search", "security guarantees", "--index", url, "--json", "--since", "2025-11-27",
                                 cwd=work)))["hits"]
    assert windowed and all(h["published"] >= "2025-11-27" for h in windowed)


def test_ask_and_memo_cite_the_same_quotes(indexes):
    work, url, _ = indexes
    pg = json.loads(ok(cli("ask", QUESTIONS[0], "--index", url, "--json", "--llm", "extractive", cwd=work)))
    local = json.loads(ok(cli("ask", QUESTIONS[0], "--index", "local", "--json", "--llm", "extractive", cwd=work)))
    assert pg["answer"] == local["answer"] and "working group" in pg["answer"]
    assert [(c["path"], c["quote"], c["supported"]) for c in pg["citations"]] == \
        [(c["path"], c["quote"], c["supported"]) for c in local["citations"]]
    memos = [json.loads(ok(cli("memo", "--since", "2025-11-20", "--until", "2025-11-28", "--llm", "extractive",
                               "--format", "json", "--index", where, cwd=work))) for where in (url, "local")]
    assert memos[0]["citations"] and memos[0]["citations"] == memos[1]["citations"]
    assert memos[0]["sections"] == memos[1]["sections"] and memos[0]["undated"] == memos[1]["undated"]


@pytest.mark.skipif(not (SHARED / "eval" / "seeds-dev.jsonl").exists(), reason="needs ../shared/eval/seeds-dev.jsonl")
def test_eval_scores_alike(indexes):
    work, url, _ = indexes
    questions = SHARED / "eval" / "seeds-dev.jsonl"
    pg, local = (json.loads(ok(cli("eval", str(questions), "--index", where, "--llm", "none", "--json", cwd=work)))
                 for where in (url, "local"))
    latency = {"latency", "latency_ms", "seconds"}
    assert {k: v for k, v in pg["summary"].items() if k not in latency} == \
        {k: v for k, v in local["summary"].items() if k not in latency}
    assert pg["summary"]["hit@1"] == 1.0
    assert [q.get("rank") for q in pg["questions"]] == [q.get("rank") for q in local["questions"]]


def test_nothing_is_written_to_local_disk_but_caches(indexes, tmp_path):
    work, url, _ = indexes
    (work / "articles" / "late.txt").write_text("A late note\nPublished: 2025-11-28\n\nMacron spoke again.\n")
    ok(cli("index", str(work / "articles"), "--index", url, "-q", cwd=tmp_path))
    ok(cli("search", QUESTIONS[0], "--index", url, cwd=tmp_path))
    assert list(tmp_path.iterdir()) == []
    (work / "articles" / "late.txt").unlink()
    ok(cli("index", str(work / "articles"), "--index", url, "-q", cwd=tmp_path))


def test_the_web_app_serves_a_postgresql_index_like_a_folder(indexes, monkeypatch):
    """``briefing serve --index postgresql://…``: the JSON API gives the same answer as over the local index, and a
    later build is seen by the next request (the manifest's generation, not a folder's mtime, tells)."""
    from starlette.testclient import TestClient

    from briefing.answer.generate import make_generator
    from briefing.serve.app import Options, create_app

    work, url, _ = indexes
    monkeypatch.chdir(work)
    answers = []
    for where in (url, work / "local"):
        with TestClient(create_app(Options(where, make_generator("extractive"))), base_url="http://127.0.0.1") as c:
            r = c.get("/api/ask", params={"q": "what did Macron announce"})
            assert r.status_code == 200, r.text
            answers.append([(x["path"], x["quote"]) for x in r.json()["citations"]])
    assert answers[0] and answers[0] == answers[1]
