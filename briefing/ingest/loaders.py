"""Load one file into ``Document``s, or say why it was skipped; one module per format family does the reading."""

from __future__ import annotations

import os
from pathlib import Path

from briefing.ingest.article import _KIND, SUPPORTED, _mb, _short
from briefing.ingest.html import _load_html
from briefing.ingest.jsonl import _load_json, _load_jsonl
from briefing.ingest.pdf import _load_pdf
from briefing.ingest.plain import _load_md, _load_txt
from briefing.ingest.walk import _unsupported, _why, open_regular
from briefing.types import Document, Skipped


def load_file(path: Path, display_path: str, *, max_bytes: int = 20_000_000) -> tuple[list[Document], list[Skipped]]:
    """Load the articles of one file; problems come back as ``Skipped`` entries, never as exceptions.

    ``display_path`` is stored as ``Document.path`` and ``Skipped.path``. A json(l) file may give many documents
    and skip some of its lines; every other kind gives at most one document.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        return [], [Skipped(display_path, _unsupported(path))]
    try:
        with open_regular(path) as f:  # a FIFO swapped in after the walk is refused, never read
            size = os.fstat(f.fileno()).st_size
            # Check the size before reading, so a huge file costs nothing; a file growing meanwhile is read no further.
            if size > max_bytes:
                return [], [Skipped(display_path, f"too large ({_mb(size)} MB > limit {_mb(max_bytes)} MB)")]
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            return [], [Skipped(display_path, f"too large (over the limit of {_mb(max_bytes)} MB)")]
    except OSError as err:
        return [], [Skipped(display_path, f"unreadable: {_why(err)}")]
    if not data.strip():
        return [], [Skipped(display_path, "empty")]
    loader = {
        "txt": _load_txt,
        "md": _load_md,
        "html": _load_html,
        "pdf": _load_pdf,
        "jsonl": _load_json if suffix == ".json" else _load_jsonl,
    }[_KIND[suffix]]
    try:
        return loader(data, display_path)
    except Exception as err:  # noqa: BLE001 - last-resort guard: one odd file must not stop a whole index run
        return [], [Skipped(display_path, f"unreadable: {type(err).__name__}: {_short(err)}")]


