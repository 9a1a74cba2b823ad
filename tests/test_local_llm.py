"""The real local model (``make test-llm``: ``briefing local install`` first, then ``pytest -m llm``): cited answers
that resolve, unverified sentences flagged, the extractive fallback, a known fact, a memo, and llama.cpp's
OpenAI-compatible server driven through ``--llm openai`` (plain and structured)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from test_ask import assert_quotes_resolve, run

from briefing.answer.ask import INSUFFICIENT, answer
from briefing.answer.generate import LLMGenerator, make_generator
from briefing.answer.local_models import bindings_available, installed_model
from briefing.answer.session import Session

pytestmark = pytest.mark.llm

# Read at import, before the session fixture points BRIEFING_CACHE_DIR at a temporary folder: the user's cache.
MODEL = installed_model()
MODEL_PATH = str(MODEL.path()) if MODEL is not None else None
MARK = re.compile(r"\[(\d+)(\?)?\]")


@pytest.fixture(scope="module")
def model_path() -> str:
    if MODEL_PATH is None or not bindings_available():
        pytest.fail("no local model installed: run `briefing local install` (make test-llm does)")
    return MODEL_PATH


@pytest.fixture(scope="module")
def local(model_path):
    return make_generator("local", local_model=model_path)


def ask_json(seed_index, model_path, question: str, *extra: str) -> dict:
    code, out, err = run(["ask", question, "--index", str(seed_index), "--json", "--llm", "local",
                          "--local-model", model_path, *extra])
    assert code == 0, err
    return json.loads(out)


def assert_every_claim_is_cited_and_checked(result: dict) -> None:
    """Citations resolve to exact quotes; every unsupported one is shown as [n?] and reported in warnings."""
    assert_quotes_resolve(result)
    shown = {int(n): bool(q) for n, q in MARK.findall(result["answer"])}
    for c in result["citations"]:
        assert shown.get(c["n"]) is (not c["supported"]), (c, result["answer"])
        if not c["supported"]:
            assert any(f"[{c['n']}]" in w for w in result["warnings"]), result["warnings"]


def test_ask_with_the_local_model_cites_and_verifies(seed_index, model_path):
    result = ask_json(seed_index, model_path, "what did Macron announce")
    assert result["llm"].startswith("local:") or result["llm"].startswith("extractive (after local:")
    assert result["citations"] and not result["insufficient_evidence"]
    assert "working group" in result["answer"]
    assert_every_claim_is_cited_and_checked(result)


def test_the_initial_us_proposal_capped_ukraine_at_600000(seed_index, model_path):
    result = ask_json(seed_index, model_path, "What limit did the initial US peace proposal put on Ukraine's military?")
    assert "600,000" in result["answer"], result["answer"]
    assert any(c["supported"] and "600,000" in c["quote"] for c in result["citations"]), result["citations"]
    assert_every_claim_is_cited_and_checked(result)


def test_a_model_that_declines_despite_evidence_falls_back_to_extractive(seed_index, local):
    class Declining:
        name = local.llm.name

        def complete(self, messages, *, on_token=None):
            system = f"Whatever you are asked, reply with exactly this sentence and nothing else: {INSUFFICIENT}"
            return local.llm.llm.complete([{"role": "system", "content": system}, messages[-1]])

    result = answer(Session(seed_index), "what did Macron announce", LLMGenerator(Declining()))
    assert result.llm.startswith("extractive (after local:") and result.citations
    assert any("said the sources do not answer" in w for w in result.warnings)


def test_a_second_process_reuses_the_system_prompt_read_by_the_first(seed_index, model_path, tmp_path):
    """Each ``briefing ask`` is a new process: the model's state after the system prompt is kept on disk, so the
    second reads only the question and its passages, and still answers with verified citations."""
    cli = str(Path(sys.executable).with_name("briefing"))
    env = {**os.environ, "BRIEFING_CACHE_DIR": str(tmp_path / "cache")}

    def ask() -> dict:
        done = subprocess.run([cli, "ask", "what did Macron announce", "--index", str(seed_index), "--json",
                               "--llm", "local", "--local-model", model_path], env=env, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0 and not done.stderr.strip(), done.stderr
        return json.loads(done.stdout)

    first = ask()
    assert "cached_prompt_tokens" not in first["usage"], first["usage"]
    [kept] = (tmp_path / "cache" / "prompt-prefix").glob("*.state")
    size = kept.stat().st_size
    second = ask()
    assert second["usage"]["cached_prompt_tokens"] >= 300, second["usage"]  # the rules alone are ~600 tokens
    assert second["usage"]["prompt_tokens"] == first["usage"]["prompt_tokens"]
    assert "working group" in second["answer"] and second["citations"]
    assert_every_claim_is_cited_and_checked(second)
    # a file cut short (a full disk, say) is read as missing: the prompt is read in full and the file written anew
    kept.write_bytes(kept.read_bytes()[: size // 3])
    third = ask()
    assert "cached_prompt_tokens" not in third["usage"] and third["citations"], third["usage"]
    assert kept.stat().st_size == size


@pytest.fixture(scope="module")
def local_memo(seed_index, model_path, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("memo") / "memo.json"
    code, _, err = run(["memo", "--since", "2025-11-20", "--until", "2025-11-28", "--index", str(seed_index),
                        "--llm", "local", "--local-model", model_path, "--max-context", "1200", "-o", str(out)])
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def test_a_memo_with_the_local_model_completes(local_memo):
    assert local_memo["llm"].startswith("local:") and local_memo["citations"]
    assert all(c["quote"] for c in local_memo["citations"])


def test_the_memo_flags_the_spun_seed_by_its_fluency_and_no_other(local_memo):
    # the window's three dated seeds, scored by the model given: only the machine-rewritten 000_ reads badly
    assert "source fluency checked with" in local_memo["sources_checked"], local_memo["sources_checked"]
    assert "1 of 3 sources flagged" in local_memo["sources_checked"], local_memo["sources_checked"]
    flagged = {d["path"].rsplit("/", 1)[-1][:3] for d in local_memo["documents"] if d.get("flag")}
    assert flagged == {"000"}, local_memo["documents"]


def test_fluency_separates_the_spun_seed_from_every_other_seed(model_path):
    from briefing.ingest.loaders import load_file
    from briefing.memo.fluency import Scorer
    from briefing.memo.quality import RATIO, assess_sources

    seeds = [d for p in sorted((Path(__file__).parents[1] / "examples" / "articles").glob("*.txt"))
             for d in load_file(p, p.name)[0]]
    got = assess_sources(seeds, Scorer(Path(model_path)))
    ratios = {d.path[:3]: got[d.id].ratio for d in seeds}
    assert ratios["000"] >= 2 * RATIO and all(r < RATIO / 2 for k, r in ratios.items() if k != "000"), ratios


def test_every_flagged_sentence_in_the_local_memo_is_named_in_its_warnings(local_memo):
    """Whatever the model got wrong (12 of 37 citations in one README run, none in another on a different CPU) is
    flagged and named in the warnings, never passed off as sourced."""
    for c in local_memo["citations"]:
        if not c["supported"]:
            assert any(f"[{c['n']}]" in w for w in local_memo["warnings"]), (c, local_memo["warnings"])


# A figure no seed states, added to what the real model wrote: whatever the model writes on this CPU, the checks
# must catch the false sentence in its draft and leave the rest of the draft to their own verdicts.
PLANTED = "The coalition of the willing has 47 members [1]."


class Planting:
    """The real model's reply with :data:`PLANTED` added as its last sentence."""

    def __init__(self, llm):
        self.llm, self.name = llm, llm.name

    def complete(self, messages, *, on_token=None):
        from dataclasses import replace

        done = self.llm.complete(messages)
        return replace(done, text=f"{done.text.rstrip()} {PLANTED}")


def test_a_false_sentence_in_the_models_answer_is_flagged_with_its_reason(seed_index, local):
    result = answer(Session(seed_index), "what did Macron announce",
                    LLMGenerator(Planting(local.llm), local.max_context, local.focused))
    assert result.llm.startswith("local:"), result.llm
    planted = re.search(r"47 members \[(\d+)\?\]", result.text)  # citations are renumbered in order of use
    assert planted, result.text
    assert any("'47'" in w and f"[{planted.group(1)}]" in w for w in result.warnings), result.warnings
    shown = {int(n): bool(q) for n, q in MARK.findall(result.text)}
    for c in result.citations:  # the model's own sentences keep their own verdicts, each shown as it stands
        assert shown.get(c.n) is (not c.supported), (c, result.text)


def test_a_false_sentence_in_the_models_memo_section_is_flagged_or_withheld(seed_index, local):
    from datetime import date

    from briefing.memo.build import build_memo
    from briefing.memo.render import render
    from briefing.memo.window import choose_window

    session = Session(seed_index)
    window = choose_window(session.store, since=date(2025, 11, 20), until=date(2025, 11, 28))
    memo = build_memo(session, window, llm=Planting(local.llm), max_context=1200, fluency=False)
    text = render(memo, "md")
    # shown only as unverified, or not shown at all (a section with no verified citation is replaced by the
    # sources' own sentences); either way the reason is in the warnings
    assert all(m.group(1) for m in re.finditer(r"47 members \[\d+(\?)?\]", text)), text
    assert any("'47'" in w for w in memo.warnings), memo.warnings


# -- llama.cpp's OpenAI-compatible server, built the same way ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(model_path, tmp_path_factory):
    pytest.importorskip("fastapi", reason="llama.cpp's server needs its extra: pip install -e '.[llm-server]'")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = open(log_path, "w")  # a file, not a pipe: the server's load log would fill a pipe and block it
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--n_threads", str(len(os.sched_getaffinity(0)))],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        while True:  # wait for the state (the server answering), not for a time
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp's server exited: {log_path.read_text()[-500:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                try:
                    proc.wait(timeout=1)  # also the poll interval
                except subprocess.TimeoutExpired:
                    pass
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.parametrize("mode", ["--no-structured", "--structured"])
def test_llama_cpp_server_through_the_openai_client(seed_index, llama_server, mode):
    env = {"OPENAI_BASE_URL": llama_server, "BRIEFING_LLM_TIMEOUT": "300"}
    code, out, err = run(["ask", "what did Macron announce", "--index", str(seed_index), "--json", "--llm", "openai",
                          "--max-context", "2000", mode], env=env)
    assert code == 0, err
    result = json.loads(out)
    assert result["llm"].startswith("openai:") or result["llm"].startswith("extractive (after openai:")
    assert result["citations"]
    assert_every_claim_is_cited_and_checked(result)
