"""Export a sentence-transformers model to ONNX once, then embed with onnxruntime + tokenizers + numpy only."""

from __future__ import annotations

import contextlib
import errno
import inspect
import json
import logging
import os
import platform
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from . import config
from .batched import BatchedEmbedder
from .embedder import ONNX_DIR, file_sha256
from .errors import ModelError

MODEL_FILE = "model.onnx"
MODEL_INT8_FILE = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "onnx.json"
META_VERSION = 1
# The remedy ModelError messages name for an index whose export is damaged.
REBUILD = "briefing index --rebuild FOLDER"
REBUILD_INT8 = "briefing index --rebuild --int8 yes FOLDER"

# Module types we can reproduce after the transformer; anything else (Dense, LayerNorm, ...) would make the ONNX
# vectors silently differ from the model's, so export refuses it.
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_POOLING_KEYS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
}



# --------------------------------------------------------------------------------------------------------- export


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; re-install or re-download the model") from exc


def describe_model(model_dir: Path) -> dict[str, Any]:
    """Read the sentence-transformers config files into the metadata stored next to the ONNX graph."""
    if not (model_dir / "config.json").is_file() or not (model_dir / TOKENIZER_FILE).is_file():
        raise ModelError(f"{model_dir} is not a model directory (needs config.json and tokenizer.json)")
    config = _read_json(model_dir / "config.json") or {}
    modules = _read_json(model_dir / "modules.json") or [{"type": _TRANSFORMER, "path": ""}]

    pooling_dir = None
    normalize = False
    for module in modules:
        kind = module.get("type", "")
        if kind == _POOLING:
            pooling_dir = model_dir / module.get("path", "1_Pooling")
        elif kind == _NORMALIZE:
            normalize = True
        elif kind != _TRANSFORMER:
            raise ModelError(f"{model_dir}: module {kind!r} is not supported by the ONNX export; use another model")

    pooling_cfg = (_read_json(pooling_dir / "config.json") if pooling_dir else None) or {}
    modes = [mode for key, mode in _POOLING_KEYS.items() if pooling_cfg.get(key)]
    # Any other mode flag that is on (lasttoken, weightedmean, ...) is one we cannot reproduce.
    modes += [k for k, v in pooling_cfg.items() if k.startswith("pooling_mode") and v and k not in _POOLING_KEYS]
    if len(modes) > 1 or (modes and modes[0] not in _POOLING_KEYS.values()):
        raise ModelError(f"{model_dir}: pooling {modes} is not supported by the ONNX export; use another model")
    pooling = modes[0] if modes else "mean"  # sentence-transformers' default when there is no Pooling config

    sbert = _read_json(model_dir / "sentence_bert_config.json") or {}
    max_positions = int(config.get("max_position_embeddings", 512))
    max_seq_length = int(sbert.get("max_seq_length") or max_positions)

    weights = next((model_dir / n for n in ("model.safetensors", "pytorch_model.bin") if (model_dir / n).is_file()),
                   None)
    if weights is None:
        raise ModelError(f"{model_dir} has no model.safetensors; re-install or re-download the model")

    return {
        "pooling": pooling,
        "max_seq_length": min(max_seq_length, max_positions),
        "do_lower_case": bool(sbert.get("do_lower_case", False)),
        "normalize": normalize,
        "dim": int(pooling_cfg.get("word_embedding_dimension") or config["hidden_size"]),
        "source_file": weights.name,
        "source_sha256": file_sha256(weights),
    }


def _default_name(model_dir: Path) -> str:
    # Packaged models often live in a generic ".../<package>/model" folder; the package name says more.
    name = model_dir.name
    return model_dir.parent.name if name in {"model", "models", ""} else name


def _export_graph(model_dir: Path, onnx_path: Path) -> list[str]:
    """Write the transformer of ``model_dir`` as an ONNX graph to ``onnx_path``; return the graph's input names.

    A plain BERT (all-MiniLM-L6-v2 among them) is written out from its weights by :mod:`~briefing.onnx_graph` in
    about a second; other architectures are traced through transformers by torch's exporter (6-8 s, most of it
    imports). Either way the graph is then checked against torch at shapes of its own, so a graph that baked in a
    shape, or got a layer wrong, fails here rather than producing wrong vectors later."""
    from .onnx_graph import plain_bert

    config = plain_bert(model_dir)
    return _torch_export(model_dir, onnx_path) if config is None else _bert_export(model_dir, onnx_path, config)


def _bert_export(model_dir: Path, onnx_path: Path, config: dict[str, Any]) -> list[str]:
    import onnx
    import torch

    from .onnx_graph import INPUTS, bert_graph, bert_weights
    from .torch_embed import BertEncoder

    weights = bert_weights(model_dir)
    try:
        onnx.save(bert_graph(config, weights), str(onnx_path))
    except KeyError as exc:
        raise ModelError(f"{model_dir / 'model.safetensors'} has no tensor {exc}") from exc
    encoder = BertEncoder.load(model_dir, torch.float32, weights)
    check = _dummy(3, 11, len(INPUTS))
    with torch.inference_mode():
        expected = encoder(*check).numpy()
    _verify(onnx_path, INPUTS, check, expected, model_dir)
    return INPUTS


def _dummy(batch: int, seq: int, inputs: int) -> tuple:
    """Model inputs for checking an export: random ids, a mask with one half-padded row, zero token types."""
    import torch

    ids = torch.randint(1000, 2000, (batch, seq), dtype=torch.long, generator=torch.Generator().manual_seed(seq))
    mask = torch.ones_like(ids)
    mask[-1, seq // 2:] = 0  # a padded row, so the mask really flows through the graph
    return (ids, mask, torch.zeros_like(ids))[:inputs]


def _verify(onnx_path: Path, names: list[str], inputs: tuple, expected: np.ndarray, model_dir: Path) -> None:
    """Raise :class:`ModelError` unless the graph at ``onnx_path`` gives ``expected`` for ``inputs``."""
    got = _ort_session(onnx_path, threads=None).run(None, {n: t.numpy() for n, t in zip(names, inputs)})[0]
    if got.shape != expected.shape or float(np.abs(got - expected).max()) > 1e-3:
        raise ModelError(f"ONNX export of {model_dir} does not reproduce the torch model; report this model")


def _torch_export(model_dir: Path, onnx_path: Path) -> list[str]:
    """Trace the transformer with the TorchScript exporter and write ``onnx_path`` (see :func:`_export_graph`)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # Eager attention traces to plain MatMul/Softmax, which onnxruntime runs faster than the SDPA graph and which
    # has no shape-dependent branches.
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager").eval()
    # DistilBERT-style models take no token_type_ids; feeding an input the graph lacks would fail at query time.
    uses_type_ids = "token_type_ids" in inspect.signature(model.forward).parameters and getattr(
        model.config, "type_vocab_size", 0) > 0
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if uses_type_ids else [])

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, args))).last_hidden_state

    # A fresh Module is in training mode, and the exporter restores the wrapper's mode recursively afterwards,
    # which would switch dropout on in the model used for the check below.
    wrapper = LastHidden(model).eval()
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        # Tracer and deprecation warnings are expected here and say nothing actionable to a CLI user.
        warnings.simplefilter("ignore")
        # dynamo=False selects the TorchScript exporter: it needs only the `onnx` package (the dynamo exporter
        # also needs onnxscript) and exports this model in ~2 s.
        torch.onnx.export(wrapper, _dummy(2, 16, len(names)), str(onnx_path), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)

        check = _dummy(3, 11, len(names))
        expected = wrapper(*check).numpy()
    _verify(onnx_path, names, check, expected, model_dir)
    return names


def _quantize(src: Path, dst: Path) -> None:
    """Dynamic int8 quantisation of the weight MatMuls, per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel scales keep MiniLM within ~0.99 cosine of fp32 on real text (per-tensor: ~0.94). Only MatMul is
    # quantised: the embedding Gathers gain no speed and lose accuracy.
    # The quantiser logs an advisory through the root logger, whose first use would also call basicConfig() and
    # change the CLI's logging for the rest of the process; a temporary handler and filter prevent both.
    root = logging.getLogger()
    handler, quiet = logging.NullHandler(), _DropRecords("Please consider to run pre-processing")
    root.addHandler(handler)
    root.addFilter(quiet)
    try:
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    finally:
        root.removeFilter(quiet)
        root.removeHandler(handler)


class _DropRecords(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


def _fsync_tree(root: Path) -> None:
    # Make the files durable before the rename publishes them, so a crash cannot expose empty files.
    for path in root.iterdir():
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def export_onnx(model_dir: Path, out_dir: Path, *, quantize: bool = False, name: str | None = None) -> Path:
    """Export a sentence-transformers model directory to ``out_dir`` for :class:`OnnxEmbedder`; return ``out_dir``.

    Writes ``model.onnx`` (dynamic batch and sequence axes; inputs ``input_ids``, ``attention_mask`` and, for
    BERT-like models, ``token_type_ids``; output ``last_hidden_state``), ``tokenizer.json`` and ``onnx.json``
    (pooling, max_seq_length, normalize, dim, sha256 of the source weights, quantized flag, name, and ``files``:
    the size and sha256 of each file beside it); with ``quantize=True`` also ``model_int8.onnx``. Everything is
    built in a temporary sibling directory that is renamed into place, so ``out_dir`` is either absent, the previous
    export, or complete. An existing ``out_dir`` is replaced. Needs onnx and torch, and transformers for models other
    than plain BERT (imported here only); raises :class:`ModelError`.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    meta = {"version": META_VERSION, "name": name or _default_name(model_dir), **describe_model(model_dir)}
    with _staged(out_dir) as tmp:
        meta["inputs"] = _export_graph(model_dir, tmp / MODEL_FILE)
        if quantize:
            _quantize(tmp / MODEL_FILE, tmp / MODEL_INT8_FILE)
        meta["quantized"] = bool(quantize)
        shutil.copyfile(model_dir / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
        meta["files"] = {n: _file_record(tmp / n) for n in wanted_files(quantize)}
        _write_meta(tmp / META_FILE, meta)
    return out_dir


@contextlib.contextmanager
def _staged(out_dir: Path) -> Iterator[Path]:
    """A temporary sibling of ``out_dir`` to build an export in. When the block ends normally its files are synced
    and it replaces ``out_dir`` (see :func:`_publish`); on any failure it is deleted and ``out_dir`` is untouched."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
        _fsync_tree(tmp)
        _publish(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def wanted_files(int8: bool) -> tuple[str, ...]:
    """The model files an export needs besides onnx.json: the fp32 graph and tokenizer, and the int8 graph if asked."""
    return (MODEL_FILE, TOKENIZER_FILE, MODEL_INT8_FILE) if int8 else (MODEL_FILE, TOKENIZER_FILE)


def _file_record(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": file_sha256(path)}


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _publish(tmp: Path, out_dir: Path) -> None:
    # os.replace cannot overwrite a non-empty directory: move the old export aside first and delete it only once
    # the new one is in place, so a failure here still leaves a complete export (old or new) or none.
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, old / "export")
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old / "export", out_dir)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------- cache
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


def read_meta(onnx_dir: Path) -> dict[str, Any] | None:
    """An export's onnx.json, or None when it is missing, unreadable or not a JSON object (never raises)."""
    try:
        meta = json.loads((onnx_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def export_problem(onnx_dir: Path, source_sha256: str, names: Sequence[str], *, hashes: bool = True) -> str | None:
    """Why ``onnx_dir`` is not an intact export of the weights ``source_sha256`` holding the files ``names``, or
    None when it is: onnx.json must be of this format, for these weights, and record each file's size and sha256,
    which the file must have. ``hashes=False`` checks sizes only (the sha256 of the fp32 and int8 MiniLM graphs,
    ~150 MB, takes ~0.2 s from the page cache)."""
    meta = read_meta(onnx_dir)
    if meta is None:
        return f"no readable {META_FILE}"
    if meta.get("version") != META_VERSION or meta.get("source_sha256") != source_sha256:
        return f"{META_FILE} is for another format or model"
    files = meta.get("files") if isinstance(meta.get("files"), dict) else {}
    for name in names:
        record = files.get(name)
        if not isinstance(record, dict):
            return f"{name} is not recorded in {META_FILE}"
        try:
            size = (onnx_dir / name).stat().st_size
            if size != record.get("size"):
                return f"{name} has {size} bytes, not {record.get('size')}"
            if hashes and file_sha256(onnx_dir / name) != record.get("sha256"):
                return f"{name} fails its sha256 check"
        except OSError as exc:
            return f"{name}: {exc.strerror or exc}"
    return None


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
        return export_onnx(model_dir, entry, quantize=int8, name=name)
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


# ---------------------------------------------------------------------------------------------------------- query


def _ort_session(path: Path, threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1  # the graph is one sequential chain; a second pool only adds threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # its warnings (e.g. unused initialisers) are noise for CLI users
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder(BatchedEmbedder):
    """Sentence embeddings from an :func:`export_onnx` directory, using onnxruntime, tokenizers and numpy only."""

    def __init__(self, onnx_dir: Path, *, quantized: bool = False, threads: int | None = None) -> None:
        """Load ``onnx_dir``; ``quantized`` selects ``model_int8.onnx``; ``threads`` defaults to ``os.cpu_count()``.

        Raises :class:`ModelError` when the export is missing, incomplete or from a newer format.
        """
        onnx_dir = Path(onnx_dir)
        meta = _read_json(onnx_dir / META_FILE)
        if not isinstance(meta, dict):
            raise ModelError(f"no ONNX export at {onnx_dir}; run `{REBUILD}` to export the model again")
        if meta.get("version") != META_VERSION:
            raise ModelError(f"{onnx_dir}: ONNX export format {meta.get('version')!r} is not supported; run "
                             f"`{REBUILD}`")
        model_path = onnx_dir / (MODEL_INT8_FILE if quantized else MODEL_FILE)
        if not model_path.is_file():
            raise ModelError(f"{model_path} is missing; run `{REBUILD_INT8 if quantized else REBUILD}`")

        try:
            self.dim: int = int(meta["dim"])
            self.max_tokens: int = int(meta["max_seq_length"])
            self.name: str = str(meta["name"]) + ("+int8" if quantized else "")
            self._pooling: str = str(meta["pooling"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{onnx_dir / META_FILE} is incomplete ({exc}); run `{REBUILD}`") from exc
        self.meta: dict[str, Any] = meta
        self.quantized = quantized
        self._lower: bool = bool(meta.get("do_lower_case"))

        try:
            self._init_tokenizer(onnx_dir / TOKENIZER_FILE)
            self._session = _ort_session(model_path, threads)
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise ModelError(f"cannot load the ONNX model in {onnx_dir}: {exc}; run `{REBUILD}`") from exc
        self._inputs = [i.name for i in self._session.get_inputs()]

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, {n: feed[n] for n in self._inputs})[0]


# ------------------------------------------------------------------------------------------------------------ cpu


def _int8_ok(cpuinfo: str, machine: str) -> bool:
    """Decide from /proc/cpuinfo text and the machine name; see :func:`cpu_supports_int8`."""
    machine = machine.lower()
    words = set(cpuinfo.lower().split())
    if machine in {"x86_64", "amd64", "i686", "i386"}:
        return bool(words & {"avx512_vnni", "avx_vnni", "avx512vnni", "avxvnni"})
    if machine in {"aarch64", "arm64"}:
        # Apple silicon has no /proc/cpuinfo but always has the dot-product instructions.
        return "asimddp" in words or (not cpuinfo and machine == "arm64")
    return False


def cpu_supports_int8() -> bool:
    """Whether dynamic-int8 ONNX inference is both fast and accurate on this CPU.

    onnxruntime runs int8 MatMuls as u8 activations x s8 weights. On x86 that is only exact and fast with VNNI
    (``avx512_vnni`` or ``avx_vnni``); plain AVX2 uses an int16 multiply-add that can saturate and distort
    results, and older CPUs gain little. On ARM it needs the dot-product extension (``asimddp``). Anything
    else, or an unreadable /proc/cpuinfo on x86, returns False so callers stay on fp32.
    """
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""
    return _int8_ok(cpuinfo, platform.machine())
