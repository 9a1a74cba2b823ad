"""BERT's forward pass written as an ONNX graph straight from the model's safetensors, for the query-time export.

Tracing the model with torch's exporter needs torch, transformers and its model classes (about 6 s to import
and trace on the 2-core machine in the README); the graph here is built with the ``onnx`` package from the weights in
well under a second. The graph is the one the TorchScript exporter writes for transformers' ``BertModel`` with eager
attention: inputs ``input_ids`` and ``attention_mask`` (batch and sequence axes dynamic), output
``last_hidden_state``; MatMul + Add per linear layer (so the int8 quantiser finds its weights), GELU as
``x * 0.5 * (1 + erf(x / sqrt 2))`` (which ONNX Runtime fuses into BiasGelu), LayerNormalization. Token types are all 0 for
sentence embeddings, so the type embedding is folded into the position table.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

INPUTS = ["input_ids", "attention_mask"]
OPSET = 17  # LayerNormalization; IR version 8 for ONNX Runtimes from 1.14 on
IR_VERSION = 8


def plain_bert(model_dir: Path) -> dict[str, Any] | None:
    """``config.json`` of ``model_dir`` when it is a plain BERT (post-LayerNorm, absolute positions, exact GELU)
    with safetensors weights, the models :func:`bert_graph` and ``torch_embed.BertEncoder`` run; else None."""
    config_file, weights_file = Path(model_dir) / "config.json", Path(model_dir) / "model.safetensors"
    if not (config_file.is_file() and weights_file.is_file()):
        return None
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if (config.get("model_type") != "bert" or config.get("hidden_act") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"):
        return None
    return config


def bert_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """The tensors of a plain BERT's ``model.safetensors`` as numpy arrays, named without the ``bert.`` prefix that
    some checkpoints carry (read once, for both :func:`bert_graph` and ``torch_embed.BertEncoder``)."""
    from safetensors.numpy import load_file

    return {k.removeprefix("bert."): v for k, v in load_file(str(Path(model_dir) / "model.safetensors")).items()}


def bert_graph(config: dict[str, Any], w: dict[str, np.ndarray]):
    """The ``onnx.ModelProto`` of the plain BERT with ``config`` (see :func:`plain_bert`) and weights ``w``
    (:func:`bert_weights`). Raises KeyError for a missing tensor."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    nodes: list = []
    inits: dict[str, np.ndarray] = {}

    def const(name: str, value) -> str:
        inits[name] = np.asarray(value)
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, prefix: str, out: str) -> str:
        weight = const(prefix + ".weight", np.ascontiguousarray(_f32(w, prefix + ".weight").T))
        product = node("MatMul", [x, weight], out + ".matmul")
        return node("Add", [product, const(prefix + ".bias", _f32(w, prefix + ".bias"))], out)

    def norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, const(prefix + ".weight", _f32(w, prefix + ".weight")),
                                           const(prefix + ".bias", _f32(w, prefix + ".bias"))], out, axis=-1,
                    epsilon=eps)

    e = "embeddings."
    const("positions", _f32(w, e + "position_embeddings.weight") + _f32(w, e + "token_type_embeddings.weight")[0])
    const("zero", np.array(0, dtype=np.int64))
    const("one", np.array(1, dtype=np.int64))
    length = node("Gather", [node("Shape", ["input_ids"], "shape"), "one"], "length", axis=0)
    position = node("Gather", ["positions", node("Range", ["zero", length, "one"], "position_ids")], "position")
    words = node("Gather", [const("words", _f32(w, e + "word_embeddings.weight")), "input_ids"], "word")
    x = norm(node("Add", [words, position], "embedded"), e + "LayerNorm", "embeddings")
    # (1 - mask) * float32 min, broadcast over heads and query positions: what BertModel adds to the scores.
    keep = node("Cast", ["attention_mask"], "mask.float", to=TensorProto.FLOAT)
    blocked = node("Sub", [const("float.one", np.array(1.0, np.float32)), keep], "mask.blocked")
    bias = node("Unsqueeze", [node("Mul", [blocked, const("float.min", np.array(np.finfo(np.float32).min,
                                                                                    np.float32))], "mask.bias2d"),
                              const("axes.heads", np.array([1, 2], dtype=np.int64))], "mask.bias")
    split_heads = const("shape.heads", np.array([0, 0, heads, hidden // heads], dtype=np.int64))
    merge_heads = const("shape.hidden", np.array([0, 0, hidden], dtype=np.int64))
    const("sqrt.head", np.array(math.sqrt(hidden // heads), np.float32))
    const("sqrt.two", np.array(math.sqrt(2.0), np.float32))
    const("half", np.array(0.5, np.float32))
    for i in range(int(config["num_hidden_layers"])):
        p, a = f"encoder.layer.{i}.", f"layer{i}."

        def heads_of(x: str, part: str, perm: list[int]) -> str:
            projected = linear(x, p + f"attention.self.{part}", a + part)
            return node("Transpose", [node("Reshape", [projected, split_heads], a + part + ".heads")],
                        a + part + ".t", perm=perm)

        q, k, v = (heads_of(x, "query", [0, 2, 1, 3]), heads_of(x, "key", [0, 2, 3, 1]),
                   heads_of(x, "value", [0, 2, 1, 3]))
        scores = node("Div", [node("MatMul", [q, k], a + "qk"), "sqrt.head"], a + "scores")
        probs = node("Softmax", [node("Add", [scores, bias], a + "masked")], a + "probs", axis=-1)
        context = node("Reshape", [node("Transpose", [node("MatMul", [probs, v], a + "pv")], a + "pv.t",
                                        perm=[0, 2, 1, 3]), merge_heads], a + "context")
        attended = node("Add", [linear(context, p + "attention.output.dense", a + "attn_out"), x], a + "attn_res")
        x = norm(attended, p + "attention.output.LayerNorm", a + "attn_norm")
        up = linear(x, p + "intermediate.dense", a + "up")
        erf = node("Erf", [node("Div", [up, "sqrt.two"], a + "gelu.div")], a + "gelu.erf")
        gelu = node("Mul", [node("Mul", [up, node("Add", [erf, "float.one"], a + "gelu.add")], a + "gelu.mul"),
                            "half"], a + "gelu")
        down = node("Add", [linear(gelu, p + "output.dense", a + "down"), x], a + "out_res")
        x = norm(down, p + "output.LayerNorm", "last_hidden_state" if i == int(config["num_hidden_layers"]) - 1
                 else a + "out_norm")

    dims = ["batch", "sequence"]
    graph = helper.make_graph(
        nodes, "bert",
        [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in INPUTS],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [*dims, hidden])],
        initializer=[numpy_helper.from_array(value, name) for name, value in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="briefing")
    model.ir_version = IR_VERSION  # ONNX Runtime loading the graph and the export's numeric check validate it
    return model


def _f32(weights: dict[str, np.ndarray], key: str) -> np.ndarray:
    return np.ascontiguousarray(weights[key], dtype=np.float32)
