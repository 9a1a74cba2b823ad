"""The per-machine cache of the model's ONNX export: made once per machine and weights, copied (verified) into each
index, rebuilt when damaged, and never more than a warning when it cannot be used.

The session's cache (conftest) holds the one real export; tests that need a cache of their own get a copy of its
entry, and where an export must run, the torch trace is replaced by a copy of the real graph, so every file is real
and no test pays for a second trace."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefing import config

from briefing.embed import cache as export_cache
from briefing.embed import export
from briefing.embed.model import META_VERSION
from briefing.embed.model import OFFICIAL_SHA256, file_sha256, resolve_model
from briefing.embed.select import ensure_onnx
from briefing.ingest.indexer import build_index
from briefing.embed.model import MODEL_FILE, MODEL_INT8_FILE, export_problem, read_meta
from briefing.embed.cache import cache_entry
from briefing.embed.export import wanted_files
from briefing.answer.session import Session

from test_hardening import MACRON, _mount, _umount, run

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "examples" / "articles"
HEAVY = ("torch", "transformers", "sentence_transformers")


@pytest.fixture(scope="session")
def info():
    return resolve_model(None)


@pytest.fixture(scope="session")
def entry(info, tmp_path_factory) -> Path:
    """The session cache's entry, int8 included: exported at most once per session (seed_index may have done it)."""
    ensure_onnx(info, tmp_path_factory.mktemp("first-index"), int8=True)
    path = cache_entry(config.cache_dir(), info.sha256)
    assert export_problem(path, info.sha256, wanted_files(True)) is None
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """This test's own cache folder (BRIEFING_CACHE_DIR), empty and not yet created."""
    path = tmp_path / "cache"
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(path))
    return path


@pytest.fixture
def exports(monkeypatch, entry) -> list[Path]:
    """Where export_onnx was asked to write, in order. The graph export copies the real graph from ``entry``."""
    calls: list[Path] = []
    real = export.export_onnx

    def counting(model_dir, out_dir, **kw):
        calls.append(Path(out_dir))
        return real(model_dir, out_dir, **kw)

    def trace(model_dir, onnx_path):
        shutil.copyfile(entry / MODEL_FILE, onnx_path)
        return read_meta(entry)["inputs"]

    monkeypatch.setattr(export, "export_onnx", counting)
    monkeypatch.setattr(export, "_export_graph", trace)
    return calls


def fill(cache: Path, entry: Path, *, int8: bool = True) -> Path:
    """Put a copy of the session's entry in ``cache`` (without its int8 graph unless ``int8``); return the copy."""
    mine = cache_entry(cache, OFFICIAL_SHA256)
    shutil.copytree(entry, mine)
    if not int8:
        (mine / MODEL_INT8_FILE).unlink()
        meta = read_meta(mine)
        del meta["files"][MODEL_INT8_FILE]
        (mine / "onnx.json").write_text(json.dumps({**meta, "quantized": False}))
    return mine


def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for article in sorted(ARTICLES.iterdir())[:2]:
        shutil.copy(article, folder / article.name)
    return folder


def searchable(index: Path) -> None:
    assert Session(index).search(MACRON), f"no hits in {index}"


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("BRIEFING_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.cache_dir() == tmp_path / "home" / ".cache" / "briefing"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec says: ignore it
    assert config.cache_dir() == tmp_path / "home" / ".cache" / "briefing"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.cache_dir() == tmp_path / "xdg" / "briefing"
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "mine"))
    assert config.cache_dir() == tmp_path / "mine"


def test_briefing_cache_dir_is_where_the_export_comes_from(info, entry, cache, exports, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fill(cache, entry)
    out = ensure_onnx(info, tmp_path / "index", int8=True)
    assert exports == []
    assert export_problem(out, info.sha256, wanted_files(True)) is None
    assert not (tmp_path / "xdg").exists()


def test_two_indexes_share_one_export(info, cache, exports, tmp_path):
    folder = docs(tmp_path)
    build_index([folder], tmp_path / "a", quantize="no")
    assert exports == [cache_entry(cache, info.sha256)]
    build_index([folder], tmp_path / "b", quantize="no")
    assert len(exports) == 1  # the second index copied the cached export
    assert os.listdir(cache / "onnx") == [f"{info.sha256}-v{META_VERSION}"]  # no temporary folders
    for index in (tmp_path / "a", tmp_path / "b"):
        assert not [p.name for p in index.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    shutil.rmtree(cache)  # each index's copy is its own
    searchable(tmp_path / "b")
    assert export_problem(tmp_path / "a" / "onnx", info.sha256, wanted_files(False)) is None


@pytest.mark.parametrize("int8_cached", [True, False], ids=["hit", "int8-added"])
def test_cache_hit_never_imports_torch(entry, tmp_path, int8_cached):
    """A cached export is copied, and given its int8 graph if it lacks one, with onnxruntime alone."""
    cache = tmp_path / "cache"
    mine = fill(cache, entry, int8=int8_cached)
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from briefing.embed.model import resolve_model\nfrom briefing.embed.select import ensure_onnx\n"
        "from briefing.embed.onnx import OnnxEmbedder\n"
        "out = ensure_onnx(resolve_model(None), Path(sys.argv[1]), int8=True)\n"
        "assert OnnxEmbedder(out, quantized=True).embed(['what happened in the election?']).shape == (1, 384)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "index")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "BRIEFING_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    assert proc.stderr == ""
    assert export_problem(mine, OFFICIAL_SHA256, wanted_files(True)) is None  # the entry has int8 now
    assert export_problem(tmp_path / "index" / "onnx", OFFICIAL_SHA256, wanted_files(True)) is None
    assert sorted(os.listdir(cache / "onnx")) == [mine.name]


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _scribble(path: Path) -> None:
    # Same size, different bytes: only the sha256 check can tell.
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(random.Random(0).randbytes(4096))


DAMAGE = {
    "truncated": (MODEL_FILE, _truncate),
    "same-size-garbage": (MODEL_FILE, _scribble),
    "tokenizer-garbage": ("tokenizer.json", _scribble),
    "no-onnx.json": ("onnx.json", Path.unlink),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_deleted_and_rebuilt(info, entry, cache, exports, tmp_path, damage):
    mine = fill(cache, entry, int8=False)
    name, harm = DAMAGE[damage]
    harm(mine / name)
    if damage == "truncated":  # the whole story once: a new index is built, and answers
        build_index([docs(tmp_path)], tmp_path / "index", quantize="no")
        searchable(tmp_path / "index")
    else:
        ensure_onnx(info, tmp_path / "index", int8=False)
    assert exports == [mine]
    assert export_problem(mine, info.sha256, wanted_files(False)) is None  # the entry is whole again
    for good in wanted_files(False):  # and the index got the good files, never the damaged ones
        assert file_sha256(tmp_path / "index" / "onnx" / good) == file_sha256(entry / good)


@pytest.mark.parametrize("always", [False, True], ids=["once", "always"])
def test_a_copy_that_does_not_verify_is_never_published(info, entry, cache, exports, tmp_path, monkeypatch, capsys,
                                                        always):
    fill(cache, entry)
    real, damaged = shutil.copyfile, []

    def flaky(src, dst, *args, **kw):
        out = real(src, dst, *args, **kw)
        if Path(src).parent.parent == cache / "onnx" and Path(dst).name == MODEL_FILE and (always or not damaged):
            damaged.append(dst)
            _truncate(Path(dst))
        return out

    monkeypatch.setattr(shutil, "copyfile", flaky)
    out = ensure_onnx(info, tmp_path / "index", int8=True)
    assert export_problem(out, info.sha256, wanted_files(True)) is None
    err = capsys.readouterr().err
    if always:  # two copies failed their check: the model is exported into the index instead
        assert len(damaged) == 2 and exports == [out]
        assert err.startswith("warning: cannot use the model export cache") and err.count("\n") == 1
    else:  # the entry is checked again and copied again
        assert len(damaged) == 1 and exports == [] and err == ""


@pytest.fixture
def read_only(tmp_path):
    """Make a folder read-only: a read-only bind mount as root (skipped if mounting is not permitted), else
    permissions. Yields a function that does it; what it mounted (``.mounted``) is unmounted afterwards."""
    def make(folder: Path) -> None:
        if os.geteuid() == 0:
            make.mounted.append(folder)
            if not (_mount("--bind", folder, folder) and _mount("-o", "remount,bind,ro", folder)):
                pytest.skip("cannot make a read-only bind mount here")
        else:
            for p in [folder, *folder.rglob("*")]:
                p.chmod(0o555 if p.is_dir() else 0o444)

    make.mounted = []  # also the small tmpfs of the disk-full case
    yield make
    for folder in make.mounted:
        _umount(folder)
    for p in tmp_path.rglob("*"):
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)


def test_read_only_cache_with_the_entry_is_used(info, entry, cache, exports, tmp_path, read_only, capsys):
    fill(cache, entry)
    read_only(cache)
    out = ensure_onnx(info, tmp_path / "index", int8=True)
    assert exports == [] and capsys.readouterr().err == ""
    assert export_problem(out, info.sha256, wanted_files(True)) is None


def _cache_is_a_file(cache: Path, monkeypatch, read_only) -> None:
    cache.write_text("not a folder")


def _onnx_is_a_file(cache: Path, monkeypatch, read_only) -> None:
    cache.mkdir()
    (cache / "onnx").write_text("not a folder")


def _read_only(cache: Path, monkeypatch, read_only) -> None:
    cache.mkdir()
    read_only(cache)


def _disk_full(cache: Path, monkeypatch, read_only) -> None:
    """A cache on a file system of its own that is full (a 512 KiB tmpfs: the export does not fit)."""
    disk = cache.parent / "small-disk"
    disk.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=512k", "tmpfs", disk):
        pytest.skip("cannot mount a small tmpfs here")
    read_only.mounted.append(disk)
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(disk))


UNUSABLE = {"file": _cache_is_a_file, "onnx-file": _onnx_is_a_file, "read-only": _read_only,
            "disk-full": _disk_full}


@pytest.mark.parametrize("how", list(UNUSABLE))
def test_unusable_cache_falls_back_to_exporting_into_the_index(info, cache, exports, tmp_path, monkeypatch,
                                                               read_only, how):
    UNUSABLE[how](cache, monkeypatch, read_only)
    index = tmp_path / "index"
    code, out, err = run(["index", docs(tmp_path), "--index", index, "-q", "--int8", "no"])
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: cannot use the model export cache ("), err
    assert exports == [cache_entry(config.cache_dir(), info.sha256), index / "onnx"]  # the cache's failed
    assert export_problem(index / "onnx", info.sha256, wanted_files(False)) is None  # and it embedded the index


def test_full_disk_shared_by_cache_and_index_is_one_error_not_two_exports(cache, exports, tmp_path, monkeypatch):
    def write_meta(path, meta):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(export_cache, "_write_meta", write_meta)
    monkeypatch.setattr(export, "_write_meta", write_meta)
    code, out, err = run(["index", docs(tmp_path), "--index", tmp_path / "index", "-q", "--int8", "no"])
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No space left on device"), err
    assert len(exports) == 1  # exporting into the index, on the same full disk, is not tried
    assert os.listdir(cache / "onnx") == []


def test_cached_ensure_onnx_repairs_a_truncated_index_copy(info, entry, cache, exports, tmp_path):
    fill(cache, entry)
    out = ensure_onnx(info, tmp_path / "index", int8=True)
    _truncate(out / MODEL_INT8_FILE)
    ensure_onnx(info, tmp_path / "index", int8=True)
    assert exports == []
    assert export_problem(out, info.sha256, wanted_files(True)) is None
