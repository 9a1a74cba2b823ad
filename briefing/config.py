"""Settings with their defaults and environment variables; precedence is CLI flag > ``BRIEFING_*`` variable > default."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INDEX = "index"
DEFAULT_MAX_FILE_MB = 20.0
DEFAULT_K = 6
DEFAULT_SEARCH_K = 5
DEFAULT_PER_DOC = 2


def debug() -> bool:
    """Whether to show tracebacks (``BRIEFING_DEBUG=1``)."""
    return os.environ.get("BRIEFING_DEBUG", "") not in ("", "0")


def display_path(path: str) -> str:
    """A stored absolute path as the user should see it: relative to the working directory when under it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def index_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("BRIEFING_INDEX") or DEFAULT_INDEX)


def cache_dir() -> Path:
    """This machine's cache (the model's ONNX exports): ``BRIEFING_CACHE_DIR``, else ``$XDG_CACHE_HOME/briefing``,
    else ``~/.cache/briefing``. Raises RuntimeError when there is no home directory to default to."""
    if os.environ.get("BRIEFING_CACHE_DIR"):
        return Path(os.environ["BRIEFING_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "briefing"
