"""Terminal output of the CLI: the index run's summary, status, the progress bar and Markdown on a TTY."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Iterator

from briefing.config import display_path


@contextlib.contextmanager
def progress_bar(enabled: bool = True) -> Iterator:
    """A progress callback ``(stage, done, total)`` drawing a bar on stderr, or a no-op when not a TTY / quiet."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    labels = {"files": "reading files", "chunks": "embedding passages"}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def index_summary(report, as_json: bool = False) -> str:
    """The end-of-run summary: what was indexed, duplicates, and every skipped file with its reason."""
    if as_json:
        return json.dumps({
            "files_seen": report.files_seen, "files_changed": report.files_changed,
            "files_removed": report.files_removed, "documents_added": report.documents_added,
            "chunks_added": report.chunks_added, "embedded": report.embedded,
            "duplicates": [{"path": display_path(a), "duplicate_of": display_path(b)} for a, b in report.duplicates],
            "skipped": [{"path": display_path(s.path), "reason": s.reason} for s in report.skipped],
            "counts": report.counts, "seconds": round(report.seconds, 3)})
    c = report.counts
    lines = [
        f"indexed {c.get('documents', 0)} documents ({c.get('undated', 0)} undated), {c.get('chunks', 0)} passages"
        f" — this run: {report.files_changed} new or changed files, {report.documents_added} new documents, "
        f"{report.chunks_added} passages embedded, {report.files_removed} files removed, {report.seconds:.1f}s"]
    if report.duplicates:
        lines.append(f"{len(report.duplicates)} duplicate(s) stored once:")
        lines += [f"  {display_path(a)} = {display_path(b)}" for a, b in report.duplicates[:20]]
        if len(report.duplicates) > 20:
            lines.append(f"  ... and {len(report.duplicates) - 20} more")
    if report.skipped:
        lines.append(f"{len(report.skipped)} skipped:")
        lines += [f"  {display_path(s.path)}: {s.reason}" for s in report.skipped]
    return "\n".join(lines)


def status_text(info: dict, checked: bool = False) -> str:
    c = info["counts"]
    lines = [
        f"documents  {c['documents']} ({c['undated']} undated) from {c['files']} files, {c['duplicates']} duplicates",
        f"passages   {c['chunks']}",
        f"model      {info['model']} (dim {info['dim']}{', int8 ONNX' if info.get('int8') else ''}"
        f"{', passages by ' + info['backend'] if info.get('backend') else ''})",
        f"chunking   {info['chunking'].get('max_tokens')} tokens, overlap {info['chunking'].get('overlap_tokens')}",
        f"size       {info['size_bytes'] / 1e6:.1f} MB",
        f"built      {info['built_at']}",
        f"skipped    {c['skipped']}",
    ]
    lines += [f"  {s['path']}: {s['reason']}" for s in info.get("skipped", [])]
    if checked:
        problems = info.get("problems", [])
        lines.append("check      ok" if not problems else f"check      {len(problems)} problem(s)")
        lines += [f"  {p}" for p in problems]
    return "\n".join(lines)


def print_markdown(text: str) -> None:
    """Render Markdown with rich on a terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(text))
