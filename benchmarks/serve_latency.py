"""``briefing serve``: warm latency of ``/api/ask`` (extractive generator) on examples/articles, over real HTTP.

Usage: .venv/bin/python benchmarks/serve_latency.py [ROUNDS]
Builds an index of examples/articles in a temporary directory, starts ``briefing serve --port 0 --llm extractive``
as a user would, warms it with one request per question, then asks each question of ../shared/eval/seeds-dev.jsonl
ROUNDS times (default 10) in turn over one keep-alive connection and prints p50 and p95 (the target is a p50 of
at most 0.3 s). The same questions answered in-process (``answer()`` on a warm session, no HTTP) are the baseline
measured in the same run, and the ratio is what the server adds. Last, 20 requests at once: all must succeed.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import BRIEFING, ROOT, SHARED, timed


def questions() -> list[str]:
    path = SHARED / "eval" / "seeds-dev.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def in_process(index: Path, qs: list[str], rounds: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    from briefing.answer.ask import answer
    from briefing.answer.generate import make_generator
    from briefing.answer.session import Session

    session, generator = Session(index), make_generator("extractive")
    for q in qs:
        answer(session, q, generator)
    times = []
    for _ in range(rounds):
        for q in qs:
            start = time.perf_counter()
            answer(session, q, generator)
            times.append(time.perf_counter() - start)
    return times


def start_server(index: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([BRIEFING, "serve", "--index", str(index), "--port", "0", "--llm", "extractive"],
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    found = re.search(r"(http://\S+) over ", lines.get(timeout=120))
    if not found:
        proc.kill()
        raise SystemExit("briefing serve did not start")
    return proc, found.group(1).rstrip("/")


def main() -> None:
    import httpx2

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        timed([BRIEFING, "index", str(ROOT / "examples" / "articles"), "--index", str(index), "-q"])
        base = in_process(index, qs, rounds)
        proc, url = start_server(index)
        try:
            with httpx2.Client(base_url=url, timeout=120, trust_env=False) as http:
                for q in qs:
                    http.get("/api/ask", params={"q": q}).raise_for_status()
                times = []
                for _ in range(rounds):
                    for q in qs:
                        start = time.perf_counter()
                        http.get("/api/ask", params={"q": q}).raise_for_status()
                        times.append(time.perf_counter() - start)
                start = time.perf_counter()
                with ThreadPoolExecutor(max_workers=20) as pool:
                    codes = list(pool.map(lambda i: http.get("/api/ask", params={"q": qs[i % len(qs)]}).status_code,
                                          range(20)))
                burst = time.perf_counter() - start
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    p50, p50_base = statistics.median(times), statistics.median(base)
    print(f"in-process answer() (baseline): p50 {p50_base * 1000:.1f} ms, p95 {percentile(base, 0.95) * 1000:.1f} ms"
          f" over {len(base)} questions")
    print(f"GET /api/ask over HTTP:         p50 {p50 * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms"
          f" over {len(times)} requests; ratio to baseline {p50 / p50_base:.2f}; target p50 <= 300 ms: "
          f"{'met' if p50 <= 0.3 else 'NOT met'}")
    print(f"20 requests at once: {codes.count(200)}/20 succeeded in {burst:.2f} s")


if __name__ == "__main__":
    main()
