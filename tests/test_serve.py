"""``briefing serve``'s app through Starlette's test client over a real index of examples/articles, and a real
uvicorn on loopback for concurrency and a re-index while serving."""

from __future__ import annotations

import html
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from briefing.answer.ask import answer
from briefing.answer.generate import make_generator
from briefing.answer.llm import default_stub_reply
from briefing.answer.render import answer_json, hits_json
from briefing.answer.retrieve import SearchSettings
from briefing.answer.session import Session
from briefing.errors import LLMError
from briefing.memo.build import build_memo
from briefing.memo.render import memo_json
from briefing.memo.window import choose_window
from briefing.serve.app import Options, create_app
from liveserver import serving

from conftest import ARTICLES, ROOT

MACRON = "what did Macron announce"
MARK = re.compile(r'<mark id="quote">(.*?)</mark>', re.DOTALL)


def _client(index: Path, generator=None, **kw) -> TestClient:
    app = create_app(Options(index, generator or make_generator("extractive"), **kw))
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def client(seed_index):
    with _client(seed_index) as c:
        yield c


def _mark(page: str) -> str:
    found = MARK.findall(page)
    assert len(found) == 1, "the article view marks exactly one span"
    return html.unescape(found[0])


def _without_hrefs(record):
    if isinstance(record, dict):
        return {k: _without_hrefs(v) for k, v in record.items() if k != "href"}
    if isinstance(record, list):
        return [_without_hrefs(v) for v in record]
    return record


# ---- the JSON API mirrors the CLI's --json, plus an href per citation -----------------------------------------------
def test_api_ask_is_the_cli_json_with_an_href_that_opens_each_quote(client, seed_index):
    r = client.get("/api/ask", params={"q": MACRON})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    record = r.json()
    expected = json.loads(answer_json(answer(Session(seed_index), MACRON, make_generator("extractive"))))
    assert _without_hrefs(record) == expected
    assert record["citations"] and record["citations"][0]["path"].endswith("003_f5fb50542c4e2589.txt")
    for c in record["citations"]:
        page = client.get(c["href"])
        assert page.status_code == 200
        assert _mark(page.text) == c["quote"]
        assert f"{c['path']}:L{c['line_start']}" in html.unescape(page.text)
    for p in record["passages"]:
        assert _mark(client.get(p["href"]).text) == p["text"]


def test_api_search_is_the_cli_json_and_each_hit_opens_its_passage(client, seed_index):
    r = client.get("/api/search", params={"q": "frozen assets", "k": 3})
    record = r.json()
    hits = Session(seed_index).search("frozen assets", SearchSettings(k=3))
    assert _without_hrefs(record) == json.loads(hits_json("frozen assets", hits))
    assert len(record["hits"]) == 3
    for h in record["hits"]:
        assert _mark(client.get(h["href"]).text) == h["text"]


def test_api_memo_is_the_cli_json_and_its_citations_open_their_quotes(client, seed_index):
    r = client.get("/api/memo", params={"since": "2025-11-20", "until": "2025-11-28"})
    assert r.status_code == 200
    record = r.json()
    session = Session(seed_index)
    memo = build_memo(session, choose_window(session.store, None, date(2025, 11, 20), date(2025, 11, 28)))
    assert _without_hrefs(record) == json.loads(json.dumps(memo_json(memo)))
    assert record["citations"]
    for c in record["citations"]:
        assert _mark(client.get(c["href"]).text) == c["quote"]


# ---- pages ----------------------------------------------------------------------------------------------------------
def test_home_has_the_question_box_and_recent_weeks(client):
    page = client.get("/").text
    assert re.search(r'<input name="q"', page)
    assert 'href="/memo?week=2025-W48"' in page


def test_answer_page_links_every_marker_to_its_article_view(client):
    page = client.get("/ask", params={"q": MACRON}).text
    record = client.get("/api/ask", params={"q": MACRON}).json()
    answer_part = page.split('<section class="answer">')[1].split("</section>")[0]
    markers = re.findall(r"\[\d+\??\]", re.sub(r"<[^>]+>", "", answer_part))
    links = re.findall(r'<a class="cite[^"]*" href="([^"]+)">\[(\d+)\??\]</a>', answer_part)
    assert markers and len(links) == len(markers)
    by_n = {c["n"]: c["href"] for c in record["citations"]}
    assert all(html.unescape(href) == by_n[int(n)] for href, n in links)


def test_memo_page_links_citations_to_article_views_under_a_hash_pinned_stylesheet(client):
    import base64
    import hashlib

    r = client.get("/memo", params={"week": "2025-W48"})
    assert r.status_code == 200
    page = r.text
    assert "<svg" in page and 'id="timeline"' in page
    cites = re.findall(r'<a class="cite[^"]*" href="([^"]+)"', page)
    assert cites and all(h.startswith("/article/") for h in cites) and 'href="#src-' not in page
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = r.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
    memo = client.get("/api/memo", params={"week": "2025-W48"}).json()
    first = html.unescape(cites[0])
    quote = next(c["quote"] for c in memo["citations"] if c["href"] == first)
    assert _mark(client.get(first).text) == quote


def test_search_and_status_pages(client):
    page = client.get("/search", params={"q": "frozen assets"}).text
    assert page.count('class="loc" href="/article/') == 5
    status = client.get("/status").text
    assert "Documents</th><td>5 (2 undated" in status
    assert client.get("/api/status").json()["counts"]["documents"] == 5


@pytest.mark.parametrize("url, code, says", [
    ("/ask?q=", 400, "the question is empty"),
    ("/api/ask?q=%20%20", 400, "the question is empty"),
    ("/api/search?q=x&k=0", 400, "k must be between 1 and 100"),
    ("/api/ask?q=x&since=yesterday", 400, "is not a date"),
    ("/api/ask?q=x&since=2025-12-01&until=2025-11-01", 400, "is after"),
    ("/memo?week=2025-W99", 400, "has no week 99"),
    ("/api/memo?week=2030-W01", 422, "no dated article was published"),
    ("/article/..%2F..%2Fetc%2Fpasswd", 404, "Not Found"),
    ("/article/%2E%2E%5Cwin.ini", 404, "addressed by their 64-character id"),
    ("/article/" + "0" * 64, 404, "not in the index"),
    ("/static/../app.py", 404, "Not Found"),
    ("/nowhere", 404, "Not Found"),
])
def test_bad_requests_get_one_clear_message_and_no_traceback(client, url, code, says):
    r = client.get(url)
    assert r.status_code == code
    text = html.unescape(r.text)
    assert says in text and "Traceback" not in text
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_bad_offsets_into_an_article_are_refused(client):
    href = client.get("/api/ask", params={"q": MACRON}).json()["citations"][0]["href"]
    doc = href.split("?")[0]
    for query in ("start=10&end=5", "start=0&end=99999999", "start=-1&end=5", "start=a&end=5", "start=3"):
        assert client.get(f"{doc}?{query}").status_code == 400
    assert "<mark" not in client.get(doc).text  # no span: the whole article, nothing highlighted


def _events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_an_llm_answer_streams_its_draft_then_the_verified_answer(seed_index):
    generator = make_generator("stub")
    with _client(seed_index, generator) as c:
        page = c.get("/ask", params={"q": MACRON}).text
        assert 'data-stream="/api/ask/stream?q=what+did+Macron+announce"' in page and "/static/ask.js" in page
        r = c.get("/api/ask/stream", params={"q": MACRON})
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _events(r.text)
        plain = c.get("/api/ask", params={"q": MACRON}).json()
        generator.llm.enqueue(LLMError("the LLM call failed: the server said no"))
        failed = _events(c.get("/api/ask/stream", params={"q": MACRON}).text)
        assert c.get("/api/ask/stream", params={"q": " "}).status_code == 400
        assert "/static/ask.js" not in c.get("/ask", params={"q": MACRON, "stream": "0"}).text
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"token"} and len(names) > 10
    draft = "".join(data["text"] for _, data in events[:-1])
    assert draft == default_stub_reply(generator.llm.calls[0]) and "[1]" in draft  # the model's words, as written
    final = events[-1][1]
    assert final["record"] == plain and final["record"]["llm"] == "stub" and final["record"]["citations"]
    for cite in final["record"]["citations"]:
        assert f'href="{html.escape(cite["href"])}"' in final["html"]
    assert failed == [("failed", {"error": "the LLM call failed: the server said no"})]


# ---- safe by default ------------------------------------------------------------------------------------------------
def test_read_only_and_host_checked(client):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/api/ask?q=x").status_code == 405
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding
    r = client.get("/static/app.css")
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_every_article_field_is_escaped(tmp_path):
    from briefing.ingest.indexer import build_index

    folder = tmp_path / "articles"
    folder.mkdir()
    evil = "<script>alert('x')</script>"
    (folder / "evil.md").write_text(
        f"---\ntitle: \"Sanctions {evil}\"\ndate: 2025-11-26\nsource: \"<img src=x onerror=alert(1)>\"\n"
        f"url: \"javascript:alert(1)\"\n---\n\nThe sanctions on frozen assets {evil} were extended by the council "
        "on Tuesday. Ministers said the frozen assets would fund reconstruction.\n", encoding="utf-8")
    build_index([folder], tmp_path / "index")
    with _client(tmp_path / "index") as c:
        record = c.get("/api/ask", params={"q": "frozen assets sanctions"}).json()
        pages = [c.get("/ask", params={"q": "frozen assets sanctions"}).text,
                 c.get("/search", params={"q": "frozen assets " + evil}).text,
                 c.get(record["passages"][0]["href"]).text,
                 c.get("/memo", params={"week": "2025-W48"}).text]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert(" in pages[2]


def test_api_keys_never_reach_the_browser(seed_index, monkeypatch, openai_server):
    secret = "sk-test-do-not-leak-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.default_text = ("On Tuesday evening, French President Emmanuel Macron announced the creation of a "
                                  "new joint working group [1].")
    with _client(seed_index, make_generator("auto")) as c:
        responses = [c.get(u) for u in ("/", "/status", "/api/status", f"/ask?q={MACRON}", f"/api/ask?q={MACRON}",
                                         "/memo?week=2025-W48", "/api/memo?week=2025-W48")]
    assert openai_server.requests and openai_server.requests[-1].headers["Authorization"] == f"Bearer {secret}"
    assert responses[4].json()["llm"].startswith("openai")
    for r in responses:
        assert r.status_code == 200
        assert secret not in r.text and secret not in str(r.headers)
        assert openai_server.base_url not in r.text


from fakeopenai import openai_server  # noqa: E402,F401


# ---- real HTTP: concurrency and a re-index while serving ------------------------------------------------------------
def test_twenty_concurrent_requests_all_succeed(seed_index):
    import httpx2

    app = create_app(Options(seed_index, make_generator("extractive")))
    with serving(app) as base:
        with httpx2.Client(base_url=base, timeout=120, trust_env=False) as http:
            href = http.get("/api/ask", params={"q": MACRON}).json()["citations"][0]["href"]
            urls = ([f"/api/ask?q={MACRON}"] * 6 + ["/api/search?q=frozen+assets"] * 4 + [href] * 4 +
                    ["/memo?week=2025-W48"] * 2 + ["/ask?q=security+guarantees"] * 2 + ["/status", "/"])
            assert len(urls) == 20
            with ThreadPoolExecutor(max_workers=20) as pool:
                responses = list(pool.map(http.get, urls))
    assert [r.status_code for r in responses] == [200] * 20
    answers = [r.json() for r in responses[:6]]
    assert all(a == answers[0] for a in answers)
    assert len({r.text for r in responses[10:14]}) == 1


def test_a_reindex_while_serving_shows_the_old_or_the_new_index_never_a_mix(tmp_path):
    """Requests run while the index is rebuilt from another folder: each sees only old articles or only new ones,
    and once the rebuild is done every request sees the new index (a session kept open on the old database file
    would keep reading it)."""
    import httpx2

    from briefing.ingest.indexer import build_index

    old, new = tmp_path / "old", tmp_path / "new"
    files = sorted(ARTICLES.glob("*.txt"))
    old.mkdir()
    new.mkdir()
    for f in files[:3]:
        shutil.copy(f, old / f.name)
    for f in files[3:]:
        shutil.copy(f, new / f"n_{f.name}")
    index = tmp_path / "index"
    build_index([old], index)
    app = create_app(Options(index, make_generator("extractive")))
    seen: list[tuple[set[str], int]] = []
    done = threading.Event()

    def ask(http):
        r = http.get("/api/search", params={"q": "security guarantees for Ukraine", "k": 10})
        assert r.status_code == 200, r.text
        docs = http.get("/api/status").json()["counts"]["documents"]
        return {Path(h["path"]).name for h in r.json()["hits"]}, docs

    with serving(app) as base, httpx2.Client(base_url=base, timeout=120, trust_env=False) as http:
        seen.append(ask(http))

        def rebuild():
            try:
                build_index([new], index, rebuild=True)
            finally:
                done.set()

        writer = threading.Thread(target=rebuild)
        writer.start()
        while not done.is_set():
            seen.append(ask(http))
        writer.join()
        after = ask(http)
    old_names, new_names = {f.name for f in files[:3]}, {f"n_{f.name}" for f in files[3:]}
    assert seen[0][0] <= old_names and seen[0][1] == 3
    for names, _ in seen:
        assert names and (names <= old_names or names <= new_names), names
    assert after[0] and after[0] <= new_names and after[1] == len(new_names)


# ---- the command ----------------------------------------------------------------------------------------------------
def _lines(stream, out: "queue.Queue[str]") -> None:
    for line in stream:
        out.put(line)
    out.put("")


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_cli_serve_listens_where_told_warns_off_loopback_and_stops_on_ctrl_c(seed_index, host):
    import httpx2

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "briefing.cli", "serve", "--index", str(seed_index), "--host",
                             host, "--port", "0", "--llm", "extractive"], stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
    try:
        first = lines.get(timeout=120)
        if host != "127.0.0.1":
            assert first.startswith("warning: serving on 0.0.0.0: anyone who can reach this machine"), first
            first = lines.get(timeout=120)
        found = re.search(r"briefing serve: (http://\S+) over ", first)
        assert found, first
        port = found.group(1).rstrip("/").rsplit(":", 1)[1]
        with httpx2.Client(timeout=60, trust_env=False) as http:
            r = http.get(f"http://127.0.0.1:{port}/api/ask", params={"q": MACRON})
        assert r.status_code == 200 and r.json()["citations"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        rest = []
        while (line := lines.get(timeout=60)) != "":
            rest.append(line)
        assert rest[-1].strip() == "briefing serve: stopped" and "Traceback" not in "".join(rest)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_serve_errors_are_one_line(tmp_path, seed_index):
    from test_cli import run

    code, _, err = run(["serve", "--index", str(tmp_path / "none")])
    assert code == 1 and err.strip().startswith("error: no index at") and len(err.strip().splitlines()) == 1
    code, _, err = run(["serve", "--port", "70000"])
    assert code == 2 and "70000" in err
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        code, _, err = run(["serve", "--index", str(seed_index), "--port", str(taken.getsockname()[1])])
    finally:
        taken.close()
    assert code == 1 and "is in use; stop what runs there or pass --port N" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_serve_without_the_serve_extra_says_how_to_install_it(seed_index, monkeypatch):
    from test_cli import run

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed: importing it raises ImportError
    code, _, err = run(["serve", "--index", str(seed_index)])
    assert code == 1 and err.strip() == "error: briefing serve needs uvicorn: pip install 'briefing[serve]'"
