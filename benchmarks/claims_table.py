"""Precision and recall of the claim checker on the table of tests/data/claims.jsonl.

    python benchmarks/claims_table.py [--table FILE] [--verbose]
    python benchmarks/claims_table.py --verbatim 300


Each row is a sentence, the real article passages it cites, and the expected verdict; ``set`` is ``dev`` for the
rows written while the rules were built, ``holdout`` for rows written after they were frozen. "Unsupported" is the
positive class: precision is the share of flagged sentences that are really unsupported, recall the share of
unsupported sentences that are flagged. Prints the confusion counts, precision and recall overall and per class,
and every row where the checker disagrees with the table. ``--verbatim N`` instead checks every sentence (three
content words or more) of the example articles and then RealTimeQA articles, N articles in all, against its own
paragraph, which must always support it (what the extractive generator relies on), and prints any it flags.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from collections import defaultdict
from pathlib import Path

from briefing.answer.claims import judge
from briefing.text import sentences, stems

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "data" / "claims.jsonl"
RTQA = ROOT.parent / "shared" / "corpus" / "realtimeqa-2025-01"


def verbatim(n: int) -> None:
    texts = [p.read_text("utf-8") for p in sorted((ROOT / "examples" / "articles").glob("*.txt"))]
    for path in sorted(RTQA.glob("*_gcs.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            texts += [e["text"] for e in json.loads(line).get("search_result", []) if e.get("text")]
    checked = flagged = 0
    for text in texts[:n]:
        for para in (p for p in text.split("\n") if p.strip()):
            for lo, hi in sentences(para):
                if len(stems(para[lo:hi])) >= 3:
                    checked += 1
                    verdict = judge(para[lo:hi], [para])
                    if not verdict.supported:
                        flagged += 1
                        print(f"flagged: {para[lo:hi][:150]!r} {verdict.reasons}")
    print(f"{min(n, len(texts))} articles, {checked} sentences, {flagged} flagged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--verbose", action="store_true", help="Print every row's verdict and reasons.")
    parser.add_argument("--verbatim", type=int, metavar="N", help="Check N articles' own sentences instead.")
    args = parser.parse_args()
    if args.verbatim:
        verbatim(args.verbatim)
        return
    rows = [json.loads(line) for line in args.table.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        verdict = judge(row["sentence"], [p["text"] for p in row["passages"]],
                        published=[date.fromisoformat(p["published"]) if p.get("published") else None
                                   for p in row["passages"]])
        flagged = not verdict.supported
        positive = row["expected"] == "unsupported"
        cell = {(True, True): "tp", (True, False): "fp", (False, True): "fn", (False, False): "tn"}[flagged, positive]
        for group in ("all", f"set:{row.get('set', 'dev')}", row["class"]):
            counts[group][cell] += 1
        if args.verbose or cell in ("fp", "fn"):
            why = "; ".join(r.replace("{where}", "[1]") for r in verdict.reasons) or "-"
            print(f"{cell.upper()} {row['id']}: {row['sentence']}\n    expected {row['expected']}: {row['reason']}"
                  f"\n    checker: {why}")
    print(f"\n{len(rows)} rows, {sum(r['expected'] == 'unsupported' for r in rows)} unsupported")
    print(f"{'class':<12} {'rows':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} {'precision':>10} {'recall':>7}")
    sets = sorted(g for g in counts if g.startswith("set:"))
    for group in ["all", *sets] + sorted(g for g in counts if g != "all" and g not in sets):
        c = counts[group]
        n = sum(c.values())
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        print(f"{group:<12} {n:>5} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {c['tn']:>4} {precision:>10.3f} {recall:>7.3f}")


if __name__ == "__main__":
    main()
