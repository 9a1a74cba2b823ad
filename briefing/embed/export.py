"""Export a sentence-transformers model to ONNX (written from a plain BERT's weights, else traced), checked
against torch before use, and optionally quantised to int8."""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from briefing.embed.model import (META_FILE, META_VERSION, MODEL_FILE, MODEL_INT8_FILE, TOKENIZER_FILE,
                                  describe_model, file_sha256)
from briefing.embed.onnx import ort_session
from briefing.errors import ModelError


def _default_name(model_dir: Path) -> str:
    # Packaged models often live in a generic ".../<package>/model" folder; the package name says more.
    name = model_dir.name
    return model_dir.parent.name if name in {"model", "models", ""} else name


def _export_graph(model_dir: Path, onnx_path: Path) -> list[str]:
    """Write the transformer of ``model_dir`` as an ONNX graph to ``onnx_path``; return the graph's input names.

    A plain BERT (all-MiniLM-L6-v2 among them) is written out from its weights by :mod:`~briefing.embed.graph` in
    about a second; other architectures are traced through transformers by torch's exporter (6-8 s, most of it
    imports). Either way the graph is then checked against torch at shapes of its own, so a graph that baked in a
    shape, or got a layer wrong, fails here rather than producing wrong vectors later."""
    from briefing.embed.graph import plain_bert

    config = plain_bert(model_dir)
    return _torch_export(model_dir, onnx_path) if config is None else _bert_export(model_dir, onnx_path, config)


def _bert_export(model_dir: Path, onnx_path: Path, config: dict[str, Any]) -> list[str]:
    import onnx
    import torch

    from briefing.embed.graph import INPUTS, bert_graph, bert_weights
    from briefing.embed.bf16 import BertEncoder

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
    got = ort_session(onnx_path, threads=None).run(None, {n: t.numpy() for n, t in zip(names, inputs)})[0]
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
