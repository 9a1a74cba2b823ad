"""Helpers shared by the benchmarks: timing subprocesses and writing RealTimeQA articles out as files."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RTQA = SHARED / "corpus" / "realtimeqa-2025-01"
BRIEFING = str(Path(sys.executable).with_name("briefing"))


def timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one subprocess run (its own, from wait4); raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})}, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return wall, usage.ru_maxrss // 1024


def median_runs(cmd: list[str], runs: int, **kw) -> float:
    return statistics.median(timed(cmd, **kw)[0] for _ in range(runs))


def write_articles(out: Path, weeks: tuple[str, ...]) -> int:
    """Write each distinct article of the given RealTimeQA weeks as a .txt file (title, date line, text)."""
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for week in weeks:
        for line in (RTQA / f"{week}_gcs.jsonl").read_text(encoding="utf-8").splitlines():
            for art in json.loads(line).get("search_result", []):
                text, url = art.get("text") or "", art.get("url") or ""
                if not text.strip() or url in seen:
                    continue
                seen.add(url)
                date = (art.get("publish_date") or "").replace("/", "-")
                body = f"{art.get('title') or 'Untitled'}\n" + (f"Published: {date}\n" if date else "") + f"\n{text}\n"
                (out / f"{len(seen):04d}.txt").write_text(body, encoding="utf-8")
    return len(seen)
