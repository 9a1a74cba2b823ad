"""A scriptable OpenAI chat-completions server on 127.0.0.1 for tests, with the ``openai_server`` pytest fixture.

Use it from any test file::

    from fakeopenai import openai_server  # noqa: F401

    def test_something(openai_server):
        openai_server.enqueue(text="Macron announced a referendum [1].")
        llm = OpenAIChat("test-model", base_url=openai_server.base_url, api_key="sk-test")
        ...
        body = openai_server.requests[-1].body        # the parsed JSON the client sent
        auth = openai_server.requests[-1].headers["Authorization"]

Each ``enqueue`` scripts the answer to one request, in order; with an empty queue the server answers
``server.default_text``. A request with ``"stream": true`` gets server-sent events (``data: {...}`` chunks, a final
chunk with ``finish_reason``, a usage chunk when ``stream_options.include_usage`` is set, then ``data: [DONE]``).
"""

from __future__ import annotations

import collections
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

DEFAULT_TEXT = "This is the fake server's default answer [1]."
# Longest a scripted delay may sleep: keeps a mistaken ``delay=600`` from hanging the suite.
MAX_DELAY = 10.0

_STATUS_DEFAULTS = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("permission_error", None, "You are not allowed to sample from this model."),
    404: ("invalid_request_error", "model_not_found", "The model `{model}` does not exist."),
    429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit reached; please try again later."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass
class Reply:
    """One scripted answer. See ``FakeOpenAI.enqueue`` for what each field does."""

    text: str | None = None
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None
    cut: bool | str = False
    error: str | None = None
    headers: dict[str, str] | None = None
    finish_reason: str = "stop"
    usage: dict | None = None


@dataclass
class Recorded:
    """A request the server received: method, path, headers (case-insensitive) and the parsed JSON body (or None)."""

    method: str
    path: str
    headers: object  # http.client.HTTPMessage: case-insensitive ``[]``, ``get`` and ``in``
    body: dict | None
    raw: bytes = b""
    at: float = field(default_factory=time.monotonic)

    def __getitem__(self, key: str):
        """``req["messages"]`` is ``req.body["messages"]``: a shortcut for the common case."""
        return (self.body or {})[key]


class FakeOpenAI(ThreadingHTTPServer):
    """The server. Starts serving on a free loopback port as soon as it is constructed; ``close()`` stops it."""

    daemon_threads = True  # a handler stuck in a scripted delay must never keep the test process alive
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}/v1"
        self.default_text = DEFAULT_TEXT
        self.requests: list[Recorded] = []
        self._replies: collections.deque[Reply] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # wakes handlers sleeping in a scripted delay
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def enqueue(
        self,
        text: str | None = None,
        *,
        status: int = 200,
        delay: float = 0.0,
        raw: bytes | None = None,
        cut: bool | str = False,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        finish_reason: str = "stop",
        usage: dict | None = None,
    ) -> None:
        """Script the answer to the next unanswered request.

        - ``text``: the assistant's content (``""`` is an empty answer; ``None`` means ``default_text``).
        - ``status``: an HTTP error status answers an OpenAI-style ``{"error": {"message", "type", "code"}}`` body
          whose message is ``error`` (or a typical one for that status). 429 and 5xx carry ``Retry-After: 0`` and
          ``retry-after-ms: 1``: the openai client ignores a zero ``Retry-After`` (it wants a delay > 0) and would
          fall back to its 0.5 s·2ⁿ backoff, so the millisecond header is what keeps retry tests fast.
        - ``headers``: extra response headers; they replace the retry headers above when given, and a
          ``Content-Type`` among them replaces ``application/json``.
        - ``delay``: seconds to sleep before answering (to provoke a client timeout); capped at ``MAX_DELAY``.
        - ``raw``: send these bytes as the body instead (as ``application/json`` with ``status``; as one
          ``data:`` event followed by ``[DONE]`` when streaming).
        - ``cut``: streaming: send about half the answer, then drop the connection with no ``finish_reason``, no
          ``[DONE]`` and no final chunk of the chunked encoding. Not streaming: send half of the JSON body.
          ``cut="tail"``: stream the whole answer and its ``finish_reason``, then drop the connection before the
          usage chunk and ``[DONE]``.
        - ``finish_reason``, ``usage``: override what the answer reports (usage defaults to made-up counts).
        """
        reply = Reply(text, status, min(delay, MAX_DELAY), raw, cut, error, headers, finish_reason, usage)
        with self._lock:
            self._replies.append(reply)

    def close(self) -> None:
        """Stop serving, wake any sleeping handler and release the port. Safe to call twice."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - socketserver's signature
        """Stay quiet when a client hangs up (timeouts, cut streams); report anything else."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else Reply()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked transfer encoding for streams, as real servers do
    server: FakeOpenAI

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class signature
        """Silence the per-request log lines on stderr."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        """``GET /v1/models`` lists one model; anything else is a 404."""
        self._record(b"")
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        """``POST /v1/chat/completions``: answer with the next scripted reply."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        rec = self._record(raw)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        reply = self.server._next_reply()
        if reply.delay and self.server._stopping.wait(reply.delay):
            self.close_connection = True
            return
        body = rec.body or {}
        model = str(body.get("model") or "fake-model")
        if reply.status != 200:
            self._send_error(reply, model)
        elif body.get("stream"):
            self._send_stream(reply, body, model)
        else:
            self._send_plain(reply, body, model)

    # -- request recording -------------------------------------------------------------------------------------

    def _record(self, raw: bytes) -> Recorded:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Recorded(self.command, self.path, self.headers, body if isinstance(body, dict) else None, raw)
        with self.server._lock:
            self.server.requests.append(rec)
        return rec

    # -- answers -----------------------------------------------------------------------------------------------

    def _send_json(self, status: int, obj: object, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(obj).encode(), headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if not any(name.lower() == "content-type" for name in headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)
        self.close_connection = True

    def _send_error(self, reply: Reply, model: str) -> None:
        kind, code, message = _STATUS_DEFAULTS.get(reply.status, ("api_error", None, f"HTTP {reply.status}"))
        headers = reply.headers
        if headers is None and (reply.status == 429 or reply.status >= 500):
            headers = {"Retry-After": "0", "retry-after-ms": "1"}
        if reply.raw is not None:
            self._send_bytes(reply.status, reply.raw, headers)
            return
        if reply.error is not None:
            message = reply.error
        err = {"message": message.replace("{model}", model), "type": kind, "param": None, "code": code}
        self._send_json(reply.status, {"error": err}, headers)

    def _send_plain(self, reply: Reply, body: dict, model: str) -> None:
        if reply.raw is not None:
            self._send_bytes(200, reply.raw, reply.headers)
            return
        text = self.server.default_text if reply.text is None else reply.text
        obj = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": _usage(reply, body, text),
        }
        data = json.dumps(obj).encode()
        if reply.cut:
            data = data[: len(data) // 2]  # an honest Content-Length for a truncated document: invalid JSON
        self._send_bytes(200, data, reply.headers)

    def _send_stream(self, reply: Reply, body: dict, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        for name, value in (reply.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        if reply.raw is not None:
            self._chunk(b"data: " + reply.raw + b"\n\n")
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
            return

        text = self.server.default_text if reply.text is None else reply.text
        pieces = re.findall(r"\s*\S+", text) or []
        if reply.cut is True:
            pieces = pieces[: max(1, len(pieces) // 2)]

        def event(choices: list, usage: dict | None = None) -> bytes:
            obj = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
            }
            if include_usage:
                obj["usage"] = usage  # OpenAI sends "usage": null on every chunk but the last
            return b"data: " + json.dumps(obj).encode() + b"\n\n"

        opts = body.get("stream_options") or {}
        include_usage = bool(opts.get("include_usage")) if isinstance(opts, dict) else False
        if not self._chunk(event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])):
            return
        for piece in pieces:
            if not self._chunk(event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])):
                return
        if reply.cut is True:
            return  # hang up: no finish_reason, no [DONE], no terminating zero-length chunk
        self._chunk(event([{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]))
        if reply.cut == "tail":
            return
        if include_usage:
            self._chunk(event([], _usage(reply, body, text)))
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> bool:
        """Write one piece of a chunked body (``b""`` ends it); False when the client has gone."""
        return self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            return False


def _usage(reply: Reply, body: dict, text: str) -> dict:
    if reply.usage is not None:
        return reply.usage
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages") or [] if isinstance(m, dict))
    prompt_tokens, completion_tokens = prompt // 4 + 1, len(text.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


@pytest.fixture
def openai_server():
    """A running ``FakeOpenAI``; stopped after the test, even one that left a delayed answer pending."""
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.close()
