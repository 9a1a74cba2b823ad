"""Passage embeddings with torch + transformers in bfloat16, for building an index on CPUs with AMX.

On a CPU with AMX-BF16 tiles (Intel Sapphire Rapids and later), oneDNN runs bfloat16 matrix products several times
faster than float32. The token states are pooled and normalised in float32, so the vectors stay within 0.999 cosine
of the float32 model (tested; 0.9999 on real passages) and queries embedded by the float32 ONNX export match them.
Measured on the project's machine: about 43 passages/s against 18 in float32 and about 30 for the int8 ONNX model
(README, Performance). Imports torch and transformers, so it is only used at index time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .batched import BatchedEmbedder
from .errors import ModelError


class TorchEmbedder(BatchedEmbedder):
    """The model of a sentence-transformers directory run by transformers (SDPA attention), under bfloat16 autocast
    when ``bf16``; tokenization, pooling and normalisation as in :class:`~briefing.onnx_embed.OnnxEmbedder`."""

    def __init__(self, model_dir: Path, *, name: str, bf16: bool = True) -> None:
        from .onnx_embed import describe_model

        model_dir = Path(model_dir)
        meta = describe_model(model_dir)
        self.dim = int(meta["dim"])
        self.max_tokens = int(meta["max_seq_length"])
        self._pooling = str(meta["pooling"])
        self._lower = bool(meta.get("do_lower_case"))
        self.bf16 = bf16
        self.name = name + ("+bf16" if bf16 else "")
        self._init_tokenizer(model_dir / "tokenizer.json")
        for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                           ("TOKENIZERS_PARALLELISM", "false")):
            os.environ.setdefault(key, value)
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise on a CLI's stderr
        self._torch = torch
        try:
            model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="sdpa").eval()
        except Exception as exc:  # any loader failure is the model's, not ours
            raise ModelError(f"cannot load model {name}: {str(exc).splitlines()[0]}") from exc
        # Weights in bfloat16 too (not only autocast's matrix products): 9% faster here, still >= 0.9999 cosine to
        # float32 on 320 news passages, since the token states are pooled and normalised in float32.
        self._model = model.to(torch.bfloat16) if bf16 else model
        self._type_ids = getattr(self._model.config, "type_vocab_size", 0) > 0

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self._torch
        inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if self._type_ids:
            inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return self._model(**inputs).last_hidden_state.float().numpy()


def cpu_supports_bf16() -> bool:
    """Whether this CPU has AMX-BF16 tiles (``amx_bf16`` in /proc/cpuinfo), where bfloat16 indexing pays off.

    AVX512-BF16 alone only converts and dots vectors and gains far less; anything else, or no /proc/cpuinfo,
    returns False so indexing stays on ONNX Runtime."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bf16_ok(cpuinfo)


def bf16_ok(cpuinfo: str) -> bool:
    """Decide from /proc/cpuinfo text; see :func:`cpu_supports_bf16`."""
    return "amx_bf16" in cpuinfo.lower().split()
