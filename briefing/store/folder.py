"""The index folder: which folders are briefing's (a marker file, or an older index recognised by its files), which
files in it briefing made, and replacing a file in one rename.

briefing writes only into a folder it made: an empty or new one (marked at once), or an index made before the
marker existed (adopted: marked on its first write). A non-empty folder holding anything else is refused, so
``--index`` pointed at the wrong place never deletes, overwrites or adds tables to someone else's files."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

from briefing.errors import IndexError_

MARKER = ".briefing-index"
DB_NAME = "briefing.sqlite"
# `--rebuild` writes a whole new database here and renames it over DB_NAME only once it has committed.
REBUILD_DB = ".rebuild.sqlite"
MANIFEST = "manifest.json"
EXPORT_DIR = "onnx"  # the model's ONNX export (briefing.embed.model.ONNX_DIR)
_VECTORS = re.compile(r"vectors-(\d+)\.faiss")
# Every name briefing puts in an index folder (temporary files are hidden and end in .tmp).
_OURS = re.compile(r"(?:briefing\.sqlite|\.rebuild\.sqlite)(?:-journal|-wal|-shm)?|manifest\.json|\.lock|"
                   r"vectors-\d+\.faiss|\.[\w.-]+\.tmp|" + re.escape(MARKER))


def vectors_generation(name: str) -> int | None:
    """The generation of a ``vectors-N.faiss`` file name; None for any other name (``vectors-mine.faiss``)."""
    m = _VECTORS.fullmatch(name)
    return int(m.group(1)) if m else None


def claim(root: Path) -> None:
    """Make sure ``root`` is briefing's before anything is written there: create and mark it when it is new or
    empty, mark an index made before the marker existed, refuse any other non-empty folder."""
    if (root / MARKER).is_file():
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        entries = sorted(os.listdir(root))
    except OSError as exc:
        raise IndexError_(f"cannot write the index at {root}/: {exc.strerror or exc}") from None
    foreign = [name for name in entries if not _is_ours(root, name)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise IndexError_(f"{root}/ is not a briefing index and is not empty (it holds {shown}); briefing only "
                          "writes into its own folders: pass --index with a new or empty folder")
    try:
        (root / MARKER).write_text(json.dumps({"made_by": "briefing", "what": "index folder"}) + "\n")
    except OSError as exc:
        raise IndexError_(f"cannot write the index at {root}/: {exc.strerror or exc}") from None


def is_briefing_folder(root: Path) -> bool:
    """Whether ``root`` is briefing's: it holds the marker, or only files briefing makes (an older index)."""
    if (root / MARKER).is_file():
        return True
    try:
        return all(_is_ours(root, name) for name in os.listdir(root))
    except OSError:
        return False


def _is_ours(root: Path, name: str) -> bool:
    path = root / name
    if name == EXPORT_DIR:
        return _is_export(path)
    if not _OURS.fullmatch(name) or path.is_dir():
        return False
    if name in (DB_NAME, REBUILD_DB):
        return _is_our_database(path)
    return True


def _is_export(path: Path) -> bool:
    """An ``onnx/`` folder briefing wrote: its ``onnx.json`` records the weights it was exported from."""
    try:
        meta = json.loads((path / "onnx.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "source_sha256" in meta and "files" in meta


def _is_our_database(path: Path) -> bool:
    """An SQLite file holding briefing's tables (or an empty file, left by a build killed before it wrote its
    schema). Opened read-only, so a foreign database is never changed."""
    try:
        if path.stat().st_size == 0:
            return True
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except (OSError, sqlite3.Error):
        return False
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return _TABLES <= tables
    except sqlite3.DatabaseError:
        # damaged past reading: only an index of ours that --rebuild is asked to mend ends up like this, unless
        # it is not an SQLite file at all
        return _looks_like_sqlite(path)
    finally:
        con.close()


_TABLES = {"meta", "files", "documents", "occurrences", "chunks", "skips", "chunks_fts"}


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def write_replace(tmp: Path, final: Path, write) -> None:
    """``write()`` the file at ``tmp``, then rename it to ``final``; on any failure (a full disk...) the partial
    temporary file is removed instead of being left to fill the disk."""
    try:
        write()
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def unlink_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-journal")):
        p.unlink(missing_ok=True)
