"""Which sources the memo's fluency check flags, measured on folders of articles.

    python benchmarks/source_quality.py examples/articles ../shared/corpus/realtimeqa-2025-01 [--json OUT]

Every article is scored by the smallest installed local model (``memo/fluency.py``) and compared, as the memo does,
with the median of the articles of its ISO week (undated articles: with the other undated ones of their folder).
Prints each week's median, every article at or above ``quality.RATIO`` times it (to check by hand), and how the
ratios spread. Needs ``briefing local install``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.ingest.loaders import load_file  # noqa: E402
from briefing.memo import quality  # noqa: E402
from briefing.memo.fluency import local_scorer, sample  # noqa: E402


def report(rows: list[dict], field: str, how: str) -> None:
    ratios = sorted(r[field] for r in rows if r[field])
    flagged = [r for r in rows if r[field] and r[field] >= quality.RATIO]
    print(f"\n{len(rows)} articles, {len(ratios)} compared {how}: {len(flagged)} at or above {quality.RATIO}x "
          f"({len(flagged) / max(1, len(ratios)):.1%})")
    if ratios:
        pct = {p: ratios[min(len(ratios) - 1, int(p / 100 * len(ratios)))] for p in (50, 90, 95, 98, 99)}
        print("  ratio: " + ", ".join(f"p{p} {v:.2f}" for p, v in pct.items()) + f", max {ratios[-1]:.2f}")
    for r in sorted(flagged, key=lambda r: -r[field]):
        print(f"  {r[field]:.2f}x {r['path']} {r['title']!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--json", type=Path, help="write every article's score here")
    args = ap.parse_args()
    scorer = local_scorer()
    if scorer is None:
        print("no local model is installed; run: briefing local install --model qwen2.5-0.5b", file=sys.stderr)
        return 2
    groups: dict[str, list] = defaultdict(list)
    for folder in args.folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            docs, _ = load_file(path, str(path))
            for d in docs:
                week = d.published.isocalendar() if d.published else None
                key = f"{week[0]}-W{week[1]:02d}" if week else f"undated {folder}"
                groups[key].append(d)
    start = time.perf_counter()
    rows = []
    for key in sorted(groups):
        docs = groups[key]
        scores = quality.assess_sources(docs, scorer)
        med = quality.median_perplexity(scores)
        print(f"{key}: {len(docs)} articles" + (f", median perplexity {med:.1f}" if med else ", too few to compare"),
              flush=True)
        for d in docs:
            q = scores.get(d.id)
            f = scorer.fluency(sample(d.text, d.title))  # cached: the score assess_sources used
            rows.append({"week": key, "path": d.path, "title": d.title, "perplexity": f.perplexity if f else None,
                         "ratio": q.ratio if q else None, "flagged": bool(q and q.flagged)})
            if q and q.flagged:
                print(f"  FLAGGED {q.ratio:.2f}x {d.path} {d.title!r}\n    {sample(d.text, d.title)[:300]!r}")
    # the whole corpus as one memo: also covers the weeks with too few articles to compare
    overall = statistics.median(r["perplexity"] for r in rows if r["perplexity"])
    for r in rows:
        r["ratio_all"] = r["perplexity"] / overall if r["perplexity"] else None
    report(rows, "ratio", "within its week")
    report(rows, "ratio_all", f"against the median of all ({overall:.1f})")
    print(f"{scorer.scored} samples run through {scorer.name} in {time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
