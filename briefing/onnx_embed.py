"""Export a sentence-transformers model to ONNX once, then embed with onnxruntime + tokenizers + numpy only."""

from __future__ import annotations

import inspect
import json
import logging
import os
import platform
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .embedder import file_sha256
from .errors import ModelError

MODEL_FILE = "model.onnx"
MODEL_INT8_FILE = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "onnx.json"
META_VERSION = 1

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

# Texts are tokenized this many at a time: the length sort then works within a window, and memory for the
# tokenizers' Encoding objects stays bounded however many texts the caller passes.
_TOKENIZE_WINDOW = 4096


# --------------------------------------------------------------------------------------------------------- export


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; re-install or re-download the model") from exc


def _describe_model(model_dir: Path) -> dict[str, Any]:
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


def _torch_export(model_dir: Path, onnx_path: Path) -> list[str]:
    """Trace the transformer with the TorchScript exporter and write ``onnx_path``; return the graph's input names.

    Also checks the graph against torch at shapes other than the traced ones, so a trace that baked in a shape
    fails here rather than producing wrong vectors later.
    """
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

    def dummy(batch: int, seq: int) -> tuple[torch.Tensor, ...]:
        ids = torch.randint(1000, 2000, (batch, seq), dtype=torch.long, generator=torch.Generator().manual_seed(seq))
        mask = torch.ones_like(ids)
        mask[-1, seq // 2:] = 0  # a padded row, so the mask really flows through the traced graph
        return (ids, mask, torch.zeros_like(ids))[: len(names)]

    # A fresh Module is in training mode, and the exporter restores the wrapper's mode recursively afterwards,
    # which would switch dropout on in the model used for the check below.
    wrapper = LastHidden(model).eval()
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        # Tracer and deprecation warnings are expected here and say nothing actionable to a CLI user.
        warnings.simplefilter("ignore")
        # dynamo=False selects the TorchScript exporter: it needs only the `onnx` package (the dynamo exporter
        # also needs onnxscript) and exports this model in ~2 s.
        torch.onnx.export(wrapper, dummy(2, 16), str(onnx_path), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)

        check = dummy(3, 11)
        expected = wrapper(*check).numpy()
    got = _ort_session(onnx_path, threads=None).run(None, {n: t.numpy() for n, t in zip(names, check)})[0]
    if got.shape != expected.shape or float(np.abs(got - expected).max()) > 1e-3:
        raise ModelError(f"ONNX export of {model_dir} does not reproduce the torch model; report this model")
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
    (pooling, max_seq_length, normalize, dim, sha256 of the source weights, quantized flag, name); with
    ``quantize=True`` also ``model_int8.onnx``. Everything is built in a temporary sibling directory that is
    renamed into place, so ``out_dir`` is either absent, the previous export, or complete. An existing ``out_dir``
    is replaced. Needs torch, transformers and onnx (imported here only); raises :class:`ModelError`.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    meta = {"version": META_VERSION, "name": name or _default_name(model_dir), **_describe_model(model_dir)}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        meta["inputs"] = _torch_export(model_dir, tmp / MODEL_FILE)
        if quantize:
            _quantize(tmp / MODEL_FILE, tmp / MODEL_INT8_FILE)
        meta["quantized"] = bool(quantize)
        shutil.copyfile(model_dir / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
        _write_meta(tmp / META_FILE, meta)
        _fsync_tree(tmp)
        _publish(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


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


# ---------------------------------------------------------------------------------------------------------- query


def _ort_session(path: Path, threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1  # the graph is one sequential chain; a second pool only adds threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # its warnings (e.g. unused initialisers) are noise for CLI users
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """Sentence embeddings from an :func:`export_onnx` directory, using onnxruntime, tokenizers and numpy only."""

    def __init__(self, onnx_dir: Path, *, quantized: bool = False, threads: int | None = None) -> None:
        """Load ``onnx_dir``; ``quantized`` selects ``model_int8.onnx``; ``threads`` defaults to ``os.cpu_count()``.

        Raises :class:`ModelError` when the export is missing, incomplete or from a newer format.
        """
        from tokenizers import Tokenizer

        onnx_dir = Path(onnx_dir)
        meta = _read_json(onnx_dir / META_FILE)
        if not isinstance(meta, dict):
            raise ModelError(f"no ONNX export at {onnx_dir}; rebuild the index to re-export the model")
        if meta.get("version") != META_VERSION:
            raise ModelError(f"{onnx_dir}: ONNX export format {meta.get('version')!r} is not supported; rebuild "
                             "the index")
        model_path = onnx_dir / (MODEL_INT8_FILE if quantized else MODEL_FILE)
        if not model_path.is_file():
            hint = "export with quantize=True" if quantized else "rebuild the index"
            raise ModelError(f"{model_path} is missing; {hint}")

        try:
            self.dim: int = int(meta["dim"])
            self.max_tokens: int = int(meta["max_seq_length"])
            self.name: str = str(meta["name"]) + ("+int8" if quantized else "")
            self._pooling: str = str(meta["pooling"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{onnx_dir / META_FILE} is incomplete ({exc}); rebuild the index") from exc
        self.meta: dict[str, Any] = meta
        self.quantized = quantized
        self._lower: bool = bool(meta.get("do_lower_case"))

        try:
            self._tokenizer = Tokenizer.from_file(str(onnx_dir / TOKENIZER_FILE))
            self._session = _ort_session(model_path, threads)
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise ModelError(f"cannot load the ONNX model in {onnx_dir}: {exc}; rebuild the index") from exc
        # tokenizer.json carries its own truncation/padding (128 and fixed-length padding for all-MiniLM);
        # sentence-transformers truncates at max_seq_length instead, and we pad per batch ourselves.
        padding = self._tokenizer.padding or {}
        pad = padding.get("pad_id", self._tokenizer.token_to_id("[PAD]"))
        self._pad_id = 0 if pad is None else int(pad)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._inputs = [i.name for i in self._session.get_inputs()]

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts``; return float32 ``(len(texts), dim)`` with L2-normalised rows, in the input order.

        Texts longer than ``max_tokens`` tokens are truncated. Rows are always normalised (the index compares by
        inner product), whether or not the source model had a Normalize module.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batch_size = max(1, int(batch_size))
        for start in range(0, len(texts), _TOKENIZE_WINDOW):
            window = [t.lower() if self._lower else t for t in texts[start:start + _TOKENIZE_WINDOW]]
            encodings = self._tokenizer.encode_batch(window)
            # Sorting by length means each batch pads to a similar length, so little compute goes to padding.
            order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
            for b in range(0, len(order), batch_size):
                idx = order[b:b + batch_size]
                out[[start + i for i in idx]] = self._embed_batch([encodings[i] for i in idx])
        return out

    def _embed_batch(self, encodings: list) -> np.ndarray:
        length = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {n: feed[n] for n in self._inputs})[0]
        vectors = _pool(hidden, mask, self._pooling)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Reduce token states ``(batch, seq, dim)`` to one vector per row, ignoring padding like sentence-transformers."""
    if mode == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max":
        return np.where(weights > 0, hidden, np.float32(-1e9)).max(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    summed = (hidden * weights).sum(axis=1)
    return summed / (np.sqrt(counts) if mode == "mean_sqrt_len" else counts)


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
