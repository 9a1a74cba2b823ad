"""Precision and recall of the claim checker on the table of tests/data/claims.jsonl.

    python benchmarks/claims_table.py [--table FILE] [--verbose]

Each row is a sentence, the real article passages it cites, and the expected verdict; ``set`` is ``dev`` for the
rows written while the rules were built, ``holdout`` for rows written after they were frozen. "Unsupported" is the
positive class: precision is the share of flagged sentences that are really unsupported, recall the share of
unsupported sentences that are flagged. Prints the confusion counts, precision and recall overall and per class,
and every row where the checker disagrees with the table.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from briefing.answer.claims import judge

TABLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "claims.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--verbose", action="store_true", help="Print every row's verdict and reasons.")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.table.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        verdict = judge(row["sentence"], [p["text"] for p in row["passages"]])
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
