"""Walking the input paths: files and folders, recursively, symlink loops safe, hidden files skipped."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from briefing.errors import UsageError
from briefing.ingest.article import SUPPORTED
from briefing.types import Skipped


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Skipped | None]]:
    """Yield ``(path, None)`` for each supported file under ``paths`` and ``(path, Skipped)`` for the others.

    Folders are walked recursively in sorted order; symlinks are followed, but a directory (or file) already seen
    through another name is not visited again, so symlink loops terminate. Hidden entries found while walking are
    ignored. Raises ``UsageError`` if an explicitly given path does not exist.
    """
    paths = [Path(p) for p in paths]
    # Check every argument before yielding anything, so a typo in the last one fails before any work is done.
    for p in paths:
        if not p.exists():
            raise UsageError(f"no such file or folder: {p}")
    seen: set[tuple[int, int]] = set()
    for p in paths:
        if p.is_dir():
            yield from _walk(p, seen)
        else:
            yield from _file_entry(p, seen)


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, Skipped | None]]:
    try:
        st = folder.stat()
    except OSError as err:
        yield folder, Skipped(str(folder), f"unreadable: {_why(err)}")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:  # a symlink back to a folder we are already in (or already walked)
        return
    seen.add(key)
    try:
        names = sorted(os.listdir(folder))
    except OSError as err:
        yield folder, Skipped(str(folder), f"unreadable: {_why(err)}")
        return
    for name in names:
        if name.startswith("."):
            continue
        child = folder / name
        if child.is_dir():
            yield from _walk(child, seen)
        elif not child.exists():
            yield child, Skipped(str(child), f"unreadable: {_dangling(child)}")
        else:
            yield from _file_entry(child, seen)


def _dangling(link: Path) -> str:
    """Why a name that exists does not resolve: a symlink pointing at itself (or round a cycle), or at nothing."""
    try:
        link.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "symlink loop"
    return "broken symlink"


def _file_entry(path: Path, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, Skipped | None]]:
    try:
        st = path.stat()
    except OSError as err:
        yield path, Skipped(str(path), f"unreadable: {_why(err)}")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:  # the same file reached through a symlink or a second argument
        return
    seen.add(key)
    if not stat.S_ISREG(st.st_mode):
        # Reading a FIFO or a device would block or never end.
        yield path, Skipped(str(path), "unreadable: not a regular file")
    elif path.suffix.lower() not in SUPPORTED:
        yield path, Skipped(str(path), _unsupported(path))
    else:
        yield path, None


def _unsupported(path: Path) -> str:
    suffix = path.suffix.lower()
    return f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"


def _why(err: OSError) -> str:
    """A short lower-case reason for an OS error: 'permission denied', 'is a directory'..."""
    return (err.strerror or str(err) or type(err).__name__).lower()
