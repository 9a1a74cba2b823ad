"""Embed with ONNX Runtime + tokenizers + numpy only, from an export of the model (see :mod:`briefing.embed.export`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from briefing.embed.batched import BatchedEmbedder
from briefing.embed.model import (META_FILE, META_VERSION, MODEL_FILE, MODEL_INT8_FILE, REBUILD, REBUILD_INT8,
                                  TOKENIZER_FILE, _read_json)
from briefing.errors import ModelError


def ort_session(path: Path, threads: int | None):
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
            self._session = ort_session(model_path, threads)
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise ModelError(f"cannot load the ONNX model in {onnx_dir}: {exc}; run `{REBUILD}`") from exc
        self._inputs = [i.name for i in self._session.get_inputs()]

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, {n: feed[n] for n in self._inputs})[0]
