"""The per-machine cache of model exports, and verified copies of them into an index."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from pathlib import Path

from briefing import config
from briefing.embed import export
from briefing.embed.export import _file_record, _quantize, _staged, _write_meta, wanted_files
from briefing.embed.model import META_FILE, META_VERSION, MODEL_FILE, MODEL_INT8_FILE, ONNX_DIR, export_problem, read_meta

#
# An export costs 10-20 s (torch import, trace, check, quantisation), so it is made once per machine and weights,
# into <cache>/onnx/<source_sha256>-v<META_VERSION>/ (the same layout as an index's onnx/), and each index gets a
# verified copy of it. The cache is only ever a source of copies: an index never refers to it.

# A temporary folder in the cache older than this was left by a killed export, not one still running.
_STALE_SECONDS = 24 * 3600


class CacheUnusable(Exception):
    """The per-machine export cache cannot be used (unwritable, a file where a folder should be, a full disk, no
    home directory); the caller exports straight into the index instead. ``str()`` is one line."""


class _CopyMismatch(Exception):
    """Files copied out of a cache entry do not have the sizes and sha256 it records (it changed under us)."""




def cache_entry(cache: Path, source_sha256: str) -> Path:
    """Where the export of the weights ``source_sha256`` lives in the cache folder ``cache``."""
    return cache / ONNX_DIR / f"{source_sha256}-v{META_VERSION}"


def cached_export(model_dir: Path, source_sha256: str, cache: Path, *, int8: bool = False,
                  name: str | None = None) -> Path:
    """The cache entry for these weights, verified (sizes and sha256) and made complete first if needed: exported
    when absent (needs torch), deleted and exported again when damaged, given ``model_int8.onnx`` when ``int8``
    asks for it and it has none (onnxruntime only). Each change is built in a temporary sibling and renamed into
    place, so concurrent indexers and crashes never expose a partial entry. Raises OSError when the cache cannot
    be written, :class:`ModelError` when the model cannot be exported."""
    entry = cache_entry(cache, source_sha256)
    _sweep(entry.parent)
    if os.path.lexists(entry) and export_problem(entry, source_sha256, wanted_files(False)) is not None:
        _discard(entry)
    if not os.path.lexists(entry):
        return export.export_onnx(model_dir, entry, quantize=int8, name=name)
    if int8 and export_problem(entry, source_sha256, [MODEL_INT8_FILE]) is not None:
        _add_int8(entry)
    return entry


def install_from_cache(model_dir: Path, source_sha256: str, out_dir: Path, *, int8: bool = False,
                       name: str | None = None, cache: Path | None = None) -> Path:
    """Put a copy of the cached export of these weights (see :func:`cached_export`; ``cache`` defaults to
    :func:`config.cache_dir`) in ``out_dir``, with ``model_int8.onnx`` if ``int8``. The copy is built in a temporary
    sibling, checked against the entry's sizes and sha256, and renamed into place, so ``out_dir`` is always whole
    and needs nothing from the cache afterwards. Raises :class:`CacheUnusable` when the cache cannot be used,
    :class:`ModelError` when the model cannot be exported, OSError when ``out_dir`` cannot be written (or the
    disk it shares with the cache is full: exporting into it instead would fail the same way)."""
    try:
        cache = config.cache_dir() if cache is None else cache
    except RuntimeError as exc:  # no HOME to put ~/.cache in
        raise CacheUnusable(str(exc)) from exc
    for _ in range(2):
        try:
            entry = cached_export(model_dir, source_sha256, cache, int8=int8, name=name)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT) and _device(cache) == _device(out_dir):
                raise
            raise CacheUnusable(" ".join(str(exc).split())) from exc
        try:
            _copy_export(entry, out_dir, source_sha256, int8, name)
            return out_dir
        except (_CopyMismatch, FileNotFoundError):
            continue  # the entry was replaced or damaged while it was copied: verify it again
    raise CacheUnusable(f"copies of {entry} did not match its checksums")


def _device(path: Path) -> int | None:
    """The file system holding ``path``, or the nearest folder above it that exists."""
    for folder in (path, *path.parents):
        try:
            return os.stat(folder).st_dev
        except OSError:
            continue
    return None


def _copy_export(src: Path, out_dir: Path, source_sha256: str, int8: bool, name: str | None) -> None:
    names = wanted_files(int8)
    meta = read_meta(src)
    if meta is None or not isinstance(meta.get("files"), dict) or not set(names) <= meta["files"].keys():
        raise _CopyMismatch(f"{src} is incomplete")
    with _staged(out_dir) as tmp:
        for n in names:
            shutil.copyfile(src / n, tmp / n)
        _write_meta(tmp / META_FILE, {**meta, "name": name or meta.get("name"), "quantized": int8,
                                      "files": {n: meta["files"][n] for n in names}})
        problem = export_problem(tmp, source_sha256, names)
        if problem:
            raise _CopyMismatch(f"the copy of {src} is not intact: {problem}")


def _add_int8(entry: Path) -> None:
    """Give a verified fp32 cache entry its int8 graph: a new entry with it is built beside it and replaces it."""
    meta = read_meta(entry) or {}
    with _staged(entry) as tmp:
        for n in wanted_files(False):
            shutil.copyfile(entry / n, tmp / n)
        _quantize(tmp / MODEL_FILE, tmp / MODEL_INT8_FILE)
        files = {**meta.get("files", {}), MODEL_INT8_FILE: _file_record(tmp / MODEL_INT8_FILE)}
        _write_meta(tmp / META_FILE, {**meta, "quantized": True, "files": files})


def _discard(path: Path) -> None:
    """Delete a damaged entry: renamed aside first (atomic), so nobody sees it half deleted."""
    trash = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
    try:
        os.replace(path, trash / "export")
    except FileNotFoundError:
        pass  # another indexer got there first
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _sweep(folder: Path) -> None:
    """Delete the temporary folders that killed exports left in ``folder`` more than a day ago."""
    try:
        leftovers = [p for p in folder.iterdir() if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name)]
    except OSError:
        return
    for path in leftovers:
        try:
            stale = time.time() - path.stat().st_mtime > _STALE_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
