"""Settings with their defaults and environment variables, read in this one place; precedence is CLI flag >
``BRIEFING_*`` variable > default."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INDEX = "index"
DEFAULT_MAX_FILE_MB = 20.0
DEFAULT_K = 6
DEFAULT_SEARCH_K = 5
DEFAULT_PER_DOC = 2
DEFAULT_MAX_CONTEXT = 3000  # prompt tokens: fits a 4096-token local model with room for the answer
# The embedded local model's prompt budget (--llm local): prompt processing is most of an answer's time on a CPU,
# and key-fact recall on nuggets-dev did not gain from more (benchmarks/local_llm.py, README "Local LLM").
DEFAULT_LOCAL_MAX_CONTEXT = 1200
DEFAULT_LLM_TIMEOUT = 60.0
DEFAULT_CHAT_MODEL = "gpt-4o-mini"
DEFAULT_IVF_THRESHOLD = 100_000
DEFAULT_NPROBE = 32
DEFAULT_PG_EF_SEARCH = 200

# The environment variables, named once; the CLI's options declare them with ``envvar=`` from here.
ENV_INDEX = "BRIEFING_INDEX"
ENV_EMBED_MODEL = "BRIEFING_EMBED_MODEL"
ENV_MAX_FILE_MB = "BRIEFING_MAX_FILE_MB"
ENV_BACKEND = "BRIEFING_BACKEND"
ENV_INT8 = "BRIEFING_INT8"
ENV_LLM = "BRIEFING_LLM"
ENV_VERIFY = "BRIEFING_VERIFY"
ENV_CHAT_MODEL = "BRIEFING_MODEL"
ENV_MAX_CONTEXT = "BRIEFING_MAX_CONTEXT"
ENV_LOCAL_MODEL = "BRIEFING_LOCAL_MODEL"  # a GGUF path or an installed model's name, for --llm local
ENV_STRUCTURED = "BRIEFING_STRUCTURED"  # JSON-schema output from OpenAI-compatible servers


@dataclass(frozen=True)
class Settings:
    """Everything the environment can set, read at once by :func:`settings`."""

    index: str = DEFAULT_INDEX
    debug: bool = False
    chat_model: str | None = None
    max_context: str | None = None  # raw; validated where it is used (:func:`max_context`)
    llm_timeout: str | None = None  # raw; validated by :func:`llm_timeout`
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    cache_dir: str | None = None
    xdg_cache_home: str | None = None
    ivf_threshold: int = DEFAULT_IVF_THRESHOLD
    nprobe: int = DEFAULT_NPROBE
    pg_ef_search: int = DEFAULT_PG_EF_SEARCH
    local_model: str | None = None
    structured: bool = False

    @property
    def endpoint_configured(self) -> bool:
        """Whether an OpenAI-compatible endpoint is configured (a key or a base url)."""
        return bool(self.openai_api_key or self.openai_base_url)


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


def settings() -> Settings:
    """The settings from the current environment (read afresh each call, so tests and shells can change it)."""
    env = os.environ
    return Settings(
        index=env.get(ENV_INDEX) or DEFAULT_INDEX,
        debug=env.get("BRIEFING_DEBUG", "") not in ("", "0"),
        chat_model=env.get(ENV_CHAT_MODEL) or None,
        max_context=env.get(ENV_MAX_CONTEXT) or None,
        llm_timeout=env.get("BRIEFING_LLM_TIMEOUT", "").strip() or None,
        openai_base_url=env.get("OPENAI_BASE_URL") or None,
        openai_api_key=env.get("OPENAI_API_KEY") or None,
        cache_dir=env.get("BRIEFING_CACHE_DIR") or None,
        xdg_cache_home=env.get("XDG_CACHE_HOME") or None,
        ivf_threshold=_int("BRIEFING_IVF_THRESHOLD", DEFAULT_IVF_THRESHOLD),
        nprobe=_int("BRIEFING_NPROBE", DEFAULT_NPROBE),
        pg_ef_search=_int("BRIEFING_PG_EF_SEARCH", DEFAULT_PG_EF_SEARCH),
        local_model=env.get(ENV_LOCAL_MODEL) or None,
        structured=env.get(ENV_STRUCTURED, "").strip().lower() in ("1", "true", "yes", "on"),
    )


def debug() -> bool:
    """Whether to show tracebacks (``BRIEFING_DEBUG=1``)."""
    return settings().debug


def display_path(path: str) -> str:
    """A stored absolute path as the user should see it: relative to the working directory when under it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(value) -> bool:
    """Whether an index location names a database server (a PostgreSQL URL) rather than a folder."""
    return isinstance(value, str) and value.lower().startswith(SERVER_SCHEMES)


def index_location(value: str | None) -> str | Path:
    """Where the index is (``--index``, else ``BRIEFING_INDEX``, else ``index``): a ``postgresql://`` URL passed
    through as it is, otherwise a folder."""
    raw = value or settings().index
    return raw if is_server_url(raw) else Path(raw)



def max_context(value: int | None, default: int = DEFAULT_MAX_CONTEXT) -> int:
    """The prompt token budget: ``value`` (the CLI's, already validated), else ``BRIEFING_MAX_CONTEXT``, else
    ``default`` (3000; the local model's is :data:`DEFAULT_LOCAL_MAX_CONTEXT`)."""
    if value:
        return int(value)
    raw = settings().max_context
    try:
        return int(raw) if raw else default
    except ValueError:
        from briefing.errors import UsageError

        raise UsageError(f"{ENV_MAX_CONTEXT} must be a whole number of tokens, not {raw!r}") from None


def llm_timeout(timeout: float | None = None) -> float:
    """Seconds an LLM request may take: ``timeout``, else ``BRIEFING_LLM_TIMEOUT``, else 60; a bad value is a
    :class:`~briefing.errors.UsageError`."""
    from briefing.errors import UsageError

    if timeout is None:
        raw = settings().llm_timeout
        if not raw:
            return DEFAULT_LLM_TIMEOUT
        try:
            timeout = float(raw)
        except ValueError:
            raise UsageError(f"BRIEFING_LLM_TIMEOUT must be a number of seconds, not {raw!r}") from None
        if not (math.isfinite(timeout) and timeout > 0):
            raise UsageError(f"BRIEFING_LLM_TIMEOUT must be a positive number of seconds, not {raw!r}")
        return timeout
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError(f"the LLM timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)


def cache_dir() -> Path:
    """This machine's cache (the model's ONNX exports): ``BRIEFING_CACHE_DIR``, else ``$XDG_CACHE_HOME/briefing``,
    else ``~/.cache/briefing``. Raises RuntimeError when there is no home directory to default to."""
    s = settings()
    if s.cache_dir:
        return Path(s.cache_dir).expanduser()
    xdg = s.xdg_cache_home or ""
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "briefing"
