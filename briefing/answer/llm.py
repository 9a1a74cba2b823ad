"""Chat completions from any OpenAI-compatible endpoint (or a deterministic stub) behind one small protocol."""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol
from urllib.parse import urlsplit, urlunsplit

from briefing import config
from briefing.answer.llm_limits import MAX_RESPONSE_BYTES, Counter, Redacting, ResponseLimit, redact
from briefing.errors import LLMError, UsageError
from briefing.text import sentences

if TYPE_CHECKING:  # importing openai costs about a second; only OpenAIChat pays it, and only when it calls out
    import openai

DEFAULT_MODEL = config.DEFAULT_CHAT_MODEL  # used when neither the model argument nor BRIEFING_MODEL is set
DEFAULT_TIMEOUT = config.DEFAULT_LLM_TIMEOUT  # seconds per request attempt; BRIEFING_LLM_TIMEOUT overrides
OPENAI_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp, vLLM, LM Studio) ignore the key, but the openai client insists on one.
PLACEHOLDER_KEY = "sk-no-key-required"

_CONTEXT_ERROR = re.compile(
    r"context.length|maximum context|context window|context size|too many tokens|context_length_exceeded"
    r"|prompt is too long|exceeds? the (?:available )?context",
    re.IGNORECASE,
)
_STREAM_OPTIONS = re.compile(r"stream_options|include_usage", re.IGNORECASE)


@dataclass(frozen=True)
class Completion:
    """An LLM's reply: its text, token usage as reported by the server (may be empty) and the model that answered.

    ``usage`` holds ``prompt_tokens``, ``completion_tokens`` and ``total_tokens`` when the server reports them.
    ``finish_reason`` is the server's (``"stop"``; ``"length"`` means the answer hit ``max_tokens`` and is cut).
    """

    text: str
    usage: dict
    model: str
    finish_reason: str | None = None
    notes: tuple[str, ...] = ()  # what the reader should know about how the reply was obtained (a fallback, say)


class StructuredRefused(LLMError):
    """The server refused a JSON-schema ``response_format`` (HTTP 400/422): ask again in plain text."""


class LLM(Protocol):
    """Anything that turns chat messages into a ``Completion``."""

    name: str  # "openai:<model>" or "stub": shown to the user and recorded in answers

    def complete(self, messages: list[dict], *, on_token: Callable[[str], None] | None = None) -> Completion:
        """Answer ``messages``; when ``on_token`` is given, stream and call it with each piece of text as it comes."""
        ...


class OpenAIChat:
    """An OpenAI-compatible chat-completions endpoint, through the official ``openai`` client.

    Settings: ``model`` argument > ``BRIEFING_MODEL`` > ``DEFAULT_MODEL``; ``base_url`` / ``api_key`` arguments >
    ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``; ``timeout`` argument > ``BRIEFING_LLM_TIMEOUT`` > 60 s. A local server
    (a ``base_url`` without a key) gets a placeholder key. The client retries ``max_retries`` times, with
    exponential backoff (0.5 s, 1 s, 2 s… capped at 8 s, or the server's ``Retry-After``), on connection errors,
    timeouts, 408, 409, 429 and 5xx. Each request has an overall deadline of ``timeout`` seconds (besides the
    client's per-read timeout) and reads at most ``max_response_bytes``, so a server that never ends its answer
    cannot hang a run. Every failure becomes an ``LLMError`` with one line that never holds the key, and the key is
    redacted from everything the server returns (a server may echo the request).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int = 3,
        max_tokens: int = 700,
        temperature: float = 0.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        """Resolve the settings; no network and no ``import openai`` until the first ``complete``."""
        env = config.settings()
        self.model = model or env.chat_model or DEFAULT_MODEL
        self.base_url = _check_url((base_url or env.openai_base_url or "").strip() or None)
        key = api_key or env.openai_api_key or None
        if key is None and self.base_url is None:
            raise LLMError(
                "no API key for OpenAI: set OPENAI_API_KEY, or set OPENAI_BASE_URL to a local server "
                "(e.g. http://localhost:11434/v1 for Ollama), or use --llm stub"
            )
        self._key = key or PLACEHOLDER_KEY
        self.timeout = _resolve_timeout(timeout)
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_response_bytes = max_response_bytes
        self.name = f"openai:{self.model}"
        self._client: openai.OpenAI | None = None
        self._sent = Counter()  # requests sent by the current call: its first attempt and retries
        self._schema_style = "json_schema"  # OpenAI, vLLM, Ollama, llama.cpp's own server

    @property
    def url(self) -> str:
        """The endpoint as shown in messages: without any user:password or query string."""
        return _display_url(self.base_url or OPENAI_URL)

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIChat(model={self.model!r}, url={self.url!r}, timeout={self.timeout:g})"

    def complete(self, messages: list[dict], *, on_token: Callable[[str], None] | None = None,
                 schema: dict | None = None) -> Completion:
        """Send ``messages``; stream when ``on_token`` is given. With ``schema`` the reply is constrained to that
        JSON schema (``response_format`` json_schema; not streamed), and a server that refuses it raises
        ``StructuredRefused``. Raises ``LLMError`` (one line) on any failure."""
        try:
            import openai
        except ImportError:
            raise LLMError("the openai package is not installed; run: pip install 'openai>=1.40'") from None

        kwargs = {
            "model": self.model,
            "messages": messages,
            # max_tokens rather than max_completion_tokens: every OpenAI-compatible server understands it.
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        self._sent.requests = 0
        if schema is not None:
            kwargs["response_format"] = _response_format(self._schema_style, schema)
        try:
            if on_token is None or schema is not None:
                return self._complete(kwargs)
            shown = Redacting(self._key, on_token)
            try:
                return self._stream(kwargs, shown)
            finally:
                shown.flush()
        except (openai.BadRequestError, openai.UnprocessableEntityError, openai.InternalServerError) as err:
            # llama-cpp-python's server answers an unknown response_format with a 500 naming it
            refused = not isinstance(err, openai.InternalServerError) or "response_format" in self._server_message(err)
            if schema is not None and refused and not _CONTEXT_ERROR.search(self._server_message(err)):
                if self._schema_style == "json_schema":  # llama-cpp-python's server takes json_object + schema
                    self._schema_style = "json_object"
                    return self.complete(messages, schema=schema)
                raise StructuredRefused(self._explain(err)) from None
            raise LLMError(self._explain(err)) from None
        except openai.OpenAIError as err:
            # "from None": the chained httpx exceptions add nothing for the user and carry request details.
            raise LLMError(self._explain(err)) from None

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _get_client(self) -> openai.OpenAI:
        if self._client is None:
            import openai

            from briefing.answer.llm_limits import bounded_http_client

            self._client = openai.OpenAI(
                api_key=self._key,
                base_url=self.base_url or OPENAI_URL,
                timeout=self.timeout,
                max_retries=self.max_retries,
                http_client=bounded_http_client(self.timeout, self.max_response_bytes, self._sent),
            )
        return self._client

    def _complete(self, kwargs: dict) -> Completion:
        try:
            resp = self._get_client().chat.completions.create(**kwargs)
        except ValueError:  # json.JSONDecodeError from a 200 answer labelled application/json
            raise LLMError(self._malformed()) from None
        try:
            # A non-JSON content type comes back as a str; a JSON answer of the wrong shape lacks the attributes.
            choice = resp.choices[0]
            text = choice.message.content if choice.message is not None else None
            finish = choice.finish_reason
        except (AttributeError, IndexError, TypeError, KeyError):
            raise LLMError(self._malformed()) from None
        if text is not None and not isinstance(text, str):
            raise LLMError(self._malformed())
        return self._finish(text or "", _usage(getattr(resp, "usage", None)), getattr(resp, "model", None), finish)

    def _stream(self, kwargs: dict, on_token: Callable[[str], None]) -> Completion:
        import openai

        client = self._get_client()
        try:
            stream = client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
        except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
            # Some servers reject stream_options (an OpenAI extension); ask again without it, losing usage only.
            if not _STREAM_OPTIONS.search(f"{err.message} {err.body}"):
                raise
            stream = client.chat.completions.create(**kwargs, stream=True)

        parts: list[str] = []
        finish: str | None = None
        usage: dict = {}
        model: str | None = None
        with stream:
            chunks = iter(stream)
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except ResponseLimit as err:
                    raise LLMError(self._limit_message(err)) from None
                except (ValueError, openai.APIError) as err:
                    if finish is not None and isinstance(err, openai.APIConnectionError):
                        break  # the answer was complete; only the stream's tail (usage, [DONE]) was lost
                    raise LLMError(self._stream_failure(err)) from None
                model = getattr(chunk, "model", None) or model
                usage = _usage(getattr(chunk, "usage", None)) or usage
                for choice in getattr(chunk, "choices", None) or ():
                    delta = getattr(choice, "delta", None)
                    piece = getattr(delta, "content", None) if delta is not None else None
                    if isinstance(piece, str) and piece:
                        parts.append(piece)
                        on_token(piece)  # outside the try: the caller's own errors must pass through untouched
                    finish = getattr(choice, "finish_reason", None) or finish
        if finish is None:
            raise LLMError(
                f"the LLM's stream ended early: {self.url} closed it before the answer finished; "
                "try again, and check the server's logs if it keeps happening"
            )
        return self._finish("".join(parts), usage, model, finish)

    def _stream_failure(self, err: Exception) -> str:
        """One line for a failure in the middle of a stream."""
        import openai

        if isinstance(err, openai.APITimeoutError):
            return (
                f"the LLM's stream ended early: no data from {self.url} for {self.timeout:g} s; "
                "raise BRIEFING_LLM_TIMEOUT (seconds) or try again"
            )
        if isinstance(err, openai.APIConnectionError):
            return (
                f"the LLM's stream ended early: the connection to {self.url} dropped mid-answer; "
                "try again, and check the server's logs if it keeps happening"
            )
        if isinstance(err, openai.APIError):  # an {"error": ...} event inside the stream
            return f"the LLM server reported an error mid-answer: {self._server_message(err)}; try again"
        return self._malformed()  # ValueError: an event whose data is not JSON

    def _finish(self, text: str, usage: dict, model: object, finish: str | None) -> Completion:
        if not text.strip():
            why = {
                "length": f" (it used up max_tokens={self.max_tokens} before writing anything)",
                "content_filter": " (its content filter blocked the answer)",
            }.get(finish or "", "")
            raise LLMError(f"the LLM returned an empty answer{why}; try again or try another model (BRIEFING_MODEL)")
        model = redact(model, self._key) if isinstance(model, str) and model else self.model
        return Completion(text=redact(text, self._key), usage=usage, model=model, finish_reason=finish)

    def _limit_message(self, err: ResponseLimit) -> str:
        if err.kind == "size":
            return (f"the LLM server at {self.url} sent more than {self.max_response_bytes // 1_000_000} MB for one "
                    f"answer (it ignores max_tokens={self.max_tokens}?); check the server, or try another model")
        return (f"the LLM server at {self.url} did not finish its answer within {self.timeout:g} s; raise "
                "BRIEFING_LLM_TIMEOUT (seconds) for a slow model, or check the server")

    # -- error messages ----------------------------------------------------------------------------------------

    def _malformed(self) -> str:
        return (
            f"the LLM server at {self.url} returned a response that is not valid chat-completions JSON; "
            "check that OPENAI_BASE_URL points at an OpenAI-compatible API (it usually ends in /v1)"
        )

    def _server_message(self, err: openai.APIError) -> str:
        """The server's own explanation, on one line, at most 200 characters, with the key scrubbed out."""
        body = err.body
        msg: object = None
        if isinstance(body, dict):
            msg = body.get("message") or body.get("error") or body.get("detail")
        elif isinstance(body, str):
            msg = body
        if not msg:
            msg = err.message
        text = " ".join(str(msg).split())
        text = _scrub(text, self._key)
        if len(text) > 200:
            text = text[:197] + "..."
        return text or "no details"

    def _explain(self, err: openai.OpenAIError) -> str:
        """One line for an openai exception: what happened at which endpoint and what to do about it."""
        import openai

        url, tries = self.url, max(self._sent.requests - 1, 0)  # retries actually made, not allowed
        after = f" after {tries} {'retry' if tries == 1 else 'retries'}" if tries else ""
        if isinstance(err, ResponseLimit):
            return self._limit_message(err)
        if isinstance(err, openai.APITimeoutError):
            return (
                f"no answer from {url} within {self.timeout:g} s{after}; raise BRIEFING_LLM_TIMEOUT (seconds) "
                "for a slow model, or check that the server is not overloaded"
            )
        if isinstance(err, openai.APIConnectionError):
            return (
                f"cannot reach {url}{after}: is the server running? Check OPENAI_BASE_URL "
                "(e.g. http://localhost:11434/v1 for Ollama, http://localhost:8080/v1 for llama.cpp)"
            )
        if isinstance(err, openai.APIStatusError):
            status, detail = err.status_code, self._server_message(err)
            # Checked first: llama.cpp has answered an over-long prompt with a 500 as well as with a 400.
            if status in (400, 413, 422, 500) and (
                _CONTEXT_ERROR.search(detail) or err.code == "context_length_exceeded"
            ):
                return f"the prompt is longer than the model's context window ({detail}); lower --max-context"
            if status == 401:
                return f"the server refused the API key (HTTP 401: {detail}); check OPENAI_API_KEY"
            if status == 403:
                return f"the server denied access (HTTP 403: {detail}); check OPENAI_API_KEY and its permissions"
            if status == 404:
                if "model" in detail.lower():
                    return (
                        f"model {self.model!r} was not found at {url} (HTTP 404: {detail}); set BRIEFING_MODEL to "
                        "a model the server has (for Ollama: `ollama pull` it or see `ollama list`)"
                    )
                return (
                    f"{url} has no chat-completions endpoint (HTTP 404: {detail}); "
                    "check OPENAI_BASE_URL (it usually ends in /v1)"
                )
            if status == 429:
                if err.code == "insufficient_quota" or "quota" in detail.lower():
                    return f"the account has no quota left (HTTP 429: {detail}); check the plan and billing"
                return f"{url} is rate-limiting requests (HTTP 429{after}: {detail}); wait a minute and try again"
            if status >= 500:
                return (
                    f"the LLM server at {url} failed (HTTP {status}{after}: {detail}); try again later, "
                    "or check the server's logs"
                )
            return (
                f"the LLM server rejected the request (HTTP {status}: {detail}); "
                "check BRIEFING_MODEL and the server's logs"
            )
        if isinstance(err, openai.APIError):
            return f"the LLM call failed: {self._server_message(err)}"
        return f"the LLM call failed: {_scrub(' '.join(str(err).split()), self._key)[:200]}"


class StubLLM:
    """A deterministic fake LLM for tests and ``--llm stub``.

    ``enqueue`` queues replies, returned in order (an exception instance is raised instead of returned, to
    script failures). With an empty queue the reply is built from the prompt: the first sentence of each of the
    first two passages (``<passage n="k" ...>`` blocks of the last user message), each ending with its ``[k]``
    marker; with no passages, the fixed ``prompting.NO_ANSWER`` sentence. Same prompt, same reply: never random.
    """

    name = "stub"

    def __init__(self, *replies: str | BaseException) -> None:
        """Start with ``replies`` already queued."""
        self.calls: list[list[dict]] = []
        self._queue: deque[str | BaseException] = deque(replies)

    def enqueue(self, *texts: str | BaseException) -> None:
        """Queue replies for the next calls, in order."""
        self._queue.extend(texts)

    def complete(self, messages: list[dict], *, on_token: Callable[[str], None] | None = None) -> Completion:
        """Record ``messages`` and return the next queued reply (or the prompt-derived one), streamed word by word."""
        self.calls.append([dict(m) for m in messages])
        reply = self._queue.popleft() if self._queue else default_stub_reply(messages)
        if isinstance(reply, BaseException):
            raise reply
        if on_token is not None:
            for piece in re.findall(r"\s*\S+|\s+$", reply):  # word by word; the pieces join back to reply
                on_token(piece)
        prompt = sum(_rough_tokens(str(m.get("content", ""))) for m in messages)
        completion = _rough_tokens(reply)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        return Completion(text=reply, usage=usage, model="stub", finish_reason="stop")


_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n?(.*?)</passage>', re.DOTALL)


def default_stub_reply(messages: list[dict]) -> str:
    """The stub's reply when nothing is queued: from each of the first two passages, the sentence sharing most
    words with the question (the first on a tie), cited; or ``NO_ANSWER``. Deterministic, so tests can predict it."""
    from briefing.answer.prompting import NO_ANSWER  # local: jinja2 is not needed on the OpenAIChat path

    user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
    asked = re.search(r"^Question: (.*)$", user, re.M)
    wanted = set(re.findall(r"\w+", asked.group(1).lower())) if asked else set()
    cited = []
    for n, body in _PASSAGE.findall(user)[:2]:
        best = _best_sentence(body, wanted)
        if best:
            cited.append(f"{best.rstrip('.!?')} [{n}].")
    return " ".join(cited) or NO_ANSWER


def _best_sentence(text: str, wanted: set[str]) -> str:
    spans = sentences(text)
    if not spans:
        return ""
    shared = [len(wanted & set(re.findall(r"\w+", text[a:b].lower()))) for a, b in spans]
    a, b = spans[shared.index(max(shared))]
    return text[a:b]


def _rough_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _response_format(style: str, schema: dict) -> dict:
    """``response_format`` for a JSON schema: OpenAI's ``json_schema`` form, or ``json_object`` with the schema
    beside it (llama-cpp-python's server)."""
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "cited_answer", "schema": schema}}


def _usage(usage: object) -> dict:
    """The three standard counters of a usage object, when present."""
    if usage is None:
        return {}
    out = {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = getattr(usage, key, None) if not isinstance(usage, dict) else usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            out[key] = value
    return out


def _resolve_timeout(timeout: float | None) -> float:
    return config.llm_timeout(timeout)


def _check_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL with a host; a ``UsageError`` (which never shows credentials) otherwise."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(
            f"the LLM base URL {_display_url(url)!r} is not an http(s) URL; set OPENAI_BASE_URL to e.g. "
            "http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1"
        )
    return url


def _display_url(url: str) -> str:
    """``url`` without credentials, query or fragment: those may hold secrets and must not reach the terminal."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparseable URL)"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", "")) or "(unparseable URL)"


def _scrub(text: str, key: str | None) -> str:
    """Remove the API key (and anything sent as a bearer token) from text echoed from a server."""
    if key and len(key) >= 4:
        text = text.replace(key, "***")
    return re.sub(r"(?i)(bearer\s+)\S+", r"\1***", text)
