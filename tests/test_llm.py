"""OpenAIChat through the real openai client against the loopback fake server, and the StubLLM."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from fakeopenai import FakeOpenAI, openai_server  # noqa: F401

from briefing.errors import LLMError, UsageError
from briefing.answer.llm import DEFAULT_MODEL, PLACEHOLDER_KEY, Completion, OpenAIChat, StubLLM, default_stub_reply
from briefing.answer.prompting import NO_ANSWER

KEY = "sk-test-SECRET123"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What did Macron announce?"}]
ENV = [
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
    "BRIEFING_MODEL", "BRIEFING_LLM_TIMEOUT",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No user settings or proxies leak in: every test talks to 127.0.0.1 with what it passes."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def chat(server: FakeOpenAI, *, timeout: float = 2.0, max_retries: int = 2, **kw) -> OpenAIChat:
    return OpenAIChat("test-model", base_url=server.base_url, api_key=KEY, timeout=timeout, max_retries=max_retries,
                      **kw)


def failure(llm: OpenAIChat, on_token=None) -> str:
    """The message of the LLMError that ``complete`` raises; checks it is one line, key-free and unchained."""
    with pytest.raises(LLMError) as info:
        llm.complete(MESSAGES, on_token=on_token)
    msg = str(info.value)
    assert "\n" not in msg
    assert KEY not in msg and "SECRET123" not in msg
    err = info.value
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)
    return msg


# -- happy paths ----------------------------------------------------------------------------------------------------


def test_plain_reply_with_usage(openai_server):
    openai_server.enqueue(text="Macron announced a referendum [1].")
    out = chat(openai_server).complete(MESSAGES)
    assert out == Completion(
        text="Macron announced a referendum [1].", usage=out.usage, model="test-model", finish_reason="stop"
    )
    assert set(out.usage) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert out.usage["completion_tokens"] == 5
    (req,) = openai_server.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.body["model"] == "test-model" and req.body["messages"] == MESSAGES
    assert req.body["max_tokens"] == 700 and req.body["temperature"] == 0
    assert "stream" not in req.body


def test_streaming_calls_on_token_for_each_delta(openai_server):
    text = "Macron announced a referendum on pensions [1]. Unions called a strike [2]."
    openai_server.enqueue(text=text)
    pieces: list[str] = []
    out = chat(openai_server).complete(MESSAGES, on_token=pieces.append)
    assert out.text == text and "".join(pieces) == text
    assert len(pieces) == len(text.split())  # the fake sends one word per chunk
    assert out.usage["completion_tokens"] == len(text.split()) and out.finish_reason == "stop"
    body = openai_server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_stream_retried_without_stream_options_when_the_server_rejects_them(openai_server):
    openai_server.enqueue(status=400, error="Unrecognized request argument supplied: stream_options")
    openai_server.enqueue(text="Fine [1].")
    pieces: list[str] = []
    out = chat(openai_server).complete(MESSAGES, on_token=pieces.append)
    assert out.text == "Fine [1]." and "".join(pieces) == out.text
    assert out.usage == {}  # no stream_options, no usage chunk
    first, second = (r.body for r in openai_server.requests)
    assert "stream_options" in first and "stream_options" not in second and second["stream"] is True


def test_length_finish_reason_is_reported(openai_server):
    openai_server.enqueue(text="Macron announced a", finish_reason="length")
    assert chat(openai_server).complete(MESSAGES).finish_reason == "length"


def test_placeholder_key_for_a_local_server(openai_server):
    OpenAIChat("llama3", base_url=openai_server.base_url, timeout=2).complete(MESSAGES)
    assert openai_server.requests[0].headers["Authorization"] == f"Bearer {PLACEHOLDER_KEY}"


def test_settings_come_from_the_environment(openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("BRIEFING_MODEL", "env-model")
    monkeypatch.setenv("BRIEFING_LLM_TIMEOUT", "7.5")
    llm = OpenAIChat()
    assert (llm.model, llm.name, llm.timeout) == ("env-model", "openai:env-model", 7.5)
    llm.complete(MESSAGES)
    req = openai_server.requests[0]
    assert req.body["model"] == "env-model" and req.headers["authorization"] == f"Bearer {KEY}"
    # Arguments win over the environment.
    assert OpenAIChat("arg-model", timeout=3).model == "arg-model"
    assert OpenAIChat("arg-model", timeout=3).timeout == 3


def test_defaults_and_bad_settings(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    llm = OpenAIChat()
    assert (llm.model, llm.timeout, llm.url) == (DEFAULT_MODEL, 60.0, "https://api.openai.com/v1")
    assert KEY not in repr(llm)
    monkeypatch.setenv("BRIEFING_LLM_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="BRIEFING_LLM_TIMEOUT"):
        OpenAIChat()
    monkeypatch.setenv("BRIEFING_LLM_TIMEOUT", "0")
    with pytest.raises(UsageError, match="BRIEFING_LLM_TIMEOUT"):
        OpenAIChat()


@pytest.mark.parametrize("url", ["localhost:11434/v1", "http://", "ftp://host/v1", "http://[::1", "http://h:port/v1"])
def test_a_base_url_that_is_not_http_is_a_usage_error(url):
    with pytest.raises(UsageError, match="OPENAI_BASE_URL"):
        OpenAIChat("m", base_url=url, api_key=KEY)


def test_no_key_and_no_base_url_is_a_clear_error():
    with pytest.raises(LLMError, match="OPENAI_API_KEY.*OPENAI_BASE_URL"):
        OpenAIChat()


def test_openai_is_imported_only_when_called():
    code = (
        "import sys, briefing.answer.llm, briefing.answer.prompting\n"
        "llm = briefing.answer.llm.OpenAIChat(base_url='http://127.0.0.1:9/v1')\n"
        "briefing.answer.llm.StubLLM().complete([{'role': 'user', 'content': 'hi'}])\n"
        "assert 'openai' not in sys.modules, 'openai imported too early'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- retries --------------------------------------------------------------------------------------------------------


def test_429_then_success(openai_server):
    openai_server.enqueue(status=429)
    openai_server.enqueue(text="ok [1].")
    start = time.monotonic()
    assert chat(openai_server).complete(MESSAGES).text == "ok [1]."
    assert len(openai_server.requests) == 2
    assert time.monotonic() - start < 1.0  # retry-after-ms: 1 keeps the backoff short


def test_500_twice_then_success(openai_server):
    openai_server.enqueue(status=500)
    openai_server.enqueue(status=500)
    openai_server.enqueue(text="ok [1].")
    assert chat(openai_server, max_retries=3).complete(MESSAGES).text == "ok [1]."
    assert len(openai_server.requests) == 3


def test_zero_retry_after_falls_back_to_exponential_backoff(openai_server):
    # The openai client only honours a Retry-After > 0; with "0" it waits its own 0.5 s (less up to 25 % jitter).
    openai_server.enqueue(status=503, headers={"Retry-After": "0"})
    openai_server.enqueue(text="ok [1].")
    start = time.monotonic()
    assert chat(openai_server).complete(MESSAGES).text == "ok [1]."
    assert 0.3 < time.monotonic() - start < 3.0


def test_persistent_500_is_an_llm_error(openai_server):
    for _ in range(3):
        openai_server.enqueue(status=500)
    msg = failure(chat(openai_server, max_retries=2))
    assert "HTTP 500" in msg and "after 2 retries" in msg and "server had an error" in msg
    assert len(openai_server.requests) == 3


def test_persistent_429_is_an_llm_error(openai_server):
    for _ in range(2):
        openai_server.enqueue(status=429)
    msg = failure(chat(openai_server, max_retries=1))
    assert "rate-limiting" in msg and "HTTP 429" in msg and "after 1 retry:" in msg
    assert len(openai_server.requests) == 2


def test_429_without_quota_is_not_worth_retrying(openai_server):
    openai_server.enqueue(status=429, error="You exceeded your current quota, please check your plan.")
    msg = failure(chat(openai_server, max_retries=0))
    assert "no quota" in msg and "billing" in msg


# -- failures -------------------------------------------------------------------------------------------------------


def test_timeout(openai_server):
    openai_server.enqueue(delay=3)
    start = time.monotonic()
    msg = failure(chat(openai_server, timeout=0.5, max_retries=0))
    assert time.monotonic() - start < 2.5
    assert msg.startswith(f"no answer from {openai_server.base_url} within 0.5 s")
    assert "BRIEFING_LLM_TIMEOUT" in msg


def test_timeout_is_retried(openai_server):
    openai_server.enqueue(delay=3)
    openai_server.enqueue(text="late but fine [1].")
    assert chat(openai_server, timeout=0.5, max_retries=1).complete(MESSAGES).text == "late but fine [1]."
    assert len(openai_server.requests) == 2


def test_connection_refused():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    llm = OpenAIChat("m", base_url=f"http://user:hunter2@127.0.0.1:{port}/v1", api_key=KEY, timeout=1, max_retries=0)
    with pytest.raises(LLMError) as info:
        llm.complete(MESSAGES)
    msg = str(info.value)
    assert msg.startswith(f"cannot reach http://127.0.0.1:{port}/v1") and "is the server running?" in msg
    assert "hunter2" not in msg and KEY not in msg


@pytest.mark.parametrize(
    "reply",
    [
        {"raw": b"not json"},
        {"raw": b"<html>Bad gateway</html>", "headers": {"Content-Type": "text/html"}},
        {"raw": b'{"unexpected": "shape"}'},
        {"text": "A cut answer that goes on", "cut": True},
    ],
    ids=["not-json", "html", "wrong-shape", "truncated-body"],
)
def test_malformed_response(openai_server, reply):
    openai_server.enqueue(**reply)
    msg = failure(chat(openai_server))
    assert "not valid chat-completions JSON" in msg and "OPENAI_BASE_URL" in msg


def test_malformed_stream_event(openai_server):
    openai_server.enqueue(raw=b"{not json")
    assert "not valid chat-completions JSON" in failure(chat(openai_server), on_token=lambda _: None)


def test_error_event_inside_a_stream(openai_server):
    openai_server.enqueue(raw=b'{"error": {"message": "the model crashed"}}')
    msg = failure(chat(openai_server), on_token=lambda _: None)
    assert "error mid-answer" in msg and "the model crashed" in msg


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_empty_content(openai_server, stream):
    openai_server.enqueue(text="")
    msg = failure(chat(openai_server), on_token=(lambda _: None) if stream else None)
    assert msg.startswith("the LLM returned an empty answer")


def test_empty_content_because_of_max_tokens(openai_server):
    openai_server.enqueue(text="  ", finish_reason="length")
    assert "max_tokens=50" in failure(chat(openai_server, max_tokens=50))


def test_cut_stream(openai_server):
    openai_server.enqueue(text="Macron announced a referendum on pensions for June [1].", cut=True)
    pieces: list[str] = []
    msg = failure(chat(openai_server), on_token=pieces.append)
    assert msg.startswith("the LLM's stream ended early")
    assert pieces and "".join(pieces).startswith("Macron")  # what came before the cut was streamed
    assert len(openai_server.requests) == 1  # a half-streamed answer is not silently retried


def test_stream_that_loses_only_its_tail_still_answers(openai_server):
    openai_server.enqueue(text="Complete answer [1].", cut="tail")
    out = chat(openai_server).complete(MESSAGES, on_token=lambda _: None)
    assert out.text == "Complete answer [1]." and out.finish_reason == "stop" and out.usage == {}


def test_errors_raised_by_on_token_pass_through(openai_server):
    def explode(piece: str) -> None:
        raise UnicodeEncodeError("ascii", piece, 0, 1, "terminal cannot show it")  # a ValueError subclass

    with pytest.raises(UnicodeEncodeError):
        chat(openai_server).complete(MESSAGES, on_token=explode)


def test_stream_that_ends_without_finish_reason(openai_server):
    # A clean end of the HTTP body, but no finish_reason and no [DONE]: still an unfinished answer.
    openai_server.enqueue(raw=b'{"choices": [{"index": 0, "delta": {"content": "Half"}, "finish_reason": null}]}')
    assert failure(chat(openai_server), on_token=lambda _: None).startswith("the LLM's stream ended early")


def test_context_length_error(openai_server):
    openai_server.enqueue(
        status=400,
        error="This model's maximum context length is 4096 tokens. However, you requested 5210 tokens.",
    )
    msg = failure(chat(openai_server))
    assert msg.startswith("the prompt is longer than the model's context window (This model's maximum context")
    assert msg.endswith("lower --max-context")
    assert len(openai_server.requests) == 1  # a 400 is not retried


def test_llama_cpp_context_error_with_500(openai_server):
    for _ in range(2):
        openai_server.enqueue(status=500, error="the request exceeds the available context size, try increasing it")
    assert "lower --max-context" in failure(chat(openai_server, max_retries=1))


def test_401_names_the_key_setting_and_scrubs_the_echoed_key(openai_server):
    openai_server.enqueue(status=401, error=f"Incorrect API key provided: {KEY}. Header was Bearer {KEY}")
    msg = failure(chat(openai_server))
    assert msg.startswith("the server refused the API key") and msg.endswith("check OPENAI_API_KEY")
    assert "***" in msg


def test_404_model_not_found(openai_server):
    openai_server.enqueue(status=404)
    msg = failure(chat(openai_server))
    assert "model 'test-model' was not found" in msg and "BRIEFING_MODEL" in msg


def test_404_wrong_endpoint(openai_server):
    openai_server.enqueue(status=404, raw=b"404 page not found", headers={"Content-Type": "text/plain"})
    msg = failure(chat(openai_server))
    assert "no chat-completions endpoint" in msg and "/v1" in msg


def test_ollama_style_string_error(openai_server):
    openai_server.enqueue(status=400, raw=b'{"error": "invalid options: foo"}')
    msg = failure(chat(openai_server))
    assert "HTTP 400: invalid options: foo" in msg


def test_the_key_never_appears_in_any_error(openai_server):
    scripted = [
        {"status": 401, "error": f"bad key {KEY}"},
        {"status": 403, "error": f"key {KEY} may not use this model"},
        {"status": 404, "error": f"model not found for {KEY}"},
        {"status": 400, "error": f"maximum context length exceeded ({KEY})"},
        {"status": 422, "error": f"weird request from {KEY}"},
        {"status": 429, "error": f"slow down {KEY}"},
        {"status": 500, "error": f"crash while serving {KEY}"},
        {"raw": f'{{"broken": "{KEY}'.encode()},
        {"text": ""},
    ]
    llm = chat(openai_server, max_retries=0)
    for reply in scripted:
        openai_server.enqueue(**reply)
        failure(llm)
    openai_server.enqueue(raw=f'{{"error": {{"message": "stream broke for {KEY}"}}}}'.encode())
    failure(llm, on_token=lambda _: None)
    assert KEY not in repr(llm) and KEY not in str(vars(llm).get("name"))


# -- StubLLM --------------------------------------------------------------------------------------------------------


def test_stub_returns_queued_replies_in_order_and_records_calls():
    stub = StubLLM()
    stub.enqueue("first [1].", "second [2].")
    assert stub.name == "stub"
    assert stub.complete(MESSAGES).text == "first [1]."
    pieces: list[str] = []
    out = stub.complete([{"role": "user", "content": "again"}], on_token=pieces.append)
    assert out.text == "second [2]." and "".join(pieces) == "second [2]." and len(pieces) == 2
    assert out.model == "stub" and out.usage["total_tokens"] == out.usage["prompt_tokens"] + out.usage[
        "completion_tokens"]
    assert stub.calls == [MESSAGES, [{"role": "user", "content": "again"}]]


def test_stub_can_script_a_failure():
    stub = StubLLM(LLMError("the LLM returned an empty answer"))
    with pytest.raises(LLMError, match="empty answer"):
        stub.complete(MESSAGES)
    assert len(stub.calls) == 1


def test_stub_default_reply_cites_the_first_passages():
    user = (
        'Passages:\n\n<passage n="1" title="t" source="s" date="undated" location="a.txt:L1-L2">\n'
        "Macron announced a referendum. It will be held in June.\n</passage>\n\n"
        '<passage n="2" title="t" source="s" date="undated" location="b.txt:L3-L3">\n'
        "Unions called a strike!\n</passage>\n\n"
        '<passage n="3" title="t" source="s" date="undated" location="c.txt:L1-L1">\nIgnored.\n</passage>\n\n'
        "Question: what happened?\n"
    )
    messages = [{"role": "system", "content": "rules"}, {"role": "user", "content": user}]
    expected = "Macron announced a referendum [1]. Unions called a strike [2]."
    assert StubLLM().complete(messages).text == expected
    assert StubLLM().complete(messages).text == expected  # deterministic
    assert default_stub_reply([{"role": "user", "content": "no passages here"}]) == NO_ANSWER


def test_fake_server_starts_and_stops_quickly_even_with_a_pending_delay():
    start = time.monotonic()
    with FakeOpenAI() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        server.enqueue(delay=5)
        llm = OpenAIChat("m", base_url=server.base_url, timeout=0.2, max_retries=0)
        with pytest.raises(LLMError, match="no answer"):
            llm.complete(MESSAGES)
    assert time.monotonic() - start < 3.0
