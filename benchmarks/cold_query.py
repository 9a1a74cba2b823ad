"""Cold start of the query path against `python -c "import sentence_transformers"`, in the same run and venv.

Usage: .venv/bin/python benchmarks/cold_query.py [RUNS]
Builds an index of examples/articles in a temporary directory, then times RUNS fresh processes of each command
and prints the medians and the ratios (the target is <= 0.25 for search and ask --llm extractive).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common import BRIEFING, ROOT, median_runs, timed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        index = str(Path(tmp) / "index")
        timed([BRIEFING, "index", str(ROOT / "examples" / "articles"), "--index", index, "-q"])
        q = "what did Macron announce"
        base = median_runs([sys.executable, "-c", "import sentence_transformers"], runs)
        rows = {
            "briefing search": median_runs([BRIEFING, "search", q, "--index", index], runs),
            "briefing ask --llm extractive": median_runs([BRIEFING, "ask", q, "--index", index, "--llm",
                                                          "extractive"], runs),
            "briefing --help": median_runs([BRIEFING, "--help"], runs),
        }
    print(f"baseline: python -c 'import sentence_transformers'  median {base:.2f} s over {runs} runs")
    for name, sec in rows.items():
        print(f"{name:32s} median {sec:.2f} s   ratio {sec / base:.3f}")


if __name__ == "__main__":
    main()
