"""The one place that chooses an embedding backend: which one builds an index, and which one embeds queries.

Backends: ``onnx`` (ONNX Runtime over the index's own export, fp32 or dynamic int8), ``bf16`` (torch in bfloat16,
fast on CPUs with AMX-BF16) and ``torch`` (sentence-transformers in float32). Every other module takes an embedder
from here and never names a backend."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from briefing.embed.model import MODEL_FILE, MODEL_INT8_FILE, ONNX_DIR, Embedder, ModelInfo, export_problem, read_meta
from briefing.errors import IndexError_, ModelError, UsageError

BACKENDS = ("auto", "onnx", "bf16", "torch")
# Modules a backend needs that are slow to import; the indexer warms them on a thread while it reads articles.
BF16_IMPORTS = ("torch", "safetensors.numpy")


def onnx_current(info_sha256: str, root: Path, int8: bool = False) -> bool:
    """Whether ``root/onnx`` holds an export of the model with these weights (and its int8 variant if asked)."""
    return _export_current(info_sha256, root / ONNX_DIR, int8)


def _export_current(info_sha256: str, folder: Path, int8: bool) -> bool:
    meta = read_meta(folder) or {}
    return meta.get("source_sha256") == info_sha256 and (folder / (MODEL_INT8_FILE if int8 else MODEL_FILE)).exists()


def ensure_export(info: ModelInfo, index_dir: Path | None, int8: bool = False) -> Path:
    """The folder of the model's ONNX export that queries of an index will use: the index's own copy
    (:func:`ensure_onnx`) for an index in a folder; for an index on a database server (``index_dir`` None), where
    nothing is written but caches, this machine's cache entry for the weights."""
    if index_dir is not None:
        return ensure_onnx(info, index_dir, int8)
    from briefing import config
    from briefing.embed import cache

    return cache.cached_export(info.path, info.sha256, config.cache_dir(), int8=int8, name=info.name)


def query_export(meta: dict, index_dir: Path | None) -> Path:
    """Where the query model's ONNX export is for an index with manifest ``meta``: its folder's ``onnx/``, or for an
    index on a server this machine's cache entry, made on first use here when the same weights are installed."""
    if index_dir is not None:
        return index_dir / ONNX_DIR
    from briefing import config
    from briefing.embed.cache import cache_entry
    from briefing.embed.model import resolve_model

    sha = meta.get("model_sha256") or ""
    entry = cache_entry(config.cache_dir(), sha)
    if sha and not _export_current(sha, entry, meta.get("int8") == "1"):
        try:
            info = resolve_model(meta.get("model"))
        except ModelError:
            return entry  # query_embedder says what is missing
        if info.sha256 == sha:
            return ensure_export(info, None, meta.get("int8") == "1")
    return entry


def ensure_onnx(info: ModelInfo, root: Path, int8: bool = False) -> Path:
    """Give the index its own ONNX export of the model, so queries never need torch: kept when current, else a
    verified copy of this machine's cached export (see :func:`briefing.embed.cache.install_from_cache`), which is
    made once per machine and weights (10-20 s, needs torch). When the cache cannot be used, one warning line on
    stderr, and the model is exported straight into the index."""
    from briefing.embed import cache
    from briefing.embed import export

    out = root / ONNX_DIR
    if onnx_current(info.sha256, root, int8):
        meta = read_meta(out) or {}
        # An export that records its files must still have their sizes (a truncated copy is replaced); one made
        # before sizes were recorded is kept as it is.
        if "files" not in meta or export_problem(out, info.sha256, export.wanted_files(int8), hashes=False) is None:
            return out
    if info.sha256:
        try:
            return cache.install_from_cache(info.path, info.sha256, out, int8=int8, name=info.name)
        except cache.CacheUnusable as exc:
            print(f"warning: cannot use the model export cache ({exc}); exporting the model into the index instead",
                  file=sys.stderr)
    return export.export_onnx(info.path, out, name=info.name, quantize=int8)


def index_variant(meta: dict, backend: str, quantize: str) -> tuple[str, bool]:
    """The backend that embeds this run and whether its vectors are int8.

    int8 is fixed when the index is created (int8 and float vectors do not mix). Float vectors may come from any
    float backend on any run: ONNX fp32, torch bf16 and sentence-transformers agree to 0.9999 cosine. "auto" picks
    bf16 on CPUs with AMX-BF16, else ONNX (int8 where the CPU has VNNI, unless ``quantize`` says otherwise)."""
    from briefing.embed.cpu import cpu_supports_bf16, cpu_supports_int8

    def float_backend() -> str:
        return ("bf16" if cpu_supports_bf16() else "onnx") if backend == "auto" else backend

    if "int8" in meta:
        if meta["int8"] == "1":
            if backend in ("torch", "bf16"):
                raise UsageError("this index holds int8 ONNX vectors; index it with --backend onnx, or --rebuild")
            if quantize == "no":
                raise UsageError("this index was built with int8 vectors; add --rebuild to change that")
            return "onnx", True
        if quantize == "yes":
            raise UsageError("this index was built without int8 vectors; add --rebuild to change that")
        return float_backend(), False
    if quantize == "yes":
        if backend in ("torch", "bf16"):
            raise UsageError(f"--int8 yes needs --backend onnx (or auto), not {backend}")
        return "onnx", True
    if quantize == "no" or backend in ("torch", "bf16"):
        return float_backend(), False
    if backend == "auto" and cpu_supports_bf16():
        return "bf16", False
    return "onnx", cpu_supports_int8()


def needs_export(backend: str) -> bool:
    """Whether an index built by ``backend`` gets the model's ONNX export (queries always embed with it)."""
    return backend in ("onnx", "bf16")


def warm_imports(backend: str) -> tuple[str, ...]:
    """The slow imports ``backend`` will need, to start on a thread early."""
    return BF16_IMPORTS if backend == "bf16" else ()


def index_embedder(info: ModelInfo, root: Path | None, backend: str = "onnx", int8: bool = False) -> Embedder:
    """The embedder that builds an index: ONNX Runtime over the index's own export (fp32 or dynamic int8, see
    :func:`ensure_export`; ``root`` None for an index on a server), torch in bfloat16 ("bf16"), or
    sentence-transformers in float32 ("torch")."""
    if backend == "torch":
        from briefing.embed.st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(info)
    if backend == "bf16":
        from briefing.embed.bf16 import TorchEmbedder

        return TorchEmbedder(info.path, name=info.name)
    from briefing.embed.onnx import OnnxEmbedder

    return OnnxEmbedder(ensure_export(info, root, int8), quantized=int8)


def drop_broken_export(root: Path, int8: bool) -> None:
    """``--rebuild`` starts over with the model export too when the one in the index no longer loads (a damaged
    or truncated ``onnx/model.onnx``) or fails the sha256 its onnx.json records (other weights of the same size):
    it is removed here, and exported again."""
    from briefing.embed.export import wanted_files
    from briefing.embed.onnx import OnnxEmbedder

    if not (root / ONNX_DIR).is_dir():
        return
    meta = read_meta(root / ONNX_DIR) or {}
    try:
        if meta.get("files") and export_problem(root / ONNX_DIR, meta.get("source_sha256", ""), wanted_files(int8)):
            raise ModelError("the export fails its recorded checksums")
        OnnxEmbedder(root / ONNX_DIR, quantized=int8, threads=1)
    except ModelError:
        shutil.rmtree(root / ONNX_DIR, ignore_errors=True)


def query_embedder(meta: dict, export: Path) -> Embedder:
    """The embedder for queries against an index (its manifest ``meta``) whose model export is the folder ``export``
    (see :func:`query_export`): that ONNX export when it matches the model (no torch import), else
    sentence-transformers with the same weights."""
    from briefing.embed.model import resolve_model

    int8 = meta.get("int8") == "1"
    if meta.get("model_sha256") and _export_current(meta["model_sha256"], export, int8):
        from briefing.embed.onnx import OnnxEmbedder

        return OnnxEmbedder(export, quantized=int8)
    if int8:
        raise IndexError_(f"the int8 model export in {export}/ is missing; run `briefing index FOLDER` to restore it")
    info = resolve_model(meta.get("model"))
    if meta.get("model_sha256") and info.sha256 != meta["model_sha256"]:
        raise IndexError_(f"the model {info.name} on disk differs from the one that built this index; "
                          "run `briefing index --rebuild FOLDER`")
    from briefing.embed.st import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(info)
