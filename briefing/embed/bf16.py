"""Passage embeddings with torch in bfloat16, for building an index on CPUs with AMX.

On a CPU with AMX-BF16 tiles (Intel Sapphire Rapids and later), oneDNN runs bfloat16 matrix products several times
faster than float32. The token states are pooled and normalised in float32, so the vectors stay within 0.999 cosine
of the float32 model (tested) and queries embedded by the float32 ONNX export match them. Imports torch, so it is only
used at index time.

BERT-family models (all-MiniLM-L6-v2 among them) run through :class:`BertEncoder`, BERT's forward pass written out in
plain torch over the model's safetensors: it needs neither transformers nor its model registry, which took 9 of the
12 s the backend needed to start, and it runs each layer's query, key and value products as one. Other architectures
load through transformers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from briefing.embed.batched import BatchedEmbedder
from briefing.errors import ModelError
from briefing.embed.graph import bert_weights, plain_bert


class TorchEmbedder(BatchedEmbedder):
    """The transformer of a sentence-transformers directory run by torch, in bfloat16 when ``bf16``; tokenization,
    pooling and normalisation as in :class:`~briefing.embed.onnx.OnnxEmbedder`."""

    def __init__(self, model_dir: Path, *, name: str, bf16: bool = True) -> None:
        from briefing.embed.model import describe_model

        model_dir = Path(model_dir)
        meta = describe_model(model_dir)
        self.dim = int(meta["dim"])
        self.max_tokens = int(meta["max_seq_length"])
        self._pooling = str(meta["pooling"])
        self._lower = bool(meta.get("do_lower_case"))
        self.name = name + ("+bf16" if bf16 else "")
        self._init_tokenizer(model_dir / "tokenizer.json")
        import torch

        self._torch = torch
        dtype = torch.bfloat16 if bf16 else torch.float32
        try:
            self._encoder = BertEncoder.load(model_dir, dtype) or _transformers_encoder(model_dir, dtype)
        except ModelError:
            raise
        except Exception as exc:  # any loader failure is the model's, not ours
            raise ModelError(f"cannot load model {name}: {str(exc).splitlines()[0]}") from exc

    def _states(self, ids: np.ndarray, mask: np.ndarray):
        """The token states as a float32 torch tensor (call under ``inference_mode``)."""
        return self._encoder(self._torch.from_numpy(ids), self._torch.from_numpy(mask)).float()

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self._torch.inference_mode():
            return self._states(ids, mask).numpy()

    def _pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._pooling != "mean":
            return super()._pooled(ids, mask)
        torch = self._torch
        with torch.inference_mode():
            # Mean pooling as one batched product in float32, where the states are (a quarter of numpy's time).
            weights = torch.from_numpy(mask).to(torch.float32).unsqueeze(1)
            summed = torch.bmm(weights, self._states(ids, mask)).squeeze(1)
            return (summed / weights.sum(-1).clamp_min(1e-9)).numpy()


# What the bf16 backend imports (the indexer starts these early, on a thread, while it chunks).
IMPORTS = ("torch", "safetensors.numpy")

# Batches are padded (and the padding masked) to a multiple of this many tokens: torch's CPU flash attention is up
# to twice as fast on such lengths (250 tokens: 48 ms, 256: 29 ms for 32 passages here), which outweighs the extra
# tokens in the other layers (index build +18% passages/s measured).
LENGTH_MULTIPLE = 32


class BertEncoder:
    """BERT's encoder (post-LayerNorm, absolute positions, GELU) in plain torch: ``encoder(ids, mask)`` returns the
    last hidden states ``(batch, seq, hidden)`` like transformers' ``BertModel`` (equal in float32, tested)."""

    def __init__(self, config: dict, weights: dict, dtype) -> None:
        import torch

        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dtype = dtype
        self._ops = linear_ops(torch, dtype)

        def get(key: str):
            return weights[key].to(dtype).contiguous()

        # The embedding sum and its LayerNorm stay in float32 (a gather, cheap); the layers run in ``dtype``.
        e = "embeddings."
        self.word = weights[e + "word_embeddings.weight"].float()
        self.position = weights[e + "position_embeddings.weight"].float()
        self.token_type = weights[e + "token_type_embeddings.weight"][0].float()
        self.embed_norm = (weights[e + "LayerNorm.weight"].float(), weights[e + "LayerNorm.bias"].float())
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
            self.layers.append({
                "qkv": (torch.cat([weights[k + ".weight"] for k in qkv]).to(dtype).contiguous(),
                        torch.cat([weights[k + ".bias"] for k in qkv]).to(dtype).contiguous()),
                "attn_out": (get(p + "attention.output.dense.weight"), get(p + "attention.output.dense.bias")),
                "attn_norm": (get(p + "attention.output.LayerNorm.weight"), get(p + "attention.output.LayerNorm.bias")),
                "up": (get(p + "intermediate.dense.weight"), get(p + "intermediate.dense.bias")),
                "down": (get(p + "output.dense.weight"), get(p + "output.dense.bias")),
                "out_norm": (get(p + "output.LayerNorm.weight"), get(p + "output.LayerNorm.bias")),
            })

    @classmethod
    def load(cls, model_dir: Path, dtype, weights: dict | None = None) -> "BertEncoder | None":
        """The encoder of ``model_dir`` if it is a plain BERT with safetensors weights, else None. ``weights`` are
        its tensors as :func:`~briefing.embed.graph.bert_weights` gives them, when the caller has read them already."""
        config = plain_bert(model_dir)
        if config is None:
            return None
        import torch

        arrays = bert_weights(model_dir) if weights is None else weights
        try:
            return cls(config, {k: torch.from_numpy(v) for k, v in arrays.items()}, dtype)
        except KeyError as exc:
            raise ModelError(f"{Path(model_dir) / 'model.safetensors'} has no tensor {exc}") from exc

    def __call__(self, ids, mask):
        import torch.nn.functional as F

        length = ids.shape[1]
        padded = -(-length // LENGTH_MULTIPLE) * LENGTH_MULTIPLE
        if padded != length and padded <= self.position.shape[0]:
            ids, mask = F.pad(ids, (0, padded - length)), F.pad(mask, (0, padded - length))
        return self._forward(ids, mask)[:, :length]

    def _forward(self, ids, mask):
        import torch.nn.functional as F

        batch, length = ids.shape
        hidden = self.word.shape[1]
        x = self.word[ids] + self.position[:length] + self.token_type
        x = F.layer_norm(x, (hidden,), *self.embed_norm, eps=self.eps).to(self.dtype)
        # Padding is masked out of attention (a batch without any needs no mask).
        keep = None if bool(mask.all()) else mask.bool()[:, None, None, :]
        shape = (batch, length, 3, self.heads, hidden // self.heads)
        linear, linear_gelu, linear_add = self._ops
        for layer in self.layers:
            q, k, v = linear(x, *layer["qkv"]).view(shape).permute(2, 0, 3, 1, 4)
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(x.shape)
            x = F.layer_norm(linear_add(context, x, *layer["attn_out"]), (hidden,), *layer["attn_norm"], eps=self.eps)
            up = linear_gelu(x, *layer["up"])
            x = F.layer_norm(linear_add(up, x, *layer["down"]), (hidden,), *layer["out_norm"], eps=self.eps)
        return x


def linear_ops(torch, dtype) -> tuple:
    """``(linear, linear + GELU, linear + residual add)``: oneDNN's fused kernels where this torch has them and they
    agree with the plain ops on a small case (the bias add, the GELU and the residual add then ride on the matrix
    product instead of three more passes over memory: about 10% of a bfloat16 forward here), else plain torch."""
    import torch.nn.functional as F

    plain = (F.linear, lambda x, w, b: F.gelu(F.linear(x, w, b)), lambda x, other, w, b: F.linear(x, w, b) + other)
    fused_op = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
    if fused_op is None:
        return plain
    fused = (lambda x, w, b: fused_op(x, w, b, "none", [], ""),
             lambda x, w, b: fused_op(x, w, b, "gelu", [], "none"),
             lambda x, other, w, b: fused_op.binary(x, other, w, b, "add"))
    gen = torch.Generator().manual_seed(0)
    x, other = torch.randn(4, 8, 16, generator=gen).to(dtype), torch.randn(4, 8, 32, generator=gen).to(dtype)
    w, b = torch.randn(32, 16, generator=gen).to(dtype), torch.randn(32, generator=gen).to(dtype)
    tolerance = 1e-4 if dtype == torch.float32 else 0.1
    try:
        with torch.inference_mode():
            agree = all(torch.allclose(f(*args).float(), p(*args).float(), atol=tolerance, rtol=tolerance)
                        for f, p, args in zip(fused, plain, ((x, w, b), (x, w, b), (x, other, w, b))))
    except Exception:  # not built with oneDNN, or an older signature
        return plain
    return fused if agree else plain


def _transformers_encoder(model_dir: Path, dtype):
    """Any other architecture: transformers' AutoModel (SDPA attention) in ``dtype``."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TRANSFORMERS_VERBOSITY", "error")):
        os.environ.setdefault(key, value)
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise on a CLI's stderr
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="sdpa").eval().to(dtype)
    type_ids = getattr(model.config, "type_vocab_size", 0) > 0

    def encode(ids, mask):
        extra = {"token_type_ids": torch.zeros_like(ids)} if type_ids else {}
        return model(input_ids=ids, attention_mask=mask, **extra).last_hidden_state

    return encode
