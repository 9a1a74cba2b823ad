"""Bounds on one HTTP exchange with an LLM server: an overall deadline per request and a cap on the bytes read.

The openai client's timeout is per network read: a server that sends keep-alive comments, drips one token a second
or ignores ``max_tokens`` and sends megabytes never trips it. The transport made here wraps each response body: past
the request's deadline, or past ``max_bytes``, reading stops with a :class:`ResponseLimit`, which the openai client
passes through without retrying (it is an ``openai.OpenAIError``). It also counts the requests actually sent, so an
error can say how many retries were made."""

from __future__ import annotations

import sys
import time

MAX_RESPONSE_BYTES = 4_000_000  # a 700-token answer streams as about 200 kB; anything near this is a runaway server


class ResponseLimit(Exception):
    """A response went past the request's deadline or its byte cap. ``kind`` is "deadline" or "size"."""

    kind = ""


def _httpx():
    """The HTTP library the installed openai client is built on (``httpx``, or ``httpx2`` in newer releases)."""
    import openai

    base = next(c for c in openai.DefaultHttpxClient.__mro__ if c.__name__ == "Client")
    return sys.modules[base.__module__.split(".")[0]]


class Counter:
    """How many HTTP requests a call sent (the first attempt and its retries)."""

    def __init__(self) -> None:
        self.requests = 0


def bounded_http_client(deadline_s: float, max_bytes: int, counter: Counter):
    """An HTTP client for ``openai.OpenAI(http_client=...)`` whose every request ends within ``deadline_s`` seconds of
    being sent (give or take one network read) and reads at most ``max_bytes`` of response body."""
    import openai

    httpx = _httpx()

    class Limit(ResponseLimit, openai.OpenAIError):
        def __init__(self, kind: str) -> None:
            super().__init__(kind)
            self.kind = kind

    class Body(httpx.SyncByteStream):
        def __init__(self, inner, deadline: float) -> None:
            self.inner, self.deadline = inner, deadline

        def __iter__(self):
            total = 0
            for chunk in self.inner:
                total += len(chunk)
                if total > max_bytes:
                    raise Limit("size")
                if time.monotonic() > self.deadline:
                    raise Limit("deadline")
                yield chunk

        def close(self) -> None:
            self.inner.close()

    class Transport(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()

        def handle_request(self, request):
            counter.requests += 1
            deadline = time.monotonic() + deadline_s
            response = self.inner.handle_request(request)
            return httpx.Response(status_code=response.status_code, headers=response.headers,
                                  stream=Body(response.stream, deadline), extensions=response.extensions)

        def close(self) -> None:
            self.inner.close()

    return openai.DefaultHttpxClient(transport=Transport())


def redact(text: str, key: str | None) -> str:
    """``text`` with the API key replaced by ``***`` (a server that echoes the request must not print it)."""
    return text.replace(key, "***") if key and len(key) >= 4 else text


class Redacting:
    """Pieces of streamed text passed on with the key redacted, even when the key arrives split over pieces: a
    piece's end that could begin the key is held back until the next piece (or :meth:`flush`) shows whether it
    does; every other piece passes on as it came."""

    def __init__(self, key: str | None, out) -> None:
        self.key, self.out, self.held = key if key and len(key) >= 4 else None, out, ""

    def __call__(self, piece: str) -> None:
        if self.key is None:
            self.out(piece)
            return
        text = redact(self.held + piece, self.key)
        keep = next((n for n in range(min(len(self.key) - 1, len(text)), 0, -1)
                     if self.key.startswith(text[-n:])), 0)
        self.held = text[len(text) - keep:] if keep else ""
        ready = text[: len(text) - keep]
        if ready:
            self.out(ready)

    def flush(self) -> None:
        if self.held:
            self.out(self.held)
            self.held = ""
