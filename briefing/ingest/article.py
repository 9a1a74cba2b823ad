"""What every format loader shares: the supported suffixes, header limits, and making a ``Document`` from text."""

from __future__ import annotations

import hashlib
import re

from collections.abc import Iterator

from briefing.ingest.decode import decode
from briefing.types import Document, Skipped

SUPPORTED: frozenset[str] = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".json"})

_KIND = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".jsonl": "jsonl",
    ".json": "jsonl",
}
TITLE_MAX = 200
HEADER_LINES = 10  # how many non-empty lines at the top may hold a title, a date line or a source


# --------------------------------------------------------------------------------------------------------------
# Loading one file


def _mb(n: int) -> str:
    x = n / 1_000_000
    return f"{round(x, 1):g}" if x >= 0.1 else f"{x:.2g}"


def _short(err: BaseException, limit: int = 120) -> str:
    msg = " ".join(str(err).split()) or type(err).__name__
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


def _make(text: str, path: str, title: str, kind: str, **fields) -> Document:
    return Document(
        id=hashlib.sha256(text.encode("utf-8")).hexdigest(), path=path, title=title, text=text, kind=kind, **fields
    )


def _decoded(data: bytes, display_path: str) -> str | Skipped:
    text = decode(data)
    if text is None:
        return Skipped(display_path, "binary")
    if not text.strip():
        return Skipped(display_path, "empty")
    return text


def _lines(text: str, start: int) -> Iterator[str]:
    """Non-empty lines of ``text[start:]``, stripped."""
    for m in re.finditer(r"[^\r\n]+", text[start:]):
        line = m.group().strip()
        if line:
            yield line
