"""Walking the input paths: files and folders, recursively, symlink loops safe, hidden files skipped; opening a file
only when it is a regular one; file names as text that can be stored and printed."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from briefing.errors import UsageError
from briefing.ingest.article import SUPPORTED
from briefing.types import Skipped


def iter_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Iterator[tuple[Path, Skipped | None]]:
    """Yield ``(path, None)`` for each supported file under ``paths`` and ``(path, Skipped)`` for the others.

    Folders are walked recursively in sorted order; symlinks are followed, but a directory (or file) already seen
    through another name is not visited again, so symlink loops terminate. Hidden entries found while walking are
    ignored, and so are the folders in ``exclude`` (the index folder, when it lies inside what is indexed). Raises
    ``UsageError`` if an explicitly given path does not exist.
    """
    paths = [Path(p) for p in paths]
    # Check every argument before yielding anything, so a typo in the last one fails before any work is done.
    for p in paths:
        if not p.exists():
            raise UsageError(f"no such file or folder: {p}")
    seen: set[tuple[int, int]] = set()
    for folder in exclude:
        try:
            st = os.stat(folder)
        except OSError:
            continue
        seen.add((st.st_dev, st.st_ino))
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


def safe_name(path: str) -> str:
    """``path`` as text that SQLite can store and a terminal can print: the bytes of a name that is not UTF-8 (which
    ``os.listdir`` hands over as lone surrogates) become ``\\xNN`` escapes; a UTF-8 name is returned unchanged."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, but only if what was opened is a regular file: a name swapped for a FIFO or a
    device after it was listed would block the read forever. Opened non-blocking, checked on the descriptor itself
    (no window between the check and the open); raises ``OSError`` "not a regular file" otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def regular_sha256(path: Path) -> str:
    """sha256 of a regular file's bytes, read in 1 MiB blocks (see :func:`open_regular`)."""
    h = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
